//! Everything about media content, nothing about HTTP or SQL: recognising formats (`sniff`),
//! content types (`kind`), metadata probing from file headers (`probe`), decoding and resizing
//! for thumbnails (`thumbnail`), and the one ffmpeg wrapper for video frames (`video_frame`).

pub mod kind;
pub mod probe;
mod sniff;
mod decode;
mod resize;
pub mod thumbnail;
pub mod video_frame;
