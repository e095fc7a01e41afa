//! Creating, reopening, updating and refusing indexes.

use newsdex::{Analyzer, Article, Error, NewsIndex, SearchRequest, UserDictionary, WriterSettings};

fn article(id: &str, title: &str, body: &str) -> Article {
    Article { id: id.into(), title: title.into(), body: body.into(), ..Article::default() }
}

fn settings() -> WriterSettings {
    WriterSettings::new(1, 20 << 20)
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
        error.to_string().contains("rebuild the index (`newsdex index`) or open it with the user dictionary"),
        "help: the message must say what to do: {error}"
    );
}

#[test]
fn an_index_from_another_analyzer_version_says_only_a_rebuild_helps() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("index");
    NewsIndex::create(&path, Analyzer::new())
        .expect("create")
        .writer(settings())
        .expect("writer")
        .finish()
        .expect("finish");
    // The analyzer's identity, as an index built by an older newsdex would record it.
    let metadata_path = path.join(".newsdex.json");
    let mut recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metadata_path).expect("metadata")).expect("json");
    assert_eq!(recorded["analyzer"]["version"], newsdex::ANALYZER_VERSION);
    recorded["analyzer"]["version"] = 1.into();
    std::fs::write(&metadata_path, serde_json::to_string_pretty(&recorded).expect("json"))
        .expect("older version");
    let error = NewsIndex::open(&path).expect_err("an index from another analyzer version is refused");
    assert!(matches!(error, Error::AnalyzerMismatch { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("was built with analyzer newsdex-bilingual v1"), "{message}");
    assert!(message.contains("only rebuilding it helps (`newsdex index`)"), "{message}");
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
    // An index is never made among other files: a mistyped path is left as it was.
    let among = NewsIndex::create(directory.path(), Analyzer::new()).expect_err("not empty");
    assert!(among.to_string().contains("is not empty (it holds \"notes.txt\")"), "{among}");
    let among = NewsIndex::open_or_create(directory.path(), Analyzer::new()).expect_err("not empty");
    assert!(among.to_string().contains("give a new or empty directory"), "{among}");
    let left: Vec<_> = std::fs::read_dir(directory.path()).expect("read").filter_map(Result::ok).collect();
    assert_eq!(left.len(), 1, "help: nothing may be written beside the user's files");
    let empty = tempfile::tempdir().expect("tempdir");
    NewsIndex::create(empty.path(), Analyzer::new()).expect("an empty directory takes an index");
}

#[test]
fn a_creation_cut_short_leaves_no_index_and_may_begin_again() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("index");
    drop(NewsIndex::create(&path, Analyzer::new()).expect("creates"));
    // What a creation killed before tantivy's `meta.json` leaves behind: newsdex's
    // metadata (written first) and tantivy's bookkeeping.
    std::fs::remove_file(path.join("meta.json")).expect("meta.json");
    let names: Vec<String> = std::fs::read_dir(&path)
        .expect("read")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|name| name == ".newsdex.json"), "{names:?}");
    let error = NewsIndex::open(&path).expect_err("no index");
    assert!(error.to_string().contains("it holds no index; build one with `newsdex index`"), "{error}");
    let dictionary = UserDictionary::parse("test", "澜岳半导体 10 nz").expect("dictionary");
    let index =
        NewsIndex::open_or_create(&path, Analyzer::with_user_dictionary(dictionary)).expect("begins again");
    let mut writer = index.writer(settings()).expect("writer");
    writer.upsert(&article("a", "澜岳半导体上市", "")).expect("upsert");
    writer.commit().expect("commit");
    drop(writer);
    let reopened = NewsIndex::open(&path).expect("opens");
    assert_eq!(reopened.num_articles(), 1);
    assert!(reopened.analyzer().user_dictionary().is_some(), "help: the second creation's metadata counts");
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

/// Bytes of each segment of the committed index at `path`, from `meta.json` and the files.
fn segment_sizes(path: &std::path::Path) -> Vec<u64> {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.join("meta.json")).expect("meta.json")).expect("json");
    let files: Vec<(String, u64)> = std::fs::read_dir(path)
        .expect("read_dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            (entry.file_name().to_string_lossy().into_owned(), entry.metadata().expect("metadata").len())
        })
        .collect();
    meta["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|segment| {
            let id = segment["segment_id"].as_str().expect("segment_id").replace('-', "");
            files.iter().filter(|(name, _)| name.starts_with(&id)).map(|(_, bytes)| bytes).sum()
        })
        .collect()
}

/// Sixteen commits of 40 articles each (one segment per commit with one thread), merged
/// as the settings allow; returns the final segment sizes and the size of one commit's.
fn build_in_commits(max_merge_bytes: Option<u64>) -> (Vec<u64>, u64) {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("index");
    let index = NewsIndex::create(&path, Analyzer::new()).expect("index");
    let mut settings = settings();
    settings.max_merge_bytes = max_merge_bytes;
    let mut writer = index.writer(settings).expect("writer");
    let mut first_segment = 0;
    for commit in 0..16 {
        for number in 0..40 {
            let id = format!("c{commit}-{number}");
            let body = format!(
                "第{commit}批第{number}篇：港口吞吐量 {number} 万标箱，同比增长 {commit}%。Port volume rose."
            );
            writer.upsert(&article(&id, &format!("港口 {id}"), &body)).expect("upsert");
        }
        writer.commit().expect("commit");
        if commit == 0 {
            first_segment = segment_sizes(&path)[0];
        }
    }
    writer.finish().expect("merges finish");
    let reopened = NewsIndex::open(&path).expect("reopen");
    assert_eq!(reopened.num_articles(), 640, "help: merging must keep every article");
    (segment_sizes(&path), first_segment)
}

#[test]
fn no_merge_reads_more_than_the_merge_limit() {
    let (unbounded, _) = build_in_commits(Some(u64::MAX));
    assert!(unbounded.len() < 16, "help: without a limit the log policy merges: {unbounded:?}");

    let (nothing, one_commit) = build_in_commits(Some(0));
    assert_eq!(nothing.len(), 16, "help: a limit of zero merges nothing: {nothing:?}");

    let limit = one_commit * 3;
    let (bounded, _) = build_in_commits(Some(limit));
    assert!(bounded.len() < 16, "help: segments that fit the limit still merge: {bounded:?}");
    // A merged segment is no larger than its inputs, which add up to at most the limit.
    for bytes in &bounded {
        assert!(*bytes <= limit, "help: a {bytes}-byte segment is past the {limit}-byte limit: {bounded:?}");
    }
    assert!(bounded.len() > unbounded.len(), "help: the limit must keep some segments apart");
}
