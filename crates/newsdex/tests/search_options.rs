//! Every search option against the sample corpus.

use newsdex::{
    Analyzer, Article, ArticleDate, Error, Lang, NewsIndex, Recency, SearchRequest, SearchResponse,
    SnippetOptions, SortOrder, WriterSettings,
};

use crate::support::sample_index;

fn run(request: SearchRequest) -> SearchResponse {
    let query = request.query.clone();
    sample_index().search(&request).unwrap_or_else(|error| panic!("{query}: {error}"))
}

fn ids(response: &SearchResponse) -> Vec<&str> {
    response.hits.iter().map(|hit| hit.id.as_str()).collect()
}

fn date(text: &str) -> ArticleDate {
    text.parse().expect("a valid date")
}

#[test]
fn facet_counts_match_the_corpus_counted_by_hand() {
    // grep of index-data/articles.jsonl: five articles mention 半导体 or 半導體.
    let response = run(SearchRequest { facets: true, ..SearchRequest::new("半导体") });
    assert_eq!(response.total, 5);
    let facets = response.facets.expect("facets were asked for");
    let counts = |list: &[newsdex::FacetCount]| -> Vec<(String, u64)> {
        list.iter().map(|count| (count.value.clone(), count.count)).collect()
    };
    assert_eq!(counts(&facets.lang), [("zh-Hant".to_string(), 3), ("zh-Hans".to_string(), 2)]);
    let mut categories = counts(&facets.category);
    categories.sort();
    assert_eq!(
        categories,
        [("economy".to_string(), 1), ("technology".to_string(), 2), ("trade".to_string(), 2)]
    );
    assert_eq!(counts(&facets.source), [("寶島財經週刊".to_string(), 3), ("华东财经报".to_string(), 2)]);
    let months: Vec<String> = facets.month.iter().map(|count| count.value.clone()).collect();
    assert_eq!(
        months,
        ["2025-09", "2023-07", "2023-05", "2021-06", "2021-04"],
        "help: months are newest first"
    );
}

#[test]
fn filters_exclude_what_they_should() {
    let all = run(SearchRequest::new("半导体"));
    assert!(all.hits.iter().any(|hit| hit.lang == Some(Lang::ZhHant)));
    let simplified = run(SearchRequest { lang: vec![Lang::ZhHans], ..SearchRequest::new("半导体") });
    assert_eq!(simplified.total, 2);
    assert!(
        simplified.hits.iter().all(|hit| hit.lang == Some(Lang::ZhHans)),
        "help: the lang filter must exclude"
    );
    let by_source =
        run(SearchRequest { source: vec!["寶島財經週刊".into()], ..SearchRequest::new("半导体") });
    assert!(by_source.hits.iter().all(|hit| hit.source.as_deref() == Some("寶島財經週刊")));
    assert_eq!(by_source.total, 3);
    let by_category =
        run(SearchRequest { category: vec!["trade".into()], ..SearchRequest::new("半导体") });
    assert_eq!(by_category.total, 2);
    let dated = run(SearchRequest {
        from: Some(date("2023-01-01")),
        to: Some(date("2023-12-31")),
        ..SearchRequest::new("半导体")
    });
    assert_eq!(ids(&dated).len(), 2);
    for hit in &dated.hits {
        let year = hit.date.expect("dated").instant().year();
        assert_eq!(year, 2023, "help: the date range must exclude {}", hit.id);
    }
    let to_is_inclusive =
        run(SearchRequest { to: Some(date("2021-04-13")), ..SearchRequest::new("半导体") });
    assert_eq!(ids(&to_is_inclusive), ["hant-econ-0006"], "help: `to` covers the whole day");
}

#[test]
fn filter_names_are_read_as_articles_store_them() {
    let exact =
        run(SearchRequest { source: vec!["寶島財經週刊".into()], ..SearchRequest::new("半导体") });
    let untidy = run(SearchRequest {
        source: vec![" 寶島財經週刊\t".into(), "".into(), "寶島財經週刊 ".into()],
        category: vec!["  ".into()],
        ..SearchRequest::new("半导体")
    });
    assert_eq!(ids(&untidy), ids(&exact), "help: surrounding whitespace is not part of a name");
    assert_eq!(untidy.applied.source, ["寶島財經週刊"], "help: each name once, trimmed");
    assert!(untidy.applied.category.is_empty(), "help: a blank name filters nothing");
    let typed = run(SearchRequest::new("source:\" 寶島財經週刊 \" 半导体"));
    assert_eq!(ids(&typed), ids(&exact));
    // Too many values is the caller's mistake, named.
    let many = SearchRequest {
        category: (0..=newsdex::MAX_FILTER_VALUES).map(|i| format!("c{i}")).collect(),
        ..SearchRequest::new("半导体")
    };
    let error = sample_index().search(&many).expect_err("over the limit");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "invalid request: the category filter lists 1025 values; the limit is {}",
            newsdex::MAX_FILTER_VALUES
        )
    );
    let at_the_limit = SearchRequest { category: many.category[1..].to_vec(), ..many };
    assert_eq!(run(at_the_limit).total, 0);
}

#[test]
fn a_filter_name_no_article_has_matches_the_names_differing_only_in_case() {
    let exact = run(SearchRequest::new("category:trade exporters"));
    assert!(exact.total > 0 && exact.applied.notes.is_empty(), "{:?}", exact.applied.notes);
    let capitalised = run(SearchRequest::new("category:Trade exporters"));
    assert_eq!(ids(&capitalised), ids(&exact));
    assert_eq!(capitalised.applied.category, ["trade"]);
    assert_eq!(
        capitalised.applied.notes,
        ["no article has category \"Trade\"; it was matched as \"trade\", which differs only in case"]
    );
    let shouted = run(SearchRequest {
        source: vec!["PACIFIC LEDGER".into(), "Pacific Ledger".into()],
        ..SearchRequest::new("*")
    });
    assert_eq!(shouted.total, run(SearchRequest::new("source:\"Pacific Ledger\"")).total);
    assert_eq!(shouted.applied.source, ["Pacific Ledger"], "help: kept once");
    let nowhere = run(SearchRequest::new("category:Nowhere 半导体"));
    assert_eq!(nowhere.total, 0);
    assert!(nowhere.applied.notes.is_empty(), "{:?}", nowhere.applied.notes);
}

