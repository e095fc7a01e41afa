//! Creating, reopening, updating and refusing indexes.

use newsdex::{Analyzer, Article, Error, NewsIndex, SearchRequest, UserDictionary, WriterSettings};

fn article(id: &str, title: &str, body: &str) -> Article {
    Article { id: id.into(), title: title.into(), body: body.into(), ..Article::default() }
}

fn settings() -> WriterSettings {
    WriterSettings { threads: 1, memory_budget_bytes: 20 << 20 }
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let mut writer = index.writer(settings()).expect("writer");
    writer.upsert(&article("a", "Chip export rules", "First version about chips.")).expect("upsert");
    writer.upsert(&article("b", "Football final", "A late goal won it.")).expect("upsert");
    writer.commit().expect("commit");
    assert_eq!(index.num_articles(), 2);
    writer
        .upsert(&article("a", "Chip export rules tightened", "Second version about semiconductors."))
        .expect("upsert");
    writer.commit().expect("commit");
    assert_eq!(index.num_articles(), 2, "help: an upsert must replace, not add");
    assert_eq!(index.get("a").expect("get").expect("present").title, "Chip export rules tightened");
    let response = index.search(&SearchRequest::new("First")).expect("search");
    assert_eq!(response.total, 0, "help: the old version must be gone");
    writer.delete("b");
    writer.commit().expect("commit");
    assert_eq!(index.get("b").expect("get"), None);
}

#[test]
fn the_last_upsert_of_an_id_wins_within_a_commit_across_commits_and_across_handles() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("index");
    let index = NewsIndex::create(&path, Analyzer::new()).expect("index");
    {
        let mut writer = index.writer(settings()).expect("writer");
        for version in ["one", "two", "three"] {
            writer.upsert(&article("a", &format!("Version {version}"), "Body.")).expect("upsert");
        }
        writer.upsert(&article("b", "Other", "Body.")).expect("upsert");
        writer.delete("b");
        writer.upsert(&article("b", "Other again", "Body.")).expect("upsert");
        writer.commit().expect("commit");
        writer.upsert(&article("a", "Version four", "Body.")).expect("upsert");
        writer.rollback().expect("rollback");
        writer.upsert(&article("a", "Version five", "Body.")).expect("upsert");
        writer.commit().expect("commit");
        writer.finish().expect("finish");
    }
    // A second handle whose reader has not seen those commits yet writes the same id.
    let other = NewsIndex::open(&path).expect("open");
    {
        let mut writer = index.writer(settings()).expect("writer");
        writer.upsert(&article("c", "Third", "Body.")).expect("upsert");
        writer.commit().expect("commit");
        writer.finish().expect("finish");
    }
    let mut writer = other.writer(settings()).expect("writer");
    writer.upsert(&article("c", "Third, revised", "Body.")).expect("upsert");
    writer.commit().expect("commit");
    index.reload().expect("reload");
    assert_eq!(index.num_articles(), 3, "help: one article per id");
    assert_eq!(index.get("a").expect("get").expect("a").title, "Version five");
    assert_eq!(index.get("b").expect("get").expect("b").title, "Other again");
    assert_eq!(index.get("c").expect("get").expect("c").title, "Third, revised");
}

#[test]
fn a_directory_index_reopens_with_its_analyzer() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("index");
    let dictionary = UserDictionary::parse("test", "澜岳半导体 5000 nt\n").expect("dictionary");
    {
        let index =
            NewsIndex::create(&path, Analyzer::with_user_dictionary(dictionary.clone())).expect("create");
        let mut writer = index.writer(settings()).expect("writer");
        writer.upsert(&article("x", "澜岳半导体上市", "澜岳半导体今日挂牌。")).expect("upsert");
        writer.commit().expect("commit");
        writer.finish().expect("finish");
    }
    let reopened = NewsIndex::open(&path).expect("reopens with the stored dictionary");
    assert_eq!(reopened.analyzer().identity(), Analyzer::with_user_dictionary(dictionary.clone()).identity());
    assert_eq!(reopened.search(&SearchRequest::new("澜岳半导体")).expect("search").total, 1);
    let checked =
        NewsIndex::open_with(&path, Analyzer::with_user_dictionary(dictionary)).expect("same analyzer");
    assert_eq!(checked.num_articles(), 1);
    let error = NewsIndex::open_with(&path, Analyzer::new()).expect_err("a different analyzer is refused");
    assert!(matches!(error, Error::AnalyzerMismatch { .. }), "{error}");
    assert!(
        error.to_string().contains("rebuild the index"),
        "help: the message must say what to do: {error}"
    );
}

#[test]
fn opening_what_is_not_an_index_is_a_clear_error() {
    let directory = tempfile::tempdir().expect("tempdir");
    let missing = NewsIndex::open(directory.path().join("missing")).expect_err("missing");
    assert!(missing.to_string().contains("does not exist"), "{missing}");
    std::fs::write(directory.path().join("notes.txt"), "hello").expect("write");
    let empty = NewsIndex::open(directory.path()).expect_err("not an index");
    assert!(empty.to_string().contains("is not a newsdex index"), "{empty}");
    let file = NewsIndex::open(directory.path().join("notes.txt")).expect_err("a file");
    assert!(file.to_string().contains("not a directory"), "{file}");
}

#[test]
fn a_second_writer_is_refused() {
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let _first = index.writer(settings()).expect("first writer");
    let second = index.writer(settings()).err().expect("second writer refused");
    assert!(matches!(second, Error::IndexLocked(_)), "{second}");
    let holder = format!("locked by process {}", std::process::id());
    assert!(second.to_string().contains(&holder), "help: the message must name the holder: {second}");
}
