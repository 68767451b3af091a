//! Fuzzes HEIF/HEIC decoding for a grid thumbnail, tile by tile (see `isync::fuzzing::heif`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isync::fuzzing::heif(data));
