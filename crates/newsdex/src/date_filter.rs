//! A filter on the publication date: articles dated within a range.
//!
//! tantivy's range query over the `date` column scans the column, and it tells an
//! intersection that it matches most documents whatever the range. Under a filter to one
//! day or one month, the ranking of a word then visits every match of the word (a page
//! that never fills never prunes) and asks the column about each: `美国 OR 中国` on one
//! day of a million articles took 34 ms. Here, in a segment where the range covers less
//! than an eighth of the segment's span of dates, the filter collects the documents
//! dated within it into a set whose size it knows, so it leads intersections and the
//! filtered ranking ([`Filtered`](crate::filtered::Filtered)): from the postings of the
//! dates in the range when it holds few distinct dates (articles dated by day), else by
//! scanning the column once. Wider ranges keep tantivy's range over the column. Those
//! sets are kept across searches ([`DateSets`]): readers repeat their date filters.

use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;
use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScoreQuery, ConstScorer, EnableScoring, Explanation, Query, RangeQuery, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DateTime, DocId, Score, Searcher, SegmentReader, Term};

use crate::value_filter::DENSE_ONE_IN;

/// Most distinct dates (or instants) whose postings a segment reads; a range holding more
/// is collected from the column.
const MAX_DATES: usize = 4096;

/// The tantivy date `seconds` after the Unix epoch. tantivy keeps nanoseconds in an i64
/// (1677-09-21 to 2262-04-11) and `DateTime::from_timestamp_secs` wraps past either end,
/// so this saturates to the earliest or latest instant it can hold instead.
pub(crate) fn date_at(seconds: i64) -> DateTime {
    DateTime::from_timestamp_nanos(seconds.saturating_mul(1_000_000_000))
}

/// The dates of a segment's articles, from the `field` column: the oldest and newest in
/// Unix seconds (`None`: no article has one), and whether every article has one.
pub(crate) fn segment_dates(
    segment: &SegmentReader,
    field: Field,
) -> tantivy::Result<(Option<(i64, i64)>, bool)> {
    let name = segment.schema().get_field_name(field);
    let Some(column) = segment.fast_fields().column_opt::<DateTime>(name)? else {
        return Ok((None, segment.max_doc() == 0));
    };
    let dated = column.values.num_vals();
    let span = (dated > 0)
        .then(|| (column.min_value().into_timestamp_secs(), column.max_value().into_timestamp_secs()));
    Ok((span, dated >= segment.max_doc()))
}

/// The dates of the index's articles, read from every segment's `field` column: the
/// oldest and newest in Unix seconds (`None`: no article has one), and whether every
/// article has one.
pub(crate) fn index_dates(searcher: &Searcher, field: Field) -> tantivy::Result<(Option<(i64, i64)>, bool)> {
    let mut span: Option<(i64, i64)> = None;
    let mut every_one_dated = true;
    for segment in searcher.segment_readers() {
        let (dates, all_dated) = segment_dates(segment, field)?;
        every_one_dated &= all_dated;
        if let Some((first, last)) = dates {
            span = Some(span.map_or((first, last), |(oldest, newest)| (oldest.min(first), newest.max(last))));
        }
    }
    Ok((span, every_one_dated))
}

/// Most bytes of sets [`DateSets`] keeps.
const DATE_SETS_BYTES: usize = 32 << 20;

/// A segment, a date field, and the first and last seconds of a range.
type SetKey = (SegmentId, Field, i64, i64);

/// The documents a narrow date range holds in a segment, kept across searches, the least
/// recently used dropped first past [`DATE_SETS_BYTES`]. Reading a range's dates costs
/// about 0.9 ms for four months of a million articles, and readers repeat their date
/// filters ("since the first of the month"). A segment's dates never change (deletions
/// are checked apart, and a merge makes a new segment), so a set never goes stale: those
/// of merged segments age out.
pub(crate) struct DateSets {
    /// The sets, and the bytes they take.
    kept: Mutex<(LruCache<SetKey, BitSet>, usize)>,
    /// Most bytes kept.
    capacity: usize,
}

