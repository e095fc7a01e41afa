//! A query with score bonuses that are only checked on its own matches.
//!
//! The proximity bonus (the query's words as a sloppy phrase) never decides whether an
//! article matches; it only adds to the score of articles that already do. As a `Should`
//! clause of a tantivy boolean query it costs far more than that: a phrase scorer walks to
//! its first match when it is made, and the union of the title and body phrases walks
//! every phrase match in windows of 4,096 documents — the whole intersection of the words
//! in each field, however few articles the query itself matches. Here each bonus is asked,
//! for each match of the query and in document order, only whether it matches there
//! (`DocSet::seek_danger`), which for a phrase is one skip-list seek per word and a look at
//! the positions. Scores are the same sums as the boolean query's.
//!
//! Ranking the top hits, the bonuses are not asked at all about an article whose score
//! without them, plus the most they could add, cannot beat the last of the hits kept so
//! far. A bonus is a phrase scored by BM25, which never exceeds the phrase's weight (its
//! words' summed idf × (1 + k1) × its boost); and where the query vouches for it, the
//! bonuses add at most a fixed multiple of the score without them (see
//! [`WithBonus::at_most_times_required`]), which is far tighter. Two frequent words
//! together (`中国 经济`, 220,000 matches in a million articles) spend most of their time
//! in the phrase's positions otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tantivy::query::{Bm25Weight, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::filtered::under_filters;

/// A score bonus: the words of a phrase in one field, found within `slop` of their
/// offsets, BM25-scored and multiplied by `boost`.
#[derive(Debug, Clone)]
pub(crate) struct Bonus {
    phrase: PhraseQuery,
    terms: Vec<Term>,
    boost: Score,
}

impl Bonus {
    /// The phrase of `terms` (each with its offset; at least two, all in one field).
    pub(crate) fn phrase(terms: Vec<(usize, Term)>, slop: u32, boost: Score) -> Bonus {
        let words = terms.iter().map(|(_, term)| term.clone()).collect();
        Bonus { phrase: PhraseQuery::new_with_offset_and_slop(terms, slop), terms: words, boost }
    }

    /// The bonus's query, scored as it scores.
    pub(crate) fn query(&self) -> Box<dyn Query> {
        let phrase = Box::new(self.phrase.clone());
        if (self.boost - 1.0).abs() < f32::EPSILON {
            phrase
        } else {
            Box::new(tantivy::query::BoostQuery::new(phrase, self.boost))
        }
    }

    /// The most the bonus can add to a score: BM25's term-frequency factor stays below 1,
    /// so a phrase never scores its weight. Rounded up a little, so summing in another
    /// order cannot put a real score above it.
    fn ceiling(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Option<Score>> {
        let EnableScoring::Enabled { statistics_provider, .. } = enable_scoring else {
            return Ok(None);
        };
        let weight = Bm25Weight::for_terms(statistics_provider, &self.terms)?.boost_by(self.boost);
        Ok(Some(weight.max_score() * 1.001 + f32::EPSILON))
    }
}

/// `required`'s matches, each scored by its score plus the scores of the bonuses that match
/// there.
#[derive(Debug)]
pub(crate) struct WithBonus {
    required: Box<dyn Query>,
    bonuses: Vec<Bonus>,
    /// At any match, the bonuses together add at most this multiple of `required`'s score.
    ratio: Option<Score>,
    /// Counts the live matches the top-k ranking visits.
    counter: Option<Arc<AtomicU64>>,
}

impl WithBonus {
    pub(crate) fn new(required: Box<dyn Query>, bonuses: Vec<Bonus>) -> WithBonus {
        WithBonus { required, bonuses, ratio: None, counter: None }
    }

    /// Adds to `counter` the live matches of every segment the top-k ranking visits: it
    /// visits every match, so the total comes without a second, counting pass.
    pub(crate) fn counting(self, counter: Arc<AtomicU64>) -> WithBonus {
        WithBonus { counter: Some(counter), ..self }
    }

