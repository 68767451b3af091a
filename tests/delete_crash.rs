//! deleteCatalog killed with SIGKILL at varied moments (issue 12 item 8). A large doomed tree
//! with rescued catalogs, relocated files and moved-in files is deleted again and again from the
//! same saved state, and the server is killed after a different delay each time: half timed from
//! the request, spread over how long the whole delete takes on this machine (measured first), and
//! half from the moment its journal appears, spread over the journal's life, so that kills land
//! during the moves even where a restarted, emulated server begins the delete late. After each
//! restart: every row points at an existing file, every file under the root has its row, the
//! delete happened wholly or not at all, and `isync scan` adds no rows.

use crate::common::http::read_response;
use crate::common::{run_isync, scan_config, Client, TestServer};
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `m/A/s0..s9/t0..t1`, 100 files in each leaf: 2,000 files in the doomed tree, plus 100 in `m/keep`.
const BRANCHES: usize = 10;
const FILES_PER_LEAF: usize = 100;
/// How many kills at least, at most, and how many must land while the delete runs.
const KILLS: usize = 12;
const MAX_KILLS: usize = 30;
const KILLS_DURING_THE_DELETE: usize = 4;

#[test]
fn a_delete_killed_at_any_moment_leaves_every_row_on_a_real_file_and_a_rescan_adds_nothing() {
    let saved = tempfile::tempdir().unwrap();
    let saved_dir = saved.path().to_path_buf();
    let mut server = TestServer::start_with(|dir| {
        build_library(dir);
        copy_tree(dir, &saved_dir);
    });
    let app_dir = server.app_dir().to_path_buf();
    let rows_before = row_count(&app_dir);
    let doomed = catalog_id(&app_dir, "m/A");

    // A delete that runs to its end: how long it takes, how long its journal lives, what it leaves.
    let client = logged_in(&server);
    let started = Instant::now();
    let mut request = send_delete(&client, doomed);
    let journal_life = watch_journal(&app_dir, &request);
    let answer = read_response(&mut request, "POST").unwrap().expect("an answer");
    assert_eq!(answer.data(), "OK");
    let whole = started.elapsed();
    let journal_life = journal_life.unwrap_or(whole);
    let rows_after = row_count(&app_dir);
    assert!(rows_after < rows_before - 1_000, "{rows_before} → {rows_after}");
    check_consistent(&app_dir);
    server = rescan_adds_nothing(server);

    let mut during = 0;
    for trial in 0..MAX_KILLS {
        if trial >= KILLS && during >= KILLS_DURING_THE_DELETE {
            break;
        }
        stop(&mut server);
        restore(&saved_dir, &app_dir);
        server = server.restart();
        let client = logged_in(&server);
        let request = send_delete(&client, doomed);
        // Even trials are timed from the request, spread over the whole delete and past it (the
        // moments before the journal and after the commit); odd ones from the journal's
        // appearance, spread over its life (a restarted server, under an emulator whose code
        // cache starts cold, may begin the delete much later than the timed run did).
        let step = (trial / 2 % (KILLS / 2)) as f64 / (KILLS / 2 - 1) as f64;
        let (anchor, delay) = if trial % 2 == 0 {
            ("the request", whole.mul_f64(1.2 * step))
        } else {
            wait_for_journal(&app_dir);
            ("the journal", journal_life.mul_f64(0.9 * step))
        };
        std::thread::sleep(delay + Duration::from_micros(trial as u64 * 397));
        stop(&mut server);
        drop(request);
        let journal_left = app_dir.join("deleteCatalog.journal").exists();
        let moved = !app_dir.join("m/A").exists() || app_dir.join("m/s8").exists();
        let caught = journal_left || (moved && row_count(&app_dir) == rows_before);
        during += usize::from(caught);
        server = server.restart(); // finishes or undoes the interrupted delete
        let rows = row_count(&app_dir);
        let outcome = if rows == rows_before { "undone" } else { "finished" };
        eprintln!(
            "trial {trial}: killed {delay:?} after {anchor} (delete {whole:?}, journal {journal_life:?}), {} → {outcome}",
            ["before or after it", "during it"][usize::from(caught)]
        );
        assert!(rows == rows_before || rows == rows_after, "trial {trial} ({delay:?}): {rows} rows");
        let catalog_kept = catalog_exists(&app_dir, doomed);
        assert_eq!(catalog_kept, rows == rows_before, "trial {trial}: the delete is whole or absent");
        assert_eq!(catalog_kept, app_dir.join("m/A").exists(), "trial {trial}: its directory too");
        assert!(!app_dir.join("deleteCatalog.journal").exists(), "trial {trial}: the journal was finished");
        check_consistent(&app_dir);
        server = rescan_adds_nothing(server);
    }
    assert!(
        during >= KILLS_DURING_THE_DELETE,
        "only {during} of the kills landed while the delete was running (it takes {whole:?} here)"
    );
}

