//! Related articles: "more like this" over an article's own words.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue};
use tantivy::{TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::index::NewsIndex;
use crate::search::{Hit, MAX_LIMIT};
use crate::snippet::{HighlightSpec, Highlighter, SnippetOptions, floor_char_boundary};

/// Articles like a given one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedResponse {
    /// The article the others are like.
    pub id: String,
    /// Time spent in the engine, in milliseconds.
    pub took_ms: u64,
    /// The related articles, most similar first.
    pub hits: Vec<Hit>,
}

/// Words of the article that most distinguish it (by tf·idf) make the query.
const MAX_QUERY_TERMS: usize = 25;

/// How much of the article's text its words are picked from, in bytes: the opening of a
/// very long article says what it is about, and analysing 50 MB would take seconds.
const MAX_ANALYZED_BYTES: usize = 1_000_000;

impl NewsIndex {
    /// Up to `limit` articles most like the article `id`: its most distinctive words, in
    /// either script and any language, searched in titles and bodies. The article itself
    /// is left out.
    pub fn related(&self, id: &str, limit: usize) -> Result<RelatedResponse> {
        let started = Instant::now();
        if limit > MAX_LIMIT {
            return Err(Error::InvalidRequest(format!("limit must be at most {MAX_LIMIT}, not {limit}")));
        }
        let schema = self.schema();
        let searcher = self.reader().searcher();
        let id_term = Term::from_field_text(schema.id, id);
        let own = TermQuery::new(id_term.clone(), IndexRecordOption::Basic);
        let Some((_, address)) =
            searcher.search(&own, &TopDocs::with_limit(1).order_by_score())?.into_iter().next()
        else {
            return Err(Error::ArticleNotFound(id.to_string()));
        };
        let document: TantivyDocument = searcher.doc(address)?;
        let mut article = schema.article(&document);
        article.body.truncate(floor_char_boundary(&article.body, MAX_ANALYZED_BYTES));
        let like_this = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(MAX_QUERY_TERMS)
            .with_document_fields(vec![
                (schema.title, vec![OwnedValue::Str(article.title)]),
                (schema.body, vec![OwnedValue::Str(article.body)]),
            ]);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like_this) as Box<dyn Query>),
            (Occur::MustNot, Box::new(TermQuery::new(id_term, IndexRecordOption::Basic))),
        ]);
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut highlighter = Highlighter::new(self.analyzer());
        let nothing = HighlightSpec::default();
        let options = SnippetOptions { fragments: 1, ..SnippetOptions::default() };
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top.into_iter().take(limit) {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(Hit::new(
                schema.article(&document),
                score,
                &mut highlighter,
                (&nothing, &nothing),
                &options,
            ));
        }
        Ok(RelatedResponse { id: id.to_string(), took_ms: started.elapsed().as_millis() as u64, hits })
    }
}
