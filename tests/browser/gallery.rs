//! The web gallery in Chromium against the real binary: logging in, a folder's tiles, the viewer.

use crate::common::browser::{Browser, Screen};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn a_family_member_logs_in_sees_the_folder_and_steps_through_the_viewer() {
    let server = crate::family_library();
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    browser.goto(&format!("http://{}/", server.addr));
    browser.wait_for("#user", WAIT);
    browser.screenshots("gallery-login");
    browser.type_into("#user", "terry");
    browser.type_into("#password", "wrong");
    browser.press("Enter");
    browser.wait_until("document.querySelector('.login .error').textContent.length > 0", WAIT);
    browser.type_into("#password", "123");
    browser.press("Enter");
    browser.wait_for(".tile[data-id]", WAIT);
    browser.wait_until("document.querySelectorAll('.tile img[src]').length >= 2", WAIT);
    browser.screenshots("gallery-folder");
    browser.find(".tile[data-id]").expect("a tile").click();
    browser.wait_for(".viewer .stage img", WAIT);
    let first = browser.exec("return document.querySelector('.viewer').dataset.index", vec![]);
    browser.press("ArrowRight");
    browser.wait_until(&format!("document.querySelector('.viewer').dataset.index != {first}"), WAIT);
    browser.screenshots("gallery-viewer");
}
