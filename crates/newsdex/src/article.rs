//! The article: one schema for JSONL input, HTTP bodies and stored fields.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::{Error, Result};

/// Longest accepted article id, in bytes.
pub const MAX_ID_BYTES: usize = 512;

/// Longest accepted `source` or `category`, in bytes. Each is one term of the index, and
/// a name much longer than any publisher's or topic's is a mistake in the input (a body
/// in the wrong column); left in, one over tantivy's term limit (65,530 bytes) would be
/// stored and shown but never found by its filter.
pub const MAX_NAME_BYTES: usize = 512;

/// The years a date may fall in. An index keeps dates as nanoseconds since the Unix
/// epoch in 64 bits, which reach from 1677-09-21 to 2262-04-11; whole years inside that
/// span leave room for any UTC offset and for the day after a `to` date.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1678..=2261;

/// A news article.
///
/// `id` is unique: writing an article with an existing id replaces it. `lang` is detected
/// from the text when missing. Unknown fields in the input are ignored; `source`,
/// `category` and `url` are read without surrounding whitespace, and blank as missing.
/// It reads only from a JSON object (a map): an array is refused, never read field by
/// field in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Article {
    /// Unique id.
    pub id: String,
    /// Language; detected from the title and body when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// Headline (may be empty when the body is not).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub title: String,
    /// Article text; paragraphs separated by `\n`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub body: String,
    /// Publication date or date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<ArticleDate>,
    /// Publisher or dataset.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "trimmed_or_none")]
    pub source: Option<String>,
    /// Topic.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "trimmed_or_none")]
    pub category: Option<String>,
    /// Address of the original.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "trimmed_or_none")]
    pub url: Option<String>,
}

object_only_serde!(Article, "an article (a JSON object)");

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// An optional name without the whitespace around it, and none when blank: `" Reuters"`
/// would otherwise be a facet value and a filter of its own beside `"Reuters"`, and `""`
/// an empty name.
fn trimmed_or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.and_then(|value| {
        let trimmed = value.trim();
        match trimmed.len() {
            0 => None,
            length if length == value.len() => Some(value),
            _ => Some(trimmed.to_string()),
        }
    }))
}

impl Article {
    /// Checks what the type cannot: a usable id and some text.
    pub fn validate(&self) -> Result<()> {
        self.problem().map_or(Ok(()), |problem| Err(Error::InvalidArticle(problem)))
    }

    /// What [`Article::validate`] finds wrong, if anything, without the error's prefix.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.id.trim().is_empty() {
            return Some("\"id\" is empty".to_string());
        }
        if self.id.len() > MAX_ID_BYTES {
            return Some(format!("\"id\" is {} bytes long; the limit is {MAX_ID_BYTES}", self.id.len()));
        }
        if self.id.chars().any(char::is_control) {
            return Some("\"id\" contains control characters".to_string());
        }
        if self.title.trim().is_empty() && self.body.trim().is_empty() {
            return Some("\"title\" and \"body\" are both empty".to_string());
        }
        for (field, value) in [("source", &self.source), ("category", &self.category)] {
            if let Some(value) = value
                && value.len() > MAX_NAME_BYTES
            {
                return Some(format!(
                    "\"{field}\" is {} bytes long; the limit is {MAX_NAME_BYTES}",
                    value.len()
                ));
            }
        }
        None
    }
}

/// The languages newsdex analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Simplified Chinese.
    ZhHans,
    /// Traditional Chinese.
    ZhHant,
    /// English.
    En,
}

impl Lang {
    /// All languages, in display order.
    pub const ALL: [Lang; 3] = [Lang::ZhHans, Lang::ZhHant, Lang::En];

    /// The BCP 47 tag: `zh-Hans`, `zh-Hant` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = Error;

