//! The web gallery in a real headless Chromium (phone screen, 390×844 CSS px at 3×, as the
//! browser tests use), driven through the tests' own WebDriver client (tests/common/browser.rs,
//! included below as it is). A folder of 10,000 copies of one small photo-like JPEG is scanned
//! into an app dir of its own. Each run empties the thumbnail cache and starts a fresh server,
//! then measures in two fresh browsers (new profiles, so Chromium's cache holds no thumbnail):
//! the first screen of thumbnails with the thumbnails not yet built (cold), then again with the
//! server having built them (cached). "First screen" is the time from the start of the
//! navigation to the folder (already logged in: the session cookie is set through DevTools) to
//! the first animation frame in which every tile in the viewport has its image loaded; a probe
//! added to the page before its own scripts run records performance.now() at that frame, so no
//! WebDriver round trip is in the figure. The second browser then scrolls to the end in 40
//! steps (like tests/browser/big_folder.rs) and reports the most DOM elements seen and the
//! page's own peak of thumbnail requests in flight while scrolling (thumbs.js's `stats.peak`).
//! Without the browser, over plain HTTP: the bytes the app transfers gzipped, the page and every
//! asset of its module graph. Without Chromium or chromedriver the browser rows are SKIPPED.

/// The tests' WebDriver client, compiled from tests/common/ unchanged, next to the two items it
/// takes from its parent module there: the HTTP response reader (http.rs, also unchanged) and
/// `skipped`. What the bench does not use of them is dead code here.
#[allow(dead_code, unused_imports)]
#[path = "../common"]
mod common {
    pub mod browser;
    pub mod http;

    /// Reports a skip the way the tests do: `SKIPPED: <what>: <reason>` on stderr.
    pub fn skipped(reason: &str) {
        eprintln!("SKIPPED: gallery: {reason}");
    }
}

use crate::fixtures::photo_jpeg;
use crate::http::{get_data, login, Conn};
use crate::procs::Server;
use crate::progress;
use crate::report::{Budget, Row};
use crate::scan::{files_in_database, run_scan, write_config};
use crate::setup::{clear_thumbnails, PASSWORD, START_LIMIT, USER};
use common::browser::{Browser, Screen};
use serde_json::{json, Value};
use std::io::Read;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The section's title in the table.
pub const TITLE: &str = "Gallery in headless Chromium (phone screen 390×844 @3×; a folder of 10,000 photos)";

const PHOTOS: usize = 10_000;
/// The name of the folder, which is also its root catalog's name.
const FOLDER: &str = "ten-thousand";
const SCROLL_STEPS: u32 = 40;
/// The pause after each scroll step (as in the browser test), so the page gets to render.
const SCROLL_PAUSE: Duration = Duration::from_millis(50);
/// How long the last tile's thumbnail may take once the scroll reached the end.
const END_WAIT: Duration = Duration::from_secs(60);
/// The budget of src/web/assets.rs's unit test, in bytes (KB below means 1,000 bytes).
const APP_BUDGET_BYTES: f64 = 60_000.0;

/// Records, from before the page's own scripts run, the first animation frame in which every
/// tile in the viewport shows its loaded thumbnail: `window.__firstScreen` resolves to
/// `{ms, tiles}` (ms = performance.now(), from the start of the navigation). A tile counts as
/// shown when it is not hidden, has a size and overlaps the viewport.
const FIRST_SCREEN_PROBE: &str = "window.__firstScreen = new Promise((resolve) => {
  const shown = (tile) => {
    const r = tile.getBoundingClientRect();
    return !tile.hidden && r.width > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
  };
  const loaded = (tile) => tile.dataset.id && !tile.classList.contains('loading')
    && tile.querySelector('img')?.naturalWidth > 0;
  const look = () => {
    const tiles = [...document.querySelectorAll('.tile')].filter(shown);
    if (tiles.length && tiles.every(loaded)) resolve({ ms: performance.now(), tiles: tiles.length });
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
});";

