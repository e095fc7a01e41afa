//! Crash safety: `newsdex index` and `newsdex serve` are killed with SIGKILL at random
//! moments while they write; each time the index opens, holds every committed or
//! acknowledged article intact and nothing half-written, and a rerun converges.
//!
//! Kill times come from a seed, printed by each harness; set `NEWSDEX_CRASH_SEED`
//! (decimal or `0x…`) to replay a run.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use newsdex::{Article, JsonlReader, Lang, NewsIndex};

/// Kills per run of each harness.
const KILLS: usize = 20;
/// The harnesses' default seed: the same seed, the same kill times.
const SEED: u64 = 0x006e_6577_7364_6578;
/// Overrides [`SEED`].
const SEED_VARIABLE: &str = "NEWSDEX_CRASH_SEED";

/// The seed for `harness`: [`SEED_VARIABLE`] when set, else [`SEED`]; printed so a failing
/// run can be replayed.
fn seed(harness: &str) -> u64 {
    let seed = match std::env::var(SEED_VARIABLE) {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("help: {SEED_VARIABLE}={text:?} is not a number"))
        }
        Err(_) => SEED,
    };
    eprintln!("{harness}: seed {seed:#x} (replay with {SEED_VARIABLE}={seed:#x})");
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
    let mut random = Random(seed("newsdex index crash harness"));
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

/// The write key the harness starts `newsdex serve` with.
const API_KEY: &str = "crash-harness-key";
/// Threads posting batches at once, so commits group several requests.
const POSTERS: u64 = 2;

/// The articles of batch `batch`: 1 to 12 of them, in three languages, of varied length,
/// each with a word of its own (`serial<batch>x<item>`) to search for.
/// The word only article `item` of `batch` holds, in its title and body.
fn marker(batch: u64, item: u64) -> String {
    format!("serial{batch}x{item}")
}

fn batch_articles(batch: u64) -> Vec<Article> {
    let count = 1 + Random(batch).next() % 12;
    (0..count)
        .map(|item| {
            let marker = marker(batch, item);
            let repeats = 1 + ((batch * 7 + item * 3) % 25) as usize;
            let (lang, title, sentence) = match (batch + item) % 3 {
                0 => (Lang::ZhHans, "南京市长江大桥夜景", "游客在南京市长江大桥上拍照，夜景吸引了很多人。"),
                1 => (Lang::ZhHant, "華為發布Mate 70手機", "新機搭載自研晶片，預購人數已超過三百萬。"),
                _ => (
                    Lang::En,
                    "Exporters brace for new tariffs",
                    "Shipping firms said the tariffs would hit electronics first. ",
                ),
            };
            Article {
                id: format!("b{batch}-{item}"),
                lang: Some(lang),
                title: format!("{title} {marker}"),
                body: format!("{marker} {}", sentence.repeat(repeats)),
                date: Some(format!("2024-03-{:02}", 1 + (batch + item) % 28).parse().expect("a date")),
                source: Some("crash-harness".to_string()),
                category: Some(format!("round-{}", batch % 5)),
                url: Some(format!("https://news.example/{batch}/{item}")),
            }
        })
        .collect()
}

/// One HTTP/1.1 exchange on a new connection: status and body. Fails when the server is
/// gone (killed) before answering.
fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no complete response"))?;
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    if length.is_some_and(|length| body.len() < length) {
        // The server died while answering.
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a truncated response"));
    }
    Ok((status, body.to_string()))
}

/// `newsdex serve` on 127.0.0.1 over `index_dir`, with writes enabled.
struct ServeProcess {
    child: Child,
    address: SocketAddr,
}

/// Where the servers' logs go: appended to the file `NEWSDEX_CRASH_SERVER_LOG` names
/// (to see what a server did before it was killed), or nowhere.
fn server_log() -> Stdio {
    let Some(path) = std::env::var_os("NEWSDEX_CRASH_SERVER_LOG") else { return Stdio::null() };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_or_else(|error| panic!("help: cannot open {}: {error}", path.to_string_lossy()), Stdio::from)
}

