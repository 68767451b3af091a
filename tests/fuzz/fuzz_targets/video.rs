//! Fuzzes the AVI, FLV and ASF probe over a whole file (see `isync::fuzzing::probe`).
#![no_main]

use isync::fuzzing::{probe, Probe};

libfuzzer_sys::fuzz_target!(|data: &[u8]| probe(Probe::Video, data));
