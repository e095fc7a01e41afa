//! newsdex on Quickwit: export an index to a Quickwit cluster and search it with the same
//! requests and responses as a local index.
//!
//! Quickwit is a distributed search engine built on tantivy (stateless searchers over
//! object storage). It cannot load newsdex's analyzer, and does not need to: newsdex
//! analyses, Quickwit stores and ranks.
//!
//! - [`quickwit_index_config`] is the Quickwit index newsdex creates, and `mapping` documents the
//!   layout: original text stored, precise words in a positional field, sub-words in
//!   another, sentence gaps kept with filler tokens.
//! - [`export_to_quickwit`] sends every article of a local index, in batches, resumably.
//! - [`QuickwitBackend`] is a [`SearchBackend`](crate::SearchBackend): queries are
//!   analysed by newsdex and written in Quickwit's query language (`translate`), results
//!   are highlighted by newsdex on the original text.
//! - [`QuickwitClient`] is the blocking HTTP client under them, with typed errors.

mod backend;
mod client;
mod export;
mod mapping;
mod translate;

pub use self::backend::{CommitMode, QuickwitBackend, QuickwitStats, RECENCY_RERANK_WINDOW};
pub use self::client::QuickwitClient;
pub use self::export::{ExportOptions, ExportProgress, ExportReport, export_to_quickwit};
pub use self::mapping::{ExportIdentity, QuickwitDocument, quickwit_index_config};

/// The query string the Quickwit backend sends for `query` when every word is required:
/// for inspection, and for tools that query Quickwit themselves. Filters typed into the
/// query (`lang:en`) are not part of it: the backend sends them beside the query string,
/// with the request's own filters.
pub fn quickwit_query_string(
    query: &str,
    analyzer: &crate::Analyzer,
    ranking: &crate::RankingConfig,
) -> crate::Result<String> {
    let parsed = crate::query::parse(query)?;
    let analyzed = crate::search::analyze_query(&parsed, analyzer)?;
    translate::query_string(&analyzed, crate::search::Matching::All, ranking)
}
