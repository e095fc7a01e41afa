//! Character normalisation and classification: the first stage of analysis.
//!
//! Every character of the original text is normalised on its own (Unicode compatibility
//! forms, full-width to half-width, lowercase) into zero or more characters, and each
//! normalised character is classified so the analyzer can split the text into script runs.
//! Normalising per character keeps an exact map back to the original bytes: every
//! normalised character remembers the byte range of the original character it came from.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// What a normalised character is, for splitting text into runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// A Han ideograph: segmented by the Chinese segmenter.
    Han,
    /// A letter or digit of any other script: part of an alphanumeric block.
    Alnum,
    /// A character that joins alphanumerics into one block when it stands between them
    /// (`COVID-19`, `3.6.3`, `AT&T`, `C++`).
    Connector,
    /// The end of a sentence or paragraph: phrases do not match across it.
    SentenceEnd,
    /// Whitespace, punctuation, symbols and emoji: never part of a token.
    Separator,
}

/// Normalises one original character, handing each resulting character to `emit`.
///
/// ASCII and the common CJK ranges take a fast path; everything else goes through NFKC
/// and lowercasing. The output for a character never depends on its neighbours, which is
/// what lets full-width and half-width input give the same tokens.
#[inline]
pub(crate) fn normalize_char(original: char, mut emit: impl FnMut(char)) {
    let code = original as u32;
    if code < 0x80 {
        emit(original.to_ascii_lowercase());
        return;
    }
    if is_unified_han(code) {
        emit(original);
        return;
    }
    // Full-width ASCII variants (ＡＩ１２３) map to ASCII by a fixed offset.
    if (0xFF01..=0xFF5E).contains(&code) {
        if let Some(ascii) = char::from_u32(code - 0xFEE0) {
            emit(ascii.to_ascii_lowercase());
        }
        return;
    }
    // Typographic apostrophes fold to the ASCII one so `China’s` and `China's` agree.
    if matches!(original, '\u{2018}' | '\u{2019}' | '\u{02BC}') {
        emit('\'');
        return;
    }
    // Common CJK and typographic punctuation (、「」…, — “ ” ·) is its own NFKC form and
    // has no case: skip the general path.
    if (0x3001..=0x3035).contains(&code) || matches!(code, 0x2013 | 0x2014 | 0x201C | 0x201D | 0xB7) {
        emit(original);
        return;
    }
    // Invisible joiners — a soft hyphen, the zero-width (non-)joiner, the word joiner and
    // U+FEFF — sit inside words (`inter\u{AD}national`) without ending them: dropped, as
    // accents are. The zero-width space marks a word boundary and stays a separator.
    if matches!(original, '\u{AD}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}') {
        return;
    }
    if is_combining_mark(original) {
        // A Latin diacritic written as its own character (decomposed text) is dropped, as
        // it is when it comes composed with its letter: `cafe\u{301}` is `café` is `cafe`.
        if !is_combining_diacritic(code) {
            emit(original);
        }
        return;
    }
    for composed in std::iter::once(original).nfkc() {
        for lower in composed.to_lowercase() {
            if let Some(base) = latin_base(lower) {
                emit(base);
            } else if !is_combining_diacritic(lower as u32) {
                emit(lower);
            }
        }
    }
}

/// Whether a code point is in the Combining Diacritical Marks block (U+0300–U+036F), the
/// accents of Latin letters.
#[inline]
fn is_combining_diacritic(code: u32) -> bool {
    (0x300..=0x36F).contains(&code)
}

/// The ASCII letter under a Latin letter with diacritics (`é` → `e`, `ñ` → `n`, `ǎ` → `a`,
/// `ş` → `s`), so `Sao Paulo` finds `São Paulo` and `Nestle` finds `Nestlé`. Letters that
/// are not an ASCII letter plus accents (`ø`, `ß`, `ł`, `æ`) and other scripts (`й`, `ά`,
/// `ば`) stay as they are.
#[inline]
fn latin_base(c: char) -> Option<char> {
    let code = c as u32;
    if !((0xC0..=0x24F).contains(&code) || (0x1E00..=0x1EFF).contains(&code)) {
        return None;
    }
    let mut decomposed = std::iter::once(c).nfd();
    let base = decomposed.next().filter(char::is_ascii_alphabetic)?;
    decomposed.all(|mark| is_combining_diacritic(mark as u32)).then_some(base)
}

