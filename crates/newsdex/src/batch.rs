//! Articles in one request body: a JSON object, a JSON array of objects, or JSON Lines,
//! with every problem located by line, as `newsdex index` reports them.

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::article::Article;
use crate::ingest::{JsonlReader, LineError, describe_json_error_at, id_of_malformed};

/// How a body of articles is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchFormat {
    /// Decided from the body: `[` starts an array, a body holding exactly one JSON value
    /// is one article, and several values on their own lines are JSON Lines.
    #[default]
    Auto,
    /// One JSON object, or an array of them.
    Json,
    /// JSON Lines: one object per line (NDJSON).
    JsonLines,
}

/// The articles of one body, in order, and the items that are not valid articles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleBatch {
    /// Valid articles, in body order (a repeated id is kept twice: the later one wins when
    /// they are written in order).
    pub articles: Vec<Article>,
    /// Every invalid item, in body order; `line` is where the item starts in the body.
    pub errors: Vec<LineError>,
}

/// Reads the articles of a request body. Never fails as a whole: a body that is not JSON
/// at all is one [`LineError`] saying where parsing stopped.
///
/// ```
/// use newsdex::{BatchFormat, read_article_batch};
///
/// let body = br#"[{"id": "a", "title": "Rates rise"},
///  {"id": "b", "title": ""}]"#;
/// let batch = read_article_batch(body, BatchFormat::Auto);
/// assert_eq!(batch.articles.len(), 1);
/// assert_eq!(batch.errors[0].line, 2);
/// assert_eq!(batch.errors[0].to_string(), r#"line 2 (id "b"): array item 2: "title" and "body" are both empty"#);
/// ```
pub fn read_article_batch(body: &[u8], format: BatchFormat) -> ArticleBatch {
    let first_byte =
        body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body).iter().find(|b| !b.is_ascii_whitespace());
    match (format, first_byte) {
        (_, None) => ArticleBatch::default(),
        (BatchFormat::JsonLines, _) => read_json_lines(body),
        (BatchFormat::Json, _) | (BatchFormat::Auto, Some(b'[')) => read_json(body),
        (BatchFormat::Auto, Some(b'{')) if !is_one_value(body) && first_line_is_a_value(body) => {
            read_json_lines(body)
        }
        (BatchFormat::Auto, Some(_)) => read_json(body),
    }
}

fn read_json_lines(body: &[u8]) -> ArticleBatch {
    let mut batch = ArticleBatch::default();
    for record in JsonlReader::new(body) {
        // Reading from memory cannot fail with an IO error.
        let Ok(record) = record else { break };
        match record.article {
            Ok(article) => batch.articles.push(article),
            Err(line_error) => batch.errors.push(line_error),
        }
    }
    batch
}

fn read_json(body: &[u8]) -> ArticleBatch {
    let mut batch = ArticleBatch::default();
    let without_bom = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = match std::str::from_utf8(without_bom) {
        Ok(text) => text,
        Err(invalid) => {
            let (line, column) = position(without_bom, invalid.valid_up_to());
            batch.errors.push(LineError::new(
                line,
                None,
                crate::ingest::not_utf8(&format!("(column {column})")),
            ));
            return batch;
        }
    };
    let is_array = text.trim_start().starts_with('[');
    let items: Vec<&RawValue> = match parse_items(text, is_array) {
        Ok(items) => items,
        Err(error) => {
            let message = describe_json_error_at(&error, error.column());
            batch.errors.push(LineError::new(error.line() as u64, None, message));
            return batch;
        }
    };
    for (number, item) in items.into_iter().enumerate() {
        let item_text = item.get();
        let offset = (item_text.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let (line, column) = position(text.as_bytes(), offset);
        let item = is_array.then_some(number as u64 + 1);
        match serde_json::from_str::<Article>(item_text) {
            Ok(article) => match article.problem() {
                None => batch.articles.push(article),
                Some(message) => batch.errors.push(LineError { line, id: Some(article.id), item, message }),
            },
            Err(error) => {
                let error_line = line + error.line() as u64 - 1;
                let error_column =
                    if error.line() == 1 { column + error.column().max(1) - 1 } else { error.column() };
                let message = describe_json_error_at(&error, error_column);
                batch.errors.push(LineError {
                    line: error_line,
                    id: id_of_malformed(item_text),
                    item,
                    message,
                });
            }
        }
    }
    batch
}

fn parse_items(text: &str, is_array: bool) -> serde_json::Result<Vec<&RawValue>> {
    if is_array {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<&RawValue>(text).map(|item| vec![item])
    }
}

/// 1-based line and column (in bytes, as serde_json counts) of a byte offset.
fn position(text: &[u8], offset: usize) -> (u64, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |newline| newline + 1);
    (line, offset - line_start + 1)
}

