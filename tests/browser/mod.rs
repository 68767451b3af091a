//! Browser tests: pages driven in a real headless Chromium through WebDriver
//! ([`crate::common::browser`]), with screenshots in target/screenshots/ to look at. `harness`
//! checks the driver itself on a page of its own, with no iSync server.

mod big_folder;
mod gallery;
mod harness;
mod timeline;
mod uploads;
