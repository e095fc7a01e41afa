//! The readings of an index's Chinese words, kept across searches.
//!
//! Pinyin typed is looked up by its letters in a table of every reading of every Chinese
//! word of a field, rather than read against each segment's words with an automaton: on
//! 1,000,000 articles (15 segments) that walk cost about 1.3 ms a segment for each piece
//! of pinyin looked at. Segments share most of their words (the bodies of that index hold
//! 3.4 million words of two characters or more counted segment by segment, 341,000
//! distinct), so one table serves them all: it lists each word once, and the segments are
//! asked only for the few words a reading finds.
//!
//! A segment's words never change (a merge makes a new segment from the words of others),
//! so a table only grows: the first search of a field that meets a segment of
//! [`GROWN_BY_SEGMENTS_OF`] articles or more the table has not seen adds that segment's
//! words the table lacks; the words of smaller segments (a few commits' articles) are
//! walked. Words of segments since merged away stay listed; a segment that no longer
//! holds a word just does not answer for it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock, TryLockError};

use pinyin::ToPinyinMulti;
use rustc_hash::FxHashSet;
use tantivy::index::SegmentId;
use tantivy::schema::Field;
use tantivy::{InvertedIndexReader, Searcher, SegmentReader};
use unicode_normalization::UnicodeNormalization;

use super::{CJK_FROM, CJK_TO, MIN_CHARS};
use crate::error::Result;
use crate::search::unreadable_words;

/// Articles a segment needs for a search to grow a table by its words: a search walks the
/// words of smaller ones instead. Growing a table of 360,000 words by a segment of 1,000
/// articles took a search about 20 ms; walking that segment's words costs about 0.1 ms a
/// look, and merges soon fold such segments into larger ones.
const GROWN_BY_SEGMENTS_OF: u32 = 10_000;

/// Most readings of one word a table lists (every reading of each of its characters,
/// combined); a word with more is read against what was typed at every look.
const LISTED_READINGS: usize = 64;

/// The reading tables of an index's fields (shared by clones of the index).
pub(crate) struct ReadingTables {
    /// Each field's table, once made. Searches read it together; making or growing one
    /// holds it alone.
    fields: RwLock<HashMap<Field, Arc<FieldReadings>>>,
    /// Articles a segment needs for a search to grow a table by its words
    /// ([`GROWN_BY_SEGMENTS_OF`]).
    grown_by_segments_of: u32,
}

impl Default for ReadingTables {
    fn default() -> ReadingTables {
        ReadingTables { fields: RwLock::default(), grown_by_segments_of: GROWN_BY_SEGMENTS_OF }
    }
}

impl ReadingTables {
    /// Makes the table of `field` (or grows it) to cover every segment of `searcher`, and
    /// returns the words it lists.
    pub(crate) fn make(&self, searcher: &Searcher, field: Field) -> Result<usize> {
        let mut fields = self.fields.write().unwrap_or_else(PoisonError::into_inner);
        let table = fields.entry(field).or_default();
        FieldReadings::cover(table, searcher, field, 0)?;
        Ok(table.ends.len())
    }

    /// The table of `field`, grown first by the segments of `searcher` of
    /// [`GROWN_BY_SEGMENTS_OF`] articles or more it does not cover yet, unless another
    /// search is reading or growing it (then as it is); `None` when none was made, or
    /// while one is made or grown: then the words are read with a walk, as they are in
    /// the segments the table does not cover.
    pub(crate) fn of(&self, searcher: &Searcher, field: Field) -> Result<Option<Arc<FieldReadings>>> {
        let table = match self.fields.try_read() {
            Ok(fields) => fields.get(&field).cloned(),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().get(&field).cloned(),
            Err(TryLockError::WouldBlock) => return Ok(None),
        };
        let Some(table) = table else { return Ok(None) };
        if !table.lacks(searcher, self.grown_by_segments_of) {
            return Ok(Some(table));
        }
        let mut fields = match self.fields.try_write() {
            Ok(fields) => fields,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Ok(Some(table)),
        };
        // Held here alone, the table grows in place.
        drop(table);
        let Some(table) = fields.get_mut(&field) else { return Ok(None) };
        FieldReadings::cover(table, searcher, field, self.grown_by_segments_of)?;
        Ok(Some(Arc::clone(table)))
    }
}