/// Waits (within the session's 30 s script timeout) for the probe's answer.
const FIRST_SCREEN_WAIT: &str = "const done = arguments[arguments.length - 1];
  if (!window.__firstScreen) { done('the first-screen probe is not in the page'); return; }
  window.__firstScreen.then(done, (e) => done(String(e)));";

/// Runs `body(stats)` on thumbs.js's `stats`, the module instance the page runs (a dynamic
/// import of the same URL), and answers what it returns.
const WITH_THUMB_STATS: &str = "const done = arguments[arguments.length - 1];
  const body = new Function('stats', arguments[0]);
  const src = document.querySelector('script[type=module]').src.replace('main.js', 'thumbs.js');
  import(src).then((m) => done(body(m.stats)), (e) => done(String(e)));";

/// The scanned folder and where the bench finds it.
struct Gallery {
    app: PathBuf,
    /// The folder's catalog id (its URL is /web/c/<id>).
    folder: i64,
}

/// The figures of every run.
#[derive(Default)]
struct Runs {
    cold: Vec<f64>,
    cached: Vec<f64>,
    elements: Vec<f64>,
    peak: Vec<f64>,
}

/// The gallery rows: the browser rows (or one SKIPPED row) and the app's gzip size.
pub fn bench(bin: &Path, work: &Path, runs: usize) -> Result<Vec<Row>, String> {
    let gallery = prepare(bin, work)?;
    let (bytes, files) = {
        let (server, _) = Server::start(bin, &gallery.app, &[], START_LIMIT)?;
        app_transfer(server.addr)?
    };
    progress(&format!("gallery: the app transfers {bytes} bytes gzipped (page + {} assets)", files - 1));
    let mut rows = match unpanicked(|| measure(bin, &gallery, runs))? {
        Some(runs) => browser_rows(&runs),
        None => vec![Row::new(
            "gallery rows: SKIPPED — no Chromium or chromedriver (make bench-deps installs them)",
            "",
            &[],
        )],
    };
    rows.push(
        Row::new(
            format!("app transfer, gzip: page + {} assets of its module graph", files - 1),
            "KB",
            &[bytes as f64 / 1000.0],
        )
        .budget(Budget::AtMost(APP_BUDGET_BYTES / 1000.0)),
    );
    Ok(rows)
}

fn browser_rows(runs: &Runs) -> Vec<Row> {
    vec![
        Row::new("first screen of thumbnails, cold (thumbnails not built yet)", "ms", &runs.cold),
        Row::new("first screen of thumbnails, cached thumbnails (new browser profile)", "ms", &runs.cached)
            .budget(Budget::AtMost(1000.0)),
        Row::new("DOM elements, most while scrolling to the end", "elements", &runs.elements)
            .budget(Budget::AtMost(2000.0)),
        Row::new("thumbnail requests in flight, page's peak while scrolling", "requests", &runs.peak)
            .budget(Budget::AtMost(6.0)),
    ]
}

