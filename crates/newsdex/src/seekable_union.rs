//! A word in any of its fields, as a union that seeks well: for conjunctions.
//!
//! tantivy's own union buffers matches in windows of 4,096 documents: quick to walk, slow
//! to seek. As the follower of a conjunction — `中国 oil` asks for articles holding both
//! words, each in the title or the body — it walks every match of the frequent word to
//! reach the few the rare word proposes. This union stands on the smallest document of its
//! few scorers and seeks each of them through its skip list. Scores add up, as in a
//! `Should` union.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, TantivyError, Term};

/// Documents matching any of a few queries (the fields of one word), scored by the sum of
/// the scores of those that match.
#[derive(Debug)]
pub(crate) struct SeekableUnion(Vec<Box<dyn Query>>);

impl SeekableUnion {
    pub(crate) fn new(queries: Vec<Box<dyn Query>>) -> SeekableUnion {
        SeekableUnion(queries)
    }
}

impl Clone for SeekableUnion {
    fn clone(&self) -> SeekableUnion {
        SeekableUnion(self.0.iter().map(|query| query.box_clone()).collect())
    }
}

impl Query for SeekableUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights =
            self.0.iter().map(|query| query.weight(enable_scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(SeekableUnionWeight(weights)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for query in &self.0 {
            query.query_terms(visitor);
        }
    }
}

struct SeekableUnionWeight(Vec<Box<dyn Weight>>);

impl Weight for SeekableUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorers =
            self.0.iter().map(|weight| weight.scorer(reader, boost)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(SeekableUnionScorer::new(scorers)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        let mut explanation = Explanation::new("sum of the matching fields", scorer.score());
        for weight in &self.0 {
            if let Ok(detail) = weight.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

/// The union of a word's field scorers.
///
/// As the follower of a conjunction it answers `seek_danger`: each scorer is only asked
/// whether it holds the target, and one that does not may stay where that left it, known
/// only by a lower bound of its next document. A phrase scorer (the parts of `5G` as
/// `5 g`) then checks positions at the targets alone instead of walking to its next match.
/// Such a scorer is brought back to its exact next document when the union needs it.
struct SeekableUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    /// Per scorer: its document when `exact`, otherwise a lower bound of its next one.
    docs: Vec<DocId>,
    exact: Vec<bool>,
    /// The union's document: the smallest of `docs`, held by an exact scorer.
    doc: DocId,
}

impl SeekableUnionScorer {
    fn new(mut scorers: Vec<Box<dyn Scorer>>) -> SeekableUnionScorer {
        scorers.retain(|scorer| scorer.doc() != TERMINATED);
        let docs: Vec<DocId> = scorers.iter().map(|scorer| scorer.doc()).collect();
        let exact = vec![true; scorers.len()];
        let doc = docs.iter().copied().min().unwrap_or(TERMINATED);
        SeekableUnionScorer { scorers, docs, exact, doc }
    }

    /// Sets the union on its smallest document, first bringing back every scorer known
    /// only by a lower bound that could be that document.
    fn settle(&mut self) -> DocId {
        loop {
            let doc = self.docs.iter().copied().min().unwrap_or(TERMINATED);
            if doc != TERMINATED
                && let Some(index) =
                    (0..self.docs.len()).find(|&index| !self.exact[index] && self.docs[index] == doc)
            {
                // The scorer's previous target was below its bound, so asking for the bound
                // is allowed; each answer either finds it or raises it.
                match self.scorers[index].seek_danger(doc) {
                    SeekDangerResult::Found => self.exact[index] = true,
                    SeekDangerResult::SeekLowerBound(bound) => self.docs[index] = bound,
                }
                continue;
            }
            self.doc = doc;
            return doc;
        }
    }
}

impl DocSet for SeekableUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for (index, scorer) in self.scorers.iter_mut().enumerate() {
            if self.exact[index] && self.docs[index] == self.doc {
                self.docs[index] = scorer.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for (index, scorer) in self.scorers.iter_mut().enumerate() {
            if self.docs[index] >= target {
                continue;
            }
            if self.exact[index] {
                self.docs[index] = scorer.seek(target);
            } else {
                // Known only by a bound below the target: the target is the new bound.
                self.docs[index] = target;
            }
        }
        self.settle()
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target >= TERMINATED {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        let mut found = false;
        let mut bound = TERMINATED;
        for (index, scorer) in self.scorers.iter_mut().enumerate() {
            let doc = self.docs[index];
            if doc > target || (doc == target && self.exact[index]) {
                found |= doc == target;
                bound = bound.min(doc);
                continue;
            }
            // Below the target, or a bound equal to it: every earlier target of this scorer
            // was below its bound, so this one is allowed.
            match scorer.seek_danger(target) {
                SeekDangerResult::Found => {
                    self.docs[index] = target;
                    self.exact[index] = true;
                    found = true;
                }
                SeekDangerResult::SeekLowerBound(lower) => {
                    self.docs[index] = lower;
                    self.exact[index] = false;
                    bound = bound.min(lower);
                }
            }
        }
        if found {
            self.doc = target;
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(bound)
        }
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers.iter().map(|scorer| scorer.size_hint()).fold(0, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|scorer| scorer.cost()).fold(0, u64::saturating_add)
    }
}

impl Scorer for SeekableUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut score = 0.0;
        for (index, scorer) in self.scorers.iter_mut().enumerate() {
            if self.exact[index] && self.docs[index] == doc {
                score += scorer.score();
            }
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sorted list of documents, each scoring 1.
    struct List(Vec<DocId>, usize);

    impl DocSet for List {
        fn advance(&mut self) -> DocId {
            self.1 += 1;
            self.doc()
        }

        fn doc(&self) -> DocId {
            self.0.get(self.1).copied().unwrap_or(TERMINATED)
        }

        fn size_hint(&self) -> u32 {
            self.0.len() as u32
        }
    }

    impl Scorer for List {
        fn score(&mut self) -> Score {
            1.0
        }
    }

    fn union(lists: &[&[DocId]]) -> SeekableUnionScorer {
        SeekableUnionScorer::new(
            lists.iter().map(|docs| Box::new(List(docs.to_vec(), 0)) as Box<dyn Scorer>).collect(),
        )
    }

    #[test]
    fn walks_and_seeks_the_union_scoring_each_match() {
        let mut scorer = union(&[&[1, 4, 9, 20], &[4, 5, 30], &[]]);
        let mut walked = Vec::new();
        while scorer.doc() != TERMINATED {
            walked.push((scorer.doc(), scorer.score()));
            scorer.advance();
        }
        assert_eq!(walked, [(1, 1.0), (4, 2.0), (5, 1.0), (9, 1.0), (20, 1.0), (30, 1.0)]);
        let mut scorer = union(&[&[1, 4, 9, 20], &[4, 5, 30]]);
        assert_eq!(scorer.seek(6), 9);
        assert_eq!(scorer.seek(9), 9, "help: seeking where it stands stays");
        assert_eq!(scorer.seek(21), 30);
        assert_eq!(scorer.advance(), TERMINATED);
        assert_eq!(scorer.seek(40), TERMINATED);
        assert_eq!(union(&[&[], &[]]).doc(), TERMINATED);
    }

    /// A sorted list that, like a phrase scorer, answers `seek_danger` with a bound short
    /// of its next document (`weak`) or that document, and is then unusable until a
    /// `seek_danger` finds one. It panics when the union breaks that contract.
    struct DangerList {
        docs: Vec<DocId>,
        at: usize,
        weak: bool,
        invalid: bool,
        last_target: Option<DocId>,
    }

    impl DangerList {
        fn current(&self) -> DocId {
            self.docs.get(self.at).copied().unwrap_or(TERMINATED)
        }
    }

    impl DocSet for DangerList {
        fn advance(&mut self) -> DocId {
            assert!(!self.invalid, "advance on an invalid scorer");
            self.at += 1;
            self.current()
        }

        fn seek(&mut self, target: DocId) -> DocId {
            assert!(!self.invalid, "seek on an invalid scorer");
            while self.current() < target {
                self.at += 1;
            }
            self.current()
        }

        fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
            if let Some(last) = self.last_target {
                assert!(target > last, "seek_danger targets must increase: {last} then {target}");
            }
            assert!(self.invalid || target > self.current(), "seek_danger behind a valid scorer");
            self.last_target = Some(target);
            while self.current() < target {
                self.at += 1;
            }
            let next = self.current();
            if next == target {
                self.invalid = false;
                return SeekDangerResult::Found;
            }
            self.invalid = true;
            // A weak bound lies between the target and the next document.
            let weak_bound =
                if next == TERMINATED { TERMINATED } else { target + (next - target).div_ceil(2) };
            SeekDangerResult::SeekLowerBound(if self.weak { weak_bound } else { next })
        }

        fn doc(&self) -> DocId {
            assert!(!self.invalid, "doc of an invalid scorer");
            self.current()
        }

        fn size_hint(&self) -> u32 {
            self.docs.len() as u32
        }
    }

    impl Scorer for DangerList {
        fn score(&mut self) -> Score {
            assert!(!self.invalid, "score of an invalid scorer");
            1.0
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        SeekDanger(DocId),
        Advance,
        Seek(DocId),
    }

    fn lists() -> impl proptest::strategy::Strategy<Value = Vec<(std::collections::BTreeSet<DocId>, bool)>> {
        use proptest::prelude::*;
        proptest::collection::vec((proptest::collection::btree_set(0..200u32, 0..40), any::<bool>()), 1..4)
    }

    fn steps() -> impl proptest::strategy::Strategy<Value = Vec<Step>> {
        use proptest::prelude::*;
        proptest::collection::vec(
            prop_oneof![
                3 => (0..12u32).prop_map(Step::SeekDanger),
                1 => Just(Step::Advance),
                1 => (0..12u32).prop_map(Step::Seek),
            ],
            0..60,
        )
    }

    proptest::proptest! {
        /// Driven as a conjunction drives its scorers, the union agrees with the set union
        /// of its lists, scores each document by the lists holding it, and never uses a
        /// scorer left invalid by `seek_danger`.
        #[test]
        fn seek_danger_agrees_with_the_set_union(lists in lists(), steps in steps()) {
            let all: std::collections::BTreeSet<DocId> = lists.iter().flat_map(|(docs, _)| docs.iter().copied()).collect();
            let next = |target: DocId| all.range(target..).next().copied().unwrap_or(TERMINATED);
            let holders = |doc: DocId| lists.iter().filter(|(docs, _)| docs.contains(&doc)).count() as Score;
            let mut union = SeekableUnionScorer::new(
                lists
                    .iter()
                    .map(|(docs, weak)| {
                        Box::new(DangerList { docs: docs.iter().copied().collect(), at: 0, weak: *weak, invalid: false, last_target: None })
                            as Box<dyn Scorer>
                    })
                    .collect(),
            );
            proptest::prop_assert_eq!(union.doc(), next(0));
            // `Some(doc)` while the union is valid; `None` after a bound, with the last target.
            let mut valid = Some(union.doc());
            let mut last_target = 0;
            for step in steps {
                let at = match valid {
                    Some(TERMINATED) => break,
                    Some(doc) => doc,
                    None => last_target,
                };
                match step {
                    Step::SeekDanger(delta) => {
                        let target = at + 1 + delta;
                        last_target = target;
                        match union.seek_danger(target) {
                            SeekDangerResult::Found => {
                                proptest::prop_assert!(all.contains(&target));
                                proptest::prop_assert_eq!(union.doc(), target);
                                proptest::prop_assert_eq!(union.score(), holders(target));
                                valid = Some(target);
                            }
                            SeekDangerResult::SeekLowerBound(bound) => {
                                proptest::prop_assert!(!all.contains(&target));
                                proptest::prop_assert!(bound > target && bound <= next(target), "bound {} for target {}", bound, target);
                                valid = None;
                            }
                        }
                    }
                    Step::Advance if valid.is_some() => {
                        let doc = union.advance();
                        proptest::prop_assert_eq!(doc, next(at + 1));
                        if doc != TERMINATED {
                            proptest::prop_assert_eq!(union.score(), holders(doc));
                        }
                        valid = Some(doc);
                    }
                    Step::Seek(delta) if valid.is_some() => {
                        let doc = union.seek(at + delta);
                        proptest::prop_assert_eq!(doc, next(at + delta));
                        if doc != TERMINATED {
                            proptest::prop_assert_eq!(union.score(), holders(doc));
                        }
                        valid = Some(doc);
                    }
                    Step::Advance | Step::Seek(_) => {}
                }
            }
        }
    }
}
