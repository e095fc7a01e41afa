//! Writing to an index: upserts and deletes by id, bulk JSONL ingestion, commits.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tantivy::directory::Directory;
use tantivy::directory::error::LockError;
use tantivy::indexer::{IndexWriterOptions, UserOperation};
use tantivy::query::TermSetQuery;
use tantivy::{IndexWriter, TantivyDocument, TantivyError, Term};

use crate::article::{Article, Lang};
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::index::NewsIndex;
use crate::ingest::{JsonlReader, LineError, OnError};
use crate::language::detect_language;
use crate::merge_policy::BoundedMergePolicy;
use crate::schema::NewsSchema;
use crate::storage::storage_error;

/// Smallest memory budget per indexing thread tantivy accepts (15 MB).
pub const MIN_MEMORY_PER_THREAD: usize = 15_000_000;
/// Largest memory budget per indexing thread tantivy accepts (just under 4 GiB).
pub const MAX_MEMORY_PER_THREAD: usize = 4_000_000_000;
/// Most indexing threads tantivy runs.
pub const MAX_THREADS: usize = 8;

/// How an index is written: indexing threads, the writer's memory budget and how large a
/// merge may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WriterSettings {
    /// Indexing threads (each analyses and indexes whole articles), 1 to 8.
    pub threads: usize,
    /// Memory for buffered, not yet flushed documents, shared by the threads. A larger
    /// budget makes fewer, larger segments.
    pub memory_budget_bytes: usize,
    /// The most bytes of segments one merge reads (`None`: the memory budget). A merge maps
    /// its input segments and reads them whole, so this bounds what merging adds to the
    /// process's resident memory; merges run one at a time. A larger limit leaves fewer,
    /// larger segments, which searches a little faster.
    pub max_merge_bytes: Option<u64>,
}

impl Default for WriterSettings {
    /// As many threads as cores (up to 8) and 256 MiB.
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
        WriterSettings::new(threads, 256 << 20)
    }
}

impl WriterSettings {
    /// `threads` indexing threads sharing `memory_budget_bytes`, merges limited to the
    /// budget.
    pub fn new(threads: usize, memory_budget_bytes: usize) -> WriterSettings {
        WriterSettings { threads, memory_budget_bytes, max_merge_bytes: None }
    }

    /// The most bytes of segments one merge reads.
    pub fn merge_limit(&self) -> u64 {
        self.max_merge_bytes.unwrap_or(self.memory_budget_bytes as u64)
    }

    /// Checks the settings are usable, with a message saying what would be.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(Error::InvalidRequest(format!(
                "threads must be between 1 and {MAX_THREADS}, not {}",
                self.threads
            )));
        }
        let minimum = MIN_MEMORY_PER_THREAD * self.threads;
        if self.memory_budget_bytes < minimum {
            return Err(Error::InvalidRequest(format!(
                "a writer memory budget of {} MiB is too small for {}: give at least {} MiB",
                self.memory_budget_bytes >> 20,
                threads_text(self.threads),
                minimum.div_ceil(1 << 20)
            )));
        }
        if self.memory_budget_bytes / self.threads > MAX_MEMORY_PER_THREAD {
            return Err(Error::InvalidRequest(format!(
                "a writer memory budget of {} MiB is too large for {}: at most {} MiB per thread",
                self.memory_budget_bytes >> 20,
                threads_text(self.threads),
                MAX_MEMORY_PER_THREAD >> 20
            )));
        }
        Ok(())
    }
}

/// `1 thread`, `2 threads`.
fn threads_text(threads: usize) -> String {
    if threads == 1 { "1 thread".to_string() } else { format!("{threads} threads") }
}

/// Articles bulk ingestion hands tantivy's indexing threads in one message.
const ARTICLES_PER_MESSAGE: usize = 4;