#[test]
fn filters_typed_into_the_query_are_the_parameters_filters() {
    let typed = run(SearchRequest::new("lang:zh-Hans 半导体"));
    let parameter = run(SearchRequest { lang: vec![Lang::ZhHans], ..SearchRequest::new("半导体") });
    assert_eq!(ids(&typed), ids(&parameter));
    assert_eq!(typed.applied.lang, [Lang::ZhHans], "help: the response says which filter applied");
    assert_eq!(typed.applied.terms, ["半导体"], "help: lang:zh-Hans is not a word");
    let typed = run(SearchRequest::new("source:\"寶島財經週刊\" category:trade 半导体"));
    let parameters = run(SearchRequest {
        source: vec!["寶島財經週刊".into()],
        category: vec!["trade".into()],
        ..SearchRequest::new("半导体")
    });
    assert_eq!(ids(&typed), ids(&parameters));
    // A filter alone lists what it keeps, newest first: nothing ranks the articles.
    let english = run(SearchRequest { limit: 100, ..SearchRequest::new("lang:en") });
    assert!(english.total > 10);
    assert!(english.hits.iter().all(|hit| hit.lang == Some(Lang::En)));
    let dates: Vec<_> = english.hits.iter().map(|hit| hit.date.expect("dated").instant()).collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "help: newest first");
    assert_eq!(english.applied.sort, SortOrder::Date);
    assert_eq!(
        english.applied.notes,
        ["nothing in the query ranks the articles, so they are listed newest first"]
    );
    let excluded = run(SearchRequest { limit: 20, ..SearchRequest::new("-经济") });
    assert_eq!(excluded.applied.sort, SortOrder::Date, "help: exclusions alone rank nothing either");
    // Asked for recency, the list is ranked by it instead, without a note.
    let recent = run(SearchRequest {
        recency: Some(Recency { half_life_days: 30.0, weight: 1.0, reference: None }),
        ..SearchRequest::new("lang:en")
    });
    assert_eq!(recent.applied.sort, SortOrder::Relevance);
    assert!(recent.applied.notes.is_empty(), "{:?}", recent.applied.notes);
    // The request's own filter wins, with a note.
    let both =
        run(SearchRequest { lang: vec![Lang::ZhHant], ..SearchRequest::new("lang:zh-Hans 半导体") });
    assert_eq!(both.applied.lang, [Lang::ZhHant]);
    assert!(both.hits.iter().all(|hit| hit.lang == Some(Lang::ZhHant)));
    assert_eq!(
        both.applied.notes,
        ["lang:zh-Hans in the query was ignored: the lang parameter already filters the search"]
    );
}

#[test]
fn date_sort_is_newest_first() {
    let response = run(SearchRequest {
        sort: SortOrder::Date,
        limit: 50,
        ..SearchRequest::new("经济 OR economy OR 經濟")
    });
    assert!(response.hits.len() > 5);
    let dates: Vec<ArticleDate> =
        response.hits.iter().map(|hit| hit.date.expect("every sample article has a date")).collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "help: dates must not increase: {dates:?}");
}

#[test]
fn date_sort_scores_like_relevance_when_a_clause_matches_nothing() {
    // Regression, found by the query fuzz target: a date-sorted search whose query falls
    // back to any word, with phrases that match no article, panicked while scoring its
    // hits (tantivy's `Weight::explain` seeks backwards in the clauses that match nothing).
    let query = "\"ai123\" \"no deal\" 长江大桥";
    let by_date = run(SearchRequest { sort: SortOrder::Date, limit: 50, ..SearchRequest::new(query) });
    let by_relevance = run(SearchRequest { limit: 50, ..SearchRequest::new(query) });
    assert_eq!(by_date.applied.matching, newsdex::Matching::Any, "help: the query must be relaxed");
    assert!(!by_date.hits.is_empty());
    assert_eq!(by_date.total, by_relevance.total);
    for hit in &by_date.hits {
        let same = by_relevance.hits.iter().find(|other| other.id == hit.id).expect("the same hits");
        assert!(
            hit.score > 0.0 && (hit.score - same.score).abs() <= same.score * 1e-4,
            "help: {} scores {} by date but {} by relevance",
            hit.id,
            hit.score,
            same.score
        );
    }
}

#[test]
fn excluding_a_phrase_that_matches_nothing_excludes_nothing() {
    // Regression, found by the query fuzz target: tantivy asks an excluded phrase about
    // documents behind where its scorer stands (here: at the end, as nothing matches),
    // which its phrase scorer asserted against — a panic with debug assertions on.
    let plain = run(SearchRequest { limit: 50, ..SearchRequest::new("南京市长江大桥") });
    assert!(!plain.hits.is_empty());
    for excluded in ["-\"长江大桥 tariff\"", "-\"tariffs 大桥\"~3", "-\"no such phrase\""] {
        let query = format!("南京市长江大桥 {excluded}");
        let response = run(SearchRequest { limit: 50, ..SearchRequest::new(query.as_str()) });
        assert_eq!(ids(&response), ids(&plain), "help: {excluded} matches no article");
    }
    // An excluded phrase that does match still excludes.
    let response =
        run(SearchRequest { limit: 50, ..SearchRequest::new("南京市长江大桥 -\"长江大桥\"") });
    assert!(response.hits.len() < plain.hits.len(), "help: the phrase must exclude its articles");
}

#[test]
fn recency_prefers_newer_articles_only_when_asked() {
    let query = "疫苗";
    let plain = run(SearchRequest::new(query));
    let recency = Recency { half_life_days: 180.0, weight: 1.0, reference: Some(date("2026-12-01")) };
    let recent = run(SearchRequest { recency: Some(recency), ..SearchRequest::new(query) });
    assert_eq!(plain.total, recent.total, "help: recency changes the order, not the matches");
    let newest = |response: &SearchResponse| response.hits[0].date.expect("dated");
    let latest = recent.hits.iter().filter_map(|hit| hit.date).max().expect("dates");
    assert_eq!(newest(&recent), latest, "help: at full weight the newest match comes first");
    assert_ne!(ids(&plain), ids(&recent), "help: the default ranking ignores age");
    // Sorted by date, recency has nothing to reorder: the response says so.
    let by_date =
        run(SearchRequest { recency: Some(recency), sort: SortOrder::Date, ..SearchRequest::new(query) });
    assert_eq!(by_date.applied.recency, None);
    assert_eq!(by_date.applied.notes, ["recency was not applied: the hits are sorted by date, newest first"]);
    assert_eq!(
        ids(&by_date),
        ids(&run(SearchRequest { sort: SortOrder::Date, ..SearchRequest::new(query) })),
        "help: the order is the date order"
    );
}

#[test]
fn pages_are_disjoint_with_a_stable_total_and_a_capped_window() {
    let first = run(SearchRequest { limit: 3, ..SearchRequest::new("经济 OR economy") });
    let second = run(SearchRequest { limit: 3, offset: 3, ..SearchRequest::new("经济 OR economy") });
    assert_eq!(first.total, second.total);
    assert!(first.total > 6);
    assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));
    let too_deep =
        sample_index().search(&SearchRequest { limit: 10, offset: 995, ..SearchRequest::new("经济") });
    assert!(matches!(too_deep, Err(Error::InvalidRequest(_))), "{too_deep:?}");
}

#[test]
fn exclusion_alternatives_and_fields() {
    let with_both = run(SearchRequest::new("疫苗"));
    let excluded = run(SearchRequest::new("疫苗 -COVID-19"));
    assert!(excluded.total < with_both.total, "help: -COVID-19 must drop the COVID articles");
    assert!(!ids(&excluded).contains(&"hans-health-0001"));
    let either = run(SearchRequest::new("南京市长江大桥 OR 澜岳半导体"));
    assert!(ids(&either).contains(&"hans-cult-0001") && ids(&either).contains(&"hans-tech-0007"));
    let in_titles = run(SearchRequest::new("title:半导体"));
    assert!(in_titles.total < 5, "help: only two titles say 半导体: {:?}", ids(&in_titles));
    assert!(in_titles.hits.iter().all(|hit| hit.title_html.contains("<mark>")));
    let reversed = run(SearchRequest::new("\"长江大桥南京市\""));
    assert_eq!(reversed.total, 0, "help: a phrase keeps its order");
}

