//! A newsdex index: a tantivy index with the newsdex schema, the analyzer registered, and
//! the analyzer's identity recorded beside it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::{Directory, MmapDirectory, WatchCallback, WatchHandle};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{Analyzer, AnalyzerIdentity, UserDictionary};
use crate::article::Article;
use crate::date_filter::DateSets;
use crate::error::{Error, Result};
use crate::pinyin::ReadingTables;
use crate::schema::{NewsSchema, TOKENIZER_NAME};
use crate::search::RankingConfig;
use crate::storage::MemoryDirectory;
use crate::suggest::Suggestions;
use crate::writer::{NewsWriter, WriterSettings};

/// The file beside tantivy's that records what built the index. The leading dot keeps
/// tantivy's garbage collector away from it.
const METADATA_FILE: &str = ".newsdex.json";
/// What an index creation writes before `meta.json` (which makes the directory an
/// index): a directory holding nothing else is new, and a creation may begin there again.
const CREATION_FILES: [&str; 4] =
    [METADATA_FILE, ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock"];

/// Bumped when the schema or the metadata change incompatibly.
const FORMAT_VERSION: u32 = 1;

/// What `.newsdex.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct IndexMetadata {
    format: u32,
    analyzer: AnalyzerIdentity,
    /// The user dictionary in jieba's format, so the index can be reopened with exactly
    /// the analyzer that built it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_dictionary: Option<String>,
}

/// A newsdex index, in memory or in a directory.
///
/// Searching takes `&self` and is safe from many threads; writing goes through one
/// [`NewsWriter`] at a time ([`NewsIndex::writer`]).
#[derive(Clone)]
pub struct NewsIndex {
    index: Index,
    /// Opened on storage that cannot be written: searchable, not writable.
    read_only: bool,
    schema: Arc<NewsSchema>,
    analyzer: Analyzer,
    reader: IndexReader,
    /// Reloads the reader one at a time (see [`Reloader`]).
    reloader: Reloader,
    path: Option<PathBuf>,
    ranking: RankingConfig,
    /// Date filters' sets of documents, kept across searches.
    date_sets: Arc<DateSets>,
    /// "Did you mean" suggestions, kept across searches.
    suggestions: Arc<Suggestions>,
    /// The readings of the Chinese words of fields searched by pinyin, kept across
    /// searches.
    reading_tables: Arc<ReadingTables>,
}

impl std::fmt::Debug for NewsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewsIndex")
            .field("path", &self.path)
            .field("analyzer", self.analyzer.identity())
            .finish()
    }
}

impl NewsIndex {
    /// Creates an empty index in memory.
    pub fn create_in_ram(analyzer: Analyzer) -> Result<NewsIndex> {
        NewsIndex::create_in(Box::new(MemoryDirectory::default()), None, analyzer)
    }

