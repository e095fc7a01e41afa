//! Chinese words typed in pinyin: `bandaoti` is read as 半导体, `chongqing` as 重庆.
//!
//! Someone without a Chinese input method types a Chinese word as its toneless pinyin,
//! syllables run together. The index's words are matched against it with an automaton
//! over their UTF-8 bytes: a word matches when its characters, each read in any of its
//! readings (重 is `zhong` and `chong`), spell what was typed from start to end. The walk
//! of the term dictionary prunes every branch whose characters stop spelling it, so it
//! visits only the few words that begin like the typed syllables. Once
//! [`ReadingTables::make`] listed the readings of a field's words (see [`table`]), the
//! words are looked up by their letters instead, and the automaton reads only those.
//!
//! Pinyin copied with its tones, as marks (`zhōngguó`) or as numbers after each syllable
//! (`zhong1guo2`, `5` for the neutral tone), is read the same way, each syllable's tone
//! narrowing its characters to those read in it: `shi4shi2` is 事实, not 实施 (`shi2shi1`).
//!
//! The same readings tell which characters a pinyin input method offers for one typed
//! syllable, among which a slip picks the wrong one: [`read_alike`].

use std::collections::HashMap;
use std::sync::LazyLock;

use pinyin::{Pinyin, ToPinyin, ToPinyinMulti};
use tantivy::Searcher;
use tantivy::schema::Field;
use tantivy_fst::Automaton;
use unicode_normalization::UnicodeNormalization;

use crate::error::Result;
use crate::search::{each_word_matching, each_word_of_segment_matching, unreadable_words};

mod table;

pub(crate) use table::ReadingTables;

/// Where a walk of the words read as pinyin starts: every character with a reading is
/// beyond ASCII.
const WALKED_FROM: &str = "\u{80}";

/// Characters a word needs to be a reading of what was typed: one syllable (`guo`) reads
/// as dozens of characters and tells nothing.
const MIN_CHARS: u8 = 2;

/// Hands `visit` each word of `field` in `searcher`, of two Chinese characters or more,
/// whose pinyin, in any reading of its characters, spells `typed` (lowercase ASCII
/// letters, `v` or `u` standing for `ü`, toneless or with tones: see [`toned`]), with the
/// articles of a segment holding it (a word is visited once per segment holding it).
/// Words are looked up in `tables`.
pub(crate) fn each_word_read_as(
    tables: &ReadingTables,
    searcher: &Searcher,
    field: Field,
    typed: &str,
    mut visit: impl FnMut(&str, u32),
) -> Result<()> {
    each_word_beginning(tables, searcher, field, typed, &[typed.len()], |word, count, _| visit(word, count))
}

/// Hands `visit` each word of `field` in `searcher`, of two Chinese characters or more,
/// whose pinyin spells `typed` (as [`each_word_read_as`] takes it) from its start to one
/// of the places `ends` (ascending, at most `typed`'s length), with the articles of a
/// segment holding it and the places it reaches (bit `i`: it spells `typed[..i]`): in
/// `zhongguojingji`, 中国 reaches 8 and 中国经济 14.
///
/// The words are looked up by their readings in the field's table in `tables` when one
/// was made ([`ReadingTables::make`], grown first by large segments it does not cover),
/// each found is read against what was typed, tones and all, by the automaton [`ReadAs`],
/// and each segment the table covers is asked for those it reads as. Without a table, the
/// automaton walks each segment's words, as it walks those of the segments the table
/// does not cover.
pub(crate) fn each_word_beginning(
    tables: &ReadingTables,
    searcher: &Searcher,
    field: Field,
    typed: &str,
    ends: &[usize],
    mut visit: impl FnMut(&str, u32, u32),
) -> Result<()> {
    let Some(automaton) = ReadAs::new(typed, ends) else { return Ok(()) };
    let Some(table) = tables.of(searcher, field)? else {
        return each_word_matching(searcher, field, &automaton, WALKED_FROM, None, |word, count| {
            visit(word, count, automaton.reached_by(word));
            true
        });
    };
    let mut keys: Vec<u64> = (ends.iter())
        .filter_map(|&end| typed.get(..end))
        .map(|typed| table::reading_key([table::toneless(typed).as_str()]))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut found = Vec::new();
    table.find(&keys, &mut found);
    let read: Vec<(&str, u32)> = (found.iter())
        .map(|&number| table.word(number))
        .map(|word| (word, automaton.reached_by(word)))
        .filter(|&(_, reached)| reached != 0)
        .collect();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        if !table.covers(segment.segment_id()) {
            each_word_of_segment_matching(&inverted, &automaton, WALKED_FROM, None, |word, count| {
                visit(word, count, automaton.reached_by(word));
                true
            })?;
            continue;
        }
        for &(word, reached) in &read {
            if let Some(info) = inverted.terms().get(word).map_err(unreadable_words)? {
                visit(word, info.doc_freq, reached);
            }
        }
    }
    Ok(())
}

