//! Query synonyms: groups of words a search treats as one (`特朗普, 川普, Trump`), as
//! Elasticsearch's search-time synonym filter does. Indexes are untouched: an analyzer
//! given synonyms ([`Analyzer::with_synonyms`]) searches each query word that one of
//! its groups holds as that word or any other of the group.

use std::path::Path;

use rustc_hash::FxHashMap;

use super::{AnalysisMode, Analyzer};
use crate::error::{Error, Result};

/// Groups of equivalent words or phrases, one group a line, separated by commas, in the
/// format Solr and Elasticsearch read (without their one-way `=>` rules): `#` starts a
/// comment, blank lines are skipped. Entries may be in any script or language and of
/// several words (`electric vehicle`): analysis reads them as it reads queries.
///
/// ```
/// use newsdex::Synonyms;
///
/// let synonyms = Synonyms::parse("news.txt", "# people\n特朗普, 川普, Trump\nchip, 芯片, 晶片\n").unwrap();
/// assert_eq!(synonyms.len(), 2);
/// let error = Synonyms::parse("bad.txt", "华为, Huawei\nTSMC\n").unwrap_err();
/// assert!(error.to_string().contains("bad.txt: line 2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonyms {
    name: String,
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// Reads a synonyms file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Synonyms> {
        let path = path.as_ref();
        let text = super::read_text_file(path, "synonyms file")?;
        Synonyms::parse(&path.display().to_string(), &text)
    }

    /// Parses synonyms text; `name` names it in errors, which give the line.
    pub fn parse(name: &str, text: &str) -> Result<Synonyms> {
        let invalid = |line: usize, why: String| Error::Synonyms {
            name: name.to_string(),
            message: format!("line {line}: {why}"),
        };
        let mut groups = Vec::new();
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.contains("=>") {
                return Err(invalid(
                    line_number,
                    "one-way rules (=>) are not supported; list the words of a group separated by commas"
                        .to_string(),
                ));
            }
            let mut group: Vec<String> = Vec::new();
            for entry in line.split([',', '，']).map(str::trim) {
                if !entry.chars().any(char::is_alphanumeric) {
                    return Err(invalid(
                        line_number,
                        format!("{entry:?} has no letter, digit or Chinese character"),
                    ));
                }
                if !group.iter().any(|known| known == entry) {
                    group.push(entry.to_string());
                }
            }
            if group.len() < 2 {
                return Err(invalid(line_number, format!("a group needs two or more entries: {line:?}")));
            }
            groups.push(group);
        }
        Ok(Synonyms { name: name.to_string(), groups })
    }

    /// Where the synonyms came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// One entry of a group, as a query word's alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Synonym {
    /// The analysed words: one, or several to be searched as a phrase.
    pub(crate) words: Vec<String>,
    /// As the synonyms file writes it.
    pub(crate) written: String,
}

/// Synonyms analysed by one analyzer: for each entry that is one analysed word, the
/// other entries of its groups; for each entry of several words, by its first word, the
/// entry and the other entries of its groups.
#[derive(Debug, Default)]
pub(crate) struct AnalysedSynonyms {
    of: FxHashMap<String, Vec<Synonym>>,
    phrases: FxHashMap<String, Vec<(Synonym, Vec<Synonym>)>>,
}

impl AnalysedSynonyms {
    pub(crate) fn new(synonyms: &Synonyms, analyzer: &Analyzer) -> AnalysedSynonyms {
        let mut of: FxHashMap<String, Vec<Synonym>> = FxHashMap::default();
        let mut phrases: FxHashMap<String, Vec<(Synonym, Vec<Synonym>)>> = FxHashMap::default();
        for group in &synonyms.groups {
            let entries: Vec<Synonym> = group
                .iter()
                .map(|written| Synonym {
                    words: analyzer
                        .analyze(written, AnalysisMode::Query)
                        .into_iter()
                        .map(|t| t.text)
                        .collect(),
                    written: written.clone(),
                })
                .filter(|entry| !entry.words.is_empty())
                .collect();
            for entry in &entries {
                let others = match entry.words.as_slice() {
                    [word] => of.entry(word.clone()).or_default(),
                    [first, ..] => {
                        let starting = phrases.entry(first.clone()).or_default();
                        let index = match starting.iter().position(|(known, _)| known.words == entry.words) {
                            Some(index) => index,
                            None => {
                                starting.push((entry.clone(), Vec::new()));
                                starting.len() - 1
                            }
                        };
                        &mut starting[index].1
                    }
                    [] => continue,
                };
                for other in &entries {
                    if other.words != entry.words && !others.iter().any(|known| known.words == other.words) {
                        others.push(other.clone());
                    }
                }
            }
        }
        AnalysedSynonyms { of, phrases }
    }

