//! Start-up warnings reach the dashboard (issue 9, item 14): a warning printed on stderr
//! just before the alternate screen is gone the moment the dashboard draws, so the binary in
//! a pseudo-terminal must show it inside the dashboard's status bar.
#![cfg(unix)]

use std::io::Read as _;
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn a_start_up_warning_is_shown_inside_the_dashboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    // Profiles but none selected: the sandbox runs, with a warning saying so.
    std::fs::write(&config, "[profiles.stage]\nenvironment = \"stage\"\n").expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a PTY");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_p100-desk"));
    command.env_clear();
    command.env("HOME", dir.path());
    command.env("TERM", "xterm-256color");
    command.arg("--config");
    command.arg(&config);
    command.arg("--data-dir");
    command.arg(dir.path().join("data"));
    command.args(["--sandbox-pace", "fast"]);
    command.cwd(dir.path());
    let mut child = pair.slave.spawn_command(command).expect("start the binary");

    let (rows, cols) = (
        NonZeroU16::new(40).expect("rows"),
        NonZeroU16::new(200).expect("cols"),
    );
    let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let feed = Arc::clone(&screen);
    std::thread::spawn(move || {
        let mut buffer = [0_u8; 8192];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 {
                break;
            }
            feed.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .process(&buffer[..read]);
        }
    });

    let deadline = Instant::now() + PATIENCE;
    let shown = loop {
        let contents = screen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .screen()
            .contents();
        // The dashboard is up (its balances pane) and the warning is on the same screen.
        if contents.contains("Balances") && contents.contains("no profile selected") {
            break Ok(contents);
        }
        if Instant::now() > deadline {
            break Err(contents);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let contents = shown.unwrap_or_else(|screen| {
        panic!("the start-up warning never appeared in the dashboard:\n{screen}")
    });
    assert!(contents.contains("warning"), "{contents}");
}
