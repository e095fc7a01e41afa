//! The Quickwit backend: request shapes against fixtures, response parsing against
//! recorded responses, the whole path through a fake Quickwit on 127.0.0.1, and a live
//! comparison when `NEWSDEX_QUICKWIT_URL` names a running cluster.

mod end_to_end;
mod fixtures;
mod live;

use std::collections::HashSet;

use newsdex::{SearchBackend, SearchRequest, SearchResponse};

/// Mixed queries over the sample corpus — Simplified Chinese, Traditional Chinese,
/// English and mixed scripts: words, several words, phrases, fields, exclusions, model
/// numbers, full-width letters.
pub const QUERIES: &[&str] = &[
    "疫苗",
    "关税",
    "半导体",
    "人工智能",
    "消费",
    "企业 出口",
    "华为 Mate 70",
    "iPhone15 销量",
    "电动车",
    "5G 基站",
    "台湾半导体产业",
    "南京市长江大桥",
    "大桥",
    "贸易战",
    "本港 零售",
    "疫情",
    "醫療",
    "網路",
    "新能源汽车",
    "跨境电商",
    "马拉松",
    "游泳 纪录",
    "银行 利率",
    "旅游",
    "\"半导体产业\"",
    "title:疫苗",
    "企业 -出口",
    "tariffs",
    "vaccine",
    "COVID-19",
    "trade war",
    "\"trade war\"",
    "China exports",
    "world cup",
    "record",
    "growth",
    "hospital patients",
    "AI 芯片",
    "Shenzhen",
    "特朗普 tariff",
    "電競 產業",
    "樓價",
    "長者 疫苗",
    "基本工資",
    "臺灣 出口",
    "醫院 門診",
    "貨櫃 吞吐量",
    "博物館 網路",
    "世界盃",
    "人工智慧 企業",
    "\"半導體產業\"",
    "ＡＩ 筆電",
];

/// The top ten ids of a search.
pub fn top_ten(backend: &dyn SearchBackend, query: &str) -> SearchResponse {
    backend
        .search(&SearchRequest { limit: 10, ..SearchRequest::new(query) })
        .unwrap_or_else(|error| panic!("{} backend, {query}: {error}", backend.name()))
}

/// Share of `expected`'s top ids that `actual` also returns in its top ten (1 when both
/// are empty).
pub fn overlap(expected: &SearchResponse, actual: &SearchResponse) -> f64 {
    let expected_ids: HashSet<&str> = expected.hits.iter().map(|hit| hit.id.as_str()).collect();
    let actual_ids: HashSet<&str> = actual.hits.iter().map(|hit| hit.id.as_str()).collect();
    if expected_ids.is_empty() {
        return if actual_ids.is_empty() { 1.0 } else { 0.0 };
    }
    expected_ids.intersection(&actual_ids).count() as f64 / expected_ids.len() as f64
}

/// Hits present in both responses whose title highlights or snippets differ.
pub fn snippet_differences(expected: &SearchResponse, actual: &SearchResponse) -> Vec<String> {
    let mut differences = Vec::new();
    for hit in &expected.hits {
        let Some(other) = actual.hits.iter().find(|other| other.id == hit.id) else { continue };
        if hit.title_html != other.title_html
            || hit.title_highlights != other.title_highlights
            || hit.snippet != other.snippet
            || hit.fragments != other.fragments
        {
            differences.push(format!("{}: {:?} vs {:?}", hit.id, hit.snippet, other.snippet));
        }
    }
    differences
}

/// Compares two backends over [`QUERIES`]: mean top-10 overlap, and every snippet
/// difference.
pub fn compare(
    local: &dyn SearchBackend,
    other: &dyn SearchBackend,
) -> (f64, Vec<(String, f64)>, Vec<String>) {
    compare_on(local, other, QUERIES.iter().copied())
}

/// Compares two backends over `queries`: mean top-10 overlap (1 when there are no
/// queries), the overlap of each query, and every snippet difference.
pub fn compare_on<'q>(
    local: &dyn SearchBackend,
    other: &dyn SearchBackend,
    queries: impl IntoIterator<Item = &'q str>,
) -> (f64, Vec<(String, f64)>, Vec<String>) {
    let mut per_query = Vec::new();
    let mut differences = Vec::new();
    for query in queries {
        let expected = top_ten(local, query);
        let actual = top_ten(other, query);
        per_query.push((query.to_string(), overlap(&expected, &actual)));
        differences
            .extend(snippet_differences(&expected, &actual).into_iter().map(|d| format!("{query}: {d}")));
    }
    if per_query.is_empty() {
        return (1.0, per_query, differences);
    }
    let mean = per_query.iter().map(|(_, value)| value).sum::<f64>() / per_query.len() as f64;
    (mean, per_query, differences)
}