    /// Creates an empty index in `path`, creating the directory if needed. Fails if `path`
    /// already holds an index, or holds anything else: an index is made only in a new or
    /// empty directory, never among other files.
    pub fn create(path: impl AsRef<Path>, analyzer: Analyzer) -> Result<NewsIndex> {
        let path = path.as_ref();
        std::fs::create_dir_all(path).map_err(|source| Error::Io {
            context: format!("cannot create the index directory {}", path.display()),
            source,
        })?;
        let directory = open_directory(path)?;
        if Index::exists(&directory).unwrap_or(false) {
            return Err(Error::InvalidRequest(format!("{} already holds an index", path.display())));
        }
        let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
            context: format!("cannot read the index directory {}", path.display()),
            source,
        })?;
        let mut entries = entries.filter_map(std::result::Result::ok);
        if let Some(entry) =
            entries.find(|entry| !CREATION_FILES.iter().any(|name| entry.file_name() == *name))
        {
            return Err(Error::NotAnIndex {
                path: path.to_path_buf(),
                reason: format!(
                    "the directory is not empty (it holds {:?}); give a new or empty directory for the index",
                    entry.file_name()
                ),
            });
        }
        NewsIndex::create_in(Box::new(directory), Some(path.to_path_buf()), analyzer)
    }

    /// Opens the index in `path` with the analyzer that built it (its user dictionary is
    /// stored in the index).
    pub fn open(path: impl AsRef<Path>) -> Result<NewsIndex> {
        let path = path.as_ref();
        let (directory, metadata) = read_metadata(path)?;
        let mut builder = Analyzer::builder()
            .remove_english_stop_words(metadata.analyzer.english_stop_words_removed)
            .index_sub_words(metadata.analyzer.sub_words_indexed)
            .hmm(metadata.analyzer.hmm);
        if let Some(text) = &metadata.user_dictionary {
            builder = builder.user_dictionary(UserDictionary::parse(
                &format!("{} (stored in the index)", path.display()),
                text,
            )?);
        }
        let analyzer = builder.build();
        NewsIndex::open_in(directory, path, metadata, analyzer)
    }

    /// Opens the index in `path`, checking it was built by `analyzer`.
    pub fn open_with(path: impl AsRef<Path>, analyzer: Analyzer) -> Result<NewsIndex> {
        let path = path.as_ref();
        let (directory, metadata) = read_metadata(path)?;
        NewsIndex::open_in(directory, path, metadata, analyzer)
    }

    /// Opens the index in `path` if there is one (checking the analyzer), or creates it.
    pub fn open_or_create(path: impl AsRef<Path>, analyzer: Analyzer) -> Result<NewsIndex> {
        let path = path.as_ref();
        if path.join("meta.json").exists() {
            NewsIndex::open_with(path, analyzer)
        } else {
            NewsIndex::create(path, analyzer)
        }
    }

    fn create_in(
        directory: Box<dyn Directory>,
        path: Option<PathBuf>,
        analyzer: Analyzer,
    ) -> Result<NewsIndex> {
        let schema = NewsSchema::new();
        let metadata = IndexMetadata {
            format: FORMAT_VERSION,
            analyzer: analyzer.identity().clone(),
            user_dictionary: analyzer.user_dictionary().map(UserDictionary::to_jieba_format),
        };
        let bytes =
            serde_json::to_vec_pretty(&metadata).map_err(|error| Error::InvalidRequest(error.to_string()))?;
        // newsdex's metadata first, then tantivy's `meta.json`, which makes the directory an
        // index: a creation cut short in between leaves no index, only files a new
        // creation writes over (`CREATION_FILES`).
        directory
            .atomic_write(Path::new(METADATA_FILE), &bytes)
            .map_err(|source| Error::Io { context: "cannot write the index metadata".to_string(), source })?;
        let index = Index::create(directory, schema.schema.clone(), tantivy::IndexSettings::default())?;
        NewsIndex::assemble(index, schema, analyzer, path, false)
    }

    fn open_in(
        directory: MmapDirectory,
        path: &Path,
        metadata: IndexMetadata,
        analyzer: Analyzer,
    ) -> Result<NewsIndex> {
        if metadata.format != FORMAT_VERSION {
            return Err(Error::NotAnIndex {
                path: path.to_path_buf(),
                reason: format!(
                    "its format is version {}, this newsdex reads version {FORMAT_VERSION}; rebuild it",
                    metadata.format
                ),
            });
        }
        if &metadata.analyzer != analyzer.identity() {
            return Err(metadata.analyzer.mismatch(
                analyzer.identity(),
                path.display().to_string(),
                "`newsdex index`",
            ));
        }
        let index = Index::open(directory)?;
        let schema = NewsSchema::new();
        if !schema.matches(&index.schema()) {
            return Err(Error::NotAnIndex {
                path: path.to_path_buf(),
                reason: "its schema is not the newsdex schema".to_string(),
            });
        }
        match NewsIndex::assemble(index, schema, analyzer.clone(), Some(path.to_path_buf()), false) {
            Err(Error::Index(error)) if crate::storage::is_unwritable(&error) => {
                // Storage that cannot be written can still be searched, without locks.
                let directory = crate::storage::ReadOnlyDirectory::open(path).map_err(|error| {
                    Error::NotAnIndex { path: path.to_path_buf(), reason: error.to_string() }
                })?;
                tracing::info!(path = %path.display(), "the index storage is read-only: opened for searching only");
                NewsIndex::assemble(
                    Index::open(directory)?,
                    NewsSchema::new(),
                    analyzer,
                    Some(path.to_path_buf()),
                    true,
                )
            }
            other => other,
        }
    }

    fn assemble(
        index: Index,
        schema: NewsSchema,
        analyzer: Analyzer,
        path: Option<PathBuf>,
        read_only: bool,
    ) -> Result<NewsIndex> {
        // Registered on every open, not only at creation: tantivy resolves tokenizers by
        // name whenever it tokenizes.
        index.tokenizers().register(TOKENIZER_NAME, TextAnalyzer::from(analyzer.tokenizer()));
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let reloader = Reloader::watching(&index, reader.clone())?;
        Ok(NewsIndex {
            index,
            read_only,
            schema: Arc::new(schema),
            analyzer,
            reader,
            reloader,
            path,
            ranking: RankingConfig::default(),
            date_sets: Arc::default(),
            suggestions: Arc::default(),
            reading_tables: Arc::default(),
        })
    }

    /// Whether the index was opened read-only (its storage cannot be written).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The analyzer this index was built with.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The directory of the index (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The ranking configuration used by [`NewsIndex::search`].
    pub fn ranking(&self) -> &RankingConfig {
        &self.ranking
    }

    /// Replaces the ranking configuration.
    pub fn set_ranking(&mut self, ranking: RankingConfig) {
        self.ranking = ranking;
    }

    /// Searches with `synonyms` (see [`Analyzer::with_synonyms`]): each query word one of
    /// their groups holds also matches the group's other words. Indexing is unchanged.
    pub fn set_synonyms(&mut self, synonyms: &crate::Synonyms) {
        self.analyzer = self.analyzer.clone().with_synonyms(synonyms);
        self.suggestions = Arc::default();
    }

    /// Where suggestions are kept across searches (shared by clones).
    pub(crate) fn suggestions(&self) -> &Suggestions {
        &self.suggestions
    }

    /// Forgets the "did you mean" suggestions kept across searches (a query searched again,
    /// or its next page, reuses the suggestion made for it until the index changes): each
    /// query's next search makes its suggestion afresh, as its first search did.
    pub fn forget_suggestions(&self) {
        self.suggestions.forget();
    }

    /// Where the readings of Chinese words are kept across searches (shared by clones).
    pub(crate) fn reading_tables(&self) -> &ReadingTables {
        &self.reading_tables
    }

    /// Where date filters keep their sets of documents across searches (shared by clones).
    pub(crate) fn date_sets(&self) -> &Arc<DateSets> {
        &self.date_sets
    }

    /// Opens the index's single writer. Fails if another writer (in this process or
    /// another) holds it.
    pub fn writer(&self, settings: WriterSettings) -> Result<NewsWriter> {
        NewsWriter::open(self, settings)
    }

    /// Makes the latest commit visible to searches now rather than within the reload delay.
    pub fn reload(&self) -> Result<()> {
        self.reloader.reload()?;
        Ok(())
    }

    /// The number of segments visible to searches.
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The number of articles visible to searches.
    pub fn num_articles(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The article with `id`, if any.
    pub fn get(&self, id: &str) -> Result<Option<Article>> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_text(self.schema.id, id), IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, address)) = top.first() else {
            return Ok(None);
        };
        let document: TantivyDocument = searcher.doc(*address)?;
        Ok(Some(self.schema.article(&document)))
    }

    pub(crate) fn tantivy_index(&self) -> &Index {
        &self.index
    }

    pub(crate) fn schema(&self) -> &NewsSchema {
        &self.schema
    }

    pub(crate) fn reader(&self) -> &IndexReader {
        &self.reader
    }
}

