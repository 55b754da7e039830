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

impl FileText {
    /// Reads `path` (following symlinks) and its permission bits.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let metadata = std::fs::metadata(path)?;
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
    fn debug_hides_the_text() {
        let shown = format!("{:?}", file(Some(0o600)));
        assert!(!shown.contains("sk-abc"), "{shown}");
        assert!(shown.contains("0600"), "{shown}");
    }
}
