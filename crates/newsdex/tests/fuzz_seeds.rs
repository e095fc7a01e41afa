//! The fuzz targets' seeds and crash reproducers (`fuzz/seeds/<target>/`), replayed
//! through the same checks the fuzz targets run (`fuzz/checks.rs`), so CI keeps every
//! kept input passing without cargo-fuzz.

use std::path::PathBuf;

#[path = "../../../fuzz/checks.rs"]
mod checks;

/// Runs every file of `fuzz/seeds/<target>/` through `check`, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| {
            panic!("help: the seeds of {target} must be in {}: {error}", directory.display())
        })
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "help: {target} needs at least 5 seeds in {}", directory.display());
    for file in files {
        let data = std::fs::read(&file).expect("a readable seed");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("help: {} fails the {target} fuzz target's checks (see the panic above)", file.display());
        }
    }
}

#[test]
fn analyzer_seeds_pass() {
    replay("analyzer", checks::analyzer);
}

#[test]
fn query_seeds_pass() {
    replay("query", checks::query);
}

#[test]
fn snippet_seeds_pass() {
    replay("snippet", checks::snippet);
}
