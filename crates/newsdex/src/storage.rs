//! Index storage: in-memory and read-only index directories, and errors that say what
//! the disk did.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tantivy::TantivyError;
use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, FileSlice, Lock, META_LOCK, MmapDirectory, RamDirectory,
    WatchCallback, WatchHandle, WritePtr,
};

use crate::error::Error;

/// An index directory on storage that cannot be written. Searching needs no lock there,
/// since nothing can change the files; every write fails with a read-only error.
#[derive(Clone, Debug)]
pub(crate) struct ReadOnlyDirectory(MmapDirectory);

impl ReadOnlyDirectory {
    pub(crate) fn open(path: &Path) -> Result<ReadOnlyDirectory, OpenDirectoryError> {
        MmapDirectory::open(path).map(ReadOnlyDirectory)
    }
}

fn read_only() -> io::Error {
    io::Error::new(io::ErrorKind::ReadOnlyFilesystem, "the index was opened read-only")
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError { io_error: Arc::new(read_only()), filepath: path.to_path_buf() })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError { io_error: Arc::new(read_only()), filepath: path.to_path_buf() })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(read_only())
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        if lock.filepath == META_LOCK.filepath {
            // Readers lock to keep a writer's garbage collection away; there is none here.
            Ok(DirectoryLock::from(Box::new(())))
        } else {
            Err(LockError::IoError(Arc::new(read_only())))
        }
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// An index directory in memory whose blocking locks wake their waiters when released.
///
/// tantivy's own `RamDirectory` waits for a blocking lock by retrying every 100 ms. The
/// meta lock is such a lock: every reader reload takes it to open segments, and the
/// writer's garbage collection takes it at the end of every commit. A commit wakes the
/// reader's commit watcher while that collection runs, so one of the two often found the
/// lock taken and slept 100 ms, and the commit with it: a third of the time of building a
/// few megabytes of news in memory. Here a waiter sleeps until a lock of this directory is
/// released, and gives up after as long as tantivy would (100 retries of 100 ms).
#[derive(Clone, Debug, Default)]
pub(crate) struct MemoryDirectory {
    files: RamDirectory,
    releases: Arc<Releases>,
}

/// How many locks of a [`MemoryDirectory`] have been released, to wait on.
#[derive(Debug, Default)]
struct Releases {
    count: Mutex<u64>,
    released: Condvar,
}

/// How long a blocking lock is waited for before [`LockError::LockBusy`].
const LOCK_PATIENCE: Duration = Duration::from_secs(10);

/// A lock of a [`MemoryDirectory`]: releases the underlying lock, then wakes the waiters.
struct MemoryLock {
    held: Option<DirectoryLock>,
    releases: Arc<Releases>,
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        drop(self.held.take());
        *self.releases.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.releases.released.notify_all();
    }
}

impl Directory for MemoryDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.files.get_file_handle(path)
    }

    fn open_read(&self, path: &Path) -> Result<FileSlice, OpenReadError> {
        self.files.open_read(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.files.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.files.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.files.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.files.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.files.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.files.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        let attempt = Lock { filepath: lock.filepath.clone(), is_blocking: false };
        let deadline = Instant::now() + LOCK_PATIENCE;
        loop {
            // Read before trying, so a release between the try and the wait is not missed.
            let seen = *self.releases.count.lock().unwrap_or_else(PoisonError::into_inner);
            match self.files.acquire_lock(&attempt) {
                Ok(held) => {
                    let releases = Arc::clone(&self.releases);
                    return Ok(DirectoryLock::from(Box::new(MemoryLock { held: Some(held), releases })));
                }
                Err(LockError::LockBusy) if lock.is_blocking => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(LockError::LockBusy);
                    }
                    let count = self.releases.count.lock().unwrap_or_else(PoisonError::into_inner);
                    let _released = self
                        .releases
                        .released
                        .wait_timeout_while(count, left, |count| *count == seen)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.files.watch(callback)
    }
}

/// The IO error inside a tantivy error, if it is about storage.
fn io_error_of(error: &TantivyError) -> Option<&io::Error> {
    match error {
        TantivyError::IoError(io_error) => Some(io_error),
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => Some(io_error),
        TantivyError::LockFailure(LockError::IoError(io_error), _) => Some(io_error),
        _ => None,
    }
}

/// Whether a tantivy error says the storage cannot be written.
pub(crate) fn is_unwritable(error: &TantivyError) -> bool {
    io_error_of(error).is_some_and(|io_error| {
        matches!(io_error.kind(), io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied)
    })
}

/// A tantivy error from `action` on the index at `path`, with storage faults (a full
/// disk, read-only or forbidden storage) said plainly.
pub(crate) fn storage_error(error: TantivyError, action: &str, path: Option<&PathBuf>) -> Error {
    let Some(io_error) = io_error_of(&error) else {
        return Error::Index(error);
    };
    let place = path.map_or_else(|| "the index".to_string(), |p| format!("the index at {}", p.display()));
    let reason = match io_error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => "no space left on the device",
        io::ErrorKind::ReadOnlyFilesystem => "its storage is read-only",
        io::ErrorKind::PermissionDenied => "permission denied",
        _ => "an IO error",
    };
    Error::Io {
        context: format!("cannot {action} {place}: {reason}; what was committed before is intact"),
        source: io::Error::new(io_error.kind(), io_error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use tantivy::directory::INDEX_WRITER_LOCK;

    use super::*;

    #[test]
    fn a_blocking_lock_of_a_memory_directory_waits_for_its_release() {
        let directory = MemoryDirectory::default();
        let held = directory.acquire_lock(&META_LOCK).expect("a free lock");
        assert!(
            directory.acquire_lock(&INDEX_WRITER_LOCK).is_ok(),
            "help: locks of other files are independent"
        );
        let (sender, receiver) = mpsc::channel();
        let waiter = {
            let directory = directory.clone();
            std::thread::spawn(move || {
                let lock = directory.acquire_lock(&META_LOCK);
                sender.send(lock.is_ok()).expect("the test waits");
                lock
            })
        };
        assert_eq!(
            receiver.recv_timeout(Duration::from_millis(50)),
            Err(mpsc::RecvTimeoutError::Timeout),
            "help: a blocking lock must not be granted while another holds it"
        );
        drop(held);
        assert_eq!(
            receiver.recv_timeout(Duration::from_secs(5)),
            Ok(true),
            "help: a release wakes the waiter"
        );
        let granted = waiter.join().expect("the waiter");
        let non_blocking = Lock { filepath: META_LOCK.filepath.clone(), is_blocking: false };
        assert!(
            matches!(directory.acquire_lock(&non_blocking), Err(LockError::LockBusy)),
            "help: the waiter holds the lock now"
        );
        drop(granted);
        assert!(directory.acquire_lock(&non_blocking).is_ok(), "help: a dropped lock is released");
    }
}
