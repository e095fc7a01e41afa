//! A union of a few queries, each with a known most score, ranked by MaxScore.
//!
//! A quoted phrase matches in the title or the body: `"中国 经济"` is the union of two
//! phrase queries, and tantivy's union visits every match of both, the body phrase's
//! position checks over the whole intersection of its frequent words included. Each
//! phrase scores at most its BM25 weight (its words' summed idf × (1 + k1) × its boost),
//! so once the last hit kept scores above the weights of the weaker parts together, an
//! article only they match cannot enter the top: the ranking walks the other parts alone
//! and asks the weaker ones only about the articles those propose. The bar a segment's
//! ranking reaches carries over to the segments ranked after it. Every other use (counting,
//! explaining, ranking by date) goes through a plain union that sums the parts' scores in
//! their order, a [`SeekableUnion`]: tantivy's buffered union, sought (by a date window
//! or a filter leading an intersection), would check the phrases' positions across a
//! window of 4,096 documents at every seek.
//!
//! Counting the matches as it ranks ([`MaxScoreUnion::counting`]), the ranking visits
//! every match until it has counted as many as the total is counted up to, and only then
//! passes over any: a phrase with fewer matches is ranked and counted exactly in one pass,
//! and one with more already has its capped total. Under filters each part is filtered
//! itself ([`MaxScoreUnion::filtered`]), so the matches it visits and counts are the ones
//! the filters keep.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tantivy::query::{Bm25Weight, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::bonus::MatchCount;
use crate::filtered::under_filters;
use crate::seekable_union::SeekableUnion;

/// Documents matching any of its parts, scored by the sum of the scores of those that
/// match. Each part scores at most the BM25 weight of its terms times its boost.
#[derive(Debug)]
pub(crate) struct MaxScoreUnion {
    parts: Vec<(Box<dyn Query>, Vec<Term>, Score)>,
    /// Counts the live matches the top-k ranking visits, passing over none before it
    /// has counted this many.
    counter: Option<(Arc<MatchCount>, u64)>,
}

impl MaxScoreUnion {
    /// The union of `parts`: each a query, the terms whose BM25 weight times the boost
    /// bounds its score (the caller vouches for it: true of a phrase of those terms with
    /// that boost), and the boost.
    pub(crate) fn new(parts: Vec<(Box<dyn Query>, Vec<Term>, Score)>) -> MaxScoreUnion {
        MaxScoreUnion { parts, counter: None }
    }

    /// The same union, matching only where `filters` (queries that add nothing to scores)
    /// match as well: each part is put under them, so its most score still bounds it and
    /// the ranking visits (and counts) only what the filters keep.
    pub(crate) fn filtered(self, filters: Vec<Box<dyn Query>>) -> MaxScoreUnion {
        if filters.is_empty() {
            return self;
        }
        let parts = self
            .parts
            .into_iter()
            .map(|(query, terms, boost)| {
                let filters = filters.iter().map(|filter| filter.box_clone()).collect();
                (under_filters(query, filters), terms, boost)
            })
            .collect();
        MaxScoreUnion { parts, ..self }
    }

    /// Adds to `counter` the live matches of every segment the top-k ranking visits; it
    /// visits every match until `counter` holds `limit` of them. Only for a query whose
    /// matches are all counted (filters go inside it: [`MaxScoreUnion::filtered`]).
    pub(crate) fn counting(self, counter: Arc<MatchCount>, limit: u64) -> MaxScoreUnion {
        MaxScoreUnion { counter: Some((counter, limit)), ..self }
    }
}

impl Clone for MaxScoreUnion {
    fn clone(&self) -> MaxScoreUnion {
        MaxScoreUnion {
            parts: self
                .parts
                .iter()
                .map(|(query, terms, boost)| (query.box_clone(), terms.clone(), *boost))
                .collect(),
            counter: self.counter.clone(),
        }
    }
}

