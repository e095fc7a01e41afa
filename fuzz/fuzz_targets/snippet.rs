//! Snippets of arbitrary text for arbitrary queries: highlights and fragments slice the
//! text in bytes, chars and UTF-16 units (see `checks::snippet`).
#![no_main]

#[path = "../checks.rs"]
#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::snippet(data));
