//! TEMPORARY placeholder until the native probe lands.
pub const TYPE_OTHER: i64 = 16;
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo { pub file_type: i64, pub width: Option<i64>, pub height: Option<i64>, pub orientation: Option<i64>, pub duration: Option<f64> }
pub fn probe(_path: &std::path::Path) -> std::io::Result<MediaInfo> {
    Ok(MediaInfo { file_type: TYPE_OTHER, width: None, height: None, orientation: None, duration: None })
}
