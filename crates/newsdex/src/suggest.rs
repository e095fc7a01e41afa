//! "Did you mean": a spelling suggestion for the words of a query that no article holds,
//! or far fewer than hold a word one letter away (`goverment` → `government`), for
//! Chinese typed in pinyin, and for Chinese homophones typed by mistake.
//!
//! A required word of Latin letters alone, typed as a word or in a phrase (not the word a
//! phrase prefix ends in, still being typed), is looked at when it is rare. Its
//! candidates are indexed words (stems) that share its first letter: those near its stem
//! or near what was typed, the stems of the words one edit from what was typed, and its
//! beginnings. A candidate needs at least [`COMMONER_BY`] times as many articles (any
//! number, when none holds the word typed). The index holds stems (`govern`), so each
//! candidate is shown as articles holding it write it: the spelling nearest to what was
//! typed among the words of a few of them (`government`, not `governing`). That spelling
//! must be within the edits a fuzzy word (`word~`) allows of what was typed, or one edit
//! when some articles hold the word typed. The one fewest edits away, and of those the
//! one most articles hold, replaces the word.
//!
//! A word no article holds may also be a Chinese word typed in pinyin, without a Chinese
//! input method (`bandaoti`): its reading is the Chinese word of two characters or more
//! that most articles hold among those it spells (半导体); so may rare words typed a
//! syllable or a few at a time (`zhong guo`: 中国). A reading beats a spelling two
//! slips away (`jingji` is 经济, not `jiji`) or one in a tenth of the articles (`riben`
//! is 日本, not `risen`); otherwise (`chanye`: `change` or 产业) the words beside it
//! decide: Chinese, or another word likelier pinyin, make it a reading. A reading is
//! never searched instead: it is a guess among homophones, and the word may be English
//! after all.
//!
//! Chinese is not misspelt letter by letter, but a pinyin input method can pick the wrong
//! character among those read alike: a run of rare words or single characters no article
//! writes there is suggested with one character replaced by one read alike, making a
//! word articles do write there (`房价上张` → `房价上涨`, `新冠病读` → `新冠病毒`). That
//! too is only suggested.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use lru::LruCache;

use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, PhraseQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::analysis::{AnalysisBuffer, AnalysisMode, Analyzer, is_han};
use crate::error::Result;
use crate::index::NewsIndex;
use crate::pinyin::ReadingTables;
use crate::query::{Atom, ParsedQuery, QUOTES, QueryField};
use crate::search::{count_up_to, each_word_near, fuzzy_edits, unreadable_words};
use crate::snippet::floor_char_boundary;

/// How many times as many articles a near word must be in for a word some articles hold
/// to be corrected: a rare word typed on purpose (a name, a ticker) keeps its spelling,
/// while a misspelling that slipped into a few articles does not.
const COMMONER_BY: u64 = 100;

/// A word is looked at only when at most one article in this many holds it: a commoner
/// one is no misspelling, and the look costs a few milliseconds on a large index.
const RARE_BELOW: u64 = 1000;

/// A respelling as a word held by one article in this many or more (a word everywhere,
/// such as `being` or `the`) is only suggested, never searched instead: it is a guess
/// among many.
const COMMON_ABOVE: u64 = 10;

/// How many times as many articles a word's pinyin reading must be in than a spelling
/// one slip away for the reading to be likelier: someone typing `riben` means 日本 far
/// more often than `risen`, but `chanye` is `change` as often as 产业.
const READING_OVER_SLIP: u64 = 10;

/// How many times rarer a word read in its characters' usual readings may be than one
/// needing a rare reading (or one needing fewer rare readings than another), and still
/// be the likelier reading of pinyin typed.
const USUAL_READING_BY: u64 = 20;

/// The longest Chinese word looked at for a homophone, in characters.
const MAX_HOMOPHONE_CHARS: usize = 4;

/// The most characters in a run of words looked at for a homophone: a slip leaves a
/// short one.
const MAX_RUN_CHARS: usize = 8;

/// Articles that must write a homophone beside a word typed next to the word it replaces.
const HOMOPHONE_BESIDE: usize = 3;

/// The longest word looked at, in letters: longer is no misspelt word (English words
/// of 20 letters are rare), and its look grows with its length (about 100 ms for 40
/// letters on a million articles).
const MAX_LETTERS: usize = 24;

/// Rare words of one query looked at, the first typed: a pasted paragraph of rare
/// words costs at most this many looks.
const MAX_LOOKED_AT: usize = 8;

/// The indexed words nearest to a word, by articles holding them, whose spelling is
/// read.
const CANDIDATES: usize = 8;

/// Beginnings of a word tried as words of their own: from one letter shorter, at most
/// this many, and at least [`MIN_STEM_CHARS`] letters long.
const MAX_SHORTENED: usize = 4;
const MIN_STEM_CHARS: usize = 4;

/// Articles read at most for how a word is written (for a suggested word's spelling,
/// reading stops at one a single edit from what was typed).
const SPELLING_ARTICLES: usize = 16;

/// The bytes of a title or body read for spellings.
const SPELLING_BYTES: usize = 64 * 1024;

/// A query with its misspelt words respelt (or read as the Chinese they are the pinyin of).
#[derive(Clone, Debug)]
pub(crate) struct Suggestion {
    /// The query, respelt.
    pub(crate) query: String,
    /// Whether each word respelt is one edit from what was typed, in lowercase, and
    /// respelt as a word that is not everywhere: sure enough to be searched instead of
    /// a query finding nothing. Two edits (`xiaomi` → `xinmi`), words typed with a
    /// capital, likelier names the index lacks (`Tesla` → `Tessa`), and respellings as a
    /// word in one article of [`COMMON_ABOVE`] or more, a guess among many (`beijng`
    /// alone → `being` rather than `beijing`), are only suggested; so are pinyin
    /// readings, guesses among homophones.
    pub(crate) sure: bool,
}

/// Suggestions kept at most, the least recently used dropped first.
const KEPT_SUGGESTIONS: usize = 1024;

/// The suggestions made for queries, by query string and searcher generation, kept
/// across searches: paging through a query, or searching it again, does not look at its
/// words again (reading a word as pinyin walks every segment's words, tens of
/// milliseconds on a large index). A new generation (a commit) makes them unreachable,
/// and they age out; an index's clones share them, and changing its synonyms, which
/// decide which words are looked at, starts afresh.
#[derive(Debug)]
pub(crate) struct Suggestions {
    made: Mutex<LruCache<(String, u64), Option<Suggestion>>>,
}

