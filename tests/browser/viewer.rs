//! Zooming in the viewer on a phone: a photo larger than the screen shows its level-1
//! thumbnail; a double tap zooms in and brings the original in its place, another zooms back
//! out, and two fingers spread apart zoom in again.

use crate::common::browser::{Browser, Screen};
use crate::common::{fixtures, media_dir, scan_config, TestServer};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// The photo: larger than the level-1 box, so the original has more pixels than the thumbnail.
const WIDTH: u32 = 2400;
const HEIGHT: u32 = 1800;

/// The viewer's image: its source, its decoded width and the scale of its transform (1 without).
const SHOWN: &str = "const img = document.querySelector('.viewer .stage img');
  const scale = /scale\\(([\\d.]+)\\)/.exec(img.style.transform);
  return { src: img.getAttribute('src'), width: img.naturalWidth, scale: scale ? +scale[1] : 1 };";

#[test]
fn a_double_tap_zooms_in_to_the_original_and_out_again_and_a_pinch_zooms_in() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        fixtures::jpeg(&media.join("wide.jpg"), WIDTH, HEIGHT, None);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT).click();
    browser.wait_until("document.querySelector('.viewer .stage img')?.naturalWidth > 0", WAIT);
    let fitted = browser.exec(SHOWN, vec![]);
    assert!(fitted["src"].as_str().is_some_and(|src| src.contains("thumbnail.icc")), "first the thumbnail: {fitted}");
    assert!(fitted["width"].as_u64().is_some_and(|w| w < u64::from(WIDTH)), "a level-1 thumbnail: {fitted}");
    assert_eq!(fitted["scale"], 1.0, "{fitted}");

    let (x, y, width, height) = browser.find(".viewer .stage img").unwrap().rect();
    let centre = (x + width / 2.0, y + height / 2.0);
    browser.double_tap(centre);
    browser.wait_until(&format!("document.querySelector('.viewer .stage img').naturalWidth === {WIDTH}"), WAIT);
    let zoomed = browser.exec(SHOWN, vec![]);
    assert!(zoomed["src"].as_str().is_some_and(|src| src.contains("downFile.icc")), "then the original: {zoomed}");
    assert!(zoomed["scale"].as_f64().is_some_and(|s| s > 1.5), "a double tap zooms in: {zoomed}");
    browser.screenshots("gallery-viewer-zoomed");

    browser.double_tap(centre);
    assert_eq!(browser.exec(SHOWN, vec![])["scale"], 1.0, "a second double tap zooms out");
    browser.pinch(centre, 60.0, 240.0, 300);
    let pinched = browser.exec(SHOWN, vec![]);
    assert!(pinched["scale"].as_f64().is_some_and(|s| s > 2.0), "spreading two fingers zooms in: {pinched}");
}
