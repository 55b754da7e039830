//! Logging: tracing events go to `<data_dir>/logs/p100-desk.log`, never to the terminal the
//! dashboard draws on. The level comes from `P100_LOG` (`EnvFilter` syntax, default `info`).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The log file's name inside `<data_dir>/logs`.
pub const LOG_FILE_NAME: &str = "p100-desk.log";

/// `<data_dir>/logs/p100-desk.log`.
pub fn log_file_path(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join(LOG_FILE_NAME)
}

#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("cannot create the log directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the log file {}: {source}", path.display())]
    OpenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("P100_LOG=\"{spec}\" is not a valid log filter: {message}")]
    Filter { spec: String, message: String },
    #[error("logging was already set up: {0}")]
    AlreadyInitialised(String),
}

/// Keeps the background log writer alive; drop it last, on exit, to flush what is queued.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _worker: WorkerGuard,
    path: PathBuf,
}

impl LogGuard {
    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LogGuard")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The filter for `spec` (the value of `P100_LOG`); `None` or empty means `info`.
pub fn filter_from(spec: Option<&str>) -> Result<EnvFilter, LoggingError> {
    let spec = spec.unwrap_or_default().trim();
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse(spec)
        .map_err(|error| LoggingError::Filter {
            spec: spec.to_owned(),
            message: error.to_string(),
        })
}

/// A subscriber writing to the log file under `data_dir` through a non-blocking writer, so a
/// slow disk never stalls the UI task. Separate from [`init_file`] so tests can scope it.
pub fn file_subscriber(
    data_dir: &Path,
    spec: Option<&str>,
) -> Result<(impl tracing::Subscriber + Send + Sync + 'static, LogGuard), LoggingError> {
    let filter = filter_from(spec)?;
    let path = log_file_path(data_dir);
    let file = open_private_append(&path)?;
    let (writer, worker) = tracing_appender::non_blocking(file);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .finish();
    Ok((
        subscriber,
        LogGuard {
            _worker: worker,
            path,
        },
    ))
}

/// Installs file logging for the whole process. Call once, before the terminal is taken over.
pub fn init_file(data_dir: &Path, spec: Option<&str>) -> Result<LogGuard, LoggingError> {
    let (subscriber, guard) = file_subscriber(data_dir, spec)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|error| LoggingError::AlreadyInitialised(error.to_string()))?;
    Ok(guard)
}

/// Logging to stderr, only for `p100-desk sandbox`, which runs without a terminal UI.
pub fn init_stderr(spec: Option<&str>) -> Result<(), LoggingError> {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter_from(spec)?)
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|error| LoggingError::AlreadyInitialised(error.to_string()))
}

/// Opens the log for appending; directories and file are private to the user on unix, since
/// the log holds balances and transaction ids (never the key).
fn open_private_append(path: &Path) -> Result<File, LoggingError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut dirs = std::fs::DirBuilder::new();
    dirs.recursive(true);
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        options.mode(0o600);
    }
    dirs.create(dir).map_err(|source| LoggingError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    options.open(path).map_err(|source| LoggingError::OpenFile {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_defaults_to_info_and_rejects_garbage() {
        assert_eq!(filter_from(None).expect("default").to_string(), "info");
        assert_eq!(filter_from(Some("  ")).expect("blank").to_string(), "info");
        filter_from(Some("p100_desk=debug,warn")).expect("valid spec");
        let error = filter_from(Some("p100_desk=loud")).expect_err("bad level");
        assert!(error.to_string().contains("P100_LOG"), "{error}");
    }

    #[test]
    fn events_land_in_the_log_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (subscriber, guard) =
            file_subscriber(dir.path(), Some("debug")).expect("file subscriber");
        let path = guard.path().to_path_buf();
        assert_eq!(path, dir.path().join("logs").join(LOG_FILE_NAME));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(answer = 42, "hello from the test");
        });
        // Dropping the guard flushes the background writer.
        drop(guard);
        let text = std::fs::read_to_string(&path).expect("log file");
        assert!(text.contains("hello from the test"), "{text}");
        assert!(text.contains("answer=42"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn log_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let (_subscriber, guard) = file_subscriber(dir.path(), None).expect("file subscriber");
        let mode = std::fs::metadata(guard.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}
