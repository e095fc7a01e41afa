//! Chinese words typed in pinyin: `bandaoti` is read as 半导体, `chongqing` as 重庆.
//!
//! Someone without a Chinese input method types a Chinese word as its toneless pinyin,
//! syllables run together. The index's words are matched against it with an automaton
//! over their UTF-8 bytes: a word matches when its characters, each read in any of its
//! readings (重 is `zhong` and `chong`), spell what was typed from start to end. The walk
//! of the term dictionary prunes every branch whose characters stop spelling it, so it
//! visits only the few words that begin like the typed syllables.
//!
//! The same readings tell which characters a pinyin input method offers for one typed
//! syllable, among which a slip picks the wrong one: [`read_alike`].

use std::collections::HashMap;
use std::sync::LazyLock;

use pinyin::{ToPinyin, ToPinyinMulti};
use tantivy::Searcher;
use tantivy::schema::Field;
use tantivy_fst::Automaton;

use crate::error::Result;
use crate::search::each_word_matching;

/// Characters a word needs to be a reading of what was typed: one syllable (`guo`) reads
/// as dozens of characters and tells nothing.
const MIN_CHARS: u8 = 2;

/// Hands `visit` each word of `field` in `searcher`, of two Chinese characters or more,
/// whose toneless pinyin, in any reading of its characters, spells `typed` (lowercase
/// ASCII letters; `v` or `u` stand for `ü`), with the articles of a segment holding it
/// (a word is visited once per segment holding it).
pub(crate) fn each_word_read_as(
    searcher: &Searcher,
    field: Field,
    typed: &str,
    mut visit: impl FnMut(&str, u32),
) -> Result<()> {
    let Some(automaton) = ReadAs::new(typed) else { return Ok(()) };
    // Every character with a reading is beyond ASCII: the walk starts past it.
    each_word_matching(searcher, field, &automaton, "\u{80}", None, |word, count| {
        visit(word, count);
        true
    })
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

/// Whether `word`, each character in its usual (first) reading, spells `typed` (`v` or
/// `u` for `ü`): 导体 is usually read `daoti`, while 到达 is only in 达's rare reading.
pub(crate) fn usually_read_as(word: &str, typed: &str) -> bool {
    let typed = typed.as_bytes();
    let mut at = 0;
    for c in word.chars() {
        let Some(length) = usual_syllable(c).and_then(|syllable| spelt_by(syllable, &typed[at..])) else {
            return false;
        };
        at += length;
    }
    at == typed.len()
}

/// Whether toneless syllables spell all of `typed`, lowercase ASCII letters (`zhong`,
/// `guo`, `xian`, `lvyou`; not `the`, `trade` or `government`): a piece of pinyin typed
/// a syllable or a few at a time (`zhong guo`).
pub(crate) fn is_syllables(typed: &str) -> bool {
    let typed = typed.as_bytes();
    !typed.is_empty()
        && typed.iter().all(u8::is_ascii_lowercase)
        && spelt_to_the_end(&syllables_from_each_place(typed))[0]
}

/// For each place in `typed`, the syllables spelt from there: the place each ends at,
/// with the characters read so.
fn syllables_from_each_place(typed: &[u8]) -> Vec<Vec<(usize, &'static [char])>> {
    (0..typed.len())
        .map(|from| {
            let spelt = CHARACTERS.iter().filter_map(|(syllable, characters)| {
                spelt_by(syllable, &typed[from..]).map(|length| (from + length, characters.as_slice()))
            });
            spelt.collect()
        })
        .collect()
}

/// For each place in what was typed, and its end, whether syllables (`cuts`, from
/// [`syllables_from_each_place`]) spell it from there to its end.
fn spelt_to_the_end(cuts: &[Vec<(usize, &[char])>]) -> Vec<bool> {
    let mut to_the_end = vec![false; cuts.len() + 1];
    to_the_end[cuts.len()] = true;
    for from in (0..cuts.len()).rev() {
        to_the_end[from] = cuts[from].iter().any(|&(to, _)| to_the_end[to]);
    }
    to_the_end
}

/// The automaton matching the words read as `typed`.
struct ReadAs {
    /// The letters typed.
    length: usize,
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

impl ReadAs {
    /// `None` when `typed` is empty, longer than the 31 places a walk can track, not
    /// lowercase ASCII letters, or spelt by no run of two syllables or more (`government`,
    /// `zhong`): an English word costs no walk of the words.
    fn new(typed: &str) -> Option<ReadAs> {
        let typed = typed.as_bytes();
        if !(1..32).contains(&typed.len()) || !typed.iter().all(u8::is_ascii_lowercase) {
            return None;
        }
        let cuts = syllables_from_each_place(typed);
        let to_the_end = spelt_to_the_end(&cuts);
        // Only characters on a way from the start to the end, of two characters or more.
        let mut at = vec![Vec::new(); typed.len()];
        let mut reached = vec![false; typed.len() + 1];
        reached[0] = true;
        for from in 0..typed.len() {
            if !reached[from] {
                continue;
            }
            for &(to, characters) in &cuts[from] {
                if !to_the_end[to] || (from == 0 && to == typed.len()) {
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
        (!at[0].is_empty()).then_some(ReadAs { length: typed.len(), at })
    }
}

/// How many letters of `typed` the toneless `reading` spells from its start, if it does:
/// `ü` is typed `v`, as pinyin input methods take it, or `u`.
fn spelt_by(reading: &str, typed: &[u8]) -> Option<usize> {
    let mut length = 0;
    for letter in reading.chars() {
        let &byte = typed.get(length)?;
        let same = match letter {
            'ü' => byte == b'v' || byte == b'u',
            letter => letter.is_ascii() && letter as u8 == byte,
        };
        if !same {
            return None;
        }
        length += 1;
    }
    (length > 0).then_some(length)
}

impl Automaton for ReadAs {
    type State = Reading;

    fn start(&self) -> Reading {
        Reading { reached: 1, ..Reading::DEAD }
    }

    fn is_match(&self, state: &Reading) -> bool {
        state.got == 0 && state.chars >= MIN_CHARS && state.reached & (1 << self.length) != 0
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
        let automaton = ReadAs::new(typed).expect("usable");
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
        assert!(usually_read_as("导体", "daoti"));
        assert!(!usually_read_as("到达", "daoti"), "达 is `ti` only rarely");
        assert!(usually_read_as("绿色", "lvse"));
        assert!(usually_read_as("绿色", "luse"));
        assert!(!usually_read_as("导体", "daotia"));
        assert!(!usually_read_as("导体a", "daoti"));
    }

    #[test]
    fn pieces_of_pinyin_are_told_by_their_syllables() {
        for typed in ["zhong", "guo", "xian", "lvyou", "xinguan", "e"] {
            assert!(is_syllables(typed), "{typed}");
        }
        for typed in ["the", "trade", "government", "", "Zhong", "zhong1"] {
            assert!(!is_syllables(typed), "{typed}");
        }
    }

    #[test]
    fn only_characters_on_a_way_to_the_end_are_kept() {
        // `jingji`: 经 (jing) then 济 (ji), or ji, ng, ji; no character read `jin` is
        // followed by syllables spelling `gji`.
        let automaton = ReadAs::new("jingji").expect("usable");
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
        assert!(ReadAs::new("xian").expect("usable").at[0].iter().all(|spelling| spelling.to < 4));
    }

    #[test]
    fn only_lowercase_letters_that_fit_the_places_are_read() {
        assert!(ReadAs::new("").is_none());
        assert!(ReadAs::new("Zhongguo").is_none());
        assert!(ReadAs::new("xi'an").is_none());
        assert!(ReadAs::new(&"a".repeat(32)).is_none());
        assert!(ReadAs::new(&"a".repeat(31)).is_some());
        // English words no run of syllables spells, and single syllables.
        for word in ["government", "president", "trade", "inflation", "zhong"] {
            assert!(ReadAs::new(word).is_none(), "{word}");
        }
        for word in ["zhongguo", "xian", "lvse", "chanye", "change"] {
            assert!(ReadAs::new(word).is_some(), "{word}");
        }
    }
}
