//! The query language on arbitrary input: a search answers or fails as an invalid query
//! (see `checks::query`).
#![no_main]

#[path = "../checks.rs"]
#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::query(data));
