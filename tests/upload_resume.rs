//! `uploadFile.icc` under stress: uploads cut off mid-body and resumed at odd offsets, a server
//! SIGKILLed mid-upload, two uploads to one file at once, a full and a read-only disk, and the
//! server's memory while it receives a large body. Large bodies are generated on the fly.

use crate::common::upload::{self, digests, file, generated, Data, Part, Tmpfs};
use crate::common::{running_as_root, skipped, Client, TestServer};
use crate::uploads::{new_upload, register, root_catalog, stored, uploading};
use crate::{family_library, family_setup};
use std::io::Write;
use std::time::{Duration, Instant};

const MB: u64 = 1_000_000;

/// The generated stream `seed` from `from` to `to` as an origin part.
fn origin(seed: u64, from: u64, to: u64) -> Vec<Part> {
    vec![file("origin", Data::Generated { seed, from, len: to - from })]
}

fn origin_size(client: &mut Client, id: i64) -> u64 {
    let list = uploading(client);
    let info = list.iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("{id} is not uploading: {list:?}"));
    info["uploadingOriginSize"].as_u64().expect("uploadingOriginSize")
}

/// Polls `uploadingInfo.icc` until the stored origin of `id` has grown past zero.
fn wait_for_bytes_on_disk(client: &mut Client, id: i64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let size = origin_size(client, id);
        if size > 0 || Instant::now() > deadline {
            return size;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A cut-off upload: answered -10003, statuses uploading, a prefix of at most `cut` bytes stored.
fn cut_at(server: &TestServer, client: &mut Client, id: i64, seed: u64, total: u64, from: u64, cut: u64) -> u64 {
    let response = upload::upload_cut(client, &format!("id={id}&obp={from}"), &origin(seed, from, total), cut - from);
    assert_eq!(response.code(), -10003, "a cut-off body is a failure");
    let stored_size = origin_size(client, id);
    assert!(stored_size <= cut && stored_size + 80 >= cut, "stored {stored_size} after a cut at {cut}");
    let (path, statuses) = stored(server, id);
    assert_eq!(statuses[0], 2);
    let tail_from = stored_size.saturating_sub(4096);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, stored_size);
    assert!(
        bytes[tail_from as usize..] == generated(seed, tail_from, (stored_size - tail_from) as usize)[..],
        "a prefix"
    );
    stored_size
}

#[test]
fn a_50_mb_upload_cut_twice_resumes_at_odd_offsets_and_matches_sha1_and_md5() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let total = 50 * MB;
    let id = new_upload(&mut client, "&statusForThumb=2");
    let first = cut_at(&server, &mut client, id, 7, total, 0, 7_777_777);
    let second = cut_at(&server, &mut client, id, 7, total, first, 31_415_926);
    let parts = [origin(7, second, total), vec![file("thumb", Data::Bytes(b"thumb".to_vec()))]].concat();
    let done = upload::upload(&client, &format!("id={id}&obp={second}&cm=sha1"), &parts).data();
    let (sha1, md5) = digests(7, total);
    assert_eq!(done["check"]["origin"], sha1);
    assert_eq!(done["fileInfo"]["size"], total);
    assert_eq!(stored(&server, id).1, [3, 3, 0]);
    let again = upload::upload(&client, &format!("id={id}&obp={total}&cm=md5"), &origin(7, total, total)).data();
    assert_eq!(again["check"]["origin"], md5, "md5 of the whole stored file");
}

#[test]
fn an_upload_cut_off_mid_body_leaves_every_touched_status_uploading_and_a_prefix_on_disk() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let id = register(&mut client, cid, "")["id"].as_i64().unwrap();
    let parts = [vec![file("thumb", Data::Bytes(b"t".to_vec()))], origin(3, 0, 3 * MB)].concat();
    upload::upload(&client, &format!("id={id}"), &[file("thumb", Data::Bytes(b"t".to_vec()))]).data();
    assert_eq!(stored(&server, id).1, [2, 3, 0]);
    let mut stream = upload::start(&client, &format!("id={id}"), &parts);
    let mut writer = std::io::BufWriter::new(&mut stream);
    writer.write_all(&upload::body_prefix(&parts, 1)).unwrap();
    writer.write_all(&generated(3, 0, 1_234_567)).unwrap();
    drop(writer);
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(upload::read_to_close(stream).code(), -10003);
    assert_eq!(stored(&server, id).1, [2, 2, 0], "both touched parts are uploading");
    let info = uploading(&mut client).into_iter().find(|f| f["id"] == id).unwrap();
    assert_eq!(info["uploadingThumbSize"], 1);
    let on_disk = std::fs::read(stored(&server, id).0).unwrap();
    assert!(on_disk.len() <= 1_234_567 && on_disk.len() + 80 >= 1_234_567);
    assert_eq!(on_disk, generated(3, 0, on_disk.len()));
}

