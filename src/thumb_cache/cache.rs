//! Building a missing cached thumbnail of an image, GIF or video into its cache file through a
//! temporary file and a rename, so readers never see partial files. Builds pass through the
//! `BuildGate`: at most about one per core, within a memory budget, and concurrent requests for
//! one thumbnail share one build. An image over the decode budget is refused before it waits
//! for the gate. A decoder that panics fails its file like a decoding error. Each finished build
//! is logged with its time. Sources are files the caller
//! opened (without following links); they are never opened again by path here.

use super::build_gate::{BuildGate, Shared};
use crate::media::thumbnail::{build_image_thumbnail, build_memory, ThumbError};
use crate::media::video_frame::{grab_video_frame, FrameError};
use crate::random;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const VIDEO_FRAME_TIMEOUT: Duration = Duration::from_secs(120);
/// The pixel memory image builds may hold together: a screen-size preview of a 24 MP photo
/// needs most of it, so one runs beside grid-size builds, never beside another, and a burst of
/// builds stays within the server's memory budget on any number of cores.
const BUILD_MEMORY_BUDGET: u64 = 12 << 20;

/// Why a build failed, which decides whether the failure is remembered (status 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildFailure {
    /// The source cannot be thumbnailed: record "build error".
    Permanent,
    /// A missing or timed-out ffmpeg, or an I/O problem with the cache directory or its files:
    /// answer -10008 but try again next time.
    Transient,
}

/// What to build a thumbnail from: the open source file, and its path for log lines.
pub struct Source<'a> {
    pub file: &'a File,
    pub path: &'a Path,
    pub is_video: bool,
    pub orientation: Option<i64>,
    pub max_box: u32,
}

pub struct Thumbnails {
    gate: BuildGate,
    ffmpeg: PathBuf,
}

impl Thumbnails {
    pub fn new(ffmpeg: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Thumbnails { gate: BuildGate::new(cores, BUILD_MEMORY_BUDGET), ffmpeg }
    }

    /// Makes sure `cache` exists, building it from `source` if needed.
    pub fn ensure(&self, cache: &Path, source: &Source) -> Result<(), BuildFailure> {
        let key = cache.to_string_lossy().into_owned();
        loop {
            if cache.is_file() {
                return Ok(());
            }
            // ffmpeg's frame grab runs in its own process; a file that cannot be read fails
            // in the build, which reports it. A decompression bomb is refused here at once.
            let memory = match source.is_video {
                true => 0,
                false => match build_memory(source.file, source.max_box) {
                    Ok(memory) => memory,
                    Err(e @ ThumbError::TooLarge(_)) => {
                        log::warn!("thumbnail of {} refused: {e}", source.path.display());
                        return Err(BuildFailure::Permanent);
                    }
                    Err(_) => 0,
                },
            };
            match self.gate.run(&key, memory, || self.build(cache, source)) {
                Shared::Built(result) | Shared::Joined(result) => return result,
                Shared::Recheck => continue, // the other build panicked: look again
            }
        }
    }

    fn build(&self, cache: &Path, source: &Source) -> Result<(), BuildFailure> {
        if cache.is_file() {
            return Ok(()); // built by a request that finished just before this one started
        }
        let dir = cache.parent().ok_or(BuildFailure::Transient)?;
        std::fs::create_dir_all(dir).map_err(|e| {
            log::error!("cannot create thumbnail directory {}: {e}", dir.display());
            BuildFailure::Transient
        })?;
        let temp = dir.join(format!(".building-{}", random::hex_token::<16>()));
        let started = std::time::Instant::now();
        let built = if source.is_video { self.build_video(source, &temp) } else { build_image(source, &temp) };
        let result = built.and_then(|()| {
            std::fs::rename(&temp, cache).map_err(|e| {
                log::error!("cannot store thumbnail {}: {e}", cache.display());
                BuildFailure::Transient
            })
        });
        match result {
            Ok(()) => log::info!("built thumbnail {} in {} ms", cache.display(), started.elapsed().as_millis()),
            Err(_) => {
                let _ = std::fs::remove_file(&temp);
            }
        }
        result
    }

    fn build_video(&self, source: &Source, temp: &Path) -> Result<(), BuildFailure> {
        grab_video_frame(&self.ffmpeg, source.file, source.max_box, temp, VIDEO_FRAME_TIMEOUT).map_err(|e| {
            log::warn!("video thumbnail of {} failed: {e}", source.path.display());
            match e {
                FrameError::FfmpegMissing | FrameError::Io(_) | FrameError::TimedOut => BuildFailure::Transient,
                FrameError::Failed(_) | FrameError::NotAVideo => BuildFailure::Permanent,
            }
        })
    }
}

fn build_image(source: &Source, temp: &Path) -> Result<(), BuildFailure> {
    let file = std::fs::File::create(temp).map_err(|e| {
        log::error!("cannot create {}: {e}", temp.display());
        BuildFailure::Transient
    })?;
    let mut out = BufWriter::new(file);
    // A decoder that panics on a hostile file fails that file, as a decoding error would.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        build_image_thumbnail(source.file, source.orientation, source.max_box, &mut out)
    }));
    match built {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            log::warn!("thumbnail of {} failed: {e}", source.path.display());
            return Err(BuildFailure::Permanent);
        }
        Err(_) => {
            log::warn!("thumbnail of {} failed: the decoder panicked", source.path.display());
            return Err(BuildFailure::Permanent);
        }
    }
    out.flush().map_err(|_| BuildFailure::Transient)
}
