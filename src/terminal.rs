//! The real terminal: taken over (raw mode, alternate screen, bracketed paste) when the dashboard
//! starts, and given back however it stops: a quit, an error, SIGTERM/SIGHUP, a panic, or the
//! terminal itself going away. After a hangup every write to the terminal fails, so nothing
//! here prints or panics on an I/O error: a failed restore is logged, not shown.

use std::io::{self, Stdout};
use std::sync::{Once, OnceLock};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::Notify;

/// The terminal the dashboard draws on.
pub type Tty = Terminal<CrosstermBackend<Stdout>>;

/// Takes the terminal over. Installs [`install_panic_hook`] first, so a panic from here on
/// restores the terminal; gives the terminal back if a step fails half-way.
pub fn enter() -> io::Result<Tty> {
    install_panic_hook();
    crossterm::terminal::enable_raw_mode()?;
    let taken = crossterm::execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)
        .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
    if taken.is_err() {
        restore();
    }
    taken
}

/// Gives the terminal back as the shell had it: raw mode off (first: it has the most effect),
/// bracketed paste off, the main screen, the cursor shown. Every step is tried even when one
/// fails; safe to call more than once and on a terminal that was never taken over.
pub fn restore() {
    let raw = crossterm::terminal::disable_raw_mode();
    let screen = crossterm::execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    if let Err(error) = raw.and(screen) {
        tracing::warn!(%error, "could not restore the terminal (is it gone?)");
    }
}

/// Wraps the panic hook installed so far (color-eyre's report) so that the terminal is restored
/// before the report is printed, and the panic is in the log file too, where it survives a
/// terminal that is gone. Installed once per process.
pub fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!(panic = %info, "panicked");
            report(info);
            // A panic in a background task does not unwind the loop (tokio catches it), and
            // the terminal was just given back: the loop must stop too, not draw on.
            panic_notice().notify_one();
        }));
    });
}

fn panic_notice() -> &'static Notify {
    static NOTICE: OnceLock<Notify> = OnceLock::new();
    NOTICE.get_or_init(Notify::new)
}

/// Resolves once the hook of [`install_panic_hook`] has seen a panic on any thread (even one
/// before this was first awaited).
pub async fn panicked() {
    panic_notice().notified().await;
}