/// Reloads an index reader after commits, from this process's writer or another's, one
/// reload at a time.
///
/// A reload reads the latest commit and then installs a searcher for it; two reloads that
/// overlap (tantivy's own commit watcher and a writer's explicit reload) can finish out
/// of order and install the older commit last, so that searches briefly go back in time.
/// Under one lock, each reload reads a commit at least as new as the one before.
#[derive(Clone)]
struct Reloader {
    reader: IndexReader,
    lock: Arc<Mutex<()>>,
    /// Keeps the commit watcher registered while the index is open.
    _watch: Arc<WatchHandle>,
}

impl Reloader {
    fn watching(index: &Index, reader: IndexReader) -> Result<Reloader> {
        let lock = Arc::new(Mutex::new(()));
        let (watched_reader, watched_lock) = (reader.clone(), Arc::clone(&lock));
        let watch = index.directory().watch(WatchCallback::new(move || {
            let _one_at_a_time = watched_lock.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(error) = watched_reader.reload() {
                tracing::warn!(%error, "cannot reload the index after a commit");
            }
        }))?;
        Ok(Reloader { reader, lock, _watch: Arc::new(watch) })
    }

    fn reload(&self) -> Result<()> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.reader.reload()?;
        Ok(())
    }
}

fn open_directory(path: &Path) -> Result<MmapDirectory> {
    MmapDirectory::open(path)
        .map_err(|error| Error::NotAnIndex { path: path.to_path_buf(), reason: error.to_string() })
}

fn read_metadata(path: &Path) -> Result<(MmapDirectory, IndexMetadata)> {
    if !path.is_dir() {
        let reason = if path.exists() { "it is not a directory" } else { "it does not exist" };
        return Err(Error::NotAnIndex { path: path.to_path_buf(), reason: reason.to_string() });
    }
    if !path.join("meta.json").exists() {
        // Empty, or a creation cut short before `meta.json`: nothing was ever committed.
        let reason = "it holds no index; build one with `newsdex index`".to_string();
        return Err(Error::NotAnIndex { path: path.to_path_buf(), reason });
    }
    let directory = open_directory(path)?;
    let bytes = match directory.atomic_read(Path::new(METADATA_FILE)) {
        Ok(bytes) => bytes,
        Err(_) => {
            let reason =
                format!("it is a tantivy index without {METADATA_FILE}; build it with `newsdex index`");
            return Err(Error::NotAnIndex { path: path.to_path_buf(), reason });
        }
    };
    let metadata = serde_json::from_slice(&bytes).map_err(|error| Error::NotAnIndex {
        path: path.to_path_buf(),
        reason: format!("{METADATA_FILE} is unreadable: {error}"),
    })?;
    Ok((directory, metadata))
}
