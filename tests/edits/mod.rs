//! The editing endpoints: createCatalog, updateCatalog, deleteCatalog, deleteFiles, updateFile
//! (protocol §4.7–4.9, §4.18–4.19), checked through the API and on disk. Helpers shared by the
//! three modules live here.

mod catalogs;
mod deletion;
mod files;

use crate::common::{fixtures, media_dir, scan_config, Client, TestServer};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// terry → `terry/` (as in `family_library`) and `shared/` (s.jpg); anna → `anna/` (x.jpg) and
/// `shared/`. Both users see the shared root.
pub fn shared_library() -> TestServer {
    TestServer::start_with(|dir| {
        let terry = media_dir(dir, "terry");
        fixtures::jpeg(&terry.join("a.jpg"), 64, 48, None);
        std::fs::create_dir_all(terry.join("sub/deeper")).unwrap();
        fixtures::gif(&terry.join("sub/c.gif"), 20, 10, 3, 10);
        fixtures::jpeg(&terry.join("sub/deeper/d.jpg"), 30, 20, None);
        let shared = media_dir(dir, "shared");
        fixtures::jpeg(&shared.join("s.jpg"), 16, 16, None);
        let anna = media_dir(dir, "anna");
        fixtures::jpeg(&anna.join("x.jpg"), 16, 16, None);
        scan_config(
            dir,
            &[
                ("terry", "123", &[terry.as_path(), shared.as_path()]),
                ("anna", "456", &[anna.as_path(), shared.as_path()]),
            ],
        );
    })
}

pub fn logged_in(server: &TestServer, user: &str, password: &str) -> Client {
    let mut client = server.client();
    client.login(user, password);
    client
}

/// terry logged in, with the ids of his root catalog, its `sub` and `sub/deeper`.
pub fn terry_with_tree(server: &TestServer) -> (Client, [i64; 3]) {
    let mut client = logged_in(server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    let deeper = catalog_named(&mut client, sub, "deeper")["id"].as_i64().unwrap();
    (client, [root, sub, deeper])
}

/// The user's root catalog with this display name.
pub fn root_named(client: &mut Client, name: &str) -> i64 {
    catalog_named(client, -1, name)["id"].as_i64().unwrap()
}

/// The visible child of `parent` with this display name, as CatalogInfo.
pub fn catalog_named(client: &mut Client, parent: i64, name: &str) -> Value {
    let list = client.get(&format!("/catalogs.icc?pids={parent}")).data();
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no catalog {name:?} under {parent}: {list}"))
        .clone()
}

/// CatalogInfo of a visible catalog, found among the children of `parent`.
pub fn catalog_info(client: &mut Client, parent: i64, id: i64) -> Option<Value> {
    let list = client.get(&format!("/catalogs.icc?pids={parent}")).data();
    list.as_array().unwrap().iter().find(|c| c["id"] == id).cloned()
}

/// Display names of the files `files.icc` lists with the given extra query, sorted.
pub fn file_names(client: &mut Client, query: &str) -> Vec<String> {
    let data = client.get(&format!("/files.icc?pageIndex=0{query}")).data();
    let mut names: Vec<String> =
        data["list"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

/// Entry names of a directory, sorted (empty when it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(list) => list.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

pub fn thumb_root(server: &TestServer) -> PathBuf {
    server.app_dir().join("building/thumbs")
}

/// Writes a fake cached thumbnail `thumb_<id>` or `thumbScreen_<id>` for a file.
pub fn put_thumb(server: &TestServer, real_catalog: i64, file: i64, screen: bool, bytes: &[u8]) -> PathBuf {
    let dir = thumb_root(server).join(real_catalog.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(if screen { format!("thumbScreen_{file}") } else { format!("thumb_{file}") });
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Percent-encodes every byte that is not an ASCII letter or digit.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The bytes downFile sends for a file id (status 200 asserted).
pub fn download(client: &mut Client, id: i64) -> Vec<u8> {
    let response = client.get(&format!("/downFile.icc?id={id}"));
    assert_eq!(response.status, 200, "download of {id}: {}", String::from_utf8_lossy(&response.body));
    response.body
}

/// A direct connection to the server's database, for facts the API deliberately hides.
pub fn database(server: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn
}