#[test]
fn a_word_with_a_star_finds_the_words_it_begins() {
    // Stemmed English words, in any inflection, and both scripts of Chinese.
    let english = run(SearchRequest::new("semicond*"));
    assert_eq!(run(SearchRequest::new("semiconductors")).total, 2, "help: the corpus changed");
    assert_eq!(english.total, 2, "{:?}", ids(&english));
    assert!(english.hits.iter().all(|hit| hit.snippet.contains("<mark>semiconductors</mark>")));
    assert_eq!(english.applied.terms, ["semicond*"]);
    assert!(english.applied.notes.is_empty(), "{:?}", english.applied.notes);
    let simplified = run(SearchRequest::new("半导*"));
    let traditional = run(SearchRequest::new("半導*"));
    assert_eq!(ids(&simplified), ids(&traditional));
    let whole_word = run(SearchRequest::new("半导体"));
    assert!(simplified.total >= whole_word.total && whole_word.total > 0);
    assert!(ids(&simplified).contains(&"hant-tech-0001"), "help: 半导* must find 半導體");
    // `chip*` finds chip and chipmakers, which `chip` does not.
    let chips = run(SearchRequest::new("chip*"));
    let chip = run(SearchRequest::new("chip"));
    assert!(ids(&chip).iter().all(|id| ids(&chips).contains(id)), "{:?} {:?}", ids(&chip), ids(&chips));
    assert!(chips.hits.iter().any(|hit| hit.title_html.contains("<mark>Chipmakers</mark>")));
    assert!(!chip.hits.iter().any(|hit| hit.title_html.contains("<mark>Chipmakers</mark>")));
    // Prefixes combine with words, exclusions and fields.
    let trade = run(SearchRequest::new("trade"));
    let without_tariffs = run(SearchRequest::new("trade -tarif*"));
    assert!(without_tariffs.total < trade.total);
    assert_eq!(without_tariffs.total, trade.total - run(SearchRequest::new("trade tarif*")).total);
    let in_titles = run(SearchRequest::new("title:半导*"));
    assert!(in_titles.total < simplified.total && in_titles.total > 0);
    assert!(in_titles.hits.iter().all(|hit| hit.title_html.contains("<mark>")));
}

#[test]
fn a_phrase_ending_in_a_star_finds_the_phrase_with_its_last_word_a_prefix() {
    // Four articles say "central bank(s)"; in one title, and the order counts.
    let phrase = run(SearchRequest::new("\"central ban\"*"));
    assert_eq!(phrase.total, 4, "{:?}", ids(&phrase));
    assert_eq!(phrase.applied.terms, ["central ban*"]);
    assert!(phrase.applied.notes.is_empty(), "{:?}", phrase.applied.notes);
    assert!(
        phrase.hits.iter().all(|hit| hit.snippet.to_lowercase().contains("<mark>central bank")),
        "help: the phrase is highlighted as one: {:?}",
        phrase.hits.iter().map(|hit| &hit.snippet).collect::<Vec<_>>()
    );
    assert_eq!(ids(&run(SearchRequest::new("\"central ban*\""))), ids(&phrase), "help: the star inside");
    assert_eq!(run(SearchRequest::new("\"ban central\"*")).total, 0, "help: a phrase keeps its order");
    let in_titles = run(SearchRequest::new("title:\"central ban\"*"));
    assert_eq!(ids(&in_titles), ["en-econ-0007"]);
    assert!(in_titles.hits[0].title_html.contains("<mark>Central Banks</mark>"));
    // It combines with words and exclusions.
    let rates = run(SearchRequest::new("rates")).total;
    let with = run(SearchRequest::new("rates \"central ban\"*")).total;
    let without = run(SearchRequest::new("rates -\"central ban\"*")).total;
    assert!(with > 0 && without > 0 && with + without == rates, "{with} + {without} != {rates}");
    // Chinese in either script: `长江*` finds the indexed word 长江大桥 after 南京市.
    for query in ["\"南京市长江\"*", "\"南京市長江\"*"] {
        let chinese = run(SearchRequest::new(query));
        assert_eq!(ids(&chinese), ["hans-cult-0001"], "{query}");
        assert!(
            chinese.hits[0].snippet.contains("<mark>南京市长江大桥</mark>"),
            "{}",
            chinese.hits[0].snippet
        );
    }
    // A Chinese word still being typed, cut in two by segmentation (`人工` and `智`), is
    // also read as the start of one word, in either script.
    let typing = run(SearchRequest::new("\"人工智\"*"));
    assert_eq!(ids(&typing), ids(&run(SearchRequest::new("人工智能"))));
    assert!(typing.hits.iter().any(|hit| hit.snippet.contains("<mark>人工智慧</mark>")));
    assert_eq!(
        typing.applied.notes,
        ["\"人工智\"* was also read as the words beginning with 人工智: 人工智慧, 人工智能"]
    );
    let industry = run(SearchRequest::new("\"半导体产\"*"));
    assert!(ids(&industry).contains(&"hant-tech-0001"), "help: 半導體產業 {:?}", ids(&industry));
    assert!(
        industry
            .hits
            .iter()
            .all(|hit| hit.snippet.contains("产业</mark>") || hit.snippet.contains("產業</mark>"))
    );
    // The words before the prefix also in the other region's wording: Taiwan's 軟體更新.
    let regional = run(SearchRequest::new("\"软件 更\"*"));
    assert_eq!(ids(&regional), ["hant-tech-0002"]);
    assert!(regional.hits[0].title_html.contains("<mark>軟體更新</mark>"), "{}", regional.hits[0].title_html);
    assert_eq!(regional.applied.notes, ["\"软件\" also stands for Taiwan's \"軟體\""]);
    let as_typed = SearchRequest { synonyms: false, ..SearchRequest::new("\"软件 更\"*") };
    assert_eq!(run(as_typed).total, 0);
    // After other words one Chinese character is prefix enough: 去* after 临湖市.
    let after_words = run(SearchRequest::new("\"临湖市 去\"*"));
    assert!(after_words.applied.notes.is_empty(), "{:?}", after_words.applied.notes);
    assert_eq!(after_words.applied.terms, ["临湖市 去*"]);
    assert_eq!(ids(&after_words), ["hans-econ-0003"]);
    assert!(after_words.hits[0].title_html.contains("<mark>临湖市去年</mark>"));
    // Words with a character that means something in a regular expression.
    let decimal = run(SearchRequest::new("\"fell to 3.9\"*"));
    assert_eq!(ids(&decimal), ["en-econ-0003"]);
    assert!(decimal.hits[0].snippet.contains("<mark>fell to 3.9</mark>"), "{}", decimal.hits[0].snippet);
    // One word is a prefix; a last word too short for one, or found nowhere, says so.
    assert_eq!(ids(&run(SearchRequest::new("\"semicond\"*"))), ids(&run(SearchRequest::new("semicond*"))));
    let short = run(SearchRequest::new("\"central b\"*"));
    assert_eq!(
        short.applied.notes,
        [
            "a prefix needs at least 2 letters or digits: \"central b\"* was searched as the phrase \"central b\""
        ]
    );
    let nowhere = run(SearchRequest::new("\"central zzq\"*"));
    assert_eq!(nowhere.total, 0);
    assert_eq!(nowhere.applied.notes, ["no indexed word begins with zzq, the end of \"central zzq\"*"]);
}