/// Every reading of the Chinese words of one field, each word of two readable characters
/// or more listed once whichever segments hold it.
#[derive(Clone, Default)]
pub(crate) struct FieldReadings {
    /// The words, one after another: word `i` ends at `ends[i]` and begins where word
    /// `i - 1` ends.
    text: String,
    ends: Vec<usize>,
    /// The words (their numbers) in byte order.
    in_order: Vec<u32>,
    /// Each reading of each word ([`reading_key`]) with the word, in key order.
    listed: Vec<(u64, u32)>,
    /// The words with more than [`LISTED_READINGS`] readings.
    unlisted: Vec<u32>,
    /// The segments whose words are all listed.
    covered: FxHashSet<SegmentId>,
}

impl FieldReadings {
    /// Word `number`.
    pub(crate) fn word(&self, number: u32) -> &str {
        let number = number as usize;
        let start = number.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.text[start..self.ends[number]]
    }

    /// The words (their numbers) with a reading keyed by one of `keys`, and every word
    /// with too many readings to list, each once, in `found` (cleared first).
    pub(crate) fn find(&self, keys: &[u64], found: &mut Vec<u32>) {
        found.clear();
        for &key in keys {
            let first = self.listed.partition_point(|&(listed, _)| listed < key);
            let read = self.listed[first..].iter().take_while(|&&(listed, _)| listed == key);
            found.extend(read.map(|&(_, word)| word));
        }
        found.extend_from_slice(&self.unlisted);
        found.sort_unstable();
        found.dedup();
    }

    /// Whether the table lists every word of the segment `segment`.
    pub(crate) fn covers(&self, segment: SegmentId) -> bool {
        self.covered.contains(&segment)
    }

    /// Whether a segment of `searcher` of `smallest` articles or more is not covered.
    fn lacks(&self, searcher: &Searcher, smallest: u32) -> bool {
        searcher.segment_readers().iter().any(|segment| self.uncovered(segment, smallest))
    }

    fn uncovered(&self, segment: &SegmentReader, smallest: u32) -> bool {
        segment.max_doc() >= smallest && !self.covers(segment.segment_id())
    }

    /// Grows `table` to cover every segment of `searcher` of `smallest` articles or more
    /// (copying it only when a search still reads it as it was).
    fn cover(table: &mut Arc<FieldReadings>, searcher: &Searcher, field: Field, smallest: u32) -> Result<()> {
        let uncovered = |segment: &&SegmentReader| table.uncovered(segment, smallest);
        let segments: Vec<&SegmentReader> = searcher.segment_readers().iter().filter(uncovered).collect();
        if segments.is_empty() {
            return Ok(());
        }
        let grown = Arc::make_mut(table);
        for segment in segments {
            if grown.list(&*segment.inverted_index(field)?)? {
                grown.covered.insert(segment.segment_id());
            }
        }
        Ok(())
    }

    /// Lists the words of `inverted` (one segment's field) the table lacks; `false` when
    /// the table is full (`u32::MAX` words), its words then walked.
    fn list(&mut self, inverted: &InvertedIndexReader) -> Result<bool> {
        let (mut from, mut to) = ([0; 4], [0; 4]);
        let after_last = char::from_u32(CJK_TO as u32 + 1).unwrap_or(CJK_TO);
        let words = inverted.terms().range().ge(CJK_FROM.encode_utf8(&mut from).as_bytes());
        let mut words =
            words.lt(after_last.encode_utf8(&mut to).as_bytes()).into_stream().map_err(unreadable_words)?;
        // Both in byte order: one pass over the segment's words and the table's tells
        // which are new.
        let listed = self.in_order.len();
        let mut at = 0;
        let mut added: Vec<u32> = Vec::new();
        let mut full = false;
        while words.advance() {
            let Ok(word) = std::str::from_utf8(words.key()) else { continue };
            if word.chars().take(usize::from(MIN_CHARS)).count() < usize::from(MIN_CHARS)
                || word.chars().any(|c| syllables_of(c).is_empty())
            {
                continue;
            }
            while at < listed && self.word(self.in_order[at]) < word {
                at += 1;
            }
            if at < listed && self.word(self.in_order[at]) == word {
                continue;
            }
            let Ok(number) = u32::try_from(self.ends.len()) else {
                full = true;
                break;
            };
            self.text.push_str(word);
            self.ends.push(self.text.len());
            added.push(number);
        }
        if added.is_empty() {
            return Ok(!full);
        }
        let in_order = merged(&self.in_order, &added, |&before, &after| self.word(before) < self.word(after));
        self.in_order = in_order;

        let mut syllables: Vec<&[Box<str>]> = Vec::new();
        let mut picked: Vec<usize> = Vec::new();
        let mut readings: Vec<(u64, u32)> = Vec::new();
        for &number in &added {
            syllables.clear();
            syllables.extend(self.word(number).chars().map(syllables_of));
            let count = syllables.iter().try_fold(1usize, |product, read| product.checked_mul(read.len()));
            if count.is_none_or(|count| count > LISTED_READINGS) {
                self.unlisted.push(number);
                continue;
            }
            // Every choice of a syllable for each character, the last changing fastest.
            picked.clear();
            picked.resize(syllables.len(), 0);
            loop {
                let reading = syllables.iter().zip(&picked).map(|(read, &at)| &*read[at]);
                readings.push((reading_key(reading), number));
                let Some(last) = picked.iter().zip(&syllables).rposition(|(&at, read)| at + 1 < read.len())
                else {
                    break;
                };
                picked[last] += 1;
                picked[last + 1..].fill(0);
            }
        }
        readings.sort_unstable();
        // Two readings alike once toneless (`lü` and `lu`) list a word once.
        readings.dedup();
        self.listed = merged(&self.listed, &readings, |listed, reading| listed < reading);
        Ok(!full)
    }
}

