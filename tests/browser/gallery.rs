//! The web gallery in Chromium against the real binary: logging in, two folder levels and
//! back, a folder's tiles, the viewer by key and by swipe, a share link opened in a fresh
//! profile, deleting a file, and a cross-site form post that changes nothing. Each step that
//! shows something new saves screenshots at phone and desktop size.

use crate::common::browser::{Browser, Screen};
use crate::common::{Client, TestServer};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// Logs `user` in through the login page and waits for their first folder's tiles.
fn log_in(browser: &Browser, server: &TestServer, user: &str, password: &str) {
    super::log_in_at(browser, &format!("http://{}/", server.addr), user, password);
    browser.wait_for(".tile[data-id]", WAIT);
}

/// Waits until the grid shows exactly the tiles of `ids` (a place just left may still be drawn).
fn wait_for_tiles(browser: &Browser, ids: &BTreeSet<i64>) {
    let want = serde_json::to_string(ids).unwrap();
    browser.wait_until(
        &format!("JSON.stringify([...document.querySelectorAll('.tile[data-id]')].map(t => +t.dataset.id).sort((a, b) => a - b)) == '{want}'"),
        WAIT,
    );
}

/// The ids of the files directly in catalog `id`, as the §4 API lists them.
fn file_ids_in(client: &mut Client, id: i64) -> BTreeSet<i64> {
    let list = client.get(&format!("/files.icc?pids={id}&pageIndex=0")).data()["list"].clone();
    list.as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect()
}

fn root_and_children(client: &mut Client) -> (i64, i64, i64) {
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let sub = client.get(&format!("/catalogs.icc?pids={root}")).data()[0]["id"].as_i64().unwrap();
    let deeper = client.get(&format!("/catalogs.icc?pids={sub}")).data()[0]["id"].as_i64().unwrap();
    (root, sub, deeper)
}

fn viewer_index(browser: &Browser) -> i64 {
    let index = browser.exec("return document.querySelector('.viewer')?.dataset.index", vec![]);
    index.as_str().and_then(|i| i.parse().ok()).expect("the viewer shows a file")
}

#[test]
fn a_family_member_logs_in_browses_two_folder_levels_and_steps_through_the_viewer() {
    let server = crate::family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let (root, sub, deeper) = root_and_children(&mut client);
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    browser.goto(&format!("http://{}/", server.addr));
    browser.wait_for("#user", WAIT);
    browser.screenshots("gallery-login");
    browser.type_into("#user", "terry");
    browser.type_into("#password", "wrong");
    browser.press("Enter");
    browser.wait_until("document.querySelector('.login .error')?.textContent.length > 0", WAIT);
    browser.type_into("#password", "123");
    browser.press("Enter");
    browser.wait_for(".tile[data-id]", WAIT);
    assert!(browser.url().ends_with(&format!("/web/c/{root}")), "{}", browser.url());
    wait_for_tiles(&browser, &file_ids_in(&mut client, root));
    browser.wait_until("[...document.querySelectorAll('.tile img')].filter(i => i.naturalWidth > 0).length >= 2", WAIT);
    browser.screenshots("gallery-folder");

    // Two levels down by the folder cards, each with its breadcrumbs, then back.
    browser.find("a.folder").expect("the sub folder's card").click();
    browser.wait_until(&format!("location.pathname == '/web/c/{sub}'"), WAIT);
    wait_for_tiles(&browser, &file_ids_in(&mut client, sub)); // drawn: the old card is gone
    browser.find("a.folder").expect("the deeper folder's card").click();
    browser.wait_until(&format!("location.pathname == '/web/c/{deeper}'"), WAIT);
    wait_for_tiles(&browser, &file_ids_in(&mut client, deeper));
    let crumbs =
        browser.exec("return [...document.querySelectorAll('.trail a, .trail span')].map(e => e.textContent)", vec![]);
    assert_eq!(crumbs, json!(["terry", "sub", "deeper"]));
    browser.screenshots("gallery-deeper");
    browser.exec("history.back()", vec![]);
    browser.wait_until(&format!("location.pathname == '/web/c/{sub}'"), WAIT);
    wait_for_tiles(&browser, &file_ids_in(&mut client, sub));
    browser.find(&format!(".trail a[href='/web/c/{root}']")).expect("a crumb to the root").click();
    browser.wait_until(&format!("location.pathname == '/web/c/{root}'"), WAIT);
    wait_for_tiles(&browser, &file_ids_in(&mut client, root));

    // The viewer: the next file by key, then by a swipe to the left.
    browser.find(".tile[data-id]").expect("a tile").click();
    browser.wait_for(".viewer .stage > *", WAIT);
    assert_eq!(viewer_index(&browser), 0);
    browser.screenshots("gallery-viewer");
    browser.press("ArrowRight");
    browser.wait_until("document.querySelector('.viewer').dataset.index == '1'", WAIT);
    let (x, y, width, height) = browser.find(".viewer .stage").unwrap().rect();
    let middle = y + height / 2.0;
    browser.swipe((x + width * 0.85, middle), (x + width * 0.15, middle), 250);
    browser.wait_until("document.querySelector('.viewer').dataset.index == '2'", WAIT);
    browser.press("Escape");
    browser.wait_until("!document.querySelector('.viewer')", WAIT);
}