impl Suggestions {
    pub(crate) fn forget(&self) {
        self.made.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl Default for Suggestions {
    fn default() -> Suggestions {
        let capacity = NonZeroUsize::new(KEPT_SUGGESTIONS).expect("not zero");
        Suggestions { made: Mutex::new(LruCache::new(capacity)) }
    }
}

/// How a word typed in Latin letters may be read: respelt, or as the pinyin of a
/// Chinese word.
#[derive(Default)]
struct Readings {
    spelt: Option<Respelling>,
    pinyin: Option<Respelling>,
}

impl Readings {
    /// Whether the word is likelier pinyin than a slip: it has a reading, and no spelling
    /// a single slip away (`jingji` is 经济 rather than `jiji`, two slips) or only one
    /// [`READING_OVER_SLIP`] times rarer than the reading (`riben` is 日本, not `risen`).
    fn likelier_pinyin(&self) -> bool {
        let Some(pinyin) = &self.pinyin else { return false };
        let read_in = pinyin.spellings.first().map_or(0, |(.., count)| *count);
        self.spelt.as_ref().is_none_or(|spelt| {
            let spelt_in = spelt.spellings.first().map_or(0, |(.., count)| *count);
            spelt.distance > 1 || read_in >= spelt_in.saturating_mul(READING_OVER_SLIP)
        })
    }
}

/// How a word is likelier spelt.
struct Respelling {
    /// The spellings the fewest edits away, the commonest first: each in the case the
    /// word was typed in, with its indexed word and the articles holding that.
    spellings: Vec<(String, String, u64)>,
    /// Their edits from what was typed.
    distance: usize,
    /// Whether the spelling is a Chinese word the word typed is the pinyin of.
    pinyin: bool,
}

impl NewsIndex {
    /// The query with its misspelt words replaced, or `None` when none is: made once per
    /// query and searcher generation ([`Suggestions`]).
    pub(crate) fn suggestion(
        &self,
        searcher: &Searcher,
        parsed: &ParsedQuery,
        query: &str,
    ) -> Result<Option<Suggestion>> {
        let key = (query.to_string(), searcher.generation().generation_id());
        let kept = || self.suggestions().made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(made) = kept().get(&key) {
            return Ok(made.clone());
        }
        let made = self.make_suggestion(searcher, parsed, query)?;
        kept().put(key, made.clone());
        Ok(made)
    }

    fn make_suggestion(
        &self,
        searcher: &Searcher,
        parsed: &ParsedQuery,
        query: &str,
    ) -> Result<Option<Suggestion>> {
        let mut looked_at: Vec<&str> = Vec::new();
        let mut looks = 0;
        let mut sure = true;
        let mut replacements: Vec<(String, String)> = Vec::new();
        // The words looked at that have a reading, with the fields they are searched in.
        let mut read: Vec<(&str, Vec<Field>, Readings)> = Vec::new();
        // Chinese words as typed, with the likelier homophones replacing them.
        let mut homophones: Vec<(String, String)> = Vec::new();
        let atoms =
            parsed.clauses.iter().filter(|clause| !clause.excluded).flat_map(|clause| &clause.alternatives);
        // The words of the query's plain words and phrases, which a misspelt one among
        // them is read beside.
        let context_words: Vec<&str> = atoms
            .clone()
            .filter_map(|atom| match atom {
                Atom::Words { text, .. } | Atom::Phrase { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .flat_map(str::split_whitespace)
            .collect();
        // The analysed words typed before and after a word of the query, if any.
        let neighbours = |text: &str| {
            let at = context_words.iter().position(|word| *word == text);
            let neighbour = |word: Option<&&str>, last: bool| {
                let tokens = self.analyzer().analyze(word?, AnalysisMode::Query);
                let token = if last { tokens.into_iter().next_back() } else { tokens.into_iter().next() };
                token.map(|token| token.text)
            };
            let before =
                at.and_then(|at| neighbour(at.checked_sub(1).and_then(|i| context_words.get(i)), true));
            (before, at.and_then(|at| neighbour(context_words.get(at + 1), false)))
        };
        // The script the query's Chinese is typed in, when its characters tell.
        let script = typed_in_traditional(query);
        // Pinyin typed a syllable or a few at a time, read first: its pieces are not
        // looked at again as words of their own.
        let pieces: Vec<&str> = query.split_whitespace().collect();
        let parts: Vec<(&str, &str, &str)> = pieces.iter().map(|piece| phrase_parts(piece)).collect();
        let mut spaced = self.spaced_pinyin(searcher, &parts, &mut looks)?;
        // Pinyin is the mainland's: its readings are in Traditional characters only when
        // the query's characters are.
        if script == Some(true) {
            for (_, reading) in &mut spaced {
                *reading = Analyzer::traditional(reading);
            }
        }
        for (range, _) in &spaced {
            looked_at.extend(parts[range.clone()].iter().map(|&(_, word, _)| word));
        }
        for atom in atoms {
            // A word, or the words of a phrase (those before a phrase prefix's last,
            // which is still being typed).
            let (field, words): (_, Vec<&str>) = match atom {
                Atom::Words { field, text } => (field, vec![text.as_str()]),
                Atom::Phrase { field, text, .. } => (field, text.split_whitespace().collect()),
                Atom::PhrasePrefix { field, text, .. } => {
                    let mut words: Vec<&str> = text.split_whitespace().collect();
                    words.pop();
                    (field, words)
                }
                _ => continue,
            };
            let fields: Vec<Field> =
                QueryField::either(*field).iter().map(|field| self.schema().text_field(*field)).collect();
            for text in words {
                if text.chars().any(is_han) {
                    if !looked_at.contains(&text) {
                        looked_at.push(text);
                        let beside = neighbours(text);
                        homophones
                            .extend(self.homophones(searcher, &fields, text, beside, script, &mut looks)?);
                    }
                    continue;
                }
                if looked_at.contains(&text) {
                    continue;
                }
                // Pinyin typed with its tones is no slip of English: it is only read.
                if let Some(toned) = crate::pinyin::toned(text) {
                    looked_at.push(text);
                    let pinyin = self.read_toned(searcher, &fields, &toned, &mut looks)?;
                    if pinyin.is_some() {
                        read.push((text, fields.clone(), Readings { spelt: None, pinyin }));
                    }
                    continue;
                }
                if !(3..=MAX_LETTERS).contains(&text.len()) || !text.chars().all(|c| c.is_ascii_alphabetic())
                {
                    continue;
                }
                looked_at.push(text);
                let readings = self.respelling(searcher, &fields, text, &mut looks)?;
                if readings.spelt.is_some() || readings.pinyin.is_some() {
                    read.push((text, fields.clone(), readings));
                }
            }
        }
        // The words of a query are read alike: with Chinese in it, or a word likelier
        // pinyin (`Readings::likelier_pinyin`), a word that is either a slip or pinyin
        // (`chanye`: `change` or 产业) is read as pinyin.
        let chinese = query.chars().any(is_han)
            || !spaced.is_empty()
            || read.iter().any(|(_, _, readings)| readings.likelier_pinyin());
        for (text, fields, readings) in read {
            let Readings { spelt, pinyin } = readings;
            let Some(respelling) = (if chinese { pinyin.or(spelt) } else { spelt.or(pinyin) }) else {
                continue;
            };
            // Spellings tied at the fewest edits are told apart by the words typed
            // next to the word.
            let (before, after) = neighbours(text);
            let chosen = self.likeliest_beside(searcher, &fields, &respelling.spellings, before, after)?;
            let (spelling, _, count) = &respelling.spellings[chosen];
            let spelling = if respelling.pinyin && script == Some(true) {
                Analyzer::traditional(spelling)
            } else {
                spelling.clone()
            };
            sure &= !respelling.pinyin
                && respelling.distance <= 1
                && !text.starts_with(|c: char| c.is_ascii_uppercase())
                && count.saturating_mul(COMMON_ABOVE) < searcher.num_docs();
            replacements.push((text.to_string(), spelling));
        }
        if replacements.is_empty() && homophones.is_empty() && spaced.is_empty() {
            return Ok(None);
        }
        // A homophone is only suggested: it is a guess, and the word typed may be a name;
        // so is a reading.
        sure &= homophones.is_empty() && spaced.is_empty();
        let mut suggested: Vec<String> = Vec::with_capacity(pieces.len());
        let mut at = 0;
        while let Some(piece) = pieces.get(at) {
            if let Some((range, reading)) = spaced.iter().find(|(range, _)| range.start == at) {
                // Inside the quotes the pieces opened and closed.
                suggested.push(format!("{}{reading}{}", parts[range.start].0, parts[range.end - 1].2));
                at = range.end;
                continue;
            }
            let mut piece = respelt_piece(piece, &replacements);
            for (typed, homophone) in &homophones {
                if !piece.starts_with('-') {
                    piece = piece.replacen(typed.as_str(), homophone, 1);
                }
            }
            suggested.push(piece);
            at += 1;
        }
        let suggested = suggested.join(" ");
        // Words written in a way the rebuilt query does not reach are not suggested.
        let changed = suggested.split_whitespace().ne(query.split_whitespace());
        Ok(changed.then_some(Suggestion { query: suggested, sure }))
    }

    /// How `typed`, searched in `fields`, is likelier spelt, in the case it was typed in;
    /// `looks` counts the words looked at so far (a common word is not looked at).
    ///
    /// Candidates are indexed words (stems) near the stem of what was typed or near what
    /// was typed, the stems of the words one edit from it, and its beginnings
    /// (`presidnet` is 3 edits from `presid`, the stem of `president`, but begins with
    /// it); each is judged by how its articles write it: that spelling must be within the
    /// edits a fuzzy word allows of what was typed.
    fn respelling(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        typed: &str,
        looks: &mut usize,
    ) -> Result<Readings> {
        let analyzer = self.analyzer();
        let tokens = analyzer.analyze(typed, AnalysisMode::Query);
        let [token] = tokens.as_slice() else { return Ok(Readings::default()) };
        let stem = token.text.as_str();
        let lower = typed.to_ascii_lowercase();
        if !analyzer.synonyms_of(stem).is_empty() {
            return Ok(Readings::default());
        }
        let doc_freq = |word: &str| articles_holding(searcher, fields, word);
        let held_by = doc_freq(stem)?;
        if held_by.saturating_mul(RARE_BELOW) > searcher.num_docs() || *looks == MAX_LOOKED_AT {
            return Ok(Readings::default());
        }
        *looks += 1;
        // A word some articles hold is respelt only one edit away (`Bangor` is a town,
        // not a misspelt `banker`), and when articles write it as a name, only as
        // another name (`Microsft` → `Microsoft`, but `Musk` is not `must`). Typed with
        // a capital, a word no article holds is likelier a name than two slips:
        // `Xiaomi` is not `Xinmi`.
        let search_edits = fuzzy_edits(&lower);
        let capitalised = typed.starts_with(|c: char| c.is_ascii_uppercase());
        let edits = if held_by == 0 && !capitalised { search_edits } else { search_edits.min(1) };
        let spelt =
            if edits == 0 { None } else { self.spelling(searcher, fields, typed, stem, held_by, edits)? };
        // A word some articles write in Latin letters is theirs (`Xinhua`, `Beijing`), not
        // pinyin waiting to be read. Pairs of words typed together are counted far enough
        // to weigh the reading against a spelling one slip away
        // ([`Readings::likelier_pinyin`]).
        let pinyin = if held_by == 0 {
            let weighed_against = (spelt.as_ref())
                .filter(|spelt| spelt.distance <= 1)
                .and_then(|spelt| spelt.spellings.first())
                .map_or(0, |(.., count)| count.saturating_mul(READING_OVER_SLIP));
            let pairs_up_to = PAIR_COUNTED_UP_TO.max(usize::try_from(weighed_against).unwrap_or(usize::MAX));
            self.read_as_words(searcher, fields, &lower, pairs_up_to, looks)?
        } else {
            None
        };
        Ok(Readings { spelt, pinyin })
    }

    /// The spellings of `typed` (held by `held_by` articles, analysed into `stem`) within
    /// `edits` in `fields`, as [`Self::respelling`] finds them.
    fn spelling(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        typed: &str,
        stem: &str,
        held_by: u64,
        edits: u8,
    ) -> Result<Option<Respelling>> {
        let analyzer = self.analyzer();
        let lower = typed.to_ascii_lowercase();
        let search_edits = fuzzy_edits(&lower);
        let enough = held_by.saturating_mul(COMMONER_BY).max(1);
        let doc_freq = |word: &str| articles_holding(searcher, fields, word);
        let a_name = held_by > 0 && self.written_as_a_name(searcher, fields, stem)?;
        // Candidates, each with how near it looks: its edits from the stem or from what
        // was typed, or 1 for the stem of a word one edit from what was typed (`minster`
        // → `minister` → `minist`, which no edit distance of stems finds) and for a
        // beginning of what was typed.
        let mut found: BTreeMap<String, usize> = BTreeMap::new();
        let mut candidate = |word: &str, nearness: usize| {
            let known = found.entry(word.to_string()).or_insert(nearness);
            *known = (*known).min(nearness);
        };
        // Stems are searched with the edits of `AUTO` all the same: `compnay` is one
        // edit from `company`, but two from its stem `compani`. A word analysis leaves
        // as typed (`presidnet`) is walked near once: the stem's walk allows at least the
        // edits of the other.
        let walks = [(stem, fuzzy_edits(stem).max(edits).min(search_edits)), (lower.as_str(), edits)];
        let walks = if stem == lower { &walks[..1] } else { &walks[..] };
        for &field in fields {
            for &(near, edits) in walks {
                if edits > 0 {
                    each_word_near(searcher, field, near, edits, |word, _| {
                        candidate(word, strsim::osa_distance(word, near));
                    })?;
                }
            }
        }
        // A variant indexed as typed is a word near what was typed, which the walks above
        // have met if any article holds it: only variants that analysis changes
        // (`minister` → `minist`) are looked up.
        for variant in one_edit_from(&lower) {
            if let [token] = analyzer.analyze(&variant, AnalysisMode::Query).as_slice()
                && token.text != variant
            {
                candidate(&token.text, 1);
            }
        }
        for length in (MIN_STEM_CHARS..lower.len()).rev().take(MAX_SHORTENED) {
            candidate(&lower[..length], 1);
        }
        found.remove(stem);
        let mut near: Vec<(usize, u64, String)> = Vec::new();
        for (word, nearness) in found {
            let count = doc_freq(&word)?;
            if count >= enough {
                near.push((nearness, count, word));
            }
        }
        // The nearest-looking first, then the commonest: their spellings are read.
        near.sort_unstable_by(|(a, a_count, a_word), (b, b_count, b_word)| {
            a.cmp(b).then(b_count.cmp(a_count)).then_with(|| a_word.cmp(b_word))
        });
        // Fewest edits first, then most articles, as Lucene's and Elasticsearch's
        // spellcheckers rank: `shortge` is `shortage`, though `short` is commoner.
        let mut spelt: Vec<(usize, u64, String, String)> = Vec::new();
        for (_, count, found) in near.into_iter().take(CANDIDATES) {
            let Some(spelling) = self.spelling_of(searcher, fields, &found, &lower)? else { continue };
            let distance = strsim::osa_distance(&spelling, &lower);
            if distance == 0
                || distance > usize::from(edits)
                || spelt.iter().any(|(.., known, _)| *known == spelling)
            {
                continue;
            }
            spelt.push((distance, count, spelling, found));
        }
        spelt.sort_by_key(|(distance, count, ..)| (*distance, std::cmp::Reverse(*count)));
        let Some(&(distance, ..)) = spelt.first() else { return Ok(None) };
        spelt.retain(|(edits, ..)| *edits == distance);
        if a_name && !self.written_as_a_name(searcher, fields, &spelt[0].3)? {
            return Ok(None);
        }
        let spellings =
            spelt.into_iter().map(|(_, count, spelling, stem)| (in_case_of(&spelling, typed), stem, count));
        Ok(Some(Respelling { spellings: spellings.collect(), distance, pinyin: false }))
    }

    /// The reading of `toned`, pinyin typed with tones (`zhōngguó`, `zhong1guo2`, as
    /// [`crate::pinyin::toned`] gives it), searched in `fields`, when it is surely pinyin
    /// ([`crate::pinyin::surely_toned`]: not `Aa1`) and a look is left. Read even when
    /// articles hold its letters (`shānghài` is 伤害, though articles write `Shanghai`):
    /// nobody writes pinyin's tones in English.
    fn read_toned(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        toned: &str,
        looks: &mut usize,
    ) -> Result<Option<Respelling>> {
        if !crate::pinyin::surely_toned(toned) || *looks == MAX_LOOKED_AT {
            return Ok(None);
        }
        *looks += 1;
        self.read_as_words(searcher, fields, toned, PAIR_COUNTED_UP_TO, looks)
    }

    /// The Chinese words `typed` (as [`Self::read_as_pinyin`] takes it) is the pinyin of,
    /// typed together: one word, or when none reads so, two words or more, each written
    /// before the next in some article (`zhongguojingji` is 中国 then 经济, suggested as
    /// 中国经济, as Chinese is written).
    ///
    /// A syllable no word reads may be a character written between words, such as 的
    /// (`zhongguodejingji` is 中国的经济), when many articles hold it alone.
    ///
    /// The syllables are cut into words the longest first, from the start ([`Joined`]);
    /// of the first [`CUTS_TRIED`] ways to cut them, the first whose words can be read so
    /// that each is written before the next wins, read in the words (of the
    /// [`STRETCH_CANDIDATES`] likeliest of each stretch) that articles write together
    /// most: `gaosufazhan` is 高速发展, not 告诉发展, though 告诉 is commoner than 高速.
    ///
    /// Pairs of words are counted up to `pairs_up_to` articles (at least
    /// [`PAIR_COUNTED_UP_TO`]), which the reading's count is then at most.
    fn read_as_words(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        typed: &str,
        pairs_up_to: usize,
        looks: &mut usize,
    ) -> Result<Option<Respelling>> {
        if let Some(read) = self.read_as_pinyin(searcher, fields, typed)? {
            return Ok(Some(read));
        }
        let Some(&field) = fields.last() else { return Ok(None) };
        let mut joined = Joined {
            tables: self.reading_tables(),
            searcher,
            field,
            typed,
            breaks: crate::pinyin::syllable_breaks(typed),
            pairs_up_to,
            stretches: BTreeMap::new(),
            dead: Vec::new(),
            characters: None,
        };
        // Words alone first; characters between them only when that reads nothing, since
        // looking them up costs a lookup per character of each syllable. A cut of words
        // alone found again is not scored again.
        let mut scored: Vec<Vec<(usize, usize)>> = Vec::new();
        for characters in [false, true] {
            if characters {
                joined.characters = Some(Vec::new());
                joined.dead.clear();
            }
            let mut cuts = Vec::new();
            joined.cuts_from(0, &mut Vec::new(), &mut cuts, looks)?;
            for cut in cuts {
                if scored.contains(&cut) {
                    continue;
                }
                if let Some((words, written)) = joined.likeliest_words(&cut)? {
                    let joined = words.concat();
                    let spellings = vec![(joined.clone(), joined, written)];
                    return Ok(Some(Respelling { spellings, distance: 0, pinyin: true }));
                }
                scored.push(cut);
            }
        }
        Ok(None)
    }

    /// The runs of `pieces` (the query's, split at whitespace) that are Chinese words typed
    /// in pinyin a syllable or a few at a time (`zhong guo`, `xin guan yi miao`), each as
    /// its range of pieces with its reading (中国; 新冠, then 疫苗). A piece may be one
    /// when it is a bare word of lowercase letters that syllables spell (`is_syllables`)
    /// and at most one article in [`RARE_BELOW`] holds (`men` and `die` are English), or
    /// syllables with tones (`zhōng`, `guo2`), however common their letters; `parts` are
    /// the pieces as [`phrase_parts`] gives them, and a stretch read stays inside a
    /// phrase's quotes or outside any (`"zhong guo" jing ji`). Of a
    /// run of such pieces, the longest stretch of two or more from its start that has a
    /// reading is read, then the rest likewise; each reading tried is a look.
    fn spaced_pinyin(
        &self,
        searcher: &Searcher,
        parts: &[(&str, &str, &str)],
        looks: &mut usize,
    ) -> Result<Vec<(std::ops::Range<usize>, String)>> {
        let fields: Vec<Field> =
            QueryField::either(None).iter().map(|field| self.schema().text_field(*field)).collect();
        let pieces: Vec<&str> = parts.iter().map(|&(_, word, _)| word).collect();
        // Pieces with tones (`zhōng`, `Guó`, `guo2`) in the form the readings take: pinyin
        // however many articles hold their letters (`bàn` is no English `ban`).
        let toned: Vec<Option<String>> = pieces.iter().map(|piece| crate::pinyin::toned(piece)).collect();
        let pieces: Vec<&str> =
            pieces.iter().zip(&toned).map(|(piece, toned)| toned.as_deref().unwrap_or(piece)).collect();
        let mut syllables = Vec::with_capacity(pieces.len());
        for (piece, toned) in pieces.iter().zip(&toned) {
            let rare = || -> Result<bool> {
                let mut held_by = 0;
                for token in self.analyzer().analyze(piece, AnalysisMode::Query) {
                    held_by += articles_holding(searcher, &fields, &token.text)?;
                }
                Ok(held_by.saturating_mul(RARE_BELOW) <= searcher.num_docs())
            };
            syllables.push(crate::pinyin::is_syllables(piece) && (toned.is_some() || rare()?));
        }
        let mut found = Vec::new();
        let mut from = 0;
        while from < pieces.len() {
            // A stretch stays inside a phrase's quotes, or outside any.
            let breaks = |at: usize| {
                !syllables[at] || (at > from && (!parts[at].0.is_empty() || !parts[at - 1].2.is_empty()))
            };
            let end = (from..pieces.len()).find(|&at| breaks(at)).unwrap_or(pieces.len());
            let mut read = None;
            for to in (from + 2..=end).rev() {
                let joined = pieces[from..to].concat();
                if joined.chars().count() > MAX_LETTERS {
                    continue;
                }
                if *looks == MAX_LOOKED_AT {
                    break;
                }
                *looks += 1;
                if let Some(reading) = self.read_as_pinyin(searcher, &fields, &joined)? {
                    read = Some((to, reading));
                    break;
                }
            }
            match read {
                Some((to, reading)) => {
                    found.extend(reading.spellings.into_iter().next().map(|(word, ..)| (from..to, word)));
                    from = to;
                }
                None => from += 1,
            }
        }
        Ok(found)
    }

    /// The Chinese word `typed` (lowercase; toneless or with tones, as
    /// [`crate::pinyin::toned`] gives them) is the pinyin of, of two characters
    /// or more: of those the index holds, the one in the most articles. Words are read
    /// from the last of `fields` alone (bodies, when a query searches titles too): bodies
    /// nearly always hold the words headlines do, and a walk of the words costs a few
    /// milliseconds a field on a large index.
    fn read_as_pinyin(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        typed: &str,
    ) -> Result<Option<Respelling>> {
        let mut read: BTreeMap<String, u64> = BTreeMap::new();
        if let Some(&field) = fields.last() {
            crate::pinyin::each_word_read_as(
                self.reading_tables(),
                searcher,
                field,
                typed,
                |word, held_by| {
                    *read.entry(word.to_string()).or_default() += u64::from(held_by);
                },
            )?;
        }
        Ok(likeliest_reading(&read, typed).map(|(word, count)| Respelling {
            spellings: vec![(word.clone(), word.clone(), count)],
            distance: 0,
            pinyin: true,
        }))
    }

    /// The Chinese words of `text` (as typed) likelier typed for a homophone, the wrong
    /// choice of a pinyin input method (`房价上张`: 张 for 涨), each as written in `text`
    /// with the words that replace it.
    ///
    /// A slip leaves a word no article writes there, which jieba reads as a rare word
    /// (上张) or pieces (新冠病读 is 新冠病 and 读): a run of query words, each Chinese and
    /// either held by at most one article in [`RARE_BELOW`] or a single character, with
    /// a rare word or two single characters among them, that no article writes beside
    /// the words typed around it, is suspect. Each character of it may be replaced by one
    /// read alike ([`crate::pinyin::read_alike`]) in a dictionary word of two to
    /// [`MAX_HOMOPHONE_CHARS`] characters around it, held by [`COMMONER_BY`] times as many
    /// articles as what was typed there. Of the [`CANDIDATES`] commonest, the one the most
    /// articles, and at least [`HOMOPHONE_BESIDE`], write beside the words around it
    /// wins. Words typed alone have nothing to tell their homophones apart and keep their
    /// spelling. Counted in the last of `fields`, as pinyin readings are; `before` and
    /// `after` are the words typed around `text`; `looks` counts the runs looked at.
    fn homophones(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        text: &str,
        (before, after): (Option<String>, Option<String>),
        script: Option<bool>,
        looks: &mut usize,
    ) -> Result<Vec<(String, String)>> {
        let Some(&field) = fields.last() else { return Ok(Vec::new()) };
        let analyzer = self.analyzer();
        let tokens = analyzer.analyze(text, AnalysisMode::Query);
        let doc_freq = |word: &str| searcher.doc_freq(&Term::from_field_text(field, word));
        let around = (before.as_deref(), after.as_deref());
        // Whether each word may be part of a slip.
        #[derive(Clone, Copy, PartialEq)]
        enum Suspect {
            No,
            /// Held by at most one article in [`RARE_BELOW`].
            Rare,
            /// A common single character: jieba's piece of what it reads as no word.
            Single,
        }
        let mut suspect = Vec::with_capacity(tokens.len());
        for token in &tokens {
            let length = token.text.chars().count();
            suspect.push(if !token.text.chars().all(is_han) || length > MAX_HOMOPHONE_CHARS {
                Suspect::No
            } else if doc_freq(&token.text)?.saturating_mul(RARE_BELOW) <= searcher.num_docs() {
                Suspect::Rare
            } else if length == 1 {
                Suspect::Single
            } else {
                Suspect::No
            });
        }
        // The characters of `text`, in Simplified (the dictionary's and the index's).
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let simplified: Vec<char> = chars.iter().map(|&(_, c)| Analyzer::simplified(c)).collect();
        let mut found = Vec::new();
        let mut from = 0;
        while from < tokens.len() {
            let to = (from..tokens.len()).find(|&i| suspect[i] == Suspect::No).unwrap_or(tokens.len());
            let run = from..to;
            from = to + 1;
            let kinds = &suspect[run.clone()];
            if !(kinds.contains(&Suspect::Rare) || kinds.len() >= 2) || *looks == MAX_LOOKED_AT {
                continue;
            }
            let span = tokens[run.start].offset_from..tokens[run.end - 1].offset_to;
            let Some(first) = chars.iter().position(|&(at, _)| at == span.start) else { continue };
            let last = chars.iter().rposition(|&(at, _)| at < span.end).unwrap_or(first);
            // A slip leaves a short run; a long one is rare words typed on purpose.
            if last - first >= MAX_RUN_CHARS {
                continue;
            }
            // Written as typed, it is no slip; alone, it cannot be told.
            if written_beside(searcher, field, analyzer, text, (span.clone(), span.clone()), around, false)?
                .is_none_or(|n| n > 0)
            {
                continue;
            }
            *looks += 1;
            // The Chinese characters around the run, which a word replacing one of its
            // characters may take in.
            let lowest = chars[..first].iter().rposition(|&(_, c)| !is_han(c)).map_or(0, |i| i + 1);
            let highest =
                chars[last..].iter().position(|&(_, c)| !is_han(c)).map_or(chars.len(), |i| last + i);
            // (articles, first character, characters, the word).
            let mut candidates: Vec<(u64, usize, usize, String)> = Vec::new();
            for at in first..=last {
                for &alike in crate::pinyin::read_alike(simplified[at]) {
                    if alike == simplified[at] || Analyzer::simplified(alike) != alike {
                        continue;
                    }
                    for length in 2..=MAX_HOMOPHONE_CHARS {
                        let starts = at.saturating_sub(length - 1).max(lowest)..=at;
                        for start in starts.filter(|start| start + length <= highest) {
                            let word: String = (start..start + length)
                                .map(|i| if i == at { alike } else { simplified[i] })
                                .collect();
                            // Two characters may be a word the articles coined since the
                            // dictionary was counted (新冠); longer ones must be words of it.
                            if length > 2 && !analyzer.is_dictionary_word(&word) {
                                continue;
                            }
                            let count = doc_freq(&word)?;
                            let typed: String = simplified[start..start + length].iter().collect();
                            if count > 0 && count >= doc_freq(&typed)?.saturating_mul(COMMONER_BY) {
                                candidates.push((count, start, length, word));
                            }
                        }
                    }
                }
            }
            candidates.sort_unstable_by(|a, b| b.cmp(a));
            let mut likeliest: (usize, Option<(usize, usize, String)>) = (HOMOPHONE_BESIDE - 1, None);
            for (_, start, length, word) in candidates.into_iter().take(CANDIDATES) {
                let (typed_from, typed_to) =
                    (chars[start].0, chars.get(start + length).map_or(text.len(), |&(at, _)| at));
                let respelt = format!("{}{word}{}", &text[..typed_from], &text[typed_to..]);
                // The whole run, respelt, must be written: a word found by taking in a
                // character of the next (遥相呼应 read as 遥相互应, where 相互 is common)
                // leaves the rest of the run unwritten.
                let end = span.end.max(typed_to) - typed_to + typed_from + word.len();
                let spans = (span.start.min(typed_from)..end, typed_from..typed_from + word.len());
                let together =
                    written_beside(searcher, field, analyzer, &respelt, spans, around, true)?.unwrap_or(0);
                if together > likeliest.0 {
                    likeliest = (together, Some((typed_from, typed_to, word)));
                }
            }
            if let (_, Some((typed_from, typed_to, word))) = likeliest {
                // In the script typed (房價上張 is 房價上漲), or, when the query's
                // characters are common to both, the script of most articles holding it.
                let traditional = match script {
                    Some(traditional) => traditional,
                    None => mostly_traditional(searcher, self.schema().lang, field, &word)?,
                };
                let word = if traditional { Analyzer::traditional(&word) } else { word };
                found.push((text[typed_from..typed_to].to_string(), word));
            }
        }
        Ok(found)
    }

    /// Of the spellings of a word tied at the fewest edits (commonest first), the one
    /// the articles most often write next to the words typed `before` and `after` it (as
    /// phrases): `beijng olympics` is `beijing olympics`, though `being` is far commoner
    /// than `beijing`. The commonest, when none is written so.
    fn likeliest_beside(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        spellings: &[(String, String, u64)],
        before: Option<String>,
        after: Option<String>,
    ) -> Result<usize> {
        if spellings.len() < 2 || (before.is_none() && after.is_none()) {
            return Ok(0);
        }
        let mut likeliest = (0, 0);
        for (index, (_, stem, _)) in spellings.iter().enumerate() {
            let mut together = 0;
            for pair in
                [before.as_deref().map(|word| [word, stem]), after.as_deref().map(|word| [stem, word])]
            {
                let Some(pair) = pair else { continue };
                for &field in fields {
                    together += written_together(searcher, field, &pair)?;
                }
            }
            if together > likeliest.1 {
                likeliest = (index, together);
            }
        }
        Ok(likeliest.0)
    }

    /// Of the ways a few articles holding the indexed word `stem` write it, the one
    /// nearest to `typed`, lowercased.
    fn spelling_of(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        stem: &str,
        typed: &str,
    ) -> Result<Option<String>> {
        let typed = typed.to_lowercase();
        let mut best: Option<(usize, String)> = None;
        self.each_written(searcher, fields, stem, |written, _| {
            let written = written.to_lowercase();
            let distance = strsim::osa_distance(&written, &typed);
            if best.as_ref().is_none_or(|(nearest, known)| (distance, &written) < (*nearest, known)) {
                best = Some((distance, written));
            }
            // One edit away is as near as a respelling gets.
            distance <= 1
        })?;
        Ok(best.map(|(_, written)| written))
    }

    /// Whether the articles holding the indexed word `stem` mostly write it as a name,
    /// with a capital inside a sentence (at a sentence's start, or in capitals, a word
    /// tells nothing).
    fn written_as_a_name(&self, searcher: &Searcher, fields: &[Field], stem: &str) -> Result<bool> {
        let (mut names, mut words) = (0, 0);
        self.each_written(searcher, fields, stem, |written, inside_a_sentence| {
            let mut letters = written.chars();
            let first = letters.next().unwrap_or('a');
            if first.is_ascii_lowercase() {
                words += 1;
            } else if inside_a_sentence && letters.any(|c| c.is_ascii_lowercase()) {
                names += 1;
            }
            false
        })?;
        Ok(names > 0 && names >= words)
    }

    /// Hands `visit` each way a few articles holding the indexed word `stem` write it
    /// (bodies first: they hold more of a stem's forms than headlines do, and `fields`
    /// lists the title first), in letters alone, with whether it stands inside a
    /// sentence (after other words of it), until `visit` returns `true`.
    fn each_written(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        stem: &str,
        visit: impl FnMut(&str, bool) -> bool,
    ) -> Result<()> {
        // The analyzer's pooled scratch: its stem cache already knows most of the words
        // of English articles.
        let mut buffer = self.analyzer().take_buffer();
        let read = self.each_written_with(searcher, fields, stem, &mut buffer, visit);
        self.analyzer().return_buffer(buffer);
        read
    }

    /// [`Self::each_written`], analysing with `buffer`.
    fn each_written_with(
        &self,
        searcher: &Searcher,
        fields: &[Field],
        stem: &str,
        buffer: &mut AnalysisBuffer,
        mut visit: impl FnMut(&str, bool) -> bool,
    ) -> Result<()> {
        let mut read = 0;
        for &field in fields.iter().rev() {
            let term = Term::from_field_text(field, stem);
            for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
                let inverted = segment.inverted_index(field)?;
                let Some(mut postings) =
                    inverted.read_postings(&term, IndexRecordOption::Basic).map_err(unreadable_words)?
                else {
                    continue;
                };
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if !segment.is_deleted(doc) {
                        let document: TantivyDocument = searcher.doc(DocAddress::new(ordinal as u32, doc))?;
                        let text = document.get_first(field).and_then(|value| value.as_str()).unwrap_or("");
                        let text = &text[..floor_char_boundary(text, SPELLING_BYTES)];
                        // Only words of Latin letters are looked for: Chinese is not segmented.
                        let tokens =
                            self.analyzer().analyze_outside_han_with(text, AnalysisMode::Query, buffer);
                        for token in tokens {
                            let written = &text[token.offset_from..token.offset_to];
                            if token.text != stem || !written.chars().all(|c| c.is_ascii_alphabetic()) {
                                continue;
                            }
                            let before = text[..token.offset_from].trim_end();
                            let inside_a_sentence = !before.is_empty()
                                && !before.ends_with(['.', '!', '?', '"', '\'', ':', '\n']);
                            if visit(written, inside_a_sentence) {
                                return Ok(());
                            }
                        }
                        read += 1;
                        if read == SPELLING_ARTICLES {
                            return Ok(());
                        }
                    }
                    doc = postings.advance();
                }
            }
        }
        Ok(())
    }
}

/// Ways of cutting pinyin typed together into words tried for a reading.
const CUTS_TRIED: usize = 4;

/// Words tried for a stretch of pinyin typed together, the likeliest first.
const STRETCH_CANDIDATES: usize = 3;

/// Articles writing a pair of words together are counted up to this many when pinyin
/// typed together is cut into words: pairs written together this often are alike
/// likely, and counting every article writing common words together (中国 经济) read
/// their positions in hundreds of thousands of articles. (Further when the reading is
/// weighed against a spelling one slip away, so that it is weighed exactly.)
const PAIR_COUNTED_UP_TO: usize = 1_000;

/// A syllable typed together with others that no word reads is read as one character, in
/// that character's usual reading, when one article in this many or more holds it alone:
/// the particles and prepositions written between words (的, 在, 和), not a character of
/// a word cut in two.
const JOINING_CHARACTER_IN: u64 = 10;

/// The words of a stretch, each with the articles holding it.
type Candidates = Vec<(String, u64)>;

/// Pinyin typed together (`zhongguojingji`) being cut into words.
struct Joined<'a> {
    /// Where the words' readings are looked up.
    tables: &'a ReadingTables,
    searcher: &'a Searcher,
    /// The field words are read from.
    field: Field,
    typed: &'a str,
    /// Where a syllable may end ([`crate::pinyin::syllable_breaks`]).
    breaks: Vec<usize>,
    /// Articles writing a pair of words together are counted up to this many.
    pairs_up_to: usize,
    /// For each place walked from, the words of the stretches from there, by the place
    /// each stretch ends at: [`STRETCH_CANDIDATES`] at most, needing the fewest rare
    /// readings ([`likeliest_reading`]'s), the commonest first; for a syllable no word
    /// reads, the commonest characters written alone ([`JOINING_CHARACTER_IN`]).
    stretches: BTreeMap<usize, BTreeMap<usize, Candidates>>,
    /// Places from which no way of cutting the rest was found.
    dead: Vec<usize>,
    /// When characters written between words are read too, the places whose syllables
    /// have been looked up as such.
    characters: Option<Vec<usize>>,
}

impl Joined<'_> {
    /// The words of the stretches from `from` ([`Joined::stretches`]): the first time, a
    /// walk of the words, and a look; none when no look is left. With
    /// [`Joined::characters`], the characters between words too.
    fn stretches_from(&mut self, from: usize, looks: &mut usize) -> Result<Vec<usize>> {
        if !self.stretches.contains_key(&from) {
            let typed = self.typed;
            let ends = self.ends_from(from);
            let rest = &typed[from..];
            let mut read: BTreeMap<usize, BTreeMap<String, u64>> = BTreeMap::new();
            if crate::pinyin::may_begin_a_word(rest, &ends) {
                if *looks == MAX_LOOKED_AT {
                    return Ok(Vec::new());
                }
                *looks += 1;
                crate::pinyin::each_word_beginning(
                    self.tables,
                    self.searcher,
                    self.field,
                    rest,
                    &ends,
                    |word, held_by, reached| {
                        for &end in &ends {
                            if reached & 1 << end != 0 {
                                *read.entry(from + end).or_default().entry(word.to_string()).or_default() +=
                                    u64::from(held_by);
                            }
                        }
                    },
                )?;
            }
            let stretches: BTreeMap<usize, Candidates> = read
                .into_iter()
                .filter_map(|(to, words)| {
                    let rated = rated_readings(&words, &typed[from..to]);
                    let (_, _, rare) = likeliest_of(&rated)?;
                    let candidates = (rated.into_iter())
                        .filter(|&(.., word_rare)| word_rare == rare)
                        .map(|(word, count, _)| (word.clone(), count))
                        .collect();
                    Some((to, commonest_first(candidates)))
                })
                .collect();
            self.stretches.insert(from, stretches);
        }
        if self.characters.as_ref().is_some_and(|looked_up| !looked_up.contains(&from)) {
            self.add_characters(from)?;
        }
        Ok(self.stretches[&from].keys().copied().collect())
    }

    /// Where stretches from `from` may end, from there: a syllable's end, and not the
    /// end of everything typed from the start, which is read as one word already.
    fn ends_from(&self, from: usize) -> Vec<usize> {
        (self.breaks.iter().copied().filter(|&to| to > from))
            .chain((from > 0).then_some(self.typed.len()))
            .map(|to| to - from)
            .collect()
    }

    /// Adds to the stretches from `from` (walked already) the characters a syllable no
    /// word reads from there may be ([`JOINING_CHARACTER_IN`]).
    fn add_characters(&mut self, from: usize) -> Result<()> {
        let rest = &self.typed[from..];
        let mut stretches = self.stretches.remove(&from).unwrap_or_default();
        // A syllable no word reads from here may be a character written between words
        // (`de` in `zhongguodejingji`), if one is held alone by many articles.
        for end in self.ends_from(from) {
            if stretches.contains_key(&(from + end)) {
                continue;
            }
            let mut candidates: Candidates = Vec::new();
            let syllable = &rest[..end];
            // In its usual reading: 给 is `ji` only in a rare one.
            let characters = crate::pinyin::characters_spelling(syllable)
                .into_iter()
                .filter(|c| crate::pinyin::rare_readings(c.encode_utf8(&mut [0; 4]), syllable) == Some(0));
            for c in characters {
                let held_by =
                    self.searcher.doc_freq(&Term::from_field_text(self.field, c.encode_utf8(&mut [0; 4])))?;
                if held_by > 0 && held_by.saturating_mul(JOINING_CHARACTER_IN) >= self.searcher.num_docs() {
                    candidates.push((c.to_string(), held_by));
                }
            }
            let candidates = commonest_first(candidates);
            if !candidates.is_empty() {
                stretches.insert(from + end, candidates);
            }
        }
        self.stretches.insert(from, stretches);
        if let Some(looked_up) = &mut self.characters {
            looked_up.push(from);
        }
        Ok(())
    }

    /// Adds to `cuts` the ways of cutting what was typed from `from` into stretches that
    /// read as words, after `path`, the longest stretch first, until there are
    /// [`CUTS_TRIED`].
    fn cuts_from(
        &mut self,
        from: usize,
        path: &mut Vec<(usize, usize)>,
        cuts: &mut Vec<Vec<(usize, usize)>>,
        looks: &mut usize,
    ) -> Result<()> {
        if from == self.typed.len() {
            cuts.push(path.clone());
            return Ok(());
        }
        if self.dead.contains(&from) {
            return Ok(());
        }
        let found = cuts.len();
        for to in self.stretches_from(from, looks)?.into_iter().rev() {
            if cuts.len() == CUTS_TRIED {
                return Ok(());
            }
            path.push((from, to));
            self.cuts_from(to, path, cuts, looks)?;
            path.pop();
        }
        if cuts.len() == found {
            self.dead.push(from);
        }
        Ok(())
    }

    /// The words of `cut` (stretches, each with its candidates) that articles write
    /// together most, each before the next in some article, with the fewest articles
    /// writing one pair of them; `None` when no choice has every pair written. Pairs are
    /// scored by the product of the articles writing each.
    fn likeliest_words(&self, cut: &[(usize, usize)]) -> Result<Option<(Vec<String>, u64)>> {
        let columns: Vec<&Candidates> = cut.iter().map(|(from, to)| &self.stretches[from][to]).collect();
        // The best choice ending in each candidate of the column reached.
        let mut best: Vec<Option<Choice>> = (0..columns[0].len())
            .map(|i| Some(Choice { score: 0.0, fewest: u64::MAX, path: vec![i] }))
            .collect();
        for pair in columns.windows(2) {
            let mut next: Vec<Option<Choice>> = vec![None; pair[1].len()];
            for (j, (word, _)) in pair[1].iter().enumerate() {
                for (before, choice) in pair[0].iter().zip(&best) {
                    let Some(choice) = choice else { continue };
                    let written = written_together_up_to(
                        self.searcher,
                        self.field,
                        &[&before.0, word],
                        self.pairs_up_to,
                    )? as u64;
                    if written == 0 {
                        continue;
                    }
                    let score = choice.score + (written as f64).ln();
                    if next[j].as_ref().is_none_or(|known| score > known.score) {
                        let path = [choice.path.as_slice(), &[j]].concat();
                        next[j] = Some(Choice { score, fewest: choice.fewest.min(written), path });
                    }
                }
            }
            best = next;
        }
        // The best score; among equals, the likeliest words.
        let chosen = best.into_iter().flatten().fold(None, |chosen: Option<Choice>, next| match chosen {
            Some(chosen) if chosen.score >= next.score => Some(chosen),
            _ => Some(next),
        });
        Ok(chosen.map(|choice| {
            let words = choice.path.iter().zip(&columns).map(|(&i, column)| column[i].0.clone()).collect();
            (words, choice.fewest)
        }))
    }
}

/// A choice of words for the stretches of a cut so far.
#[derive(Clone)]
struct Choice {
    /// The sum of the logarithms of the articles writing each pair.
    score: f64,
    /// The fewest articles writing a pair.
    fewest: u64,
    /// The candidate chosen in each stretch.
    path: Vec<usize>,
}

/// Of the words `read` (with the articles holding each) whose pinyin spells `typed`, the
/// likeliest meant, with its articles. A character's rare reading makes a common word a
/// homophone of what was typed (达 is also `ti`: `daoti` reads as 到达 beside 导体), so of
/// the words needing the fewest rare readings, the one in the most articles (the first
/// in the dictionary's order among equals) is the likeliest; one needing more wins only
/// when [`USUAL_READING_BY`] times as common.
fn likeliest_reading<'a>(read: &'a BTreeMap<String, u64>, typed: &str) -> Option<(&'a String, u64)> {
    likeliest_of(&rated_readings(read, typed)).map(|(word, count, _)| (word, count))
}