/// The items of `first` and `second`, both in order (`before`), in order; on a tie the
/// first's item comes first.
fn merged<T: Copy>(first: &[T], second: &[T], before: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut merged = Vec::with_capacity(first.len() + second.len());
    let (mut first, mut second) = (first.iter().peekable(), second.iter().peekable());
    while let (Some(&one), Some(&other)) = (first.peek(), second.peek()) {
        if before(other, one) {
            merged.push(*other);
            second.next();
        } else {
            merged.push(*one);
            first.next();
        }
    }
    merged.extend(first.chain(second));
    merged
}

/// The key the tables file pinyin under: FNV-1a of its letters without tones, as
/// [`toneless`] gives them. Two spellings of one reading, toneless or with tones, have one
/// key, and so do two ways of cutting the same letters into syllables; what a key finds
/// is read against what was typed.
pub(crate) fn reading_key<'a>(toneless: impl IntoIterator<Item = &'a str>) -> u64 {
    let letters = toneless.into_iter().flat_map(str::bytes);
    letters
        .fold(0xcbf2_9ce4_8422_2325, |hash, letter| (hash ^ u64::from(letter)).wrapping_mul(0x0100_0000_01b3))
}

/// The letters of pinyin without its tones: marks and numbers dropped, and `ü` (typed
/// `v` or `u`) as `u`.
pub(crate) fn toneless(pinyin: &str) -> String {
    (pinyin.nfd())
        .filter(|letter| !matches!(letter, '\u{300}'..='\u{36F}' | '0'..='9'))
        .map(|letter| if letter == 'v' { 'u' } else { letter })
        .collect()
}

/// The toneless syllables `c` is read in, as [`toneless`] gives them (`lü` as `lu`),
/// each once; none outside the ideographs the readings cover.
pub(crate) fn syllables_of(c: char) -> &'static [Box<str>] {
    if !(CJK_FROM..=CJK_TO).contains(&c) {
        return &[];
    }
    &SYLLABLES[c as usize - CJK_FROM as usize]
}

