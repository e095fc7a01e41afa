//! `-` clauses: a wrapper that lets tantivy exclude the matches of any query.
//!
//! tantivy excludes by asking the excluded clause's scorer, candidate by candidate,
//! whether it holds each one (`DocSet::seek_danger`), from wherever that scorer stands —
//! often already past the first candidate, or at the end when the clause matches nothing.
//! Most scorers answer such a target from their current document; the phrase scorer
//! asserts that the target is not behind it, so `华为 -"长江 tariff"` panicked in builds with
//! debug assertions on (release builds answered correctly). The wrapper answers a target
//! behind the scorer from the scorer's current document and passes everything else on.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// A query whose scorer may be sought backwards, for a `MustNot` clause.
#[derive(Debug)]
pub(crate) struct Excluded(Box<dyn Query>);

impl Excluded {
    pub(crate) fn new(query: Box<dyn Query>) -> Excluded {
        Excluded(query)
    }
}

impl Clone for Excluded {
    fn clone(&self) -> Excluded {
        Excluded(self.0.box_clone())
    }
}

impl Query for Excluded {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExcludedWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExcludedWeight(Box<dyn Weight>);

impl Weight for ExcludedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ForwardOnly(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Seeks only forwards: a target at or behind the current document answers with the
/// current document. `seek_danger` keeps `DocSet`'s default, which goes through `seek`.
struct ForwardOnly(Box<dyn Scorer>);

impl DocSet for ForwardOnly {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let current = self.0.doc();
        if current >= target { current } else { self.0.seek(target) }
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for ForwardOnly {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
