//! What the fuzz targets check, one function per target, each taking the fuzzer's raw
//! bytes (invalid UTF-8 is replaced with U+FFFD, so no input is wasted).
//!
//! The fuzz targets (`fuzz/fuzz_targets/*.rs`) and the test that replays the seeds and
//! crash reproducers (`crates/newsdex/tests/fuzz_seeds.rs`) both include this file, so CI
//! checks every kept input exactly as the fuzzer did, without cargo-fuzz.

use std::sync::LazyLock;

use newsdex::{
    AnalysisBuffer, AnalysisMode, Analyzer, Article, Error, Hit, NewsIndex, SearchRequest, SnippetOptions,
    SortOrder, TextRange, Token, TokenKind, WriterSettings,
};

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

/// Articles the query target searches: both scripts, English, mixed text, HTML-special
/// characters, emoji and Extension B, short and long sentences.
const QUERY_ARTICLES: [(&str, &str, &str); 5] = [
    ("hant", "華為發布Mate 70手機", "新機搭載自研晶片，預購人數已超過三百萬。分析師說：「供應鏈仍然吃緊」！"),
    (
        "en",
        "Exporters brace for new tariffs & <quotas>",
        "Shipping firms said the tariffs would hit electronics first. \
         Rates rose 3.6% in Q3; \"it's early\", one said.",
    ),
    (
        "hans",
        "南京市长江大桥夜景",
        "游客在南京市长江大桥上拍照。COVID-19 疫苗 G20 iPhone15 3.6.3 5G 网络\n第二段：大桥维修。",
    ),
    (
        "mixed",
        "特朗普 tariff 政策 😀",
        "ＡＩ１２３ 全角字符与𠀀扩展字符混排，trade war 贸易战 持续升级；美方 said “no deal”.",
    ),
    (
        "long",
        "经济",
        "经济学家表示，今年的经济增长目标是百分之五左右，这一目标需要消费、投资和出口共同发力才能实现。",
    ),
];

/// The index the query target searches, built once.
static QUERY_INDEX: LazyLock<(NewsIndex, Vec<Article>)> = LazyLock::new(|| {
    let articles: Vec<Article> = QUERY_ARTICLES
        .iter()
        .map(|(id, title, body)| Article {
            id: (*id).to_string(),
            title: (*title).to_string(),
            body: (*body).to_string(),
            ..Article::default()
        })
        .collect();
    let index = NewsIndex::create_in_ram(ANALYZER.clone()).expect("an index in memory");
    let mut writer = index.writer(small_writer()).expect("a writer");
    for article in &articles {
        writer.upsert(article).expect("the query corpus is valid");
    }
    writer.commit().expect("commit");
    (index, articles)
});

fn small_writer() -> WriterSettings {
    WriterSettings::new(1, 15_000_000)
}

/// The analyzer on arbitrary text: token ranges slice the text on char boundaries,
/// positions never decrease, no token is whitespace or punctuation, index mode's words
/// are exactly query mode's tokens, sub-words sit inside their word, and the
/// segmentation covers every non-whitespace character exactly once.
pub fn analyzer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let indexed = ANALYZER.analyze(text, AnalysisMode::Index);
    let queried = ANALYZER.analyze(text, AnalysisMode::Query);
    check_tokens(text, &indexed);
    check_tokens(text, &queried);
    let words: Vec<&Token> = indexed.iter().filter(|token| token.kind == TokenKind::Word).collect();
    assert_eq!(
        words,
        queried.iter().collect::<Vec<_>>(),
        "{text:?}: index mode's words must be query mode's tokens, or phrases stop matching"
    );
    for sub_word in indexed.iter().filter(|token| token.kind == TokenKind::SubWord) {
        assert!(
            words.iter().any(|word| word.position == sub_word.position
                && word.offset_from <= sub_word.offset_from
                && sub_word.offset_to <= word.offset_to),
            "{text:?}: sub-word {sub_word:?} is not inside a word at its position"
        );
    }
    // A reused buffer, dirty from another text, gives the same tokens.
    let mut buffer = AnalysisBuffer::default();
    let _ = ANALYZER.analyze_with("臺灣半導體 COVID-19 tariffs", AnalysisMode::Index, &mut buffer).count();
    let reused: Vec<Token> =
        ANALYZER.analyze_with(text, AnalysisMode::Index, &mut buffer).map(|token| token.to_token()).collect();
    assert_eq!(reused, indexed, "{text:?}: a reused buffer must not change the tokens");
    check_segmentation(text, &ANALYZER.segment(text));
}

fn check_tokens(text: &str, tokens: &[Token]) {
    let mut last_position = 0;
    for token in tokens {
        assert!(
            token.offset_from < token.offset_to && token.offset_to <= text.len(),
            "{text:?}: {token:?} has an empty or out-of-bounds range"
        );
        assert!(
            text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to),
            "{text:?}: {token:?} is not on char boundaries"
        );
        assert!(
            token.text.chars().any(|c| c.is_alphanumeric() || is_supplementary_ideograph(c))
                && !token.text.chars().any(char::is_whitespace),
            "{text:?}: {token:?} has no letter or digit (punctuation), or holds whitespace"
        );
        assert!(
            token.position >= last_position,
            "{text:?}: {token:?} goes back from position {last_position}"
        );
        last_position = token.position;
    }
}