#[test]
fn a_star_alone_lists_every_article_newest_first() {
    let everything = run(SearchRequest { limit: 100, ..SearchRequest::new("*") });
    assert_eq!(everything.total, sample_index().num_articles());
    assert_eq!(everything.applied.sort, SortOrder::Date);
    assert_eq!(
        everything.applied.notes,
        ["nothing in the query ranks the articles, so they are listed newest first"]
    );
    let dates: Vec<_> = everything.hits.iter().map(|hit| hit.date).collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "help: newest first");
    let english = run(SearchRequest { lang: vec![Lang::En], ..SearchRequest::new("*") });
    assert_eq!(english.total, run(SearchRequest::new("lang:en")).total);
    assert!(english.total > 0 && english.total < everything.total);
    // With words, `*` adds nothing; excluded, it is no way to ask for everything.
    assert_eq!(ids(&run(SearchRequest::new("* 半导体"))), ids(&run(SearchRequest::new("半导体"))));
    let error = sample_index().search(&SearchRequest::new("-*")).expect_err("nothing searchable");
    assert!(error.is_user_error(), "{error}");
    // Operators alone are refused, saying why, and not as if articles were listed.
    for (query, why) in [
        ("AND", "AND needs a word on each side"),
        ("AND AND", "AND needs a word on each side"),
        ("OR", "OR needs a word on each side"),
        ("NOT", "NOT needs a word after it"),
    ] {
        let error = sample_index().search(&SearchRequest::new(query)).expect_err(query).to_string();
        assert!(error.contains("nothing searchable") && error.contains(why), "{query}: {error}");
        assert!(!error.contains("newest first"), "{query}: {error}");
    }
    // A word too long to be indexed is named as such, not as punctuation.
    for query in
        ["a".repeat(129), format!("\"{}\" !!", "x1".repeat(70)), format!("title:{}", "é".repeat(130))]
    {
        let error = sample_index().search(&SearchRequest::new(&query)).expect_err("too long").to_string();
        assert!(error.contains("longer than 128 letters and digits are not indexed"), "{query}: {error}");
    }
    let error = sample_index().search(&SearchRequest::new("!! 🙂")).expect_err("punctuation").to_string();
    assert!(error.ends_with("only punctuation, symbols or emoji"), "{error}");
    // `AND` with a filter or a word is what words mean anyway.
    assert_eq!(run(SearchRequest::new("lang:en AND")).total, run(SearchRequest::new("lang:en")).total);
    assert_eq!(
        ids(&run(SearchRequest::new("芯片 AND 台积电"))),
        ids(&run(SearchRequest::new("芯片 台积电")))
    );
}

#[test]
fn prefixes_say_what_they_searched() {
    let nothing = run(SearchRequest::new("zzqx*"));
    assert_eq!(nothing.total, 0);
    assert_eq!(nothing.applied.notes, ["no indexed word begins with zzqx*"]);
    let short = run(SearchRequest::new("a*"));
    assert_eq!(short.applied.terms, ["a"]);
    assert_eq!(
        short.applied.notes,
        ["a prefix needs at least 2 letters or digits: \"a*\" was searched as \"a\""]
    );
    // `co*` stands for more words than one prefix searches: the most frequent are kept.
    let many = run(SearchRequest::new("co*"));
    let note = &many.applied.notes[0];
    assert!(
        note.starts_with("co* stands for ") && note.ends_with("the 50 in the most articles were searched"),
        "{note}"
    );
    assert!(many.total > 10);
    let highlighted = |hit: &newsdex::Hit| {
        hit.fragments.iter().flat_map(|f| &f.highlights).chain(&hit.title_highlights).count() > 0
    };
    assert!(many.hits.iter().all(highlighted));
    let four = run(SearchRequest::new("tr* ch* se* ma*"));
    assert_eq!(four.applied.terms, ["tr*", "ch*", "se*", "ma"]);
    assert!(
        four.applied.notes.iter().any(|note| note
            == "a query may have at most 3 prefixes and fuzzy words: \"ma*\" was searched as \"ma\"")
    );
}

#[test]
fn a_word_with_a_tilde_finds_the_words_a_few_edits_away() {
    // Misspelt: one edit for up to five letters, two beyond, as Elasticsearch's AUTO.
    let exact = run(SearchRequest::new("tariff"));
    let one_edit = run(SearchRequest::new("tarif~"));
    let as_typed = run(SearchRequest { synonyms: false, ..SearchRequest::new("tarif") });
    assert_eq!(as_typed.total, 0, "help: the corpus changed");
    assert_eq!(ids(&one_edit), ids(&exact), "help: tarif~ is tariff");
    assert_eq!(one_edit.applied.terms, ["tarif~"]);
    assert_eq!(
        one_edit.applied.notes,
        ["tarif~ was searched as the indexed words within 1 edit of it: tariff"]
    );
    assert!(one_edit.hits.iter().any(|hit| hit.title_html.contains("<mark>Tariffs</mark>")));
    let two_edits = run(SearchRequest::new("semicondutors~"));
    assert_eq!(ids(&two_edits), ids(&run(SearchRequest::new("semiconductors"))));
    assert!(two_edits.hits.iter().all(|hit| hit.snippet.contains("<mark>semiconductors</mark>")));
    // A number of edits typed is kept to: tarrif is two edits from tariff, tarriff one.
    assert_eq!(run(SearchRequest::new("tarrif~1")).total, 0);
    assert_eq!(run(SearchRequest::new("tarriff~0")).total, 0);
    assert_eq!(ids(&run(SearchRequest::new("tarriff~1"))), ids(&exact));
    assert_eq!(ids(&run(SearchRequest::new("tarrif~2"))), ids(&run(SearchRequest::new("tarrif~"))));
    let none = run(SearchRequest::new("xyzzyq~"));
    assert_eq!(
        (none.total, none.applied.notes.as_slice()),
        (0, ["no indexed word is within 2 edits of xyzzyq~".to_string()].as_slice())
    );
    // With exclusions and fields; Chinese is searched as typed.
    let trade = run(SearchRequest::new("trade"));
    assert_eq!(
        run(SearchRequest::new("trade -tarif~")).total,
        trade.total - run(SearchRequest::new("trade tariff")).total
    );
    assert!(run(SearchRequest::new("title:tarif~")).hits.iter().all(|hit| hit.title_html.contains("<mark>")));
    let chinese = run(SearchRequest::new("半导体~"));
    assert_eq!(ids(&chinese), ids(&run(SearchRequest::new("半导体"))));
    assert_eq!(
        chinese.applied.notes,
        ["fuzzy matching is for one word in Latin letters: \"半导体~\" was searched as \"半导体\""]
    );
    // The words found are weighted by how likely each is the word meant (frequency times
    // similarity): `bank~` also finds `back`, `band` and `bang`, but the articles about
    // banks come first, where BM25 alone ranks the rarer words' articles higher.
    let near_bank = run(SearchRequest::new("bank~"));
    assert!(near_bank.total > run(SearchRequest::new("bank")).total);
    assert_eq!(ids(&near_bank)[..3], ids(&run(SearchRequest::new("bank")))[..3]);
    assert_ne!(ids(&run(SearchRequest::new("bank OR back OR band OR bang")))[..3], ids(&near_bank)[..3]);
    // The first letter is kept, as Lucene's prefix_length of 1: a misspelt first letter
    // finds nothing through it.
    let first_letter = run(SearchRequest::new("aariff~1"));
    assert!(
        !first_letter.hits.iter().any(|hit| hit.title_html.contains("Tariff")),
        "{:?}",
        ids(&first_letter)
    );
    // Prefixes and fuzzy words share one limit.
    let four = run(SearchRequest::new("tr* ch* tarif~ economy~"));
    assert!(
        four.applied
            .notes
            .iter()
            .any(|note| note.starts_with("a query may have at most 3 prefixes and fuzzy words"))
    );
}

