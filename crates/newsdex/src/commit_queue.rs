//! Group commit: one thread owns the index's [`NewsWriter`]; callers submit batches of
//! upserts and deletes and are answered once the commit holding them is durable.
//!
//! A commit costs an fsync whatever it holds, so committing each caller's batch on its own
//! caps writes at one batch per fsync. The queue's thread instead takes every submission
//! waiting when it is free, applies them in order and commits once: while one commit runs,
//! the next group gathers. Under load, many callers share each commit; alone, a caller
//! waits for exactly one.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::article::Article;
use crate::error::{Error, Result};
use crate::writer::NewsWriter;

/// One change to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Add the article, replacing any article with the same id.
    Upsert(Article),
    /// Remove the article with this id (nothing happens if there is none).
    Delete(String),
}

/// How a [`CommitQueue`] groups submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitQueueSettings {
    /// A group stops taking further submissions once it holds this many operations (a
    /// single larger submission is still committed whole). Bounds the time one commit
    /// makes its callers wait.
    pub max_operations_per_commit: usize,
}

impl Default for CommitQueueSettings {
    fn default() -> Self {
        CommitQueueSettings { max_operations_per_commit: 10_000 }
    }
}

/// What happened to one submission: it is durable in commit number `commit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommitReceipt {
    /// Articles of this submission written.
    pub upserted: u64,
    /// Deletes of this submission applied.
    pub deleted: u64,
    /// The commit's number in this queue, counting from 1.
    pub commit: u64,
    /// Submissions that commit grouped, this one included.
    pub grouped_submissions: usize,
}

/// What one commit did, as told to the observer of [`CommitQueue::start_observed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit's number in this queue, counting from 1 (failed commits count too).
    pub commit: u64,
    /// Submissions grouped into it.
    pub submissions: usize,
    /// Articles upserted.
    pub upserted: u64,
    /// Deletes applied.
    pub deleted: u64,
    /// Time spent applying the operations and committing.
    pub duration: Duration,
    /// Whether the commit succeeded; on failure every operation was rolled back.
    pub succeeded: bool,
}

type Reply = Box<dyn FnOnce(Result<CommitReceipt>) + Send>;
type Observer = Box<dyn Fn(&CommitInfo) + Send>;

struct Submission {
    operations: Vec<WriteOp>,
    reply: Reply,
}

/// A writer thread that groups concurrent submissions into shared commits.
///
/// [`CommitQueue::submit`] blocks until the submission is committed (durable and
/// visible to searches) or has failed; [`CommitQueue::submit_with`] calls back instead,
/// for callers that must not block (an async server). A submission is all or nothing:
/// one invalid article rejects it whole before anything is written, and a failed commit
/// rolls back every submission it grouped.
///
/// ```
/// use newsdex::{Analyzer, Article, CommitQueue, NewsIndex, WriteOp, WriterSettings};
///
/// # fn main() -> newsdex::Result<()> {
/// let index = NewsIndex::create_in_ram(Analyzer::new())?;
/// let queue = CommitQueue::start(index.writer(WriterSettings::default())?, Default::default());
/// let article = Article { id: "a1".into(), title: "Rates rise".into(), ..Article::default() };
/// let receipt = queue.submit(vec![WriteOp::Upsert(article)])?;
/// assert_eq!(receipt.upserted, 1);
/// assert!(index.get("a1")?.is_some(), "acknowledged means committed and visible");
/// queue.close()?;
/// # Ok(())
/// # }
/// ```
pub struct CommitQueue {
    sender: Mutex<Option<Sender<Submission>>>,
    thread: Mutex<Option<JoinHandle<Result<()>>>>,
}

impl std::fmt::Debug for CommitQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitQueue").field("running", &self.is_running()).finish()
    }
}

impl CommitQueue {
    /// Starts the writer thread, which owns `writer` until [`CommitQueue::close`].
    pub fn start(writer: NewsWriter, settings: CommitQueueSettings) -> CommitQueue {
        CommitQueue::spawn(writer, settings, None)
    }

