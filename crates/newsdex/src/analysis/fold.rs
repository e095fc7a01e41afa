//! Traditional → Simplified folding of Han runs.
//!
//! Han text is folded to Simplified before segmentation (jieba's dictionary is Simplified)
//! and before indexing, so a Simplified query finds a Traditional article and the reverse.
//! The conversion data is OpenCC's `t2s` (TSPhrases + TSCharacters) through the
//! `ferrous-opencc` crate, a maintained pure-Rust OpenCC: no C library to install, and the
//! same dictionaries every OpenCC user relies on.
//!
//! Every OpenCC `t2s` mapping keeps the number of characters, so character `i` of the
//! folded run is character `i` of the original run: that is the offset map, and highlights
//! land on the original (Traditional) characters.
//!
//! Running OpenCC over every run would cost more than segmentation itself, so the folder
//! keeps a dense per-character table built from OpenCC at start-up and asks OpenCC only
//! about the neighbourhood of characters whose result can depend on context: the
//! characters that some TSPhrases entry converts differently from TSCharacters (`瞭解` →
//! `了解` while `瞭` alone stays), and characters outside the table's range.

use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// First code point of the dense table: CJK Extension A.
const TABLE_START: u32 = 0x3400;
/// Last code point of the dense table: the end of CJK Unified Ideographs.
const TABLE_END: u32 = 0x9FFF;

/// The characters whose `t2s` conversion depends on the phrase they appear in: every
/// character that some TSPhrases entry maps differently from TSCharacters. A run holding
/// one of them is converted by OpenCC as a whole. `phrase_dependent_characters_are_complete`
/// checks the fast path against OpenCC on real text.
const PHRASE_DEPENDENT: &str = "么乾俱吒噁彷徵於昇沈濛牴畫瞭薹藉衹覆鉅鍊鍾麼麽";

/// The longest key of OpenCC's t2s dictionaries, in characters: how far a phrase can
/// reach from a context-dependent character.
const LONGEST_PHRASE: usize = 14;

/// Folds Traditional Han characters to Simplified, keeping character counts.
pub(crate) struct ScriptFolder {
    converter: OpenCC,
    /// `table[c - TABLE_START]` is the Simplified form of `c` (or `c` itself), with
    /// [`CONTEXT_DEPENDENT`] set when the run holding `c` must go through OpenCC.
    table: Vec<u32>,
}

/// Flag in a table entry: the character's conversion depends on its phrase.
const CONTEXT_DEPENDENT: u32 = 1 << 31;

/// One character's folding: its context-free Simplified form, and whether the run holding
/// it must be converted by OpenCC as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Folding {
    pub(crate) folded: char,
    pub(crate) context_dependent: bool,
}

static FOLDER: LazyLock<ScriptFolder> = LazyLock::new(ScriptFolder::build);