/// The words `read` (with the articles holding each) whose pinyin spells `typed`, each
/// with its articles and its rare readings ([`crate::pinyin::rare_readings`]), in the
/// dictionary's order.
fn rated_readings<'a>(read: &'a BTreeMap<String, u64>, typed: &str) -> Vec<(&'a String, u64, usize)> {
    (read.iter())
        .filter_map(|(word, &count)| Some((word, count, crate::pinyin::rare_readings(word, typed)?)))
        .collect()
}

/// [`likeliest_reading`] of words rated by [`rated_readings`], with its rare readings.
fn likeliest_of<'a>(rated: &[(&'a String, u64, usize)]) -> Option<(&'a String, u64, usize)> {
    let mut by_rare_readings: BTreeMap<usize, (&String, u64)> = BTreeMap::new();
    for &(word, count, rare) in rated {
        let commonest = by_rare_readings.entry(rare).or_insert((word, count));
        if count > commonest.1 {
            *commonest = (word, count);
        }
    }
    let rare_first = by_rare_readings.into_iter().map(|(rare, (word, count))| (word, count, rare));
    rare_first.reduce(
        |likeliest, next| {
            if next.1 > likeliest.1.saturating_mul(USUAL_READING_BY) { next } else { likeliest }
        },
    )
}

