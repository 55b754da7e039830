//! The running binary holds no core dump: it is not dumpable and its core size limit is 0
//! (issue 9, item 11), checked from outside through /proc of the spawned process.

#![cfg(target_os = "linux")]

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The soft and hard "Max core file size" of a running process, from /proc/<pid>/limits.
fn core_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("no core line in {limits}"));
    let mut fields = line["Max core file size".len()..].split_whitespace();
    let soft = fields.next().unwrap_or_default().to_owned();
    let hard = fields.next().unwrap_or_default().to_owned();
    (soft, hard)
}

#[test]
fn the_running_binary_is_not_dumpable_and_has_no_core_limit() {
    // Started with the soft core limit raised to the hard one, so a 0 is the binary's doing,
    // not something inherited from whatever runs the tests.
    let mut child = Command::new("/bin/sh")
        .args([
            "-c",
            "ulimit -S -c \"$(ulimit -H -c)\" 2>/dev/null; exec \"$@\"",
            "sh",
            env!("CARGO_BIN_EXE_p100-desk"),
            "sandbox",
            "--port",
            "0",
            "--key",
            "core-test-key-123",
        ])
        .env("P100_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the standalone sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, ready) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let listening = ready
        .recv_timeout(Duration::from_secs(30))
        .expect("the sandbox says where it listens");
    assert!(listening.contains("listening"), "{listening}");

    let limits = core_limits(child.id());
    // Read back before stopping it: the process is running the whole time.
    let _ = child.kill();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let _ = child.wait();

    assert_eq!(limits, ("0".to_owned(), "0".to_owned()), "core size limit");
    // PR_SET_DUMPABLE cannot be read from outside by root (every /proc entry is root's
    // then), so the process reports what prctl(PR_GET_DUMPABLE) says after setting it.
    assert!(stderr.contains("core dumps off"), "{stderr}");
    // (The log line may be coloured, so its parts are looked for one by one.)
    assert!(stderr.contains("dumpable"), "{stderr}");
    assert!(stderr.contains("Some(false)"), "{stderr}");
}