impl Default for DateSets {
    fn default() -> DateSets {
        DateSets::with_capacity(DATE_SETS_BYTES)
    }
}

impl std::fmt::Debug for DateSets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("DateSets").field("sets", &kept.0.len()).field("bytes", &kept.1).finish()
    }
}

impl DateSets {
    fn with_capacity(capacity: usize) -> DateSets {
        DateSets { kept: Mutex::new((LruCache::unbounded(), 0)), capacity }
    }

    /// The set under `key`, made by `make` (and kept) when it is not kept already.
    fn get_or_make(
        &self,
        key: SetKey,
        make: impl FnOnce() -> tantivy::Result<BitSet>,
    ) -> tantivy::Result<BitSet> {
        // The bytes of a set: a bit per document, in words of 64.
        let bytes = |set: &BitSet| (set.max_value() as usize).div_ceil(64) * 8;
        if let Some(docs) = self.kept.lock().unwrap_or_else(PoisonError::into_inner).0.get(&key) {
            return Ok(docs.clone());
        }
        let docs = make()?;
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let (sets, held) = &mut *kept;
        if sets.put(key, docs.clone()).is_none() {
            *held += bytes(&docs);
        }
        while *held > self.capacity {
            let Some((_, dropped)) = sets.pop_lru() else { break };
            *held = held.saturating_sub(bytes(&dropped));
        }
        Ok(docs)
    }

    /// How many sets are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).0.len()
    }
}

/// Articles whose `date` lies within the bounds, all scored 0.
#[derive(Debug, Clone)]
pub(crate) struct DateFilter {
    field: Field,
    lower: Bound<DateTime>,
    upper: Bound<DateTime>,
    /// Where the sets of narrow ranges are kept across searches, if anywhere.
    sets: Option<Arc<DateSets>>,
}

impl DateFilter {
    /// Articles dated within `lower` and `upper` (whole seconds: the field's precision), at
    /// least one of them bounded.
    pub(crate) fn new(field: Field, lower: Bound<DateTime>, upper: Bound<DateTime>) -> DateFilter {
        DateFilter { field, lower, upper, sets: None }
    }

    /// The same filter, its sets in narrow segments taken from `sets` and kept there.
    pub(crate) fn kept_in(self, sets: Arc<DateSets>) -> DateFilter {
        DateFilter { sets: Some(sets), ..self }
    }

    fn term(&self, date: &DateTime) -> Term {
        Term::from_field_date(self.field, *date)
    }

    /// The first and last seconds within the range; the first is past the last when the
    /// range holds no representable second.
    fn seconds(&self) -> (i64, i64) {
        let first = match self.lower {
            Bound::Included(date) => Some(date.into_timestamp_secs()),
            Bound::Excluded(date) => date.into_timestamp_secs().checked_add(1),
            Bound::Unbounded => Some(i64::MIN),
        };
        let last = match self.upper {
            Bound::Included(date) => Some(date.into_timestamp_secs()),
            Bound::Excluded(date) => date.into_timestamp_secs().checked_sub(1),
            Bound::Unbounded => Some(i64::MAX),
        };
        (first.unwrap_or(i64::MAX), last.unwrap_or(i64::MIN))
    }
}

impl Query for DateFilter {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let range =
            RangeQuery::new(self.lower.map(|date| self.term(&date)), self.upper.map(|date| self.term(&date)));
        let column = ConstScoreQuery::new(Box::new(range), 0.0).weight(enable_scoring)?;
        Ok(Box::new(DateFilterWeight { filter: self.clone(), column }))
    }
}

struct DateFilterWeight {
    filter: DateFilter,
    /// The range over the column, for segments where it is wide.
    column: Box<dyn Weight>,
}

impl DateFilterWeight {
    /// Whether the range covers less than an eighth of the segment's span of dates.
    fn narrow_in(&self, reader: &SegmentReader) -> tantivy::Result<bool> {
        let (Some((first, last)), _) = segment_dates(reader, self.filter.field)? else {
            // No article of the segment has a date: there is nothing to read.
            return Ok(true);
        };
        let (from, to) = self.filter.seconds();
        let covered = i128::from(to.min(last)) - i128::from(from.max(first)) + 1;
        let span = i128::from(last) - i128::from(first) + 1;
        Ok(covered.max(0) * i128::from(DENSE_ONE_IN) < span)
    }

