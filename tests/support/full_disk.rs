//! A journal store on a disk that fills up: a real file with a byte budget. A write beyond it
//! writes what fits and fails with "no space left", the way a full disk does; raising the
//! budget frees the disk. No root, no tmpfs.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use p100_desk::journal::JournalStore;

/// The disk's free space, shared with the test.
#[derive(Debug, Clone)]
pub struct Capacity(Arc<AtomicU64>);

impl Capacity {
    /// No more bytes than the file holds now fit: the disk is full.
    pub fn fill(&self, path: &Path) {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        self.0.store(len, Ordering::SeqCst);
    }

    /// Room for `bytes` more than the file holds now.
    pub fn leave_room(&self, path: &Path, bytes: u64) {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        self.0.store(len + bytes, Ordering::SeqCst);
    }

    pub fn free(&self) {
        self.0.store(u64::MAX, Ordering::SeqCst);
    }
}

#[derive(Debug)]
pub struct FullDisk {
    file: File,
    capacity: Capacity,
}

impl FullDisk {
    /// The store for the journal at `path`, with plenty of room until the test fills it.
    pub fn open(path: &Path) -> (Self, Capacity) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("journal dir");
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .expect("journal file");
        let capacity = Capacity(Arc::new(AtomicU64::new(u64::MAX)));
        (
            Self {
                file,
                capacity: capacity.clone(),
            },
            capacity,
        )
    }
}

impl JournalStore for FullDisk {
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = self.file.metadata()?.len();
        let room = self.capacity.0.load(Ordering::SeqCst).saturating_sub(len);
        let fits = usize::try_from(room).unwrap_or(usize::MAX).min(bytes.len());
        self.file.write_all(&bytes[..fits])?;
        if fits < bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "No space left on device",
            ));
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}