/// Classifies a normalised character.
#[inline]
pub(crate) fn classify(normalized: char) -> CharClass {
    let code = normalized as u32;
    if code < 0x80 {
        return match normalized {
            'a'..='z' | 'A'..='Z' | '0'..='9' => CharClass::Alnum,
            '-' | '.' | '_' | '\'' | '+' | '#' | '&' | '/' => CharClass::Connector,
            '!' | '?' | '\n' => CharClass::SentenceEnd,
            _ => CharClass::Separator,
        };
    }
    if is_han(code) {
        return CharClass::Han;
    }
    match normalized {
        '。' | '｡' | '\u{2029}' => CharClass::SentenceEnd,
        '\u{3001}' | '\u{3003}' | '\u{3004}' | '\u{3006}' | '\u{3008}'..='\u{3020}' | '\u{3030}' => {
            CharClass::Separator
        }
        _ if normalized.is_alphanumeric() => CharClass::Alnum,
        _ => CharClass::Separator,
    }
}

/// Whether a code point is in the main CJK Unified Ideographs blocks (BMP), where
/// normalisation is the identity.
#[inline]
fn is_unified_han(code: u32) -> bool {
    (0x4E00..=0x9FFF).contains(&code) || (0x3400..=0x4DBF).contains(&code)
}

/// Whether a code point is a Han ideograph the Chinese segmenter should see: the unified
/// ideographs of every extension, plus 〇 and the iteration mark 々.
#[inline]
pub(crate) fn is_han(code: u32) -> bool {
    is_unified_han(code) || (0x20000..=0x323AF).contains(&code) || code == 0x3007 || code == 0x3005
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            normalize_char(c, |n| out.push(n));
        }
        out
    }

    #[test]
    fn full_width_folds_to_half_width_lowercase() {
        assert_eq!(normalized("ＡＩ１２３"), "ai123", "help: full-width ASCII must map by offset");
        assert_eq!(normalized("Ｇ２０峰会"), "g20峰会");
    }

    #[test]
    fn compatibility_forms_are_folded() {
        assert_eq!(normalized("ﬁve"), "five", "help: NFKC must expand the fi ligature");
        assert_eq!(normalized("①"), "1");
        // A CJK compatibility ideograph folds to its unified form.
        assert_eq!(normalized("\u{F900}"), "\u{8C48}");
        assert_eq!(normalized("China’s"), "china's");
    }

    #[test]
    fn latin_letters_lose_their_accents() {
        assert_eq!(normalized("São Paulo"), "sao paulo");
        assert_eq!(
            normalized("NESTLÉ Zürich Ñandú Erdoğan Gdańsk Việt"),
            "nestle zurich nandu erdogan gdansk viet"
        );
        // Decomposed text gives the same characters as composed text.
        assert_eq!(normalized("cafe\u{301}s"), normalized("cafés"));
        assert_eq!(normalized("İstanbul"), "istanbul");
        // Letters that are not an ASCII letter with accents, and other scripts, stay.
        assert_eq!(normalized("øßłæ"), "øßłæ");
        assert_eq!(normalized("йάば"), "йάば");
        // Other combining marks stay (the dakuten of decomposed kana, a variation selector).
        assert_eq!(normalized("は\u{3099}\u{FE0F}"), "は\u{3099}\u{FE0F}");
    }

    #[test]
    fn invisible_joiners_vanish_and_the_zero_width_space_separates() {
        assert_eq!(
            normalized("inter\u{AD}national co\u{200D}op\u{2060}s \u{FEFF}x"),
            "international coops x"
        );
        assert_eq!(normalized("foo\u{200B}bar"), "foo\u{200B}bar");
        assert_eq!(classify('\u{200B}'), CharClass::Separator);
    }

    #[test]
    fn classes() {
        let table = [
            ('中', CharClass::Han),
            ('𠀀', CharClass::Han),
            ('a', CharClass::Alnum),
            ('7', CharClass::Alnum),
            ('é', CharClass::Alnum),
            ('-', CharClass::Connector),
            ('.', CharClass::Connector),
            ('。', CharClass::SentenceEnd),
            ('!', CharClass::SentenceEnd),
            ('\n', CharClass::SentenceEnd),
            (',', CharClass::Separator),
            ('，', CharClass::Separator),
            ('😀', CharClass::Separator),
            (' ', CharClass::Separator),
        ];
        for (c, class) in table {
            assert_eq!(classify(c), class, "help: wrong class for {c:?}");
        }
    }
}