/// The [`STRETCH_CANDIDATES`] of `candidates` held by the most articles, the commonest
/// first (in the dictionary's order among equals).
fn commonest_first(mut candidates: Candidates) -> Candidates {
    candidates.sort_by(|(a, a_count), (b, b_count)| b_count.cmp(a_count).then_with(|| a.cmp(b)));
    candidates.truncate(STRETCH_CANDIDATES);
    candidates
}

/// How many articles hold `word` (an indexed word) in each of `fields`, summed.
fn articles_holding(searcher: &Searcher, fields: &[Field], word: &str) -> Result<u64> {
    let mut total = 0;
    for &field in fields {
        total += searcher.doc_freq(&Term::from_field_text(field, word))?;
    }
    Ok(total)
}

/// Whether `query`'s Chinese is typed in Traditional characters (`Some(true)`), in
/// Simplified ones (`Some(false)`), or, written with characters common to both or as many
/// of either, `None`: by its characters found in one script alone (讀 or 读).
fn typed_in_traditional(query: &str) -> Option<bool> {
    let (mut traditional, mut simplified) = (0, 0);
    for c in query.chars().filter(|&c| is_han(c)) {
        if Analyzer::simplified(c) != c {
            traditional += 1;
        } else if !Analyzer::traditional(c.encode_utf8(&mut [0; 4])).starts_with(c) {
            simplified += 1;
        }
    }
    (traditional != simplified).then_some(traditional > simplified)
}

