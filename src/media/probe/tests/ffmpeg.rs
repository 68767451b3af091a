//! Optional cross-check: files made by a real ffmpeg must agree with ffprobe (skipped, with a
//! note, when ffmpeg or ffprobe is not installed).

use super::super::*;
use super::fixtures::TempDir;
use crate::model::file_type;
use std::ffi::OsStr;
use std::path::PathBuf;

/// What ffprobe reports: first video stream size, audio presence, display-matrix rotation
/// (counter-clockwise degrees) and container duration.
#[derive(Debug, Default)]
struct Ffprobe {
    video: Option<(i64, i64)>,
    audio: bool,
    rotation: Option<i64>,
    duration: Option<f64>,
}

fn ffprobe(path: &Path) -> Option<Ffprobe> {
    let entries = "stream=codec_type,width,height:stream_side_data=rotation:format=duration";
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "default=nw=1"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut report, mut in_video, mut width) = (Ffprobe::default(), false, None);
    for (key, value) in text.lines().filter_map(|l| l.split_once('=')) {
        match key {
            "codec_type" => {
                in_video = value == "video" && report.video.is_none();
                report.audio |= value == "audio";
            }
            "width" if in_video => width = value.parse().ok(),
            "height" if in_video => report.video = width.zip(value.parse().ok()),
            "rotation" if in_video => report.rotation = value.parse().ok(),
            "duration" => report.duration = value.parse().ok(),
            _ => {}
        }
    }
    Some(report)
}

/// Runs ffmpeg with `input` (if any) as `-i`, then `args`, writing `name` in `dir`.
fn ffmpeg(dir: &TempDir, name: &str, input: Option<&Path>, args: &str) -> Option<PathBuf> {
    let path = dir.0.join(name);
    let input = input.map(|i| [OsStr::new("-i"), i.as_os_str()]);
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(input.iter().flatten())
        .args(args.split_whitespace())
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then_some(path)
}

/// Checks one generated file: type as expected; size, orientation and duration as ffprobe says
/// (the video rotation tag being the negated display-matrix angle, mapped 90→8, 180→3, 270→6).
fn check_against_ffprobe(path: &Path, file_type: i64) {
    let ours = probe(path).expect("probe");
    let theirs = ffprobe(path).expect("ffprobe output");
    let what = format!("{}: ours {ours:?}, ffprobe {theirs:?}", path.display());
    assert_eq!(ours.file_type, file_type, "{what}");
    let mut size = ours.width.zip(ours.height);
    if matches!(ours.orientation, Some(5..=8)) {
        size = size.map(|(w, h)| (h, w));
    }
    if file_type != file_type::AUDIO {
        assert_eq!(size, theirs.video, "{what}");
    }
    let expected_orientation = match theirs.rotation.map(|r| (-r).rem_euclid(360)) {
        Some(90) => Some(8),
        Some(180) => Some(3),
        Some(270) => Some(6),
        _ => None,
    };
    assert_eq!(ours.orientation, expected_orientation, "{what}");
    if let (Some(a), Some(b)) = (ours.duration, theirs.duration) {
        assert!((a - b).abs() < 0.1, "{what}");
    }
    assert_eq!(ours.duration.is_some(), file_type != file_type::IMAGE && theirs.duration.is_some(), "{what}");
}

#[test]
fn real_files_made_by_ffmpeg_agree_with_ffprobe() {
    let works =
        |tool: &str| std::process::Command::new(tool).arg("-version").output().is_ok_and(|o| o.status.success());
    if !works("ffmpeg") || !works("ffprobe") {
        eprintln!("skipped: ffmpeg/ffprobe not installed");
        return;
    }
    let dir = TempDir::new();
    let v = "-f lavfi -i testsrc=size=96x64:rate=10:duration=2";
    let a = "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=2";
    let cases = [
        ("v.mp4", format!("{v} {a} -c:v mpeg4 -c:a aac"), file_type::VIDEO),
        ("v.mkv", format!("{v} {a} -c:v mpeg4 -c:a flac"), file_type::VIDEO),
        ("v.avi", format!("{v} -c:v mpeg4"), file_type::VIDEO),
        ("v.webm", format!("{v} {a} -c:v libvpx -c:a libopus"), file_type::VIDEO),
        ("v.flv", format!("{v} -c:v flv"), file_type::VIDEO),
        ("v.wmv", format!("{v} {a} -c:v wmv2 -c:a wmav2"), file_type::VIDEO),
        ("a.wma", format!("{a} -c:a wmav2"), file_type::AUDIO),
        ("a.aiff", a.to_string(), file_type::AUDIO),
        ("a.m4a", format!("{a} -c:a aac"), file_type::AUDIO),
        ("a.mp3", format!("{a} -c:a libmp3lame -b:a 128k"), file_type::AUDIO),
        ("a.flac", a.to_string(), file_type::AUDIO),
        ("a.wav", a.to_string(), file_type::AUDIO),
        ("a.ogg", format!("{a} -c:a libvorbis"), file_type::AUDIO),
        ("anim.gif", v.to_string(), file_type::GIF),
        ("i.png", format!("{v} -frames:v 1"), file_type::IMAGE),
        ("i.jpg", format!("{v} -frames:v 1"), file_type::IMAGE),
        ("i.bmp", format!("{v} -frames:v 1"), file_type::IMAGE),
        ("i.tiff", format!("{v} -frames:v 1"), file_type::IMAGE),
        ("i.webp", format!("{v} -frames:v 1 -c:v libwebp"), file_type::IMAGE),
    ];
    for (name, args, file_type) in &cases {
        match ffmpeg(&dir, name, None, args) {
            Some(path) => check_against_ffprobe(&path, *file_type),
            None => eprintln!("skipped {name}: this ffmpeg cannot make it"),
        }
    }
    let source = dir.0.join("v.mp4");
    for (name, angle) in [("r90.mp4", 90), ("r180.mov", 180), ("r270.mp4", 270)] {
        let args = format!("-c copy -metadata:s:v:0 rotate={angle}");
        match ffmpeg(&dir, name, Some(&source), &args) {
            Some(path) => check_against_ffprobe(&path, file_type::VIDEO),
            None => eprintln!("skipped {name}: this ffmpeg cannot remux with a rotation"),
        }
    }
}
