//! Fuzzes request parameters: a mode byte, then a query string or form body (even) or a JSON
//! body (odd), read by every typed getter (see `isync::fuzzing::params`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| isync::fuzzing::params(data));