/// The supplementary ideographic planes, which the analyzer takes as Han whole, including
/// code points not assigned yet (ideographs are added there with each Unicode version).
fn is_supplementary_ideograph(c: char) -> bool {
    ('\u{20000}'..='\u{323AF}').contains(&c)
}

/// Spans in order, disjoint, on char boundaries, covering every non-whitespace
/// character exactly once.
fn check_segmentation(text: &str, spans: &[std::ops::Range<usize>]) {
    let mut end = 0;
    let mut covered = 0;
    for span in spans {
        assert!(
            span.start >= end && span.start < span.end && span.end <= text.len(),
            "{text:?}: span {span:?} after {end} is out of order, empty or out of bounds"
        );
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{text:?}: {span:?}");
        covered += text[span.clone()].chars().filter(|c| !c.is_whitespace()).count();
        end = span.end;
    }
    let expected = text.chars().filter(|c| !c.is_whitespace()).count();
    assert_eq!(covered, expected, "{text:?}: the segmentation must cover every non-whitespace character");
}

/// The query language on arbitrary input, against a small fixed index: a search
/// answers, or fails with [`Error::InvalidQuery`] (too long or nothing searchable) and
/// nothing else; answers are well-formed pages whose highlights slice the stored text.
pub fn query(data: &[u8]) {
    let query = String::from_utf8_lossy(data).into_owned();
    let (index, articles) = &*QUERY_INDEX;
    // The whole corpus fits in one page: every match is on it.
    let page = articles.len();
    let mut relevance_scores = std::collections::HashMap::new();
    for (sort, facets) in [(SortOrder::Relevance, true), (SortOrder::Date, false)] {
        let request = SearchRequest { sort, facets, limit: page, ..SearchRequest::new(query.clone()) };
        let response = match index.search(&request) {
            Ok(response) => response,
            Err(Error::InvalidQuery(_)) => continue,
            Err(error) => panic!("{query:?}: a query may only fail as an invalid query, not: {error}"),
        };
        assert!(!query.trim().is_empty(), "{query:?}: a blank query must be refused");
        assert_eq!(response.total, response.hits.len() as u64, "{query:?}: every match fits in a page");
        assert_eq!(response.facets.is_some(), facets, "{query:?}: facets only when asked");
        let mut seen = std::collections::HashSet::new();
        for hit in &response.hits {
            assert!(hit.score.is_finite() && hit.score >= 0.0, "{query:?}: score {}", hit.score);
            assert!(seen.insert(hit.id.as_str()), "{query:?}: {} twice in one page", hit.id);
            let article = articles.iter().find(|article| article.id == hit.id).expect("a hit is an article");
            check_hit(hit, article, &request.snippet);
        }
        match sort {
            SortOrder::Relevance => {
                for pair in response.hits.windows(2) {
                    assert!(pair[0].score >= pair[1].score, "{query:?}: hits out of score order");
                }
                relevance_scores = response.hits.iter().map(|hit| (hit.id.clone(), hit.score)).collect();
            }
            SortOrder::Date => {
                assert_eq!(
                    seen.len(),
                    relevance_scores.len(),
                    "{query:?}: both orders find the same articles"
                );
                for hit in &response.hits {
                    let score = relevance_scores.get(&hit.id).copied().unwrap_or(f32::NAN);
                    assert!(
                        (hit.score - score).abs() <= score.abs() * 1e-4 + 1e-6,
                        "{query:?}: {} scores {} by date but {score} by relevance",
                        hit.id,
                        hit.score
                    );
                }
            }
        }
    }
}

/// Snippets of an arbitrary text for an arbitrary query. The input is one byte of
/// options (fragment count and size), then the query, a 0xFF byte (never part of UTF-8)
/// and the text; without 0xFF, the rest is both query and text.
pub fn snippet(data: &[u8]) {
    let Some((&options_byte, rest)) = data.split_first() else {
        return;
    };
    let (query_bytes, text_bytes) = match rest.iter().position(|&byte| byte == 0xFF) {
        Some(split) => (&rest[..split], &rest[split + 1..]),
        None => (rest, rest),
    };
    let query = String::from_utf8_lossy(query_bytes).into_owned();
    let text = String::from_utf8_lossy(text_bytes).into_owned();
    let options = SnippetOptions {
        fragments: usize::from(options_byte % 4),
        fragment_chars: 20 + usize::from(options_byte / 4),
        pre_tag: "<em>".into(),
        post_tag: "</em>".into(),
    };
    let article = Article {
        id: "fuzz".into(),
        title: text.chars().take(40).collect(),
        body: text,
        ..Article::default()
    };
    let index = NewsIndex::create_in_ram(ANALYZER.clone()).expect("an index in memory");
    let mut writer = index.writer(small_writer()).expect("a writer");
    match writer.upsert(&article) {
        Ok(_) => {}
        Err(Error::InvalidArticle(_)) if article.body.trim().is_empty() => return,
        Err(error) => panic!("{:?}: the article must be accepted: {error}", article.body),
    }
    writer.commit().expect("commit");
    let request = SearchRequest { snippet: options.clone(), ..SearchRequest::new(query.clone()) };
    let response = match index.search(&request) {
        Ok(response) => response,
        Err(Error::InvalidQuery(_)) => return,
        Err(error) => panic!("{query:?}: a query may only fail as an invalid query, not: {error}"),
    };
    assert!(response.hits.len() <= 1, "{query:?}: one article, {} hits", response.hits.len());
    for hit in &response.hits {
        assert_eq!(hit.id, "fuzz");
        check_hit(hit, &article, &options);
    }
}

