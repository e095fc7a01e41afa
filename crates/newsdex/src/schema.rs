//! The tantivy schema of a newsdex index, and conversion between articles and documents.

use tantivy::TantivyDocument;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};

use crate::article::{Article, ArticleDate, Lang};
use crate::query::QueryField;

/// The name the analyzer is registered under on every index.
pub(crate) const TOKENIZER_NAME: &str = "newsdex";

/// The fields of a newsdex index.
#[derive(Debug, Clone)]
pub(crate) struct NewsSchema {
    pub(crate) schema: Schema,
    /// Unique id: indexed whole, stored.
    pub(crate) id: Field,
    /// `zh-Hans`, `zh-Hant` or `en`: filter and facet.
    pub(crate) lang: Field,
    /// Headline: analysed with positions, stored.
    pub(crate) title: Field,
    /// Text: analysed with positions, stored.
    pub(crate) body: Field,
    /// Publication instant: range filters, date sort and recency.
    pub(crate) date: Field,
    /// The date as given (`2024-03-05` or an RFC 3339 instant): stored.
    pub(crate) date_text: Field,
    /// `YYYY-MM` of the date: the month facet.
    pub(crate) month: Field,
    /// Publisher: filter and facet.
    pub(crate) source: Field,
    /// Topic: filter and facet.
    pub(crate) category: Field,
    /// Address of the original: stored.
    pub(crate) url: Field,
}

impl NewsSchema {
    /// The analysed field a query word limited to `field` is searched in.
    pub(crate) fn text_field(&self, field: QueryField) -> Field {
        match field {
            QueryField::Title => self.title,
            QueryField::Body => self.body,
        }
    }

    pub(crate) fn new() -> NewsSchema {
        let mut builder = Schema::builder();
        let analysed = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let keyword = STRING | STORED | FAST;
        let id = builder.add_text_field("id", STRING | STORED);
        let lang = builder.add_text_field("lang", keyword.clone());
        let title = builder.add_text_field("title", analysed.clone());
        let body = builder.add_text_field("body", analysed);
        let date = builder.add_date_field(
            "date",
            DateOptions::default().set_indexed().set_fast().set_precision(DateTimePrecision::Seconds),
        );
        let date_text = builder.add_text_field("date_text", STORED);
        let month = builder.add_text_field("month", STRING | FAST);
        let source = builder.add_text_field("source", keyword.clone());
        let category = builder.add_text_field("category", keyword);
        let url = builder.add_text_field("url", STORED);
        NewsSchema {
            schema: builder.build(),
            id,
            lang,
            title,
            body,
            date,
            date_text,
            month,
            source,
            category,
            url,
        }
    }

    /// Checks that an existing index has this schema.
    pub(crate) fn matches(&self, schema: &Schema) -> bool {
        let ours: Vec<_> = self.schema.fields().map(|(_, entry)| entry).collect();
        let theirs: Vec<_> = schema.fields().map(|(_, entry)| entry).collect();
        ours == theirs
    }

    /// The document for an article whose language is known.
    pub(crate) fn document(&self, article: &Article, lang: Lang) -> TantivyDocument {
        let mut document = TantivyDocument::new();
        document.add_text(self.id, &article.id);
        document.add_text(self.lang, lang.as_str());
        document.add_text(self.title, &article.title);
        document.add_text(self.body, &article.body);
        if let Some(date) = &article.date {
            document.add_date(self.date, crate::date_filter::date_at(date.unix_timestamp()));
            document.add_text(self.date_text, date.to_string());
            document.add_text(self.month, date.month());
        }
        for (field, value) in
            [(self.source, &article.source), (self.category, &article.category), (self.url, &article.url)]
        {
            if let Some(value) = value {
                document.add_text(field, value);
            }
        }
        document
    }

    /// The article stored in a document.
    pub(crate) fn article(&self, document: &TantivyDocument) -> Article {
        let text =
            |field: Field| document.get_first(field).and_then(|value| value.as_str()).map(str::to_string);
        Article {
            id: text(self.id).unwrap_or_default(),
            lang: text(self.lang).and_then(|tag| tag.parse().ok()),
            title: text(self.title).unwrap_or_default(),
            body: text(self.body).unwrap_or_default(),
            date: text(self.date_text).and_then(|date| date.parse::<ArticleDate>().ok()),
            source: text(self.source),
            category: text(self.category),
            url: text(self.url),
        }
    }
}
