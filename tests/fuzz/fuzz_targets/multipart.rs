//! Fuzzes the multipart/form-data reader: a Content-Type line, then a body read three ways that
//! must agree (see `isync::fuzzing::multipart`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isync::fuzzing::multipart(data));
