//! A query under filters that keeps the query's own top-k pruning.
//!
//! tantivy ranks a flat union of term queries with block-max WAND, skipping blocks of
//! documents that cannot reach the top hits. Put under filters as a boolean query
//! (`经济` in Chinese and English articles of 2018–2022), it loses that: the intersection
//! scores every match of the word. Here the top-k ranking runs the query's own pruning
//! and drops, as they come, the documents a filter rejects: the documents it is handed
//! are in increasing order, so each filter is only sought forwards. A dropped document
//! leaves the threshold where it was, so nothing that should reach the top is skipped.
//! Filters add nothing to scores, so every other use scores as the boolean query does;
//! it is how newsdex puts any query under filters.
//!
//! In a segment where a filter holds far fewer documents than the query matches
//! ([`FILTER_LEADS_GAIN`]), or can be expected to let few of them through
//! ([`FEW_MATCHES`]), the filter leads instead: the ranking visits the documents of the
//! intersection and so visits (and may count) every match.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight, intersect_scorers};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::bonus::MatchCount;

/// A filter holding this many times fewer documents than the query leads the ranking.
const FILTER_LEADS_GAIN: u64 = 8;
/// Led by a filter, the ranking visits every match it lets through, where the query's own
/// pruning may pass over most; but where a filter lets few through, the page fills late
/// and the pruning passes over little, and the total must then be counted in a second
/// pass. A filter that can be expected to let through at most this many (the query's and
/// the filter's documents taken as independent) leads, however common.
const FEW_MATCHES: u64 = 1024;
/// Only a filter holding at most one in this many documents of a segment leads.
const FILTER_LEADS_AT_MOST_ONE_IN: u64 = 2;

/// `query`'s matches that every filter matches, scored by `query` alone.
#[derive(Debug)]
pub(crate) struct Filtered {
    query: Box<dyn Query>,
    /// Queries whose scores are zero.
    filters: Vec<Box<dyn Query>>,
    /// Counts the live matches the top-k ranking visits.
    counter: Option<Arc<MatchCount>>,
}

impl Filtered {
    /// `query` under `filters`, which must add nothing to scores (constant zero).
    pub(crate) fn new(query: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Filtered {
        Filtered { query, filters, counter: None }
    }

    /// Adds to `counter` the live matches of every segment whose top-k ranking a filter
    /// leads; any other segment's ranking passes over matches.
    pub(crate) fn counting(self, counter: Arc<MatchCount>) -> Filtered {
        Filtered { counter: Some(counter), ..self }
    }
}

/// `query` under `filters` (queries that add nothing to scores), or `query` itself when
/// there are none.
pub(crate) fn under_filters(query: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if filters.is_empty() { query } else { Box::new(Filtered::new(query, filters)) }
}

impl Clone for Filtered {
    fn clone(&self) -> Filtered {
        Filtered {
            query: self.query.box_clone(),
            filters: self.filters.iter().map(|filter| filter.box_clone()).collect(),
            counter: self.counter.clone(),
        }
    }
}

impl Query for Filtered {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let query = self.query.weight(enable_scoring)?;
        let filters = self
            .filters
            .iter()
            .map(|filter| filter.weight(enable_scoring))
            .collect::<tantivy::Result<_>>()?;
        let mut terms = Vec::new();
        self.query.query_terms(&mut |term, _| terms.push(term.clone()));
        Ok(Box::new(FilteredWeight { query, terms, filters, counter: self.counter.clone() }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
        for filter in &self.filters {
            filter.query_terms(visitor);
        }
    }
}

struct FilteredWeight {
    query: Box<dyn Weight>,
    /// The query's terms.
    terms: Vec<Term>,
    filters: Vec<Box<dyn Weight>>,
    counter: Option<Arc<MatchCount>>,
}

impl FilteredWeight {
    fn filter_scorers(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Box<dyn Scorer>>> {
        self.filters.iter().map(|filter| filter.scorer(reader, 1.0)).collect()
    }
}

/// The documents of `reader`'s segment holding any of `terms`, counted once per term (an
/// upper bound of the documents a union of them matches; deleted ones included).
pub(crate) fn doc_freq_sum(reader: &SegmentReader, terms: &[Term]) -> tantivy::Result<u64> {
    let mut sum = 0;
    for term in terms {
        sum += u64::from(reader.inverted_index(term.field())?.doc_freq(term)?);
    }
    Ok(sum)
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = vec![self.query.scorer(reader, boost)?];
        scorers.extend(self.filter_scorers(reader)?);
        Ok(intersect_scorers(scorers, reader.num_docs()))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        for mut filter in self.filter_scorers(reader)? {
            if filter.doc() > doc || filter.seek(doc) != doc {
                return Err(tantivy::TantivyError::InvalidArgument(format!(
                    "document {doc} does not match the filters"
                )));
            }
        }
        self.query.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut filters = self.filter_scorers(reader)?;
        if filters.iter().any(|filter| filter.doc() == TERMINATED) {
            return Ok(());
        }
        let mut threshold = threshold;
        // A filter far rarer than the query, or letting few matches through, leads:
        // visiting the intersection beats skipping through the query's matches to drop most
        // of them. (The query's scorer cannot say how many it matches: a union buffers its
        // first few thousand matches when made, and a small segment's are all gone from its
        // count.)
        let rarest = filters.iter().map(|filter| filter.cost()).min().unwrap_or(u64::MAX);
        let max_doc = u64::from(reader.max_doc());
        let leads = |matches: u64| {
            rarest.saturating_mul(FILTER_LEADS_GAIN) <= matches
                || rarest.saturating_mul(matches) <= max_doc.saturating_mul(FEW_MATCHES)
        };
        // (Only a filter rarer than most of the segment is worth the query's lookups.)
        if rarest.saturating_mul(FILTER_LEADS_AT_MOST_ONE_IN) <= max_doc
            && leads(doc_freq_sum(reader, &self.terms)?)
        {
            let mut scorers = vec![self.query.scorer(reader, 1.0)?];
            scorers.extend(filters);
            let mut scorer = intersect_scorers(scorers, reader.num_docs());
            let alive = reader.alive_bitset();
            let mut visited = 0u64;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                visited += u64::from(alive.is_none_or(|alive| alive.is_alive(doc)));
                let score = scorer.score();
                if score > threshold {
                    threshold = callback(doc, score);
                }
                doc = scorer.advance();
            }
            if let Some(counter) = &self.counter {
                counter.add(visited, false);
            }
            return Ok(());
        }
        if let Some(counter) = &self.counter {
            counter.add(0, true);
        }
        self.query.for_each_pruning(threshold, reader, &mut |doc, score| {
            // A filter past `doc` has no match there; one before it is sought forwards.
            let passes = filters.iter_mut().all(|filter| {
                let at = filter.doc();
                at == doc || (at < doc && filter.seek(doc) == doc)
            });
            if passes {
                threshold = callback(doc, score);
            }
            threshold
        })
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument, doc};