/// Whether more than half the articles holding `word` in `field` are in Traditional
/// Chinese (`lang` is `zh-Hant`).
fn mostly_traditional(searcher: &Searcher, lang: Field, field: Field, word: &str) -> Result<bool> {
    let term = Term::from_field_text(field, word);
    let holding = searcher.doc_freq(&term)?;
    let in_traditional = BooleanQuery::intersection(vec![
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        Box::new(TermQuery::new(
            Term::from_field_text(lang, crate::article::Lang::ZhHant.as_str()),
            IndexRecordOption::Basic,
        )),
    ]);
    Ok(searcher.search(&in_traditional, &Count)? as u64 * 2 > holding)
}

/// How many articles write `words` (indexed words) one after another in `field`: a
/// phrase, or, for one word, the articles holding it.
fn written_together(searcher: &Searcher, field: Field, words: &[&str]) -> Result<usize> {
    written_together_up_to(searcher, field, words, usize::MAX)
}

/// [`written_together`], counted only up to `enough`: whether a phrase of common words
/// (将 对) is written at all is known at its first article, where counting them all read
/// their positions in every article holding both.
fn written_together_up_to(searcher: &Searcher, field: Field, words: &[&str], enough: usize) -> Result<usize> {
    let terms: Vec<Term> = words.iter().map(|word| Term::from_field_text(field, word)).collect();
    if terms.len() < 2 {
        return Ok(terms.first().map_or(Ok(0), |term| searcher.doc_freq(term))? as usize);
    }
    if enough == usize::MAX {
        return Ok(searcher.search(&PhraseQuery::new(terms), &Count)?);
    }
    let (written, all) = count_up_to(searcher, &PhraseQuery::new(terms), enough.saturating_sub(1) as u64)?;
    Ok(if all { written as usize } else { enough })
}

