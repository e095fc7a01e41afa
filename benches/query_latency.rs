//! Query latency on a large index: term, several-word, many alternatives, pasted
//! sentences, phrase, prefix, phrase prefix, fuzzy, misspelt, homophone, pinyin (without
//! and with tones, and typed together), mixed-language, filtered, faceted, newest-first,
//! recency-blended and snippet-producing queries. `one category` and `one month` filter
//! each query to the category, or the month, holding most of its matches: in an index
//! generated from the real corpus one of dozens, a filter far rarer than the query.
//! `recent months` filters each query to its newest four months (a date range open at
//! its end).
//!
//! The index holds `NEWSDEX_BENCH_ARTICLES` articles (default 100,000) generated from the
//! real corpus's sentences (`NEWSDEX_CORPUS`, default ../shared/corpus) or, without it,
//! from the embedded sample. It is built once and kept under `target/bench-indexes/`
//! (rebuilt when its parameters change). `NEWSDEX_BENCH_INDEX` names an existing index
//! to measure instead, such as one built by `newsdex index` from `newsdex generate`'s
//! million articles. Besides criterion's figures the bench prints p50 and p99 per query
//! kind over repeated runs. Suggestions are forgotten before each search, so each pays
//! for its "did you mean" as a query's first search does. The index is preloaded into the
//! file cache first, as `newsdex serve --preload` does.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::Instant;

use criterion::Criterion;
use newsdex::{
    Analyzer, ArticleDate, IngestOptions, Lang, NewsIndex, Recency, SearchRequest, SearchResponse,
    SentencePool, SnippetOptions, SortOrder, WriterSettings,
};

/// Runs per query for the percentile table.
const PERCENTILE_RUNS: usize = 400;

/// The kinds of queries of Chinese words typed in pinyin: without and with tones, and
/// several words' syllables typed together.
const PINYIN: &str = "pinyin+snippets";
const TONED_PINYIN: &str = "toned pinyin+snippets";
const JOINED_PINYIN: &str = "joined pinyin+snippets";

struct QueryKind {
    name: &'static str,
    requests: Vec<SearchRequest>,
}

impl QueryKind {
    /// Whether a query of this kind was answered: it found articles, or, typed in pinyin,
    /// found none as typed and suggested its reading.
    fn answered(&self, response: &SearchResponse) -> bool {
        response.total > 0
            || ([PINYIN, TONED_PINYIN, JOINED_PINYIN].contains(&self.name) && response.suggestion.is_some())
    }
}

