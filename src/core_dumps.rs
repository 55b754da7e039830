//! Keeping the API key out of core dumps: the process makes itself non-dumpable and sets its
//! core size limit to 0 before it reads a key.
//!
//! Through `nix`'s safe wrappers (`rlimit` only covers the limit, not `PR_SET_DUMPABLE`), so
//! `unsafe_code = "forbid"` holds. Non-dumpable also keeps other processes of the same user
//! from attaching a debugger or reading `/proc/<pid>/mem`.

/// What the process ended up with, read back after setting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreDumpGuard {
    /// `Some(false)` once `PR_SET_DUMPABLE` is 0; `None` where there is no such setting.
    pub dumpable: Option<bool>,
    /// The soft and hard `RLIMIT_CORE`; `None` where it cannot be read.
    pub core_limit: Option<(u64, u64)>,
}

impl CoreDumpGuard {
    /// True when no core dump can be written: not dumpable, or a core limit of 0.
    pub fn holds(&self) -> bool {
        self.dumpable == Some(false) || self.core_limit.is_some_and(|(soft, _)| soft == 0)
    }
}

/// Turns core dumps off for this process and reports what holds afterwards. Failures are
/// reported in the result (and logged by the caller), not fatal: the desk still runs where
/// the platform refuses.
pub fn forbid_core_dumps() -> CoreDumpGuard {
    CoreDumpGuard {
        dumpable: set_not_dumpable(),
        core_limit: set_zero_core_limit(),
    }
}

#[cfg(target_os = "linux")]
fn set_not_dumpable() -> Option<bool> {
    use nix::sys::prctl;
    let _ = prctl::set_dumpable(false);
    prctl::get_dumpable().ok()
}

#[cfg(not(target_os = "linux"))]
fn set_not_dumpable() -> Option<bool> {
    None
}

#[cfg(unix)]
fn set_zero_core_limit() -> Option<(u64, u64)> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    // Lowering the hard limit too means nothing in this process can raise it again.
    let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
    getrlimit(Resource::RLIMIT_CORE).ok()
}

#[cfg(not(unix))]
fn set_zero_core_limit() -> Option<(u64, u64)> {
    None
}
