//! The one place iSync runs ffmpeg: grab a single still frame of a video as a
//! JPEG thumbnail. ffmpeg auto-rotates per container metadata (its default)
//! and scales the frame to fit a square box without ever enlarging it.
//!
//! Processes are spawned only by [`run_child`] in this file: an argv array
//! (never a shell), stdin and stdout closed, stderr drained on a thread and
//! capped to its last 4 KiB, and a deadline after which the child is killed
//! and reaped. This module deliberately does not probe durations, read
//! metadata, transcode, or search for ffmpeg beyond what `Command` does with
//! the path it is given (a bare name is looked up on PATH).

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How much of ffmpeg's stderr is kept for error reports.
const STDERR_CAP: usize = 4096;

#[derive(Debug)]
pub enum FrameError {
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
            FrameError::FfmpegMissing => write!(f, "ffmpeg not found"),
            FrameError::Failed(s) => write!(f, "ffmpeg failed: {s}"),
            FrameError::TimedOut => write!(f, "ffmpeg timed out"),
            FrameError::Io(e) => write!(f, "I/O error running ffmpeg: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Grab one frame of `src` at 1 s (retrying at 0 s when that yields nothing,
/// e.g. videos shorter than 1 s), auto-rotated, scaled to fit
/// `max_box`×`max_box` keeping the aspect ratio and never enlarging, written
/// as a JPEG to `out_path` (overwritten). `timeout` covers both attempts.
pub fn grab_video_frame(
    ffmpeg: &Path,
    src: &Path,
    max_box: u32,
    out_path: &Path,
    timeout: Duration,
) -> Result<(), FrameError> {
    let deadline = Instant::now() + timeout;
    let mut last_err = String::new();
    for seek in ["1", "0"] {
        // A stale file must not pass for this attempt's output.
        match std::fs::remove_file(out_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(FrameError::Io(e)),
            _ => {}
        }
        let args = frame_args(src, seek, max_box.max(1), out_path);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (status, stderr) = run_child(ffmpeg, &args, remaining)?;
        let produced = std::fs::metadata(out_path).map(|m| m.len() > 0).unwrap_or(false);
        if status.success() && produced {
            return Ok(());
        }
        last_err = if stderr.is_empty() { format!("no frame produced at {seek} s ({status})") } else { stderr };
        log::debug!("ffmpeg at {seek} s for {}: {last_err}", src.display());
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

/// The ffmpeg argv (without the program). The scale expressions are the
/// integer form of `thumbnail::target_size`: the long side becomes
/// min(side, box), the short side floor(short × that / long), never below 1.
/// (`force_original_aspect_ratio=decrease` rounds a very thin frame's short
/// side to 0 and then fails, hence the explicit expressions.)
fn frame_args(src: &Path, seek: &str, max_box: u32, out: &Path) -> Vec<OsString> {
    let b = max_box;
    let scale = format!(
        "scale=w='if(gte(iw,ih),min(iw,{b}),max(1,trunc(min(ih,{b})*iw/ih)))'\
         :h='if(gte(iw,ih),max(1,trunc(min(iw,{b})*ih/iw)),min(ih,{b}))'"
    );
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss", seek, "-i"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push(file_url(src));
    for a in ["-map", "0:v:0", "-frames:v", "1", "-an", "-vf", &scale, "-q:v", "3", "-f", "mjpeg"] {
        args.push(OsString::from(a));
    }
    args.push(file_url(out));
    args
}

/// Runs `program args…` with stdin/stdout null, stderr drained on a thread
/// (last [`STDERR_CAP`] bytes kept), killing and reaping it after `timeout`.
/// Returns the exit status and the trimmed stderr tail.
fn run_child(program: &Path, args: &[OsString], timeout: Duration) -> Result<(ExitStatus, String), FrameError> {
    let deadline = Instant::now() + timeout;
    let mut child = Command::new(program)
        .args(args.iter().map(OsString::as_os_str))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
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
        matches!(run_child(Path::new("ffmpeg"), &args, Duration::from_secs(60)), Ok((s, _)) if s.success())
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
            grab_video_frame(&ff, src, max_box, &out, t).unwrap_or_else(|e| panic!("{src:?}: {e}"));
            assert_eq!(jpeg_size(&out), want, "{src:?} in {max_box}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_program_is_reported_as_ffmpeg_missing() {
        let dir = temp_dir("missing");
        let r = grab_video_frame(
            Path::new("/nonexistent/ffmpeg-nope"),
            &dir.join("a.mp4"),
            160,
            &dir.join("o.jpg"),
            Duration::from_secs(5),
        );
        assert!(matches!(r, Err(FrameError::FfmpegMissing)), "{r:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn garbage_input_fails_with_ffmpegs_stderr_and_leaves_no_output() {
        let Some(ff) = ffmpeg() else {
            return eprintln!("ffmpeg not on PATH; skipped");
        };
        let dir = temp_dir("garbage");
        let src = dir.join("garbage.mp4");
        std::fs::write(&src, vec![0x5Au8; 4096]).expect("write garbage");
        let out = dir.join("o.jpg");
        match grab_video_frame(&ff, &src, 160, &out, Duration::from_secs(30)) {
            Err(FrameError::Failed(msg)) => {
                assert!(!msg.is_empty() && msg.len() <= STDERR_CAP, "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_and_reported_as_timed_out() {
        let start = Instant::now();
        let r = run_child(Path::new("sleep"), &[OsString::from("5")], Duration::from_millis(200));
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
