//! `newsdex serve`: HTTP search over an index, or over the embedded sample.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// The index directory; without it, the embedded sample corpus is indexed (once, in
    /// the cache directory) and served.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7700", env = "NEWSDEX_ADDR")]
    addr: SocketAddr,
    /// A jieba user dictionary the index must have been built with.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Where the sample index is cached.
    #[arg(long, value_name = "DIR", env = "NEWSDEX_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let index = match &args.index {
        Some(path) => super::open_index(path, args.user_dict.as_deref())?,
        None => {
            let cache_dir = args.cache_dir.clone().unwrap_or_else(crate::sample::default_cache_dir);
            crate::sample::index(&cache_dir).context("cannot build the sample index")?
        }
    };
    let articles = index.num_articles();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, articles, "serving; try: curl 'http://{address}/search?q=华为'");
        let app = newsdex_server::router(newsdex_server::AppState::new(index));
        newsdex_server::serve(listener, app, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
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
    tracing::info!("shutting down");
}