    /// Tells the top-k ranking that at any document `required` matches, the bonuses
    /// together add at most `ratio` × `required`'s score there; the caller vouches for it.
    /// (Debug builds check it at every document they score.)
    ///
    /// It holds for a two-word phrase whose words `required` scores, each in every field
    /// of the bonuses with the same boost as the phrase divided by `ratio`, and adds to
    /// the score: where the phrase matches in a field, its count is at most either word's
    /// frequency there, BM25's frequency factor grows with the count, and the phrase's
    /// weight is the sum of its words' idfs, so its score is at most `ratio` × the two
    /// words' scores in that field.
    pub(crate) fn at_most_times_required(self, ratio: Score) -> WithBonus {
        WithBonus { ratio: Some(ratio), ..self }
    }

    /// The same query, matching only where `filters` (queries that add nothing to scores)
    /// match as well. Inside, the filters leave the ranking of the top hits free to skip
    /// the bonuses.
    pub(crate) fn filtered(self, filters: Vec<Box<dyn Query>>) -> WithBonus {
        WithBonus { required: under_filters(self.required, filters), ..self }
    }
}

impl Clone for WithBonus {
    fn clone(&self) -> WithBonus {
        WithBonus {
            required: self.required.box_clone(),
            bonuses: self.bonuses.clone(),
            ratio: self.ratio,
            counter: self.counter.clone(),
        }
    }
}

impl Query for WithBonus {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let required = self.required.weight(enable_scoring)?;
        if !enable_scoring.is_scoring_enabled() {
            // Bonuses only change scores.
            return Ok(required);
        }
        let bonuses = self
            .bonuses
            .iter()
            .map(|bonus| bonus.query().weight(enable_scoring).map(Arc::from))
            .collect::<tantivy::Result<_>>()?;
        // With a ratio the ceiling would cost the bonuses' statistics a second time for a
        // bound the ratio's beats on nearly every match.
        let mut ceiling = if self.ratio.is_some() { None } else { Some(0.0) };
        for bonus in &self.bonuses {
            let Some(sum) = ceiling else { break };
            ceiling = bonus.ceiling(enable_scoring)?.map(|most| sum + most);
        }
        Ok(Box::new(WithBonusWeight {
            required,
            bonuses,
            ceiling,
            ratio: self.ratio,
            counter: self.counter.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.required.query_terms(visitor);
        for bonus in &self.bonuses {
            bonus.phrase.query_terms(visitor);
        }
    }
}

struct WithBonusWeight {
    required: Box<dyn Weight>,
    bonuses: Vec<Arc<dyn Weight>>,
    /// The most all bonuses together can add to a score.
    ceiling: Option<Score>,
    /// The most they can add, as a multiple of the required score.
    ratio: Option<Score>,
    counter: Option<Arc<AtomicU64>>,
}

impl WithBonusWeight {
    fn with_bonus_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<WithBonusScorer> {
        let required = self.required.scorer(reader, boost)?;
        let probes = self.bonuses.iter().map(|bonus| Probe::Unmade(Arc::clone(bonus))).collect();
        Ok(WithBonusScorer { required, reader: reader.clone(), boost, probes })
    }
}

impl Weight for WithBonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorer = self.with_bonus_scorer(reader, boost)?;
        if scorer.required.doc() == TERMINATED {
            return Ok(scorer.required);
        }
        Ok(Box::new(scorer))
    }

