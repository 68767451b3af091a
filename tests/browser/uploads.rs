//! Uploading from the gallery in Chromium: two files picked at once, the second cut off by a
//! lost connection (the page is opened through a slow proxy of the test's, which drops every
//! connection a third of the way through) and resumed from the offset uploadingInfo reports;
//! an upload cut off by a page reload, resumed when the same file is picked again; and an
//! upload the server refuses (its folder is read-only), which says so and goes through when
//! retried. Files arrive whole (the page checks the SHA-1 the server returns, and the test
//! compares the stored bytes) and appear in the grid.

use crate::common::browser::{Browser, Screen};
use crate::common::{fixtures, media_dir, scan_config, TestServer};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);
/// The big file's size, and the upload rate the browser is held to: about ten seconds.
const BIG: usize = 3_000_000;
const BYTES_PER_SECOND: usize = 300_000;
const CHUNK: usize = 16 * 1024;

/// A JPEG with noise after its end (decoders stop at the end marker), so it is BIG bytes more.
fn big_jpeg(path: &Path) {
    fixtures::jpeg(path, 64, 48, None);
    let mut bytes = std::fs::read(path).unwrap();
    let mut state = 0x2545_f491_u32;
    bytes.extend((0..BIG).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as u8
    }));
    std::fs::write(path, &bytes).unwrap();
}

fn one_user_with_a_photo(dir: &Path) {
    let media = media_dir(dir, "terry");
    fixtures::jpeg(&media.join("already.jpg"), 32, 32, None);
    scan_config(dir, &[("terry", "123", &[media.as_path()])]);
}

/// The `obp` (offset) of every uploadFile request in `events`.
fn upload_offsets(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter(|event| event["method"] == "Network.requestWillBeSent")
        .filter_map(|event| event["params"]["request"]["url"].as_str().map(str::to_string))
        .filter(|url| url.contains("/uploadFile.icc"))
        .filter_map(|url| url.split("obp=").nth(1)?.split('&').next()?.parse().ok())
        .collect()
}

/// Checks that `path` is stored whole as `name` and its tile is in the grid.
fn arrived_whole(browser: &Browser, server: &TestServer, name: &str, path: &Path) {
    let mut client = server.client();
    client.login("terry", "123");
    let id = crate::file_id(&mut client, name);
    let stored = client.get(&format!("/downFile.icc?id={id}"));
    assert_eq!(stored.status, 200);
    assert!(stored.body == std::fs::read(path).unwrap(), "{name} arrived damaged ({} bytes)", stored.body.len());
    browser.wait_for(&format!(".tile[data-id='{id}']"), WAIT);
}

/// Picks `files` with the Upload button and waits for the panel.
fn pick(browser: &Browser, files: &[&Path]) {
    browser.find("button[aria-label='Upload']").expect("the Upload button").click();
    browser.set_file_input("input[type=file]", files);
    browser.wait_for(".uploads", WAIT);
}

/// True once the upload panel's row `row` has sent more than 30% of its file.
fn past_a_third(row: usize) -> String {
    format!(
        "((rows) => rows.length > {row} && / of /.test(rows[{row}].querySelector('.note').textContent)
        && rows[{row}].querySelector('progress').value > rows[{row}].querySelector('progress').max * 0.3)
        (document.querySelectorAll('.uploads li'))"
    )
}

