//! Ranking by relevance blended with recency, past matches that cannot reach the top.
//!
//! The blend multiplies an article's score by a factor of at most 1 (future dates count as
//! age zero), and at most the factor of the index's newest article when every article has
//! a date. So a blended score never exceeds the score it came from times that greatest
//! factor: a match whose own score does not beat the blended score of the last hit kept,
//! divided by it, cannot enter the top. tantivy's
//! collector of tweaked scores visits and scores every match; [`BlendedTopDocs`] runs the
//! query's own top-k pruning with that bound as its threshold (block-max WAND, the MaxScore
//! rankings of words and phrases, the proximity bonus asked only where it can matter) and
//! lets tantivy's collector rank what the pruning hands it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::query::Weight;
use tantivy::schema::Field;
use tantivy::{DateTime, DocAddress, DocId, Score, Searcher, SegmentReader};

use crate::date_filter::segment_dates;
use crate::search::Recency;

/// `1 − weight + weight × 0.5^(age / half_life)`; future dates count as age zero.
pub(crate) fn recency_factor(age_seconds: i64, recency: &Recency) -> Score {
    let age_days = age_seconds.max(0) as f64 / 86_400.0;
    let decay = 0.5f64.powf(age_days / recency.half_life_days);
    (1.0 - recency.weight + recency.weight * decay) as Score
}

/// Scores blended with the age of each article at `reference` (Unix seconds); an article
/// without a date counts as published then.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blend {
    recency: Recency,
    reference: i64,
}

impl Blend {
    pub(crate) fn new(recency: Recency, reference: i64) -> Blend {
        Blend { recency, reference }
    }

    /// The greatest factor an article of the index gets: its newest article's, or 1 when
    /// an article has no date (it counts as published at the reference).
    pub(crate) fn greatest_factor(&self, searcher: &Searcher, date: Field) -> tantivy::Result<Score> {
        let mut newest = None;
        for segment in searcher.segment_readers() {
            let (span, every_one_dated) = segment_dates(segment, date)?;
            if !every_one_dated {
                return Ok(1.0);
            }
            if let Some((_, last)) = span {
                newest = Some(newest.map_or(last, |newest: i64| newest.max(last)));
            }
        }
        Ok(newest.map_or(1.0, |newest| recency_factor(self.reference - newest, &self.recency)))
    }

    /// The blend in one segment.
    fn segment(&self, segment: &SegmentReader) -> SegmentBlend {
        let dates = segment
            .fast_fields()
            .date("date")
            .ok()
            .map(|column| column.first_or_default_col(DateTime::from_timestamp_secs(self.reference)));
        SegmentBlend { blend: *self, dates }
    }

    /// The blend as tantivy's score tweak: for each segment, each document's blended score.
    pub(crate) fn tweak(self) -> impl Fn(&SegmentReader) -> Box<dyn Fn(DocId, Score) -> Score> + Send + Sync {
        move |segment: &SegmentReader| {
            let blend = self.segment(segment);
            Box::new(move |doc, score| blend.score(doc, score))
        }
    }
}

struct SegmentBlend {
    blend: Blend,
    dates: Option<Arc<dyn ColumnValues<DateTime>>>,
}

impl SegmentBlend {
    fn score(&self, doc: DocId, score: Score) -> Score {
        let reference = self.blend.reference;
        let published =
            self.dates.as_ref().map_or(reference, |column| column.get_val(doc).into_timestamp_secs());
        score * recency_factor(reference - published, &self.blend.recency)
    }
}

/// The top hits by blended score: `ranked` (tantivy's collector of blended scores, with
/// the page's limit and offset) ranks the matches the query's pruning hands it, the
/// pruning bounded by the blended score of the `keep`th best so far.
pub(crate) struct BlendedTopDocs<C> {
    ranked: C,
    keep: usize,
    blend: Blend,
    /// The greatest factor of any article ([`Blend::greatest_factor`]).
    greatest: Score,
}

impl<C> BlendedTopDocs<C> {
    /// `keep`: the offset plus the limit of the page `ranked` collects; `greatest`: the
    /// greatest factor of any article ([`Blend::greatest_factor`]).
    pub(crate) fn new(ranked: C, keep: usize, blend: Blend, greatest: Score) -> BlendedTopDocs<C> {
        BlendedTopDocs { ranked, keep: keep.max(1), blend, greatest }
    }
}

impl<C> Collector for BlendedTopDocs<C>
where
    C: Collector<Fruit = Vec<(Score, DocAddress)>>,
{
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn for_segment(&self, segment_local_id: u32, segment: &SegmentReader) -> tantivy::Result<C::Child> {
        self.ranked.for_segment(segment_local_id, segment)
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        segment_fruits: Vec<<C::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<C::Fruit> {
        self.ranked.merge_fruits(segment_fruits)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
        let mut collector = self.ranked.for_segment(segment_ord, reader)?;
        let blend = self.blend.segment(reader);
        let alive = reader.alive_bitset();
        // The best blended scores so far, least on top, by their bits (blended scores are
        // not negative, and such floats order as their bits do).
        let mut kept: BinaryHeap<Reverse<u32>> = BinaryHeap::with_capacity(self.keep + 1);
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                let blended = blend.score(doc, score).max(0.0).to_bits();
                // Below the least of a full heap, the match cannot be in the segment's top
                // either: tantivy's collector is spared blending it again.
                let full = kept.len() == self.keep;
                if !full || kept.peek().is_some_and(|Reverse(least)| blended >= *least) {
                    collector.collect(doc, score);
                    kept.push(Reverse(blended));
                    if kept.len() > self.keep {
                        kept.pop();
                    }
                }
            }
            match kept.peek() {
                // Rounded down a little, so that rounding cannot pass over a match whose
                // blended score beats the least kept.
                Some(Reverse(least)) if kept.len() == self.keep && self.greatest > 0.0 => {
                    Score::from_bits(*least) / self.greatest * (1.0 - 1e-5)
                }
                _ => Score::MIN,
            }
        })?;
        Ok(collector.harvest())
    }
}
