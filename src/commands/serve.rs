//! `newsdex serve`: the HTTP API and search page over a local index (or the embedded
//! sample), or over a Quickwit index exported by `newsdex export quickwit`. Settings come
//! from flags, then `NEWSDEX_*` variables, then a TOML file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};
use newsdex::{
    Analyzer, LocalBackend, NewsIndex, QuickwitBackend, QuickwitClient, RankingConfig, SearchBackend,
    Synonyms, UserDictionary, WriterSettings,
};
use newsdex_server::{AppState, ServerConfig};
use serde::{Deserialize, Serialize};

const CONFIG_HELP: &str = "\
Every setting can be given as a flag, as the NEWSDEX_* variable shown, or as the key shown
in a TOML file passed with --config; a flag wins over a variable, which wins over the file.
Paths in the file are relative to the file. Example:

    addr = \"0.0.0.0:7700\"
    index = \"news-index\"
    api_key = \"change-me\"
    max_concurrent_requests = 512
    cors_origins = [\"https://news.example.com\"]

Without an API key the server is read-only. Writes need `Authorization: Bearer KEY`.
SIGTERM or Ctrl-C stops accepting connections, finishes the requests in flight and commits
pending writes before exiting.

With --backend quickwit the same API is answered by a Quickwit index that
`newsdex export quickwit` created (--url, --index-id; --user-dict when the export used
one); --index, --create, --cache-dir and the writer settings are not used. Searches,
snippets and highlights are the same as locally; facets come from Quickwit's terms
aggregations; GET /articles/{id}/related answers 501 (Quickwit gives no document
frequencies). Writes (with an API key) delete the earlier version by query, then ingest:
the new version is searchable when the write is answered, the earlier one keeps matching
until Quickwit applies the delete task, which it does only on mature splits (a version
written within the hour, the maturation period newsdex configures, waits for its split
to mature); the answer's `visibility` says so. /ready checks that Quickwit answers a count
of the index; /stats reports its splits and bytes.

    backend = \"quickwit\"
    quickwit_url = \"http://quickwit.internal:7280\"
    quickwit_index_id = \"news\"";

/// Where searches are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    /// A newsdex index on this machine (--index, or the sample).
    Local,
    /// A Quickwit index exported by `newsdex export quickwit` (--url, --index-id).
    Quickwit,
}

