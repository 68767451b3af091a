//! The thumbnail cache (protocol §5.2–5.4): where cached levels live (`levels`), building a
//! missing one from an image or a video frame (`cache`), and the gate that bounds concurrent
//! builds by count and memory and lets requests for one thumbnail share its build
//! (`build_gate`). Deciding *whether* to build (the status table) is the handler's job.

pub mod build_gate;
mod cache;
pub mod levels;

pub use cache::{BuildFailure, Source, Thumbnails};