/// How many articles write the words `text` is analysed into over `span` (bytes) beside
/// the words around them, in `field`: the words before them with them, plus them with
/// the words after (as phrases), where `around` gives the query's words before and after
/// `text`. When they are all of `text` and more than one word, just the `changed`
/// bytes, the words themselves count too, if nothing is around them or they are a
/// respelling: its words written together show it is meant, wherever the query's other
/// words stand, but words typed together by chance (新 and 官) show no slip is meant.
/// Words of `text` beside them must be written beside them. `None` when they are that
/// one word alone: nothing tells whether it was meant. What was typed is counted only to
/// its first article ([`written_together_up_to`]): whether it is written at all is what
/// tells a slip; a respelling is counted whole, to be weighed against the others.
fn written_beside(
    searcher: &Searcher,
    field: Field,
    analyzer: &Analyzer,
    text: &str,
    (span, changed): (std::ops::Range<usize>, std::ops::Range<usize>),
    (before, after): (Option<&str>, Option<&str>),
    for_a_respelling: bool,
) -> Result<Option<usize>> {
    let enough = if for_a_respelling { usize::MAX } else { 1 };
    let tokens = analyzer.analyze(text, AnalysisMode::Query);
    let Some(first) = tokens.iter().position(|token| token.offset_to > span.start) else { return Ok(None) };
    let last = tokens.iter().rposition(|token| token.offset_from < span.end).unwrap_or(first).max(first);
    let words: Vec<&str> = tokens[first..=last].iter().map(|token| token.text.as_str()).collect();
    let typed_before = first.checked_sub(1).map(|i| tokens[i].text.as_str());
    let typed_after = tokens.get(last + 1).map(|token| token.text.as_str());
    let all_typed = typed_before.is_none() && typed_after.is_none();
    let (before, after) = (typed_before.or(before), typed_after.or(after));
    let alone = first == last && (tokens[first].offset_from..tokens[first].offset_to) == changed;
    if alone && before.is_none() && after.is_none() {
        return Ok(None);
    }
    let by_themselves = all_typed && !alone && (for_a_respelling || (before.is_none() && after.is_none()));
    let mut together =
        if by_themselves { written_together_up_to(searcher, field, &words, enough)? } else { 0 };
    if let Some(before) = before
        && together < enough
    {
        together += written_together_up_to(searcher, field, &[&[before], words.as_slice()].concat(), enough)?;
    }
    if let Some(after) = after
        && together < enough
    {
        together += written_together_up_to(searcher, field, &[words.as_slice(), &[after]].concat(), enough)?;
    }
    Ok(Some(together))
}