    /// Parses a language tag, case-insensitively; regional tags map to their script
    /// (`zh-CN` → `zh-Hans`, `zh-TW`/`zh-HK` → `zh-Hant`).
    fn from_str(tag: &str) -> Result<Lang> {
        match tag.to_ascii_lowercase().replace('_', "-").as_str() {
            "zh-hans" | "zh-cn" | "zh-sg" | "zh" => Ok(Lang::ZhHans),
            "zh-hant" | "zh-tw" | "zh-hk" | "zh-mo" => Ok(Lang::ZhHant),
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            _ => Err(Error::InvalidArticle(format!(
                "unknown lang {tag:?}: expected \"zh-Hans\", \"zh-Hant\" or \"en\""
            ))),
        }
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lang, D::Error> {
        let tag = String::deserialize(deserializer)?;
        tag.parse().map_err(|error: Error| match error {
            Error::InvalidArticle(message) => serde::de::Error::custom(message),
            other => serde::de::Error::custom(other),
        })
    }
}

/// A publication date: a calendar date (`2024-03-05`) or an instant
/// (`2024-03-05T08:30:00Z`, `2024-03-05T16:30:00+08:00`). Written back the way it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleDate {
    instant: OffsetDateTime,
    date_only: bool,
}

impl ArticleDate {
    /// The date at midnight UTC.
    pub fn from_date(date: Date) -> ArticleDate {
        ArticleDate { instant: date.midnight().assume_utc(), date_only: true }
    }

    /// An instant.
    pub fn from_instant(instant: OffsetDateTime) -> ArticleDate {
        ArticleDate { instant, date_only: false }
    }

    /// The instant (midnight UTC for a calendar date).
    pub fn instant(&self) -> OffsetDateTime {
        self.instant
    }

    /// Seconds since the Unix epoch.
    pub fn unix_timestamp(&self) -> i64 {
        self.instant.unix_timestamp()
    }

    /// Whether only a calendar date was given.
    pub fn is_date_only(&self) -> bool {
        self.date_only
    }

    /// The month in UTC as `YYYY-MM`, the key of the month facet.
    pub fn month(&self) -> String {
        let utc = self.instant.to_offset(UtcOffset::UTC);
        format!("{:04}-{:02}", utc.year(), utc.month() as u8)
    }
}