impl ServeProcess {
    /// Starts the server and waits for the line saying where it listens.
    fn start(index_dir: &Path) -> ServeProcess {
        let mut child = newsdex()
            .args(["serve", "--create", "--addr", "127.0.0.1:0", "--writer-threads", "1"])
            .args(["--writer-memory-mb", "20", "--index"])
            .arg(index_dir)
            .env("NEWSDEX_API_KEY", API_KEY)
            .stdout(Stdio::piped())
            .stderr(server_log())
            .spawn()
            .expect("spawn newsdex serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read stdout");
        let Some(address) = line.trim().strip_prefix("newsdex: listening on http://") else {
            let _ = child.kill();
            let status = child.wait().expect("reap");
            panic!("help: newsdex serve must start over a killed server's index ({status}): {line:?}");
        };
        let address = address.parse().expect("a socket address");
        // Keep draining stdout so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        ServeProcess { child, address }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

/// What the posters did: batches acknowledged (answered 200 with every article indexed)
/// and batches sent at all.
#[derive(Default)]
struct Posted {
    acknowledged: HashSet<u64>,
    sent: HashSet<u64>,
}

/// Posts batches to `address` until a request fails (the server was killed): mostly new
/// batches, sometimes one sent before again (an upsert of the same articles).
fn post_until_killed(address: SocketAddr, next_batch: &AtomicU64, posted: &Mutex<Posted>, seed: u64) {
    let mut random = Random(seed);
    loop {
        let batch = {
            let posted = posted.lock().expect("lock");
            let earlier: Vec<u64> = posted.sent.iter().copied().collect();
            if !earlier.is_empty() && random.next().is_multiple_of(4) {
                earlier[(random.next() % earlier.len() as u64) as usize]
            } else {
                next_batch.fetch_add(1, Ordering::SeqCst)
            }
        };
        let articles = batch_articles(batch);
        let body = serde_json::to_string(&articles).expect("json");
        posted.lock().expect("lock").sent.insert(batch);
        let Ok((status, answer)) = exchange(address, "POST", "/articles?on_error=fail", Some(&body)) else {
            return;
        };
        assert_eq!(status, 200, "help: a valid batch must be accepted: {answer}");
        let report: serde_json::Value = serde_json::from_str(&answer).expect("a JSON report");
        assert_eq!(report["indexed"], articles.len(), "{answer}");
        posted.lock().expect("lock").acknowledged.insert(batch);
    }
}

/// Checks a killed server's index on disk: it opens; each batch sent is there whole or
/// not at all, and whole when acknowledged; every article there is intact; and nothing
/// else is there. Returns the articles present.
fn check_served_index(index_dir: &Path, posted: &Posted) -> u64 {
    let index =
        NewsIndex::open(index_dir).unwrap_or_else(|error| panic!("help: a killed index must open: {error}"));
    let mut present = 0;
    for &batch in &posted.sent {
        let articles = batch_articles(batch);
        let mut found = 0;
        for expected in &articles {
            if let Some(article) = index.get(&expected.id).expect("get") {
                assert_eq!(&article, expected, "help: {} is not intact", expected.id);
                found += 1;
            }
        }
        assert!(
            found == 0 || found == articles.len(),
            "help: batch {batch} is half-written: {found} of {} articles",
            articles.len()
        );
        assert!(
            found > 0 || !posted.acknowledged.contains(&batch),
            "help: batch {batch} was acknowledged but is lost"
        );
        present += found as u64;
    }
    if index.num_articles() != present {
        // Name the articles held more than once: each one's marker word is unique to it.
        let repeated: Vec<String> = posted
            .sent
            .iter()
            .flat_map(|&batch| {
                (0..).zip(batch_articles(batch)).map(move |(item, article)| (batch, item, article))
            })
            .filter_map(|(batch, item, article)| {
                let request = newsdex::SearchRequest::new(marker(batch, item));
                let total = index.search(&request).expect("search").total;
                (total > 1).then(|| format!("{} ({total} copies)", article.id))
            })
            .collect();
        panic!(
            "help: the index holds {} articles, {present} of them sent whole; repeated: {repeated:?}",
            index.num_articles()
        );
    }
    present
}

/// Reads `batch` back through a running server: every article by id, and the first by
/// its own word.
fn check_batch_served(address: SocketAddr, batch: u64) {
    let articles = batch_articles(batch);
    for expected in &articles {
        let (status, body) =
            exchange(address, "GET", &format!("/articles/{}", expected.id), None).expect("GET");
        assert_eq!(status, 200, "help: acknowledged {} must be served: {body}", expected.id);
        let article: Article = serde_json::from_str(&body).expect("an article");
        assert_eq!(&article, expected, "help: {} is not intact", expected.id);
    }
    let marker = marker(batch, 0);
    let (status, body) = exchange(address, "GET", &format!("/search?q={marker}"), None).expect("search");
    assert_eq!(status, 200, "{body}");
    let response: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(response["total"], 1, "help: {marker} names one article: {body}");
    assert_eq!(response["hits"][0]["id"], articles[0].id, "{body}");
}

#[test]
fn sigkill_of_the_server_never_loses_acknowledged_articles() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let index_dir = temporary.path().join("index");
    let seed = seed("newsdex serve crash harness");
    let mut random = Random(seed);
    let next_batch = AtomicU64::new(0);
    let posted = Mutex::new(Posted::default());
    let mut most_present = 0;
    for round in 0..KILLS as u64 {
        let server = ServeProcess::start(&index_dir);
        let address = server.address;
        // The batches acknowledged before this round are served, intact.
        let checked: Vec<u64> = {
            let posted = posted.lock().expect("lock");
            let mut acknowledged: Vec<u64> = posted.acknowledged.iter().copied().collect();
            acknowledged.sort_unstable();
            acknowledged.iter().rev().take(3).copied().collect()
        };
        for batch in checked {
            check_batch_served(address, batch);
        }
        let delay = Duration::from_millis(20 + random.next() % 600);
        std::thread::scope(|scope| {
            for poster in 0..POSTERS {
                let (next_batch, posted) = (&next_batch, &posted);
                let poster_seed = seed ^ (round << 8) ^ poster;
                scope.spawn(move || post_until_killed(address, next_batch, posted, poster_seed));
            }
            std::thread::sleep(delay);
            server.kill();
        });
        let posted = posted.lock().expect("lock");
        most_present = most_present.max(check_served_index(&index_dir, &posted));
    }
    assert!(most_present > 0, "help: no batch was ever committed; kill times are too short");

    // Posting every batch again converges to exactly the full set.
    {
        let posted = posted.lock().expect("lock");
        eprintln!(
            "newsdex serve crash harness: {KILLS} kills survived; {} batches sent, {} acknowledged; \
             up to {most_present} articles on disk",
            posted.sent.len(),
            posted.acknowledged.len()
        );
    }
    let server = ServeProcess::start(&index_dir);
    let mut all: Vec<u64> = posted.lock().expect("lock").sent.iter().copied().collect();
    all.sort_unstable();
    let articles: Vec<Article> = all.iter().flat_map(|&batch| batch_articles(batch)).collect();
    for chunk in articles.chunks(200) {
        let body = serde_json::to_string(chunk).expect("json");
        let (status, answer) = exchange(server.address, "POST", "/articles", Some(&body)).expect("POST");
        assert_eq!(status, 200, "{answer}");
    }
    let (_, stats) = exchange(server.address, "GET", "/stats", None).expect("stats");
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON");
    assert_eq!(stats["articles"], articles.len(), "help: re-posting must converge, with no duplicates");
    for &batch in all.iter().step_by(all.len() / 10 + 1) {
        check_batch_served(server.address, batch);
    }
    server.kill();
    let mut complete = posted.into_inner().expect("lock");
    complete.acknowledged = complete.sent.clone();
    assert_eq!(check_served_index(&index_dir, &complete), articles.len() as u64);
}