#[test]
fn a_server_killed_mid_upload_resumes_after_restart_with_a_matching_sha1() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let total = 20 * MB;
    let id = new_upload(&mut client, "");
    let parts = origin(11, 0, total);
    let mut stream = upload::start(&client, &format!("id={id}"), &parts);
    upload::write_body(&mut stream, &parts, Some(6 * MB)).unwrap();
    assert!(wait_for_bytes_on_disk(&mut client, id) > 0, "the server started writing");
    let server = server.restart();
    drop(stream);
    let mut client = server.client();
    client.login("terry", "123");
    let resume_at = origin_size(&mut client, id);
    assert!(resume_at > 0 && resume_at <= 6 * MB, "resume from {resume_at}");
    assert_eq!(stored(&server, id).1[0], 2, "never 'uploaded' after a crash");
    let done =
        upload::upload(&client, &format!("id={id}&obp={resume_at}&cm=sha1"), &origin(11, resume_at, total)).data();
    assert_eq!(done["check"]["origin"], digests(11, total).0);
    assert_eq!(done["fileInfo"]["size"], total);
}

#[test]
fn a_second_upload_to_a_file_that_is_being_uploaded_is_refused_and_the_first_completes() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let total = 4 * MB;
    let id = new_upload(&mut client, "");
    let parts = origin(5, 0, total);
    let mut first = upload::start(&client, &format!("id={id}&cm=sha1"), &parts);
    upload::write_body(&mut first, &parts, Some(MB)).unwrap();
    assert!(wait_for_bytes_on_disk(&mut client, id) > 0, "the first upload holds the lock");
    let second = upload::upload(&client, &format!("id={id}&cm=sha1"), &origin(6, 0, 1000));
    assert_eq!(second.code(), -10003, "refused, not queued");
    upload::write_rest(&mut first, &parts, MB).unwrap();
    let done = upload::read_to_close(first);
    assert_eq!(done.data()["check"]["origin"], digests(5, total).0);
    assert_eq!(stored(&server, id).1[0], 3);
}

#[test]
fn receiving_200_mb_does_not_grow_the_servers_memory() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    upload::upload(&client, &format!("id={id}&cm=sha1"), &origin(9, 0, MB)).data();
    let before = server.rss_kib();
    let total = 200 * MB;
    let done = upload::upload(&client, &format!("id={id}&obp={MB}&cm=sha1"), &origin(9, MB, total)).data();
    assert_eq!(done["check"]["origin"], digests(9, total).0);
    let peak = server.peak_rss_kib();
    eprintln!("server RSS before {before} KiB, peak {peak} KiB while receiving 200 MB");
    assert!(peak < before + 16 * 1024, "RSS grew from {before} KiB to a peak of {peak} KiB");
}

/// Run by hand against a release binary (the figure in the report):
/// `ISYNC_BIN=target/release/isync cargo test one_gigabyte -- --ignored --nocapture`
#[test]
#[ignore = "sends 1 GB; run by hand with a release binary"]
fn receiving_one_gigabyte_does_not_grow_the_servers_memory() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    upload::upload(&client, &format!("id={id}"), &origin(10, 0, MB)).data();
    let before = server.rss_kib();
    let total = 1_000 * MB;
    let started = Instant::now();
    let done = upload::upload(&client, &format!("id={id}&obp={MB}&cm=sha1"), &origin(10, MB, total)).data();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(done["check"]["origin"], digests(10, total).0);
    let (after, peak) = (server.rss_kib(), server.peak_rss_kib());
    eprintln!("1 GB in {seconds:.1} s: server RSS before {before} KiB, after {after} KiB, peak {peak} KiB");
    assert!(peak < before + 16 * 1024, "RSS grew from {before} KiB to a peak of {peak} KiB");
}

