//! Reading articles from JSON Lines, with an exact line number for every problem.

use std::fmt;
use std::io::{BufRead, Read};

use serde::Serialize;

use crate::article::Article;
use crate::error::{Error, Result};

/// Longest line accepted, in bytes. A longer line is rejected (and skipped) without being
/// held in memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// What to do when a line cannot be indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Report the line, index every other line.
    #[default]
    Skip,
    /// Stop at the first bad line and index nothing.
    Fail,
}

/// A line that could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: u64,
    /// The article's id, when the line got far enough to have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The item's 1-based place in a JSON array, when the input was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl LineError {
    /// An error of the line `line` (not of an array item).
    pub fn new(line: u64, id: Option<String>, message: String) -> LineError {
        LineError { line, id, item: None, message }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id:?})")?;
        }
        f.write_str(": ")?;
        if let Some(item) = self.item {
            write!(f, "array item {item}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// One non-blank line of input: an article, or why it is not one.
#[derive(Debug)]
pub struct Record {
    /// 1-based line number.
    pub line: u64,
    /// The article (valid: [`Article::validate`] accepts it), or the problem with the line.
    pub article: Result<Article, LineError>,
}

/// Reads articles from JSON Lines: one JSON object per line, UTF-8, `\n` or `\r\n` line
/// ends, an optional byte-order mark. Blank lines are skipped.
///
/// IO errors end the iteration with an `Err`; a malformed line is an `Ok(Record)` whose
/// `article` is the [`LineError`].
pub struct JsonlReader<R> {
    reader: R,
    line: u64,
    bytes_read: u64,
    buffer: Vec<u8>,
    finished: bool,
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads from `reader`.
    pub fn new(reader: R) -> JsonlReader<R> {
        JsonlReader { reader, line: 0, bytes_read: 0, buffer: Vec::new(), finished: false }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Reads the next line into the buffer; `Ok(false)` at the end of input. A line longer
    /// than [`MAX_LINE_BYTES`] is consumed and left truncated in the buffer.
    fn read_line(&mut self) -> std::io::Result<(bool, bool)> {
        self.buffer.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let read = self.reader.by_ref().take(limit).read_until(b'\n', &mut self.buffer)?;
        if read == 0 {
            return Ok((false, false));
        }
        self.bytes_read += read as u64;
        let too_long = self.buffer.len() > MAX_LINE_BYTES && self.buffer.last() != Some(&b'\n');
        if too_long {
            // Discard the rest of the line without keeping it.
            let mut discard = Vec::new();
            loop {
                discard.clear();
                let more = self.reader.by_ref().take(1 << 20).read_until(b'\n', &mut discard)?;
                self.bytes_read += more as u64;
                if more == 0 || discard.last() == Some(&b'\n') {
                    break;
                }
            }
        }
        Ok((true, too_long))
    }

    fn parse_line(&self, too_long: bool) -> Option<Result<Article, LineError>> {
        let line = self.line;
        let error = |message: String| Some(Err(LineError::new(line, None, message)));
        if too_long {
            return error(format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20));
        }
        let ends_with_newline = self.buffer.last() == Some(&b'\n');
        let mut bytes = self.buffer.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(invalid) => {
                return error(not_utf8(&format!("at byte {} of the line", invalid.valid_up_to() + 1)));
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        if let Some(nul) = text.find('\0') {
            return error(format!("NUL byte at column {}", text[..nul].chars().count() + 1));
        }
        let article = match serde_json::from_str::<Article>(text) {
            Ok(article) => article,
            Err(parse_error) => {
                let id = id_of_malformed(text);
                let mut message = describe_json_error(&parse_error);
                if parse_error.is_eof() && !ends_with_newline {
                    message = format!("the last line is truncated: {message}");
                }
                if let Some(hint) = not_json_lines(text) {
                    message = format!("{message}; {hint}");
                }
                return Some(Err(LineError::new(line, id, message)));
            }
        };
        if let Some(message) = article.problem() {
            return Some(Err(LineError::new(line, Some(article.id), message)));
        }
        Some(Ok(article))
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        loop {
            if self.finished {
                return None;
            }
            let (more, too_long) = match self.read_line() {
                Ok(outcome) => outcome,
                Err(source) => {
                    self.finished = true;
                    return Some(Err(Error::Io {
                        context: format!("cannot read line {}", self.line + 1),
                        source,
                    }));
                }
            };
            if !more {
                self.finished = true;
                return None;
            }
            self.line += 1;
            if let Some(article) = self.parse_line(too_long) {
                return Some(Ok(Record { line: self.line, article }));
            }
        }
    }
}

/// What to do with a line that shows the input is JSON but not JSON Lines: an array of
/// articles, or an article spread over several lines.
fn not_json_lines(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.starts_with('[') {
        Some(
            "input is JSON Lines, one article object per line, not a JSON array (`jq -c '.[]' articles.json` writes an array's articles one per line)",
        )
    } else if text == "{" {
        Some(
            "input is JSON Lines, one article object per line, not pretty-printed JSON (`jq -c . articles.json` writes one object per line)",
        )
    } else {
        None
    }
}

/// The message for text that is not UTF-8 at `place`, with what to do: Chinese corpora
/// often come in GBK or Big5.
pub(crate) fn not_utf8(place: &str) -> String {
    format!("invalid UTF-8 {place}; text must be UTF-8 (convert GBK or Big5 first: iconv -f GBK -t UTF-8)")
}

/// serde_json's message without its own position (always line 1 here), plus the column.
fn describe_json_error(error: &serde_json::Error) -> String {
    describe_json_error_at(error, error.column())
}

/// [`describe_json_error`] with the column given: where the JSON text started inside a
/// longer line (an item of an array in an HTTP body), the error's own column is relative.
pub(crate) fn describe_json_error_at(error: &serde_json::Error, column: usize) -> String {
    let full = error.to_string();
    let message = full.rfind(" at line ").map_or(full.as_str(), |at| &full[..at]).replace('`', "\"");
    let message = if error.is_data() && message.starts_with("missing field") {
        message
    } else if error.is_syntax() || error.is_eof() {
        format!("invalid JSON: {message}")
    } else {
        message
    };
    // serde_json says column 0 for a value refused before its first character is read.
    format!("{message} (column {})", column.max(1))
}

/// The `id` of a line that parsed as JSON but not as an article, for error reports.
pub(crate) fn id_of_malformed(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("id")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8]) -> Vec<Result<String, String>> {
        JsonlReader::new(input)
            .map(|record| {
                let record = record.expect("no IO error");
                record.article.map(|a| format!("{}:{}", record.line, a.id)).map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn reads_bom_crlf_and_blank_lines() {
        let input = b"\xEF\xBB\xBF{\"id\":\"a\",\"body\":\"x\"}\r\n\r\n  \n{\"id\":\"b\",\"title\":\"t\"}\n";
        assert_eq!(records(input), vec![Ok("1:a".to_string()), Ok("4:b".to_string())]);
    }

    #[test]
    fn json_that_is_not_json_lines_says_how_to_convert_it() {
        let array = records(b"[{\"id\":\"a\",\"body\":\"x\"}]\n");
        let message = array[0].as_ref().expect_err("an array is not an article");
        assert!(message.contains("not a JSON array (`jq -c '.[]' articles.json`"), "{message}");
        let pretty = records(b"{\n  \"id\": \"a\",\n  \"body\": \"x\"\n}\n");
        let message = pretty[0].as_ref().expect_err("a lone brace is not an article");
        assert!(message.contains("not pretty-printed JSON (`jq -c . articles.json`"), "{message}");
        let plain = records(b"{\"id\":1}\n");
        assert!(!plain[0].as_ref().expect_err("a number id").contains("jq"));
    }

    #[test]
    fn every_problem_names_its_line() {
        let input = concat!(
            "{\"id\":\"ok\",\"body\":\"fine\"}\n",
            "{\"body\":\"no id\"}\n",
            "{\"id\":5,\"body\":\"x\"}\n",
            "{\"id\":\"e\",\"title\":\"\",\"body\":\"  \"}\n",
            "{\"id\":\"d\",\"body\":\"x\",\"date\":\"2023-02-30\"}\n",
            "not json\n",
            "{\"id\":\"t\",\"body\":\"trunc"
        );
        let found = records(input.as_bytes());
        let expected = [
            "1:ok",
            "line 2: missing field \"id\" (column 16)",
            "line 3: invalid type: integer \"5\", expected a string (column 7)",
            "line 4 (id \"e\"): \"title\" and \"body\" are both empty",
        ];
        for (found, expected) in found.iter().zip(expected) {
            match found {
                Ok(ok) => assert_eq!(ok, expected),
                Err(error) => assert_eq!(error, expected),
            }
        }
        let date_error = found[4].as_ref().expect_err("impossible date");
        assert!(
            date_error.starts_with("line 5 (id \"d\"): invalid date \"2023-02-30\": not a real date"),
            "{date_error}"
        );
        assert!(found[5].as_ref().expect_err("not json").starts_with("line 6: invalid JSON"));
        let truncated = found[6].as_ref().expect_err("truncated");
        assert!(
            truncated.starts_with("line 7 (id \"t\")")
                || truncated.starts_with("line 7: the last line is truncated"),
            "{truncated}"
        );
    }

    #[test]
    fn a_line_must_be_an_object_not_an_array_read_in_field_order() {
        let input = "[\"x1\",null,\"title\",\"body\"]\n\"text\"\n42\nnull\n{\"id\":\"ok\",\"body\":\"x\"}\n";
        assert_eq!(
            records(input.as_bytes()),
            vec![
                Err("line 1: invalid type: sequence, expected an article (a JSON object) (column 1); input is \
                     JSON Lines, one article object per line, not a JSON array (`jq -c '.[]' articles.json` \
                     writes an array's articles one per line)"
                    .to_string()),
                Err("line 2: invalid type: string \"text\", expected an article (a JSON object) (column 6)"
                    .to_string()),
                Err("line 3: invalid type: integer \"42\", expected an article (a JSON object) (column 2)"
                    .to_string()),
                Err("line 4: invalid type: null, expected an article (a JSON object) (column 4)".to_string()),
                Ok("5:ok".to_string()),
            ]
        );
    }

    #[test]
    fn invalid_utf8_and_nul_bytes_are_reported() {
        let input = b"{\"id\":\"a\",\"body\":\"\xFF\"}\n{\"id\":\"b\",\"body\":\"x\0y\"}\n";
        let found = records(input);
        assert_eq!(
            found[0],
            Err("line 1: invalid UTF-8 at byte 19 of the line; text must be UTF-8 (convert GBK or Big5 first: \
                 iconv -f GBK -t UTF-8)"
                .to_string())
        );
        assert_eq!(found[1], Err("line 2: NUL byte at column 20".to_string()));
    }
}
