//! The analyzer on arbitrary text: no panic, offsets on char boundaries, positions in order.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsdex::{AnalysisMode, Analyzer};

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

fuzz_target!(|text: &str| {
    for mode in [AnalysisMode::Index, AnalysisMode::Query] {
        let tokens = ANALYZER.analyze(text, mode);
        let mut last_position = 0;
        for token in &tokens {
            assert!(token.offset_from < token.offset_to && token.offset_to <= text.len());
            assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            assert!(!token.text.is_empty());
            assert!(token.position >= last_position);
            last_position = token.position;
        }
    }
    let spans = ANALYZER.segment(text);
    let mut end = 0;
    for span in spans {
        assert!(span.start >= end && span.end > span.start && text.is_char_boundary(span.end));
        end = span.end;
    }
});