impl ScriptFolder {
    /// The process-wide folder, built on first use.
    pub(crate) fn shared() -> &'static ScriptFolder {
        &FOLDER
    }

    fn build() -> ScriptFolder {
        // The t2s configuration is compiled into ferrous-opencc; failing to load it is a
        // broken build, not a runtime condition.
        #[allow(clippy::expect_used)]
        let converter =
            OpenCC::from_config(BuiltinConfig::T2s).expect("the embedded OpenCC t2s configuration loads");
        let mut table = Vec::with_capacity((TABLE_END - TABLE_START + 1) as usize);
        let mut buffer = [0u8; 4];
        for code in TABLE_START..=TABLE_END {
            let Some(original) = char::from_u32(code) else {
                table.push(code);
                continue;
            };
            let converted = converter.convert(original.encode_utf8(&mut buffer));
            let mut chars = converted.chars();
            let (folded, context_dependent) = match (chars.next(), chars.next()) {
                (Some(single), None) => (single, PHRASE_DEPENDENT.contains(original)),
                // Not one character: let OpenCC handle every run holding it.
                _ => (original, true),
            };
            table.push(folded as u32 | if context_dependent { CONTEXT_DEPENDENT } else { 0 });
        }
        ScriptFolder { converter, table }
    }

    /// How one character folds. Characters outside the table's range (Extension B and
    /// beyond) are left to OpenCC.
    #[inline]
    pub(crate) fn folding(&self, c: char) -> Folding {
        let code = c as u32;
        if (TABLE_START..=TABLE_END).contains(&code) {
            let entry = self.table[(code - TABLE_START) as usize];
            Folding {
                folded: char::from_u32(entry & !CONTEXT_DEPENDENT).unwrap_or(c),
                context_dependent: entry & CONTEXT_DEPENDENT != 0,
            }
        } else {
            Folding { folded: c, context_dependent: true }
        }
    }

    /// Whether the character with this code point (in the table's range) folds to itself
    /// whatever its context: the common case, checked without decoding an entry.
    #[inline]
    pub(crate) fn folds_to_itself(&self, code: u32) -> bool {
        code.checked_sub(TABLE_START).and_then(|index| self.table.get(index as usize)) == Some(&code)
    }

    /// The Simplified form of one character, without context.
    #[inline]
    pub(crate) fn fold_char(&self, c: char) -> char {
        self.folding(c).folded
    }

    /// Whether `c` is written differently in Simplified Chinese (a Traditional form).
    #[inline]
    pub(crate) fn is_traditional(&self, c: char) -> bool {
        self.fold_char(c) != c
    }

    /// Folds a run of Han characters into `out` (cleared first). The output has exactly as
    /// many characters as the input.
    pub(crate) fn fold_run(&self, run: &str, out: &mut String) {
        out.clear();
        let mut context_dependent = false;
        for c in run.chars() {
            let folding = self.folding(c);
            context_dependent |= folding.context_dependent;
            out.push(folding.folded);
        }
        if context_dependent {
            self.convert_run(run, out);
        }
    }

    /// Refolds the neighbourhoods of the context-dependent characters of a run with OpenCC.
    /// `run` is the run before folding, `flagged` the indices of its context-dependent
    /// characters (ascending), `folded` its per-character folding, overwritten in place.
    /// Each neighbourhood reaches as far as the longest OpenCC phrase, so any phrase
    /// covering a flagged character is seen whole.
    pub(crate) fn refold_in_context(&self, run: &[char], flagged: &[usize], folded: &mut [char]) {
        debug_assert_eq!(run.len(), folded.len());
        let mut window: Option<(usize, usize)> = None;
        let mut text = String::new();
        let mut convert = |(from, to): (usize, usize)| {
            text.clear();
            text.extend(&run[from..to]);
            let converted = self.converter.convert(&text);
            if converted.chars().count() == to - from {
                for (slot, c) in folded[from..to].iter_mut().zip(converted.chars()) {
                    *slot = c;
                }
            } else {
                tracing::debug!(text, "OpenCC changed the length of a run; folding per character");
            }
        };
        for &index in flagged {
            let from = index.saturating_sub(LONGEST_PHRASE - 1);
            let to = (index + LONGEST_PHRASE).min(run.len());
            window = match window {
                Some((start, end)) if from <= end => Some((start, to.max(end))),
                Some(previous) => {
                    convert(previous);
                    Some((from, to))
                }
                None => Some((from, to)),
            };
        }
        if let Some(last) = window {
            convert(last);
        }
    }

    /// Converts a run with OpenCC itself into `out`, for runs holding a
    /// context-dependent character; `out` already holds the per-character folding, kept
    /// if OpenCC ever changes the run's length (so the offset map stays exact).
    pub(crate) fn convert_run(&self, run: &str, out: &mut String) {
        let converted = self.converter.convert(run);
        if converted.chars().count() == run.chars().count() {
            out.clear();
            out.push_str(&converted);
        } else {
            tracing::debug!(run, "OpenCC changed the length of a run; folding per character");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(text: &str) -> String {
        let mut out = String::new();
        ScriptFolder::shared().fold_run(text, &mut out);
        out
    }

    #[test]
    fn traditional_folds_to_simplified() {
        let table = [
            ("臺灣半導體產業", "台湾半导体产业"),
            ("軟體更新", "软体更新"),
            ("瞭解", "了解"),
            ("藉由", "借由"),
            ("回覆", "回复"),
            ("乾隆", "乾隆"),
            ("乾淨", "干净"),
            ("南京市长江大桥", "南京市长江大桥"),
        ];
        for (input, expected) in table {
            assert_eq!(fold(input), expected, "help: t2s folding of {input}");
        }
    }

    #[test]
    fn refolding_in_context_agrees_with_opencc() {
        let folder = ScriptFolder::shared();
        let runs = [
            "臺灣的半導體產業藉由政府補助擴大規模業者回覆記者提問時表示瞭解市場需求",
            "乾隆皇帝的乾坤一擲反覆思量後沈默不語著名學者於會議中徵詢意見",
            "位於臺北的公司於今年瞭望未來並藉此機會擴大投資計畫",
        ];
        for run in runs {
            assert!(
                run.chars().any(|c| folder.folding(c).context_dependent),
                "help: {run} should hold context-dependent characters"
            );
            let refolded = fold_like_the_analyzer(folder, run);
            assert_eq!(refolded, folder.converter.convert(run), "help: windows must see whole phrases");
        }
    }

    /// The analyzer's way to fold a run: the table, then OpenCC around context-dependent
    /// characters.
    fn fold_like_the_analyzer(folder: &ScriptFolder, run: &str) -> String {
        let chars: Vec<char> = run.chars().collect();
        let mut folded: Vec<char> = chars.iter().map(|&c| folder.fold_char(c)).collect();
        let flagged: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| folder.folding(**c).context_dependent)
            .map(|(i, _)| i)
            .collect();
        folder.refold_in_context(&chars, &flagged, &mut folded);
        folded.into_iter().collect()
    }

    #[test]
    fn folding_agrees_with_opencc_on_real_traditional_news() {
        let corpus = std::env::var_os("NEWSDEX_CORPUS").map(std::path::PathBuf::from).unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
        let path = corpus.join("appledaily-tw.zh-Hant.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} is absent (set NEWSDEX_CORPUS to the corpus directory)", path.display());
            return;
        };
        let folder = ScriptFolder::shared();
        let mut runs = 0;
        for line in text.lines().take(400) {
            let value: serde_json::Value = serde_json::from_str(line).expect("corpus line");
            let body = value["body"].as_str().unwrap_or_default();
            let mut run = String::new();
            for c in body.chars().chain(std::iter::once('。')) {
                if super::super::normalize::is_han(c as u32) {
                    run.push(c);
                    continue;
                }
                if !run.is_empty() {
                    assert_eq!(
                        fold_like_the_analyzer(folder, &run),
                        folder.converter.convert(&run),
                        "help: {run}"
                    );
                    runs += 1;
                    run.clear();
                }
            }
        }
        assert!(runs > 1000, "help: too few runs compared ({runs})");
    }

    #[test]
    fn folding_keeps_character_counts() {
        let text = "𠀀臺灣𡃁瞭望";
        assert_eq!(fold(text).chars().count(), text.chars().count());
    }

    #[test]
    fn table_path_agrees_with_opencc() {
        // Runs without a phrase-dependent character take the table; the result must be
        // exactly what OpenCC gives for the whole run.
        let folder = ScriptFolder::shared();
        let samples = [
            "臺灣的半導體產業擴大規模業者表示市場需求強勁",
            "香港特區政府今日公佈最新數據經濟增長放緩",
            "電動車銷量創新高電池價格下跌消費者信心回升",
            "人工智慧模型訓練需要大量運算資源與電力",
        ];
        for sample in samples {
            assert!(!sample.chars().any(|c| PHRASE_DEPENDENT.contains(c)));
            let mut fast = String::new();
            folder.fold_run(sample, &mut fast);
            assert_eq!(fast, folder.converter.convert(sample), "help: table disagrees on {sample}");
        }
    }
}
