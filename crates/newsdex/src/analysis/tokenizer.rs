//! The analyzer as a tantivy tokenizer, registered on every index newsdex opens.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::{CharClass, classify, normalize_char};
use super::{AnalysisMode, Analyzer, Positions, Scratch, TokenBuffer};

/// About how many bytes of a text are analysed at a time: a longer text is analysed a
/// part at a time, cut right after a break between words, so the tokens held at once stay
/// bounded (a 45 MB article held all its tokens, about half a gigabyte, beside tantivy's
/// budget). Articles of ordinary length are one part.
const PART_BYTES: usize = 256 << 10;

/// A tantivy [`Tokenizer`] running the [`Analyzer`] in index mode.
///
/// Each clone owns its buffers, so tantivy's indexing threads analyse in parallel without
/// allocating per token.
pub struct NewsTokenizer {
    analyzer: Analyzer,
    scratch: Scratch,
    tokens: TokenBuffer,
    token: Token,
    part_bytes: usize,
}

impl NewsTokenizer {
    pub(crate) fn new(analyzer: Analyzer) -> NewsTokenizer {
        NewsTokenizer::with_part_bytes(analyzer, PART_BYTES)
    }

    fn with_part_bytes(analyzer: Analyzer, part_bytes: usize) -> NewsTokenizer {
        NewsTokenizer {
            analyzer,
            scratch: Scratch::default(),
            tokens: TokenBuffer::default(),
            token: Token::default(),
            part_bytes,
        }
    }
}

impl Clone for NewsTokenizer {
    fn clone(&self) -> Self {
        NewsTokenizer::with_part_bytes(self.analyzer.clone(), self.part_bytes)
    }
}

impl Tokenizer for NewsTokenizer {
    type TokenStream<'a> = NewsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> NewsTokenStream<'a> {
        self.token.reset();
        let mut stream = NewsTokenStream {
            analyzer: &self.analyzer,
            scratch: &mut self.scratch,
            tokens: &mut self.tokens,
            text,
            analysed: 0,
            part_bytes: self.part_bytes,
            positions: Positions::default(),
            next: 0,
            token: &mut self.token,
        };
        stream.analyse_next_part();
        stream
    }
}

/// The tokens of one text, handed to tantivy one at a time, analysed a part at a time.
pub struct NewsTokenStream<'a> {
    analyzer: &'a Analyzer,
    scratch: &'a mut Scratch,
    tokens: &'a mut TokenBuffer,
    text: &'a str,
    /// Bytes of `text` analysed so far.
    analysed: usize,
    part_bytes: usize,
    /// Where the next part's positions go on.
    positions: Positions,
    /// The next token of the current part.
    next: usize,
    token: &'a mut Token,
}

impl NewsTokenStream<'_> {
    /// Analyses the next part of the text into `tokens`: up to the first break between
    /// words at or past `part_bytes` more, or to the end.
    fn analyse_next_part(&mut self) {
        let end = part_end(self.text, self.analysed, self.part_bytes);
        self.analyzer.analyze_part(
            self.text,
            self.analysed..end,
            AnalysisMode::Index,
            self.scratch,
            self.tokens,
            &mut self.positions,
            &mut |_| true,
            true,
        );
        self.analysed = end;
        self.next = 0;
    }
}

/// Where the part of `text` starting at byte `from` ends: right after the first character
/// at or past `part_bytes` more that separates words or ends a sentence (a space, a comma, a
/// full stop, a line break), or at the end of the text. The analyser ends every word and
/// run of Han characters at such a character, and nothing but the word position carries
/// over it, so the parts' tokens are the whole text's.
fn part_end(text: &str, from: usize, part_bytes: usize) -> usize {
    let Some(mut at) = from.checked_add(part_bytes).filter(|&at| at < text.len()) else {
        return text.len();
    };
    while !text.is_char_boundary(at) {
        at += 1;
    }
    text[at..]
        .char_indices()
        .find(|&(_, c)| ends_a_word(c))
        .map_or(text.len(), |(index, c)| at + index + c.len_utf8())
}

/// Whether the analyser ends the word or Han run before `original` and starts nothing with
/// it: it normalises to one character that separates words or ends a sentence.
fn ends_a_word(original: char) -> bool {
    let mut class = None;
    let mut count = 0;
    normalize_char(original, |c| {
        class = Some(classify(c));
        count += 1;
    });
    count == 1 && matches!(class, Some(CharClass::Separator | CharClass::SentenceEnd))
}