#[test]
fn mixed_chinese_and_english_in_one_query() {
    let response = run(SearchRequest::new("英伟达 H100"));
    assert_eq!(ids(&response).first(), Some(&"hans-tech-0004"));
}

#[test]
fn odd_queries_degrade_or_are_the_callers_error() {
    let lone_quote = run(SearchRequest::new("\"南京市长江大桥"));
    assert_eq!(ids(&lone_quote).first(), Some(&"hans-cult-0001"));
    assert!(!lone_quote.applied.notes.is_empty(), "help: the response must say the quote was ignored");
    let empty_field = run(SearchRequest::new("title:"));
    assert!(!empty_field.applied.notes.is_empty());
    for query in ["😀😀", "，。！", &"长".repeat(10_000), "\"", "OR", "title:\"", "-😀", "-，。 OR"]
    {
        let error = sample_index().search(&SearchRequest::new(query)).expect_err("not searchable");
        assert!(error.is_user_error(), "help: {query:.20} must be the caller's error, not ours: {error}");
    }
    let only_exclusions = run(SearchRequest::new("-足球 -tariffs"));
    assert_eq!(
        only_exclusions.total,
        sample_index().num_articles() - run(SearchRequest::new("足球 OR tariffs")).total
    );
    let nothing_matches_every_word = run(SearchRequest::new("南京市长江大桥 tariffs"));
    assert_eq!(nothing_matches_every_word.applied.matching, newsdex::Matching::Any);
    assert!(nothing_matches_every_word.total >= 2);
}

#[test]
fn snippets_follow_their_options_and_slice_in_every_unit() {
    let options =
        SnippetOptions { fragments: 2, fragment_chars: 40, pre_tag: "<em>".into(), post_tag: "</em>".into() };
    let response = run(SearchRequest { snippet: options, ..SearchRequest::new("台湾 半导体") });
    let hit = response.hits.iter().find(|hit| hit.id == "hant-tech-0001").expect("the Traditional article");
    assert!(!hit.fragments.is_empty() && hit.fragments.len() <= 2);
    let body = sample_index().get(&hit.id).expect("get").expect("stored").body;
    let chars: Vec<char> = body.chars().collect();
    let utf16: Vec<u16> = body.encode_utf16().collect();
    for fragment in &hit.fragments {
        assert!(fragment.text.chars().count() <= 40);
        assert!(fragment.html.contains("<em>") && !fragment.html.contains("<mark>"));
        for range in fragment.highlights.iter().chain([&fragment.range]) {
            let by_bytes = &body[range.byte[0]..range.byte[1]];
            let by_chars: String = chars[range.char[0]..range.char[1]].iter().collect();
            let by_utf16 = String::from_utf16(&utf16[range.utf16[0]..range.utf16[1]]).expect("utf-16");
            assert_eq!((by_bytes, by_bytes), (by_chars.as_str(), by_utf16.as_str()));
        }
    }
    assert!(hit.title_html.contains("<em>"), "help: the title is highlighted too: {}", hit.title_html);
}

#[test]
fn related_articles_share_the_subject() {
    let related = sample_index().related("hant-tech-0001", 5).expect("related");
    assert!(!related.hits.is_empty());
    assert!(
        related.hits.iter().all(|hit| hit.id != "hant-tech-0001"),
        "help: the article itself is left out"
    );
    // Four other sample articles discuss semiconductors; the closest ones must be among them.
    let about_chips = related.hits.iter().take(3).filter(|hit| {
        let article = sample_index().get(&hit.id).expect("get").expect("stored");
        let text = format!("{} {}", article.title, article.body);
        text.contains("半導體") || text.contains("半导体")
    });
    assert!(about_chips.count() >= 2, "help: {:?}", related.hits.iter().map(|h| &h.id).collect::<Vec<_>>());
    assert!(matches!(sample_index().related("no-such-id", 5), Err(Error::ArticleNotFound(_))));
}

#[test]
fn misspelt_words_get_a_suggestion_spelt_as_articles_write_them() {
    for (query, suggestion) in [
        ("tarif", "tariff"),
        ("Inflaton rates", "Inflation rates"),
        ("title:vacine", "title:vaccine"),
        ("marathn -tariff", "marathon -tariff"),
        ("+semiconducter 芯片", "+semiconductor 芯片"),
        ("INFLATON", "INFLATION"),
        // In phrases too, but for the word a phrase prefix ends in, still being typed.
        ("\"tarif\"", "\"tariff\""),
        ("title:\"Inflaton rates\"~2", "title:\"Inflation rates\"~2"),
        ("\"tarif sho\"*", "\"tariff sho\"*"),
    ] {
        assert_eq!(run(SearchRequest::new(query)).suggestion.as_deref(), Some(suggestion), "{query}");
    }
    // Found by nothing as typed, the respelt query is searched, and the answer says so.
    let respelt = run(SearchRequest::new("tarif"));
    assert!(respelt.applied.respelt && respelt.total > 0, "{:?}", respelt.applied);
    assert_eq!(respelt.total, run(SearchRequest::new("tariff")).total);
    assert_eq!(
        (respelt.query.as_str(), respelt.applied.terms.as_slice()),
        ("tarif", ["tariff".to_string()].as_slice())
    );
    assert_eq!(respelt.applied.notes[0], "no article matches \"tarif\"; the results are for \"tariff\"");
    // Unless the words are asked for as typed; a query finding something is never respelt.
    let as_typed = run(SearchRequest { synonyms: false, ..SearchRequest::new("tarif") });
    assert_eq!((as_typed.total, as_typed.applied.respelt), (0, false));
    assert_eq!(as_typed.suggestion.as_deref(), Some("tariff"));
    // Only suggested: two edits away, or typed with a capital (likelier a name).
    for (query, suggestion) in [("inflaten", "inflation"), ("Tarif", "Tariff")] {
        let only_suggested = run(SearchRequest::new(query));
        assert_eq!((only_suggested.total, only_suggested.applied.respelt), (0, false), "{query}");
        assert_eq!(only_suggested.suggestion.as_deref(), Some(suggestion), "{query}");
    }
    let relaxed = run(SearchRequest::new("tarif trade"));
    assert!(relaxed.total > 0 && !relaxed.applied.respelt, "{:?}", relaxed.applied);
    assert_eq!(relaxed.suggestion.as_deref(), Some("tariff trade"));
    // At most 8 rare words of a query are looked at, the first typed.
    let typed = "tarif inflaton vacine marathn semiconducter goverment exportrs pandemik shortge";
    let respelt = "tariff inflation vaccine marathon semiconductor government exporters pandemic";
    assert_eq!(
        run(SearchRequest::new(typed)).suggestion.as_deref(),
        Some(format!("{respelt} shortge").as_str())
    );
    assert_eq!(run(SearchRequest::new("shortge")).suggestion.as_deref(), Some("shortage"));
    // A Chinese word typed in pinyin is suggested in Chinese.
    assert_eq!(run(SearchRequest::new("bandaoti")).suggestion.as_deref(), Some("半导体"));
    // Words spelt as articles spell them, in other scripts, excluded, quoted, fuzzy or
    // prefixes get none; so does a word nothing near is held by.
    for query in [
        "tariff",
        "tariffs inflation",
        "半导体",
        "-tarif trade",
        "-\"tarif wars\" trade",
        "\"trade tarif\"*",
        "tarif~",
        "tari*",
        "zzqxw",
    ] {
        assert_eq!(run(SearchRequest::new(query)).suggestion, None, "{query}");
    }
}