/// Options for [`NewsWriter::ingest_jsonl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IngestOptions {
    /// Skip bad lines (and report them) or index nothing.
    pub on_error: OnError,
    /// How many line errors the report keeps (all are counted).
    pub max_reported_errors: usize,
    /// Commit after every this many articles, so a crash loses at most that many
    /// (`None`: only the caller commits). Ignored with [`OnError::Fail`], which is all or
    /// nothing.
    pub commit_every: Option<u64>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { on_error: OnError::Skip, max_reported_errors: 100, commit_every: None }
    }
}

/// What an ingestion did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Articles written (upserted).
    pub indexed: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Articles whose id appeared earlier in the same ingestion: the last one wins.
    pub duplicates: u64,
    /// Bytes of input read.
    pub input_bytes: u64,
    /// The first rejected lines, in order.
    pub errors: Vec<LineError>,
}

impl IngestReport {
    /// Adds another report's counts and errors to this one.
    pub fn merge(&mut self, other: IngestReport, max_reported_errors: usize) {
        self.indexed += other.indexed;
        self.rejected += other.rejected;
        self.duplicates += other.duplicates;
        self.input_bytes += other.input_bytes;
        let room = max_reported_errors.saturating_sub(self.errors.len());
        self.errors.extend(other.errors.into_iter().take(room));
    }
}

/// Progress of an ingestion, reported periodically.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestProgress {
    /// Lines read.
    pub lines: u64,
    /// Articles written.
    pub indexed: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Bytes read.
    pub input_bytes: u64,
    /// Set when a periodic commit just made every line up to here durable.
    pub committed_through_line: Option<u64>,
}

/// The file beside the index naming the process that holds the writer lock. The leading
/// dot keeps tantivy's garbage collector away from it.
const WRITER_FILE: &str = ".newsdex-writer.pid";

/// How often (in lines) ingestion reports progress.
const PROGRESS_EVERY: u64 = 1000;

/// The single writer of an index. Changes become visible to searches at
/// [`NewsWriter::commit`]; dropping the writer without committing discards them.
pub struct NewsWriter {
    writer: IndexWriter<TantivyDocument>,
    schema: Arc<NewsSchema>,
    index: NewsIndex,
    /// Fingerprints of the ids upserted since the last commit: an id neither among them
    /// nor in the committed index needs no delete before it is added.
    uncommitted_ids: Mutex<HashSet<u64>>,
}

fn id_fingerprint(id: &str) -> u64 {
    let mut fingerprint = Fingerprint::new();
    fingerprint.write_str(id);
    fingerprint.finish()
}

