//! Storage faults: read-only index directories, and errors that say what the disk did.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::TantivyError;
use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, META_LOCK, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr,
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
