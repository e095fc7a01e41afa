//! Real outcomes on the sample corpus: the right article first, highlights in place.

use newsdex::{SearchRequest, SearchResponse};

use crate::support::sample_index;

/// The sample index with the sample's synonyms.
fn with_synonyms() -> &'static newsdex::NewsIndex {
    static INDEX: std::sync::OnceLock<newsdex::NewsIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let path = crate::support::index_data().join("synonyms.txt");
        let mut index = sample_index().clone();
        index.set_synonyms(&newsdex::Synonyms::from_path(path).expect("the sample's synonyms"));
        index
    })
}

fn search_with_synonyms(query: &str) -> SearchResponse {
    with_synonyms().search(&SearchRequest::new(query)).unwrap_or_else(|error| panic!("{query}: {error}"))
}

fn search(query: &str) -> SearchResponse {
    sample_index().search(&SearchRequest::new(query)).unwrap_or_else(|error| panic!("{query}: {error}"))
}

fn ids(response: &SearchResponse) -> Vec<&str> {
    response.hits.iter().map(|hit| hit.id.as_str()).collect()
}

#[test]
fn simplified_query_finds_the_right_article_first() {
    let response = search("南京市长江大桥");
    assert_eq!(ids(&response).first(), Some(&"hans-cult-0001"));
    assert!(response.hits[0].snippet.contains("<mark>南京市长江大桥</mark>"), "{}", response.hits[0].snippet);
}

#[test]
fn a_sub_word_finds_its_long_word() {
    let response = search("大桥");
    assert_eq!(ids(&response), ["hans-cult-0001"], "help: 大桥 must be indexed inside 长江大桥");
}

#[test]
fn english_plural_finds_the_singular_and_the_reverse() {
    let singular = search("tariff");
    assert!(ids(&singular).contains(&"en-trade-0001"), "help: en-trade-0001 only says 'tariffs'");
    let hit = singular.hits.iter().find(|hit| hit.id == "en-trade-0001").expect("hit");
    assert!(hit.snippet.contains("<mark>tariffs</mark>") || hit.title_html.contains("<mark>Tariffs</mark>"));
    let plural = search("tariffs");
    assert!(ids(&plural).contains(&"en-trade-0002"), "help: en-trade-0002 says 'tariff'");
    // A hyphenated word too: the article says "chest X-rays".
    let hyphenated = search("X-ray");
    assert_eq!(ids(&hyphenated), ["en-health-0004"], "help: X-ray must find X-rays");
    let hit = &hyphenated.hits[0];
    assert!(hit.snippet.contains("<mark>X-rays</mark>"), "{}", hit.snippet);
}

#[test]
fn a_word_typed_without_accents_finds_it_with_them() {
    let plain = search("cafe");
    let accented = search("café");
    assert_eq!(ids(&plain), ids(&accented), "help: cafe and café must be the same word");
    assert_eq!(plain.total, 4, "help: four sample articles say café or cafés");
    assert!(
        plain.hits.iter().any(|hit| hit.snippet.contains("<mark>cafés</mark>")),
        "help: the highlight is on the article's own spelling"
    );
}

#[test]
fn mixed_chinese_and_model_name_finds_the_article_with_both() {
    let response = search("华为 Mate 70");
    assert_eq!(ids(&response).first(), Some(&"hans-tech-0001"));
    let response = search("iPhone15 销量");
    assert_eq!(ids(&response).first(), Some(&"hans-tech-0002"));
}

#[test]
fn scripts_find_each_other() {
    let traditional = search("台湾半导体产业");
    assert_eq!(
        ids(&traditional).first(),
        Some(&"hant-tech-0001"),
        "help: a Simplified query must find zh-Hant"
    );
    let hit = &traditional.hits[0];
    assert!(
        hit.snippet.contains("<mark>臺灣半導體產業</mark>"),
        "help: highlights stay in the article's script: {}",
        hit.snippet
    );
    let simplified = search("電動車");
    assert!(ids(&simplified).contains(&"hans-tech-0010"), "help: a Traditional query must find zh-Hans");
}

#[test]
fn snippets_are_slices_of_the_stored_body() {
    let response = search("疫苗");
    assert!(!response.hits.is_empty());
    for hit in &response.hits {
        let article = sample_index().get(&hit.id).expect("get").expect("stored");
        for fragment in &hit.fragments {
            assert_eq!(&article.body[fragment.range.byte[0]..fragment.range.byte[1]], fragment.text);
            for highlight in &fragment.highlights {
                let marked = &article.body[highlight.byte[0]..highlight.byte[1]];
                assert!(
                    fragment.html.contains(&format!("<mark>{marked}</mark>")),
                    "{marked} in {}",
                    fragment.html
                );
            }
        }
    }
}

#[test]
fn phrases_do_not_match_across_a_sentence_break() {
    assert!(ids(&search("\"举行经济学家\"")).is_empty(), "help: 举行。经济学家 touch only across 。");
    assert!(ids(&search("举行 经济学家")).contains(&"hans-econ-0001"), "help: as two words they do match");
}

#[test]
fn slop_phrases_match_words_apart() {
    let exact = search("\"游客 拍照\"");
    assert!(!ids(&exact).contains(&"hans-cult-0001"), "help: the words are not adjacent");
    let sloppy = search("\"游客 拍照\"~5");
    assert!(ids(&sloppy).contains(&"hans-cult-0001"), "help: within 5 moves they match");
}

