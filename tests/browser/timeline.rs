//! The timeline and videos in Chromium: photos taken in three months are grouped under three
//! month headers, newest first, and a video opened in the viewer plays and seeks, which the
//! server serves as 206 partial content, and plays again from its share link in a browser
//! without a session.

use crate::common::browser::{Browser, Screen};
use crate::common::{fixtures, media_dir, scan_config, skipped, TestServer};
use std::path::Path;
use std::time::{Duration, SystemTime};

const WAIT: Duration = Duration::from_secs(30);

/// Noon UTC of a day, in seconds since 1970 (days from civil, H. Hinnant's algorithm).
fn noon(year: i64, month: i64, day: i64) -> SystemTime {
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    SystemTime::UNIX_EPOCH + Duration::from_secs((days * 86_400 + 43_200) as u64)
}

/// A JPEG without EXIF, so its date is its modification time.
fn photo_of(path: &Path, taken: SystemTime) {
    fixtures::jpeg(path, 48, 32, None);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(taken).unwrap();
}

#[test]
fn the_timeline_groups_photos_by_month_newest_first() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        photo_of(&media.join("beach1.jpg"), noon(2024, 5, 14));
        photo_of(&media.join("beach2.jpg"), noon(2024, 5, 20));
        std::fs::create_dir_all(media.join("xmas")).unwrap();
        photo_of(&media.join("xmas/tree.jpg"), noon(2023, 12, 25));
        photo_of(&media.join("july.jpg"), noon(2022, 7, 4));
        std::fs::write(media.join("notes.txt"), b"not a photo").unwrap();
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/web/timeline", server.addr), "terry", "123");
    browser.wait_until(
        "location.pathname == '/web/timeline' && document.querySelectorAll('.tile[data-id]').length == 4",
        WAIT,
    );
    let headers = browser.exec("return [...document.querySelectorAll('h2.month')].map(h => h.textContent)", vec![]);
    assert_eq!(headers, serde_json::json!(["May 2024", "December 2023", "July 2022"]));
    // Each header comes before its own month's tiles, in the document's order.
    let order = browser.exec(
        "return [...document.querySelectorAll('h2.month, .tile[data-id]')]
            .sort((a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1)
            .map(e => e.tagName == 'H2' ? e.textContent : 'tile')",
        vec![],
    );
    assert_eq!(order, serde_json::json!(["May 2024", "tile", "tile", "December 2023", "tile", "July 2022", "tile"]));
    browser.screenshots("gallery-timeline");
}

#[test]
fn a_video_plays_and_seeks_from_ranges_the_server_answers_with_206() {
    if !fixtures::have_ffmpeg() {
        skipped("no ffmpeg to make the video");
        return;
    }
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        let status = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
            .args(["-i", "testsrc=size=320x240:rate=25", "-t", "8", "-c:v", "libvpx", "-b:v", "400k", "-g", "25"])
            .arg(media.join("clip.webm"))
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "ffmpeg made no clip.webm");
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let Some(browser) = Browser::start(Screen::Desktop) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT).click();
    browser.wait_for(".viewer video", WAIT);
    let _ = browser.network_events(); // from here on
    let at = browser.exec_async(&plays(".viewer video"), vec![]);
    assert!(at.as_f64().is_some_and(|t| t > 0.2), "the video did not play: {at}");
    let seek = "const done = arguments[arguments.length - 1], v = document.querySelector('.viewer video');
        v.addEventListener('seeked', () => done(v.currentTime), { once: true });
        v.addEventListener('error', () => done('error ' + v.error?.code), { once: true });
        v.currentTime = 6.5;";
    let at = browser.exec_async(seek, vec![]);
    assert!(at.as_f64().is_some_and(|t| (6.0..8.0).contains(&t)), "the video did not seek: {at}");
    browser.screenshots("gallery-video");
    let partial = browser.network_events().iter().any(|event| {
        event["method"] == "Network.responseReceived"
            && event["params"]["response"]["url"].as_str().is_some_and(|url| url.contains("downFile.icc"))
            && event["params"]["response"]["status"] == 206
    });
    assert!(partial, "no 206 answer to a downFile range request was seen");

    // Shared from the viewer, it plays for someone without a session, with a download button.
    browser.find(".viewer button[aria-label='Share']").expect("the viewer's Share").click();
    let link = browser.wait_for("dialog input[readonly]", WAIT).attr("value").expect("the link");
    let Some(stranger) = Browser::start(Screen::Phone) else { return };
    stranger.goto(&link);
    stranger.wait_for(".shared video", WAIT);
    let at = stranger.exec_async(&plays(".shared video"), vec![]);
    assert!(at.as_f64().is_some_and(|t| t > 0.2), "the shared video did not play: {at}");
    assert!(stranger.find(".shared figcaption").unwrap().text().contains("clip.webm"));
    let download = stranger.find(".shared a[download]").expect("a download button");
    assert!(download.attr("href").unwrap().contains("shareFile"), "{:?}", download.attr("href"));
    assert!(stranger.cookies().is_empty(), "the stranger has no session: {:?}", stranger.cookies());
    stranger.screenshots("gallery-shared-video");
}

/// A script that plays the (muted) video `css` for 1.5 s and answers its position, or why not.
fn plays(css: &str) -> String {
    format!(
        "const done = arguments[arguments.length - 1], v = document.querySelector('{css}');
        v.muted = true;
        v.play().then(() => setTimeout(() => done(v.currentTime), 1500), (e) => done('play failed: ' + e));"
    )
}
