//! Folders and the grid's order in Chromium: a folder created, renamed and (after a cancelled
//! and then a confirmed question) deleted from the folder page, on the server and on the disk
//! (where a rename changes only the name shown);
//! sort and filter chosen in the page change the tiles and the URL, and a reload keeps them.

use crate::common::browser::{Browser, Screen};
use crate::common::Client;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The names of the root's sub-folders, as the §4 API lists them.
fn folder_names(client: &mut Client, root: i64) -> Vec<String> {
    let children = client.get(&format!("/catalogs.icc?pids={root}")).data();
    children.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

/// The directories in `dir` whose names start with `prefix` (createCatalog names a folder's
/// directory `<name>_<date>_<n>`, protocol §3.7).
fn directories(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap().flatten().filter(|e| e.path().is_dir());
    entries.filter_map(|e| e.file_name().into_string().ok()).filter(|name| name.starts_with(prefix)).collect()
}

/// Waits until the tiles of the grid, in order, are named `names`.
fn wait_for_names(browser: &Browser, names: &[&str]) {
    let want = json!(names).to_string();
    browser.wait_until(
        &format!("JSON.stringify([...document.querySelectorAll('.tile[data-id]')].sort((a, b) => a.dataset.index - b.dataset.index).map(t => t.getAttribute('aria-label'))) == '{want}'"),
        WAIT,
    );
}

/// Chooses `value` in the select named `name`, as a user would (the change event fires).
fn choose(browser: &Browser, name: &str, value: &str) {
    let script = "const s = document.querySelector(`select[aria-label=${arguments[0]}]`);
        s.value = arguments[1]; s.dispatchEvent(new Event('change'));";
    browser.exec(script, vec![json!(name), json!(value)]);
}

fn trail(browser: &Browser) -> Value {
    browser.exec("return [...document.querySelectorAll('.trail a, .trail span')].map(e => e.textContent)", vec![])
}

#[test]
fn a_folder_is_created_renamed_and_deleted_after_confirming() {
    let server = crate::family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT);

    browser.find("button[aria-label='New folder']").expect("New folder").click();
    browser.wait_for("dialog input", WAIT).send_keys("Trips");
    browser.press("Enter");
    browser.wait_until("document.querySelector('.trail [aria-current]')?.textContent == 'Trips'", WAIT);
    assert_eq!(trail(&browser), json!(["terry", "Trips"]));
    let terry = server.app_dir().join("terry");
    assert_eq!(directories(&terry, "Trips_").len(), 1, "the folder is on the disk");
    browser.screenshots("gallery-folder-new");

    browser.find("button[aria-label='Rename folder']").expect("Rename folder").click();
    let input = browser.wait_for("dialog input", WAIT);
    assert_eq!(input.attr("value").as_deref(), Some("Trips"), "the dialog starts from the name");
    browser.exec("document.querySelector('dialog input').value = ''", vec![]);
    input.send_keys("Trips 2024");
    browser.press("Enter");
    browser.wait_until("document.querySelector('.trail [aria-current]')?.textContent == 'Trips 2024'", WAIT);
    let names = folder_names(&mut client, root);
    assert!(names.contains(&"Trips 2024".to_string()) && !names.contains(&"Trips".to_string()), "{names:?}");

    // Deleting asks first; Cancel keeps the folder.
    browser.find("button[aria-label='Delete folder']").expect("Delete folder").click();
    browser.wait_for("dialog .btn.danger", WAIT);
    browser.screenshots("gallery-folder-delete-confirm");
    browser.find("dialog .btn:not(.danger)").expect("Cancel").click();
    browser.wait_until("!document.querySelector('dialog')", WAIT);
    assert!(folder_names(&mut client, root).contains(&"Trips 2024".to_string()), "Cancel deleted it");
    browser.find("button[aria-label='Delete folder']").unwrap().click();
    browser.wait_for("dialog .btn.danger", WAIT).click();
    browser.wait_until(&format!("location.pathname == '/web/c/{root}'"), WAIT);
    assert_eq!(folder_names(&mut client, root), ["sub"], "only the scanned sub-folder is left");
    assert_eq!(directories(&terry, "Trips_"), Vec::<String>::new(), "gone from the disk");
}

#[test]
fn sort_and_filter_change_the_tiles_and_the_url_and_a_reload_keeps_them() {
    let server = crate::family_library();
    let terry = server.app_dir().join("terry");
    let Some(browser) = Browser::start(Screen::Desktop) else { return };
    super::log_in_at(&browser, &format!("http://{}/", server.addr), "terry", "123");
    browser.wait_for(".tile[data-id]", WAIT);

    choose(&browser, "sort", "name");
    wait_for_names(&browser, &["a.jpg", "b.png", "notes.txt"]);
    assert!(browser.url().contains("sort=name"), "{}", browser.url());

    choose(&browser, "sort", "-size");
    let mut by_size: Vec<(u64, &str)> = ["a.jpg", "b.png", "notes.txt"]
        .into_iter()
        .map(|name| (std::fs::metadata(terry.join(name)).unwrap().len(), name))
        .collect();
    by_size.sort_by(|a, b| b.cmp(a));
    let largest_first: Vec<&str> = by_size.iter().map(|&(_, name)| name).collect();
    wait_for_names(&browser, &largest_first);

    choose(&browser, "types", "1,2"); // Photos: images and GIFs
    let photos: Vec<&str> = largest_first.iter().copied().filter(|name| *name != "notes.txt").collect();
    wait_for_names(&browser, &photos);
    let url = browser.url();
    assert!(url.contains("sort=-size") && url.contains("types=1%2C2"), "{url}");
    browser.screenshots("gallery-sorted-filtered");

    browser.exec("location.reload()", vec![]);
    browser.wait_for(".tile[data-id]", WAIT);
    wait_for_names(&browser, &photos);
    let chosen = browser.exec("return [...document.querySelectorAll('select')].map(s => s.value)", vec![]);
    assert_eq!(chosen, json!(["-size", "1,2"]), "the page shows the sort and filter of its URL");
}