/// Builds the syllable tables (toneless and toned) now rather than on the first query
/// read as pinyin.
pub(crate) fn load_tables() {
    LazyLock::force(&CHARACTERS);
    LazyLock::force(&TONED);
    LazyLock::force(&table::SYLLABLES);
}

/// The characters with `c`'s usual (first) reading, toneless, among their readings, `c`
/// among them: those a pinyin input method offers for the syllable typed when a slip
/// gave `c` (张 and 涨 are both `zhang`; 航 is `hang`, and so is 行 in 银行). What was
/// typed is taken to be `c`'s usual reading: its rare ones would make homophones of
/// characters nobody confuses. Empty when `c` has no reading.
pub(crate) fn read_alike(c: char) -> &'static [char] {
    let Some(plain) = usual_syllable(c) else { return &[] };
    CHARACTERS
        .iter()
        .find(|(syllable, _)| *syllable == plain)
        .map_or(&[], |(_, characters)| characters.as_slice())
}

/// The toneless syllable of `c`'s usual (first) reading (`ü` as such): 行 is `xing`.
pub(crate) fn usual_syllable(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|reading| reading.plain())
}

/// The fewest characters of `word` read in other than their usual (first) reading for
/// `word` to spell `typed` (`v` or `u` for `ü`, with or without tones), or `None` when no
/// reading spells it: 导体 is usually read `daoti` (0), while 到达 is `daoti` only in 达's
/// rare reading (1), and 平台 reads `pianyi` only in two (平 `pián`, 台 `yí`), where 便宜
/// needs one.
pub(crate) fn rare_readings(word: &str, typed: &str) -> Option<usize> {
    let typed = typed.as_bytes();
    let with_tones = !is_plain(typed);
    // For each place of `typed`, the fewest rare readings that reach it: a reading may
    // be spelt toneless or with its tone, at different lengths.
    let mut reached: Vec<Option<usize>> = vec![None; typed.len() + 1];
    reached[0] = Some(0);
    for c in word.chars() {
        // Each way `c` may be typed, with whether it is a rare reading.
        let spelt: Vec<(usize, std::borrow::Cow<str>)> =
            (c.to_pinyin_multi().into_iter().flatten().enumerate())
                .flat_map(|(index, reading)| {
                    spellings(reading, with_tones).map(move |spelling| (usize::from(index > 0), spelling))
                })
                .collect();
        let mut next = vec![None; typed.len() + 1];
        for (at, rare) in reached.iter().enumerate().filter_map(|(at, rare)| Some((at, (*rare)?))) {
            for (extra, spelling) in &spelt {
                if let Some(length) = spelt_by(spelling, &typed[at..]) {
                    let rare = rare + extra;
                    let fewest = &mut next[at + length];
                    *fewest = Some(fewest.map_or(rare, |fewest: usize| fewest.min(rare)));
                }
            }
        }
        reached = next;
    }
    reached[typed.len()]
}

