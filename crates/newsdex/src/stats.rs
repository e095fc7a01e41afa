//! What an index holds and how it is stored, for operators.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use tantivy::index::SegmentComponent;

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

/// What [`NewsIndex::preload`] read into the operating system's file cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preloaded {
    /// Files of the searchable segments read.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Chinese words of titles and bodies whose readings were listed, so that pinyin
    /// typed is looked up rather than read against every segment's words.
    pub pinyin_words: usize,
    /// How long preloading took, in milliseconds, as a search's `took_ms`.
    pub took_ms: u64,
}

/// The files of a segment searches read: terms, postings, positions, stored articles,
/// fast fields and field norms.
const SEARCHED_COMPONENTS: [SegmentComponent; 6] = [
    SegmentComponent::Terms,
    SegmentComponent::Postings,
    SegmentComponent::Positions,
    SegmentComponent::Store,
    SegmentComponent::FastFields,
    SegmentComponent::FieldNorms,
];

impl NewsIndex {
    /// Reads every file of the searchable segments once, so that the operating system
    /// holds them in its file cache and the first searches after opening an index read
    /// memory, not the disk. The index is searched through memory maps, which share that
    /// cache. Files a merge removed meanwhile are passed over. An index in memory has
    /// nothing to read.
    ///
    /// The tables queries load on first use are loaded too: jieba's dictionary
    /// ([`Analyzer::load_dictionary`](crate::Analyzer::load_dictionary)), OpenCC's regional wordings,
    /// which every Chinese query looks up (about 12 ms), and the pinyin syllables; and the
    /// readings of the Chinese words are listed ([`NewsIndex::list_pinyin_readings`]).
    ///
    /// On an index of 1,000,000 articles (1.9 GB) served with a cold file cache, the first
    /// 30 searches took 34 to 37 ms at the median and up to 272 to 338 ms; preloaded first
    /// (about 3.5 s), 4.9 to 6.4 ms at the median and at most 18 to 36 ms.
    ///
    /// ```
    /// use newsdex::{Analyzer, NewsIndex};
    ///
    /// # fn main() -> newsdex::Result<()> {
    /// let directory = tempfile::tempdir().expect("a directory");
    /// let index = NewsIndex::create(directory.path(), Analyzer::new())?;
    /// let preloaded = index.preload()?;
    /// println!("{} files, {} bytes in {} ms", preloaded.files, preloaded.bytes, preloaded.took_ms);
    /// # Ok(())
    /// # }
    /// ```
    pub fn preload(&self) -> Result<Preloaded> {
        let started = Instant::now();
        self.analyzer().load_dictionary();
        crate::analysis::RegionalTables::shared();
        crate::pinyin::load_tables();
        let mut preloaded = Preloaded { files: 0, bytes: 0, pinyin_words: 0, took_ms: 0 };
        if let Some(path) = self.path() {
            self.read_searched_files(path, &mut preloaded)?;
        }
        preloaded.pinyin_words = self.list_pinyin_readings()?;
        preloaded.took_ms = started.elapsed().as_millis() as u64;
        Ok(preloaded)
    }

    /// Lists every reading of the Chinese words of titles and bodies and keeps the lists
    /// (shared by clones of the index), so that a word typed in pinyin (`jingji`) is looked
    /// up there rather than read against every segment's words; returns how many words
    /// are listed. [`NewsIndex::preload`] does it too. Searches meanwhile read pinyin as
    /// before, and searches meeting large segments written since add their words.
    ///
    /// On 1,000,000 articles that takes about 1.5 s and 27 MB, and `jingji` went from 31
    /// ms to 14. `newsdex serve` without `--preload` lists them on a thread of its own as it
    /// starts.
    pub fn list_pinyin_readings(&self) -> Result<usize> {
        let searcher = self.reader().searcher();
        let schema = self.schema();
        let mut words = 0;
        for field in [schema.title, schema.body] {
            words += self.reading_tables().make(&searcher, field)?;
        }
        Ok(words)
    }

    /// Reads every file of the searchable segments of the index in `path` once, counting
    /// them in `preloaded`.
    fn read_searched_files(&self, path: &std::path::Path, preloaded: &mut Preloaded) -> Result<()> {
        let metas = self.tantivy_index().searchable_segment_metas()?;
        let components = metas.iter().flat_map(|meta| {
            let deletes = meta.has_deletes().then_some(SegmentComponent::Delete);
            SEARCHED_COMPONENTS.into_iter().chain(deletes).map(move |component| (meta, component))
        });
        for (meta, component) in components {
            let file = path.join(meta.relative_path(component));
            let read = std::fs::File::open(&file)
                .and_then(|mut opened| std::io::copy(&mut opened, &mut std::io::sink()));
            match read {
                Ok(bytes) => {
                    preloaded.files += 1;
                    preloaded.bytes += bytes;
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Io { context: format!("cannot preload {}", file.display()), source });
                }
            }
        }
        Ok(())
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

    #[test]
    fn preloading_reads_every_file_of_the_searchable_segments() {
        let directory = tempfile::tempdir().expect("tempdir");
        let index = NewsIndex::create(directory.path(), Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        for round in 0..2 {
            for id in ["a", "b", "c"] {
                let title = format!("经济 market {id} {round}");
                writer.upsert(&Article { id: id.into(), title, ..Article::default() }).expect("upsert");
            }
            writer.commit().expect("commit");
        }
        let searched = |name: &str| {
            [".term", ".idx", ".pos", ".store", ".fast", ".fieldnorm", ".del"]
                .iter()
                .any(|end| name.ends_with(end))
        };
        let (mut files, mut bytes) = (0, 0);
        for entry in std::fs::read_dir(directory.path()).expect("list") {
            let entry = entry.expect("entry");
            if searched(&entry.file_name().to_string_lossy()) {
                files += 1;
                bytes += entry.metadata().expect("size").len();
            }
        }
        let preloaded = index.preload().expect("preload");
        // Six files a segment, and a segment's deletions when it has some.
        let stats = index.stats().expect("stats");
        let deletions = usize::from(stats.deleted_articles > 0);
        assert!(preloaded.files >= 6 * stats.segments + deletions, "{preloaded:?} of {stats:?}");
        assert_eq!((preloaded.files, preloaded.bytes), (files, bytes));
        let json = serde_json::to_value(preloaded).expect("json");
        assert_eq!(json["files"], files);
        assert_eq!(json["took_ms"], preloaded.took_ms);
        // 经济 in the titles; `market` and the ids are not Chinese.
        assert_eq!(preloaded.pinyin_words, 1);
        assert_eq!(json["pinyin_words"], 1);
        assert_eq!(index.list_pinyin_readings().expect("listed again"), 1, "help: each word is listed once");
        let in_memory = NewsIndex::create_in_ram(Analyzer::new()).expect("index").preload().expect("preload");
        assert_eq!((in_memory.files, in_memory.bytes, in_memory.pinyin_words), (0, 0, 0));
    }
}