    /// For the top-k collector: a match whose score without bonuses plus their ceiling
    /// does not beat `threshold` could not be collected, so its bonuses are not asked.
    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut scorer = self.with_bonus_scorer(reader, 1.0)?;
        let ceiling = self.ceiling.unwrap_or(Score::INFINITY);
        let alive = reader.alive_bitset();
        let mut matches = 0u64;
        let mut doc = scorer.required.doc();
        while doc != TERMINATED {
            matches += u64::from(alive.is_none_or(|alive| alive.is_alive(doc)));
            let required = scorer.required.score();
            // Rounded up a little: the real sum may round differently.
            let most =
                self.ratio.map_or(ceiling, |ratio| ceiling.min(ratio * required * 1.001 + f32::EPSILON));
            if required + most > threshold {
                let score = scorer.add_bonuses(doc, required);
                debug_assert!(
                    score - required <= most,
                    "bonuses of {} over their bound {most} at document {doc}",
                    score - required
                );
                if score > threshold {
                    threshold = callback(doc, score);
                }
            }
            doc = scorer.required.advance();
        }
        if let Some(counter) = &self.counter {
            counter.fetch_add(matches, Ordering::Relaxed);
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let required = self.required.explain(reader, doc)?;
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        let mut explanation = Explanation::new("sum of the query and its bonuses", scorer.score());
        explanation.add_detail(required);
        for bonus in &self.bonuses {
            if let Ok(detail) = bonus.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

/// A bonus asked about documents in increasing order, each only whether it matches
/// there. Its scorer is made at the first document asked about: made earlier, it would
/// align its words from the segment's start.
enum Probe {
    /// The bonus's weight, before the first document.
    Unmade(Arc<dyn Weight>),
    Made {
        scorer: Box<dyn Scorer>,
        /// The document the scorer stands on, validly, after a match.
        found: Option<DocId>,
        /// No match lies before this document.
        next_possible: DocId,
    },
    /// Making the scorer failed: the bonus is left out, as for an article it misses.
    Failed,
}

impl Probe {
    /// The bonus's score at `doc` of `reader`'s segment if it matches there. `doc` never
    /// decreases between calls.
    fn score_at(&mut self, doc: DocId, reader: &SegmentReader, boost: Score) -> Option<Score> {
        if let Probe::Unmade(weight) = self {
            *self = match weight.scorer_danger(reader, doc, boost) {
                Ok((SeekDangerResult::Found, scorer)) => {
                    Probe::Made { scorer, found: Some(doc), next_possible: doc }
                }
                Ok((SeekDangerResult::SeekLowerBound(bound), scorer)) => {
                    Probe::Made { scorer, found: None, next_possible: bound }
                }
                Err(error) => {
                    tracing::warn!(%error, "a score bonus could not be read; it is left out");
                    Probe::Failed
                }
            };
        }
        let Probe::Made { scorer, found, next_possible } = self else {
            return None;
        };
        if *found == Some(doc) {
            return Some(scorer.score());
        }
        if doc < *next_possible {
            return None;
        }
        // `doc` is past every target asked before (the first document, the documents
        // since and their bounds), as `seek_danger` requires.
        match scorer.seek_danger(doc) {
            SeekDangerResult::Found => {
                *found = Some(doc);
                *next_possible = doc;
                Some(scorer.score())
            }
            SeekDangerResult::SeekLowerBound(bound) => {
                *found = None;
                *next_possible = bound;
                None
            }
        }
    }
}

struct WithBonusScorer {
    required: Box<dyn Scorer>,
    /// The segment and boost the bonuses' scorers are made for.
    reader: SegmentReader,
    boost: Score,
    probes: Vec<Probe>,
}

impl DocSet for WithBonusScorer {
    fn advance(&mut self) -> DocId {
        self.required.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.required.seek(target)
    }

    fn doc(&self) -> DocId {
        self.required.doc()
    }

    fn size_hint(&self) -> u32 {
        self.required.size_hint()
    }

    fn cost(&self) -> u64 {
        self.required.cost()
    }
}

impl WithBonusScorer {
    /// `required`, the score of the query at `doc`, plus the bonuses that match there.
    fn add_bonuses(&mut self, doc: DocId, required: Score) -> Score {
        let mut score = required;
        for probe in &mut self.probes {
            if let Some(bonus) = probe.score_at(doc, &self.reader, self.boost) {
                score += bonus;
            }
        }
        score
    }
}

impl Scorer for WithBonusScorer {
    fn score(&mut self) -> Score {
        let doc = self.required.doc();
        let required = self.required.score();
        self.add_bonuses(doc, required)
    }
}