#[derive(Args)]
#[command(after_long_help = CONFIG_HELP)]
pub struct ServeArgs {
    /// A TOML file holding any of the settings below [toml keys: the flag names with `_`].
    #[arg(long, value_name = "FILE", env = "NEWSDEX_CONFIG")]
    config: Option<PathBuf>,
    /// What answers searches: a local index, or a Quickwit index exported by newsdex
    /// [default: local] [toml: backend].
    #[arg(long, value_enum, env = "NEWSDEX_BACKEND")]
    backend: Option<Backend>,
    /// The Quickwit cluster's REST address, e.g. http://127.0.0.1:7280 (with --backend
    /// quickwit) [toml: quickwit_url].
    #[arg(long = "url", value_name = "URL", env = "NEWSDEX_QUICKWIT_URL")]
    quickwit_url: Option<String>,
    /// The Quickwit index to serve (with --backend quickwit) [toml: quickwit_index_id].
    #[arg(long = "index-id", value_name = "ID", env = "NEWSDEX_QUICKWIT_INDEX_ID")]
    quickwit_index_id: Option<String>,
    /// The index directory; without it, the embedded sample corpus is indexed (once, in
    /// the cache directory) and served [toml: index].
    #[arg(long, value_name = "DIR", env = "NEWSDEX_INDEX")]
    index: Option<PathBuf>,
    /// Create an empty index in --index when there is none [toml: create].
    #[arg(long, env = "NEWSDEX_CREATE", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    create: Option<bool>,
    /// Read the whole index once before listening, so that the first searches find it in
    /// the operating system's file cache, not on disk (local backend) [toml: preload].
    #[arg(long, env = "NEWSDEX_PRELOAD", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    preload: Option<bool>,
    /// Address to listen on [default: 127.0.0.1:7700] [toml: addr].
    #[arg(long, env = "NEWSDEX_ADDR")]
    addr: Option<SocketAddr>,
    /// A jieba user dictionary the index must have been built with [toml: user_dict].
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Query synonyms: one group a line, comma-separated (`特朗普, 川普, Trump`); a query
    /// word a group holds also finds the group's other words [toml: synonyms].
    #[arg(long, value_name = "PATH", env = "NEWSDEX_SYNONYMS")]
    synonyms: Option<PathBuf>,
    /// Where the sample index is cached [toml: cache_dir].
    #[arg(long, value_name = "DIR", env = "NEWSDEX_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// The key writes need, sent as `Authorization: Bearer KEY`; without one the server is
    /// read-only [toml: api_key].
    #[arg(long, value_name = "KEY", env = "NEWSDEX_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// A key reads (search, articles, stats, metrics) need; the write key works too
    /// [default: none, reads are open] [toml: read_api_key].
    #[arg(long, value_name = "KEY", env = "NEWSDEX_READ_API_KEY", hide_env_values = true)]
    read_api_key: Option<String>,
    /// Largest request body, in MiB [default: 16] [toml: max_body_mb].
    #[arg(long, value_name = "MIB", env = "NEWSDEX_MAX_BODY_MB")]
    max_body_mb: Option<usize>,
    /// Longest query, in characters [default: 2000, the most] [toml: max_query_chars].
    #[arg(long, value_name = "N", env = "NEWSDEX_MAX_QUERY_CHARS")]
    max_query_chars: Option<usize>,
    /// Deepest hit reachable by paging, offset + limit [default: 1000, the most]
    /// [toml: max_result_window].
    #[arg(long, value_name = "N", env = "NEWSDEX_MAX_RESULT_WINDOW")]
    max_result_window: Option<usize>,
    /// Longest time a request may take, in seconds (then 503) [default: 30]
    /// [toml: request_timeout_secs].
    #[arg(long, value_name = "SECONDS", env = "NEWSDEX_REQUEST_TIMEOUT_SECS")]
    request_timeout_secs: Option<f64>,
    /// Requests served at once; more are answered 503 immediately [default: 256]
    /// [toml: max_concurrent_requests].
    #[arg(long, value_name = "N", env = "NEWSDEX_MAX_CONCURRENT_REQUESTS")]
    max_concurrent_requests: Option<usize>,
    /// An origin allowed to call the API from browsers (CORS); repeat, comma-separate, or
    /// `*` for any [default: none, CORS off] [toml: cors_origins, a list].
    #[arg(long = "cors-origin", value_name = "ORIGIN", env = "NEWSDEX_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Indexing threads of the writer [default: the cores, at most 8] [toml: writer_threads].
    #[arg(long, value_name = "N", env = "NEWSDEX_WRITER_THREADS")]
    writer_threads: Option<usize>,
    /// Memory budget of the writer, in MiB [default: 256] [toml: writer_memory_mb].
    #[arg(long, value_name = "MIB", env = "NEWSDEX_WRITER_MEMORY_MB")]
    writer_memory_mb: Option<usize>,
    /// Ranking: weight of a match in the title [default: 2] [toml: title_boost].
    #[arg(long, value_name = "W", env = "NEWSDEX_TITLE_BOOST")]
    title_boost: Option<f32>,
    /// Ranking: weight of a match in the body [default: 1] [toml: body_boost].
    #[arg(long, value_name = "W", env = "NEWSDEX_BODY_BOOST")]
    body_boost: Option<f32>,
    /// Ranking: weight of the bonus for query words found close together; 0 turns it off
    /// [default: 2] [toml: proximity_boost].
    #[arg(long, value_name = "W", env = "NEWSDEX_PROXIMITY_BOOST")]
    proximity_boost: Option<f32>,
    /// Print the settings as resolved (keys hidden) as JSON, and exit.
    #[arg(long)]
    check_config: bool,
}