impl TokenStream for NewsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while self.next == self.tokens.len() {
            if self.analysed == self.text.len() {
                return false;
            }
            self.analyse_next_part();
        }
        let Some(token) = self.tokens.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token.text.clear();
        self.token.text.push_str(token.text);
        self.token.offset_from = token.offset_from;
        self.token.offset_to = token.offset_to;
        self.token.position = token.position;
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What tantivy would index from `text`: text, offsets and position of each token.
    fn streamed(tokenizer: &mut NewsTokenizer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            let token = stream.token();
            tokens.push((token.text.clone(), token.offset_from, token.offset_to, token.position));
        }
        tokens
    }

    fn analysed(analyzer: &Analyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        analyzer
            .analyze(text, AnalysisMode::Index)
            .into_iter()
            .map(|token| (token.text, token.offset_from, token.offset_to, token.position))
            .collect()
    }

    #[test]
    fn a_long_text_is_indexed_a_part_at_a_time_with_the_tokens_of_the_whole() {
        let analyzer = Analyzer::new();
        let paragraph = "华为在深圳发布新一代芯片，长江大桥通车。\n\
                         Exporters brace for U.S. tariffs on COVID-19 vaccines.\n\
                         臺灣半導體產業 AI 投資增加 iPhone15 銷量\n";
        let text = paragraph.repeat(PART_BYTES / paragraph.len() * 3);
        let mut tokenizer = NewsTokenizer::new(analyzer.clone());
        let tokens = streamed(&mut tokenizer, &text);
        assert_eq!(tokens, analysed(&analyzer, &text));
        assert!(tokens.len() > 100_000, "help: the text spans several parts");
        // The buffers hold one part's tokens, not the text's.
        assert!(tokenizer.tokens.len() < tokens.len() / 2, "help: {} tokens held", tokenizer.tokens.len());
        // A text after it starts again from position 0.
        assert_eq!(streamed(&mut tokenizer, "长江大桥"), analysed(&analyzer, "长江大桥"));
    }

    #[test]
    fn a_long_text_without_line_breaks_is_still_indexed_a_part_at_a_time() {
        let analyzer = Analyzer::new();
        for paragraph in [
            "华为在深圳发布新一代芯片，长江大桥通车。臺灣半導體產業投資增加、銷量上升！",
            "Exporters brace for U.S. tariffs on COVID-19 vaccines, officials said on Monday. ",
        ] {
            let text = paragraph.repeat(PART_BYTES / paragraph.len() * 3);
            let mut tokenizer = NewsTokenizer::new(analyzer.clone());
            let tokens = streamed(&mut tokenizer, &text);
            assert_eq!(tokens, analysed(&analyzer, &text));
            assert!(
                tokenizer.tokens.len() < tokens.len() / 2,
                "help: {} tokens held",
                tokenizer.tokens.len()
            );
        }
    }

    #[test]
    fn a_part_ends_after_a_break_between_words_not_inside_a_word() {
        let text = format!("{}ab U.S. 中国，经济", "x".repeat(10));
        // Past 10 bytes the first break is the space after `ab`.
        assert_eq!(&text[part_end(&text, 0, 10)..], "U.S. 中国，经济");
        // Inside `U.S.` the dots join; the space after it is the next break.
        assert_eq!(&text[part_end(&text, 0, 14)..], "中国，经济");
        // From inside `中`, Han characters run on to the full-width comma.
        assert_eq!(&text[part_end(&text, 0, 19)..], "经济");
        // With no break left, the part runs to the end.
        assert_eq!(part_end(&text, 0, 25), text.len());
        assert_eq!(part_end(&text, 0, 1 << 20), text.len());
    }

    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\n".to_string()),
            Just("\n\n".to_string()),
            Just("\r\n".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("。".to_string()),
            Just("，".to_string()),
            Just("、".to_string()),
            Just("！".to_string()),
            Just("?".to_string()),
            Just(", ".to_string()),
            Just("——".to_string()),
            Just("(".to_string()),
            Just("C++".to_string()),
            Just("e.g.".to_string()),
            Just("5G网络".to_string()),
            Just(".".to_string()),
            Just("U.S.".to_string()),
            Just("COVID-19".to_string()),
            Just("China's".to_string()),
            Just("e\u{301}".to_string()),
            Just("\u{301}".to_string()),
            Just("ＡＩ".to_string()),
            Just("长江大桥".to_string()),
            Just("臺灣".to_string()),
            "[a-zA-Z0-9]{1,6}",
            "[中国华为经济市场發展。，]{1,4}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn parts_cut_between_words_give_the_tokens_of_the_whole_text(text in pieces(), part_bytes in 0usize..24) {
            let analyzer = Analyzer::new();
            let mut tokenizer = NewsTokenizer::with_part_bytes(analyzer.clone(), part_bytes);
            prop_assert_eq!(streamed(&mut tokenizer, &text), analysed(&analyzer, &text), "{:?}", text);
        }
    }
}
