//! The sample corpus embedded in the binary, and its index kept in a cache directory.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use newsdex::{Analyzer, IngestOptions, NewsIndex, OnError, UserDictionary, WriterSettings};

/// The sample articles (index-data/articles.jsonl).
pub const ARTICLES: &str = include_str!("../index-data/articles.jsonl");
/// The sample's user dictionary (index-data/userdict.txt).
pub const USER_DICTIONARY: &str = include_str!("../index-data/userdict.txt");

/// The analyzer the sample is indexed with.
pub fn analyzer() -> anyhow::Result<Analyzer> {
    let dictionary = UserDictionary::parse("index-data/userdict.txt (embedded)", USER_DICTIONARY)?;
    Ok(Analyzer::with_user_dictionary(dictionary))
}

/// Where cached indexes live: `--cache-dir`, else `$XDG_CACHE_HOME/newsdex`, else
/// `~/.cache/newsdex`, else the temporary directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("newsdex");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".cache").join("newsdex");
    }
    std::env::temp_dir().join("newsdex")
}

/// The sample index in `cache_dir`, built on first use and rebuilt whenever the sample,
/// its dictionary or the analyzer changes (the directory name carries their hash).
pub fn index(cache_dir: &Path) -> anyhow::Result<NewsIndex> {
    let analyzer = analyzer()?;
    let mut hasher = std::hash::DefaultHasher::new();
    ARTICLES.hash(&mut hasher);
    USER_DICTIONARY.hash(&mut hasher);
    analyzer.identity().to_string().hash(&mut hasher);
    let path = cache_dir.join(format!("sample-{:016x}", hasher.finish()));
    if path.join("meta.json").exists() {
        match NewsIndex::open_with(&path, analyzer.clone()) {
            Ok(index) if index.num_articles() > 0 => return Ok(index),
            Ok(_) | Err(_) => tracing::warn!(path = %path.display(), "rebuilding the cached sample index"),
        }
    }
    std::fs::create_dir_all(cache_dir).with_context(|| format!("cannot create {}", cache_dir.display()))?;
    // Build beside the final place and rename, so an interrupted build is never reused.
    let building = cache_dir.join(format!("building-{}", std::process::id()));
    if building.exists() {
        std::fs::remove_dir_all(&building).with_context(|| format!("cannot clear {}", building.display()))?;
    }
    let index = NewsIndex::create(&building, analyzer.clone())?;
    let mut writer = index.writer(WriterSettings::default())?;
    let options = IngestOptions { on_error: OnError::Fail, ..IngestOptions::default() };
    let report = writer.ingest_jsonl(ARTICLES.as_bytes(), &options, &mut |_| {})?;
    writer.commit()?;
    writer.finish()?;
    drop(index);
    if path.exists() {
        std::fs::remove_dir_all(&path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    std::fs::rename(&building, &path)
        .with_context(|| format!("cannot move the sample index to {}", path.display()))?;
    tracing::info!(articles = report.indexed, path = %path.display(), "built the sample index");
    Ok(NewsIndex::open_with(&path, analyzer)?)
}
