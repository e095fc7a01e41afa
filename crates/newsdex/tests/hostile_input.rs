//! Hostile JSON Lines: every bad line gets a precise message with its number, every good
//! line is indexed, and the counts are exact.

use newsdex::{Analyzer, IngestOptions, NewsIndex, OnError, WriterSettings};

/// What a fixture line should come to.
enum Expect {
    /// Indexed under this id.
    Indexed(&'static str),
    /// Rejected with a message containing this.
    Rejected(&'static str),
    /// Skipped silently (blank).
    Blank,
}

/// The fixture set: one case per line, the names saying what each covers.
fn fixtures() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let nested =
        format!("{{\"id\":\"deep\",\"body\":\"x\",\"meta\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let nested_title =
        format!("{{\"id\":\"deep-title\",\"title\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let huge_body = format!(
        "{{\"id\":\"huge\",\"title\":\"20 MB\",\"body\":\"{}\"}}",
        "长文本测试。".repeat(20 << 20 >> 4)
    );
    vec![
        ("byte-order mark on line 1", b"\xEF\xBB\xBF{\"id\":\"bom\",\"body\":\"starts with a BOM\"}".to_vec(), Expect::Indexed("bom")),
        ("CRLF line end", b"{\"id\":\"crlf\",\"body\":\"windows line end\"}\r".to_vec(), Expect::Indexed("crlf")),
        ("invalid JSON", b"{\"id\":\"broken\",\"body\":}".to_vec(), Expect::Rejected("invalid JSON")),
        ("invalid UTF-8", b"{\"id\":\"latin1\",\"body\":\"caf\xE9\"}".to_vec(), Expect::Rejected("invalid UTF-8")),
        ("NUL byte", b"{\"id\":\"nul\",\"body\":\"a\x00b\"}".to_vec(), Expect::Rejected("NUL byte")),
        ("missing id", b"{\"title\":\"no id\",\"body\":\"text\"}".to_vec(), Expect::Rejected("missing field \"id\"")),
        ("numeric id", b"{\"id\":42,\"body\":\"text\"}".to_vec(), Expect::Rejected("invalid type: integer")),
        ("null id", b"{\"id\":null,\"body\":\"text\"}".to_vec(), Expect::Rejected("invalid type: null")),
        ("empty id", b"{\"id\":\"  \",\"body\":\"text\"}".to_vec(), Expect::Rejected("\"id\" is empty")),
        ("empty title and body", b"{\"id\":\"empty\",\"title\":\"\",\"body\":\"\"}".to_vec(), Expect::Rejected("both empty")),
        ("whitespace title and body", b"{\"id\":\"blank\",\"title\":\" \\t\",\"body\":\"\\n \"}".to_vec(), Expect::Rejected("both empty")),
        ("deeply nested unknown field: ignored without recursing", nested.into_bytes(), Expect::Indexed("deep")),
        ("deeply nested title", nested_title.into_bytes(), Expect::Rejected("invalid type: sequence")),
        ("unknown fields", b"{\"id\":\"extra\",\"body\":\"kept\",\"author\":\"x\",\"tags\":[1,{\"a\":2}]}".to_vec(), Expect::Indexed("extra")),
        ("date in another format", b"{\"id\":\"d1\",\"body\":\"x\",\"date\":\"03/05/2024\"}".to_vec(), Expect::Rejected("expected YYYY-MM-DD")),
        ("impossible date", b"{\"id\":\"d2\",\"body\":\"x\",\"date\":\"2023-02-30\"}".to_vec(), Expect::Rejected("not a real date")),
        ("date beyond what an index holds", b"{\"id\":\"d4\",\"body\":\"x\",\"date\":\"2300-01-01\"}".to_vec(), Expect::Rejected("outside the years 1678 to 2261")),
        ("date as a number", b"{\"id\":\"d3\",\"body\":\"x\",\"date\":20240305}".to_vec(), Expect::Rejected("invalid type: integer")),
        ("unknown lang", b"{\"id\":\"l1\",\"lang\":\"klingon\",\"body\":\"x\"}".to_vec(), Expect::Rejected("unknown lang")),
        ("blank line", b"   ".to_vec(), Expect::Blank),
        ("first of a duplicate id", b"{\"id\":\"dup\",\"title\":\"first\",\"body\":\"old\"}".to_vec(), Expect::Indexed("dup")),
        ("a 20 MB body", huge_body.into_bytes(), Expect::Indexed("huge")),
        ("second of a duplicate id", b"{\"id\":\"dup\",\"title\":\"second\",\"body\":\"new\"}".to_vec(), Expect::Indexed("dup")),
        ("a valid article", "{\"id\":\"ok\",\"lang\":\"zh-Hant\",\"title\":\"正常\",\"body\":\"正常的文章。\",\"date\":\"2024-03-05T08:30:00+08:00\"}".as_bytes().to_vec(), Expect::Indexed("ok")),
        ("truncated last line", b"{\"id\":\"cut\",\"body\":\"the file ends mid".to_vec(), Expect::Rejected("truncated")),
    ]
}

#[test]
fn hostile_lines_are_named_and_everything_valid_is_indexed() {
    let cases = fixtures();
    let mut input = Vec::new();
    for (index, (_, line, _)) in cases.iter().enumerate() {
        input.extend_from_slice(line);
        if index + 1 < cases.len() {
            input.push(b'\n');
        }
    }
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let mut writer = index.writer(WriterSettings::new(1, 200 << 20)).expect("writer");
    let options = IngestOptions { max_reported_errors: 1000, ..IngestOptions::default() };
    let report = writer.ingest_jsonl(input.as_slice(), &options, &mut |_| {}).expect("no IO error");
    writer.commit().expect("commit");

    let expected_rejected = cases.iter().filter(|(_, _, e)| matches!(e, Expect::Rejected(_))).count() as u64;
    let expected_indexed = cases.iter().filter(|(_, _, e)| matches!(e, Expect::Indexed(_))).count() as u64;
    assert_eq!(report.rejected, expected_rejected, "help: rejected count: {:#?}", report.errors);
    assert_eq!(report.indexed, expected_indexed);
    assert_eq!(report.duplicates, 1, "help: the second `dup` is reported as a duplicate");
    assert_eq!(report.input_bytes, input.len() as u64);

    for (number, (name, _, expect)) in cases.iter().enumerate() {
        let line = number as u64 + 1;
        let error = report.errors.iter().find(|error| error.line == line);
        match expect {
            Expect::Rejected(fragment) => {
                let error = error.unwrap_or_else(|| panic!("help: line {line} ({name}) must be rejected"));
                assert!(error.message.contains(fragment), "help: line {line} ({name}): {}", error.message);
            }
            Expect::Indexed(id) => {
                assert!(error.is_none(), "help: line {line} ({name}) must be indexed: {error:?}");
                assert!(index.get(id).expect("get").is_some(), "help: {id} ({name}) is missing");
            }
            Expect::Blank => assert!(error.is_none(), "help: a blank line is not an error"),
        }
    }
    // Last one wins; the 20 MB body is whole; unknown fields are dropped, not fatal.
    assert_eq!(index.get("dup").expect("get").expect("dup").title, "second");
    assert_eq!(
        index.get("huge").expect("get").expect("huge").body.len(),
        "长文本测试。".len() * (20 << 20 >> 4)
    );
    assert_eq!(index.num_articles(), expected_indexed - 1, "help: two writes of `dup` are one article");
}

#[test]
fn fail_mode_indexes_nothing_and_names_the_first_bad_line() {
    let input = b"{\"id\":\"a\",\"body\":\"fine\"}\n{\"id\":\"b\",\"body\":\"also fine\"}\n{\"id\":5}\n{\"id\":\"c\",\"body\":\"x\"}\n";
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
    let options = IngestOptions { on_error: OnError::Fail, ..IngestOptions::default() };
    let error = writer.ingest_jsonl(input.as_slice(), &options, &mut |_| {}).expect_err("line 3 is bad");
    assert!(error.to_string().contains("line 3"), "{error}");
    writer.commit().expect("commit");
    assert_eq!(index.num_articles(), 0, "help: fail mode is all or nothing");
}