/// A hit against the article it came from: the title and every fragment marked exactly
/// at their highlights, and every range consistent in bytes, chars and UTF-16 units.
fn check_hit(hit: &Hit, article: &Article, options: &SnippetOptions) {
    assert_eq!(hit.title, article.title, "{}: the title as stored", hit.id);
    check_highlights(&article.title, [0, article.title.len()], &hit.title_highlights);
    assert_eq!(
        hit.title_html,
        marked(&article.title, [0, article.title.len()], &hit.title_highlights, options),
        "{}: the title's HTML must mark exactly its highlights",
        hit.id
    );
    let body = article.body.as_str();
    let expect_fragments = options.fragments > 0 && !body.trim().is_empty();
    assert!(
        hit.fragments.len() <= options.fragments && hit.fragments.is_empty() != expect_fragments,
        "{}: {} fragments for {} asked, body {body:?}",
        hit.id,
        hit.fragments.len(),
        options.fragments
    );
    assert_eq!(hit.snippet, hit.fragments.first().map(|fragment| fragment.html.clone()).unwrap_or_default());
    for fragment in &hit.fragments {
        check_range(body, &fragment.range);
        let [start, end] = fragment.range.byte;
        assert!(start < end, "{body:?}: an empty fragment {:?}", fragment.range);
        assert_eq!(fragment.text, body[start..end], "the fragment's text is the body at its range");
        assert!(
            fragment.text.chars().count() <= options.fragment_chars,
            "{body:?}: fragment {:?} is longer than {} chars",
            fragment.text,
            options.fragment_chars
        );
        check_highlights(body, fragment.range.byte, &fragment.highlights);
        let core = marked(body, [start, end], &fragment.highlights, options);
        // `…` marks a cut inside a sentence: only where there is text beyond the fragment.
        let mut forms = vec![core.clone()];
        if start > 0 {
            forms.push(format!("…{core}"));
        }
        if end < body.len() {
            forms.push(format!("{core}…"));
        }
        if start > 0 && end < body.len() {
            forms.push(format!("…{core}…"));
        }
        assert!(
            forms.contains(&fragment.html),
            "{body:?}: fragment HTML {:?} must be {core:?}, with … only where cut",
            fragment.html
        );
    }
}

/// Ranges sorted, disjoint, non-empty, inside `within`, each consistent.
fn check_highlights(text: &str, within: [usize; 2], highlights: &[TextRange]) {
    let mut end = within[0];
    for range in highlights {
        check_range(text, range);
        assert!(
            range.byte[0] >= end && range.byte[0] < range.byte[1] && range.byte[1] <= within[1],
            "{text:?}: highlight {range:?} is empty, overlaps the previous one or leaves {within:?}"
        );
        end = range.byte[1];
    }
}

/// A range slices `text` on char boundaries, and its char and UTF-16 offsets count the
/// same prefixes as its byte offsets.
fn check_range(text: &str, range: &TextRange) {
    let [from, to] = range.byte;
    assert!(from <= to && to <= text.len(), "{text:?}: {range:?} is out of bounds");
    assert!(text.is_char_boundary(from) && text.is_char_boundary(to), "{text:?}: {range:?} splits a char");
    let chars = [text[..from].chars().count(), text[..to].chars().count()];
    let utf16 = [text[..from].encode_utf16().count(), text[..to].encode_utf16().count()];
    assert_eq!(range.char, chars, "{text:?}: char offsets of {range:?}");
    assert_eq!(range.utf16, utf16, "{text:?}: UTF-16 offsets of {range:?}");
}

/// `text[start..end]` escaped, with the highlights wrapped in the tags.
fn marked(
    text: &str,
    [start, end]: [usize; 2],
    highlights: &[TextRange],
    options: &SnippetOptions,
) -> String {
    let mut html = String::new();
    let mut cursor = start;
    for range in highlights {
        escape_into(&text[cursor..range.byte[0]], &mut html);
        html.push_str(&options.pre_tag);
        escape_into(&text[range.byte[0]..range.byte[1]], &mut html);
        html.push_str(&options.post_tag);
        cursor = range.byte[1];
    }
    escape_into(&text[cursor..end], &mut html);
    html
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}
