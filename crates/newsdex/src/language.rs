//! Language detection for articles that arrive without `lang`.

use crate::analysis::ScriptFolder;
use crate::article::Lang;

/// How many Latin letters one Han character outweighs when deciding between Chinese and
/// English: a Chinese article quoting English names stays Chinese, an English article
/// quoting a Chinese name stays English.
const HAN_WEIGHT: usize = 4;

/// The share of Han characters with a distinct Traditional form above which text is
/// Traditional. Traditional prose has a fifth or more; Simplified text quoting a
/// Traditional name has well under one percent.
const TRADITIONAL_SHARE: f64 = 0.03;

/// Detects the language of `text` from its scripts: Chinese when Han characters outweigh
/// Latin letters, and then Traditional when enough of them are Traditional forms.
///
/// ```
/// use newsdex::{Lang, detect_language};
///
/// assert_eq!(detect_language("臺灣半導體產業持續擴張"), Lang::ZhHant);
/// assert_eq!(detect_language("台湾半导体产业持续扩张"), Lang::ZhHans);
/// assert_eq!(detect_language("Exporters brace for new tariffs"), Lang::En);
/// assert_eq!(detect_language("华为发布Mate 70手机"), Lang::ZhHans);
/// ```
pub fn detect_language(text: &str) -> Lang {
    let folder = ScriptFolder::shared();
    let mut han = 0usize;
    let mut traditional = 0usize;
    let mut latin = 0usize;
    for c in text.chars() {
        if crate::analysis::is_han(c) {
            han += 1;
            if folder.is_traditional(c) {
                traditional += 1;
            }
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if han == 0 || han * HAN_WEIGHT < latin {
        return Lang::En;
    }
    if traditional as f64 >= TRADITIONAL_SHARE * han as f64 { Lang::ZhHant } else { Lang::ZhHans }
}