/// Writes the 10,000 photos into one folder, scans it for the bench's user into an app dir of
/// its own and finds the folder's id through the API.
fn prepare(bin: &Path, work: &Path) -> Result<Gallery, String> {
    let media = work.join("gallery").join(FOLDER);
    std::fs::create_dir_all(&media).map_err(|e| format!("{}: {e}", media.display()))?;
    progress(&format!("gallery: writing {PHOTOS} photos into {}", media.display()));
    let jpeg = photo_jpeg(320, 240, 10)?;
    for n in 0..PHOTOS {
        let path = media.join(format!("p{n:05}.jpg"));
        std::fs::write(&path, &jpeg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let app = work.join("apps/gallery");
    write_config(&app, &[&media], Some((USER, PASSWORD)))?;
    let elapsed = run_scan(bin, &app)?;
    let files = files_in_database(&app)?;
    progress(&format!("gallery: scanned {files} files in {:.1} s", elapsed.as_secs_f64()));
    if files != PHOTOS as i64 {
        return Err(format!("the gallery's app dir has {files} files, expected {PHOTOS}"));
    }
    let (server, _) = Server::start(bin, &app, &[], START_LIMIT)?;
    let cookie = login(server.addr, USER, PASSWORD)?;
    let roots = get_data(server.addr, "/catalogs.icc?pids=-1", &cookie)?;
    let folder = roots
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == FOLDER)
        .and_then(|c| c["id"].as_i64())
        .ok_or_else(|| format!("no root catalog named {FOLDER} in {roots}"))?;
    Ok(Gallery { app, folder })
}

/// Every run: an empty thumbnail cache and a fresh server, the cold first screen in one new
/// browser, the cached one in another, then the scroll to the end in that second browser.
/// None when there is no browser to run.
fn measure(bin: &Path, gallery: &Gallery, runs: usize) -> Result<Option<Runs>, String> {
    let mut figures = Runs::default();
    for run in 1..=runs {
        clear_thumbnails(&gallery.app)?;
        let (server, _) = Server::start(bin, &gallery.app, &[], START_LIMIT)?;
        let token = session_token(server.addr)?;
        let url = format!("http://{}/web/c/{}", server.addr, gallery.folder);
        let Some(cold_browser) = logged_in_browser(server.addr, &token) else { return Ok(None) };
        let (cold, tiles) = first_screen(&cold_browser, &url)?;
        drop(cold_browser);
        let Some(browser) = logged_in_browser(server.addr, &token) else { return Ok(None) };
        let (cached, _) = first_screen(&browser, &url)?;
        let (elements, peak) = scroll_to_end(&browser)?;
        progress(&format!(
            "gallery {run}/{runs}: first screen ({tiles} tiles) cold {cold:.0} ms, cached {cached:.0} ms; \
             scrolled to the end with at most {elements} elements, {peak} thumbnails in flight"
        ));
        figures.cold.push(cold);
        figures.cached.push(cached);
        figures.elements.push(elements as f64);
        figures.peak.push(peak as f64);
    }
    Ok(Some(figures))
}

/// Logs in over HTTP; the session token (the value of the `session` cookie).
fn session_token(addr: SocketAddr) -> Result<String, String> {
    let line = login(addr, USER, PASSWORD)?;
    line.trim().strip_prefix("Cookie: session=").map(str::to_string).ok_or_else(|| format!("no session in {line:?}"))
}

/// A new headless Chromium (fresh profile) that holds the session cookie and has already
/// opened a page of the server (a 404 text, which loads nothing), so the measured navigation
/// does not include starting the renderer. None when Chromium or chromedriver is missing.
fn logged_in_browser(addr: SocketAddr, token: &str) -> Option<Browser> {
    let browser = Browser::start(Screen::Phone)?;
    let cookie = json!({"name": "session", "value": token, "url": format!("http://{addr}/"),
        "httpOnly": true, "sameSite": "Lax"});
    browser.cdp("Network.setCookie", cookie);
    browser.goto(&format!("http://{addr}/web/no-such-place"));
    Some(browser)
}

/// Opens `url` with the first-screen probe in the page; (ms from navigation start, tiles shown).
fn first_screen(browser: &Browser, url: &str) -> Result<(f64, u64), String> {
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": FIRST_SCREEN_PROBE }));
    browser.goto(url);
    let answer = browser.exec_async(FIRST_SCREEN_WAIT, vec![]);
    match (answer["ms"].as_f64(), answer["tiles"].as_u64()) {
        (Some(ms), Some(tiles)) => Ok((ms, tiles)),
        _ => Err(format!("first screen of {url}: {answer}")),
    }
}

/// Scrolls the folder from top to bottom in [`SCROLL_STEPS`] steps, then waits for the last
/// tile's thumbnail. Returns the most DOM elements seen (after every step and at the end) and
/// the page's peak of thumbnail requests in flight since the scroll began.
fn scroll_to_end(browser: &Browser) -> Result<(u64, u64), String> {
    thumb_stats(browser, "stats.peak = stats.inFlight; return stats.peak;")?;
    let count = || browser.exec("return document.getElementsByTagName('*').length", vec![]).as_u64().unwrap_or(0);
    let mut most = count();
    for step in 1..=SCROLL_STEPS {
        let fraction = f64::from(step) / f64::from(SCROLL_STEPS);
        browser.exec(
            "scrollTo(0, arguments[0] * (document.documentElement.scrollHeight - innerHeight))",
            vec![json!(fraction)],
        );
        std::thread::sleep(SCROLL_PAUSE);
        most = most.max(count());
    }
    let last = PHOTOS - 1;
    let shown = format!("document.querySelector('.tile[data-index=\"{last}\"] img')?.naturalWidth > 0");
    wait_for_page(browser, &shown, END_WAIT)?;
    most = most.max(count());
    let peak = thumb_stats(browser, "return stats.peak;")?;
    Ok((most, peak.as_u64().ok_or_else(|| format!("thumbs.js's stats: {peak}"))?))
}

/// Runs a function body on thumbs.js's `stats` in the page.
fn thumb_stats(browser: &Browser, body: &str) -> Result<Value, String> {
    let answer = browser.exec_async(WITH_THUMB_STATS, vec![json!(body)]);
    if answer.is_string() {
        return Err(format!("thumbs.js's stats: {answer}"));
    }
    Ok(answer)
}

/// Polls the JavaScript expression `condition` until it is true, at most `limit`.
fn wait_for_page(browser: &Browser, condition: &str, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    while browser.exec(&format!("return !!({condition});"), vec![]) != true {
        if started.elapsed() > limit {
            return Err(format!("still not ({condition}) after {limit:?}"));
        }
        std::thread::sleep(SCROLL_PAUSE);
    }
    Ok(())
}

/// Runs `f`, turning a panic (the WebDriver client panics when a command fails) into an error.
fn unpanicked<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into());
        Err(message)
    })
}