/// The words one edit (a letter deleted, inserted or replaced, or two neighbours
/// swapped) from `word`, lowercase ASCII, that keep its first letter.
fn one_edit_from(word: &str) -> Vec<String> {
    let bytes = word.as_bytes();
    let mut variants = Vec::new();
    let with = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut variant = bytes.to_vec();
        edit(&mut variant);
        String::from_utf8(variant).expect("ASCII stays ASCII")
    };
    for at in 1..=bytes.len() {
        for letter in b'a'..=b'z' {
            variants.push(with(&|v| v.insert(at, letter)));
            if at < bytes.len() && bytes[at] != letter {
                variants.push(with(&|v| v[at] = letter));
            }
        }
        if at < bytes.len() {
            variants.push(with(&|v| {
                v.remove(at);
            }));
        }
        if at + 1 < bytes.len() && bytes[at] != bytes[at + 1] {
            variants.push(with(&|v| v.swap(at, at + 1)));
        }
    }
    variants
}

/// `word` (lowercase) in the case `typed` was written in: all capitals, a capital first
/// letter, or lowercase.
fn in_case_of(word: &str, typed: &str) -> String {
    let letters = typed.chars().filter(char::is_ascii_alphabetic);
    if typed.len() > 1 && letters.clone().all(|c| c.is_ascii_uppercase()) {
        return word.to_ascii_uppercase();
    }
    if typed.starts_with(|c: char| c.is_ascii_uppercase()) {
        let mut chars = word.chars();
        return chars
            .next()
            .map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + chars.as_str());
    }
    word.to_string()
}