#[test]
fn words_written_inside_chinese_sentences_are_suggested_as_written() {
    // The articles write the words only between Chinese characters: the suggestion is
    // read from them, Chinese around it and all.
    let index = crate::support::index_of_bodies(&[
        (40, "台积电扩大Semiconductor产能，华为称Tariffs压力上升。"),
        (10, "市场关注SEMICONDUCTORS板块。"),
    ]);
    for (query, suggestion) in [("semiconducter", "semiconductor"), ("tarifs 压力", "tariffs 压力")] {
        let response = index.search(&SearchRequest::new(query)).expect("search");
        assert_eq!(response.suggestion.as_deref(), Some(suggestion), "{query}");
    }
}

#[test]
fn chinese_words_typed_in_pinyin_are_suggested_in_chinese() {
    chinese_words_typed_in_pinyin_are_suggested_in_chinese_read(false);
}

/// The same, the words looked up in the reading tables `preload` makes rather than walked.
#[test]
fn chinese_words_typed_in_pinyin_are_suggested_in_chinese_from_reading_tables() {
    chinese_words_typed_in_pinyin_are_suggested_in_chinese_read(true);
}

fn chinese_words_typed_in_pinyin_are_suggested_in_chinese_read(tables: bool) {
    let index = crate::support::index_of_bodies(&[
        (300, "重庆的半导体产业发展迅速。"),
        (100, "The change came to the market."),
        (200, "日本经济增长放缓。"),
        (5, "Prices have risen."),
        (5, "这是一次重要的会议。"),
        (20, "西安的会议很重要。"),
        (120, "新华社报道了会议。"),
        (1, "Xinhua reported the meeting."),
        (60, "列车准时到达。"),
        (5, "新型导体材料。"),
        (700, "Markets were calm."),
    ]);
    if tables {
        assert!(index.preload().expect("preload").pinyin_words > 0);
    }
    let search = |query: &str| index.search(&SearchRequest::new(query)).expect("search");
    let suggestion = |query: &str| search(query).suggestion;
    // Every reading of a character counts: 重 is zhong in 重要 and chong in 重庆.
    for (query, suggested) in [
        ("chongqing", "重庆"),
        ("Chongqing", "重庆"),
        ("zhongyao", "重要"),
        ("xian", "西安"),
        ("xinhuashe", "新华社"),
        ("body:bandaoti", "body:半导体"),
        ("\"bandaoti chanye\"", "\"半导体 产业\""),
        // A word that is a slip of English or pinyin is read like the words beside it.
        ("bandaoti chanye", "半导体 产业"),
        ("重庆 chanye", "重庆 产业"),
        // Typed a syllable or a few at a time, the longest stretch with a reading.
        ("chong qing", "重庆"),
        ("ri ben jingji", "日本 经济"),
        ("chong qing ban dao ti", "重庆 半导体"),
        ("chong qing market", "重庆 market"),
        // Inside a phrase's quotes too, a stretch never crossing them.
        ("\"chong qing\"", "\"重庆\""),
        ("title:\"chong qing ban dao ti\"~2", "title:\"重庆 半导体\"~2"),
        ("\"chong qing\" ban dao ti", "\"重庆\" 半导体"),
        ("“chong qing market”", "“重庆 market”"),
        // 到达 is `daoti` only in 达's rare reading: 导体, read in usual readings, wins
        // though 12 times rarer.
        ("daoti", "导体"),
    ] {
        assert_eq!(suggestion(query).as_deref(), Some(suggested), "{query}");
    }
    // Alone, such a word is English one edit away, searched instead, unless its reading
    // is in ten times the articles: `riben` is 日本 (200 articles), not `risen` (5).
    let alone = search("chanye");
    assert_eq!((alone.suggestion.as_deref(), alone.applied.respelt), (Some("change"), true));
    let alone = search("riben");
    assert_eq!((alone.suggestion.as_deref(), alone.total), (Some("日本"), 0));
    // A reading is a guess among homophones: suggested, never searched instead.
    let read = search("chongqing");
    assert_eq!((read.total, read.applied.respelt), (0, false));
    // A reading no article holds, one character, or a word no run of syllables spells
    // gets none.
    // A word some articles hold is theirs: Xinhua, though 120 times as many hold 新华.
    for query in ["lvse", "zhong", "chongqingx", "shangxian", "xinhua"] {
        assert_eq!(suggestion(query), None, "{query}");
    }
    // Pieces that are English words some articles hold are not pinyin: `the` is not
    // spelt by syllables, and `change` (`chang e`) is held by 100 articles.
    assert_eq!(suggestion("chong qing the").as_deref(), Some("重庆 the"));
    assert_eq!(suggestion("chan ye change").as_deref(), Some("产业 change"));
}

#[test]
fn pinyin_typed_with_tones_is_read_in_characters_of_those_tones() {
    pinyin_typed_with_tones_is_read_in_characters_of_those_tones_read(false);
}

/// The same, the words looked up in the reading tables `preload` makes rather than walked.
#[test]
fn pinyin_typed_with_tones_is_read_in_characters_of_those_tones_from_reading_tables() {
    pinyin_typed_with_tones_is_read_in_characters_of_those_tones_read(true);
}