#[test]
fn a_full_disk_fails_with_minus_10003_and_the_upload_resumes_once_space_is_freed() {
    if !running_as_root() {
        return skipped("needs root: mounts a tmpfs");
    }
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let disk = Tmpfs::mount(&server.app_dir().join("terry"), "1m");
    let id = register(&mut client, cid, "")["id"].as_i64().unwrap();
    let total = 3 * MB;
    let full = upload::upload(&client, &format!("id={id}"), &origin(4, 0, total));
    assert_eq!(full.code(), -10003, "ENOSPC is an I/O failure of the upload");
    assert_eq!(stored(&server, id).1[0], 2);
    let kept = origin_size(&mut client, id);
    assert!(kept <= 1 << 20, "{kept}");
    disk.remount("size=8m");
    let done = upload::upload(&client, &format!("id={id}&obp={kept}&cm=sha1"), &origin(4, kept, total)).data();
    assert_eq!(done["check"]["origin"], digests(4, total).0);
    assert_eq!(stored(&server, id).1[0], 3);
}

#[test]
fn a_read_only_file_system_fails_with_minus_10003_and_the_upload_resumes_when_writable() {
    if !running_as_root() {
        return skipped("needs root: mounts a tmpfs");
    }
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let disk = Tmpfs::mount(&server.app_dir().join("terry"), "8m");
    let id = register(&mut client, cid, "")["id"].as_i64().unwrap();
    upload::upload_cut(&client, &format!("id={id}"), &origin(8, 0, 2 * MB), 500_000);
    let kept = origin_size(&mut client, id);
    disk.remount("ro");
    assert_eq!(upload::upload(&client, &format!("id={id}&obp={kept}"), &origin(8, kept, 2 * MB)).code(), -10003);
    let refused = client.post_form("/uploadFileInfo.icc", &format!("cid={cid}&name=a&size=1&type=1&ext=jpg"));
    assert_eq!((refused.status, refused.code()), (500, -102));
    assert_eq!(origin_size(&mut client, id), kept, "nothing lost, nothing added");
    disk.remount("rw");
    let done = upload::upload(&client, &format!("id={id}&obp={kept}&cm=sha1"), &origin(8, kept, 2 * MB)).data();
    assert_eq!(done["check"]["origin"], digests(8, 2 * MB).0);
}

/// Root writes through directory permissions, so the server runs unprivileged here (as
/// `nobody` when the tests run as root): the check runs everywhere, CI included.
#[test]
fn read_only_directories_refuse_placeholders_and_thumbnails_without_breaking_the_database() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start_unprivileged_with(family_setup);
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let id = register(&mut client, cid, "&statusForThumb=2")["id"].as_i64().unwrap();
    let catalog_dir = server.app_dir().join("terry");
    let thumb_dir = server.app_dir().join("building/thumbs").join(cid.to_string());
    std::fs::create_dir_all(&thumb_dir).unwrap();
    server.hand_over(&thumb_dir);
    let read_only = std::fs::Permissions::from_mode(0o555);
    std::fs::set_permissions(&catalog_dir, read_only.clone()).unwrap();
    std::fs::set_permissions(&thumb_dir, read_only).unwrap();
    let placeholder =
        client.post_form("/uploadFileInfo.icc", &format!("cid={cid}&name=a&size=1&type=1&ext=jpg")).code();
    let thumb = upload::upload(&client, &format!("id={id}"), &[file("thumb", Data::Bytes(b"t".to_vec()))]).code();
    for dir in [&catalog_dir, &thumb_dir] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(placeholder, -102);
    assert_eq!(thumb, -10003);
    assert_eq!(stored(&server, id).1, [2, 2, 0]);
    let done = upload::upload(&client, &format!("id={id}"), &[file("thumb", Data::Bytes(b"t".to_vec()))]);
    assert_eq!(done.code(), 0, "writable again, the upload goes through");
    assert_eq!(std::fs::read(thumb_dir.join(format!("thumb_{id}"))).unwrap(), b"t");
}