#[test]
fn each_regions_wording_finds_the_other() {
    // hans-tech-0005 says 软件 (mainland), hant-tech-0002 軟體 (Taiwan): folding the
    // characters alone makes 軟體 软体, which is not 软件.
    for query in ["软件", "軟體", "軟件"] {
        let response = search(query);
        let found = ids(&response);
        assert!(found.contains(&"hans-tech-0005") && found.contains(&"hant-tech-0002"), "{query}: {found:?}");
        assert!(response.applied.notes.iter().any(|note| note.contains("also stands for")), "{query}");
    }
    let hit =
        search("软件").hits.into_iter().find(|hit| hit.id == "hant-tech-0002").expect("the Taiwan article");
    assert!(hit.title_html.contains("<mark>軟體</mark>"), "help: highlighted as written: {}", hit.title_html);
    // A phrase in one region's wording finds it written in the other's.
    assert_eq!(ids(&search("\"软件更新\"")), ["hant-tech-0002"]);
    assert_eq!(ids(&search("\"网络展览\"")), ["hant-cult-0003"], "help: the article says 網路展覽");
    // Excluding a word excludes its other wording too.
    let excluded = search("更新 -软件");
    assert!(!ids(&excluded).contains(&"hant-tech-0002") && !ids(&excluded).contains(&"hans-tech-0005"));
    // A pair whose Taiwan word is also a common mainland word is left alone: 资料
    // ("materials") does not stand for 数据 ("data").
    let data = search("数据");
    assert!(
        data.applied.notes.iter().all(|note| !note.contains("also stands for")),
        "{:?}",
        data.applied.notes
    );
}

#[test]
fn synonyms_find_the_other_words_of_their_group() {
    // The sample's synonyms (index-data/synonyms.txt) join names and terms across scripts
    // and languages: Trump finds the article that says 特朗普, only with them.
    assert_eq!(ids(&search("Trump")), Vec::<&str>::new());
    let trump = search_with_synonyms("Trump");
    assert_eq!(ids(&trump), ["hans-trade-0002"]);
    assert!(trump.hits[0].title_html.contains("<mark>特朗普</mark>"), "{}", trump.hits[0].title_html);
    assert_eq!(trump.applied.notes, ["\"Trump\" also stands for its synonyms \"特朗普\", \"川普\""]);
    // A several-word entry is searched as a phrase: 电动车 finds "electric vehicle".
    let vehicles = search_with_synonyms("电动车");
    assert!(ids(&vehicles).contains(&"en-trade-0007"), "{:?}", ids(&vehicles));
    assert!(!ids(&search("电动车")).contains(&"en-trade-0007"));
    // Typed as two words, the entry still stands for its group: the Chinese articles too.
    let typed = search_with_synonyms("electric vehicle");
    assert!(ids(&typed).contains(&"en-trade-0007"), "{:?}", ids(&typed));
    for id in ids(&search("电动车")) {
        assert!(ids(&typed).contains(&id), "{id} missing from {:?}", ids(&typed));
    }
    assert!(
        typed.applied.notes.contains(
            &"\"electric vehicle\" also stands for its synonyms \"电动车\", \"电动汽车\"".to_string()
        ),
        "{:?}",
        typed.applied.notes
    );
    assert_eq!(
        search_with_synonyms("vehicle electric").total,
        search("vehicle electric").total,
        "help: in order only"
    );
    // Quoted, it is the phrase or any other entry of its group; typed twice, noted once.
    let quoted = search_with_synonyms("\"electric vehicle\"");
    assert!(
        ids(&quoted).contains(&"hant-tech-0005") && ids(&quoted).contains(&"en-trade-0007"),
        "{:?}",
        ids(&quoted)
    );
    assert!(!ids(&search("\"electric vehicle\"")).contains(&"hant-tech-0005"));
    assert_eq!(search_with_synonyms("electric vehicle electric vehicle").applied.notes.len(), 1);
    // Chinese and English articles on one subject, from either word; exclusions too.
    let chinese = search_with_synonyms("半导体");
    let english = search_with_synonyms("semiconductor");
    assert_eq!(chinese.total, english.total);
    assert!(chinese.total > search("半导体").total && english.total > search("semiconductor").total);
    assert_eq!(search_with_synonyms("关税 -Trump").total, search_with_synonyms("关税").total - 1);
}

#[test]
fn a_search_without_synonyms_finds_the_words_as_typed() {
    let as_typed = |query: &str| {
        let request = SearchRequest { synonyms: false, ..SearchRequest::new(query) };
        with_synonyms().search(&request).unwrap_or_else(|error| panic!("{query}: {error}"))
    };
    // No synonyms, typed as one word, as several or quoted.
    let trump = as_typed("Trump");
    assert_eq!((trump.total, trump.applied.notes.len()), (0, 0), "{:?}", trump.applied.notes);
    for query in ["electric vehicle", "\"electric vehicle\"", "半导体", "关税 -Trump"] {
        let typed = as_typed(query);
        assert_eq!(ids(&typed), ids(&search(query)), "{query}");
        assert!(typed.applied.notes.is_empty(), "{query}: {:?}", typed.applied.notes);
    }
    assert!(search_with_synonyms("半导体").total > as_typed("半导体").total);
    // No other region's wording: 软件 finds the mainland article alone.
    let software = as_typed("软件");
    assert!(ids(&software).contains(&"hans-tech-0005"), "{:?}", ids(&software));
    assert!(!ids(&software).contains(&"hant-tech-0002"), "{:?}", ids(&software));
    assert!(software.applied.notes.is_empty(), "{:?}", software.applied.notes);
    assert_eq!(as_typed("\"软件更新\"").total, 0);
}
