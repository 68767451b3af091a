//! Video thumbnails read only the container the file really is: an HLS playlist or an ffconcat
//! list uploaded as a video (whatever its extension) never yields a frame of the file it names,
//! while the same user's real video of that file does.

use super::upload_to_root;
use crate::common::{fixtures, media_dir, scan_config, skipped, TestServer};
use std::path::Path;
use std::process::Command;

/// A 2 s red MPEG-TS made by ffmpeg: a frame of it is unmistakable.
fn red_transport_stream(path: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "color=c=red:size=320x240:rate=10", "-t", "2", "-c:v", "mpeg2video", "-f", "mpegts"])
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make {}", path.display());
}

fn is_red(thumbnail: &[u8]) -> bool {
    let img = image::load_from_memory(thumbnail).expect("a decodable thumbnail").to_rgb8();
    let p = img.get_pixel(img.width() / 2, img.height() / 2);
    p[0] > 180 && p[1] < 80 && p[2] < 80
}

#[test]
fn a_playlist_uploaded_as_a_video_never_shows_a_frame_of_the_file_it_names() {
    if !fixtures::have_ffmpeg() {
        return skipped("ffmpeg is not installed");
    }
    // terry's root is `terry/`; `other/secret.ts` lies beside it, in no root of terry's.
    let server = TestServer::start_with(|dir| {
        let terry = media_dir(dir, "terry");
        red_transport_stream(&media_dir(dir, "other").join("secret.ts"));
        scan_config(dir, &[("terry", "123", &[terry.as_path()])]);
    });
    let secret = server.app_dir().join("other/secret.ts");
    let absolute = secret.to_string_lossy().into_owned();
    let mut client = server.client();
    client.login("terry", "123");

    let video = std::fs::read(&secret).unwrap();
    let control = upload_to_root(&mut client, "clip.ts", "ts", 4, &video);
    let response = client.get(&format!("/thumbnail.icc?id={control}"));
    assert_eq!(response.status, 200, "a real video thumbnails: {}", String::from_utf8_lossy(&response.body));
    assert!(is_red(&response.body), "the control frame is the red video");

    let hls = |entry: &str| format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{entry}\n#EXT-X-ENDLIST\n");
    let concat = |entry: &str| format!("ffconcat version 1.0\nfile '{entry}'\nduration 2\n");
    let mut cases = Vec::new();
    for entry in ["../other/secret.ts", absolute.as_str()] {
        for ext in ["mov", "m3u8", "mkv", "avi", "ts", "mp4"] {
            cases.push((format!("hls.{ext}"), ext, hls(entry)));
        }
        for ext in ["mov", "ffconcat", "mkv"] {
            cases.push((format!("list.{ext}"), ext, concat(entry)));
        }
    }
    for (name, ext, body) in cases {
        let id = upload_to_root(&mut client, &name, ext, 4, body.as_bytes());
        for level in [0, 1] {
            let response = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
            let what = format!("{name} ({body:?}) at level {level}");
            assert!(response.header("Content-Type") != Some("image/jpeg"), "{what} was thumbnailed");
            assert_eq!((response.status, response.code()), (404, -10008), "{what}");
        }
    }
}
