//! Fuzzes the HTTP Range header: a file size (8 bytes), then the header value; a part must lie
//! inside the file (see `isync::fuzzing::range`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isync::fuzzing::range(data));
