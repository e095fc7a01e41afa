//! newsdex: search for bilingual news.
#![doc(html_root_url = "https://docs.rs/newsdex")]

mod analysis;
mod error;
mod fingerprint;

pub use crate::analysis::{
    ANALYZER_VERSION, AnalysisMode, Analyzer, AnalyzerIdentity, NewsTokenStream, NewsTokenizer,
    SENTENCE_POSITION_GAP, Token, TokenKind, UserDictionary,
};
pub use crate::error::{Error, Result};