/// Whether the body is exactly one JSON value (a pretty-printed object, say).
fn is_one_value(body: &[u8]) -> bool {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<IgnoredAny>();
    matches!(values.next(), Some(Ok(_))) && values.next().is_none()
}

/// Whether the first non-blank line holds a whole JSON value on its own.
fn first_line_is_a_value(body: &[u8]) -> bool {
    body.split(|&b| b == b'\n')
        .map(|line| line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line))
        .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .is_some_and(|line| serde_json::from_slice::<IgnoredAny>(line).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(body: &str, format: BatchFormat) -> (Vec<String>, Vec<String>) {
        let batch = read_article_batch(body.as_bytes(), format);
        (
            batch.articles.into_iter().map(|a| a.id).collect(),
            batch.errors.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn one_object_pretty_or_not_is_one_article() {
        for body in [r#"{"id":"a","title":"t"}"#, "{\n  \"id\": \"a\",\n  \"title\": \"t\"\n}\n"] {
            assert_eq!(outcome(body, BatchFormat::Auto), (vec!["a".to_string()], vec![]), "{body}");
        }
    }

    #[test]
    fn json_lines_report_errors_as_the_cli_does() {
        let body = "{\"id\":\"a\",\"body\":\"x\"}\n{\"body\":\"no id\"}\n\n{\"id\":\"c\",\"body\":\"y\"}\n";
        let (ids, errors) = outcome(body, BatchFormat::Auto);
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(errors, ["line 2: missing field \"id\" (column 16)"]);
        let (ids, _) = outcome("{\"id\":\"only\",\"body\":\"x\"}", BatchFormat::JsonLines);
        assert_eq!(ids, ["only"]);
    }

    #[test]
    fn array_items_are_located_by_line_and_item() {
        let body = "[\n {\"id\":\"a\",\"body\":\"x\"},\n {\"id\":\"b\",\"body\":\"x\",\"date\":\"2023-02-30\"},\n {\"id\":\"c\"}, 5\n]";
        let (ids, errors) = outcome(body, BatchFormat::Auto);
        assert_eq!(ids, ["a"]);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].starts_with("line 3 (id \"b\"): array item 2: invalid date \"2023-02-30\""),
            "{errors:?}"
        );
        assert_eq!(errors[1], "line 4 (id \"c\"): array item 3: \"title\" and \"body\" are both empty");
        assert!(errors[2].starts_with("line 4: array item 4: invalid type: integer"), "{errors:?}");
        // For machines, the item is a field of its own and the message only says what is wrong.
        let batch = read_article_batch(body.as_bytes(), BatchFormat::Auto);
        let items: Vec<Option<u64>> = batch.errors.iter().map(|error| error.item).collect();
        assert_eq!(items, [Some(2), Some(3), Some(4)]);
        let json = serde_json::to_value(&batch.errors[1]).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"line": 4, "id": "c", "item": 3, "message": "\"title\" and \"body\" are both empty"})
        );
        let lines = read_article_batch(b"{\"id\":\"a\"}\n", BatchFormat::Auto);
        assert_eq!(serde_json::to_value(&lines.errors[0]).expect("json").get("item"), None);
    }

    #[test]
    fn a_body_that_is_not_json_is_one_located_error() {
        for (body, expected) in [
            ("[{\"id\":\"a\",\"body\":\"x\"},\n {\"id\":", "line 2: invalid JSON"),
            ("{\n \"id\": \"a\",\n \"body\": oops\n}", "line 3: invalid JSON"),
            ("id=a&body=x", "line 1: invalid JSON"),
        ] {
            let (ids, errors) = outcome(body, BatchFormat::Auto);
            assert!(ids.is_empty(), "{body}");
            assert_eq!(errors.len(), 1, "{body}: {errors:?}");
            assert!(errors[0].starts_with(expected), "{body}: {errors:?}");
        }
        let (_, errors) = outcome("[\"\u{0}\"]", BatchFormat::Json);
        assert_eq!(errors.len(), 1);
        let batch = read_article_batch(b"[{\"id\":\"a\",\"body\":\"\xFF\"}]", BatchFormat::Auto);
        assert!(
            batch.errors[0].to_string().starts_with("line 1: invalid UTF-8 (column 20); text must be UTF-8"),
            "{}",
            batch.errors[0]
        );
    }

    #[test]
    fn blank_bodies_hold_nothing() {
        for body in ["", "  \n\r\n", "\u{feff}\n"] {
            assert_eq!(read_article_batch(body.as_bytes(), BatchFormat::Auto), ArticleBatch::default());
        }
    }
}
