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
    let articles = index_data().join("articles.jsonl");
    let dictionary = index_data().join("userdict.txt");
    let output = newsdex(&[
        "index",
        "--index",
        directory.to_str().expect("utf-8 path"),
        "--user-dict",
        dictionary.to_str().expect("utf-8 path"),
        "--json",
        articles.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
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
    let output = newsdex(&["search", "--index", path, "tariff"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("[Tariffs]"), "{}", stdout(&output));
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
fn stdin_is_read_with_a_dash() {
    use std::io::Write;
    let temporary = tempfile::tempdir().expect("tempdir");
    let path = temporary.path().join("index");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(["index", "--index", path.to_str().expect("path"), "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("{\"id\":\"s1\",\"body\":\"从标准输入读取的文章。\"}\n".as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(summary["indexed"], 1);
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
    use std::io::{BufRead, BufReader, Read, Write};
    let cache = tempfile::tempdir().expect("tempdir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let address = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(["serve", "--addr", &address, "--cache-dir", cache.path().to_str().expect("path")])
        .env("NEWSDEX_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut log = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let mut ready = false;
    while log.read_line(&mut line).expect("read log") > 0 {
        if line.contains("serving") {
            ready = true;
            break;
        }
        line.clear();
    }
    assert!(ready, "help: the server never said it was serving");
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    write!(stream, "GET /search?q=tariff&limit=1 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"hits\""), "{response}");
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
