//! The one place iSync runs ffmpeg: grab a single still frame of a video as a
//! JPEG thumbnail. ffmpeg auto-rotates per container metadata (its default)
//! and scales the frame to fit a square box without ever enlarging it.
//!
//! ffmpeg reads only the container the file really is. Its first bytes are
//! sniffed here (`sniff`) and the demuxer is forced (`-f mov`, `-f matroska`,
//! …); a file that is not one of the known video containers — an HLS or
//! ffconcat playlist, an image list, anything else — is never given to ffmpeg,
//! so no playlist, concat list or `hls` demuxer can pull in another file. Input
//! protocols are limited to `file` (`-protocol_whitelist file`). ffmpeg does not
//! get a path either: the caller's open descriptor is inherited by the child and
//! named `/proc/self/fd/N`, which the kernel resolves to the very file the
//! server opened (without following links, see `fs::open`), whatever the path
//! holds meanwhile; a relative reference inside a file would resolve against
//! `/proc/self/fd/`, not the media folder. Debian's ffmpeg 5.1 has no `fd:`
//! protocol, and `pipe:` is unseekable (no MP4 whose index sits at the end, as
//! phones write them, and `-ss` would read instead of seek), hence the path
//! through /proc. The mov demuxer's external data references (`enable_drefs`)
//! are off by default and stay off.
//!
//! Processes are spawned only by [`run_child`] in this file: an argv array
//! (never a shell), stdin and stdout closed, stderr drained on a thread and
//! capped to its last 4 KiB, and a deadline after which the child is killed
//! and reaped. This module deliberately does not probe durations, read
//! metadata, transcode, or search for ffmpeg beyond what `Command` does with
//! the path it is given (a bare name is looked up on PATH).

use super::sniff::{self, Format, HEAD_LEN};
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How much of ffmpeg's stderr is kept for error reports.
const STDERR_CAP: usize = 4096;