#[test]
fn a_share_link_opens_in_a_fresh_browser_and_a_deleted_file_leaves_the_grid_and_the_disk() {
    let server = crate::family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let a = crate::file_id(&mut client, "a.jpg");
    let Some(browser) = Browser::start(Screen::Desktop) else { return };
    log_in(&browser, &server, "terry", "123");
    browser.find(&format!(".tile[data-id='{a}']")).expect("a.jpg's tile").click();
    browser.wait_for(".viewer .stage img", WAIT);
    browser.find(".viewer button[aria-label='Share']").unwrap().click();
    let link = browser.wait_for("dialog input[readonly]", WAIT).attr("value").expect("the link");
    assert!(link.starts_with(&format!("http://{}/web/s/", server.addr)), "{link}");
    browser.screenshots("gallery-share-dialog");

    // Someone without a session: the photo, its name and a download button.
    let Some(stranger) = Browser::start(Screen::Phone) else { return };
    stranger.goto(&link);
    stranger.wait_until("document.querySelector('.shared img')?.naturalWidth == 64", WAIT);
    assert!(stranger.find(".shared figcaption").unwrap().text().contains("a.jpg"));
    let download = stranger.find(".shared a[download]").expect("a download button");
    assert!(download.attr("href").unwrap().contains("shareFile"), "{:?}", download.attr("href"));
    assert!(stranger.cookies().is_empty(), "the stranger has no session: {:?}", stranger.cookies());
    stranger.screenshots("gallery-shared");
    stranger.goto(&format!("http://{}/web/s/0123456789abcdef0123456789abcdef", server.addr));
    stranger.wait_until("/expired|does not exist/.test(document.body.textContent)", WAIT);

    // Delete it from the viewer, after confirming.
    browser.find("dialog button.btn:not(.primary)").expect("the dialog's Close").click();
    browser.find(".viewer button[aria-label='Delete']").unwrap().click();
    browser.wait_for("dialog .btn.danger", WAIT);
    browser.screenshots("gallery-delete-confirm");
    browser.find("dialog .btn.danger").unwrap().click();
    browser.wait_until(&format!("!document.querySelector('.viewer') && !document.querySelector(\".tile[data-id='{a}']\") && !!document.querySelector('.tile')"), WAIT);
    assert!(!server.app_dir().join("terry/a.jpg").exists(), "the file is gone from the disk");
    let list = client.get("/files.icc?pageIndex=0").data()["list"].clone();
    assert!(list.as_array().unwrap().iter().all(|f| f["id"] != a), "{list}");
}

#[test]
fn a_form_posted_from_another_sites_page_changes_nothing() {
    let server = crate::family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    log_in(&browser, &server, "terry", "123");
    // Another origin on the same host (same site, so the Lax cookie goes along).
    let evil = format!(
        "<!doctype html><title>prize</title><form method=post action='http://{}/createCatalog.icc'>\
         <input name=parentId value={root}><input name=name value=evil></form>\
         <script>document.forms[0].submit()</script>",
        server.addr
    );
    let page = serve_once(evil);
    browser.goto(&format!("http://{page}/"));
    browser
        .wait_until("location.pathname == '/createCatalog.icc' && document.body.textContent.includes('-10002')", WAIT);
    browser.screenshots("gallery-cross-site-refused");
    let children = client.get(&format!("/catalogs.icc?pids={root}")).data();
    assert!(children.as_array().unwrap().iter().all(|c| c["name"] != "evil"), "{children}");
    // The page itself, from its own origin, still creates folders.
    browser.goto(&format!("http://{}/web/c/{root}", server.addr));
    browser.wait_for("button[aria-label='New folder']", WAIT).click();
    browser.wait_for("dialog input", WAIT).send_keys("Holidays");
    browser.press("Enter");
    browser.wait_until("/Holidays/.test(document.querySelector('.trail').textContent)", WAIT);
    let children = client.get(&format!("/catalogs.icc?pids={root}")).data();
    assert!(children.as_array().unwrap().iter().any(|c| c["name"] == "Holidays"), "{children}");
}

/// Serves `html` to every request on a port of its own, in a thread; returns its address.
fn serve_once(html: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    addr
}
