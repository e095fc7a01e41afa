//! Chinese word segmentation: jieba over folded (Simplified) Han runs.
//!
//! One [`ChineseSegmenter`] exists per process and user dictionary: loading jieba's
//! dictionary takes a noticeable fraction of a second and tens of megabytes, so every
//! analyzer built with the same dictionary shares it, and it loads only when the first
//! Han text needs it: a process that only ever sees English never pays for it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use jieba_rs::Jieba;

use super::fold::ScriptFolder;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;

/// A jieba user dictionary: extra words (news names and terms) with optional frequencies
/// and part-of-speech tags, one `word [freq] [tag]` entry per line.
///
/// Entries are folded like analysed text (Traditional → Simplified, full-width →
/// half-width, lowercase), so a dictionary may list names in either script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDictionary {
    name: String,
    entries: Vec<DictionaryEntry>,
    fingerprint: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DictionaryEntry {
    word: String,
    frequency: Option<usize>,
    tag: Option<String>,
}

impl UserDictionary {
    /// Reads a user dictionary from a file in jieba's format.
    pub fn from_path(path: impl AsRef<Path>) -> Result<UserDictionary> {
        let path = path.as_ref();
        let text = super::read_text_file(path, "user dictionary")?;
        UserDictionary::parse(&path.display().to_string(), &text)
    }

    /// Parses a user dictionary from text in jieba's format; `name` appears in errors.
    ///
    /// Blank lines are skipped. A line is `word`, `word freq` or `word freq tag`, separated
    /// by whitespace; `freq` must be a non-negative integer.
    pub fn parse(name: &str, text: &str) -> Result<UserDictionary> {
        let mut entries = Vec::new();
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let mut fields = line.split_whitespace();
            let Some(word) = fields.next() else { continue };
            let frequency = match fields.next() {
                None => None,
                Some(field) => Some(field.parse::<usize>().map_err(|_| Error::Dictionary {
                    name: name.to_string(),
                    message: format!(
                        "line {}: frequency {field:?} of {word:?} is not a non-negative integer",
                        index + 1
                    ),
                })?),
            };
            let tag = fields.next().map(str::to_string);
            if let Some(extra) = fields.next() {
                return Err(Error::Dictionary {
                    name: name.to_string(),
                    message: format!(
                        "line {}: unexpected {extra:?} after the tag; expected `word [freq] [tag]`",
                        index + 1
                    ),
                });
            }
            entries.push(DictionaryEntry { word: word.to_string(), frequency, tag });
        }
        let mut fingerprint = Fingerprint::new();
        for entry in &entries {
            fingerprint.write_str(&entry.word);
            fingerprint.write_u64(entry.frequency.map_or(u64::MAX, |f| f as u64));
            fingerprint.write_str(entry.tag.as_deref().unwrap_or(""));
        }
        Ok(UserDictionary { name: name.to_string(), entries, fingerprint: fingerprint.finish() })
    }

    /// Where the dictionary came from (a path or a name given to [`UserDictionary::parse`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dictionary has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in jieba's format, one per line: parsing it gives an equal dictionary.
    pub fn to_jieba_format(&self) -> String {
        let mut text = String::new();
        for entry in &self.entries {
            text.push_str(&entry.word);
            if let Some(frequency) = entry.frequency {
                text.push(' ');
                text.push_str(&frequency.to_string());
                if let Some(tag) = &entry.tag {
                    text.push(' ');
                    text.push_str(tag);
                }
            }
            text.push('\n');
        }
        text
    }

    /// A stable hash of the entries: part of the analyzer's identity.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// Segments folded Han runs into words with jieba, loaded on first use.
pub(crate) struct ChineseSegmenter {
    dictionary: Option<UserDictionary>,
    jieba: OnceLock<Jieba>,
}

/// Segmenters already loaded in this process, by user dictionary fingerprint
/// (`None`: jieba's own dictionary alone). They stay loaded for the life of the process.
static LOADED: LazyLock<Mutex<HashMap<Option<u64>, Arc<ChineseSegmenter>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// jieba with its own dictionary, parsed once; user dictionaries extend a clone of it.
static BASE: LazyLock<Jieba> = LazyLock::new(Jieba::new);

impl ChineseSegmenter {
    /// The segmenter for `dictionary`, shared by every analyzer of this process with the
    /// same dictionary. Nothing is loaded yet: see [`ChineseSegmenter::load`].
    pub(crate) fn shared(dictionary: Option<&UserDictionary>) -> Arc<ChineseSegmenter> {
        let key = dictionary.map(UserDictionary::fingerprint);
        let mut loaded = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(loaded.entry(key).or_insert_with(|| {
            Arc::new(ChineseSegmenter { dictionary: dictionary.cloned(), jieba: OnceLock::new() })
        }))
    }

