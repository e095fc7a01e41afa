//! The analyzer as a tantivy tokenizer, registered on every index newsdex opens.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{AnalysisMode, Analyzer, Scratch, TokenBuffer};

/// A tantivy [`Tokenizer`] running the [`Analyzer`] in index mode.
///
/// Each clone owns its buffers, so tantivy's indexing threads analyse in parallel without
/// allocating per token.
pub struct NewsTokenizer {
    analyzer: Analyzer,
    scratch: Scratch,
    tokens: TokenBuffer,
    token: Token,
}

impl NewsTokenizer {
    pub(crate) fn new(analyzer: Analyzer) -> NewsTokenizer {
        NewsTokenizer {
            analyzer,
            scratch: Scratch::default(),
            tokens: TokenBuffer::default(),
            token: Token::default(),
        }
    }
}

impl Clone for NewsTokenizer {
    fn clone(&self) -> Self {
        NewsTokenizer::new(self.analyzer.clone())
    }
}

impl Tokenizer for NewsTokenizer {
    type TokenStream<'a> = NewsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> NewsTokenStream<'a> {
        self.analyzer.analyze_into(
            text,
            AnalysisMode::Index,
            &mut self.scratch,
            &mut self.tokens,
            &mut |_| true,
        );
        self.token.reset();
        NewsTokenStream { tokens: &self.tokens, next: 0, token: &mut self.token }
    }
}

/// The tokens of one text, handed to tantivy one at a time.
pub struct NewsTokenStream<'a> {
    tokens: &'a TokenBuffer,
    next: usize,
    token: &'a mut Token,
}

impl TokenStream for NewsTokenStream<'_> {
    fn advance(&mut self) -> bool {
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
