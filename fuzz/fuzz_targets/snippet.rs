//! Snippets of arbitrary text for arbitrary queries: highlight offsets always slice the
//! text, in bytes, chars and UTF-16 units.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdex::{Analyzer, Article, NewsIndex, SearchRequest, SnippetOptions, WriterSettings};

fuzz_target!(|input: (&str, &str, u8)| {
    let (text, query, size) = input;
    if text.trim().is_empty() || query.trim().is_empty() {
        return;
    }
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let mut writer = index.writer(WriterSettings { threads: 1, memory_budget_bytes: 15_000_000 }).expect("writer");
    let article = Article { id: "x".into(), title: text.chars().take(40).collect(), body: text.into(), ..Article::default() };
    writer.upsert(&article).expect("upsert");
    writer.commit().expect("commit");
    let options = SnippetOptions { fragments: 3, fragment_chars: 20 + usize::from(size), ..SnippetOptions::default() };
    let Ok(response) = index.search(&SearchRequest { snippet: options, ..SearchRequest::new(query) }) else { return };
    let chars: Vec<char> = text.chars().collect();
    let utf16: Vec<u16> = text.encode_utf16().collect();
    for hit in response.hits {
        for fragment in hit.fragments {
            for range in fragment.highlights.iter().chain([&fragment.range]) {
                let bytes = &text[range.byte[0]..range.byte[1]];
                let by_chars: String = chars[range.char[0]..range.char[1]].iter().collect();
                let by_utf16 = String::from_utf16(&utf16[range.utf16[0]..range.utf16[1]]).expect("utf-16");
                assert_eq!(bytes, by_chars);
                assert_eq!(bytes, by_utf16);
            }
        }
    }
});
