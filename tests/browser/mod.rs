//! Browser tests: pages driven in a real headless Chromium through WebDriver
//! ([`crate::common::browser`]), with screenshots in target/screenshots/ to look at. `harness`
//! checks the driver itself on a page of its own, with no iSync server.

use crate::common::browser::Browser;
use std::time::Duration;

/// Opens `url` (a place of the gallery), which shows the login page, and logs in there as
/// `user`; the caller waits for whatever the place shows next.
pub fn log_in_at(browser: &Browser, url: &str, user: &str, password: &str) {
    browser.goto(url);
    browser.wait_for("#user", Duration::from_secs(30));
    browser.type_into("#user", user);
    browser.type_into("#password", password);
    browser.press("Enter");
}

mod bad_input;
mod big_folder;
mod folders;
mod gallery;
mod harness;
mod keyboard;
mod timeline;
mod uploads;
mod viewer;