#[test]
fn two_files_upload_and_the_one_cut_off_by_a_lost_connection_resumes_and_arrives_whole() {
    let server = TestServer::start_with(one_user_with_a_photo);
    let picked = tempfile::tempdir().unwrap();
    let small = picked.path().join("small.jpg");
    fixtures::jpeg(&small, 40, 30, None);
    let big = picked.path().join("big.jpg");
    big_jpeg(&big);

    let Some(browser) = Browser::start(Screen::Phone) else { return };
    let proxy = Proxy::start(&server.addr);
    super::log_in_at(&browser, &format!("http://{}/", proxy.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT);
    let _ = browser.network_events();
    pick(&browser, &[&small, &big]);

    // A third through the big file, the connection goes; a few seconds later it is back.
    browser.wait_until(&past_a_third(1), WAIT);
    browser.screenshots("gallery-upload-progress");
    proxy.cut(Duration::from_secs(3));
    browser.wait_until("/resuming|lost|timed out/.test(document.querySelector('.uploads')?.textContent)", WAIT);
    browser.wait_until("/Uploaded 2 files/.test(document.querySelector('.uploads')?.textContent)", WAIT);
    browser.screenshots("gallery-upload-done");

    // The resumed request started past the beginning.
    let offsets = upload_offsets(&browser.network_events());
    assert!(offsets.iter().any(|&obp| obp > 0), "no upload resumed from an offset: {offsets:?}");
    arrived_whole(&browser, &server, "small.jpg", &small);
    arrived_whole(&browser, &server, "big.jpg", &big);
}

#[test]
fn an_upload_cut_off_by_a_page_reload_resumes_when_the_same_file_is_picked_again() {
    let server = TestServer::start_with(one_user_with_a_photo);
    let picked = tempfile::tempdir().unwrap();
    let big = picked.path().join("big.jpg");
    big_jpeg(&big);
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    let proxy = Proxy::start(&server.addr);
    super::log_in_at(&browser, &format!("http://{}/", proxy.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT);
    pick(&browser, &[&big]);
    browser.wait_until(&past_a_third(0), WAIT);

    // The page reloads mid-upload; it says what is unfinished, and the same file resumes. What
    // the browser had already sent still drains through the proxy, so the server is receiving
    // the old request when the page resumes (and refuses a second upload to the same id): the
    // page waits for it to end, whether it completed the file or stopped short.
    browser.goto(&browser.url());
    browser.wait_for(".tile[data-id]", WAIT);
    browser.wait_until("/1 unfinished upload/.test(document.body.textContent)", WAIT);
    browser.screenshots("gallery-upload-unfinished-after-reload");
    let _ = browser.network_events();
    pick(&browser, &[&big]);
    browser.wait_until("/Uploaded 1 file/.test(document.querySelector('.uploads')?.textContent)", WAIT);
    let offsets = upload_offsets(&browser.network_events());
    assert!(offsets.first().is_some_and(|&obp| obp > 0), "the upload after the reload began at {offsets:?}");
    arrived_whole(&browser, &server, "big.jpg", &big);
}

#[test]
fn an_upload_the_server_refuses_says_so_and_succeeds_when_retried() {
    let server = TestServer::start_unprivileged_with(one_user_with_a_photo);
    let media = server.app_dir().join("terry");
    let picked = tempfile::tempdir().unwrap();
    let small = picked.path().join("small.jpg");
    fixtures::jpeg(&small, 40, 30, None);
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT);

    // The folder cannot be written (as a full or read-only disk would refuse).
    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o555)).unwrap();
    pick(&browser, &[&small]);
    browser.wait_until("/1 file not uploaded/.test(document.querySelector('.uploads')?.textContent)", WAIT);
    let note = browser.exec("return document.querySelector('.uploads li .note').textContent", vec![]);
    browser.screenshots("gallery-upload-refused");
    assert!(note.as_str().is_some_and(|n| n.len() > 10 && !n.contains('{')), "the refusal says {note}");
    let room = "return [parseFloat(getComputedStyle(document.body).paddingBottom),
        document.querySelector('.uploads')?.offsetHeight ?? 0]";
    let (padding, panel) = numbers(&browser.exec(room, vec![]));
    assert!(panel > 0.0 && padding > panel, "the page leaves {padding} px below it for the {panel} px panel");

    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o755)).unwrap();
    browser.exec(
        "[...document.querySelectorAll('.uploads button')].find(b => b.textContent.includes('Retry')).click()",
        vec![],
    );
    browser.wait_until("/Uploaded 1 file/.test(document.querySelector('.uploads')?.textContent)", WAIT);
    arrived_whole(&browser, &server, "small.jpg", &small);
    browser.find(".uploads button[aria-label='Close']").expect("the panel's Close").click();
    browser.wait_until("!document.querySelector('.uploads')", WAIT);
    assert_eq!(numbers(&browser.exec(room, vec![])), (0.0, 0.0), "the room below the page goes with the panel");
}

/// The two numbers of a script's `[a, b]` answer.
fn numbers(pair: &Value) -> (f64, f64) {
    (pair[0].as_f64().expect("a number"), pair[1].as_f64().expect("a number"))
}

/// A TCP proxy to the server that sends what the browser uploads at about BYTES_PER_SECOND,
/// and can drop every open connection and refuse new ones for a while, as lost Wi-Fi would.
/// (Dropping connections alone is not enough: Chromium sends a request again by itself when
/// a kept-alive connection ends before any answer.)
struct Proxy {
    addr: String,
    open: Arc<Mutex<Vec<TcpStream>>>,
    offline_until: Arc<Mutex<Instant>>,
}

impl Proxy {
    fn start(server: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let open = Arc::new(Mutex::new(Vec::new()));
        let offline_until = Arc::new(Mutex::new(Instant::now()));
        let (server, kept, offline) = (server.to_string(), open.clone(), offline_until.clone());
        std::thread::spawn(move || {
            for browser in listener.incoming().flatten() {
                if Instant::now() < *offline.lock().unwrap() {
                    continue; // dropped unanswered
                }
                let Ok(upstream) = TcpStream::connect(&server) else { continue };
                kept.lock().unwrap().extend([browser.try_clone().unwrap(), upstream.try_clone().unwrap()]);
                let (from_browser, to_browser) = (browser.try_clone().unwrap(), browser);
                let (to_server, from_server) = (upstream.try_clone().unwrap(), upstream);
                std::thread::spawn(move || pump(from_browser, to_server, true));
                std::thread::spawn(move || pump(from_server, to_browser, false));
            }
        });
        Proxy { addr, open, offline_until }
    }

    /// Drops every connection open now, and refuses new ones for `offline`.
    fn cut(&self, offline: Duration) {
        *self.offline_until.lock().unwrap() = Instant::now() + offline;
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Copies `from` to `to` until either ends; `slow` holds it to BYTES_PER_SECOND.
fn pump(mut from: TcpStream, mut to: TcpStream, slow: bool) {
    let mut buffer = vec![0u8; CHUNK];
    while let Ok(n @ 1..) = from.read(&mut buffer) {
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
        if slow {
            std::thread::sleep(Duration::from_secs_f64(n as f64 / BYTES_PER_SECOND as f64));
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