    /// Loads jieba's dictionary (and the user dictionary) now if it is not loaded yet;
    /// threads asking meanwhile wait for the one load.
    pub(crate) fn load(&self) {
        self.jieba();
    }

    /// Whether the dictionary is loaded.
    pub(crate) fn is_loaded(&self) -> bool {
        self.jieba.get().is_some()
    }

    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(|| Self::build(self.dictionary.as_ref()))
    }

    fn build(dictionary: Option<&UserDictionary>) -> Jieba {
        let started = std::time::Instant::now();
        let mut jieba = BASE.clone();
        if let Some(dictionary) = dictionary {
            let folder = ScriptFolder::shared();
            let mut folded = String::new();
            for entry in &dictionary.entries {
                let mut normalized = String::with_capacity(entry.word.len());
                for c in entry.word.chars() {
                    super::normalize::normalize_char(c, |n| normalized.push(n));
                }
                folder.fold_run(&normalized, &mut folded);
                jieba.add_word(&folded, entry.frequency, entry.tag.as_deref());
            }
        }
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            user_entries = dictionary.map_or(0, UserDictionary::len),
            "loaded the Chinese dictionary"
        );
        jieba
    }

    /// Precise segmentation: the words of `run`, in order, as char ranges.
    pub(crate) fn cut<'a>(&self, run: &'a str, hmm: bool) -> Vec<jieba_rs::Token<'a>> {
        self.jieba().cut(run, hmm)
    }

    /// How often jieba's dictionary has `word`, or, when it is not one of its words, the
    /// count its best split into dictionary words amounts to: jieba's measure of how
    /// common a string is in the (mainland) text its dictionary was counted over.
    pub(crate) fn frequency(&self, word: &str) -> usize {
        self.jieba().suggest_freq(word)
    }

    /// Whether `word` (Simplified) is a word of the dictionary.
    pub(crate) fn has_word(&self, word: &str) -> bool {
        self.jieba().has_word(word)
    }

    /// Search segmentation: each precise word of `run`, preceded by the 2- and
    /// 3-character dictionary words inside it.
    pub(crate) fn cut_for_search<'a>(&self, run: &'a str, hmm: bool) -> Vec<jieba_rs::Token<'a>> {
        self.jieba().cut_for_search(run, hmm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jieba_format_with_line_numbered_errors() {
        let dictionary = UserDictionary::parse("test", "华星科技 2000 nt\n\n碳中和\n数字人民币 500\n")
            .expect("valid dictionary");
        assert_eq!(dictionary.len(), 3);
        let error = UserDictionary::parse("bad.txt", "华星科技 2000 nt\n英伟达 many\n")
            .expect_err("a non-numeric frequency is an error");
        assert_eq!(
            error.to_string(),
            "user dictionary bad.txt: line 2: frequency \"many\" of \"英伟达\" is not a non-negative integer"
        );
    }

    #[test]
    fn fingerprint_follows_content() {
        let a = UserDictionary::parse("a", "华星科技 2000 nt\n").expect("valid");
        let b = UserDictionary::parse("b", "华星科技 2000 nt\n").expect("valid");
        let c = UserDictionary::parse("c", "华星科技 2001 nt\n").expect("valid");
        assert_eq!(a.fingerprint(), b.fingerprint(), "help: the name must not change the hash");
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn user_words_are_segmented_whole_in_either_script() {
        let dictionary = UserDictionary::parse("test", "華星科技 2000 nt\n").expect("valid");
        let segmenter = ChineseSegmenter::shared(Some(&dictionary));
        let words: Vec<&str> = segmenter.cut("华星科技发布新品", true).iter().map(|t| t.word).collect();
        assert_eq!(words[0], "华星科技", "help: Traditional entries must be folded before loading");
    }

    #[test]
    fn segmenters_are_shared() {
        let first = ChineseSegmenter::shared(None);
        let second = ChineseSegmenter::shared(None);
        assert!(Arc::ptr_eq(&first, &second), "help: jieba must load once per dictionary");
    }

    #[test]
    fn the_dictionary_loads_on_first_use() {
        let dictionary = UserDictionary::parse("lazy", "新闻检索引擎 100 n\n").expect("valid");
        let segmenter = ChineseSegmenter::shared(Some(&dictionary));
        assert!(!segmenter.is_loaded(), "help: sharing a segmenter must not load jieba");
        let words: Vec<&str> = segmenter.cut("新闻检索引擎上线", true).iter().map(|t| t.word).collect();
        assert_eq!(words[0], "新闻检索引擎", "help: the user dictionary must be part of the lazy load");
        assert!(segmenter.is_loaded());
    }
}
