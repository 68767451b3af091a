//! Media safety through the real binary: ffmpeg reads only the container a file really is
//! (`playlists`), no symbolic link swapped in after a scan is followed for downloads, shares,
//! thumbnails or upload resumes (`links`), and image decodes stay within the decode budget
//! (`bombs`). Every fixture is generated here: videos with ffmpeg, images with the image crate,
//! bomb headers byte by byte.

mod bombs;
mod links;
mod playlists;

use crate::common::upload::{self, file, Data};
use crate::common::Client;
use crate::uploads::root_catalog;

/// Registers an upload of `name` (`ext`, `type`) in catalog `cid` and sends `bytes` as its
/// whole origin; returns the file id.
pub fn upload_whole(client: &mut Client, cid: i64, name: &str, ext: &str, file_type: i64, bytes: &[u8]) -> i64 {
    let form = format!("cid={cid}&name={name}&size={}&type={file_type}&ext={ext}", bytes.len());
    let id = client.post_form("/uploadFileInfo.icc", &form).data()["id"].as_i64().expect("an id");
    let parts = [file("origin", Data::Bytes(bytes.to_vec()))];
    upload::upload(client, &format!("id={id}"), &parts).data();
    id
}

/// Like [`upload_whole`], into the user's first root.
pub fn upload_to_root(client: &mut Client, name: &str, ext: &str, file_type: i64, bytes: &[u8]) -> i64 {
    let cid = root_catalog(client);
    upload_whole(client, cid, name, ext, file_type, bytes)
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