#[derive(Debug)]
pub enum FrameError {
    /// The file is not one of the video containers ffmpeg is allowed to read; ffmpeg did not run.
    NotAVideo,
    /// The ffmpeg program could not be found.
    FfmpegMissing,
    /// ffmpeg failed or produced no frame; the tail of its stderr.
    Failed(String),
    /// ffmpeg ran past the timeout and was killed.
    TimedOut,
    Io(std::io::Error),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::NotAVideo => write!(f, "not a known video container; ffmpeg was not run"),
            FrameError::FfmpegMissing => write!(f, "ffmpeg not found"),
            FrameError::Failed(s) => write!(f, "ffmpeg failed: {s}"),
            FrameError::TimedOut => write!(f, "ffmpeg timed out"),
            FrameError::Io(e) => write!(f, "I/O error running ffmpeg: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// The ffmpeg demuxer of each video container a frame may be grabbed from.
fn demuxer(format: Format) -> Option<&'static str> {
    match format {
        Format::IsoBmff => Some("mov"),
        Format::Matroska => Some("matroska"),
        Format::Avi => Some("avi"),
        Format::MpegTs => Some("mpegts"),
        Format::MpegPs => Some("mpeg"),
        Format::Flv => Some("flv"),
        Format::Asf => Some("asf"),
        Format::Ogg => Some("ogg"),
        _ => None,
    }
}

/// The demuxer for the open file `src`, from its first bytes.
fn demuxer_of(src: &File) -> Result<&'static str, FrameError> {
    let mut head = [0u8; HEAD_LEN];
    let mut n = 0;
    while n < head.len() {
        match src.read_at(&mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(read) => n += read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    sniff::sniff(&head[..n], "").and_then(demuxer).ok_or(FrameError::NotAVideo)
}

/// Grab one frame of the open file `src` at 1 s (retrying at 0 s when that
/// yields nothing, e.g. videos shorter than 1 s), auto-rotated, scaled to fit
/// `max_box`×`max_box` keeping the aspect ratio and never enlarging, written
/// as a JPEG to `out_path` (overwritten). `timeout` covers both attempts. A file
/// that is not a known video container is refused without running ffmpeg.
pub fn grab_video_frame(
    ffmpeg: &Path,
    src: &File,
    max_box: u32,
    out_path: &Path,
    timeout: Duration,
) -> Result<(), FrameError> {
    let demuxer = demuxer_of(src)?;
    // A descriptor of its own (≥ 3, close-on-exec here), made inheritable in the child only.
    let inherited = src.try_clone().map_err(FrameError::Io)?;
    let input = format!("file:/proc/self/fd/{}", inherited.as_raw_fd());
    let deadline = Instant::now() + timeout;
    let mut last_err = String::new();
    for seek in ["1", "0"] {
        // A stale file must not pass for this attempt's output.
        match std::fs::remove_file(out_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(FrameError::Io(e)),
            _ => {}
        }
        let args = frame_args(&input, demuxer, seek, max_box.max(1), out_path);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (status, stderr) = run_child(ffmpeg, &args, remaining, Some(inherited.as_raw_fd()))?;
        let produced = std::fs::metadata(out_path).map(|m| m.len() > 0).unwrap_or(false);
        if status.success() && produced {
            return Ok(());
        }
        last_err = if stderr.is_empty() { format!("no frame produced at {seek} s ({status})") } else { stderr };
        log::debug!("ffmpeg ({demuxer}) at {seek} s: {last_err}");
    }
    let _ = std::fs::remove_file(out_path);
    Err(FrameError::Failed(last_err))
}

/// `file:` + path, so names starting with '-' or containing ':' stay literal.
fn file_url(p: &Path) -> OsString {
    let mut s = OsString::from("file:");
    s.push(p.as_os_str());
    s
}

/// The ffmpeg argv (without the program): `input` read with the forced
/// `demuxer` and the `file` protocol only. The scale expressions are the
/// integer form of `thumbnail::target_size`: the long side becomes
/// min(side, box), the short side floor(short × that / long), never below 1.
/// (`force_original_aspect_ratio=decrease` rounds a very thin frame's short
/// side to 0 and then fails, hence the explicit expressions.)
fn frame_args(input: &str, demuxer: &str, seek: &str, max_box: u32, out: &Path) -> Vec<OsString> {
    let b = max_box;
    let scale = format!(
        "scale=w='if(gte(iw,ih),min(iw,{b}),max(1,trunc(min(ih,{b})*iw/ih)))'\
         :h='if(gte(iw,ih),max(1,trunc(min(iw,{b})*ih/iw)),min(ih,{b}))'"
    );
    let input_options =
        ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-protocol_whitelist", "file", "-f", demuxer];
    let mut args: Vec<OsString> = input_options.iter().map(OsString::from).collect();
    for a in ["-ss", seek, "-i", input, "-map", "0:v:0", "-frames:v", "1", "-an", "-vf", &scale, "-q:v", "3"] {
        args.push(OsString::from(a));
    }
    args.extend(["-f", "mjpeg"].map(OsString::from));
    args.push(file_url(out));
    args
}

/// Runs `program args…` with stdin/stdout null, stderr drained on a thread
/// (last [`STDERR_CAP`] bytes kept), killing and reaping it after `timeout`.
/// `inherit` is a descriptor the child keeps open (its close-on-exec flag is
/// cleared in the child only, so no other child gets it). Returns the exit
/// status and the trimmed stderr tail.
fn run_child(
    program: &Path,
    args: &[OsString],
    timeout: Duration,
    inherit: Option<RawFd>,
) -> Result<(ExitStatus, String), FrameError> {
    let deadline = Instant::now() + timeout;
    let mut command = Command::new(program);
    command
        .args(args.iter().map(OsString::as_os_str))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(fd) = inherit {
        // SAFETY: runs in the forked child before exec and only calls fcntl, which is
        // async-signal-safe; it touches no memory of the parent.
        unsafe {
            command.pre_exec(move || match libc::fcntl(fd, libc::F_SETFD, 0) {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            });
        }
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FrameError::FfmpegMissing,
        _ => FrameError::Io(e),
    })?;
    let drain = child.stderr.take().map(|pipe| thread::spawn(move || read_tail(pipe, STDERR_CAP)));
    let mut pause = Duration::from_millis(2);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(FrameError::TimedOut);
            }
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(25));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(FrameError::Io(e));
            }
        }
    };
    let tail = drain.and_then(|t| t.join().ok()).unwrap_or_default();
    status.map(|s| (s, tail))
}