    /// Like [`CommitQueue::start`], calling `observer` on the writer thread after every
    /// commit (for metrics). The observer should be quick: the next commit waits for it.
    pub fn start_observed(
        writer: NewsWriter,
        settings: CommitQueueSettings,
        observer: impl Fn(&CommitInfo) + Send + 'static,
    ) -> CommitQueue {
        CommitQueue::spawn(writer, settings, Some(Box::new(observer)))
    }

    fn spawn(writer: NewsWriter, settings: CommitQueueSettings, observer: Option<Observer>) -> CommitQueue {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("newsdex-commit".to_string())
            .spawn(move || run_writer(writer, receiver, settings, observer));
        match thread {
            Ok(handle) => CommitQueue { sender: Mutex::new(Some(sender)), thread: Mutex::new(Some(handle)) },
            Err(error) => {
                tracing::error!(%error, "cannot start the commit thread");
                CommitQueue { sender: Mutex::new(None), thread: Mutex::new(None) }
            }
        }
    }

    /// Writes `operations` in the next commit and blocks until that commit is durable and
    /// visible to searches.
    pub fn submit(&self, operations: Vec<WriteOp>) -> Result<CommitReceipt> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.submit_with(operations, move |outcome| {
            // The caller is blocked on the receiver; it cannot have gone away.
            let _ = sender.send(outcome);
        });
        receiver.recv().unwrap_or(Err(Error::WriterClosed))
    }

    /// Writes `operations` in the next commit and calls `on_done` (on the writer thread,
    /// or on this one if the queue is closed or the submission is invalid) once that commit
    /// is durable or has failed. If the writer thread dies, `on_done` is dropped uncalled.
    pub fn submit_with(
        &self,
        operations: Vec<WriteOp>,
        on_done: impl FnOnce(Result<CommitReceipt>) + Send + 'static,
    ) {
        if operations.is_empty() {
            on_done(Err(Error::InvalidRequest("a submission needs at least one operation".to_string())));
            return;
        }
        let submission = Submission { operations, reply: Box::new(on_done) };
        let refused = match lock(&self.sender).as_ref() {
            Some(sender) => sender.send(submission).err().map(|returned| returned.0),
            None => Some(submission),
        };
        if let Some(submission) = refused {
            (submission.reply)(Err(Error::WriterClosed));
        }
    }

    /// Whether the writer thread is running and accepting submissions.
    pub fn is_running(&self) -> bool {
        lock(&self.sender).is_some()
            && lock(&self.thread).as_ref().is_some_and(|handle| !handle.is_finished())
    }

    /// Stops accepting submissions, commits those already queued, waits for background
    /// merges and releases the index. Later calls do nothing.
    pub fn close(&self) -> Result<()> {
        drop(lock(&self.sender).take());
        let Some(handle) = lock(&self.thread).take() else {
            return Ok(());
        };
        handle.join().unwrap_or_else(|_| Err(Error::CommitFailed("the commit thread panicked".to_string())))
    }
}