/// The settings a TOML file may hold: the flags' names with `_`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    backend: Option<Backend>,
    quickwit_url: Option<String>,
    quickwit_index_id: Option<String>,
    index: Option<PathBuf>,
    create: Option<bool>,
    preload: Option<bool>,
    addr: Option<SocketAddr>,
    user_dict: Option<PathBuf>,
    synonyms: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    api_key: Option<String>,
    read_api_key: Option<String>,
    max_body_mb: Option<usize>,
    max_query_chars: Option<usize>,
    max_result_window: Option<usize>,
    request_timeout_secs: Option<f64>,
    max_concurrent_requests: Option<usize>,
    cors_origins: Option<Vec<String>>,
    writer_threads: Option<usize>,
    writer_memory_mb: Option<usize>,
    title_boost: Option<f32>,
    body_boost: Option<f32>,
    proximity_boost: Option<f32>,
}

impl FileSettings {
    fn read(path: &Path) -> anyhow::Result<FileSettings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let mut settings: FileSettings =
            toml::from_str(&text).with_context(|| format!("config file {}", path.display()))?;
        // Paths in the file are relative to the file.
        let base = path.parent().unwrap_or(Path::new("."));
        for relative in
            [&mut settings.index, &mut settings.user_dict, &mut settings.synonyms, &mut settings.cache_dir]
        {
            if let Some(value) = relative.as_mut()
                && value.is_relative()
            {
                *value = base.join(&*value);
            }
        }
        Ok(settings)
    }
}

/// Every setting, resolved.
#[derive(Debug, Serialize)]
struct Settings {
    config: Option<PathBuf>,
    backend: Backend,
    quickwit_url: Option<String>,
    quickwit_index_id: Option<String>,
    index: Option<PathBuf>,
    create: bool,
    preload: bool,
    addr: SocketAddr,
    user_dict: Option<PathBuf>,
    synonyms: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    #[serde(serialize_with = "redacted")]
    api_key: Option<String>,
    #[serde(serialize_with = "redacted")]
    read_api_key: Option<String>,
    max_body_mb: usize,
    max_query_chars: usize,
    max_result_window: usize,
    request_timeout_secs: f64,
    max_concurrent_requests: usize,
    cors_origins: Vec<String>,
    writer_threads: usize,
    writer_memory_mb: usize,
    ranking: RankingConfig,
}

fn redacted<S: serde::Serializer>(key: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if key.is_some() { "(set)" } else { "(none)" })
}

