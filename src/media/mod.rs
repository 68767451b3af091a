//! Everything about media content, nothing about HTTP or SQL: content types, metadata probing
//! from file headers, thumbnail building, and the one ffmpeg wrapper for video frames.

pub mod kind;
pub mod probe;
mod decode;
mod resize;
pub mod thumbnail;
pub mod video_frame;