/// Reads `r` to the end, keeping only the last `cap` bytes, as lossy UTF-8.
fn read_tail(mut r: impl Read, cap: usize) -> String {
    let mut kept: Vec<u8> = Vec::with_capacity(cap);
    let mut chunk = [0u8; 1024];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > cap {
                    kept.drain(..kept.len() - cap);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::path::PathBuf;

    fn ffmpeg() -> Option<PathBuf> {
        ffmpeg_ok(&[OsStr::new("-version")]).then(|| PathBuf::from("ffmpeg"))
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("thumb-video-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    /// Runs ffmpeg through the same runner (so tests spawn nothing else).
    fn ffmpeg_ok(args: &[&OsStr]) -> bool {
        let args: Vec<OsString> = args.iter().map(|a| a.to_os_string()).collect();
        matches!(run_child(Path::new("ffmpeg"), &args, Duration::from_secs(60), None), Ok((s, _)) if s.success())
    }

    fn make_video(dir: &Path, name: &str, size: &str, secs: &str) -> PathBuf {
        let out = dir.join(name);
        let src = format!("testsrc=size={size}:rate=10");
        let base =
            ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", &src, "-t", secs, "-pix_fmt", "yuv420p"];
        let mut args: Vec<&OsStr> = base.iter().map(OsStr::new).collect();
        args.push(out.as_os_str());
        assert!(ffmpeg_ok(&args), "could not make {name}");
        out
    }

    /// Tags `plain` as displayed rotated 90°: `-display_rotation` (ffmpeg ≥ 6) or rotate metadata (older).
    fn make_rotated(dir: &Path, plain: &Path) -> PathBuf {
        let out = dir.join("rotated.mp4");
        let head = ["-nostdin", "-loglevel", "error", "-y"].map(OsStr::new);
        let modern = [&head[..], &["-display_rotation", "90", "-i"].map(OsStr::new), &[plain.as_os_str()]].concat();
        let tail = ["-c", "copy"].map(OsStr::new);
        if ffmpeg_ok(&[&modern[..], &tail, &[out.as_os_str()]].concat()) {
            return out;
        }
        let meta = ["-metadata:s:v:0", "rotate=90"].map(OsStr::new);
        let old = [&head[..], &[OsStr::new("-i"), plain.as_os_str()], &tail, &meta, &[out.as_os_str()]].concat();
        assert!(ffmpeg_ok(&old), "could not make a rotated video");
        out
    }

    fn jpeg_size(p: &Path) -> (u32, u32) {
        let bytes = std::fs::read(p).expect("frame written");
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "not a JPEG");
        let img = image::load_from_memory(&bytes).expect("decodable JPEG");
        (img.width(), img.height())
    }

    #[test]
    fn frames_fit_the_box_keep_aspect_follow_rotation_and_survive_short_videos() {
        let Some(ff) = ffmpeg() else {
            return eprintln!("ffmpeg not on PATH; skipped");
        };
        let dir = temp_dir("grab");
        let two = make_video(&dir, "-two:seconds.mp4", "320x240", "2");
        let short = make_video(&dir, "short.mp4", "320x240", "0.5");
        let small = make_video(&dir, "small.mp4", "64x48", "2");
        let rotated = make_rotated(&dir, &two);
        let out = dir.join("-out:frame.jpg");
        let t = Duration::from_secs(60);
        for (src, max_box, want) in [
            (&two, 160, (160, 120)),
            (&short, 160, (160, 120)),
            (&rotated, 160, (120, 160)),
            (&small, 160, (64, 48)),
            (&two, 100, (100, 75)),
        ] {
            std::fs::write(&out, b"stale").expect("stale file");
            let file = File::open(src).expect("open the video");
            grab_video_frame(&ff, &file, max_box, &out, t).unwrap_or_else(|e| panic!("{src:?}: {e}"));
            assert_eq!(jpeg_size(&out), want, "{src:?} in {max_box}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A file of `bytes` in `dir`, opened.
    fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> File {
        std::fs::write(dir.join(name), bytes).expect("write fixture");
        File::open(dir.join(name)).expect("open fixture")
    }

    #[test]
    fn a_missing_program_is_reported_as_ffmpeg_missing() {
        let dir = temp_dir("missing");
        let mp4 = file_with(&dir, "a.mp4", b"\0\0\0\x18ftypisom\0\0\0\0isommp41");
        let r = grab_video_frame(
            Path::new("/nonexistent/ffmpeg-nope"),
            &mp4,
            160,
            &dir.join("o.jpg"),
            Duration::from_secs(5),
        );
        assert!(matches!(r, Err(FrameError::FfmpegMissing)), "{r:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn playlists_and_unknown_files_never_reach_ffmpeg() {
        let dir = temp_dir("playlists");
        let out = dir.join("o.jpg");
        for (name, bytes) in [
            ("hls.mov", &b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n../other/secret.ts\n#EXT-X-ENDLIST\n"[..]),
            ("list.mkv", b"ffconcat version 1.0\nfile ../other/secret.ts\n"),
            ("garbage.avi", &[0x5Au8; 4096]),
            ("empty.ts", b""),
        ] {
            // A program that does not exist: reaching it would be FfmpegMissing.
            let r = grab_video_frame(
                Path::new("/nonexistent/ffmpeg"),
                &file_with(&dir, name, bytes),
                160,
                &out,
                Duration::from_secs(5),
            );
            assert!(matches!(r, Err(FrameError::NotAVideo)), "{name}: {r:?}");
        }
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_demuxer_is_forced_from_the_sniffed_container_and_only_the_file_protocol_is_allowed() {
        assert_eq!(demuxer(Format::IsoBmff), Some("mov"));
        assert_eq!(demuxer(Format::Matroska), Some("matroska"));
        assert_eq!(demuxer(Format::MpegTs), Some("mpegts"));
        assert_eq!(demuxer(Format::Jpeg), None);
        let args = frame_args("file:/proc/self/fd/7", "avi", "1", 160, Path::new("/t/o.jpg"));
        let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
        let at = |flag: &str| args.iter().position(|a| *a == flag).unwrap_or_else(|| panic!("no {flag}"));
        let input = at("-i");
        assert_eq!(args[at("-protocol_whitelist") + 1], "file");
        assert_eq!((args[at("-f") + 1], at("-f") < input), ("avi", true), "forced before the input");
        assert_eq!(args[input + 1], "file:/proc/self/fd/7");
    }

    #[test]
    fn garbage_in_a_known_container_fails_with_ffmpegs_stderr_and_leaves_no_output() {
        let Some(ff) = ffmpeg() else {
            return eprintln!("ffmpeg not on PATH; skipped");
        };
        let dir = temp_dir("garbage");
        let mut bytes = b"\x1A\x45\xDF\xA3".to_vec();
        bytes.extend([0x5Au8; 4096]);
        let out = dir.join("o.jpg");
        match grab_video_frame(&ff, &file_with(&dir, "garbage.mkv", &bytes), 160, &out, Duration::from_secs(30)) {
            Err(FrameError::Failed(msg)) => {
                assert!(!msg.is_empty() && msg.len() <= STDERR_CAP, "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_frame_comes_from_the_open_file_even_after_its_path_changed() {
        let Some(ff) = ffmpeg() else {
            return eprintln!("ffmpeg not on PATH; skipped");
        };
        let dir = temp_dir("swapped");
        let wide = make_video(&dir, "wide.mp4", "320x160", "2");
        let tall = make_video(&dir, "tall.mp4", "160x320", "2");
        let opened = File::open(&wide).expect("open");
        std::fs::rename(&tall, &wide).expect("swap the path");
        let out = dir.join("o.jpg");
        grab_video_frame(&ff, &opened, 160, &out, Duration::from_secs(60)).expect("a frame");
        assert_eq!(jpeg_size(&out), (160, 80), "the frame of the file that was opened");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_and_reported_as_timed_out() {
        let start = Instant::now();
        let r = run_child(Path::new("sleep"), &[OsString::from("5")], Duration::from_millis(200), None);
        assert!(matches!(r, Err(FrameError::TimedOut)), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn the_stderr_tail_is_capped_to_its_last_bytes() {
        let data: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let tail = read_tail(&data[..], 100);
        assert_eq!(tail.as_bytes(), &data[data.len() - 100..]);
    }
}
