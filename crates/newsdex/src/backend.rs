//! Search backends: one interface over a local tantivy index ([`LocalBackend`]) and a
//! Quickwit cluster ([`QuickwitBackend`](crate::QuickwitBackend)), so that nothing above
//! it — the HTTP server, the command line — knows which one answers.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;

use crate::analysis::Analyzer;
use crate::article::Article;
use crate::commit_queue::{CommitInfo, CommitQueue, CommitQueueSettings, CommitReceipt, WriteOp};
use crate::error::{Error, Result};
use crate::index::NewsIndex;
use crate::quickwit::QuickwitStats;
use crate::related::RelatedResponse;
use crate::search::{SearchRequest, SearchResponse};
use crate::stats::IndexStats;
use crate::writer::WriterSettings;

/// Called once a write is done (or has failed), possibly on another thread.
pub type WriteCallback = Box<dyn FnOnce(Result<WriteReceipt>) + Send>;

/// Told about every commit a backend makes (for metrics); should be quick.
pub type CommitObserver = Arc<dyn Fn(&CommitInfo) + Send + Sync>;

/// Something that answers searches over a set of articles, and takes writes to it.
///
/// Implementations are shared between threads: hold one as `Arc<dyn SearchBackend>` and
/// call it from blocking threads (every method may block on disk or network).
///
/// ```
/// use std::sync::Arc;
/// use newsdex::{Analyzer, Article, LocalBackend, NewsIndex, SearchBackend, SearchRequest, WriterSettings};
///
/// # fn main() -> newsdex::Result<()> {
/// let index = NewsIndex::create_in_ram(Analyzer::new())?;
/// let backend: Arc<dyn SearchBackend> = Arc::new(LocalBackend::with_writer(index, WriterSettings::default())?);
/// backend.upsert(&[Article { id: "a1".into(), title: "華為發布Mate 70手機".into(), ..Article::default() }])?;
/// let response = backend.search(&SearchRequest::new("华为"))?;
/// assert_eq!(response.hits[0].id, "a1");
/// backend.close()?;
/// # Ok(())
/// # }
/// ```
pub trait SearchBackend: Send + Sync + fmt::Debug {
    /// A short name for logs and health reports: `local` or `quickwit`.
    fn name(&self) -> &'static str;

    /// The analyzer queries are analysed with (and the articles were).
    fn analyzer(&self) -> &Analyzer;

    /// Runs a search: the same request gives the same [`SearchResponse`] shape whichever
    /// backend answers.
    fn search(&self, request: &SearchRequest) -> Result<SearchResponse>;

    /// The article with `id`, if any.
    fn get(&self, id: &str) -> Result<Option<Article>>;

    /// Up to `limit` articles most like the article `id` ([`Error::ArticleNotFound`] when
    /// there is none, [`Error::Unsupported`] when the backend cannot tell).
    fn related(&self, id: &str, limit: usize) -> Result<RelatedResponse>;

    /// Whether writes are accepted now.
    fn writes(&self) -> WriteState;

    /// Applies `operations` in order and calls `on_done` once they are done: on this
    /// thread before returning, or later on another. Call it from a thread that may block.
    fn submit_with(&self, operations: Vec<WriteOp>, on_done: WriteCallback);

    /// Applies `operations` in order and waits until they are done.
    fn submit(&self, operations: Vec<WriteOp>) -> Result<WriteReceipt> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        self.submit_with(
            operations,
            Box::new(move |outcome| {
                // The caller waits on the receiver below; it cannot have gone away.
                let _ = sender.send(outcome);
            }),
        );
        receiver.recv().unwrap_or(Err(Error::WriterClosed))
    }

    /// Adds articles, replacing those with the same ids. The receipt says when the change
    /// becomes visible to searches.
    fn upsert(&self, articles: &[Article]) -> Result<WriteReceipt> {
        self.submit(articles.iter().cloned().map(WriteOp::Upsert).collect())
    }

    /// Deletes the articles with these ids (ids that do not exist are ignored).
    fn delete(&self, ids: &[String]) -> Result<WriteReceipt> {
        self.submit(ids.iter().cloned().map(WriteOp::Delete).collect())
    }

    /// How many articles searches can see (for Quickwit, including replaced versions whose
    /// deletion is still pending).
    fn num_articles(&self) -> Result<u64>;

    /// What the backend holds, for operators.
    fn stats(&self) -> Result<BackendStats>;

    /// Calls `observer` after every commit this backend makes from now on: each group
    /// commit of the local writer, each acknowledged write to Quickwit.
    fn observe_commits(&self, observer: CommitObserver);

    /// Stops taking writes and makes pending ones durable (local: commits what is queued
    /// and releases the index). Later calls do nothing.
    fn close(&self) -> Result<()>;
}