impl fmt::Display for ArticleDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let formatted = if self.date_only {
            self.instant.date().format(format_description!("[year]-[month]-[day]"))
        } else {
            self.instant.format(&Rfc3339)
        };
        match formatted {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl FromStr for ArticleDate {
    type Err = Error;

    /// Parses `YYYY-MM-DD`, an RFC 3339 date-time, or `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS`
    /// without an offset (taken as UTC).
    /// Dates outside [`DATE_YEARS`] are rejected.
    fn from_str(text: &str) -> Result<ArticleDate> {
        let trimmed = text.trim();
        let within = |date: ArticleDate| {
            if DATE_YEARS.contains(&date.instant.year()) {
                Ok(date)
            } else {
                Err(Error::InvalidDate(format!(
                    "invalid date {text:?}: outside the years {} to {} an index can hold",
                    DATE_YEARS.start(),
                    DATE_YEARS.end()
                )))
            }
        };
        if let Ok(date) = Date::parse(trimmed, format_description!("[year]-[month]-[day]")) {
            return within(ArticleDate::from_date(date));
        }
        if let Ok(instant) = OffsetDateTime::parse(trimmed, &Rfc3339) {
            return within(ArticleDate::from_instant(instant));
        }
        for format in [
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
            format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        ] {
            if let Ok(local) = PrimitiveDateTime::parse(trimmed, format) {
                return within(ArticleDate::from_instant(local.assume_utc()));
            }
        }
        let reason = match Date::parse(
            trimmed.get(..10).unwrap_or(trimmed),
            format_description!("[year]-[month]-[day]"),
        ) {
            Err(time::error::Parse::TryFromParsed(cause)) => format!("not a real date ({cause})"),
            _ => "expected YYYY-MM-DD or an RFC 3339 date-time such as 2024-03-05T08:30:00Z".to_string(),
        };
        Err(Error::InvalidDate(format!("invalid date {text:?}: {reason}")))
    }
}

impl Serialize for ArticleDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ArticleDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ArticleDate, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|error: Error| match error {
            Error::InvalidDate(message) => serde::de::Error::custom(message),
            other => serde::de::Error::custom(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_in_their_own_precision() {
        for text in ["2024-03-05", "2024-03-05T08:30:00Z", "2024-03-05T16:30:00+08:00"] {
            let date: ArticleDate = text.parse().expect("valid date");
            assert_eq!(date.to_string(), text);
        }
        let naive: ArticleDate = "2024-03-05 08:30:00".parse().expect("valid date");
        assert_eq!(naive.to_string(), "2024-03-05T08:30:00Z");
        assert_eq!(naive.month(), "2024-03");
    }

    #[test]
    fn impossible_and_malformed_dates_are_rejected_with_reasons() {
        let impossible = "2023-02-30".parse::<ArticleDate>().expect_err("no 30 February");
        assert!(impossible.to_string().contains("not a real date"), "{impossible}");
        let malformed = "05/03/2024".parse::<ArticleDate>().expect_err("wrong format");
        assert!(malformed.to_string().contains("expected YYYY-MM-DD"), "{malformed}");
        for text in ["3000-01-01", "2262-06-01T00:00:00Z", "1000-01-01 00:00:00", "1677-12-31"] {
            let far = text.parse::<ArticleDate>().expect_err("beyond the dates an index holds");
            assert!(far.to_string().contains("outside the years 1678 to 2261"), "{far}");
        }
        for text in ["1678-01-01T00:00:00+14:00", "2261-12-31T23:59:59-12:00"] {
            text.parse::<ArticleDate>().expect("the first and last years are held whatever the offset");
        }
    }

    #[test]
    fn articles_parse_from_the_corpus_schema() {
        let line = r#"{"id":"a1","lang":"zh-Hant","title":"標題","body":"內文","date":null,"source":"s","category":null,"extra":[1,2]}"#;
        let article: Article = serde_json::from_str(line).expect("valid article");
        assert_eq!(article.lang, Some(Lang::ZhHant));
        assert_eq!(article.date, None);
        let bad_lang = serde_json::from_str::<Article>(r#"{"id":"a","lang":"fr","body":"x"}"#)
            .expect_err("unknown language");
        assert!(bad_lang.to_string().contains("unknown lang \"fr\""), "{bad_lang}");
        let blank = r#"{"id":"a2","body":"x","source":"","category":"  ","url":"\t"}"#;
        let article: Article = serde_json::from_str(blank).expect("valid article");
        assert_eq!(
            (article.source, article.category, article.url),
            (None, None, None),
            "help: blank is missing"
        );
        let padded = r#"{"id":"a3","body":"x","source":" Reuters ","category":"trade\n"}"#;
        let article: Article = serde_json::from_str(padded).expect("valid article");
        assert_eq!(
            (article.source.as_deref(), article.category.as_deref()),
            (Some("Reuters"), Some("trade"))
        );
    }

    #[test]
    fn validation_needs_an_id_and_some_text() {
        let empty = Article { id: "a".into(), title: " ".into(), body: "\n".into(), ..Article::default() };
        assert_eq!(
            empty.validate().expect_err("no text").to_string(),
            "invalid article: \"title\" and \"body\" are both empty"
        );
        let no_id = Article { id: "".into(), body: "text".into(), ..Article::default() };
        assert!(no_id.validate().is_err());
    }

    #[test]
    fn names_longer_than_the_limit_are_refused() {
        let named = |source: usize, category: usize| Article {
            id: "a".into(),
            body: "text".into(),
            source: Some("s".repeat(source)),
            category: Some("c".repeat(category)),
            ..Article::default()
        };
        named(MAX_NAME_BYTES, MAX_NAME_BYTES).validate().expect("names at the limit");
        for (article, field) in [(named(MAX_NAME_BYTES + 1, 1), "source"), (named(1, 70_000), "category")] {
            let length = article.source.iter().chain(&article.category).map(String::len).max();
            assert_eq!(
                article.validate().expect_err(field).to_string(),
                format!(
                    "invalid article: \"{field}\" is {} bytes long; the limit is {MAX_NAME_BYTES}",
                    length.unwrap_or_default()
                )
            );
        }
    }
}