impl Settings {
    fn resolve(args: ServeArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => FileSettings::read(path)?,
            None => FileSettings::default(),
        };
        let defaults = ServerConfig::default();
        let writer_defaults = WriterSettings::default();
        let ranking_defaults = RankingConfig::default();
        Ok(Settings {
            backend: args.backend.or(file.backend).unwrap_or(Backend::Local),
            quickwit_url: args.quickwit_url.or(file.quickwit_url),
            quickwit_index_id: args.quickwit_index_id.or(file.quickwit_index_id),
            index: args.index.or(file.index),
            create: args.create.or(file.create).unwrap_or(false),
            preload: args.preload.or(file.preload).unwrap_or(false),
            addr: args.addr.or(file.addr).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7700))),
            user_dict: args.user_dict.or(file.user_dict),
            synonyms: args.synonyms.or(file.synonyms),
            cache_dir: args.cache_dir.or(file.cache_dir),
            api_key: args.api_key.or(file.api_key),
            read_api_key: args.read_api_key.or(file.read_api_key),
            max_body_mb: args.max_body_mb.or(file.max_body_mb).unwrap_or(defaults.max_body_bytes >> 20),
            max_query_chars: args
                .max_query_chars
                .or(file.max_query_chars)
                .unwrap_or(defaults.max_query_chars),
            max_result_window: args
                .max_result_window
                .or(file.max_result_window)
                .unwrap_or(defaults.max_result_window),
            request_timeout_secs: args
                .request_timeout_secs
                .or(file.request_timeout_secs)
                .unwrap_or(defaults.request_timeout.as_secs_f64()),
            max_concurrent_requests: args
                .max_concurrent_requests
                .or(file.max_concurrent_requests)
                .unwrap_or(defaults.max_concurrent_requests),
            cors_origins: if args.cors_origins.is_empty() {
                file.cors_origins.unwrap_or_default()
            } else {
                args.cors_origins
            },
            writer_threads: args.writer_threads.or(file.writer_threads).unwrap_or(writer_defaults.threads),
            writer_memory_mb: args
                .writer_memory_mb
                .or(file.writer_memory_mb)
                .unwrap_or(writer_defaults.memory_budget_bytes >> 20),
            ranking: RankingConfig {
                title_boost: args.title_boost.or(file.title_boost).unwrap_or(ranking_defaults.title_boost),
                body_boost: args.body_boost.or(file.body_boost).unwrap_or(ranking_defaults.body_boost),
                proximity_boost: args
                    .proximity_boost
                    .or(file.proximity_boost)
                    .unwrap_or(ranking_defaults.proximity_boost),
                ..ranking_defaults
            },
            config: args.config,
        })
    }

    fn server_config(&self) -> anyhow::Result<ServerConfig> {
        if !(self.request_timeout_secs.is_finite() && self.request_timeout_secs > 0.0) {
            return Err(anyhow!("request timeout must be a positive number of seconds"));
        }
        let config = ServerConfig {
            api_key: self.api_key.clone(),
            read_api_key: self.read_api_key.clone(),
            max_body_bytes: self.max_body_mb.saturating_mul(1 << 20),
            max_query_chars: self.max_query_chars,
            max_result_window: self.max_result_window,
            request_timeout: Duration::from_secs_f64(self.request_timeout_secs),
            max_concurrent_requests: self.max_concurrent_requests,
            cors_origins: self.cors_origins.clone(),
        };
        config.validate().map_err(|message| anyhow!("invalid setting: {message}"))?;
        Ok(config)
    }

    fn ranking(&self) -> anyhow::Result<RankingConfig> {
        self.ranking.validate().map_err(|error| match error {
            newsdex::Error::InvalidRequest(message) => anyhow!("invalid setting: {message}"),
            other => anyhow!(other),
        })?;
        Ok(self.ranking)
    }

    /// The synonyms file, read, if one is set.
    fn synonyms(&self) -> anyhow::Result<Option<Synonyms>> {
        let Some(path) = &self.synonyms else { return Ok(None) };
        let synonyms = Synonyms::from_path(path)?;
        tracing::info!(groups = synonyms.len(), file = %path.display(), "searching with synonyms");
        Ok(Some(synonyms))
    }

    fn writer_settings(&self) -> anyhow::Result<WriterSettings> {
        let settings =
            WriterSettings::new(self.writer_threads, self.writer_memory_mb.saturating_mul(1 << 20));
        settings.validate().context("invalid writer setting")?;
        Ok(settings)
    }

    fn open_index(&self) -> anyhow::Result<NewsIndex> {
        match &self.index {
            Some(path) if self.create && !path.join("meta.json").exists() => {
                let analyzer = super::analyzer_from(self.user_dict.as_deref())?.unwrap_or_else(Analyzer::new);
                NewsIndex::create(path, analyzer)
                    .with_context(|| format!("cannot create an index in {}", path.display()))
            }
            Some(path) => super::open_index(path, self.user_dict.as_deref()),
            None => {
                let cache_dir = self.cache_dir.clone().unwrap_or_else(crate::sample::default_cache_dir);
                crate::sample::index(&cache_dir).context("cannot build the sample index")
            }
        }
    }
}