/// Whether a backend takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteState {
    /// Opened without a writer: writes are refused.
    ReadOnly,
    /// Writes are accepted.
    Accepting,
    /// The writer has stopped (closed, or failed): writes are refused.
    Stopped,
}

/// What a write did and when searches see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteReceipt {
    /// Articles written.
    pub upserted: u64,
    /// Articles deleted (for Quickwit: ids that had a version to delete).
    pub deleted: u64,
    /// When the change shows in searches.
    pub visibility: Visibility,
}

/// When a write shows in searches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Visibility {
    /// Every search started after the call returned sees the change.
    Immediate,
    /// New versions are searchable when the call returns, but replaced or deleted versions
    /// keep matching until the engine applies its delete tasks, asynchronously.
    DeletesPending {
        /// The delete tasks' operation stamps (Quickwit `opstamp`s), to follow them.
        delete_tasks: Vec<u64>,
        /// When they are expected to apply.
        detail: String,
    },
}

/// What a backend holds, tagged with the backend's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendStats {
    /// A local index: articles, segments, bytes, analyzer, path.
    Local(IndexStats),
    /// A Quickwit index: documents searches see, splits, bytes, analyzer, address.
    Quickwit(QuickwitStats),
}

impl BackendStats {
    /// Articles searches see.
    pub fn articles(&self) -> u64 {
        match self {
            BackendStats::Local(stats) => stats.articles,
            BackendStats::Quickwit(stats) => stats.articles,
        }
    }
}

/// A slot for the commit observer, shared with the thread that commits.
#[derive(Clone, Default)]
pub(crate) struct ObserverSlot(Arc<RwLock<Option<CommitObserver>>>);

impl fmt::Debug for ObserverSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = self.0.read().unwrap_or_else(PoisonError::into_inner).is_some();
        f.debug_struct("ObserverSlot").field("set", &set).finish()
    }
}

impl ObserverSlot {
    pub(crate) fn set(&self, observer: CommitObserver) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(observer);
    }

    pub(crate) fn notify(&self, commit: &CommitInfo) {
        if let Some(observer) = self.0.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            observer(commit);
        }
    }
}

/// The local backend: a [`NewsIndex`] on this machine, read-only or with a writer behind
/// a [`CommitQueue`] (concurrent writes share commits; each is acknowledged once durable
/// and visible).
pub struct LocalBackend {
    index: NewsIndex,
    queue: Option<CommitQueue>,
    observer: ObserverSlot,
}

impl fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBackend").field("index", &self.index).field("writes", &self.writes()).finish()
    }
}

impl LocalBackend {
    /// Serves `index` read-only: writes are refused.
    pub fn new(index: NewsIndex) -> LocalBackend {
        LocalBackend { index, queue: None, observer: ObserverSlot::default() }
    }

    /// Serves `index` and takes writes, through a writer opened with `settings` (which
    /// fails if another writer holds the index).
    pub fn with_writer(index: NewsIndex, settings: WriterSettings) -> Result<LocalBackend> {
        LocalBackend::with_commit_queue(index, settings, CommitQueueSettings::default())
    }

    /// Like [`LocalBackend::with_writer`], with the commit queue's settings too.
    pub fn with_commit_queue(
        index: NewsIndex,
        settings: WriterSettings,
        queue_settings: CommitQueueSettings,
    ) -> Result<LocalBackend> {
        let writer = index.writer(settings)?;
        let observer = ObserverSlot::default();
        let notified = observer.clone();
        let queue =
            CommitQueue::start_observed(writer, queue_settings, move |commit| notified.notify(commit));
        Ok(LocalBackend { index, queue: Some(queue), observer })
    }

    /// The index served.
    pub fn index(&self) -> &NewsIndex {
        &self.index
    }
}