/// How long the journal of the delete just sent on `request` lives: None when it came and went
/// between two looks, or the answer came first.
fn watch_journal(app_dir: &Path, request: &TcpStream) -> Option<Duration> {
    let journal = app_dir.join("deleteCatalog.journal");
    let answered = || {
        request.set_nonblocking(true).unwrap();
        let ready = !matches!(request.peek(&mut [0]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        request.set_nonblocking(false).unwrap();
        ready
    };
    let mut appeared = None;
    loop {
        match (appeared, journal.exists()) {
            (None, true) => appeared = Some(Instant::now()),
            (Some(since), false) => return Some(since.elapsed()),
            (None, false) if answered() => return None,
            _ => {}
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Waits (at most a minute) until the delete has written its journal.
fn wait_for_journal(app_dir: &Path) {
    let journal = app_dir.join("deleteCatalog.journal");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !journal.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The library, scanned, with the logical moves updateCatalog and updateFile make (written
/// straight into the database: hundreds of requests would only slow the test down):
/// `s8`, `s9` moved to the root (rescued), half of the files of `s0`–`s4` moved to `keep`
/// (relocated, with clash suffixes), half of `keep` moved into `s5/t0` (deleted with it).
fn build_library(dir: &Path) {
    let media = dir.join("m");
    for branch in 0..BRANCHES {
        for leaf in 0..2 {
            let leaf_dir = media.join(format!("A/s{branch}/t{leaf}"));
            std::fs::create_dir_all(&leaf_dir).unwrap();
            for n in 0..FILES_PER_LEAF {
                std::fs::write(leaf_dir.join(format!("f{n:03}.txt")), format!("{branch}/{leaf}/{n}")).unwrap();
            }
        }
    }
    std::fs::create_dir_all(media.join("keep")).unwrap();
    for n in 0..FILES_PER_LEAF {
        std::fs::write(media.join(format!("keep/k{n:03}.txt")), format!("keep {n}")).unwrap();
    }
    scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    let conn = Connection::open(dir.join("dataManager.db")).unwrap();
    let id = |path: &str| catalog_id(dir, path);
    let (root, keep, moved_in_to) = (id("m"), id("m/keep"), id("m/A/s5/t0"));
    for branch in [8, 9] {
        conn.execute("UPDATE Catalog SET parentId = ?1 WHERE id = ?2", [root, id(&format!("m/A/s{branch}"))]).unwrap();
    }
    for branch in 0..5 {
        for leaf in 0..2 {
            let leaf = id(&format!("m/A/s{branch}/t{leaf}"));
            let sql = "UPDATE Files SET catalogId = ?1 WHERE realCatalogId = ?2 AND fileName < 'f050'";
            conn.execute(sql, [keep, leaf]).unwrap();
        }
    }
    let sql = "UPDATE Files SET catalogId = ?1 WHERE realCatalogId = ?2 AND fileName < 'k050'";
    conn.execute(sql, [moved_in_to, keep]).unwrap();
    for leaf in ["m/A/s0/t0", "m/A/s8/t0", "m/keep"] {
        let leaf = id(leaf);
        let thumbs = dir.join("building/thumbs").join(leaf.to_string());
        std::fs::create_dir_all(&thumbs).unwrap();
        let mut stmt = conn.prepare("SELECT id FROM Files WHERE realCatalogId = ?1").unwrap();
        for file in stmt.query_map([leaf], |r| r.get::<_, i64>(0)).unwrap() {
            let file = file.unwrap();
            std::fs::write(thumbs.join(format!("thumb_{file}")), b"thumb").unwrap();
        }
    }
}

fn logged_in(server: &TestServer) -> Client {
    let mut client = server.client();
    client.login("terry", "123");
    client
}

/// Sends deleteCatalog without waiting for the answer.
fn send_delete(client: &Client, id: i64) -> TcpStream {
    let body = format!("ids={id}");
    let cookie = client.cookie.as_deref().expect("logged in");
    let mut stream = TcpStream::connect(&client.addr).unwrap();
    let request = format!(
        "POST /deleteCatalog.icc HTTP/1.1\r\nHost: {}\r\nCookie: session={cookie}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        client.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

/// SIGKILL, and wait until the process is gone.
fn stop(server: &mut TestServer) {
    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// Stops the server, rescans, and checks that the scan found nothing the database lacked.
fn rescan_adds_nothing(mut server: TestServer) -> TestServer {
    stop(&mut server);
    let before = row_count(server.app_dir());
    let (code, _, stderr) = run_isync(server.app_dir(), &["scan"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(row_count(server.app_dir()), before, "the rescan added rows: {stderr}");
    server.restart()
}

/// Every row's physical file exists, every file under `m/` has a row, and every thumbnail is
/// where its row says.
fn check_consistent(app_dir: &Path) {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    let rows: BTreeSet<PathBuf> = conn
        .prepare("SELECT c.path, f.fileName FROM Files f LEFT JOIN Catalog c ON c.id = f.realCatalogId")
        .unwrap()
        .query_map([], |r| {
            Ok(Path::new(&r.get::<_, Option<String>>(0)?.unwrap_or_default()).join(r.get::<_, String>(1)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let missing: Vec<&PathBuf> = rows.iter().filter(|path| !path.is_file()).collect();
    assert!(missing.is_empty(), "{} rows point at no file, e.g. {:?}", missing.len(), missing.first());
    let mut on_disk = Vec::new();
    files_under(&app_dir.join("m"), &mut on_disk);
    let unlisted: Vec<&PathBuf> = on_disk.iter().filter(|path| !rows.contains(*path)).collect();
    assert!(unlisted.is_empty(), "{} files have no row, e.g. {:?}", unlisted.len(), unlisted.first());
    check_thumbnails(app_dir, &conn);
}

/// Every cached thumbnail `building/thumbs/<catalog>/thumb_<file>` belongs to a row whose
/// physical catalog is `<catalog>` (moved with its file, removed with its row).
fn check_thumbnails(app_dir: &Path, conn: &Connection) {
    let mut thumbs = Vec::new();
    files_under(&app_dir.join("building/thumbs"), &mut thumbs);
    for thumb in thumbs {
        let catalog: i64 = thumb.parent().unwrap().file_name().unwrap().to_str().unwrap().parse().unwrap();
        let file: i64 = thumb.file_name().unwrap().to_str().unwrap().strip_prefix("thumb_").unwrap().parse().unwrap();
        let real: Option<i64> =
            conn.query_row("SELECT realCatalogId FROM Files WHERE id = ?1", [file], |r| r.get(0)).ok();
        assert_eq!(real, Some(catalog), "{} does not match its row", thumb.display());
    }
}

/// The regular files the scanner would see: no dot-entries, links not followed.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files_under(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

fn row_count(app_dir: &Path) -> i64 {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    conn.query_row("SELECT count(*) FROM Files", [], |r| r.get(0)).unwrap()
}

fn catalog_id(app_dir: &Path, relative: &str) -> i64 {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    let path = app_dir.join(relative);
    conn.query_row("SELECT id FROM Catalog WHERE path = ?1", [path.to_str().unwrap()], |r| r.get(0))
        .unwrap_or_else(|e| panic!("no catalog {}: {e}", path.display()))
}

fn catalog_exists(app_dir: &Path, id: i64) -> bool {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    conn.query_row("SELECT count(*) FROM Catalog WHERE id = ?1", [id], |r| r.get::<_, i64>(0)).unwrap() == 1
}

/// Makes `app_dir` what `saved` holds again (the server is stopped).
fn restore(saved: &Path, app_dir: &Path) {
    for entry in std::fs::read_dir(app_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    copy_tree(saved, app_dir);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
