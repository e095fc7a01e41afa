//! The library's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in newsdex.
///
/// The caller's mistakes (a bad query, a malformed article, an index built by another
/// analyzer) are apart from ours and the machine's (IO, a corrupt index); see
/// [`Error::is_user_error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query cannot be searched: empty, too long, or made of nothing searchable.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A search or write option is out of range or malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An article failed validation.
    #[error("invalid article: {0}")]
    InvalidArticle(String),
    /// A date newsdex cannot read: malformed, impossible, or outside
    /// [`DATE_YEARS`](crate::DATE_YEARS). The message names the date and what is wrong.
    #[error("{0}")]
    InvalidDate(String),
    /// No article has this id.
    #[error("no article with id {0:?}")]
    ArticleNotFound(String),
    /// A user dictionary could not be parsed.
    #[error("user dictionary {name}: {message}")]
    Dictionary {
        /// Where the dictionary came from.
        name: String,
        /// What is wrong, with its line number.
        message: String,
    },
    /// A synonyms file could not be parsed.
    #[error("synonyms {name}: {message}")]
    Synonyms {
        /// Where the synonyms came from.
        name: String,
        /// What is wrong, with its line number.
        message: String,
    },
    /// The index was built by a different analyzer than the one opening it.
    #[error(
        "the index at {path} was built with analyzer {built_with}, but it is being opened with \
         {opened_with}; {remedy}"
    )]
    AnalyzerMismatch {
        /// The index directory.
        path: String,
        /// The analyzer recorded in the index.
        built_with: String,
        /// The analyzer given to open it.
        opened_with: String,
        /// What to do about it.
        remedy: String,
    },
    /// The path is not a newsdex index.
    #[error("{} is not a newsdex index: {reason}", path.display())]
    NotAnIndex {
        /// The directory.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// Another writer holds the index's lock.
    #[error("{0}")]
    IndexLocked(String),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The index itself failed (tantivy): corruption, a full disk, a bug.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Quickwit could not be reached: connection refused, a name that does not resolve,
    /// a timeout.
    #[error("cannot reach quickwit at {url}: {message}")]
    QuickwitUnreachable {
        /// The address called.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Quickwit answered with an error status.
    #[error("quickwit answered {status} to {method} {url}: {message}")]
    QuickwitStatus {
        /// The HTTP status.
        status: u16,
        /// The HTTP method.
        method: &'static str,
        /// The address called.
        url: String,
        /// Quickwit's message, or the start of its answer.
        message: String,
    },
    /// Quickwit's answer could not be understood (not JSON, or not the documented shape).
    #[error("unexpected answer from quickwit to {method} {url}: {message}")]
    QuickwitResponse {
        /// The HTTP method.
        method: &'static str,
        /// The address called.
        url: String,
        /// What is wrong with the answer.
        message: String,
    },
    /// The [`CommitQueue`](crate::CommitQueue) has shut down (or its thread stopped): the
    /// write was not accepted.
    #[error("the index writer is closed; the write was not applied")]
    WriterClosed,
    /// The backend cannot do this (e.g. related articles on Quickwit); the message says
    /// what to use instead.
    #[error("{0}")]
    Unsupported(String),
    /// A commit failed; none of the writes it grouped were applied.
    #[error("the commit failed and its writes were rolled back: {0}")]
    CommitFailed(String),
}

impl Error {
    /// Whether the caller can fix this by changing the request, article or arguments
    /// (an HTTP 4xx), as opposed to a failure of the index or the machine (a 5xx).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidQuery(_)
                | Error::InvalidRequest(_)
                | Error::InvalidArticle(_)
                | Error::InvalidDate(_)
                | Error::ArticleNotFound(_)
                | Error::Dictionary { .. }
                | Error::Synonyms { .. }
                | Error::AnalyzerMismatch { .. }
                | Error::NotAnIndex { .. }
                | Error::IndexLocked(_)
        )
    }
}

/// `Result` with newsdex's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