    /// The documents dated within the range.
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        if let Some(docs) = self.postings_docs(reader)? {
            return Ok(docs);
        }
        let mut docs = BitSet::with_max_value(reader.max_doc());
        let name = reader.schema().get_field_name(self.filter.field);
        let Some(column) = reader.fast_fields().column_opt::<DateTime>(name)? else {
            return Ok(docs);
        };
        let (from, to) = self.filter.seconds();
        if from > to {
            return Ok(docs);
        }
        // An unbounded end is `i64::MIN` or `i64::MAX` seconds: `date_at` saturates it.
        let mut hits = Vec::new();
        column.get_docids_for_value_range(date_at(from)..=date_at(to), 0..reader.max_doc(), &mut hits);
        for doc in hits {
            docs.insert(doc);
        }
        Ok(docs)
    }

    /// The documents dated within the range, read from the postings of its dates, or
    /// `None` when the range holds more than [`MAX_DATES`] of them.
    fn postings_docs(&self, reader: &SegmentReader) -> tantivy::Result<Option<BitSet>> {
        let inverted_index = reader.inverted_index(self.filter.field)?;
        let bytes = |date: &DateTime| self.filter.term(date).serialized_value_bytes().to_vec();
        let mut range = inverted_index.terms().range();
        range = match &self.filter.lower {
            Bound::Included(date) => range.ge(bytes(date)),
            Bound::Excluded(date) => range.gt(bytes(date)),
            Bound::Unbounded => range,
        };
        range = match &self.filter.upper {
            Bound::Included(date) => range.le(bytes(date)),
            Bound::Excluded(date) => range.lt(bytes(date)),
            Bound::Unbounded => range,
        };
        let mut dates = range.into_stream()?;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        let mut read = 0;
        while dates.advance() {
            read += 1;
            if read > MAX_DATES {
                return Ok(None);
            }
            let mut postings =
                inverted_index.read_block_postings_from_terminfo(dates.value(), IndexRecordOption::Basic)?;
            while !postings.docs().is_empty() {
                for &doc in postings.docs() {
                    docs.insert(doc);
                }
                postings.advance();
            }
        }
        Ok(Some(docs))
    }
}