impl NewsWriter {
    pub(crate) fn open(index: &NewsIndex, settings: WriterSettings) -> Result<NewsWriter> {
        settings.validate()?;
        let directory = index.tantivy_index().directory();
        let path = index.path().map(Path::to_path_buf);
        if index.is_read_only() {
            let unwritable =
                std::io::Error::new(std::io::ErrorKind::ReadOnlyFilesystem, "read-only file system");
            return Err(storage_error(
                TantivyError::IoError(Arc::new(unwritable)),
                "write to",
                path.as_ref(),
            ));
        }
        let options = IndexWriterOptions::builder()
            .num_worker_threads(settings.threads)
            .memory_budget_per_thread(settings.memory_budget_bytes / settings.threads)
            // One merge at a time, so merging holds at most one limit's worth of segments.
            .num_merge_threads(1)
            .build();
        let writer = index.tantivy_index().writer_with_options(options).map_err(|error| match error {
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                let holder = directory
                    .atomic_read(Path::new(WRITER_FILE))
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| text.trim().parse::<u32>().ok())
                    .map_or_else(|| "another writer".to_string(), |pid| format!("process {pid}"));
                Error::IndexLocked(format!(
                    "the index at {} is locked by {holder}; wait for it to finish (the lock of a \
                         writer that crashed is released by the system)",
                    path.as_ref().map_or_else(|| "(memory)".to_string(), |p| p.display().to_string())
                ))
            }
            other => storage_error(other, "open a writer on", path.as_ref()),
        })?;
        writer.set_merge_policy(Box::new(BoundedMergePolicy::new(
            index.tantivy_index().directory().clone(),
            settings.merge_limit(),
        )));
        // Another handle may have committed since this one's reader last looked; upserts
        // decide whether an id is new from the reader, so it must see every commit. Nobody
        // else can commit while the lock is held.
        index.reload()?;
        // Who holds the lock, for the message a second writer gets. Best effort: the lock
        // itself is what protects the index.
        if let Err(error) =
            directory.atomic_write(Path::new(WRITER_FILE), std::process::id().to_string().as_bytes())
        {
            tracing::warn!(%error, "cannot record the writer's process id");
        }
        Ok(NewsWriter {
            writer,
            schema: Arc::new(index.schema().clone()),
            index: index.clone(),
            uncommitted_ids: Mutex::new(HashSet::new()),
        })
    }

    /// Adds `article`, replacing any article with the same id. Returns the language it
    /// was indexed under (detected when the article has none).
    pub fn upsert(&self, article: &Article) -> Result<Lang> {
        article.validate()?;
        let mut langs = Vec::with_capacity(1);
        self.write(&[article], &mut langs)?;
        Ok(langs[0])
    }

    /// Adds every article, replacing any with the same id; an article later in `articles`
    /// replaces an earlier one with its id. Returns the language each was indexed under, in
    /// order.
    ///
    /// Every article is checked before any is written: an invalid one fails the call with
    /// an [`Error::InvalidArticle`] naming its place and id, and nothing is written. The
    /// faster way to load many articles: they reach the indexing threads a few at a time
    /// rather than one by one.
    pub fn upsert_all<'a>(&self, articles: impl IntoIterator<Item = &'a Article>) -> Result<Vec<Lang>> {
        let articles: Vec<&Article> = articles.into_iter().collect();
        for (place, article) in articles.iter().enumerate() {
            if let Some(problem) = article.problem() {
                return Err(Error::InvalidArticle(format!(
                    "articles[{place}] (id {:?}): {problem}",
                    article.id
                )));
            }
        }
        let mut langs = Vec::with_capacity(articles.len());
        for group in articles.chunks(ARTICLES_PER_MESSAGE) {
            self.write(group, &mut langs)?;
        }
        Ok(langs)
    }

    /// Hands tantivy valid articles in one message, each replacing any article with its
    /// id, and adds the language each is indexed under to `langs`. Deletes and adds keep
    /// their order (tantivy numbers them in sequence), so a repeated id deletes the copy
    /// written before it.
    fn write(&self, articles: &[&Article], langs: &mut Vec<Lang>) -> Result<()> {
        let mut operations = Vec::with_capacity(articles.len() * 2);
        for article in articles {
            let lang = language_of(article);
            let id = Term::from_field_text(self.schema.id, &article.id);
            if self.may_hold(&article.id, &id)? {
                operations.push(UserOperation::Delete(id));
            }
            operations.push(UserOperation::Add(self.schema.document(article, lang)));
            langs.push(lang);
        }
        self.writer.run(operations).map_err(|error| self.error(error, "write to"))?;
        Ok(())
    }

    /// `error` from trying to `action` this writer's index, naming its directory.
    fn error(&self, error: TantivyError, action: &str) -> Error {
        storage_error(error, action, self.index.path().map(Path::to_path_buf).as_ref())
    }

    /// Whether an article with this id may already be in the index, committed or not.
    ///
    /// Tantivy keeps every pending delete (about a kilobyte each) until the commit and
    /// checks it against every new segment, so a bulk load of new articles would pay for a
    /// delete per article it never needed. An id is new when this writer has not upserted
    /// it since the last commit and the committed index has no document with it; a
    /// fingerprint collision or a deleted document only costs an unneeded delete.
    fn may_hold(&self, id: &str, term: &Term) -> Result<bool> {
        let first_since_commit =
            self.uncommitted_ids.lock().unwrap_or_else(PoisonError::into_inner).insert(id_fingerprint(id));
        if !first_since_commit {
            return Ok(true);
        }
        Ok(self.index.reader().searcher().doc_freq(term)? > 0)
    }

    /// Deletes the article with `id` (nothing happens if there is none).
    pub fn delete(&self, id: &str) {
        self.writer.delete_term(Term::from_field_text(self.schema.id, id));
    }

    /// Makes every change since the last commit durable and visible to searches.
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit().map_err(|error| self.error(error, "commit to"))?;
        // The committed ids are in the reloaded searcher from now on.
        self.index.reload()?;
        self.uncommitted_ids.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(())
    }

    /// Discards every change since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        self.uncommitted_ids.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(())
    }

    /// Waits for background merges to finish and releases the index.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Upserts every article of a JSON Lines stream, without committing.
    ///
    /// With [`OnError::Skip`] bad lines are counted and reported and every good line is
    /// written; with [`OnError::Fail`] the first bad line rolls back everything written
    /// since the last commit and is returned as the error.
    ///
    /// Articles are written in runs grouped by language: up to 4,096 at a time, in stream
    /// order within each language, so that each language holds runs of document ids and
    /// conjunctions of words from two languages skip the other's runs. An id repeated in
    /// the stream is still written in stream order, so the last one wins.
    pub fn ingest_jsonl(
        &mut self,
        input: impl BufRead,
        options: &IngestOptions,
        progress: &mut dyn FnMut(IngestProgress),
    ) -> Result<IngestReport> {
        let mut reader = JsonlReader::new(input);
        // Every id of this ingestion, across its periodic commits: for the duplicate count.
        let mut seen_ids = HashSet::new();
        let mut report = IngestReport::default();
        let mut runs = LanguageRuns::default();
        let mut lines = 0u64;
        let mut committed_at = 0u64;
        while let Some(record) = reader.next() {
            let record = record?;
            lines = record.line;
            // The reader has validated the article.
            match record.article {
                Ok(article) => {
                    if runs.holds(&article) {
                        self.write_runs(&mut runs, &mut seen_ids, &mut report, options)?;
                    }
                    if runs.push(record.line, article) {
                        self.write_runs(&mut runs, &mut seen_ids, &mut report, options)?;
                    }
                }
                Err(line_error) => self.reject(line_error, &mut report, options)?,
            }
            if let Some(every) = options.commit_every.filter(|_| options.on_error == OnError::Skip)
                && report.indexed + runs.len() - committed_at >= every.max(1)
            {
                self.write_runs(&mut runs, &mut seen_ids, &mut report, options)?;
                self.commit()?;
                committed_at = report.indexed;
                progress(IngestProgress {
                    lines,
                    indexed: report.indexed,
                    rejected: report.rejected,
                    input_bytes: reader.bytes_read(),
                    committed_through_line: Some(lines),
                });
            }
            if lines.is_multiple_of(PROGRESS_EVERY) {
                progress(IngestProgress {
                    lines,
                    indexed: report.indexed + runs.len(),
                    rejected: report.rejected,
                    input_bytes: reader.bytes_read(),
                    committed_through_line: None,
                });
            }
        }
        self.write_runs(&mut runs, &mut seen_ids, &mut report, options)?;
        report.input_bytes = reader.bytes_read();
        progress(IngestProgress {
            lines,
            indexed: report.indexed,
            rejected: report.rejected,
            input_bytes: report.input_bytes,
            committed_through_line: None,
        });
        Ok(report)
    }

    /// Writes the waiting articles, a language at a time.
    fn write_runs(
        &mut self,
        runs: &mut LanguageRuns,
        seen_ids: &mut HashSet<u64>,
        report: &mut IngestReport,
        options: &IngestOptions,
    ) -> Result<()> {
        // One delete for all the ids of the gathering the index may already hold, ahead of
        // its articles: a gathering never repeats an id, so this replaces exactly what a
        // delete per article would. Tantivy keeps every pending delete until the commit, and
        // a delete per article (about a kilobyte each) made re-indexing a million articles
        // into an index that held them peak at 1.9 GB; a set of ids costs about its bytes.
        let mut held = Vec::new();
        let mut articles = Vec::with_capacity(runs.waiting.len());
        for (line, article, lang) in runs.take() {
            let id = Term::from_field_text(self.schema.id, &article.id);
            match self.may_hold(&article.id, &id) {
                Ok(may_hold) => {
                    if may_hold {
                        held.push(id);
                    }
                    articles.push((line, article, lang));
                }
                Err(error) => {
                    let line_error = LineError::new(line, Some(article.id), error.to_string());
                    self.reject(line_error, report, options)?;
                }
            }
        }
        if !held.is_empty() {
            self.writer
                .delete_query(Box::new(TermSetQuery::new(held)))
                .map_err(|error| self.error(error, "write to"))?;
        }
        // A few articles to a message: an indexing thread that keeps up wakes the reading
        // thread for every message it takes, and that wake-up was a twentieth of its work
        // at one article a message. Tantivy queues at most 10,000 messages, so the
        // articles waiting stay within a few times what one at a time would queue.
        let mut articles = articles.into_iter().peekable();
        while articles.peek().is_some() {
            let group: Vec<_> = articles.by_ref().take(ARTICLES_PER_MESSAGE).collect();
            let documents: Vec<_> = group
                .iter()
                .map(|(_, article, lang)| UserOperation::Add(self.schema.document(article, *lang)))
                .collect();
            let written = self.writer.run(documents).map_err(|error| self.error(error, "write to"));
            for (line, article, _) in group {
                match &written {
                    Ok(_) => {
                        report.indexed += 1;
                        if !seen_ids.insert(id_fingerprint(&article.id)) {
                            report.duplicates += 1;
                        }
                    }
                    Err(error) => {
                        let line_error = LineError::new(line, Some(article.id), error.to_string());
                        self.reject(line_error, report, options)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts and reports a bad line, or with [`OnError::Fail`] rolls back and fails.
    fn reject(
        &mut self,
        line_error: LineError,
        report: &mut IngestReport,
        options: &IngestOptions,
    ) -> Result<()> {
        if options.on_error == OnError::Fail {
            self.rollback()?;
            return Err(Error::InvalidArticle(line_error.to_string()));
        }
        report.rejected += 1;
        if report.errors.len() < options.max_reported_errors {
            report.errors.push(line_error);
        }
        Ok(())
    }
}

/// The language of an article: its own, or detected from its text.
fn language_of(article: &Article) -> Lang {
    article.lang.unwrap_or_else(|| detect_language(&format!("{}\n{}", article.title, article.body)))
}

/// Articles waiting to be written in runs of one language.
///
/// Document ids follow the order articles are written in, and tantivy's merges keep that
/// order. When the articles of a language hold runs of ids, a conjunction of words from
/// two languages (`经济 market`) skips whole runs through the posting lists' skip data;
/// interleaved, it visits every article holding the rarer word (about eight times slower
/// on a million mixed articles). So a bulk ingestion gathers up to [`LanguageRuns::ARTICLES`]
/// articles (or [`LanguageRuns::BYTES`] of text) and writes them grouped by language, in
/// stream order within each language. An id already waiting ends the gathering first, so
/// repeated ids are written in stream order.
#[derive(Default)]
struct LanguageRuns {
    waiting: Vec<(u64, Article, Lang)>,
    ids: HashSet<u64>,
    bytes: usize,
}

impl LanguageRuns {
    /// Articles gathered before they are written.
    const ARTICLES: usize = 4096;
    /// Bytes of title and body gathered before they are written.
    const BYTES: usize = 32 << 20;

    /// Whether an article with `article`'s id is waiting: those must be written first.
    fn holds(&self, article: &Article) -> bool {
        self.ids.contains(&id_fingerprint(&article.id))
    }

    /// Adds a valid article read at `line`. Returns whether the gathering is full.
    fn push(&mut self, line: u64, article: Article) -> bool {
        self.ids.insert(id_fingerprint(&article.id));
        self.bytes += article.title.len() + article.body.len();
        let lang = language_of(&article);
        self.waiting.push((line, article, lang));
        self.waiting.len() >= Self::ARTICLES || self.bytes >= Self::BYTES
    }

    /// Articles waiting.
    fn len(&self) -> u64 {
        self.waiting.len() as u64
    }

    /// The waiting articles, grouped by language (a stable sort: stream order within each).
    fn take(&mut self) -> Vec<(u64, Article, Lang)> {
        self.ids.clear();
        self.bytes = 0;
        let mut waiting = std::mem::take(&mut self.waiting);
        waiting.sort_by_key(|(_, _, lang)| *lang);
        waiting
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::Value;

    use super::*;
    use crate::analysis::Analyzer;

    fn line(id: &str, lang: &str, title: &str) -> String {
        format!(r#"{{"id":"{id}","lang":"{lang}","title":"{title}","body":"{title}"}}"#)
    }

    /// The languages of the index's articles in document id order.
    fn languages_in_id_order(index: &NewsIndex) -> Vec<String> {
        let searcher = index.reader().searcher();
        let mut langs = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                let document: TantivyDocument =
                    searcher.doc(tantivy::DocAddress::new(ord as u32, doc)).expect("stored document");
                let lang =
                    document.get_first(index.schema().lang).and_then(|v| v.as_str()).unwrap_or_default();
                langs.push(lang.to_string());
            }
        }
        langs
    }

    fn ingest(index: &NewsIndex, lines: &[String]) -> IngestReport {
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        let input = lines.join("\n");
        let report =
            writer.ingest_jsonl(input.as_bytes(), &IngestOptions::default(), &mut |_| {}).expect("ingest");
        writer.commit().expect("commit");
        report
    }

    #[test]
    fn bulk_ingestion_writes_each_language_as_one_run_of_ids() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let lines: Vec<String> = (0..30)
            .map(|n| match n % 3 {
                0 => line(&format!("a{n}"), "en", "Oil prices rise"),
                1 => line(&format!("a{n}"), "zh-Hans", "油价上涨"),
                _ => line(&format!("a{n}"), "zh-Hant", "油價上漲"),
            })
            .collect();
        let report = ingest(&index, &lines);
        assert_eq!(report.indexed, 30);
        let langs = languages_in_id_order(&index);
        let mut runs = langs.clone();
        runs.dedup();
        assert_eq!(runs, ["zh-Hans", "zh-Hant", "en"], "help: interleaved languages, got {langs:?}");
    }

    #[test]
    fn a_repeated_id_is_written_in_stream_order_whatever_its_language() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let lines = [
            line("x", "zh-Hans", "第一版"),
            line("y", "en", "Other article"),
            line("x", "en", "Second version"),
            line("z", "zh-Hans", "另一篇"),
            line("x", "zh-Hant", "第三版"),
        ]
        .map(String::from);
        let report = ingest(&index, &lines);
        assert_eq!((report.indexed, report.duplicates), (5, 2));
        assert_eq!(index.num_articles(), 3);
        assert_eq!(
            index.get("x").expect("get").expect("present").title,
            "第三版",
            "help: the last line must win"
        );
    }
    fn article(id: &str, title: &str, lang: Option<Lang>) -> Article {
        Article { id: id.to_string(), title: title.to_string(), lang, ..Article::default() }
    }

    #[test]
    fn upsert_all_writes_in_order_and_the_last_copy_of_an_id_wins() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(2, 40 << 20)).expect("writer");
        writer.upsert(&article("held", "Oil prices rise", Some(Lang::En))).expect("upsert");
        writer.commit().expect("commit");
        // Copies of an id inside one group of the batch and across groups, a committed id
        // replaced, and a language left to detection.
        let mut batch: Vec<Article> =
            (0..10).map(|n| article(&format!("a{n}"), "Oil prices fall", Some(Lang::En))).collect();
        batch.insert(1, article("a0", "第二版", Some(Lang::ZhHans)));
        batch.push(article("held", "油價回落", None));
        batch.push(article("a0", "第三版", Some(Lang::ZhHant)));
        batch.push(article("a5", "Fifth, again", Some(Lang::En)));
        let langs = writer.upsert_all(&batch).expect("upsert_all");
        assert_eq!(langs.len(), batch.len());
        assert_eq!(langs[11], Lang::ZhHant, "help: a Traditional title with no lang is detected as zh-Hant");
        writer.commit().expect("commit");
        assert_eq!(index.num_articles(), 11, "help: each id once");
        let title = |id: &str| index.get(id).expect("get").expect("present").title;
        assert_eq!(title("a0"), "第三版", "help: the last copy must win");
        assert_eq!(title("a5"), "Fifth, again");
        assert_eq!(title("a9"), "Oil prices fall");
        assert_eq!(title("held"), "油價回落");
        assert!(index.search(&crate::SearchRequest::new("rise")).expect("search").hits.is_empty());
    }

    #[test]
    fn upsert_all_writes_nothing_when_one_article_is_invalid() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        let batch =
            [article("a", "Oil prices rise", None), article("b", "", None), article("c", "Gold falls", None)];
        let error = writer.upsert_all(&batch).expect_err("an empty article is invalid");
        assert!(matches!(error, Error::InvalidArticle(_)));
        assert!(
            error.to_string().ends_with(r#"articles[1] (id "b"): "title" and "body" are both empty"#),
            "{error}"
        );
        writer.commit().expect("commit");
        assert_eq!(index.num_articles(), 0, "help: nothing of an invalid batch may be written");
        assert_eq!(writer.upsert_all(&batch[..1]).expect("valid"), [Lang::En]);
        assert!(writer.upsert_all(&[]).expect("nothing to write").is_empty());
        writer.commit().expect("commit");
        assert_eq!(index.num_articles(), 1);
    }

    #[test]
    fn re_ingesting_replaces_every_held_article_once() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let first: Vec<String> = (0..40).map(|n| line(&format!("a{n}"), "en", "Oil prices rise")).collect();
        assert_eq!(ingest(&index, &first).indexed, 40);
        // Every held id again (in several gatherings' worth of languages), new ids, and
        // an id repeated within the stream.
        let mut second: Vec<String> = (0..40)
            .map(|n| match n % 2 {
                0 => line(&format!("a{n}"), "zh-Hans", "油价回落"),
                _ => line(&format!("a{n}"), "en", "Oil prices fall"),
            })
            .collect();
        second.extend((40..45).map(|n| line(&format!("a{n}"), "en", "New article")));
        second.push(line("a3", "zh-Hant", "油價再跌"));
        let report = ingest(&index, &second);
        assert_eq!((report.indexed, report.duplicates), (46, 1));
        assert_eq!(index.num_articles(), 45, "help: each id once");
        let title = |id: &str| index.get(id).expect("get").expect("present").title;
        assert_eq!(title("a0"), "油价回落");
        assert_eq!(title("a1"), "Oil prices fall");
        assert_eq!(title("a3"), "油價再跌", "help: the last line must win");
        assert_eq!(title("a44"), "New article");
        assert!(index.search(&crate::SearchRequest::new("rise")).expect("search").hits.is_empty());
    }
}