/// The bytes the app transfers gzipped: `GET /` as a browser asks for it, then every
/// `/web/<version>/…` asset the page names and every module the scripts import (statically or
/// dynamically), each once. Returns the sum of the gzip bodies and the number of files.
fn app_transfer(addr: SocketAddr) -> Result<(usize, usize), String> {
    let mut conn = Conn::new(addr);
    let page = gzip_get(&mut conn, "/", "Accept: text/html\r\n")?;
    let html = gunzip(&page.1, "/")?;
    let prefix = "/web/";
    let version = html
        .split(prefix)
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .ok_or("the page names no /web/<version>/ asset")?
        .to_string();
    let mut queue: Vec<String> = linked_names(&html, &format!("{prefix}{version}/"), "\"");
    let (mut seen, mut bytes) = (Vec::new(), page.0);
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        let path = format!("{prefix}{version}/{name}");
        let (size, body) = gzip_get(&mut conn, &path, "")?;
        bytes += size;
        if name.ends_with(".js") {
            let text = gunzip(&body, &path)?;
            queue.extend(linked_names(&text, "from './", "'"));
            queue.extend(linked_names(&text, "import('./", "'"));
        }
        seen.push(name);
    }
    Ok((bytes, seen.len() + 1))
}

/// GET with `Accept-Encoding: gzip`, checked to be a 200 with a gzip body; (body size, body).
fn gzip_get(conn: &mut Conn, path: &str, extra: &str) -> Result<(usize, Vec<u8>), String> {
    let (head, body) =
        conn.get(path, &format!("{extra}Accept-Encoding: gzip\r\n")).map_err(|e| format!("GET {path}: {e}"))?;
    if head.status != 200 || !body.starts_with(&[0x1f, 0x8b]) {
        return Err(format!("GET {path}: HTTP {}, {} bytes, not gzip", head.status, body.len()));
    }
    Ok((body.len(), body))
}

fn gunzip(body: &[u8], path: &str) -> Result<String, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(body).read_to_string(&mut text).map_err(|e| format!("{path}: gunzip: {e}"))?;
    Ok(text)
}

/// The names that follow each `before` in `text`, up to `end`.
fn linked_names(text: &str, before: &str, end: &str) -> Vec<String> {
    text.split(before).skip(1).filter_map(|rest| rest.split(end).next()).map(str::to_string).collect()
}
