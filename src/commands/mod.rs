//! One module per subcommand.

pub mod analyze;
pub mod bench;
pub mod eval;
pub mod export;
pub mod generate;
pub mod index;
pub mod related;
pub mod search;
pub mod serve;

use std::path::{Path, PathBuf};

use anyhow::Context;
use newsdex::{Analyzer, UserDictionary};

/// The analyzer for `--user-dict`, or `None` when not given.
pub fn analyzer_from(user_dict: Option<&Path>) -> anyhow::Result<Option<Analyzer>> {
    user_dict
        .map(|path| {
            let dictionary = UserDictionary::from_path(path)?;
            Ok(Analyzer::with_user_dictionary(dictionary))
        })
        .transpose()
}

/// Opens an existing index: with the analyzer it was built with, or checked against
/// `--user-dict` when given.
pub fn open_index(path: &Path, user_dict: Option<&Path>) -> anyhow::Result<newsdex::NewsIndex> {
    let index = match analyzer_from(user_dict)? {
        Some(analyzer) => newsdex::NewsIndex::open_with(path, analyzer),
        None => newsdex::NewsIndex::open(path),
    };
    index.with_context(|| format!("cannot open the index at {}", path.display()))
}

/// A count with its noun, singular for one: `1 article`, `2 articles`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Total size of the files in a directory, recursively.
pub fn directory_size(path: &Path) -> u64 {
    let mut total = 0;
    let mut pending: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(metadata) if metadata.is_dir() => pending.push(entry.path()),
                Ok(metadata) => total += metadata.len(),
                Err(_) => {}
            }
        }
    }
    total
}