fn pinyin_typed_with_tones_is_read_in_characters_of_those_tones_read(tables: bool) {
    let index = crate::support::index_of_bodies(&[
        (300, "重庆的半导体产业发展迅速。"),
        (200, "这是事实。"),
        (20, "政策正在实施。"),
        (120, "新华社报道了会议。"),
        (1, "Xinhua reported the meeting."),
        (100, "The ban was lifted."),
        (300, "平台上线了。"),
        (30, "价格便宜。"),
        (40, "绿色发展。"),
        (700, "Markets were calm."),
    ]);
    if tables {
        assert!(index.preload().expect("preload").pinyin_words > 0);
    }
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    for (query, suggested) in [
        // Tone marks, composed or combining, and tone numbers, in any case.
        ("chóngqìng", "重庆"),
        ("Cho\u{301}ngqi\u{300}ng", "重庆"),
        ("chong2qing4", "重庆"),
        ("CHONG2QING4 market", "重庆 market"),
        ("body:bàndǎotǐ", "body:半导体"),
        ("\"bàndǎotǐ chǎnyè\"", "\"半导体 产业\""),
        // The tones choose among homophones: 实施 though ten times rarer than 事实.
        ("shi2shi1", "实施"),
        ("shíshī", "实施"),
        ("shìshí", "事实"),
        ("shishi", "事实"),
        // A syllable at a time, however common its letters: `bàn` is not English `ban`.
        ("bàn dǎo tǐ", "半导体"),
        ("ban dao ti", "ban 导体"),
        ("chong2 qing4 chan3 ye4", "重庆 产业"),
        // 平台 reads `pianyi` only in two rare readings (平 `pián`, 台 `yí`), 便宜 in one
        // (便 `pián`): the fewer wins unless the other is twenty times as common.
        ("pianyi", "便宜"),
        ("piányi", "便宜"),
        // No English word has `ü`: written so, pinyin needs no tone to be read.
        ("lüse", "绿色"),
        ("Lü se", "绿色"),
        ("lǜsè", "绿色"),
        ("lvse", "绿色"),
    ] {
        assert_eq!(suggestion(query).as_deref(), Some(suggested), "{query}");
    }
    // Nobody writes tones in English: typed with them, a word articles hold in Latin
    // letters is read too.
    assert_eq!(suggestion("Xinhua"), None);
    assert_eq!(suggestion("Xīnhuá").as_deref(), Some("新华"));
    // Tones no reading of the characters has, one syllable, and tones on what no
    // syllables spell get none; a syllable with a tone is never taken for English.
    // Alone, one tone number is as often a code (Moody's `Aa1`) and is not read.
    for query in ["chong3qing4", "zhōng", "bàn", "covid19", "tréde", "chongqing4", "über", "lüsex"] {
        assert_eq!(suggestion(query), None, "{query}");
    }
}

#[test]
fn pinyin_of_several_words_typed_together_is_read_as_the_words_articles_write_together() {
    pinyin_of_several_words_typed_together_is_read_as_the_words_articles_write_together_read(false);
}

/// The same, the words looked up in the reading tables `preload` makes rather than walked.
#[test]
fn pinyin_of_several_words_typed_together_is_read_as_the_words_articles_write_together_from_reading_tables() {
    pinyin_of_several_words_typed_together_is_read_as_the_words_articles_write_together_read(true);
}

fn pinyin_of_several_words_typed_together_is_read_as_the_words_articles_write_together_read(tables: bool) {
    let index = crate::support::index_of_bodies(&[
        (300, "中国经济增长放缓。"),
        (50, "经济高速发展。"),
        (500, "他告诉记者。"),
        (40, "新冠疫苗接种。"),
        (5, "体育系的学生。"),
        (30, "体育健身很重要。"),
        (20, "价格上涨。"),
        (200, "中国的经济很重要。"),
        (700, "Markets were calm."),
    ]);
    if tables {
        assert!(index.preload().expect("preload").pinyin_words > 0);
    }
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    for (query, suggested) in [
        // No word reads as all of it: words read one after another, written as Chinese is.
        ("zhongguojingji", "中国经济"),
        ("xinguanyimiao", "新冠疫苗"),
        ("Zhongguojingjizengzhang", "中国经济增长"),
        ("zhōngguójīngjì", "中国经济"),
        ("zhong1guo2jing1ji4", "中国经济"),
        ("zhongguojingji jiage", "中国经济 价格"),
        ("\"zhongguojingji\"", "\"中国经济\""),
        // Typed in Traditional characters beside it, read in them.
        ("zhongguojingji 價格", "中國經濟 價格"),
        // 告诉 is ten times commoner than 高速, but articles write 高速 before 发展.
        ("gaosufazhan", "高速发展"),
        // 体育系 is the longest word from the start, but `anshen` reads as nothing after
        // it: 体育 then 健身.
        ("tiyujianshen", "体育健身"),
        // A syllable no word reads is a character many articles hold alone.
        ("zhongguodejingji", "中国的经济"),
    ] {
        assert_eq!(suggestion(query).as_deref(), Some(suggested), "{query}");
    }
    // Words no article writes one before the other (中国 before 疫苗, 健身 before 中国) are
    // no reading; neither is a syllable left over that no character many articles hold
    // alone reads (`a` in `zhongguojingjia`, `ma`).
    for query in ["zhongguoyimiao", "jianshenzhongguo", "zhongguojingjia", "zhongguomajingji"] {
        assert_eq!(suggestion(query), None, "{query}");
    }
}

#[test]
fn pairs_of_words_written_together_a_thousand_times_are_alike_when_pinyin_typed_together_is_read() {
    let index = crate::support::index_of_bodies(&[
        (1_500, "经济高速发展。"),
        (1_200, "他告诉发展部门。"),
        (600, "他告诉记者。"),
    ]);
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    // Both pairs are written together by 1,000 articles or more: the likeliest words
    // win, 告诉 being in more articles than 高速.
    // (Below that, the pair written together most wins: see the test above, where 50
    // articles writing 高速发展 beat 500 holding 告诉.)
    assert_eq!(suggestion("gaosufazhan").as_deref(), Some("告诉发展"));
}

#[test]
fn pinyin_typed_together_is_weighed_exactly_against_a_spelling_one_slip_away() {
    // A reading beats a spelling one slip away when its pairs are written together by
    // ten times the articles holding the spelling: pairs are counted that far, past
    // the thousand articles that rank readings among themselves.
    for (spelt_in, suggested) in [(120, "新冠疫苗"), (200, "xinguanyimiaq")] {
        let index = crate::support::index_of_bodies(&[
            (1_500, "新冠疫苗接种。"),
            (spelt_in, "The xinguanyimiaq report was read."),
        ]);
        let suggestion = index.search(&SearchRequest::new("xinguanyimiao")).expect("search").suggestion;
        assert_eq!(suggestion.as_deref(), Some(suggested), "{spelt_in} articles hold the spelling");
    }
}

#[test]
fn a_rare_chinese_word_is_suggested_as_the_homophone_articles_write_beside_its_neighbour() {
    let index = crate::support::index_of_bodies(&[
        (300, "今年房价上涨，市场关注。"),
        (50, "物价上涨的压力。"),
        (1, "有人说物价上张。"),
        (1000, "Markets were calm."),
    ]);
    let search = |query: &str| index.search(&SearchRequest::new(query)).expect("search");
    // 上张, in one article, reads as 上涨, which 350 articles write after 房价 and 物价.
    let typo = search("房价上张");
    assert_eq!(typo.suggestion.as_deref(), Some("房价上涨"));
    assert!(!typo.applied.respelt, "a homophone is only suggested");
    // Beside the words typed around it, in the fields it is searched in.
    assert_eq!(search("房价 body:上张").suggestion.as_deref(), Some("房价 body:上涨"));
    assert_eq!(search("房价 title:上张").suggestion, None, "no article's title holds 上涨");
    // Written beside its neighbour by an article, a word is kept; alone, it has no
    // neighbour to tell; common words are not looked at.
    for query in ["物价上张", "上张", "房价上涨", "房价 -上张"] {
        assert_eq!(search(query).suggestion, None, "{query}");
    }
}