/// `typed` as the readings take pinyin typed with tones, composed and in lowercase
/// (`Zhōngguó` → `zhōngguó`, `zhong1guo2`), when it carries a tone: a vowel marked with
/// one, or a tone number `1` to `5` after a letter. Pinyin written with `ü` and no tone
/// (`lüse`) is taken too: no English word has that letter. `None` for anything else,
/// toneless pinyin in ASCII letters included, and for text with other characters than
/// pinyin's letters.
pub(crate) fn toned(typed: &str) -> Option<String> {
    let composed: String = typed.nfc().flat_map(char::to_lowercase).collect();
    let mut toned = false;
    let mut after_letter = false;
    for c in composed.chars() {
        match c {
            'a'..='z' => after_letter = true,
            'ü' => {
                toned = true;
                after_letter = true;
            }
            '1'..='5' if after_letter => {
                toned = true;
                after_letter = false;
            }
            c if TONE_MARKED.contains(c) => {
                toned = true;
                after_letter = true;
            }
            _ => return None,
        }
    }
    toned.then_some(composed)
}

/// Whether `toned` (from [`toned`]), typed as a word of its own, is surely pinyin: it
/// has a tone mark, `ü` or two tone numbers. One number after letters is as often a code
/// (Moody's `Aa1`, `A4`) as a syllable's tone.
pub(crate) fn surely_toned(toned: &str) -> bool {
    toned.chars().any(|c| c == 'ü' || TONE_MARKED.contains(c))
        || toned.chars().filter(char::is_ascii_digit).count() >= 2
}

/// The vowels pinyin marks with a tone, in the order of the tones.
const TONE_MARKED: &str = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ";

/// Whether syllables spell all of `typed`, lowercase ASCII letters (`zhong`, `guo`,
/// `xian`, `lvyou`; not `the`, `trade` or `government`) or pinyin with tones from
/// [`toned`] (`zhōng`, `guo2`): a piece of pinyin typed a syllable or a few at a time
/// (`zhong guo`).
pub(crate) fn is_syllables(typed: &str) -> bool {
    let typed = typed.as_bytes();
    !typed.is_empty() && is_pinyin(typed) && spelt_to_the_end(&syllables_from_each_place(typed))[0]
}

/// The places inside `typed` (lowercase, toneless or with tones as [`toned`] gives them)
/// where one word may end and the next begin: the ends of syllables on a way of spelling
/// all of it with syllables (`zhongguojingji`: after `zhong`, `zhongguo` and
/// `zhongguojing`; `xian` also after `xi`), in order. Empty when no syllables spell it.
pub(crate) fn syllable_breaks(typed: &str) -> Vec<usize> {
    let typed = typed.as_bytes();
    if typed.is_empty() || !is_pinyin(typed) {
        return Vec::new();
    }
    let cuts = syllables_from_each_place(typed);
    let to_the_end = spelt_to_the_end(&cuts);
    let mut reached = vec![false; typed.len() + 1];
    reached[0] = true;
    for from in 0..typed.len() {
        if reached[from] {
            for &(to, _) in &cuts[from] {
                reached[to] = true;
            }
        }
    }
    (1..typed.len()).filter(|&at| reached[at] && to_the_end[at]).collect()
}

/// The characters read as one syllable that spells all of `typed` (toneless, or with its
/// tone as [`toned`] gives it; `v` or `u` for `ü`), in code point order: 的, 得, 地… for
/// `de`. Empty when no one syllable spells it.
pub(crate) fn characters_spelling(typed: &str) -> Vec<char> {
    let typed = typed.as_bytes();
    if typed.is_empty() || !is_pinyin(typed) {
        return Vec::new();
    }
    let mut characters: Vec<char> = syllables_from_each_place(typed)[0]
        .iter()
        .filter(|&&(to, _)| to == typed.len())
        .flat_map(|(_, characters)| characters.iter().copied())
        .collect();
    characters.sort_unstable();
    characters.dedup();
    characters
}

/// Whether [`each_word_beginning`] has a walk to make for `typed` and `ends`: syllables
/// spell two characters or more of it to an end.
pub(crate) fn may_begin_a_word(typed: &str, ends: &[usize]) -> bool {
    ReadAs::new(typed, ends).is_some()
}

/// Whether `typed` is lowercase ASCII letters alone: toneless pinyin.
fn is_plain(typed: &[u8]) -> bool {
    typed.iter().all(u8::is_ascii_lowercase)
}