impl Weight for DateFilterWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.narrow_in(reader)? {
            let docs = match &self.filter.sets {
                Some(sets) => {
                    let (from, to) = self.filter.seconds();
                    let key = (reader.segment_id(), self.filter.field, from, to);
                    sets.get_or_make(key, || self.docs(reader))?
                }
                None => self.docs(reader)?,
            };
            return Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), 0.0)));
        }
        self.column.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.column.explain(reader, doc)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tantivy::collector::{Count, DocSetCollector};
    use tantivy::schema::{DateOptions, DateTimePrecision, Schema};
    use tantivy::{DocAddress, DocSet, Index, IndexWriter, TantivyDocument, doc};

    use super::*;

    const DAY: i64 = 86_400;
    /// 2020-01-01T00:00:00Z.
    const START: i64 = 1_577_836_800;

    /// An index in memory with a date field, and its writer.
    fn date_index() -> (Index, Field, IndexWriter<TantivyDocument>) {
        let mut builder = Schema::builder();
        let date = builder.add_date_field(
            "date",
            DateOptions::default().set_indexed().set_fast().set_precision(DateTimePrecision::Seconds),
        );
        let index = Index::create_in_ram(builder.build());
        let writer = index.writer_with_num_threads(1, 20_000_000).expect("writer");
        (index, date, writer)
    }

    fn at(seconds: i64) -> DateTime {
        DateTime::from_timestamp_secs(seconds)
    }

    /// The documents `query` matches.
    fn matched(index: &Index, query: &dyn Query) -> BTreeSet<DocAddress> {
        let searcher = index.reader().expect("reader").searcher();
        let docs = searcher.search(query, &DocSetCollector).expect("search");
        assert_eq!(searcher.search(query, &Count).expect("count"), docs.len());
        docs.into_iter().collect()
    }

    fn range_query(date: Field, lower: Bound<DateTime>, upper: Bound<DateTime>) -> RangeQuery {
        let term = |at: DateTime| Term::from_field_date(date, at);
        RangeQuery::new(lower.map(term), upper.map(term))
    }

    #[test]
    fn matches_what_the_range_over_the_column_matches_narrow_or_wide() {
        // Two years of articles, three a day at different hours, some undated, in three
        // segments.
        let (index, date, mut writer) = date_index();
        for day in 0..730 {
            for hour in [1, 9, 17] {
                writer.add_document(doc!(date => at(START + day * DAY + hour * 3600))).expect("add");
            }
            if day % 50 == 0 {
                writer.add_document(doc!()).expect("add");
            }
            if day % 250 == 249 {
                writer.commit().expect("commit");
            }
        }
        writer.commit().expect("commit");
        let day = |n: i64| at(START + n * DAY);
        let instant = |n: i64, hour: i64| at(START + n * DAY + hour * 3600);
        let mut compared = 0;
        for (lower, upper) in [
            (Bound::Included(day(100)), Bound::Excluded(day(101))),
            (Bound::Included(instant(100, 9)), Bound::Included(instant(100, 9))),
            (Bound::Excluded(instant(100, 9)), Bound::Included(instant(101, 1))),
            (Bound::Included(instant(100, 1)), Bound::Excluded(instant(100, 17))),
            (Bound::Included(day(300)), Bound::Excluded(day(331))),
            (Bound::Included(day(0)), Bound::Excluded(day(1))),
            (Bound::Included(day(729)), Bound::Unbounded),
            (Bound::Unbounded, Bound::Excluded(day(3))),
            (Bound::Included(day(100)), Bound::Excluded(day(500))),
            (Bound::Included(day(-400)), Bound::Excluded(day(-10))),
            (Bound::Included(day(900)), Bound::Unbounded),
        ] {
            let filter = DateFilter::new(date, lower, upper);
            let expected = matched(&index, &range_query(date, lower, upper));
            assert_eq!(matched(&index, &filter), expected, "{lower:?}..{upper:?}");
            compared += usize::from(!expected.is_empty());
        }
        assert!(compared >= 9, "help: most ranges should match something ({compared})");
    }

    #[test]
    fn kept_sets_are_those_of_their_own_segment_and_range() {
        // Three segments of a year each, two articles a day; the same narrow ranges
        // searched twice, then again once the segments are merged into one.
        let (index, date, mut writer) = date_index();
        for day in 0..1095 {
            for hour in [3, 15] {
                writer.add_document(doc!(date => at(START + day * DAY + hour * 3600))).expect("add");
            }
            if day % 365 == 364 {
                writer.commit().expect("commit");
            }
        }
        let reader = index.reader().expect("reader");
        let day = |n: i64| Bound::Included(at(START + n * DAY));
        let before = |n: i64| Bound::Excluded(at(START + n * DAY));
        let ranges = [
            (day(10), before(12)),
            (day(380), before(390)),
            (day(800), before(801)),
            (day(1090), Bound::Unbounded),
            (Bound::Unbounded, before(5)),
        ];
        let sets = Arc::new(DateSets::default());
        let compare = |searcher: &tantivy::Searcher| {
            for (lower, upper) in ranges {
                let kept = DateFilter::new(date, lower, upper).kept_in(Arc::clone(&sets));
                let docs = searcher.search(&kept, &DocSetCollector).expect("search");
                let expected =
                    searcher.search(&range_query(date, lower, upper), &DocSetCollector).expect("search");
                assert_eq!(docs, expected, "{lower:?}..{upper:?}");
            }
        };
        let searcher = reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        compare(&searcher);
        // Every range is narrow in each of the three segments.
        assert_eq!(sets.len(), 3 * ranges.len());
        compare(&searcher);
        assert_eq!(sets.len(), 3 * ranges.len(), "help: a second search reuses the sets");
        let segments = index.searchable_segment_ids().expect("segments");
        writer.merge(&segments).wait().expect("merge");
        reader.reload().expect("reload");
        let searcher = reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        compare(&searcher);
        assert_eq!(sets.len(), 4 * ranges.len());
    }

    #[test]
    fn kept_sets_past_their_capacity_drop_the_least_recently_used() {
        let (index, date, mut writer) = date_index();
        for day in 0..100 {
            writer.add_document(doc!(date => at(START + day * DAY))).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let [segment] = searcher.segment_readers() else { panic!("help: one segment expected") };
        // Room for two sets of a hundred documents (two words each).
        let sets = DateSets::with_capacity(32);
        let key = |first: i64| (segment.segment_id(), date, first, first);
        let made = std::cell::Cell::new(0);
        let get = |first: i64| {
            sets.get_or_make(key(first), || {
                made.set(made.get() + 1);
                Ok(BitSet::with_max_value(segment.max_doc()))
            })
            .expect("set")
        };
        get(1);
        get(2);
        get(1);
        assert_eq!(made.get(), 2);
        // A third set drops the least recently used: 2.
        get(3);
        assert_eq!(sets.len(), 2);
        get(1);
        assert_eq!(made.get(), 3, "help: 1 was used last, so it stays");
        get(2);
        assert_eq!(made.get(), 4, "help: 2 was dropped");
    }

    #[test]
    fn a_narrow_range_knows_how_many_documents_it_holds() {
        // An intersection lets the docset it believes rarest lead: a day of a year of
        // articles must say how few it holds, where the column says most of them.
        let (index, date, mut writer) = date_index();
        for day in 0..365 {
            for hour in 0..4 {
                writer.add_document(doc!(date => at(START + day * DAY + hour * 3600))).expect("add");
            }
        }
        // Days with more distinct instants than the filter reads postings for: the first,
        // one in the middle and the last.
        for day in [0, 200, 364] {
            for second in 0..(MAX_DATES as i64 + 10) {
                writer.add_document(doc!(date => at(START + day * DAY + 7200 + second))).expect("add");
            }
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let [segment] = searcher.segment_readers() else { panic!("help: one segment expected") };
        let cost_within = |lower: Bound<DateTime>, upper: Bound<DateTime>| {
            let filter = DateFilter::new(date, lower, upper);
            let weight = filter.weight(EnableScoring::disabled_from_searcher(&searcher)).expect("weight");
            let scorer = weight.scorer(segment, 1.0).expect("scorer");
            let held = weight.count(segment).expect("count");
            let range = range_query(date, lower, upper);
            assert_eq!(held as usize, range.count(&searcher).expect("count"), "{lower:?}..{upper:?}");
            (scorer.cost(), held)
        };
        let cost =
            |lower: i64, upper: i64| cost_within(Bound::Included(at(lower)), Bound::Excluded(at(upper)));
        let (narrow, held) = cost(START + 10 * DAY, START + 11 * DAY);
        assert_eq!((narrow, held), (4, 4), "help: a narrow range reads its dates' postings");
        let crowded_day = MAX_DATES as u32 + 10;
        let (wide, held) = cost(START, START + 200 * DAY);
        assert_eq!(held, 800 + crowded_day);
        assert!(wide > u64::from(segment.max_doc()) / 2, "help: a wide range reads the column ({wide})");
        // Too many instants to read their postings: the column is scanned instead.
        let (crowded, held) = cost(START + 200 * DAY, START + 201 * DAY);
        assert_eq!((crowded, held), (MAX_DATES as u64 + 14, MAX_DATES as u32 + 14));
        let (within, held) = cost(START + 200 * DAY + 7200 + 5, START + 200 * DAY + 7200 + 3000);
        assert_eq!((within, held), (2995, 2995));
        // The same, open-ended: the scan's ends are the earliest and latest instants.
        let (_, held) = cost_within(Bound::Included(at(START + 362 * DAY)), Bound::Unbounded);
        assert_eq!(held, 3 * 4 + crowded_day);
        let (_, held) = cost_within(Bound::Unbounded, Bound::Excluded(at(START + 2 * DAY)));
        assert_eq!(held, 2 * 4 + crowded_day);
    }
}