#[test]
fn a_slip_read_in_pieces_is_suggested_as_the_word_read_alike_that_articles_write_there() {
    let index = crate::support::index_of_bodies(&[
        (300, "新冠病毒在传播。"),
        (200, "中美关系在改善。"),
        (200, "双方相互支持。"),
        (2, "两岸遥相呼应。"),
        (100, "我在北京工作。"),
        (100, "银行利率上调。"),
        (1000, "Markets were calm."),
    ]);
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    // jieba reads the slips in pieces (新冠病 and 读, 关 and 戏): a piece's character,
    // read alike, makes a word (病毒, 关系) the articles write there.
    assert_eq!(suggestion("新冠病读").as_deref(), Some("新冠病毒"));
    assert_eq!(suggestion("中美关戏").as_deref(), Some("中美关系"));
    assert_eq!(suggestion("中美关戏 改善").as_deref(), Some("中美关系 改善"));
    // 航 is `hang`, which 行 is in 银行, though usually `xing`.
    assert_eq!(suggestion("银航利率").as_deref(), Some("银行利率"));
    // Typed in Traditional characters, suggested in them.
    assert_eq!(suggestion("中美關戲").as_deref(), Some("中美關係"));
    assert_eq!(suggestion("銀航利率").as_deref(), Some("銀行利率"));
    // 呼 read alike as 互 makes 相互, common, but nobody writes 遥相互应; single
    // characters articles write together are no slip; alone, 关戏 has nothing to tell.
    for query in ["遥相呼应", "两岸遥相呼应", "我在北京", "关戏"] {
        assert_eq!(suggestion(query), None, "{query}");
    }
}

#[test]
fn suggestions_are_in_the_script_of_the_query_and_homophones_else_in_that_of_the_articles() {
    let articles = |lang: Lang, bodies: &[(usize, &str)]| -> Vec<Article> {
        let mut articles = Vec::new();
        for (kind, &(count, body)) in bodies.iter().enumerate() {
            articles.extend((0..count).map(|n| Article {
                id: format!("{}-{kind}-{n}", lang.as_str()),
                lang: Some(lang),
                body: body.into(),
                ..Article::default()
            }));
        }
        articles
    };
    let index_of = |articles: Vec<Article>| {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        writer.upsert_all(&articles).expect("upsert");
        writer.commit().expect("commit");
        index
    };
    let calm = articles(Lang::En, &[(1000, "Markets were calm.")]);
    let hant = [articles(Lang::ZhHant, &[(300, "大家要小心騙子。")]), calm.clone()].concat();
    let hans = [articles(Lang::ZhHans, &[(300, "大家要小心骗子。")]), calm.clone()].concat();
    let mixed = [
        articles(Lang::ZhHant, &[(100, "大家要小心騙子。")]),
        articles(Lang::ZhHans, &[(200, "大家要小心骗子。")]),
        calm,
    ]
    .concat();
    for (articles, query, suggested) in [
        // 小, 心, 偏 and 子 are written alike in both scripts: the articles writing 骗子 tell.
        (hant.clone(), "小心偏子", "小心騙子"),
        (hans, "小心偏子", "小心骗子"),
        (mixed.clone(), "小心偏子", "小心骗子"),
        // Characters of one script alone, anywhere in the query, tell.
        (hant.clone(), "小心偏子 说", "小心骗子 说"),
        (mixed, "小心偏子 說", "小心騙子 說"),
        // Pinyin is the mainland's: its readings are in Traditional characters only when
        // the query's characters are.
        (hant.clone(), "pianzi", "骗子"),
        (hant.clone(), "xiao xin pian zi", "小心 骗子"),
        (hant.clone(), "pianzi 说", "骗子 说"),
        (hant.clone(), "piànzi 說", "騙子 說"),
        (hant, "xiao xin pian zi 說", "小心 騙子 說"),
    ] {
        let index = index_of(articles);
        let suggestion = index.search(&SearchRequest::new(query)).expect("search").suggestion;
        assert_eq!(suggestion.as_deref(), Some(suggested), "{query}");
    }
}

#[test]
fn a_suggestion_is_kept_until_the_index_changes() {
    let index = crate::support::index_of_bodies(&[(1500, "The government met."), (1, "The goverment met.")]);
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    assert_eq!(suggestion("goverment").as_deref(), Some("government"));
    assert_eq!(suggestion("goverment").as_deref(), Some("government"), "searched again");
    index.forget_suggestions();
    assert_eq!(suggestion("goverment").as_deref(), Some("government"), "made afresh");
    // Written by 21 articles in 1,521, `goverment` is no longer rare enough to be looked at.
    let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("a writer");
    let articles: Vec<Article> = (0..20)
        .map(|n| Article { id: format!("more-{n}"), body: "The goverment met.".into(), ..Article::default() })
        .collect();
    writer.upsert_all(&articles).expect("upsert");
    writer.commit().expect("commit");
    assert_eq!(suggestion("goverment"), None, "a suggestion of the index before the commit");
}

#[test]
fn a_word_some_articles_hold_is_respelt_only_when_far_rarer_and_one_edit_away() {
    let index = crate::support::index_of_bodies(&[
        (1500, "The government met the bankers."),
        (1, "The goverment of Bangor met."),
        (2, "The tarif rose."),
        (150, "The tariff must rise, Microsoft said."),
        (1, "Investors asked Musk about Microsft."),
        (400, "The senate met."),
        (1, "Antidisestablishmentarianism returned."),
        (300, "Being there matters."),
        (30, "The Beijing Olympics opened."),
    ]);
    let suggestion = |query: &str| index.search(&SearchRequest::new(query)).expect("search").suggestion;
    // 1 article against 1,500, one edit away.
    assert_eq!(suggestion("goverment").as_deref(), Some("government"));
    // A town one article names is two edits from `bankers`: kept.
    assert_eq!(suggestion("Bangor"), None);
    // Typed by no article, a word is respelt as the nearest any article holds.
    assert_eq!(suggestion("Bangr").as_deref(), Some("Bangor"));
    // Held by 2 articles, one edit from a word 150 hold: fewer than 100 times as many.
    assert_eq!(suggestion("tarif"), None);
    // Written as a name, a word is respelt only as another name.
    assert_eq!(suggestion("Musk"), None);
    assert_eq!(suggestion("Microsft").as_deref(), Some("Microsoft"));
    // Spellings as near as each other are told apart by the words typed next to them;
    // alone, the commonest is suggested, but a word in one article of ten or more is
    // never searched instead.
    assert_eq!(suggestion("beijng olympics").as_deref(), Some("beijing olympics"));
    assert_eq!(suggestion("the beijng").as_deref(), Some("the beijing"));
    let alone = index.search(&SearchRequest::new("beijng")).expect("search");
    assert_eq!((alone.suggestion.as_deref(), alone.total, alone.applied.respelt), (Some("being"), 0, false));
    // Words over 24 letters are not looked at.
    assert_eq!(suggestion("government antidisestablishmentarianim"), None);
    assert_eq!(
        suggestion("bangr antidisestablishmentarianim").as_deref(),
        Some("bangor antidisestablishmentarianim")
    );
}
