//! What the gallery does with what it did not expect: names with markup, quotes, RTL marks and
//! emoji are shown as text (a name made to run script runs none), a file that cannot be decoded
//! becomes a broken-image tile, and a session that expires mid-browse goes to the login page
//! and from it back to the place the user was going.

use crate::common::browser::{Browser, Screen};
use crate::common::{fixtures, media_dir, scan_config, TestServer};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// A folder name (no `/`: that would make two) with markup, quotes, a right-to-left mark with Hebrew, and a family emoji
/// joined by zero-width joiners.
const FOLDER: &str = "<b onclick=x>bold \"quoted\" 'single' \u{200F}שלום 👨\u{200D}👩\u{200D}👧";
/// A photo whose name, put into the page as HTML, would run script.
const PHOTO: &str = "<img src=x onerror=window.pwned=1>.jpg";
/// Set by the names above if they ever became markup.
const INJECTED: &str = "return !!window.pwned || !!document.querySelector('b, img[src=x]')";

fn library(dir: &std::path::Path) {
    let terry = media_dir(dir, "terry");
    let folder = terry.join(FOLDER);
    std::fs::create_dir_all(&folder).unwrap();
    fixtures::jpeg(&folder.join(PHOTO), 48, 32, None);
    // A JPEG cut off after its frame header: the scanner reads its size, no decoder gets further.
    let cut = folder.join("broken.jpg");
    fixtures::jpeg(&cut, 64, 48, None);
    let bytes = std::fs::read(&cut).unwrap();
    let start_of_scan = bytes.windows(2).position(|m| m == [0xFF, 0xDA]).expect("an SOS marker");
    std::fs::write(&cut, &bytes[..start_of_scan]).unwrap();
    fixtures::jpeg(&terry.join("a.jpg"), 40, 30, None);
    scan_config(dir, &[("terry", "123", &[terry.as_path()])]);
}

#[test]
fn names_are_text_and_a_file_that_cannot_be_decoded_is_a_broken_tile() {
    let server = TestServer::start_with(library);
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for("a.folder", WAIT);
    let card = browser.exec("return document.querySelector('a.folder').textContent", vec![]);
    assert!(card.as_str().unwrap().starts_with(FOLDER), "the folder card says {card}");

    browser.find("a.folder").expect("the folder's card").click();
    browser.wait_until("document.querySelectorAll('.tile[data-id]').length == 2", WAIT);
    let crumbs =
        browser.exec("return [...document.querySelectorAll('.trail a, .trail span')].map(e => e.textContent)", vec![]);
    assert_eq!(crumbs, json!(["terry", FOLDER]));
    // The photo's thumbnail arrives; the broken file's tile is marked broken and shows no image
    // (no spinner left waiting).
    browser.wait_until(
        &format!(
            "document.querySelector('.tile[aria-label=\"' + CSS.escape({}) + '\"] img')?.naturalWidth > 0",
            json!(PHOTO)
        ),
        WAIT,
    );
    browser.wait_until("[...document.querySelectorAll('.tile.broken')].length == 1", WAIT);
    let broken = browser.exec(
        "const t = document.querySelector('.tile.broken'); \
         return [t.getAttribute('aria-label'), t.querySelector('img').hasAttribute('src'), \
                 getComputedStyle(t.querySelector('.mark')).display]",
        vec![],
    );
    assert_eq!(broken, json!(["broken.jpg", false, "flex"]));
    let labels = browser.exec(
        "return [...document.querySelectorAll('.tile[data-id]')].map(t => t.getAttribute('aria-label')).sort()",
        vec![],
    );
    assert_eq!(labels, json!([PHOTO, "broken.jpg"]));
    browser.screenshots("gallery-odd-names-and-broken-tile");

    // The viewer shows the photo's name as its title, as text.
    browser.exec(
        "[...document.querySelectorAll('.tile[data-id]')].find(t => t.getAttribute('aria-label') != 'broken.jpg').click()",
        vec![],
    );
    browser.wait_for(".viewer[data-index]", WAIT);
    browser.wait_until(&format!("document.querySelector('.viewer').textContent.includes({})", json!(PHOTO)), WAIT);
    browser.screenshots("gallery-viewer-odd-name");
    assert_eq!(browser.exec(INJECTED, vec![]), json!(false), "a name became markup");
}

#[test]
fn a_session_that_expires_mid_browse_logs_in_again_and_returns_to_the_place_asked_for() {
    let server = TestServer::start_with(|dir| {
        std::fs::write(dir.join("appConfigs.json"), r#"{"onlineTimeout": "3"}"#).unwrap();
        library(dir);
    });
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for("a.folder", WAIT);
    let root = browser.exec("return location.pathname", vec![]);
    let folder = browser.find("a.folder").expect("the folder's card").attr("href").unwrap();
    browser.wait_until("[...document.querySelectorAll('.tile[data-id] img')].every(i => i.naturalWidth > 0)", WAIT);

    // Idle past onlineTimeout (3 s), then open the folder: the server says the session ended.
    std::thread::sleep(Duration::from_millis(4_500));
    browser.find("a.folder").expect("the folder's card").click();
    browser.wait_for("#user", WAIT);
    browser.wait_until("document.body.textContent.includes('session has ended')", WAIT);
    browser.screenshots("gallery-session-ended");
    assert_ne!(browser.exec("return location.pathname", vec![]), root);

    browser.type_into("#user", "terry");
    browser.type_into("#password", "123");
    browser.press("Enter");
    browser.wait_until(&format!("location.pathname == {}", json!(folder)), WAIT);
    browser.wait_until("document.querySelectorAll('.tile[data-id]').length == 2", WAIT);
}