impl Drop for CommitQueue {
    fn drop(&mut self) {
        if let Err(error) = self.close() {
            tracing::error!(%error, "closing the commit queue failed");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer thread: group what is waiting, commit, answer; until every sender is gone.
fn run_writer(
    mut writer: NewsWriter,
    receiver: Receiver<Submission>,
    settings: CommitQueueSettings,
    observer: Option<Observer>,
) -> Result<()> {
    let mut commits = 0u64;
    while let Ok(first) = receiver.recv() {
        let mut operations = first.operations.len();
        let mut group = vec![first];
        while operations < settings.max_operations_per_commit {
            let Ok(next) = receiver.try_recv() else { break };
            operations += next.operations.len();
            group.push(next);
        }
        commits += 1;
        let info = commit_group(&mut writer, group, commits);
        if let Some(observer) = &observer {
            observer(&info);
        }
    }
    writer.finish()
}

/// Applies a group's submissions in order and commits them together.
fn commit_group(writer: &mut NewsWriter, group: Vec<Submission>, commit: u64) -> CommitInfo {
    let started = Instant::now();
    let mut accepted: Vec<(Reply, u64, u64)> = Vec::with_capacity(group.len());
    let mut failure: Option<Error> = None;
    for submission in group {
        // Validate everything before writing anything: a submission is all or nothing.
        let invalid = submission.operations.iter().find_map(|operation| match operation {
            WriteOp::Upsert(article) => article.validate().err(),
            WriteOp::Delete(id) if id.is_empty() => {
                Some(Error::InvalidArticle("cannot delete an empty id".to_string()))
            }
            WriteOp::Delete(_) => None,
        });
        if let Some(error) = invalid {
            (submission.reply)(Err(error));
            continue;
        }
        let (mut upserted, mut deleted) = (0u64, 0u64);
        if failure.is_none() {
            // Each run of upserts goes to the writer in one call, which hands the indexing
            // threads a few articles at a time.
            for run in submission
                .operations
                .chunk_by(|a, b| matches!((a, b), (WriteOp::Upsert(_), WriteOp::Upsert(_))))
            {
                if let [WriteOp::Delete(id)] = run {
                    writer.delete(id);
                    deleted += 1;
                    continue;
                }
                let articles = run.iter().filter_map(|operation| match operation {
                    WriteOp::Upsert(article) => Some(article),
                    WriteOp::Delete(_) => None,
                });
                match writer.upsert_all(articles) {
                    Ok(langs) => upserted += langs.len() as u64,
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
        }
        accepted.push((submission.reply, upserted, deleted));
    }
    let outcome = match failure {
        Some(error) => Err(error),
        None => writer.commit(),
    };
    let submissions = accepted.len();
    let upserted = accepted.iter().map(|(_, upserted, _)| upserted).sum();
    let deleted = accepted.iter().map(|(_, _, deleted)| deleted).sum();
    let succeeded = outcome.is_ok();
    match outcome {
        Ok(()) => {
            for (reply, upserted, deleted) in accepted {
                reply(Ok(CommitReceipt { upserted, deleted, commit, grouped_submissions: submissions }));
            }
        }
        Err(error) => {
            tracing::error!(%error, commit, submissions, "commit failed; rolling back");
            if let Err(rollback_error) = writer.rollback() {
                tracing::error!(error = %rollback_error, "rollback failed");
            }
            let message = error.to_string();
            for (reply, _, _) in accepted {
                reply(Err(Error::CommitFailed(message.clone())));
            }
        }
    }
    CommitInfo { commit, submissions, upserted, deleted, duration: started.elapsed(), succeeded }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::analysis::Analyzer;
    use crate::index::NewsIndex;
    use crate::writer::WriterSettings;

    fn article(id: &str, title: &str) -> Article {
        Article { id: id.to_string(), title: title.to_string(), ..Article::default() }
    }

    fn queue(index: &NewsIndex) -> CommitQueue {
        let writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("a writer");
        CommitQueue::start(writer, CommitQueueSettings::default())
    }

    #[test]
    fn an_acknowledged_write_is_visible_and_deletes_apply_in_order() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let queue = queue(&index);
        let receipt = queue
            .submit(vec![WriteOp::Upsert(article("a", "first")), WriteOp::Upsert(article("b", "second"))])
            .expect("committed");
        assert_eq!((receipt.upserted, receipt.deleted, receipt.commit), (2, 0, 1));
        assert_eq!(index.num_articles(), 2, "help: a receipt must mean the commit is visible");
        queue
            .submit(vec![
                WriteOp::Delete("a".into()),
                WriteOp::Upsert(article("b", "replaced")),
                WriteOp::Upsert(article("a", "back")),
            ])
            .expect("committed");
        assert_eq!(index.get("a").expect("get").map(|a| a.title), Some("back".to_string()));
        assert_eq!(index.get("b").expect("get").map(|a| a.title), Some("replaced".to_string()));
        assert_eq!(index.num_articles(), 2);
        // A delete between upserts of its id removes the copy before it, not the one after.
        let receipt = queue
            .submit(vec![
                WriteOp::Upsert(article("c", "first")),
                WriteOp::Upsert(article("d", "kept")),
                WriteOp::Delete("c".into()),
                WriteOp::Delete("a".into()),
                WriteOp::Upsert(article("c", "second")),
                WriteOp::Upsert(article("e", "new")),
                WriteOp::Delete("e".into()),
            ])
            .expect("committed");
        assert_eq!((receipt.upserted, receipt.deleted), (4, 3));
        assert_eq!(index.get("c").expect("get").map(|a| a.title), Some("second".to_string()));
        assert_eq!(index.get("a").expect("get"), None);
        assert_eq!(index.get("e").expect("get"), None);
        assert_eq!(index.num_articles(), 3, "help: b, c and d");
        queue.close().expect("clean close");
    }

    #[test]
    fn an_invalid_article_rejects_its_whole_submission_and_nothing_else() {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let queue = queue(&index);
        let error = queue
            .submit(vec![WriteOp::Upsert(article("ok", "fine")), WriteOp::Upsert(article("empty", " "))])
            .expect_err("the second article has no text");
        assert!(matches!(error, Error::InvalidArticle(_)), "{error}");
        assert_eq!(index.get("ok").expect("get"), None, "help: a rejected submission must write nothing");
        queue.submit(vec![WriteOp::Upsert(article("ok", "fine"))]).expect("a valid one still works");
        assert_eq!(index.num_articles(), 1);
        assert!(matches!(queue.submit(Vec::new()), Err(Error::InvalidRequest(_))));
    }

    #[test]
    fn concurrent_submissions_share_commits_and_none_is_lost() {
        const THREADS: usize = 8;
        const ROUNDS: usize = 25;
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let commits = Arc::new(AtomicUsize::new(0));
        let submitting = Arc::new(AtomicUsize::new(0));
        let (counted, waiting) = (Arc::clone(&commits), Arc::clone(&submitting));
        let writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("writer");
        // The first commit holds the writer thread until every thread is submitting, so the
        // next commit has several submissions waiting for it.
        let observer = move |info: &CommitInfo| {
            assert!(info.succeeded);
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                let deadline = Instant::now() + Duration::from_secs(10);
                while waiting.load(Ordering::SeqCst) < THREADS && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        let queue = Arc::new(CommitQueue::start_observed(writer, CommitQueueSettings::default(), observer));
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let queue = Arc::clone(&queue);
                let submitting = Arc::clone(&submitting);
                std::thread::spawn(move || {
                    let mut largest_group = 0;
                    for round in 0..ROUNDS {
                        if round == 0 {
                            submitting.fetch_add(1, Ordering::SeqCst);
                        }
                        let id = format!("t{thread}-{round}");
                        let receipt =
                            queue.submit(vec![WriteOp::Upsert(article(&id, "grouped"))]).expect("committed");
                        largest_group = largest_group.max(receipt.grouped_submissions);
                    }
                    largest_group
                })
            })
            .collect();
        let largest_group = threads.into_iter().map(|t| t.join().expect("no panic")).max().unwrap_or(0);
        let writes = (THREADS * ROUNDS) as u64;
        assert_eq!(index.num_articles(), writes, "help: every acknowledged write must be in the index");
        let commits = commits.load(Ordering::SeqCst);
        assert!(largest_group > 1, "help: waiting submissions must share a commit (largest group 1)");
        assert!((commits as u64) < writes, "{commits} commits for {writes} writes");
        queue.close().expect("close");
    }

    #[test]
    fn a_closed_queue_refuses_writes_and_commits_what_it_had() {
        let temporary = tempfile::tempdir().expect("tempdir");
        let index = NewsIndex::create(temporary.path(), Analyzer::new()).expect("index");
        let queue = queue(&index);
        queue.submit(vec![WriteOp::Upsert(article("kept", "durable"))]).expect("committed");
        queue.close().expect("close");
        assert!(!queue.is_running());
        assert!(matches!(queue.submit(vec![WriteOp::Delete("kept".into())]), Err(Error::WriterClosed)));
        queue.close().expect("closing twice is fine");
        drop(index);
        let reopened = NewsIndex::open(temporary.path()).expect("reopen");
        assert_eq!(reopened.get("kept").expect("get").map(|a| a.title), Some("durable".to_string()));
        // The writer lock was released: another writer can open.
        reopened.writer(WriterSettings::new(1, 20 << 20)).expect("lock released");
    }
}
