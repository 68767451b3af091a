//! Everything about media content, nothing about HTTP or SQL: recognising formats (`sniff`),
//! content types (`kind`), metadata probing from file headers (`probe`, HEIF stills in `heif`) and capture dates from
//! file names (`name_date`), decoding and resizing
//! for thumbnails (`thumbnail`) within a decode budget read from the header (`budget`), and the
//! one ffmpeg wrapper for video frames (`video_frame`).

mod budget;
mod decode;
pub(crate) mod heif;
pub mod kind;
pub mod name_date;
pub mod probe;
mod resize;
pub mod sniff;
pub mod thumbnail;
pub mod video_frame;
