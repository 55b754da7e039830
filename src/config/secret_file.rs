//! Reading the config and key files with their permission bits, and checking the key itself.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::error::ConfigError;
use super::target::Environment;

/// A file's text with its unix permission bits, read up front so resolution stays pure.
/// Debug hides the text: for a key file it is the key.
#[derive(Clone)]
pub struct FileText {
    pub path: PathBuf,
    pub text: String,
    /// `mode & 0o777` on unix; `None` where there are no such bits (permissions are not checked).
    pub mode: Option<u32>,
}

impl std::fmt::Debug for FileText {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FileText")
            .field("path", &self.path)
            .field("text", &format_args!("[{} bytes]", self.text.len()))
            .field("mode", &self.mode.map(|mode| format!("{mode:04o}")))
            .finish()
    }
}

/// The largest key file read: a P100 key is well under 100 bytes.
pub const MAX_KEY_FILE_BYTES: u64 = 4 * 1024;
/// The largest config file read.
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

impl FileText {
    /// Reads a config file (following symlinks) and its permission bits: a regular file of at
    /// most [`MAX_CONFIG_FILE_BYTES`].
    pub fn read(path: &Path) -> std::io::Result<Self> {
        Self::read_limited(path, MAX_CONFIG_FILE_BYTES)
    }

    /// Reads a key file: a regular file of at most [`MAX_KEY_FILE_BYTES`]. A FIFO, a device
    /// (`/dev/zero`), a directory or a large file is refused before a byte is read, so a
    /// mistyped `key_file` can neither hang the start nor fill the memory.
    pub fn read_key(path: &Path) -> std::io::Result<Self> {
        Self::read_limited(path, MAX_KEY_FILE_BYTES)
    }

    /// Reads `path` if it is a regular file of at most `max_bytes`, with its permission bits.
    pub fn read_limited(path: &Path, max_bytes: u64) -> std::io::Result<Self> {
        use std::io::Read as _;
        // Looked at before opening: opening a FIFO for reading blocks until a writer comes.
        check_regular(&std::fs::metadata(path)?, max_bytes)?;
        let file = open_without_blocking(path)?;
        // The path may have been swapped between the two looks; the open file is what counts.
        let metadata = file.metadata()?;
        check_regular(&metadata, max_bytes)?;
        let mut bytes = Vec::new();
        file.take(max_bytes + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(max_bytes));
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "is not UTF-8 text")
        })?;
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            Some(metadata.permissions().mode() & 0o777)
        };
        #[cfg(not(unix))]
        let mode = {
            let _ = metadata;
            None
        };
        Ok(Self {
            path: path.to_path_buf(),
            text,
            mode,
        })
    }
}

/// Refuses anything but a regular file of at most `max_bytes`, naming what it is instead.
fn check_regular(metadata: &std::fs::Metadata, max_bytes: u64) -> std::io::Result<()> {
    if !metadata.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("is {}, not a regular file", file_kind(metadata)),
        ));
    }
    if metadata.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    Ok(())
}

fn too_large(max_bytes: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "is larger than {} KiB, so it cannot be the file meant",
            max_bytes / 1024
        ),
    )
}

/// "a directory", "a FIFO (named pipe)", "a character device" ...
fn file_kind(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Opens for reading; on unix with `O_NONBLOCK`, so a FIFO swapped in after the check cannot
/// hang the start (it has no effect on reading a regular file).
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(nix::libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Group or other permission bits set: someone besides the owner can read (or change) the file.
const NOT_PRIVATE: u32 = 0o077;

/// A file holding a key, or the settings that say where the key goes, must be private to the
/// owner: refused for production (real money), a warning for anything else remote.
pub(crate) fn check_private(
    file: &FileText,
    what: &'static str,
    environment: Environment,
    profile: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let Some(mode) = file.mode.filter(|mode| mode & NOT_PRIVATE != 0) else {
        return Ok(());
    };
    if environment == Environment::Production {
        return Err(ConfigError::InsecurePermissions {
            what,
            path: file.path.clone(),
            mode,
            profile: profile.to_owned(),
        });
    }
    warnings.push(format!(
        "{what} {} has mode {mode:04o}: group or others can access it; run: chmod 600 {}",
        file.path.display(),
        file.path.display()
    ));
    Ok(())
}

/// Turns raw key text into a secret, refusing what could never work in an `x-api-key` header.
/// `source_name` says where it came from; the key is never part of an error.
pub(crate) fn parse_key(raw: &str, source_name: &str) -> Result<SecretString, ConfigError> {
    let key = raw.trim();
    let problem = if key.is_empty() {
        Some("is empty")
    } else if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        Some("contains spaces, control or non-ASCII characters, which cannot go in a header")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ConfigError::BadKey {
            source_name: source_name.to_owned(),
            problem,
        }),
        None => Ok(SecretString::from(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn file(mode: Option<u32>) -> FileText {
        FileText {
            path: PathBuf::from("/tmp/key"),
            text: "sk-abc\n".into(),
            mode,
        }
    }

    #[test]
    fn key_is_trimmed() {
        let key = parse_key("  sk-abc\n", "test").expect("valid");
        assert_eq!(key.expose_secret(), "sk-abc");
    }

    #[test]
    fn bad_keys_are_refused_without_echo() {
        for raw in ["", " \n", "two words", "naïve"] {
            let error = parse_key(raw, "the key file").expect_err("bad key");
            assert!(
                error
                    .to_string()
                    .starts_with("the API key from the key file")
            );
        }
        let error = parse_key("sk secret", "x").expect_err("space");
        assert!(!error.to_string().contains("sk secret"));
    }

    #[test]
    fn permissions_by_environment() {
        let mut warnings = Vec::new();
        for mode in [None, Some(0o600), Some(0o400), Some(0o700)] {
            check_private(
                &file(mode),
                "key file",
                Environment::Production,
                "p",
                &mut warnings,
            )
            .expect("private");
        }
        assert!(warnings.is_empty());

        check_private(
            &file(Some(0o640)),
            "key file",
            Environment::Stage,
            "s",
            &mut warnings,
        )
        .expect("a warning for stage");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("0640"), "{}", warnings[0]);

        let error = check_private(
            &file(Some(0o604)),
            "key file",
            Environment::Production,
            "p",
            &mut warnings,
        )
        .expect_err("refused for production");
        assert!(matches!(
            error,
            ConfigError::InsecurePermissions { mode: 0o604, .. }
        ));
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("key");
        std::fs::write(&key, "sk-abc\n").expect("write");
        assert_eq!(
            FileText::read_key(&key).expect("small file").text,
            "sk-abc\n"
        );

        let error = FileText::read_key(dir.path()).expect_err("a directory");
        assert!(error.to_string().contains("a directory"), "{error}");

        let big = dir.path().join("big");
        let file = std::fs::File::create(&big).expect("create");
        file.set_len(1 << 30).expect("sparse 1 GiB");
        let error = FileText::read_key(&big).expect_err("too large");
        assert!(error.to_string().contains("larger than 4 KiB"), "{error}");

        #[cfg(unix)]
        {
            let error = FileText::read_key(Path::new("/dev/zero")).expect_err("a device");
            assert!(error.to_string().contains("character device"), "{error}");
        }
    }

    #[test]
    fn debug_hides_the_text() {
        let shown = format!("{:?}", file(Some(0o600)));
        assert!(!shown.contains("sk-abc"), "{shown}");
        assert!(shown.contains("0600"), "{shown}");
    }
}