impl Settings {
    /// The backend the settings name: the local index (with a writer when writes are
    /// enabled) or the Quickwit index.
    fn open_backend(
        &self,
        writer_settings: WriterSettings,
        ranking: RankingConfig,
    ) -> anyhow::Result<Arc<dyn SearchBackend>> {
        match self.backend {
            Backend::Local => {
                for (set, name) in
                    [(self.quickwit_url.is_some(), "--url"), (self.quickwit_index_id.is_some(), "--index-id")]
                {
                    if set {
                        tracing::warn!(
                            "{name} is set but not used: the backend is local (--backend quickwit uses it)"
                        );
                    }
                }
                let mut index = self.open_index()?;
                if self.preload {
                    let preloaded = index.preload().context("cannot preload the index")?;
                    tracing::info!(
                        files = preloaded.files,
                        megabytes = preloaded.bytes / 1_000_000,
                        pinyin_words = preloaded.pinyin_words,
                        seconds = preloaded.took_ms as f64 / 1e3,
                        "preloaded the index into the file cache and listed the readings of its Chinese words"
                    );
                } else {
                    list_pinyin_readings_meanwhile(index.clone());
                }
                index.set_ranking(ranking);
                if let Some(synonyms) = self.synonyms()? {
                    index.set_synonyms(&synonyms);
                }
                if self.api_key.is_none() {
                    return Ok(Arc::new(LocalBackend::new(index)));
                }
                let backend = LocalBackend::with_writer(index, writer_settings)
                    .context("cannot open the index for writing")?;
                Ok(Arc::new(backend))
            }
            Backend::Quickwit => {
                for (set, name) in [
                    (self.index.is_some(), "--index"),
                    (self.create, "--create"),
                    (self.preload, "--preload"),
                    (self.cache_dir.is_some(), "--cache-dir"),
                ] {
                    if set {
                        tracing::warn!("{name} is set but not used: the backend is quickwit");
                    }
                }
                let (Some(url), Some(index_id)) = (&self.quickwit_url, &self.quickwit_index_id) else {
                    return Err(anyhow!(
                        "--backend quickwit needs the cluster's address and the index: --url URL --index-id ID \
                         (or NEWSDEX_QUICKWIT_URL and NEWSDEX_QUICKWIT_INDEX_ID)"
                    ));
                };
                let client = QuickwitClient::new(url)?;
                let dictionary = self.user_dict.as_deref().map(UserDictionary::from_path).transpose()?;
                let mut backend = QuickwitBackend::open(client, index_id, dictionary)
                    .with_context(|| format!("cannot serve quickwit index {index_id:?} at {url}"))?;
                backend.set_ranking(ranking);
                if let Some(synonyms) = self.synonyms()? {
                    backend.set_synonyms(&synonyms);
                }
                Ok(Arc::new(backend))
            }
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let check_only = args.check_config;
    let settings = Settings::resolve(args)?;
    let config = settings.server_config()?;
    let writer_settings = settings.writer_settings()?;
    let ranking = settings.ranking()?;
    if check_only {
        outln!("{}", serde_json::to_string_pretty(&settings)?);
        return Ok(ExitCode::SUCCESS);
    }
    let backend = settings.open_backend(writer_settings, ranking)?;
    let articles = backend.num_articles().context("cannot count the articles served")?;
    if settings.api_key.is_none() {
        tracing::info!("no API key given: read-only, writes are refused (give --api-key to accept them)");
    }
    let backend_name = backend.name();
    let state = AppState::with_backend(backend)
        .with_config(config)
        .map_err(|message| anyhow!("invalid setting: {message}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let served = runtime.block_on({
        let state = state.clone();
        async move {
            let listener = tokio::net::TcpListener::bind(settings.addr)
                .await
                .with_context(|| format!("cannot listen on {}", settings.addr))?;
            let address = listener.local_addr()?;
            // One stable line on stdout for scripts and tests; the rest goes to the log.
            outln!("newsdex: listening on http://{address}");
            tracing::info!(%address, articles, backend = backend_name, "serving; open http://{address}/ or try: curl 'http://{address}/search?q=华为'");
            newsdex_server::serve(listener, newsdex_server::router(state), shutdown_signal()).await?;
            anyhow::Ok(())
        }
    });
    // Requests in flight are done; commit whatever is still queued, then release the index.
    let closed = state.close_writer().context("cannot commit pending writes");
    served?;
    closed?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Lists the readings of the index's Chinese words on a thread of its own
/// ([`NewsIndex::list_pinyin_readings`]), so that the server listens at once and pinyin
/// is looked up rather than walked once they are listed.
fn list_pinyin_readings_meanwhile(index: NewsIndex) {
    let spawned = std::thread::Builder::new().name("pinyin-readings".into()).spawn(move || {
        let started = std::time::Instant::now();
        match index.list_pinyin_readings() {
            Ok(words) => tracing::info!(
                pinyin_words = words,
                seconds = started.elapsed().as_secs_f64(),
                "listed the readings of the index's Chinese words"
            ),
            Err(error) => tracing::warn!("cannot list the readings of the index's Chinese words: {error:#}"),
        }
    });
    if let Err(error) = spawned {
        tracing::warn!("cannot start listing the readings of the index's Chinese words: {error}");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn resolve(arguments: &[&str]) -> anyhow::Result<Settings> {
        let command = Command::try_parse_from(std::iter::once("serve").chain(arguments.iter().copied()))?;
        Settings::resolve(command.serve)
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let directory = tempfile::tempdir().expect("tempdir");
        let file = directory.path().join("newsdex.toml");
        std::fs::write(
            &file,
            "index = \"data/index\"\naddr = \"127.0.0.1:9000\"\nmax_concurrent_requests = 7\ncors_origins = [\"https://a.example\"]\n",
        )
        .expect("write");
        let config = file.to_str().expect("utf-8");
        let settings = resolve(&["--config", config, "--max-concurrent-requests", "9"]).expect("settings");
        assert_eq!(settings.max_concurrent_requests, 9, "help: a flag must win over the file");
        assert_eq!(settings.addr, "127.0.0.1:9000".parse::<SocketAddr>().expect("addr"));
        assert_eq!(settings.index, Some(directory.path().join("data/index")), "help: relative to the file");
        assert_eq!(settings.cors_origins, ["https://a.example"]);
        assert_eq!(settings.max_query_chars, newsdex::MAX_QUERY_CHARS, "the default");
        let settings = resolve(&["--config", config, "--cors-origin", "https://b.example,https://c.example"])
            .expect("settings");
        assert_eq!(settings.cors_origins, ["https://b.example", "https://c.example"]);
        std::fs::write(&file, "title_boost = 3.0\nproximity_boost = 0.0\n").expect("write");
        let settings = resolve(&["--config", config, "--title-boost", "4"]).expect("settings");
        let ranking = settings.ranking().expect("valid");
        assert_eq!((ranking.title_boost, ranking.body_boost, ranking.proximity_boost), (4.0, 1.0, 0.0));
    }

    #[test]
    fn a_bad_file_is_an_error_naming_the_key() {
        let directory = tempfile::tempdir().expect("tempdir");
        let file = directory.path().join("bad.toml");
        std::fs::write(&file, "api-key = \"x\"\n").expect("write");
        let error = resolve(&["--config", file.to_str().expect("utf-8")]).expect_err("unknown key");
        assert!(format!("{error:#}").contains("unknown field `api-key`"), "{error:#}");
        let error =
            resolve(&["--max-query-chars", "5000"]).expect("parses").server_config().expect_err("too long");
        assert!(format!("{error:#}").contains("max query length"), "{error:#}");
        let error = resolve(&["--body-boost=-1"]).expect("parses").ranking().expect_err("negative");
        assert!(format!("{error:#}").contains("body boost"), "{error:#}");
    }
}
