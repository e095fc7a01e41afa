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

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

/// `required`'s matches, each scored by its score plus the scores of the bonuses that match
/// there.
#[derive(Debug)]
pub(crate) struct WithBonus {
    required: Box<dyn Query>,
    bonuses: Vec<Box<dyn Query>>,
}

impl WithBonus {
    pub(crate) fn new(required: Box<dyn Query>, bonuses: Vec<Box<dyn Query>>) -> WithBonus {
        WithBonus { required, bonuses }
    }
}

impl Clone for WithBonus {
    fn clone(&self) -> WithBonus {
        WithBonus {
            required: self.required.box_clone(),
            bonuses: self.bonuses.iter().map(|bonus| bonus.box_clone()).collect(),
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
            .map(|bonus| bonus.weight(enable_scoring).map(Arc::from))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(WithBonusWeight { required, bonuses }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.required.query_terms(visitor);
        for bonus in &self.bonuses {
            bonus.query_terms(visitor);
        }
    }
}

struct WithBonusWeight {
    required: Box<dyn Weight>,
    bonuses: Vec<Arc<dyn Weight>>,
}

impl Weight for WithBonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let required = self.required.scorer(reader, boost)?;
        if required.doc() == TERMINATED {
            return Ok(required);
        }
        let probes = self.bonuses.iter().map(|bonus| Probe::Unmade(Arc::clone(bonus))).collect();
        Ok(Box::new(WithBonusScorer { required, reader: reader.clone(), boost, probes }))
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

impl Scorer for WithBonusScorer {
    fn score(&mut self) -> Score {
        let doc = self.required.doc();
        let mut score = self.required.score();
        for probe in &mut self.probes {
            if let Some(bonus) = probe.score_at(doc, &self.reader, self.boost) {
                score += bonus;
            }
        }
        score
    }
}
