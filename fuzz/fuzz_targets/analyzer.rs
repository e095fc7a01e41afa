//! The analyzer on arbitrary text: offsets, positions, word kinds and segmentation (see `checks::analyzer`).
#![no_main]

#[path = "../checks.rs"]
#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::analyzer(data));