/// [`syllables_of`] each ideograph, built on first use.
pub(crate) static SYLLABLES: LazyLock<Vec<Box<[Box<str>]>>> = LazyLock::new(|| {
    (CJK_FROM..=CJK_TO)
        .map(|c| {
            let mut read: Vec<Box<str>> = (c.to_pinyin_multi().into_iter().flatten())
                .map(|reading| toneless(reading.plain()).into_boxed_str())
                .collect();
            read.sort_unstable();
            read.dedup();
            read.into_boxed_slice()
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::Analyzer;
    use crate::article::Article;
    use crate::index::NewsIndex;
    use crate::writer::WriterSettings;

    /// Each word read as `typed` up to `ends`, with the articles holding it summed over
    /// segments and the places it reaches.
    fn read(
        index: &NewsIndex,
        tables: &ReadingTables,
        typed: &str,
        ends: &[usize],
    ) -> BTreeMap<String, (u32, u32)> {
        let searcher = index.reader().searcher();
        let mut read: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        crate::pinyin::each_word_beginning(
            tables,
            &searcher,
            index.schema().body,
            typed,
            ends,
            |word, held_by, reached| {
                let entry = read.entry(word.to_string()).or_default();
                entry.0 += held_by;
                entry.1 |= reached;
            },
        )
        .expect("read");
        read
    }

    fn write(index: &NewsIndex, bodies: &[&str]) {
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        static WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        for body in bodies {
            let id = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
            writer.upsert(&Article { id, body: body.to_string(), ..Article::default() }).expect("upsert");
        }
        writer.commit().expect("commit");
    }

    #[test]
    fn words_looked_up_in_a_table_are_those_a_walk_of_every_segment_reads() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        write(
            &index,
            &["中国经济稳步增长，重庆的半导体产业", "绿色发展对中国很重要", "西安的经济和导体研究"],
        );
        write(&index, &["中国经济", "到达西安以后，绿色出行", "律师说重要的是经济"]);
        let body = index.schema().body;
        let walked = ReadingTables::default();
        let tables = ReadingTables::default();
        let growing = ReadingTables { grown_by_segments_of: 1, ..ReadingTables::default() };
        let searcher = index.reader().searcher();
        assert!(tables.make(&searcher, body).expect("made") > 10);
        growing.make(&searcher, body).expect("made");
        let asked: [(&str, &[usize]); 10] = [
            ("jingji", &[6]),
            ("zhongguojingji", &[8, 14]),
            ("chongqing", &[9]),
            ("zhongyao", &[8]),
            ("lvse", &[4]),
            ("luse", &[4]),
            ("xian", &[4]),
            ("daoti", &[5]),
            ("zhong1guo2", &[10]),
            ("lǜsè", &["lǜsè".len()]),
        ];
        for (typed, ends) in asked {
            let looked_up = read(&index, &tables, typed, ends);
            assert!(!looked_up.is_empty(), "help: {typed} reads as a word of these articles");
            assert_eq!(
                looked_up,
                read(&index, &walked, typed, ends),
                "help: the table lost or added words for {typed}"
            );
        }
        let zhongguojingji = read(&index, &tables, "zhongguojingji", &[8, 14]);
        assert_eq!(zhongguojingji.get("中国"), Some(&(3, 1 << 8)), "{zhongguojingji:?}");
        assert_eq!(read(&index, &tables, "daoti", &[5]).keys().collect::<Vec<_>>(), ["到达", "导体"]);
        assert!(read(&index, &tables, "shi4shi2", &[8]).is_empty());

        // A segment written since, too small for a search to grow the table by: its
        // words are walked. With a lower bar the next look lists them.
        write(&index, &["房价上涨，事实如此", "中国经济"]);
        let covered = |tables: &ReadingTables| tables.fields.read().expect("lock")[&body].covered.len();
        for tables in [&tables, &growing] {
            let fangjia = read(&index, tables, "fangjia", &[7]);
            assert_eq!(
                fangjia.get("房价"),
                Some(&(1, 1 << 7)),
                "help: a new segment's words are read: {fangjia:?}"
            );
            assert_eq!(read(&index, tables, "shi4shi2", &[8]).keys().collect::<Vec<_>>(), ["事实"]);
            let jingji = read(&index, tables, "jingji", &[6]);
            assert_eq!(jingji.get("经济").map(|&(held_by, _)| held_by), Some(5), "{jingji:?}");
            assert_eq!(jingji, read(&index, &walked, "jingji", &[6]));
        }
        assert_eq!(covered(&tables), 2, "help: a segment of two articles is walked");
        assert_eq!(covered(&growing), 3, "help: the new segment's words are listed");

        // A table another search is reading is used as it is, a new segment walked.
        let late = ReadingTables { grown_by_segments_of: 1, ..ReadingTables::default() };
        late.make(&searcher, body).expect("made");
        let reading = late.fields.read().expect("lock");
        assert_eq!(read(&index, &late, "fangjia", &[7]), read(&index, &walked, "fangjia", &[7]));
        drop(reading);
        assert_eq!(covered(&late), 2, "help: not grown while read");
        read(&index, &late, "fangjia", &[7]);
        assert_eq!(covered(&late), 3);
    }

    #[test]
    fn without_a_table_or_while_one_is_being_made_words_are_walked() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        write(&index, &["中国经济"]);
        let searcher = index.reader().searcher();
        let body = index.schema().body;
        let tables = ReadingTables::default();
        assert!(tables.of(&searcher, body).expect("of").is_none(), "help: none made");
        tables.make(&searcher, body).expect("made");
        let making = tables.fields.write().expect("lock");
        assert!(tables.of(&searcher, body).expect("of").is_none(), "help: a search never waits for a table");
        drop(making);
        let reading = tables.fields.read().expect("lock");
        assert!(tables.of(&searcher, body).expect("of").is_some(), "help: searches read a table together");
        drop(reading);
        let table = tables.of(&searcher, body).expect("of").expect("made");
        assert_eq!(table.in_order.len(), 2, "help: 中国经济 is indexed as 中国 and 经济");
        assert!(read(&index, &tables, "zhongguo", &[8]).contains_key("中国"));
    }

    #[test]
    fn a_table_lists_each_word_once_with_every_reading() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        write(&index, &["重庆重要", "重庆"]);
        write(&index, &["重庆", "英文 words 不列"]);
        let tables = ReadingTables::default();
        tables.make(&index.reader().searcher(), index.schema().body).expect("made");
        let fields = tables.fields.read().expect("lock");
        let table = &fields[&index.schema().body];
        let words: Vec<&str> = table.in_order.iter().map(|&number| table.word(number)).collect();
        assert!(words.contains(&"重庆") && words.contains(&"重要"), "{words:?}");
        assert_eq!(words.iter().filter(|&&word| word == "重庆").count(), 1, "help: listed once: {words:?}");
        assert!(words.windows(2).all(|pair| pair[0] < pair[1]), "in byte order: {words:?}");
        assert!(
            words
                .iter()
                .all(|word| word.chars().count() >= 2 && word.chars().all(|c| !syllables_of(c).is_empty()))
        );
        // 重 reads zhong and chong: 重庆 is found by both.
        let mut found = Vec::new();
        for typed in ["chongqing", "zhongqing"] {
            table.find(&[reading_key([typed])], &mut found);
            assert!(found.iter().any(|&number| table.word(number) == "重庆"), "{typed}");
        }
        assert!(!words.iter().any(|word| word.is_ascii()), "help: only Chinese words are read: {words:?}");
    }

    /// Words with characters of several readings (重, 行, 长, 乐, 便, 还) and words
    /// read alike.
    const WORDS: [&str; 22] = [
        "重庆",
        "重要",
        "中国",
        "经济",
        "西安",
        "绿色",
        "律师",
        "导体",
        "到达",
        "半导体",
        "事实",
        "实施",
        "房价",
        "银行",
        "行业",
        "长江",
        "长大",
        "音乐",
        "快乐",
        "便宜",
        "平台",
        "还是",
    ];

    fn bodies() -> impl proptest::strategy::Strategy<Value = Vec<Vec<String>>> {
        use proptest::prelude::*;
        let body = proptest::collection::vec(proptest::sample::select(WORDS.to_vec()), 1..5)
            .prop_map(|words| words.join("，"));
        proptest::collection::vec(proptest::collection::vec(body, 1..4), 1..4)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Whatever the articles and the segments they are in, and whether the table
        /// covers a segment or walks it, looking pinyin up finds what a walk of every
        /// segment finds.
        #[test]
        fn looking_up_finds_what_walking_finds(
            segments in bodies(),
            typed in proptest::collection::vec(proptest::sample::select(WORDS.to_vec()), 1..4),
            numbered in proptest::prelude::any::<bool>(),
        ) {
            use pinyin::ToPinyin;

            let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
            let (walked, small, growing) = (ReadingTables::default(), ReadingTables::default(), ReadingTables { grown_by_segments_of: 1, ..ReadingTables::default() });
            for (at, bodies) in segments.iter().enumerate() {
                let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
                write(&index, &bodies);
                if at == 0 {
                    let searcher = index.reader().searcher();
                    small.make(&searcher, index.schema().body).expect("made");
                    growing.make(&searcher, index.schema().body).expect("made");
                }
            }
            // The words typed one after another, in their usual readings; each word's end
            // is a place a word may reach.
            let (mut spelt, mut ends) = (String::new(), Vec::new());
            for word in &typed {
                for reading in word.to_pinyin().flatten() {
                    if numbered {
                        spelt.push_str(reading.with_tone_num_end());
                    } else {
                        // Typed without tones, ü is v.
                        spelt.push_str(&reading.plain().replace('ü', "v"));
                    }
                }
                ends.push(spelt.len());
            }
            let spelt = if numbered { crate::pinyin::toned(&spelt).expect("numbered tones") } else { spelt };
            let walk = read(&index, &walked, &spelt, &ends);
            proptest::prop_assert_eq!(&read(&index, &small, &spelt, &ends), &walk, "{}", spelt);
            proptest::prop_assert_eq!(&read(&index, &growing, &spelt, &ends), &walk, "{}", spelt);
            let held = segments.iter().flatten().any(|body| body.contains(typed[0]));
            if held && typed.len() == 1 {
                proptest::prop_assert!(walk.contains_key(typed[0]), "help: {} reads as {}: {:?}", spelt, typed[0], walk);
            }
        }
    }
}
