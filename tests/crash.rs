//! Crash safety of `newsdex index`: SIGKILL at random moments during ingestion, then the
//! index opens, holds every committed article intact, and a rerun converges.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use newsdex::{Article, JsonlReader, NewsIndex};

/// Kills per run of the harness.
const KILLS: usize = 20;
/// The harness's default seed: the same seed, the same kill times.
const SEED: u64 = 0x006e_6577_7364_6578;

/// `NEWSDEX_CRASH_SEED` (decimal or `0x` hex) replays another run; the seed is printed.
fn seed() -> u64 {
    let seed = std::env::var("NEWSDEX_CRASH_SEED").ok().map_or(SEED, |text| {
        let text = text.trim();
        let parsed = match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
            None => text.replace('_', "").parse(),
        };
        parsed.unwrap_or_else(|_| panic!("NEWSDEX_CRASH_SEED must be a number, not {text:?}"))
    });
    eprintln!("crash harness seed: {seed:#x} (set NEWSDEX_CRASH_SEED to replay another)");
    seed
}

fn newsdex() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsdex"));
    command.env("NEWSDEX_LOG", "warn");
    command
}

/// SplitMix64, for reproducible kill times.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A corpus of `articles` generated from the sample, and its articles by id.
fn corpus(directory: &Path, articles: u64) -> (PathBuf, HashMap<String, Article>) {
    let path = directory.join("corpus.jsonl");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("index-data/articles.jsonl");
    let status = newsdex()
        .args(["generate", "--articles", &articles.to_string(), "--out"])
        .arg(&path)
        .arg("--corpus")
        .arg(&sample)
        .status()
        .expect("newsdex generate runs");
    assert!(status.success());
    let file = std::fs::File::open(&path).expect("corpus");
    let by_id = JsonlReader::new(BufReader::new(file))
        .map(|record| record.expect("readable").article.expect("valid"))
        .map(|article| (article.id.clone(), article))
        .collect();
    (path, by_id)
}

/// Checks what a killed ingestion left: the index opens, every article in it is one of
/// the corpus's, intact, and at least `acknowledged` articles are there.
fn check_index(index_dir: &Path, corpus: &HashMap<String, Article>, acknowledged: u64) -> u64 {
    if !index_dir.join("meta.json").exists() {
        assert_eq!(acknowledged, 0, "help: commits were acknowledged but no index exists");
        return 0;
    }
    let index =
        NewsIndex::open(index_dir).unwrap_or_else(|error| panic!("help: a killed index must open: {error}"));
    let count = index.num_articles();
    assert!(count >= acknowledged, "help: {acknowledged} articles were acknowledged, {count} are there");
    // Spot-check articles across the corpus: present ones are intact.
    let mut present = 0;
    for (id, expected) in corpus.iter().step_by(37) {
        if let Some(found) = index.get(id).expect("get") {
            present += 1;
            assert_eq!(found.title, expected.title, "help: {id} is not intact");
            assert_eq!(found.body, expected.body, "help: {id} is not intact");
            assert_eq!(found.date, expected.date);
        }
    }
    assert!(present as u64 <= count);
    count
}

#[test]
fn sigkill_during_ingestion_never_loses_committed_articles() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let (corpus_path, articles) = corpus(temporary.path(), 3000);
    let index_dir = temporary.path().join("index");
    let mut random = Random(seed());
    let mut kills = 0;
    let mut largest_seen = 0;
    while kills < KILLS {
        let mut child = newsdex()
            .args(["index", "--commit-every", "150", "--threads", "1", "--index"])
            .arg(&index_dir)
            .arg(&corpus_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn newsdex index");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, acknowledgements) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.strip_prefix("committed: ").and_then(|rest| rest.rsplit(' ').next()) {
                    let _ = lines.send(at.parse::<u64>().unwrap_or(0));
                }
            }
        });
        let delay = Duration::from_millis(150 + random.next() % 1500);
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("wait").is_some();
        if !finished {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
        reader.join().expect("reader");
        let acknowledged = acknowledgements.try_iter().max().unwrap_or(0);
        let count = check_index(&index_dir, &articles, acknowledged);
        largest_seen = largest_seen.max(count);
        if finished {
            // The whole corpus went in before the kill: start over so every round kills.
            std::fs::remove_dir_all(&index_dir).expect("reset");
        }
    }
    assert!(largest_seen > 0, "help: no run got as far as a commit; kill times are too short");
    // The same ingestion, run to the end, converges to exactly the full set.
    let status =
        newsdex().args(["index", "--index"]).arg(&index_dir).arg(&corpus_path).stdout(Stdio::null()).status();
    assert!(status.expect("final run").success());
    let index = NewsIndex::open(&index_dir).expect("open");
    assert_eq!(
        index.num_articles(),
        articles.len() as u64,
        "help: upserts must converge, with no duplicates"
    );
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock_and_a_killed_writers_lock_frees() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let (corpus_path, _) = corpus(temporary.path(), 8000);
    let index_dir = temporary.path().join("index");
    // Create the index first so both writers race for the same one.
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("index-data/articles.jsonl");
    assert!(
        newsdex()
            .args(["index", "--index"])
            .arg(&index_dir)
            .arg(&sample)
            .stdout(Stdio::null())
            .status()
            .expect("seed")
            .success()
    );
    let mut first = newsdex()
        .args(["index", "--threads", "1", "--index"])
        .arg(&index_dir)
        .arg(&corpus_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("first writer");
    std::thread::sleep(Duration::from_millis(800));
    let second =
        newsdex().args(["index", "--index"]).arg(&index_dir).arg(&sample).output().expect("second writer");
    let still_running = first.try_wait().expect("wait").is_none();
    if still_running {
        assert!(!second.status.success(), "help: a second writer must be refused");
        let message = String::from_utf8_lossy(&second.stderr);
        assert!(message.contains(&format!("locked by process {}", first.id())), "help: {message}");
        first.kill().expect("SIGKILL");
    }
    first.wait().expect("reap");
    // The killed writer's lock does not outlive it.
    let after =
        newsdex().args(["index", "--index"]).arg(&index_dir).arg(&sample).output().expect("third writer");
    assert!(
        after.status.success(),
        "help: a crashed writer's lock must not block: {}",
        String::from_utf8_lossy(&after.stderr)
    );
}
