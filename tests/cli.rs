//! The `newsdex` binary, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn newsdex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(args)
        .env("NEWSDEX_LOG", "warn")
        .output()
        .expect("the newsdex binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn index_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("index-data")
}

fn build_sample(directory: &Path) -> Value {
    let dictionary = index_data().join("userdict.txt");
    index_json(
        directory,
        &["--user-dict", dictionary.to_str().expect("utf-8 path")],
        &index_data().join("articles.jsonl"),
    )
}

/// `newsdex index --index DIRECTORY FLAGS --json INPUT`, which must succeed: its summary.
fn index_json(directory: &Path, flags: &[&str], input: &Path) -> Value {
    let index = ["index", "--index", directory.to_str().expect("utf-8 path")];
    let json = ["--json", input.to_str().expect("utf-8 path")];
    let output = newsdex(&[&index[..], flags, &json].concat());
    assert!(output.status.success(), "{}: {}", input.display(), stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("one JSON summary")
}

#[test]
fn index_then_search_the_sample() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let path = temporary.path().join("index");
    let summary = build_sample(&path);
    assert!(summary["indexed"].as_u64() >= Some(120), "{summary}");
    assert_eq!(summary["rejected"], 0);
    for field in ["input_mb", "seconds", "articles_per_second", "mb_per_second", "index_bytes"] {
        assert!(summary[field].is_number(), "help: the summary must report {field}: {summary}");
    }
    let path = path.to_str().expect("utf-8 path");
    let output = newsdex(&["search", "--index", path, "--json", "--limit", "2", "南京市长江大桥"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let response: Value = serde_json::from_str(&stdout(&output)).expect("the HTTP response shape");
    assert_eq!(response["hits"][0]["id"], "hans-cult-0001");
    assert!(response["hits"][0]["title_html"].is_string());
    // Several arguments are one query, as if quoted.
    let hits = |args: &[&str]| {
        let output = newsdex(&[&["search", "--index", path, "--json"], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let response: Value = serde_json::from_str(&stdout(&output)).expect("the HTTP response shape");
        (response["hits"].clone(), response["applied"]["terms"].clone())
    };
    let (unquoted, terms) = hits(&["华为", "Mate", "70"]);
    assert_eq!(terms, serde_json::json!(["华为", "mate", "70"]));
    assert_eq!(unquoted, hits(&["华为 Mate 70"]).0);
    let output = newsdex(&["search", "--index", path, "tariff"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("[Tariffs]"), "{}", stdout(&output));
    let output = newsdex(&["search", "--index", path, "X-ray"]);
    assert!(stdout(&output).starts_with("1 matching article ("), "{}", stdout(&output));
    let output = newsdex(&["search", "--index", path, "--title-boost=-1", "tariff"]);
    assert!(!output.status.success(), "help: a negative boost must be refused");
    assert!(
        stderr(&output).contains("the title boost must be a number of at least 0"),
        "{}",
        stderr(&output)
    );
    // Synonyms: `Trump` finds the article that says 特朗普, and a bad file names its line.
    let synonyms = index_data().join("synonyms.txt");
    let synonyms = synonyms.to_str().expect("utf-8 path");
    let (plain, _) = hits(&["Trump"]);
    assert_eq!(plain, serde_json::json!([]), "help: no sample article says Trump");
    let (with_synonyms, _) = hits(&["--synonyms", synonyms, "Trump"]);
    assert_eq!(with_synonyms[0]["id"], "hans-trade-0002", "{with_synonyms}");
    let bad = temporary.path().join("bad-synonyms.txt");
    std::fs::write(&bad, "华为, Huawei\nTSMC\n").expect("write");
    let output = newsdex(&["search", "--index", path, "--synonyms", bad.to_str().expect("path"), "华为"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2: a group needs two or more entries"), "{}", stderr(&output));
    let output = newsdex(&["search", "--index", path, "--lang", "fr", "tariff"]);
    assert!(!output.status.success(), "help: an unknown language must be refused");
    assert!(
        stderr(&output)
            .contains("invalid value 'fr' for '--lang <LANG>': unknown language; use zh-Hans, zh-Hant or en"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bench_refuses_settings_it_cannot_build_before_measuring_anything() {
    let articles = index_data().join("articles.jsonl");
    let articles = articles.to_str().expect("utf-8 path");
    for (flags, expected) in [
        (
            &["--threads", "1,9"][..],
            "cannot build with --threads 9 --memory-mb 256: invalid request: threads must be",
        ),
        (
            &["--memory-mb", "1"][..],
            "a writer memory budget of 1 MiB is too small for 1 thread: give at least",
        ),
    ] {
        let output = newsdex(&[&["bench"], flags, &[articles]].concat());
        assert!(!output.status.success(), "{flags:?}");
        let message = stderr(&output);
        assert!(message.contains(expected), "{flags:?}: {message}");
        assert!(!message.contains("round 1/"), "help: nothing may be measured first: {message}");
    }
}

#[test]
fn bench_reports_medians_per_setting_against_each_rounds_bound() {
    let articles = index_data().join("articles.jsonl");
    let lines =
        std::fs::read_to_string(&articles).expect("sample").lines().filter(|l| !l.trim().is_empty()).count();
    let work = tempfile::tempdir().expect("tempdir");
    let output = newsdex(&[
        "bench",
        "--rounds",
        "2",
        "--threads",
        "1,2",
        "--bound-mb",
        "1",
        "--json",
        "--work-dir",
        work.path().to_str().expect("utf-8 path"),
        articles.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("one JSON report");
    assert_eq!(report["rounds"], 2);
    let bound = &report["bound"];
    assert_eq!(bound["rounds_bound_mb_per_second"].as_array().map(Vec::len), Some(2), "{bound}");
    for rate in ["jieba_mb_per_second", "tantivy_mb_per_second", "bound_mb_per_second"] {
        assert!(bound[rate].as_f64().is_some_and(|r| r > 0.0), "{rate}: {bound}");
    }
    let runs = report["runs"].as_array().expect("runs");
    assert_eq!(runs.iter().map(|run| run["threads"].as_u64()).collect::<Vec<_>>(), [Some(1), Some(2)]);
    for run in runs {
        assert_eq!(run["summary"]["indexed"].as_u64(), Some(lines as u64), "{run}");
        assert_eq!(run["rounds_seconds"].as_array().map(Vec::len), Some(2), "{run}");
        let ratios: Vec<f64> = run["rounds_ratio_to_bound"]
            .as_array()
            .expect("ratios")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let median = run["ratio_to_bound"].as_f64().expect("ratio");
        assert!(
            (median - (ratios[0] + ratios[1]) / 2.0).abs() < 1e-9,
            "help: the median of two rounds is their mean: {run}"
        );
    }
    let speed_ups = report["speed_ups"].as_array().expect("speed-ups");
    assert_eq!(speed_ups.len(), 1);
    assert_eq!((speed_ups[0]["threads"].as_u64(), speed_ups[0]["over_threads"].as_u64()), (Some(2), Some(1)));
    assert!(work.path().read_dir().expect("work dir").next().is_none(), "help: bench indexes are removed");
}

#[test]
fn malformed_lines_are_named_and_skipped_or_fail_everything() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let input = temporary.path().join("input.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"title\":\"Rates rise\",\"body\":\"The bank raised rates.\"}\n{\"id\":\"b\",\"body\":\n{\"title\":\"no id\"}\n{\"id\":\"c\",\"body\":\"Markets fell.\"}\n",
    )
    .expect("write");
    let input = input.to_str().expect("utf-8 path");
    let skip = temporary.path().join("skip");
    let output = newsdex(&["index", "--index", skip.to_str().expect("path"), "--json", input]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!((summary["indexed"].as_u64(), summary["rejected"].as_u64()), (Some(2), Some(2)));
    assert_eq!(summary["errors"][0]["line"], 2);
    assert_eq!(summary["errors"][1]["line"], 3);
    assert!(summary["errors"][1]["message"].as_str().is_some_and(|m| m.contains("missing field \"id\"")));

    let fail = temporary.path().join("fail");
    let output = newsdex(&["index", "--index", fail.to_str().expect("path"), "--on-error", "fail", input]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
    assert!(stderr(&output).contains("nothing was indexed"), "{}", stderr(&output));
    let output = newsdex(&["search", "--index", fail.to_str().expect("path"), "--json", "rates"]);
    let response: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(response["total"], 0, "help: --on-error fail must index nothing");
}

#[test]
fn inputs_that_cannot_be_read_are_refused_before_anything_is_written() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let sample = index_data().join("articles.jsonl");
    let sample = sample.to_str().expect("utf-8 path");
    let missing = temporary.path().join("missing.jsonl");
    let directory = temporary.path().join("a-directory");
    std::fs::create_dir(&directory).expect("mkdir");
    let xz = temporary.path().join("articles.jsonl.xz");
    std::fs::write(&xz, b"\xfd7zXZ\x00\x00\x04").expect("write");
    for (input, expected) in
        [(&missing, "cannot open"), (&directory, "is a directory"), (&xz, "is xz-compressed")]
    {
        let index = temporary.path().join("index");
        let output = newsdex(&[
            "index",
            "--index",
            index.to_str().expect("path"),
            sample,
            input.to_str().expect("path"),
        ]);
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(message.contains(expected) && message.contains(input.to_str().expect("path")), "{message}");
        assert_eq!(message.lines().count(), 1, "help: one line, each cause once: {message}");
        assert!(!index.exists(), "help: a run that cannot read its inputs must not create an index");
    }
    let index = temporary.path().join("index");
    let output = newsdex(&[
        "index",
        "--index",
        index.to_str().expect("path"),
        "--user-dict",
        missing.to_str().expect("path"),
        sample,
    ]);
    let message = stderr(&output);
    assert!(message.contains("cannot read user dictionary"), "{message}");
    assert_eq!(message.matches("No such file").count(), 1, "help: each cause once: {message}");
    // Commit settings that cannot mean anything are refused too.
    for (flags, expected) in [
        (&["--commit-every", "0"][..], "invalid value '0' for '--commit-every <N>'"),
        (
            &["--commit-every", "10", "--on-error", "fail"][..],
            "--commit-every cannot be used with --on-error fail",
        ),
    ] {
        let output =
            newsdex(&[&["index", "--index", index.to_str().expect("path")], flags, &[sample]].concat());
        assert!(!output.status.success(), "{flags:?}");
        assert!(stderr(&output).contains(expected), "{flags:?}: {}", stderr(&output));
        assert!(!index.exists(), "help: a refused run must not create an index");
    }
}

#[test]
fn compressed_input_is_read_as_the_plain_file() {
    use std::io::Write;
    let temporary = tempfile::tempdir().expect("tempdir");
    let plain = std::fs::read(index_data().join("articles.jsonl")).expect("the sample");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&plain).expect("compress");
    let gzip = gzip.finish().expect("compress");
    let zstd = zstd::encode_all(plain.as_slice(), 3).expect("compress");
    let expected = build_sample(&temporary.path().join("plain"));
    for (name, bytes) in [("articles.jsonl.gz", &gzip), ("articles.zst", &zstd)] {
        let file = temporary.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        let summary = index_json(&temporary.path().join(format!("index-{name}")), &[], &file);
        for key in ["indexed", "rejected", "input_bytes"] {
            assert_eq!(summary[key], expected[key], "{name}: {key}");
        }
    }
    let output = newsdex_with_stdin(
        &["index", "--index", &temporary.path().join("piped").to_string_lossy(), "--json", "-"],
        &gzip,
    );
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(summary["indexed"], expected["indexed"], "help: standard input may be compressed too");
}

/// `newsdex` with `args`, given `input` on standard input.
fn newsdex_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write");
    child.wait_with_output().expect("wait")
}

#[test]
fn stdin_is_read_with_a_dash() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let path = temporary.path().join("index");
    let path = path.to_str().expect("path");
    let output = newsdex_with_stdin(
        &["index", "--index", path, "--json", "-"],
        "{\"id\":\"s1\",\"body\":\"从标准输入读取的文章。\"}\n".as_bytes(),
    );
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(summary["indexed"], 1);
    // The summary as text counts in words: one article, not one articles.
    let output =
        newsdex_with_stdin(&["index", "--index", path, "-"], b"{\"id\":\"s2\",\"body\":\"x\"}\n{\"id\":3}\n");
    let text = stdout(&output);
    assert!(text.contains("indexed:    1 article (0 duplicate ids, last one kept)"), "{text}");
    assert!(text.contains("rejected:   1 line\n"), "{text}");
    assert!(text.contains(" MB (2 articles, "), "{text}");
    // Past the 100 lines reported, the rest are counted, in words too.
    let output = newsdex_with_stdin(&["index", "--index", path, "-"], "{\"id\":3}\n".repeat(101).as_bytes());
    let errors = stderr(&output);
    assert_eq!(errors.matches("expected a string").count(), 100, "{errors}");
    assert!(errors.contains("… and 1 more rejected line\n"), "{errors}");
}

#[test]
fn eval_slips_counts_suggestions_of_queries_as_written_and_slipped() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let index = temporary.path().join("index");
    build_sample(&index);
    let index = index.to_str().expect("utf-8 path");
    let gold = temporary.path().join("gold.utf8");
    std::fs::write(&gold, "今年  房价  上涨  很  快  。\n中美  关系  继续  改善  。\n").expect("write");
    let gold = gold.to_str().expect("utf-8 path");
    let output = newsdex(&["eval", "slips", "--index", index, "--gold", gold, "--queries", "12", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let scores: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    assert_eq!(scores["clean"], 12, "{scores}");
    let slips = scores["slips"].as_u64().expect("slips");
    assert!((1..=12).contains(&slips), "{scores}");
    let suggested =
        scores["right"].as_u64().expect("right") + scores["wrong"].as_array().expect("wrong").len() as u64;
    assert!(suggested <= slips, "{scores}");
    // Text with no Chinese clause has nothing to draw from.
    let english = temporary.path().join("english.txt");
    std::fs::write(&english, "The  market  rose  .\n").expect("write");
    let output =
        newsdex(&["eval", "slips", "--index", index, "--gold", english.to_str().expect("utf-8 path")]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no clause of two Chinese words"), "{}", stderr(&output));
}

#[test]
fn analyze_prints_tokens_with_byte_offsets() {
    let text = "華為發布Mate 70手機";
    let output = newsdex(&["analyze", "--mode", "query", "--json", text]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("json");
    let tokens = json["tokens"].as_array().expect("tokens");
    let texts: Vec<&str> = tokens.iter().filter_map(|t| t["text"].as_str()).collect();
    assert_eq!(texts, ["华为", "发布", "mate", "70", "手机"]);
    for token in tokens {
        let mut keys: Vec<&str> = token.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["offset_from", "offset_to", "position", "text"]);
        let (from, to) = (
            token["offset_from"].as_u64().expect("from") as usize,
            token["offset_to"].as_u64().expect("to") as usize,
        );
        assert!(text.get(from..to).is_some(), "help: offsets must be bytes of TEXT");
    }
}

#[test]
fn searching_what_is_not_an_index_fails_clearly() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let output = newsdex(&["search", "--index", temporary.path().to_str().expect("path"), "anything"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("is not a newsdex index"), "{}", stderr(&output));
}

#[test]
fn serve_without_an_index_serves_the_sample() {
    let cache = tempfile::tempdir().expect("tempdir");
    // Preloaded first: the sample index is read into the file cache before listening.
    let server = Serving::start(&["--cache-dir", cache.path().to_str().expect("path"), "--preload"]);
    let (status, body) = server.http("GET", "/search?q=tariff&limit=1", &[], "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"hits\""), "{body}");
    let (status, body) = server.http("POST", "/articles", &[("Content-Type", "application/json")], "{}");
    assert_eq!(status, 403, "help: without an API key the server is read-only: {body}");
    let cached: Vec<_> = std::fs::read_dir(cache.path()).expect("cache").flatten().collect();
    assert!(cached.iter().any(|entry| entry.file_name().to_string_lossy().starts_with("sample-")));
}

#[test]
fn export_quickwit_prints_its_config_and_names_an_unreachable_cluster() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let path = temporary.path().join("index");
    build_sample(&path);
    let path = path.to_str().expect("utf-8 path");
    let output = newsdex(&[
        "export",
        "quickwit",
        "--index",
        path,
        "--url",
        "http://127.0.0.1:9",
        "--index-id",
        "news",
        "--print-config",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config: Value = serde_json::from_str(&stdout(&output)).expect("the config is JSON");
    assert_eq!(config["index_id"], "news");
    assert_eq!(config["doc_mapping"]["mode"], "strict");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let output = newsdex(&["export", "quickwit", "--index", path, "--url", &url, "--index-id", "news"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("cannot reach quickwit"), "{message}");
    assert!(message.contains("run the same command again to resume"), "{message}");

    let output = newsdex(&["export", "quickwit", "--index", path, "--url", &url, "--index-id", "1-bad"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("not a valid quickwit index id"), "{message}");
    assert!(!message.contains("resume"), "help: a bad argument is not an interruption: {message}");
}

/// A `newsdex serve` process on 127.0.0.1 and the address it printed.
struct Serving {
    child: std::process::Child,
    address: String,
}

impl Serving {
    fn start(args: &[&str]) -> Serving {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
            .arg("serve")
            .args(args)
            .args(["--addr", "127.0.0.1:0"])
            .env("NEWSDEX_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn newsdex serve");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("newsdex: listening on http://") {
                    let _ = sender.send(address.to_string());
                }
            }
        });
        let Ok(address) = receiver.recv_timeout(std::time::Duration::from_secs(120)) else {
            let _ = child.kill();
            panic!("help: newsdex serve never printed its address");
        };
        Serving { child, address }
    }

    /// One request; status 0 when the connection fails (the server was killed).
    fn http(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        http_exchange(&self.address, method, path, headers, body)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_exchange(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return (0, String::new()) };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    if stream.read_to_string(&mut response).is_err() {
        return (0, String::new());
    }
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

fn encode_path(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    use std::sync::{Arc, Mutex};
    let temporary = tempfile::tempdir().expect("tempdir");
    let index = temporary.path().join("index");
    let index = index.to_str().expect("utf-8 path");
    let mut server =
        Serving::start(&["--index", index, "--create", "--api-key", "k", "--writer-threads", "1"]);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let (address, acknowledged, stop) =
                (server.address.clone(), Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                for request in 0..500 {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let ids: Vec<String> = (0..3).map(|n| format!("w{writer}/r{request}-{n}")).collect();
                    let body: String = ids
                        .iter()
                        .map(|id| format!("{{\"id\":\"{id}\",\"title\":\"持久 durable {id}\"}}\n"))
                        .collect();
                    let headers = [("Authorization", "Bearer k"), ("Content-Type", "application/x-ndjson")];
                    let (status, _) = http_exchange(&address, "POST", "/articles", &headers, &body);
                    if status == 0 {
                        break; // killed
                    }
                    assert_eq!(status, 200);
                    acknowledged.lock().expect("lock").extend(ids);
                }
            })
        })
        .collect();
    // Kill while writes are in flight, once enough have been acknowledged.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged.lock().expect("lock").len() < 150 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.child.kill().expect("SIGKILL");
    // Nothing acknowledged after the kill can count: take the set now.
    let acknowledged: Vec<String> = acknowledged.lock().expect("lock").clone();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    server.child.wait().expect("wait");
    for writer in writers {
        writer.join().expect("writer thread");
    }
    assert!(acknowledged.len() >= 150, "only {} acknowledged", acknowledged.len());

    // Restart (with a writer: the lock died with the process) and find every article.
    let server = Serving::start(&["--index", index, "--api-key", "k"]);
    let (status, stats) = server.http("GET", "/stats", &[], "");
    assert_eq!(status, 200, "{stats}");
    let stats: Value = serde_json::from_str(&stats).expect("json");
    assert!(stats["articles"].as_u64() >= Some(acknowledged.len() as u64), "{stats}");
    for id in &acknowledged {
        let (status, article) = server.http("GET", &format!("/articles/{}", encode_path(id)), &[], "");
        assert_eq!(status, 200, "help: acknowledged article {id} was lost: {article}");
    }
}

#[test]
fn sigterm_finishes_and_commits_then_exits_cleanly() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let index = temporary.path().join("index");
    let index_arg = index.to_str().expect("utf-8 path");
    let mut server = Serving::start(&["--index", index_arg, "--create", "--api-key", "k"]);
    let (status, report) = server.http(
        "POST",
        "/articles",
        &[("Authorization", "Bearer k"), ("Content-Type", "application/json")],
        r#"[{"id":"t1","title":"關機前寫入"},{"id":"t2","body":"Written before shutdown."}]"#,
    );
    assert_eq!(status, 200, "{report}");
    let pid = server.child.id().to_string();
    let signalled = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(signalled.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(std::time::Instant::now() < deadline, "help: SIGTERM must stop the server");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(exit.success(), "help: a graceful stop exits 0, got {exit}");
    // The writer released the index: it opens, and holds both articles.
    let reopened = newsdex::NewsIndex::open(&index).expect("the index opens after shutdown");
    assert_eq!(reopened.num_articles(), 2);
    assert!(reopened.get("t1").expect("get").is_some());
}

#[test]
fn serve_settings_come_from_flags_then_env_then_the_file() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let file = temporary.path().join("newsdex.toml");
    std::fs::write(
        &file,
        "index = \"idx\"\nsynonyms = \"synonyms.txt\"\napi_key = \"from-file\"\nmax_concurrent_requests = 11\nmax_query_chars = 111\nrequest_timeout_secs = 5\npreload = true\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args([
            "serve",
            "--config",
            file.to_str().expect("path"),
            "--check-config",
            "--max-query-chars",
            "333",
        ])
        .env("NEWSDEX_MAX_CONCURRENT_REQUESTS", "22")
        .env("NEWSDEX_MAX_QUERY_CHARS", "222")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let settings: Value = serde_json::from_str(&stdout(&output)).expect("json settings");
    assert_eq!(settings["max_query_chars"], 333, "help: a flag wins over the environment");
    assert_eq!(settings["max_concurrent_requests"], 22, "help: the environment wins over the file");
    assert_eq!(settings["request_timeout_secs"], 5.0, "help: the file wins over defaults");
    assert_eq!(settings["max_result_window"], 1000, "the default");
    assert_eq!(settings["preload"], true, "help: the file may ask for the index to be preloaded");
    assert_eq!(settings["index"], temporary.path().join("idx").to_str().expect("path"));
    assert_eq!(settings["synonyms"], temporary.path().join("synonyms.txt").to_str().expect("path"));
    assert_eq!(settings["api_key"], "(set)", "help: keys are never printed");
    assert!(!stdout(&output).contains("from-file"));

    let bad = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(["serve", "--check-config", "--cors-origin", "not-an-origin"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("CORS origin"), "{}", stderr(&bad));
}

#[test]
fn serve_help_documents_every_setting() {
    let output = newsdex(&["serve", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for setting in [
        "config",
        "backend",
        "index",
        "create",
        "preload",
        "addr",
        "user_dict",
        "cache_dir",
        "api_key",
        "read_api_key",
        "max_body_mb",
        "max_query_chars",
        "max_result_window",
        "request_timeout_secs",
        "max_concurrent_requests",
        "cors_origins",
        "writer_threads",
        "writer_memory_mb",
    ] {
        let flag = format!("--{}", setting.replace('_', "-").trim_end_matches('s'));
        assert!(help.contains(&flag), "help: `serve --help` must document {flag}:\n{help}");
        let variable = format!("NEWSDEX_{}", setting.to_uppercase());
        assert!(help.contains(&variable), "help: `serve --help` must name {variable}:\n{help}");
        if setting != "config" {
            assert!(
                help.contains(&format!("toml: {setting}")),
                "help: `serve --help` must name the key {setting}"
            );
        }
    }
    for (flag, variable, key) in [
        ("--url", "NEWSDEX_QUICKWIT_URL", "quickwit_url"),
        ("--index-id", "NEWSDEX_QUICKWIT_INDEX_ID", "quickwit_index_id"),
    ] {
        assert!(help.contains(flag), "help: `serve --help` must document {flag}");
        assert!(help.contains(variable), "help: `serve --help` must name {variable}");
        assert!(help.contains(&format!("toml: {key}")), "help: `serve --help` must name the key {key}");
    }
    assert!(help.contains("answers 501"), "help: `serve --help` must say what Quickwit cannot answer");
}

#[test]
fn serve_answers_from_an_exported_quickwit_index() {
    let fake = newsdex_fake_quickwit::FakeQuickwit::start();
    let temporary = tempfile::tempdir().expect("tempdir");
    let path = temporary.path().join("index");
    build_sample(&path);
    let path = path.to_str().expect("utf-8 path");
    let dictionary = index_data().join("userdict.txt");
    let dictionary = dictionary.to_str().expect("utf-8 path");
    let output =
        newsdex(&["export", "quickwit", "--index", path, "--url", &fake.url, "--index-id", "news", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("a JSON report");
    assert!(report["exported"].as_u64() >= Some(120), "{report}");

    let missing = newsdex(&["serve", "--backend", "quickwit", "--index-id", "news"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("--url URL --index-id ID"), "{}", stderr(&missing));
    let no_dictionary =
        newsdex(&["serve", "--backend", "quickwit", "--url", &fake.url, "--index-id", "news"]);
    assert!(!no_dictionary.status.success());
    assert!(stderr(&no_dictionary).contains("--user-dict"), "{}", stderr(&no_dictionary));

    // Settings from the environment, as for every other setting.
    let server = {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
            .args(["serve", "--addr", "127.0.0.1:0", "--user-dict", dictionary, "--api-key", "k"])
            .env("NEWSDEX_LOG", "warn")
            .env("NEWSDEX_BACKEND", "quickwit")
            .env("NEWSDEX_QUICKWIT_URL", &fake.url)
            .env("NEWSDEX_QUICKWIT_INDEX_ID", "news")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn newsdex serve");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = lines
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("newsdex: listening on http://").map(str::to_string))
            .expect("help: newsdex serve --backend quickwit never printed its address");
        Serving { child, address }
    };
    let (status, body) = server.http("GET", &format!("/search?q={}", encode_path("南京市长江大桥")), &[], "");
    assert_eq!(status, 200, "{body}");
    let response: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(response["hits"][0]["id"], "hans-cult-0001");
    assert!(response["hits"][0]["snippet"].as_str().is_some_and(|s| s.contains("<mark>")), "{response}");
    let (_, ready) = server.http("GET", "/ready", &[], "");
    assert!(ready.contains("\"backend\":\"quickwit\""), "{ready}");
    let headers = [("Authorization", "Bearer k"), ("Content-Type", "application/json")];
    let article = r#"{"id":"hans-cult-0001","title":"南京长江大桥重新开放","body":"大桥今日通车。"}"#;
    let (status, written) = server.http("POST", "/articles", &headers, article);
    assert_eq!(status, 200, "{written}");
    assert!(written.contains("deletes_pending"), "help: replacing goes through a delete task: {written}");
    let (status, related) = server.http("GET", "/articles/hans-cult-0001/related", &[], "");
    assert_eq!(status, 501, "{related}");
}

#[test]
fn adding_to_an_index_keeps_its_analysis_options_and_refuses_others() {
    let temporary = tempfile::tempdir().expect("tempdir");
    let index = temporary.path().join("index");
    let index = index.to_str().expect("utf-8 path");
    let sample = index_data().join("articles.jsonl");
    let sample = sample.to_str().expect("utf-8 path");
    let output = newsdex(&["index", "--index", index, "--no-sub-words", sample]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Without the flag, more articles are added with the options the index was built with.
    let output = newsdex(&["index", "--index", index, "--json", sample]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = newsdex(&["search", "--index", index, "--json", "大桥"]);
    let response: Value = serde_json::from_str(&stdout(&output)).expect("the HTTP response shape");
    assert_eq!(response["total"], 0, "help: the index still has no sub-words");
    // An option the index was built without cannot apply to it.
    let output = newsdex(&["index", "--index", index, "--no-hmm", sample]);
    assert!(!output.status.success());
    assert!(
        stderr(&output)
            .contains("was built without --no-hmm; analysis options are set when an index is created"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    let directory = tempfile::tempdir().expect("tempdir");
    let index = directory.path().join("index");
    build_sample(&index);
    // 100 hits of JSON overflow a pipe's buffer: the write blocks until the reader goes,
    // then fails with a broken pipe, as under `newsdex search … | head -1`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(["search", "--index", index.to_str().expect("utf-8 path"), "--json", "--limit", "100", "*"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().expect("stdout"), &mut first).expect("output begins");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{:?}: {}", output.status, stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}
