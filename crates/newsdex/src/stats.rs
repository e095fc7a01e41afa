//! What an index holds and how it is stored, for operators.

use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::AnalyzerIdentity;
use crate::error::{Error, Result};
use crate::index::NewsIndex;

/// A snapshot of an index as searches see it (the last commit they were reloaded to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Articles visible to searches.
    pub articles: u64,
    /// Replaced or deleted articles still taking space until their segments merge.
    pub deleted_articles: u64,
    /// Searchable segments.
    pub segments: usize,
    /// Bytes of the searchable segments (all fields, postings, stored text and fast fields).
    pub index_bytes: u64,
    /// The analyzer that built the index.
    pub analyzer: AnalyzerIdentity,
    /// The index directory (`None` in memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
}

impl NewsIndex {
    /// Counts articles, segments and bytes of the searchable index.
    ///
    /// ```
    /// use newsdex::{Analyzer, NewsIndex};
    ///
    /// # fn main() -> newsdex::Result<()> {
    /// let stats = NewsIndex::create_in_ram(Analyzer::new())?.stats()?;
    /// assert_eq!((stats.articles, stats.segments), (0, 0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn stats(&self) -> Result<IndexStats> {
        let searcher = self.reader().searcher();
        let segments = searcher.segment_readers();
        let deleted_articles = segments.iter().map(|segment| u64::from(segment.num_deleted_docs())).sum();
        let index_bytes = searcher
            .space_usage()
            .map_err(|source| Error::Io { context: "cannot measure the index".to_string(), source })?
            .total()
            .get_bytes();
        Ok(IndexStats {
            articles: searcher.num_docs(),
            deleted_articles,
            segments: segments.len(),
            index_bytes,
            analyzer: self.analyzer().identity().clone(),
            path: self.path().map(std::path::Path::to_path_buf),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::Analyzer;
    use crate::article::Article;
    use crate::index::NewsIndex;
    use crate::writer::WriterSettings;

    #[test]
    fn stats_count_articles_deletions_segments_and_bytes() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        for id in ["a", "b", "c"] {
            let article = Article { id: id.into(), title: format!("article {id}"), ..Article::default() };
            writer.upsert(&article).expect("upsert");
        }
        writer.commit().expect("commit");
        let first = index.stats().expect("stats");
        assert_eq!((first.articles, first.deleted_articles, first.segments), (3, 0, 1));
        assert!(first.index_bytes > 0);
        writer
            .upsert(&Article { id: "a".into(), title: "again".into(), ..Article::default() })
            .expect("upsert");
        writer.commit().expect("commit");
        let second = index.stats().expect("stats");
        assert_eq!(second.articles, 3);
        assert_eq!(second.deleted_articles, 1, "help: the replaced article stays until a merge");
        assert_eq!(second.segments, 2);
        assert_eq!(second.analyzer, *index.analyzer().identity());
    }
}
