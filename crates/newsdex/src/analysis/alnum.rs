//! Alphanumeric blocks: English words, numbers and model names.
//!
//! A block is a run of letters and digits joined by connectors (`COVID-19`, `3.6.3`,
//! `iPhone15`, `China's`). It becomes one word, searchable as typed, and in index mode
//! also its parts (`covid` and `19`, `iphone` and `15`) at the word's position, so a query
//! for a part finds it too. Purely alphabetic words and parts are stemmed (Snowball
//! English) after the possessive is removed.

/// Blocks longer than this (in characters) are not indexed: they are identifiers, hashes
/// or base64, not words anyone searches for, and tantivy caps term length anyway.
pub(crate) const MAX_BLOCK_CHARS: usize = 128;

/// One part of a block, as a range of the block's characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Where a block's characters end once a trailing possessive (`'s`) is removed.
pub(crate) fn strip_possessive(chars: &[char]) -> usize {
    match chars {
        [.., before, '\'', 's'] if before.is_alphanumeric() => chars.len() - 2,
        _ => chars.len(),
    }
}

/// Writes the searchable text of `chars` into `out`: apostrophes dropped (`don't` →
/// `dont`), everything else kept as normalised.
pub(crate) fn word_text(chars: &[char], out: &mut String) {
    out.clear();
    out.extend(chars.iter().filter(|&&c| c != '\''));
}

/// Splits a block into its parts: at connectors (except a `.` between digits, as in
/// `3.6.3`, apostrophes, and trailing `+`/`#` as in `C++`), and between letters and digits.
pub(crate) fn parts(chars: &[char], out: &mut Vec<Part>) {
    out.clear();
    let mut start: Option<usize> = None;
    let mut previous_kind = PartKind::None;
    for index in 0..chars.len() {
        let kind = part_kind(chars, index);
        match kind {
            PartKind::None => {
                if let Some(begin) = start.take() {
                    out.push(Part { start: begin, end: index });
                }
            }
            PartKind::Keep => {}
            PartKind::Letter | PartKind::Digit => {
                let switches = matches!(
                    (previous_kind, kind),
                    (PartKind::Letter, PartKind::Digit) | (PartKind::Digit, PartKind::Letter)
                );
                if switches && let Some(begin) = start.take() {
                    out.push(Part { start: begin, end: index });
                }
                if start.is_none() {
                    start = Some(index);
                }
            }
        }
        if kind != PartKind::Keep {
            previous_kind = kind;
        }
    }
    if let Some(begin) = start {
        out.push(Part { start: begin, end: chars.len() });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    /// A letter (of any script).
    Letter,
    /// A digit.
    Digit,
    /// A connector that stays inside the current part.
    Keep,
    /// A connector that separates parts.
    None,
}

fn part_kind(chars: &[char], index: usize) -> PartKind {
    let c = chars[index];
    if c.is_numeric() {
        return PartKind::Digit;
    }
    if c.is_alphanumeric() {
        return PartKind::Letter;
    }
    let before = index.checked_sub(1).map(|i| chars[i]);
    let after = chars.get(index + 1).copied();
    match c {
        '\'' => PartKind::Keep,
        '.' if before.is_some_and(char::is_numeric) && after.is_some_and(char::is_numeric) => PartKind::Keep,
        '+' | '#' if chars[index..].iter().all(|&t| t == '+' || t == '#') => PartKind::Keep,
        _ => PartKind::None,
    }
}

/// Whether a word should be stemmed: ASCII letters only (English words, not model names,
/// numbers or other scripts).
pub(crate) fn is_stemmable(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(block: &str) -> Vec<String> {
        let chars: Vec<char> = block.chars().collect();
        let mut found = Vec::new();
        parts(&chars, &mut found);
        found
            .iter()
            .map(|part| {
                let mut text = String::new();
                word_text(&chars[part.start..part.end], &mut text);
                text
            })
            .collect()
    }

    #[test]
    fn parts_of_blocks() {
        let table: &[(&str, &[&str])] = &[
            ("covid-19", &["covid", "19"]),
            ("3.6.3", &["3.6.3"]),
            ("iphone15", &["iphone", "15"]),
            ("g20", &["g", "20"]),
            ("5g", &["5", "g"]),
            ("wi-fi", &["wi", "fi"]),
            ("c++", &["c++"]),
            ("at&t", &["at", "t"]),
            ("don't", &["dont"]),
            ("4.5bn", &["4.5", "bn"]),
            ("tariffs", &["tariffs"]),
        ];
        for (block, expected) in table {
            assert_eq!(split(block), *expected, "help: parts of {block}");
        }
    }

    #[test]
    fn possessive_is_stripped() {
        let chars: Vec<char> = "china's".chars().collect();
        assert_eq!(strip_possessive(&chars), 5);
        let chars: Vec<char> = "'s".chars().collect();
        assert_eq!(strip_possessive(&chars), 2, "help: a bare 's is not a possessive");
    }
}