/// Whether `typed` is toneless pinyin, or pinyin with tones as [`toned`] gives it.
fn is_pinyin(typed: &[u8]) -> bool {
    is_plain(typed)
        || std::str::from_utf8(typed).is_ok_and(|text| toned(text).is_some_and(|toned| toned == text))
}

/// How `reading` may be typed: toneless, and with `with_tones`, also with its tone
/// marked (`zhōng`) or numbered (`zhong1`; the neutral tone `5`, or no number).
fn spellings(reading: Pinyin, with_tones: bool) -> impl Iterator<Item = std::borrow::Cow<'static, str>> {
    use std::borrow::Cow;
    let numbered = reading.with_tone_num_end();
    // The neutral tone has no mark and no number of its own: its plain spelling stands.
    let neutral = !numbered.ends_with(|c: char| c.is_ascii_digit());
    let toned = with_tones.then(|| {
        let marked = (!neutral).then(|| [Cow::Borrowed(reading.with_tone()), Cow::Borrowed(numbered)]);
        marked.into_iter().flatten().chain(neutral.then(|| Cow::Owned(format!("{numbered}5"))))
    });
    std::iter::once(Cow::Borrowed(reading.plain())).chain(toned.into_iter().flatten())
}

/// For each place in `typed`, the syllables spelt from there: the place each ends at,
/// with the characters read so. Readings with tones are tried when `typed` has any.
fn syllables_from_each_place(typed: &[u8]) -> Vec<Vec<(usize, &'static [char])>> {
    let with_tones = !is_plain(typed);
    (0..typed.len())
        .map(|from| {
            let toned = with_tones.then(|| TONED.iter()).into_iter().flatten();
            let syllables = CHARACTERS.iter().map(|(syllable, characters)| (*syllable, characters));
            let spelt = syllables.chain(toned.map(|(syllable, characters)| (syllable.as_str(), characters)));
            spelt
                .filter_map(|(syllable, characters)| {
                    spelt_by(syllable, &typed[from..]).map(|length| (from + length, characters.as_slice()))
                })
                .collect()
        })
        .collect()
}

/// For each place in what was typed, and its end, whether syllables (`cuts`, from
/// [`syllables_from_each_place`]) spell it from there to its end.
fn spelt_to_the_end(cuts: &[Vec<(usize, &[char])>]) -> Vec<bool> {
    spelt_to_an_end(cuts, &[cuts.len()])
}

/// For each place in what was typed, and its end, whether it is one of `ends` or
/// syllables (`cuts`) spell it from there to one.
fn spelt_to_an_end(cuts: &[Vec<(usize, &[char])>], ends: &[usize]) -> Vec<bool> {
    let mut to_an_end = vec![false; cuts.len() + 1];
    for &end in ends {
        to_an_end[end] = true;
    }
    for from in (0..cuts.len()).rev() {
        to_an_end[from] |= cuts[from].iter().any(|&(to, _)| to_an_end[to]);
    }
    to_an_end
}

/// The automaton matching the words read as `typed`, or as its beginning up to one of
/// a few places.
struct ReadAs {
    /// The letters typed.
    length: usize,
    /// The places a word may end at (bit `i`: after `typed[..i]`).
    ends: u32,
    /// For each place in what was typed, the characters whose reading spells it from
    /// there, UTF-8 encoded, with the place after that reading.
    at: Vec<Vec<Spelling>>,
}

/// A character, its UTF-8 bytes packed from the highest (so that the characters a byte
/// prefix begins are one range of numbers), and the place in what was typed its reading
/// reaches.
#[derive(Clone, Copy, Debug)]
struct Spelling {
    bytes: u32,
    length: u8,
    to: u8,
}

/// Where a walk of [`ReadAs`] stands: the places in what was typed that the characters
/// read so far can reach (bit `i`: `typed[..i]` is spelt; a bit set per reading, so every
/// way of cutting the syllables is followed at once), and the bytes of the character
/// being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reading {
    reached: u32,
    /// The bytes of the character read so far, packed, and how many there are.
    partial: u32,
    got: u8,
    /// Characters read, up to [`MIN_CHARS`].
    chars: u8,
}

