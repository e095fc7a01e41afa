//! Query strings, decoded strictly: a parameter that is not UTF-8 once percent-decoded is
//! the caller's mistake, answered 400, rather than searched for as U+FFFD.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::ApiError;

/// The query string's `name=value` pairs in order, `+` read as a space and
/// percent-escapes decoded. Rejects the request (400) when a name or value is not UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Params, ApiError> {
        parse(parts.uri.query().unwrap_or_default()).map(Params)
    }
}

/// Parses `application/x-www-form-urlencoded` text, as in a URI's query.
pub(crate) fn parse(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = String::from_utf8(decode(raw_name)).map_err(|error| {
            ApiError::bad_request(format!(
                "a parameter name is not UTF-8 once percent-decoded ({:?}); encode text as UTF-8",
                String::from_utf8_lossy(error.as_bytes())
            ))
        })?;
        let value = String::from_utf8(decode(raw_value)).map_err(|_| {
            ApiError::bad_request(format!(
                "parameter {name:?} is not UTF-8 once percent-decoded ({raw_value:?}); encode text as UTF-8"
            ))
        })?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Refuses a parameter that takes one value when it comes twice, under its name or an
/// alias (`same` pairs an alias with its name), so `q=a&q=b` is never read as just `q=b`.
/// The names in `repeatable` take a list and may come any number of times.
pub(crate) fn refuse_repeats(
    params: &[(String, String)],
    repeatable: &[&str],
    same: &[(&str, &str)],
) -> Result<(), ApiError> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (name, _) in params {
        let canonical =
            same.iter().find(|(alias, _)| alias == name).map_or(name.as_str(), |&(_, canonical)| canonical);
        if repeatable.contains(&canonical) {
            continue;
        }
        if let Some(&(first, _)) = seen.iter().find(|(_, seen)| *seen == canonical) {
            let message = if first == name {
                format!("parameter {name:?} is given more than once; it takes one value")
            } else {
                format!("parameters {first:?} and {name:?} are the same; give one of them")
            };
            return Err(ApiError::bad_request(message));
        }
        seen.push((name, canonical));
    }
    Ok(())
}

/// `+` → space, `%XX` → the byte; a `%` not followed by two hex digits stays as it is.
fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = match (byte, bytes.get(index + 1..index + 3)) {
            (b'%', Some(&[high, low])) => hex(high).zip(hex(low)).map(|(high, low)| high << 4 | low),
            _ => None,
        };
        match escaped {
            Some(value) => {
                decoded.push(value);
                index += 3;
            }
            None => {
                decoded.push(if byte == b'+' { b' ' } else { byte });
                index += 1;
            }
        }
    }
    decoded
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        parse(query).expect("a valid query string")
    }

    #[test]
    fn pairs_are_decoded_in_order() {
        let expected: Vec<(String, String)> =
            [("q", "华为 mate"), ("lang", "en"), ("lang", "zh-Hans"), ("facets", "")]
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
        assert_eq!(pairs("q=%E5%8D%8E%E4%B8%BA+mate&lang=en&&lang=zh-Hans&facets"), expected);
        assert_eq!(pairs(""), Vec::new());
        assert_eq!(pairs("q=100%&r=%2"), [("q".into(), "100%".into()), ("r".into(), "%2".into())]);
        assert_eq!(pairs("q=a%2Bb%3Dc%26d"), [("q".to_string(), "a+b=c&d".to_string())]);
        assert_eq!(pairs("id=%2e%2e%2F"), [("id".to_string(), "../".to_string())]);
    }

    #[test]
    fn text_that_is_not_utf8_is_a_400_naming_the_parameter() {
        for (query, named) in
            [("q=%FF", "\"q\""), ("q=abc%C3%28", "\"q\""), ("lang=en&sort=%E4%B8", "\"sort\"")]
        {
            let error = parse(query).expect_err(query);
            assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
            assert!(error.message().contains(named), "{query}: {}", error.message());
        }
        let error = parse("%FF=1").expect_err("a bad name");
        assert!(error.message().contains("parameter name"), "{}", error.message());
    }
}