    use super::*;

    #[test]
    fn ranks_and_counts_as_the_boolean_query_of_the_query_and_its_filters() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let tag = builder.add_text_field("tag", STRING);
        let number = builder.add_text_field("number", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 20_000_000).expect("writer");
        // Enough documents for many blocks of postings, with varied frequencies and
        // lengths so block maxima differ; a filter that rejects many top scorers and ones
        // rare enough to lead the ranking.
        for n in 0..3000u32 {
            let repeats = 1 + (n * 7919) % 9;
            let body = format!("{} {}", "oil ".repeat(repeats as usize), "filler ".repeat((n % 13) as usize));
            let body = if n % 5 == 0 { format!("{body} gas") } else { body };
            let body = if n % 50 == 3 { format!("{body} tin") } else { body };
            let value = match n {
                _ if n % 3 == 0 => "keep",
                _ if n % 40 == 1 => "rare",
                _ if n % 4 == 2 => "some",
                _ => "drop",
            };
            writer.add_document(doc!(text => body, tag => value, number => n.to_string())).expect("add");
        }
        writer.commit().expect("commit");
        // Deleted documents are neither ranked nor counted.
        for deleted in [1, 41, 81, 300] {
            writer.delete_term(Term::from_field_text(number, &deleted.to_string()));
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let term = |word: &str| Term::from_field_text(text, word);
        let union = |words: &[&str]| -> Box<dyn Query> {
            let term_query = |word| -> Box<dyn Query> {
                Box::new(TermQuery::new(term(word), IndexRecordOption::WithFreqs))
            };
            Box::new(BooleanQuery::new(words.iter().map(|&word| (Occur::Should, term_query(word))).collect()))
        };
        // "rare" is far rarer than `oil gas`; "some" only a few times rarer, but lets few
        // matches through; "keep" neither, but it lets few of `tin` through, a rarer word.
        let oil_gas = ["oil", "gas"].as_slice();
        for (words, value, expected_count, leads) in [
            (oil_gas, "keep", 998, false),
            (oil_gas, "rare", 48, true),
            (oil_gas, "some", 500, true),
            (["tin"].as_slice(), "keep", 20, true),
        ] {
            let union = || union(words);
            let filter = || -> Box<dyn Query> {
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(Term::from_field_text(tag, value), IndexRecordOption::Basic)),
                    0.0,
                ))
            };
            let kept: std::collections::HashSet<DocAddress> =
                searcher.search(&filter(), &tantivy::collector::DocSetCollector).expect("search");
            let boolean = BooleanQuery::new(vec![(Occur::Must, union()), (Occur::Must, filter())]);
            for limit in [1, 3, 10, 50] {
                let counter = Arc::new(MatchCount::default());
                let filtered = Filtered::new(union(), vec![filter()]).counting(Arc::clone(&counter));
                // Alone, the top-k collector prunes; beside a count it scores every match.
                let pruned =
                    searcher.search(&filtered, &TopDocs::with_limit(limit).order_by_score()).expect("search");
                let (exhaustive, count) = searcher
                    .search(&boolean, &(TopDocs::with_limit(limit).order_by_score(), Count))
                    .expect("search");
                let scores =
                    |hits: &[(Score, DocAddress)]| hits.iter().map(|(score, _)| *score).collect::<Vec<_>>();
                assert_eq!(scores(&pruned), scores(&exhaustive), "{value}, limit {limit}");
                assert_eq!(count, expected_count, "{value}");
                for (_, address) in &pruned {
                    assert!(
                        kept.contains(address),
                        "help: {address:?} does not pass the filter (limit {limit})"
                    );
                }
                assert_eq!(filtered.count(&searcher).expect("count"), count);
                // Led by the filter, the ranking visits and counts every live match; ranking
                // the query's own way, it passes over matches.
                let counted = counter.exact();
                assert_eq!(counted, leads.then_some(count as u64), "{value}, limit {limit}");
            }
        }
    }
}