/// A whitespace-separated piece of the query with its word respelt, when it is one of the
/// words replaced: alone or in a phrase (`"goverment`, `policy"~2`), after `+` or a field
/// (`title:goverment`); an excluded word (`-goverment`) is kept as typed.
fn respelt_piece(piece: &str, replacements: &[(String, String)]) -> String {
    for (typed, spelling) in replacements {
        for (at, _) in piece.match_indices(typed.as_str()) {
            let (before, after) = (&piece[..at], &piece[at + typed.len()..]);
            if leads_a_word(before) && ends_a_word(after) {
                return format!("{before}{spelling}{after}");
            }
        }
    }
    piece.to_string()
}

/// A piece of the query (split at whitespace) as what opens a phrase before its word (a
/// quote, after a field: `"`, `title:"`), the word, and what closes a phrase after it (a
/// quote, then a slop or `*`: `"`, `"~2`, `"*`), each but the word possibly empty; a
/// piece with anything else around its word (`+`, a field without a quote, a boost) is
/// all word.
fn phrase_parts(piece: &str) -> (&str, &str, &str) {
    let field = field_prefix_length(piece);
    let lead = match piece[field..].chars().next().filter(|c| QUOTES.contains(c)) {
        Some(quote) => field + quote.len_utf8(),
        None if field == 0 => 0,
        None => return ("", piece, ""),
    };
    let rest = &piece[lead..];
    let (word, trail) = rest.split_at(rest.find(QUOTES).unwrap_or(rest.len()));
    let after_quote = trail.chars().next().map_or("", |quote| &trail[quote.len_utf8()..]);
    let closes = matches!(after_quote, "" | "*" | "＊")
        || after_quote
            .strip_prefix('~')
            .is_some_and(|slop| !slop.is_empty() && slop.bytes().all(|b| b.is_ascii_digit()));
    if closes { (&piece[..lead], word, trail) } else { ("", piece, "") }
}

/// The bytes of the field (`title:`, `Body：`) `text` begins with, or 0.
fn field_prefix_length(text: &str) -> usize {
    let lower = text.to_ascii_lowercase();
    let field = ["title:", "title：", "body:", "body："].iter().find(|field| lower.starts_with(**field));
    field.map_or(0, |field| field.len())
}

/// Whether `text` is what may stand before a word in a piece of the query: `+`, then a
/// field, then a quote, each optional.
fn leads_a_word(text: &str) -> bool {
    let text = text.strip_prefix('+').unwrap_or(text);
    let mut chars = text[field_prefix_length(text)..].chars();
    match chars.next() {
        None => true,
        Some(quote) => QUOTES.contains(&quote) && chars.next().is_none(),
    }
}

/// Whether `text` is what may follow a word in a piece of the query: a closing quote,
/// stars and a slop (`"*~2`), each optional, or a boost (`^2`).
fn ends_a_word(text: &str) -> bool {
    let text = text.strip_prefix(QUOTES).unwrap_or(text);
    let text = text.trim_start_matches(['*', '＊']);
    match (text.strip_prefix('~'), text.strip_prefix('^')) {
        (Some(slop), _) => slop.chars().all(|c| c.is_ascii_digit()),
        (_, Some(boost)) => boost.chars().all(|c| c.is_ascii_digit() || c == '.'),
        _ => text.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_counted_up_to_what_is_enough_and_deleted_articles_never() {
        use crate::article::Article;
        use crate::writer::WriterSettings;

        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        for id in 0..6 {
            let body = if id < 4 { "政府将对进口商品加征关税" } else { "对政府将有影响" };
            writer
                .upsert(&Article { id: id.to_string(), body: body.into(), ..Article::default() })
                .expect("upsert");
        }
        writer.commit().expect("commit");
        writer.delete("0");
        writer.commit().expect("commit");
        let searcher = index.reader().searcher();
        let body = index.schema().body;
        let words = ["将", "对"];
        assert_eq!(
            written_together(&searcher, body, &words).expect("count"),
            3,
            "help: the deleted article is not counted"
        );
        for (enough, counted) in [(1, 1), (2, 2), (3, 3), (10, 3)] {
            assert_eq!(
                written_together_up_to(&searcher, body, &words, enough).expect("count"),
                counted,
                "{enough}"
            );
        }
        assert_eq!(
            written_together_up_to(&searcher, body, &["对", "将"], 1).expect("count"),
            0,
            "help: in that order"
        );
        assert_eq!(written_together_up_to(&searcher, body, &["政府", "将"], 1).expect("count"), 1);
    }

    #[test]
    fn pieces_are_split_around_the_quotes_of_a_phrase() {
        for (piece, parts) in [
            ("zhong", ("", "zhong", "")),
            ("\"zhong", ("\"", "zhong", "")),
            ("guo\"", ("", "guo", "\"")),
            ("guo\"~2", ("", "guo", "\"~2")),
            ("guo\"*", ("", "guo", "\"*")),
            ("Title:“zhong”", ("Title:“", "zhong", "”")),
            ("title:zhong", ("", "title:zhong", "")),
            ("+zhong", ("", "+zhong", "")),
            ("guo\"^2", ("", "guo\"^2", "")),
            ("guo\"~", ("", "guo\"~", "")),
        ] {
            assert_eq!(phrase_parts(piece), parts, "{piece}");
        }
    }

    #[test]
    fn one_edit_keeps_the_first_letter() {
        let variants = one_edit_from("abc");
        for variant in ["abcd", "abxc", "axc", "ab", "ac", "acb", "aabc"] {
            assert!(variants.iter().any(|v| v == variant), "{variant}");
        }
        assert!(variants.iter().all(|v| v.starts_with('a') && v != "abc"), "{variants:?}");
        // 3 places to insert, 2 letters to replace, 2 to delete and 1 swap.
        assert_eq!(variants.len(), 3 * 26 + 2 * 25 + 2 + 1);
    }

    #[test]
    fn respellings_keep_the_case_and_the_field_typed() {
        assert_eq!(in_case_of("government", "goverment"), "government");
        assert_eq!(in_case_of("government", "Goverment"), "Government");
        assert_eq!(in_case_of("nato", "NATTO"), "NATO");
        let replacements = [("goverment".to_string(), "government".to_string())];
        for (piece, respelt) in [
            ("goverment", "government"),
            ("+goverment", "+government"),
            ("Title:goverment", "Title:government"),
            ("body：goverment", "body：government"),
            ("-goverment", "-goverment"),
            ("xgoverment", "xgoverment"),
            ("goverments", "goverments"),
            ("\"goverment", "\"government"),
            ("goverment\"", "government\""),
            ("「goverment」", "「government」"),
            ("title:\"goverment\"~2", "title:\"government\"~2"),
            ("goverment\"*", "government\"*"),
            ("-\"goverment", "-\"goverment"),
            ("goverment\"x", "goverment\"x"),
            ("goverment^2", "government^2"),
            ("goverment^x", "goverment^x"),
        ] {
            assert_eq!(respelt_piece(piece, &replacements), respelt, "{piece}");
        }
    }
}