fn main() {
    let articles: u64 =
        std::env::var("NEWSDEX_BENCH_ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let index = match std::env::var_os("NEWSDEX_BENCH_INDEX") {
        Some(path) => NewsIndex::open(&path).expect("NEWSDEX_BENCH_INDEX must name a newsdex index"),
        None => bench_index(articles),
    };
    // As `newsdex serve --preload` does: every figure is of an index in the file cache,
    // whatever ran on the machine before.
    let preloaded = index.preload().expect("preload");
    println!(
        "preloaded {} MB and the readings of {} Chinese words in {:.1} s",
        preloaded.bytes / 1_000_000,
        preloaded.pinyin_words,
        preloaded.took_ms as f64 / 1e3
    );
    let articles = index.num_articles();
    let kinds = query_kinds(&index);
    let mut criterion = Criterion::default().sample_size(30).configure_from_args();
    let mut group = criterion.benchmark_group(format!("query-{articles}"));
    for kind in &kinds {
        group.bench_function(kind.name, |bencher| {
            let mut next = 0;
            bencher.iter(|| {
                let request = &kind.requests[next % kind.requests.len()];
                next += 1;
                index.forget_suggestions();
                let response = index.search(request).expect("search");
                assert!(kind.answered(&response), "help: {} found nothing", request.query);
                response.total
            });
        });
    }
    group.finish();
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--profile-time") {
        return;
    }
    println!("\n{} articles, {} segments", index.num_articles(), index.num_segments());
    println!("{:<22} {:>9} {:>9} {:>9}  queries", "kind", "p50 ms", "p99 ms", "max ms");
    for kind in &kinds {
        let mut latencies: Vec<f64> = (0..PERCENTILE_RUNS)
            .map(|run| {
                let request = &kind.requests[run % kind.requests.len()];
                index.forget_suggestions();
                let started = Instant::now();
                let response = index.search(request).expect("search");
                let elapsed = started.elapsed().as_secs_f64() * 1e3;
                assert!(kind.answered(&response), "help: {} found nothing", request.query);
                elapsed
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let queries: Vec<String> = kind
            .requests
            .iter()
            .map(|r| {
                let mut filters: Vec<String> = Vec::new();
                if !r.lang.is_empty() {
                    filters.push(r.lang.iter().map(|lang| lang.as_str()).collect::<Vec<_>>().join(", "));
                }
                if !r.category.is_empty() {
                    filters.push(r.category.join(", "));
                }
                if r.from.is_some() || r.to.is_some() {
                    let end = |date: Option<ArticleDate>| date.map_or(String::new(), |date| date.to_string());
                    filters.push(format!("{}..{}", end(r.from), end(r.to)));
                }
                if filters.is_empty() {
                    r.query.clone()
                } else {
                    format!("{} [{}]", r.query, filters.join("; "))
                }
            })
            .collect();
        println!(
            "{:<22} {:>9.3} {:>9.3} {:>9.3}  {}",
            kind.name,
            percentile(0.5),
            percentile(0.99),
            latencies[latencies.len() - 1],
            queries.join(" | ")
        );
    }
}

fn query_kinds(index: &NewsIndex) -> Vec<QueryKind> {
    let plain =
        |queries: &[&str]| -> Vec<SearchRequest> { queries.iter().map(|q| SearchRequest::new(*q)).collect() };
    let no_snippets = SnippetOptions { fragments: 0, ..SnippetOptions::default() };
    vec![
        QueryKind {
            name: "term",
            requests: plain(&["经济", "疫情", "market", "學生", "创新", "oil"])
                .into_iter()
                .map(|r| SearchRequest { snippet: no_snippets.clone(), ..r })
                .collect(),
        },
        QueryKind {
            name: "term+snippets",
            requests: plain(&["经济", "疫情", "market", "學生", "创新", "oil"]),
        },
        QueryKind {
            // Frequent words of one language together: every word must match, and the
            // ranking passes over the matches that cannot reach the top.
            name: "words+snippets",
            requests: plain(&["中国 经济", "经济 增长", "美国 中国", "central bank", "interest rates"]),
        },
        QueryKind {
            // Three words, as an unspaced Chinese query often segments: the proximity
            // bonus's bound is the phrase's weight, looser than for two words.
            name: "three words+snippets",
            requests: plain(&[
                "中国经济增长",
                "美国总统选举",
                "全球经济增长",
                "central bank rates",
                "interest rates rise",
            ]),
        },
        QueryKind {
            // Many frequent words as alternatives: a union of more terms than block-max
            // WAND ranks well, so every match is scored.
            name: "many ORs+snippets",
            requests: plain(&[
                "经济 OR 市场 OR 政府 OR 美国 OR market OR government OR 发展 OR oil OR 公司",
                "tariff OR trade OR exports OR imports OR 关税 OR 贸易 OR 出口 OR 进口 OR market",
            ]),
        },
        QueryKind {
            // A headline or sentence pasted into the search box: no article holds every
            // word, so articles holding any are ranked (the first 32 words).
            name: "sentence+snippets",
            requests: plain(&[
                "oil prices rose sharply on monday as traders weighed supply cuts against weak demand from china and europe",
                "中国 经济 增长 放缓 美国 关税 贸易 市场 投资者 担心 全球 需求 下降 石油 价格",
                "美国总统周二表示政府将对中国进口商品加征关税，市场担心贸易战升级，全球经济增长放缓，投资者纷纷抛售股票",
            ]),
        },
        QueryKind {
            name: "phrase+snippets",
            requests: plain(&["\"人工智能\"", "\"trade deficit\"", "\"中国 经济\""]),
        },
        QueryKind {
            name: "mixed+snippets",
            requests: plain(&["中国 oil", "经济 market", "美国 tariff", "华为 5G", "香港 dollar"]),
        },
        QueryKind {
            // Chinese words the mainland and Taiwan name differently: each also searches
            // the other region's word (a phrase of two for 网络安全 and "软件更新").
            name: "regional+snippets",
            requests: plain(&["信息", "网络", "軟體", "网络安全", "\"软件更新\""]),
        },
        QueryKind {
            // Prefixes: each expands to the index's most frequent words beginning with
            // it, searched as alternatives.
            name: "prefix+snippets",
            requests: plain(&["经济*", "半导*", "econom*", "tari*", "中国 mark*"]),
        },
        QueryKind {
            // Phrases ending in a prefix, as typed into a search box: the last word
            // expands as a prefix and each word found ends a phrase of its own.
            name: "phrase prefix+snippets",
            requests: plain(&["\"central ban\"*", "\"interest ra\"*", "\"中国 经\"*", "\"人工智\"*"]),
        },
        QueryKind {
            // Misspelt words: each expands to the indexed words within its edits that
            // share its first letter, weighted by frequency times similarity.
            name: "fuzzy+snippets",
            requests: plain(&["tarif~", "goverment~", "semicondutor~", "inflaton~", "economi~"]),
        },
        QueryKind {
            // Misspelt words typed without `~`: searched as typed, with a spelling
            // suggestion looked up for each.
            name: "did you mean+snippets",
            requests: plain(&[
                "goverment policy",
                "inflaton rates",
                "presidnet election",
                "Shanghia stocks",
                "compnay profits",
            ]),
        },
        QueryKind {
            // A Chinese character typed as the wrong homophone, suggested as the one
            // articles write there; jieba reads the last two in pieces.
            name: "homophone+snippets",
            requests: plain(&[
                "房价上张",
                "疫苗接重",
                "美国总通",
                "央行降西",
                "经济增涨",
                "新冠病读",
                "中美关戏",
            ]),
        },
        QueryKind {
            // Chinese words typed in pinyin: each read against the bodies' words.
            name: PINYIN,
            requests: plain(&[
                "jingji",
                "bandaoti",
                "zhongguo jingji",
                "xinguan yimiao",
                "fangjia",
                "xin guan yi miao",
            ]),
        },
        QueryKind {
            // The same typed with tone marks or numbers, which narrow each syllable's
            // characters.
            name: TONED_PINYIN,
            requests: plain(&[
                "jīngjì",
                "ban4dao3ti3",
                "zhōngguó jīngjì",
                "xīnguān yìmiáo",
                "fang2jia4",
                "xīn guān yì miáo",
            ]),
        },
        QueryKind {
            // Several words' syllables typed together, cut into the words articles write
            // together.
            name: JOINED_PINYIN,
            requests: plain(&[
                "zhongguojingji",
                "xinguanyimiao",
                "renminbihuilv",
                "gaosufazhan",
                "meiguozongtong",
                "quanqiuqihoubianhua",
            ]),
        },
        QueryKind {
            name: "filtered+snippets",
            requests: plain(&["经济", "market", "政府"])
                .into_iter()
                .map(|r| SearchRequest {
                    lang: vec![Lang::ZhHans, Lang::En],
                    from: Some(date("2018-01-01")),
                    to: Some(date("2022-12-31")),
                    ..r
                })
                .collect(),
        },
        QueryKind {
            name: "one category+snippets",
            requests: plain(&["经济", "美国 OR 中国", "\"经济 发展\"", "market"])
                .into_iter()
                .map(|r| SearchRequest { category: vec![top_category(index, &r.query)], ..r })
                .collect(),
        },
        QueryKind {
            name: "one month+snippets",
            requests: plain(&["经济", "美国 OR 中国", "中国 经济", "market"])
                .into_iter()
                .map(|r| {
                    let (from, to) = top_month(index, &r.query);
                    SearchRequest { from: Some(from), to: Some(to), ..r }
                })
                .collect(),
        },
        QueryKind {
            name: "recent months+snippets",
            requests: plain(&["华为", "market", "经济", "tariff", "政府"])
                .into_iter()
                .map(|r| SearchRequest { from: Some(recent_months(index, &r.query, 4)), ..r })
                .collect(),
        },
        QueryKind {
            // Newest first: past 10,000 matches the page is looked for among the newest
            // articles.
            name: "newest first+snippets",
            requests: plain(&["经济", "中国 经济", "美国 OR 中国", "\"经济 发展\"", "market"])
                .into_iter()
                .map(|r| SearchRequest { sort: SortOrder::Date, ..r })
                .collect(),
        },
        QueryKind {
            // Relevance blended with recency: the query's own pruning, bounded by the
            // blended score of the last hit kept.
            name: "recency+snippets",
            requests: plain(&["经济", "中国 经济", "美国 OR 中国", "\"经济 发展\"", "market"])
                .into_iter()
                .map(|r| SearchRequest {
                    recency: Some(Recency { half_life_days: 30.0, weight: 0.5, reference: None }),
                    ..r
                })
                .collect(),
        },
        QueryKind {
            name: "faceted+snippets",
            requests: plain(&["经济", "market", "政府"])
                .into_iter()
                .map(|r| SearchRequest { facets: true, ..r })
                .collect(),
        },
    ]
}

/// The category holding most of `query`'s matches.
fn top_category(index: &NewsIndex, query: &str) -> String {
    let request = SearchRequest { limit: 0, facets: true, ..SearchRequest::new(query) };
    let response = index.search(&request).expect("search");
    let facets = response.facets.expect("facets were asked for");
    let top = facets.category.into_iter().max_by_key(|facet| facet.count);
    top.unwrap_or_else(|| panic!("help: {query:?} should match articles with a category")).value
}

/// The first and last days of the month holding most of `query`'s matches.
fn top_month(index: &NewsIndex, query: &str) -> (ArticleDate, ArticleDate) {
    let request = SearchRequest { limit: 0, facets: true, ..SearchRequest::new(query) };
    let response = index.search(&request).expect("search");
    let facets = response.facets.expect("facets were asked for");
    let top = facets.month.into_iter().max_by_key(|facet| facet.count);
    let month = top.unwrap_or_else(|| panic!("help: {query:?} should match dated articles")).value;
    let last = ["31", "30", "29", "28"]
        .iter()
        .find_map(|day| format!("{month}-{day}").parse().ok())
        .expect("a month has 28 days or more");
    (date(&format!("{month}-01")), last)
}

/// The first day of the `months`th newest month holding a match of `query`: a search
/// since then looks at the newest few months, as a reader of news often does.
fn recent_months(index: &NewsIndex, query: &str, months: usize) -> ArticleDate {
    let request = SearchRequest { limit: 0, facets: true, ..SearchRequest::new(query) };
    let response = index.search(&request).expect("search");
    let facets = response.facets.expect("facets were asked for");
    let mut held: Vec<String> = facets.month.into_iter().map(|facet| facet.value).collect();
    held.sort_unstable();
    let month = held.iter().rev().nth(months - 1).or(held.first());
    let month = month.unwrap_or_else(|| panic!("help: {query:?} should match dated articles"));
    date(&format!("{month}-01"))
}

fn date(text: &str) -> ArticleDate {
    text.parse().expect("a valid date")
}

/// The bench index, built once per parameter set.
fn bench_index(articles: u64) -> NewsIndex {
    let corpus = support::corpus_dir();
    let from_corpus = corpus.is_dir();
    // `runs`: built since bulk ingestion writes languages in runs of ids, which changes
    // what conjunctions across languages cost; an index built before is not reused.
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-indexes").join(format!(
        "query-{articles}-{}-v{}-runs",
        if from_corpus { "corpus" } else { "sample" },
        newsdex::ANALYZER_VERSION
    ));
    if directory.join("meta.json").exists()
        && let Ok(index) = NewsIndex::open(&directory)
        && index.num_articles() >= articles
    {
        return index;
    }
    let _ = std::fs::remove_dir_all(&directory);
    eprintln!("building the {articles}-article bench index in {} …", directory.display());
    let mut pool = SentencePool::new();
    if from_corpus {
        for file in [
            "chinanews.part1.zh.jsonl",
            "appledaily-tw.zh-Hant.jsonl",
            "reuters21578.en.jsonl",
            "bbc-news.en.jsonl",
        ] {
            for article in support::corpus_articles(file, usize::MAX).unwrap_or_default() {
                pool.add(&article);
            }
        }
    } else {
        for article in support::sample_articles() {
            pool.add(&article);
        }
    }
    let mut corpus_bytes = Vec::new();
    pool.generate(articles, 7, &mut corpus_bytes).expect("generate");
    let index = NewsIndex::create(&directory, Analyzer::new()).expect("create");
    let mut writer = index.writer(WriterSettings::default()).expect("writer");
    writer.ingest_jsonl(corpus_bytes.as_slice(), &IngestOptions::default(), &mut |_| {}).expect("ingest");
    writer.commit().expect("commit");
    writer.finish().expect("merges");
    index
}
