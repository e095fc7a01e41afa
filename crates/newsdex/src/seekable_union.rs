//! A word in any of its fields, as a union that seeks well: for conjunctions.
//!
//! tantivy's own union buffers matches in windows of 4,096 documents: quick to walk, slow
//! to seek. As the follower of a conjunction — `中国 oil` asks for articles holding both
//! words, each in the title or the body — it walks every match of the frequent word to
//! reach the few the rare word proposes. This union stands on the smallest document of its
//! few scorers and seeks each of them through its skip list. Scores add up, as in a
//! `Should` union.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

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

struct SeekableUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl SeekableUnionScorer {
    fn new(mut scorers: Vec<Box<dyn Scorer>>) -> SeekableUnionScorer {
        scorers.retain(|scorer| scorer.doc() != TERMINATED);
        let mut union = SeekableUnionScorer { scorers, doc: TERMINATED };
        union.doc = union.smallest();
        union
    }

    fn smallest(&self) -> DocId {
        self.scorers.iter().map(|scorer| scorer.doc()).min().unwrap_or(TERMINATED)
    }
}

impl DocSet for SeekableUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() == self.doc {
                scorer.advance();
            }
        }
        self.doc = self.smallest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.doc = self.smallest();
        self.doc
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
        self.scorers.iter_mut().filter(|scorer| scorer.doc() == doc).map(|scorer| scorer.score()).sum()
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
}