    /// The longest entry of several words that `words` (analysed query words in order)
    /// begins with, and the other entries of its groups.
    pub(crate) fn longest_phrase_at(&self, words: &[&str]) -> Option<(&Synonym, &[Synonym])> {
        self.phrases
            .get(*words.first()?)?
            .iter()
            .filter(|(entry, _)| {
                entry.words.len() <= words.len() && entry.words.iter().zip(words).all(|(a, b)| a == b)
            })
            .max_by_key(|(entry, _)| entry.words.len())
            .map(|(entry, others)| (entry, others.as_slice()))
    }

    /// The other entries of the groups holding `word`, an analysed query word.
    pub(crate) fn of(&self, word: &str) -> &[Synonym] {
        self.of.get(word).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_read_with_comments_and_errors_name_their_line() {
        let text = "\u{FEFF}# news\n\n特朗普, 川普，Trump  # three ways\nchip, chip, 芯片\n";
        let synonyms = Synonyms::parse("news.txt", text).expect("parses");
        assert_eq!(synonyms.groups, [vec!["特朗普", "川普", "Trump"], vec!["chip", "芯片"]]);
        for (text, message) in [
            ("a, b\nalone\n", "synonyms bad.txt: line 2: a group needs two or more entries: \"alone\""),
            ("a, , b", "synonyms bad.txt: line 1: \"\" has no letter, digit or Chinese character"),
            ("tv => television", "synonyms bad.txt: line 1: one-way rules (=>) are not supported"),
            ("a, b\nx, x\n", "synonyms bad.txt: line 2: a group needs two or more entries: \"x, x\""),
        ] {
            let error = Synonyms::parse("bad.txt", text).expect_err(text);
            assert!(error.to_string().starts_with(message), "{error}");
            assert!(error.is_user_error());
        }
    }

    #[test]
    fn each_one_word_entry_stands_for_the_rest_of_its_groups_as_analysed() {
        let synonyms =
            Synonyms::parse("t", "特朗普, 川普, Trump\n電動車, electric vehicles\nchip, 芯片\nchips, 晶片")
                .expect("parses");
        let analysed = AnalysedSynonyms::new(&synonyms, &Analyzer::new());
        let of = |word: &str| -> Vec<(Vec<String>, String)> {
            analysed.of(word).iter().map(|synonym| (synonym.words.clone(), synonym.written.clone())).collect()
        };
        let words = |words: &[&str]| words.iter().map(|word| word.to_string()).collect::<Vec<_>>();
        assert_eq!(
            of("trump"),
            [(words(&["特朗普"]), "特朗普".to_string()), (words(&["川普"]), "川普".to_string())]
        );
        // Folded and stemmed as queries are; a several-word entry is a phrase.
        assert_eq!(of("电动车"), [(words(&["electr", "vehicl"]), "electric vehicles".to_string())]);
        assert_eq!(of("electr"), []);
        // Typed, a several-word entry is found by its words in order, longest first.
        let (entry, others) = analysed.longest_phrase_at(&["electr", "vehicl", "tariff"]).expect("found");
        assert_eq!((entry.written.as_str(), others.len()), ("electric vehicles", 1));
        assert_eq!(others[0].words, ["电动车"]);
        assert!(analysed.longest_phrase_at(&["electr"]).is_none());
        assert!(analysed.longest_phrase_at(&["vehicl", "electr"]).is_none());
        // Groups sharing a word (chip and chips analyse alike) are joined for it.
        assert_eq!(
            of("chip"),
            [(words(&["芯片"]), "芯片".to_string()), (words(&["晶片"]), "晶片".to_string())]
        );
        assert_eq!(of("芯片"), [(words(&["chip"]), "chip".to_string())]);
    }
}