impl Reading {
    const DEAD: Reading = Reading { reached: 0, partial: 0, got: 0, chars: 0 };
}

/// The CJK Unified Ideographs and their Extension A: every syllable is the reading of
/// characters there.
const CJK_FROM: char = '\u{3400}';
const CJK_TO: char = '\u{9FFF}';

/// Toneless syllables, each with the characters read so.
type Syllables = Vec<(&'static str, Vec<char>)>;

/// The characters of each toneless syllable (the plain readings the `pinyin` crate gives
/// the CJK ideographs), in every reading, built on first use.
static CHARACTERS: LazyLock<Syllables> = LazyLock::new(|| {
    let mut of: HashMap<&'static str, Vec<char>> = HashMap::new();
    for c in CJK_FROM..=CJK_TO {
        for reading in c.to_pinyin_multi().into_iter().flatten() {
            let characters = of.entry(reading.plain()).or_default();
            if characters.last() != Some(&c) {
                characters.push(c);
            }
        }
    }
    of.into_iter().collect()
});

/// The characters of each syllable with its tone, marked (`zhōng`) and numbered
/// (`zhong1`, and `de5` beside `de` for the neutral tone), in every reading, built on
/// first use.
static TONED: LazyLock<Vec<(String, Vec<char>)>> = LazyLock::new(|| {
    let mut of: HashMap<String, Vec<char>> = HashMap::new();
    for c in CJK_FROM..=CJK_TO {
        for reading in c.to_pinyin_multi().into_iter().flatten() {
            // The toneless spelling is CHARACTERS'.
            for spelling in spellings(reading, true).skip(1) {
                let characters = of.entry(spelling.into_owned()).or_default();
                if characters.last() != Some(&c) {
                    characters.push(c);
                }
            }
        }
    }
    of.into_iter().collect()
});

impl ReadAs {
    /// The automaton matching the words whose reading spells `typed` from its start to
    /// one of `ends` (ascending, at most its length). `None` when `typed` is empty,
    /// longer than the 31 bytes a walk can track, not pinyin ([`is_pinyin`]), or when no
    /// run of two syllables or more spells it to an end (`government`, `zhong`): an
    /// English word costs no walk of the words.
    fn new(typed: &str, ends: &[usize]) -> Option<ReadAs> {
        let typed = typed.as_bytes();
        if !(1..32).contains(&typed.len()) || !is_pinyin(typed) || ends.iter().any(|&end| end > typed.len()) {
            return None;
        }
        let cuts = syllables_from_each_place(typed);
        let to_an_end = spelt_to_an_end(&cuts, ends);
        // Whether another syllable, spelt from a place, leads to an end: the first
        // character needs one after it.
        let continued =
            |at: usize| cuts.get(at).is_some_and(|cuts| cuts.iter().any(|&(to, _)| to_an_end[to]));
        // Only characters on a way from the start to an end, of two characters or more.
        let mut at = vec![Vec::new(); typed.len()];
        let mut reached = vec![false; typed.len() + 1];
        reached[0] = true;
        for from in 0..typed.len() {
            if !reached[from] {
                continue;
            }
            for &(to, characters) in &cuts[from] {
                if !(if from == 0 { continued(to) } else { to_an_end[to] }) {
                    continue;
                }
                reached[to] = true;
                at[from].extend(characters.iter().map(|&c| {
                    let mut bytes = [0; 4];
                    let length = c.encode_utf8(&mut bytes).len() as u8;
                    Spelling { bytes: u32::from_be_bytes(bytes), length, to: to as u8 }
                }));
            }
        }
        // In byte order, so that the characters a byte prefix begins are one range.
        for spellings in &mut at {
            spellings.sort_unstable_by_key(|spelling| (spelling.bytes, spelling.to));
        }
        let ends = ends.iter().fold(0, |mask, &end| mask | 1 << end);
        (!at[0].is_empty()).then_some(ReadAs { length: typed.len(), ends, at })
    }

    /// The ends `word` reaches (bit `i`: its reading spells `typed[..i]`), 0 for none.
    fn reached_by(&self, word: &str) -> u32 {
        let mut state = self.start();
        for &byte in word.as_bytes() {
            state = self.accept(&state, byte);
        }
        if self.is_match(&state) { state.reached & self.ends } else { 0 }
    }
}

/// How many bytes of `typed` `reading` (a spelling of [`spellings`]) spells from its
/// start, if it does: `ü` is typed `v`, as pinyin input methods take it, or `u`.
fn spelt_by(reading: &str, typed: &[u8]) -> Option<usize> {
    let mut length = 0;
    for letter in reading.chars() {
        if letter == 'ü' {
            let rest = &typed[length..];
            length += match rest.first() {
                Some(b'v' | b'u') => 1,
                _ if rest.starts_with("ü".as_bytes()) => "ü".len(),
                _ => return None,
            };
            continue;
        }
        let mut bytes = [0; 4];
        let bytes = letter.encode_utf8(&mut bytes).as_bytes();
        if !typed[length..].starts_with(bytes) {
            return None;
        }
        length += bytes.len();
    }
    (length > 0).then_some(length)
}

impl Automaton for ReadAs {
    type State = Reading;

    fn start(&self) -> Reading {
        Reading { reached: 1, ..Reading::DEAD }
    }

    fn is_match(&self, state: &Reading) -> bool {
        state.got == 0 && state.chars >= MIN_CHARS && state.reached & self.ends != 0
    }

    fn can_match(&self, state: &Reading) -> bool {
        state.reached != 0
    }

    /// Each byte must continue a character some reached place can read: a branch dies at
    /// the first byte no such character has.
    fn accept(&self, state: &Reading, byte: u8) -> Reading {
        if state.reached == 0 || state.got == 4 {
            return Reading::DEAD;
        }
        let got = state.got + 1;
        let partial = state.partial | u32::from(byte) << (8 * (4 - got));
        // The packed characters beginning with these bytes.
        let (low, high) = (partial, partial | u32::MAX.checked_shr(8 * u32::from(got)).unwrap_or(0));
        let (mut alive, mut reached) = (false, 0u32);
        for from in (0..self.length).filter(|from| state.reached & (1 << from) != 0) {
            let spellings = &self.at[from];
            let first = spellings.partition_point(|spelling| spelling.bytes < low);
            for spelling in spellings[first..].iter().take_while(|spelling| spelling.bytes <= high) {
                alive = true;
                if spelling.length == got {
                    reached |= 1 << spelling.to;
                }
            }
        }
        match (alive, reached) {
            (false, _) => Reading::DEAD,
            // UTF-8 is prefix-free: a whole character is no other's beginning.
            (true, 0) => Reading { partial, got, ..*state },
            (true, reached) => {
                Reading { reached, partial: 0, got: 0, chars: (state.chars + 1).min(MIN_CHARS) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_as(word: &str, typed: &str) -> bool {
        let Some(automaton) = ReadAs::new(typed, &[typed.len()]) else { return false };
        let mut state = automaton.start();
        for &byte in word.as_bytes() {
            state = automaton.accept(&state, byte);
            if !automaton.can_match(&state) {
                return false;
            }
        }
        automaton.is_match(&state)
    }

    #[test]
    fn words_typed_together_may_break_between_syllables_on_a_way_to_the_end() {
        let breaks = syllable_breaks("zhongguojingji");
        for at in [5, 8, 12] {
            assert!(breaks.contains(&at), "{at}: {breaks:?}");
        }
        // `zhon` is no syllable: no break after it.
        assert!(!breaks.contains(&4), "{breaks:?}");
        // `xi an`, and `xia n` (`n` is 嗯).
        assert_eq!(syllable_breaks("xian"), [2, 3]);
        // `zhōng guó`, and `zhōng gu ó`.
        assert_eq!(syllable_breaks("zhōngguó"), ["zhōng".len(), "zhōnggu".len()]);
        assert!(syllable_breaks("government").is_empty());
        assert!(syllable_breaks("zhong").is_empty());
    }

    #[test]
    fn a_walk_for_the_beginnings_finds_each_word_with_the_places_it_reaches() {
        let automaton = ReadAs::new("zhongguojingji", &[8, 14]).expect("usable");
        assert_eq!(automaton.reached_by("中国"), 1 << 8);
        assert_eq!(automaton.reached_by("中国经济"), 1 << 14);
        // Not to one of the places asked for, or one character.
        assert_eq!(automaton.reached_by("中国经"), 0);
        assert_eq!(automaton.reached_by("中"), 0);
        assert_eq!(automaton.reached_by("经济"), 0);
        // One syllable's characters, toneless or with its tone.
        let de = characters_spelling("de");
        assert!(de.contains(&'的') && de.contains(&'得') && !de.contains(&'中'), "{de:?}");
        assert!(characters_spelling("lv4").contains(&'绿'));
        assert!(characters_spelling("de2").contains(&'德') && !characters_spelling("de2").contains(&'的'));
        assert!(characters_spelling("zhongguo").is_empty() && characters_spelling("the").is_empty());
        // A syllable alone that fills the whole reaches no end of a word of two.
        assert!(!may_begin_a_word("zhong", &[5]));
        assert!(may_begin_a_word("zhongguo", &[5, 8]));
        assert!(!may_begin_a_word("zhongguo", &[5]));
    }

    #[test]
    fn words_are_read_in_every_reading_of_their_characters() {
        assert!(reads_as("半导体", "bandaoti"));
        assert!(reads_as("中国", "zhongguo"));
        // 重 reads zhong and chong; 西安 and 先 are cut apart only by their characters.
        assert!(reads_as("重庆", "chongqing"));
        assert!(reads_as("重要", "zhongyao"));
        assert!(reads_as("西安", "xian"));
        assert!(!reads_as("先", "xian"), "one character is no reading");
        // ü typed as v or u.
        assert!(reads_as("绿色", "lvse"));
        assert!(reads_as("绿色", "luse"));
        assert!(!reads_as("中国", "zhongguoren"));
        assert!(!reads_as("中国人", "zhongguo"));
        assert!(!reads_as("china", "china"));
        assert!(!reads_as("中国a", "zhongguo"));
    }

    #[test]
    fn tones_typed_narrow_the_readings_to_characters_read_in_them() {
        let toned = |typed: &str| toned(typed).expect("pinyin with tones");
        for (word, typed) in [
            ("中国", "zhōngguó"),
            ("中国", "Zhōngguó"),
            ("中国", "zhong1guo2"),
            ("中国", "ZHONG1GUO2"),
            // Some syllables with tones, some without.
            ("中国", "zhōngguo"),
            ("中国", "zhong1guo"),
            ("事实", "shi4shi2"),
            ("实施", "shíshī"),
            // 重 in either reading, with its own tone.
            ("重庆", "chóngqìng"),
            ("重要", "zhong4yao4"),
            // ü typed as ü, v or u, and the neutral tone as 5 or with no number.
            ("绿色", "lǜsè"),
            ("绿色", "lü4se4"),
            ("绿色", "lv4se4"),
            ("我的", "wo3de5"),
            ("我的", "wo3de"),
        ] {
            assert!(reads_as(word, &toned(typed)), "{word} {typed}");
            assert_eq!(
                rare_readings(word, &toned(typed)),
                Some(usize::from(word == "重庆")),
                "{word} {typed}"
            );
        }
        for (word, typed) in
            [("实施", "shi4shi2"), ("事实", "shíshī"), ("中国", "zhong3guo2"), ("中国", "zhóngguó")]
        {
            assert!(!reads_as(word, &toned(typed)), "{word} {typed}");
        }
        // A composed mark and a combining one are alike.
        assert_eq!(toned("zho\u{304}ngguo\u{301}"), "zhōngguó");
    }

    #[test]
    fn only_pinyin_letters_with_a_tone_are_toned() {
        for typed in ["zhongguo", "covid19", "g7", "1a", "zhong11", "zhong6", "naïve", "xi'an", "中国", ""]
        {
            assert_eq!(toned(typed), None, "{typed}");
        }
        for typed in ["zhōng", "guo2", "de5", "a1", "lü", "Lüse", "lu\u{308}se"] {
            assert!(toned(typed).is_some(), "{typed}");
        }
        // Alone, a word needs a mark, ü or two numbers.
        for (typed, sure) in
            [("zhōngguo", true), ("zhong1guo2", true), ("lüse", true), ("aa1", false), ("zhong1guo", false)]
        {
            assert_eq!(surely_toned(&toned(typed).expect("toned")), sure, "{typed}");
        }
        assert!(is_syllables("zhōng") && is_syllables("guo2") && is_syllables("lü4"));
        assert!(!is_syllables("Zhōng"), "as typed, before `toned`");
        assert!(!is_syllables("tréde") && !is_syllables("guo6"));
    }

    #[test]
    fn characters_read_alike_have_the_usual_reading_of_the_one_typed() {
        assert!(read_alike('张').contains(&'涨'));
        assert!(read_alike('张').contains(&'张'));
        assert!(read_alike('重').contains(&'种'), "zhong");
        assert!(!read_alike('重').contains(&'虫'), "chong is 重's second reading");
        assert!(read_alike('航').contains(&'行'), "hang is 行's second reading");
        assert!(read_alike('绿').contains(&'律'), "lü");
        assert!(read_alike('a').is_empty());
    }

    #[test]
    fn words_are_usually_read_in_the_first_reading_of_their_characters() {
        assert_eq!(rare_readings("导体", "daoti"), Some(0));
        assert_eq!(rare_readings("到达", "daoti"), Some(1), "达 is `ti` only rarely");
        assert_eq!(rare_readings("便宜", "pianyi"), Some(1), "便 is usually `bian`");
        assert_eq!(rare_readings("平台", "pianyi"), Some(2));
        assert_eq!(rare_readings("绿色", "lvse"), Some(0));
        assert_eq!(rare_readings("绿色", "luse"), Some(0));
        assert_eq!(rare_readings("导体", "daotia"), None);
        assert_eq!(rare_readings("导体a", "daoti"), None);
    }

    #[test]
    fn pieces_of_pinyin_are_told_by_their_syllables() {
        for typed in ["zhong", "guo", "xian", "lvyou", "xinguan", "e"] {
            assert!(is_syllables(typed), "{typed}");
        }
        for typed in ["the", "trade", "government", "", "Zhong", "zhong6", "zhong12"] {
            assert!(!is_syllables(typed), "{typed}");
        }
    }

    #[test]
    fn only_characters_on_a_way_to_the_end_are_kept() {
        // `jingji`: 经 (jing) then 济 (ji), or ji, ng, ji; no character read `jin` is
        // followed by syllables spelling `gji`.
        let automaton = ReadAs::new("jingji", &[6]).expect("usable");
        let ends = |c: char| {
            let mut bytes = [0; 4];
            c.encode_utf8(&mut bytes);
            let code = u32::from_be_bytes(bytes);
            let mut ends: Vec<u8> =
                automaton.at[0].iter().filter(|s| s.bytes == code).map(|s| s.to).collect();
            ends.sort_unstable();
            ends
        };
        assert_eq!(ends('经'), [4]);
        assert_eq!(ends('今'), Vec::<u8>::new());
        assert_eq!(ends('几'), [2]);
        // A first character may not end the word: `xian` is 西安 (or 夏 and `n`), never 先.
        assert!(ReadAs::new("xian", &[4]).expect("usable").at[0].iter().all(|spelling| spelling.to < 4));
    }

    #[test]
    fn only_lowercase_letters_that_fit_the_places_are_read() {
        assert!(ReadAs::new("", &[0]).is_none());
        assert!(ReadAs::new("Zhongguo", &[8]).is_none());
        assert!(ReadAs::new("xi'an", &[5]).is_none());
        assert!(ReadAs::new(&"a".repeat(32), &[32]).is_none());
        assert!(ReadAs::new(&"a".repeat(31), &[31]).is_some());
        // English words no run of syllables spells, and single syllables.
        for word in ["government", "president", "trade", "inflation", "zhong"] {
            assert!(ReadAs::new(word, &[word.len()]).is_none(), "{word}");
        }
        for word in ["zhongguo", "xian", "lvse", "chanye", "change"] {
            assert!(ReadAs::new(word, &[word.len()]).is_some(), "{word}");
        }
    }
}