fn receipt(commit: CommitReceipt) -> WriteReceipt {
    WriteReceipt { upserted: commit.upserted, deleted: commit.deleted, visibility: Visibility::Immediate }
}

impl SearchBackend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn analyzer(&self) -> &Analyzer {
        self.index.analyzer()
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        self.index.search(request)
    }

    fn get(&self, id: &str) -> Result<Option<Article>> {
        self.index.get(id)
    }

    fn related(&self, id: &str, limit: usize) -> Result<RelatedResponse> {
        self.index.related(id, limit)
    }

    fn writes(&self) -> WriteState {
        match &self.queue {
            None => WriteState::ReadOnly,
            Some(queue) if queue.is_running() => WriteState::Accepting,
            Some(_) => WriteState::Stopped,
        }
    }

    fn submit_with(&self, operations: Vec<WriteOp>, on_done: WriteCallback) {
        let Some(queue) = &self.queue else {
            on_done(Err(Error::InvalidRequest(
                "this index was opened read-only; open it with LocalBackend::with_writer to write"
                    .to_string(),
            )));
            return;
        };
        queue.submit_with(operations, move |outcome| on_done(outcome.map(receipt)));
    }

    fn num_articles(&self) -> Result<u64> {
        Ok(self.index.num_articles())
    }

    fn stats(&self) -> Result<BackendStats> {
        self.index.stats().map(BackendStats::Local)
    }

    fn observe_commits(&self, observer: CommitObserver) {
        self.observer.set(observer);
    }

    fn close(&self) -> Result<()> {
        match &self.queue {
            Some(queue) => queue.close(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::analysis::Analyzer;

    fn writable() -> LocalBackend {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        LocalBackend::with_writer(index, WriterSettings::new(1, 20 << 20)).expect("writer")
    }

    #[test]
    fn local_writes_are_visible_when_the_call_returns() {
        let backend = writable();
        let article = Article {
            id: "a".into(),
            title: "Tariffs rise".into(),
            body: "Exporters worry.".into(),
            ..Article::default()
        };
        let receipt = backend.upsert(std::slice::from_ref(&article)).expect("upsert");
        assert_eq!(receipt, WriteReceipt { upserted: 1, deleted: 0, visibility: Visibility::Immediate });
        assert_eq!(backend.search(&SearchRequest::new("tariff")).expect("search").total, 1);
        let replaced = Article { title: "Rates fall".into(), ..article };
        backend.upsert(&[replaced]).expect("replace");
        assert_eq!(backend.num_articles().expect("count"), 1, "help: an upsert replaces, it does not add");
        assert_eq!(backend.search(&SearchRequest::new("tariff")).expect("search").total, 0);
        backend.delete(&["a".to_string()]).expect("delete");
        assert_eq!(backend.get("a").expect("get"), None);
        assert_eq!(backend.stats().expect("stats").articles(), 0);
    }

    #[test]
    fn a_bad_article_writes_nothing() {
        let backend = writable();
        let good = Article { id: "good".into(), body: "Markets rose.".into(), ..Article::default() };
        let bad = Article { id: "".into(), body: "no id".into(), ..Article::default() };
        assert!(backend.upsert(&[good, bad]).is_err());
        assert_eq!(backend.num_articles().expect("count"), 0);
    }

    #[test]
    fn read_only_refuses_writes_and_closing_stops_them() {
        let read_only = LocalBackend::new(NewsIndex::create_in_ram(Analyzer::new()).expect("index"));
        assert_eq!(read_only.writes(), WriteState::ReadOnly);
        let article = Article { id: "a".into(), body: "Markets rose.".into(), ..Article::default() };
        let error = read_only.upsert(std::slice::from_ref(&article)).expect_err("read-only");
        assert!(error.to_string().contains("read-only"), "{error}");

        let backend = writable();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&commits);
        backend.observe_commits(Arc::new(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(backend.writes(), WriteState::Accepting);
        backend.upsert(std::slice::from_ref(&article)).expect("upsert");
        backend.close().expect("close");
        assert_eq!(commits.load(Ordering::SeqCst), 1, "help: the observer hears of every commit");
        assert_eq!(backend.writes(), WriteState::Stopped);
        assert!(matches!(backend.upsert(&[article]), Err(Error::WriterClosed)));
    }
}