impl Query for MaxScoreUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let union = SeekableUnion::new(self.parts.iter().map(|(query, _, _)| query.box_clone()).collect())
            .weight(enable_scoring)?;
        let EnableScoring::Enabled { statistics_provider, .. } = enable_scoring else {
            return Ok(union);
        };
        let mut parts = Vec::with_capacity(self.parts.len());
        for (query, terms, boost) in &self.parts {
            let weight = query.weight(enable_scoring)?;
            // Rounded up a little, so summing in another order cannot put a real score
            // above it.
            let most = Bm25Weight::for_terms(statistics_provider, terms)?.boost_by(*boost).max_score()
                * 1.001
                + f32::EPSILON;
            parts.push((weight, most));
        }
        Ok(Box::new(MaxScoreUnionWeight {
            union,
            parts,
            bar: SegmentBar::default(),
            counter: self.counter.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (query, _, _) in &self.parts {
            query.query_terms(visitor);
        }
    }
}

struct MaxScoreUnionWeight {
    /// The plain union, for every use but ranking the top hits.
    union: Box<dyn Weight>,
    /// Each part's weight and the most it can score.
    parts: Vec<(Box<dyn Weight>, Score)>,
    bar: SegmentBar,
    counter: Option<(Arc<MatchCount>, u64)>,
}

/// The highest threshold the top-k ranking of any segment of one search reached so far.
/// tantivy starts every segment's ranking from nothing, but the top hits of all segments
/// together score at least that much, so no later segment needs to visit what cannot
/// beat it. Segments are ranked one after another in order (tantivy's default executor)
/// and ties go to the earlier segment, so a later article tied with the bar could not
/// enter either.
#[derive(Debug, Default)]
pub(crate) struct SegmentBar(
    /// The bits of a positive score, or zero: positive scores order as their bits do.
    AtomicU32,
);

impl SegmentBar {
    /// The threshold a segment's ranking starts from: `threshold` or the bar, if higher.
    pub(crate) fn lift(&self, threshold: Score) -> Score {
        let bar = Score::from_bits(self.0.load(Ordering::Relaxed));
        if bar > 0.0 { threshold.max(bar) } else { threshold }
    }

    /// Raises the bar to a threshold a segment's ranking reached.
    pub(crate) fn reached(&self, threshold: Score) {
        if threshold > 0.0 {
            self.0.fetch_max(threshold.to_bits(), Ordering::Relaxed);
        }
    }
}

impl Weight for MaxScoreUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.union.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.union.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.union.count(reader)
    }

    /// For the top-k collector: the parts are split, weakest first, into those whose
    /// most scores together do not beat `threshold` and the essential rest; only the
    /// essential parts' matches are visited, and the others asked about them alone (once
    /// the counter, if any, holds its limit).
    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        threshold = self.bar.lift(threshold);
        // (position among the parts, scorer, most), weakest first.
        let mut parts: Vec<(usize, Box<dyn Scorer>, Score)> = Vec::with_capacity(self.parts.len());
        for (position, (weight, most)) in self.parts.iter().enumerate() {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                parts.push((position, scorer, *most));
            }
        }
        parts.sort_by(|a, b| a.2.total_cmp(&b.2));
        // `below[i]`: the most the parts before `i` score together.
        let below: Vec<Score> = std::iter::once(0.0)
            .chain(parts.iter().scan(0.0, |sum, part| {
                *sum += part.2;
                Some(*sum)
            }))
            .collect();
        let essential_from =
            |threshold: Score| below.iter().rposition(|&most| most <= threshold).unwrap_or(0);
        let alive = reader.alive_bitset();
        // The ranking may pass over matches once it has visited this many more: the total
        // is then counted to its limit.
        let to_count =
            self.counter.as_ref().map_or(0, |(counter, limit)| limit.saturating_sub(counter.visited()));
        let mut visited = 0u64;
        let may_pass_over = |visited: u64| visited >= to_count;
        let mut first_essential = if may_pass_over(0) { essential_from(threshold) } else { 0 };
        let mut passed_over = first_essential > 0;
        let mut scores: Vec<Option<Score>> = vec![None; self.parts.len()];
        while first_essential < parts.len() {
            let doc = parts[first_essential..].iter().map(|part| part.1.doc()).min().unwrap_or(TERMINATED);
            if doc == TERMINATED {
                break;
            }
            visited += u64::from(alive.is_none_or(|alive| alive.is_alive(doc)));
            scores.fill(None);
            let mut score = 0.0;
            for (position, scorer, _) in &mut parts[first_essential..] {
                if scorer.doc() == doc {
                    let part_score = scorer.score();
                    scores[*position] = Some(part_score);
                    score += part_score;
                }
            }
            if score + below[first_essential] > threshold {
                for (position, scorer, _) in &mut parts[..first_essential] {
                    if scorer.doc() < doc {
                        scorer.seek(doc);
                    }
                    if scorer.doc() == doc {
                        scores[*position] = Some(scorer.score());
                    }
                }
                // Summed in the parts' own order, as the union sums them.
                let score: Score = scores.iter().flatten().sum();
                if score > threshold {
                    let raised = callback(doc, score);
                    if raised > threshold {
                        self.bar.reached(raised);
                        threshold = raised;
                    }
                }
            }
            for (_, scorer, _) in &mut parts[first_essential..] {
                if scorer.doc() == doc {
                    scorer.advance();
                }
            }
            if may_pass_over(visited) {
                first_essential = first_essential.max(essential_from(threshold));
                passed_over |= first_essential > 0;
            }
        }
        if let Some((counter, _)) = &self.counter {
            counter.add(visited, passed_over);
        }
        Ok(())
    }
}
