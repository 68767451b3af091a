//! The gallery without a mouse and in the dark: logging in, reaching every control of a folder
//! and opening, stepping through and closing the viewer with the keyboard alone, each focused
//! control named and visibly outlined; and the system's dark setting giving dark pages with
//! readable text (light ones without it).

use crate::common::browser::{Browser, Screen};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// More Tab presses than the folder page has controls before its first tile.
const MOST_TABS: usize = 40;
/// WCAG's minimum contrast for body text (AA).
const TEXT_CONTRAST: f64 = 4.5;

/// What the focused element is: its tag, its accessible name (aria-label, else its text, else
/// its label's), whether it is a file tile or a sub-folder card, and its focus outline.
const FOCUSED: &str = "const e = document.activeElement, s = getComputedStyle(e);
  const name = (e.getAttribute('aria-label') || e.textContent || e.labels?.[0]?.textContent || '').trim();
  return { tag: e.tagName, name, tile: e.matches('.tile[data-id]'), folder: e.matches('a.folder'),
    index: e.dataset.index ?? null, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };";

/// The page's background and text colours as [r, g, b] (from the body's computed style).
const COLOURS: &str =
    "const s = getComputedStyle(document.body), rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
  return { background: rgb(s.backgroundColor), text: rgb(s.color) };";

#[test]
fn every_control_is_reached_by_keyboard_with_a_visible_focus_and_a_name() {
    let server = crate::family_library();
    let Some(browser) = Browser::start(Screen::Desktop) else { return };
    browser.goto(&format!("http://{}/", server.addr));
    browser.wait_for("#user", WAIT);
    assert_eq!(browser.exec("return document.activeElement.id", vec![]), "user", "the login starts in the name field");
    type_keys(&browser, "terry");
    browser.press("Tab");
    type_keys(&browser, "123");
    browser.press("Enter");
    browser.wait_for(".tile[data-id]", WAIT);

    let mut seen = Vec::new();
    let tile = loop {
        assert!(seen.len() < MOST_TABS, "no tile reached after {MOST_TABS} Tabs: {seen:#?}");
        browser.press("Tab");
        let focused = browser.exec(FOCUSED, vec![]);
        assert_ne!(focused["tag"], "BODY", "Tab left the page's controls after {seen:#?}");
        assert!(!focused["name"].as_str().unwrap_or("").is_empty(), "a control without a name: {focused}");
        assert!(
            focused["outline"] != "none" && focused["width"].as_f64().is_some_and(|w| w >= 2.0),
            "a control focused without a visible outline: {focused}"
        );
        if focused["tile"] == true {
            break focused;
        }
        seen.push(focused);
    };
    browser.screenshots("gallery-keyboard-focus");
    let names: Vec<&str> = seen.iter().filter_map(|f| f["name"].as_str()).collect();
    for control in ["Library", "Timeline", "Log out", "New folder", "Upload", "Rename folder", "Delete folder"] {
        assert!(names.contains(&control), "Tab never reached {control:?}: {names:?}");
    }
    assert!(seen.iter().any(|f| f["tag"] == "SELECT"), "Tab never reached the sort and filter: {names:?}");
    assert!(seen.iter().any(|f| f["folder"] == true), "Tab never reached the sub-folder: {names:?}");

    // The viewer: opened from the focused tile, the next file by arrow key, closed by Escape,
    // which gives the focus back to the tile of the file that was showing.
    let first: i64 = tile["index"].as_str().and_then(|i| i.parse().ok()).expect("the tile's index");
    browser.press("Enter");
    browser.wait_for(".viewer .stage", WAIT);
    browser.press("ArrowRight");
    let next = (first + 1).to_string();
    browser.wait_until(&format!("document.querySelector('.viewer')?.dataset.index === '{next}'"), WAIT);
    browser.press("Escape");
    browser.wait_until("!document.querySelector('.viewer')", WAIT);
    let back = browser.exec(FOCUSED, vec![]);
    assert_eq!((&back["tile"], &back["index"]), (&json!(true), &json!(next)), "focus after the viewer: {back}");
}

#[test]
fn the_systems_dark_setting_gives_dark_pages_with_readable_text() {
    let server = crate::family_library();
    for (scheme, dark) in [("dark", true), ("light", false)] {
        let Some(browser) = Browser::start(Screen::Phone) else { return };
        let feature = json!([{ "name": "prefers-color-scheme", "value": scheme }]);
        browser.cdp("Emulation.setEmulatedMedia", json!({ "features": feature }));
        browser.goto(&format!("http://{}/", server.addr));
        browser.wait_for("#user", WAIT);
        check_colours(&browser, dark, "the login page");
        browser.screenshots(&format!("gallery-login-{scheme}"));
        browser.type_into("#user", "terry");
        browser.type_into("#password", "123");
        browser.press("Enter");
        browser.wait_for(".tile[data-id]", WAIT);
        check_colours(&browser, dark, "a folder");
        browser.screenshots(&format!("gallery-folder-{scheme}"));
    }
}

/// Presses the keys of `text`, one character at a time.
fn type_keys(browser: &Browser, text: &str) {
    for key in text.chars() {
        browser.press(&key.to_string());
    }
}

/// Checks that the page is dark (or light) and its text readable on its background.
fn check_colours(browser: &Browser, dark: bool, page: &str) {
    let colours = browser.exec(COLOURS, vec![]);
    let (background, text) = (luminance(&colours["background"]), luminance(&colours["text"]));
    if dark {
        assert!(background < 0.05 && text > 0.6, "{page} is not dark: {colours}");
    } else {
        assert!(background > 0.8 && text < 0.05, "{page} is not light: {colours}");
    }
    let contrast = (background.max(text) + 0.05) / (background.min(text) + 0.05);
    assert!(contrast >= TEXT_CONTRAST, "{page}: text contrast {contrast:.1} below {TEXT_CONTRAST}: {colours}");
}

/// The relative luminance of an sRGB colour [r, g, b] (WCAG 2).
fn luminance(rgb: &Value) -> f64 {
    let channel = |i: usize| {
        let c = rgb[i].as_f64().expect("a colour channel") / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}
