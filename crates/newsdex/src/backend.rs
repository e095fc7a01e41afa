//! Search backends: one interface over a local tantivy index ([`LocalBackend`]) and a
//! Quickwit cluster ([`QuickwitBackend`](crate::QuickwitBackend)), so that nothing above
//! it — the HTTP server, the command line — knows which one answers.

use std::fmt;
use std::sync::Mutex;

use serde::Serialize;

use crate::article::Article;
use crate::error::{Error, Result};
use crate::index::NewsIndex;
use crate::search::{SearchRequest, SearchResponse};
use crate::writer::{NewsWriter, WriterSettings};

/// Something that answers searches over a set of articles, and takes writes to it.
///
/// Implementations are shared between threads: hold one as `Arc<dyn SearchBackend>` and
/// call it from blocking threads (every method may block on disk or network).
///
/// ```
/// use std::sync::Arc;
/// use newsdex::{Analyzer, Article, LocalBackend, NewsIndex, SearchBackend, SearchRequest};
///
/// # fn main() -> newsdex::Result<()> {
/// let backend: Arc<dyn SearchBackend> =
///     Arc::new(LocalBackend::new(NewsIndex::create_in_ram(Analyzer::new())?));
/// backend.upsert(&[Article { id: "a1".into(), title: "華為發布Mate 70手機".into(), ..Article::default() }])?;
/// let response = backend.search(&SearchRequest::new("华为"))?;
/// assert_eq!(response.hits[0].id, "a1");
/// # Ok(())
/// # }
/// ```
pub trait SearchBackend: Send + Sync + fmt::Debug {
    /// A short name for logs and health reports: `local` or `quickwit`.
    fn name(&self) -> &'static str;

    /// Runs a search: the same request gives the same [`SearchResponse`] shape whichever
    /// backend answers.
    fn search(&self, request: &SearchRequest) -> Result<SearchResponse>;

    /// The article with `id`, if any.
    fn get(&self, id: &str) -> Result<Option<Article>>;

    /// Adds articles, replacing those with the same ids. The receipt says when the change
    /// becomes visible to searches.
    fn upsert(&self, articles: &[Article]) -> Result<WriteReceipt>;

    /// Deletes the articles with these ids (ids that do not exist are ignored).
    fn delete(&self, ids: &[String]) -> Result<WriteReceipt>;

    /// How many articles searches can see (for Quickwit, including replaced versions whose
    /// deletion is still pending).
    fn num_articles(&self) -> Result<u64>;
}

/// What a write did and when searches see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteReceipt {
    /// Articles written, or ids deleted.
    pub articles: usize,
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

/// The local backend: a [`NewsIndex`] on this machine. Writes go through one writer,
/// opened on first use and kept, and are committed before the call returns.
pub struct LocalBackend {
    index: NewsIndex,
    settings: WriterSettings,
    writer: Mutex<Option<NewsWriter>>,
}

impl fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBackend").field("index", &self.index).finish()
    }
}

impl LocalBackend {
    /// Serves `index`; writes use default writer settings.
    pub fn new(index: NewsIndex) -> LocalBackend {
        LocalBackend::with_writer_settings(index, WriterSettings { threads: 1, ..WriterSettings::default() })
    }

    /// Serves `index`, writing with `settings`.
    pub fn with_writer_settings(index: NewsIndex, settings: WriterSettings) -> LocalBackend {
        LocalBackend { index, settings, writer: Mutex::new(None) }
    }

    /// The index served.
    pub fn index(&self) -> &NewsIndex {
        &self.index
    }

    /// Runs `write` with the writer (opened on first use), then commits; rolls back when
    /// `write` fails.
    fn write(&self, write: impl FnOnce(&NewsWriter) -> Result<usize>) -> Result<WriteReceipt> {
        let mut slot = self.writer.lock().map_err(|_| {
            Error::InvalidRequest("a previous write panicked; restart the server".to_string())
        })?;
        if slot.is_none() {
            *slot = Some(self.index.writer(self.settings)?);
        }
        let Some(writer) = slot.as_mut() else {
            return Err(Error::InvalidRequest("the index writer is unavailable".to_string()));
        };
        match write(writer) {
            Ok(articles) => {
                writer.commit()?;
                Ok(WriteReceipt { articles, visibility: Visibility::Immediate })
            }
            Err(error) => {
                writer.rollback()?;
                Err(error)
            }
        }
    }
}

impl SearchBackend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        self.index.search(request)
    }

    fn get(&self, id: &str) -> Result<Option<Article>> {
        self.index.get(id)
    }

    fn upsert(&self, articles: &[Article]) -> Result<WriteReceipt> {
        for article in articles {
            article.validate()?;
        }
        self.write(|writer| {
            for article in articles {
                writer.upsert(article)?;
            }
            Ok(articles.len())
        })
    }

    fn delete(&self, ids: &[String]) -> Result<WriteReceipt> {
        self.write(|writer| {
            for id in ids {
                writer.delete(id);
            }
            Ok(ids.len())
        })
    }

    fn num_articles(&self) -> Result<u64> {
        Ok(self.index.num_articles())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;

    #[test]
    fn local_writes_are_visible_when_the_call_returns() {
        let backend = LocalBackend::new(NewsIndex::create_in_ram(Analyzer::new()).expect("index"));
        let article = Article {
            id: "a".into(),
            title: "Tariffs rise".into(),
            body: "Exporters worry.".into(),
            ..Article::default()
        };
        let receipt = backend.upsert(std::slice::from_ref(&article)).expect("upsert");
        assert_eq!(receipt, WriteReceipt { articles: 1, visibility: Visibility::Immediate });
        assert_eq!(backend.search(&SearchRequest::new("tariff")).expect("search").total, 1);
        let replaced = Article { title: "Rates fall".into(), ..article };
        backend.upsert(&[replaced]).expect("replace");
        assert_eq!(backend.num_articles().expect("count"), 1, "help: an upsert replaces, it does not add");
        assert_eq!(backend.search(&SearchRequest::new("tariff")).expect("search").total, 0);
        backend.delete(&["a".to_string()]).expect("delete");
        assert_eq!(backend.get("a").expect("get"), None);
    }

    #[test]
    fn a_bad_article_writes_nothing() {
        let backend = LocalBackend::new(NewsIndex::create_in_ram(Analyzer::new()).expect("index"));
        let good = Article { id: "good".into(), body: "Markets rose.".into(), ..Article::default() };
        let bad = Article { id: "".into(), body: "no id".into(), ..Article::default() };
        assert!(backend.upsert(&[good, bad]).is_err());
        assert_eq!(backend.num_articles().expect("count"), 0);
    }
}
