//! The keyboard (issue 10): every mode's hints dispatch in that mode and appear in its help,
//! README's key tables are the binding table, and the cases that once acted unseen, through the
//! pure update and through the real loop.

#[path = "support/harness.rs"]
mod harness;
mod support;

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use harness::{Desk, DeskConfig};
use p100_desk::api::models::{Currency, ExchangeLock};
use p100_desk::app::money_actions::TradeLock;
use p100_desk::app::msg::Msg;
use p100_desk::app::{App, Overlay};
use p100_desk::keys::readme;
use p100_desk::keys::{KeyPress, Keymap, Mode};
use p100_desk::ui::{self, RenderOptions, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use support::fixtures::{self, T0};

fn at(seconds: i64) -> DateTime<Utc> {
    *T0 + Duration::seconds(seconds)
}

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    let key = KeyPress::from_crossterm(&KeyEvent::new(code, modifiers)).expect("a named key");
    app.update(Msg::Key(key), at(0));
}

fn key(app: &mut App, c: char) {
    press(app, KeyCode::Char(c), KeyModifiers::NONE);
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, c);
    }
}

fn lock() -> ExchangeLock {
    ExchangeLock {
        lock_id: "lock-1".into(),
        currency_from: Currency::new("usdc"),
        currency_to: Currency::new("eur"),
        amount: Decimal::from(100),
        rate: Decimal::from_str("0.9").expect("rate"),
        amount_to: Decimal::from(90),
        expires_at: at(60),
    }
}

/// An app put into `mode` the way a user gets there (or, for overlays, by its state).
fn app_in(mode: Mode) -> App {
    use p100_desk::app::ticket::StageKind;
    let mut app = fixtures::loaded_app();
    let ticket_to = |app: &mut App, stage: StageKind| {
        key(app, 'x');
        if stage == StageKind::Editing {
            return;
        }
        typed(app, "100");
        let cmds = app.update(
            Msg::Key(KeyPress::plain(p100_desk::keys::KeyCode::Enter)),
            at(0),
        );
        // The lock answers exactly what was asked (the desk refuses any other).
        let (seq, asked) = cmds
            .iter()
            .find_map(|cmd| match cmd {
                p100_desk::app::cmd::Cmd::Lock {
                    seq,
                    request: p100_desk::app::money_actions::LockRequest::Exchange(asked),
                } => Some((*seq, (asked.from.clone(), asked.to.clone(), asked.amount))),
                _ => None,
            })
            .expect("a lock request");
        match stage {
            StageKind::Locking => {}
            StageKind::Rejected => {
                app.update(
                    Msg::Locked {
                        seq,
                        result: Err(fixtures::business_error("P410", "invalid-currency")),
                    },
                    at(0),
                );
            }
            _ => {
                let (from, to, amount) = asked;
                let rate = Decimal::from_str("0.9").expect("rate");
                let answered = ExchangeLock {
                    currency_from: from,
                    currency_to: to,
                    amount,
                    amount_to: amount * rate,
                    rate,
                    ..lock()
                };
                app.update(
                    Msg::Locked {
                        seq,
                        result: Ok(TradeLock::Exchange(answered)),
                    },
                    at(0),
                );
                // The terms were drawn; a confirm counts half a second later.
                app.frame_drawn(at(0), true);
                if stage == StageKind::Locked {
                    // Past the confirm delay, so the walk sees the confirm key offered.
                    app.update(Msg::Tick, at(1));
                }
                if stage == StageKind::Submitting {
                    app.update(Msg::Key(KeyPress::ch('y')), at(1));
                }
            }
        }
    };
    match mode {
        Mode::Dashboard(pane) => {
            app.focus = pane;
        }
        Mode::Filter => {
            key(&mut app, '2');
            key(&mut app, '/');
        }
        Mode::Help => key(&mut app, '?'),
        Mode::Detail => press(&mut app, KeyCode::Enter, KeyModifiers::NONE),
        Mode::LiveDetail => app.overlay = Some(Overlay::LiveDetail("row".into())),
        Mode::Error => {
            app.overlay = Some(Overlay::Error {
                title: "Refused".into(),
                message: "P433".into(),
            });
        }
        Mode::MessageLog => key(&mut app, 'L'),
        Mode::CommandLine => key(&mut app, ':'),
        Mode::Approvals | Mode::ApprovalReview => approvals_to(&mut app, mode),
        Mode::Ticket(stage) => ticket_to(&mut app, stage),
        Mode::QuitConfirm => {
            // A ticket being sent is in flight: Ctrl-C asks first.
            ticket_to(&mut app, StageKind::Submitting);
            press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
        }
        Mode::TooSmall => {
            app.update(
                Msg::Resize {
                    width: 60,
                    height: 20,
                },
                at(0),
            );
        }
    }
    assert_eq!(app.mode(), mode, "setting up {mode:?}");
    app
}

fn screen_text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| ui::render(app, frame, &RenderOptions::utc(Theme::color())))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    buffer
        .content
        .chunks(usize::from(width))
        .map(|row| {
            row.iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Modes drawn as a box over the dashboard, with a key line of their own.
fn is_dialog(mode: Mode) -> bool {
    !matches!(
        mode,
        Mode::Dashboard(_) | Mode::Filter | Mode::CommandLine | Mode::TooSmall
    )
}

#[test]
fn a_remapped_key_shows_in_every_dialog_key_line() {
    use p100_desk::keys::KeyCode as Code;
    for (mode, scope) in [
        (Mode::Detail, "detail"),
        (Mode::Error, "error"),
        (Mode::LiveDetail, "live-detail"),
        (Mode::MessageLog, "log"),
        (Mode::Help, "help"),
    ] {
        let mut app = app_in(mode);
        app.keyboard
            .keymap
            .rebind(scope, "close", &[KeyPress::plain(Code::Backspace)])
            .expect("rebind");
        assert_eq!(app.keyboard.keymap.check(), Ok(()));
        let screen = screen_text(&app, 120, 40);
        let dialog = screen.lines().take(38).collect::<Vec<_>>().join("\n");
        assert!(dialog.contains("Backspace close"), "{mode:?}\n{screen}");
        assert!(
            !dialog.contains("Esc"),
            "{mode:?}: an old key shown\n{screen}"
        );
    }
    let mut app = app_in(Mode::Ticket(p100_desk::app::ticket::StageKind::Locked));
    app.keyboard
        .keymap
        .rebind("ticket-locked", "confirm", &[KeyPress::ch('Y')])
        .expect("rebind");
    let screen = screen_text(&app, 120, 40);
    assert!(screen.contains("Y CONFIRM"), "{screen}");
    assert!(!screen.contains("y CONFIRM"), "{screen}");
}

#[test]
fn every_mode_hints_dispatch_there_and_every_binding_is_in_its_help() {
    for mode in Mode::ALL {
        let app = app_in(mode);
        let hints = app.key_hints();
        if mode != Mode::Ticket(p100_desk::app::ticket::StageKind::Submitting) {
            assert!(!hints.is_empty(), "{mode:?} shows no keys");
        }
        // Each hint shown in the mode dispatches its own action in that mode.
        for hint in &hints {
            for key in &hint.keys {
                assert_eq!(
                    app.keyboard.keymap.resolve(mode, *key),
                    Some(hint.action),
                    "{mode:?}: hint {} {}",
                    hint.label,
                    hint.help
                );
            }
        }
        // The hints are drawn at a roomy size where the mode has the keyboard: in the dialog's
        // own key line (above the status bar) for a dialog, in the status bar for
        // the dashboard and its typing lines, on the notice for too small.
        let (width, height) = if mode == Mode::TooSmall {
            (60, 20)
        } else {
            (200, 60)
        };
        let screen = screen_text(&app, width, height);
        let rows: Vec<&str> = screen.lines().collect();
        let place = if is_dialog(mode) {
            // The status bar is the last two rows.
            rows[..rows.len() - 2].join("\n")
        } else {
            screen.clone()
        };
        for hint in &hints {
            assert!(
                place.contains(&format!("{} {}", hint.label, hint.help)),
                "{mode:?}: \"{} {}\" not in its key line\n{screen}",
                hint.label,
                hint.help
            );
        }
        // Help opened from the mode lists every binding offered in it.
        let mut with_help = app_in(mode);
        with_help.keyboard.help_from = mode;
        with_help.overlay = Some(Overlay::Help);
        with_help.keyboard.quit_asked = false;
        with_help.keyboard.size = None;
        let help = screen_text(&with_help, 200, 60);
        for offered in app.offered(mode) {
            assert!(
                help.contains(&offered.label) && help.contains(offered.help),
                "{mode:?}: {} {} missing from help\n{help}",
                offered.label,
                offered.help
            );
        }
    }
}

#[test]
fn readme_key_tables_are_the_binding_table() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let begin =
        "<!-- keys:begin (generated from src/keys/table.rs; tests/keyboard.rs checks) -->\n";
    let end = "<!-- keys:end -->";
    let start = readme
        .find(begin)
        .expect("README has the keys:begin marker")
        + begin.len();
    let stop = readme[start..].find(end).expect("keys:end marker") + start;
    let expected = readme::markdown(&Keymap::default());
    // `UPDATE_README_KEYS=1 cargo test --test keyboard` rewrites the tables (review the diff).
    if std::env::var_os("UPDATE_README_KEYS").is_some() && readme[start..stop] != expected {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[stop..]);
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), updated)
            .expect("README written");
        return;
    }
    assert!(
        readme[start..stop] == expected,
        "README's key tables differ from the binding table; put this between the markers:\n{expected}"
    );
}

#[test]
fn typed_amounts_are_parsed_whole_and_refused_with_a_reason() {
    for (text, reason) in [
        ("1,5", "use . for decimals"),
        ("1e3", "digits and one . only"),
        ("12abc34", "digits and one . only"),
        ("1_000", "digits and one . only"),
        ("-5", "must be positive"),
    ] {
        let mut app = fixtures::loaded_app();
        key(&mut app, 'x');
        typed(&mut app, text);
        let cmds = app.update(
            Msg::Key(KeyPress::plain(p100_desk::keys::KeyCode::Enter)),
            at(0),
        );
        assert!(cmds.is_empty(), "{text}: nothing is locked: {cmds:?}");
        let Some(p100_desk::app::ticket::Ticket::Exchange(t)) = &app.ticket else {
            panic!("ticket open");
        };
        assert_eq!(t.amount, text, "no character dropped or rewritten");
        let notice = app
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(notice.contains(reason), "{text}: {notice}");
        assert!(
            screen_text(&app, 80, 24).contains(reason),
            "{text}: reason under the field"
        );
    }
}

#[test]
fn read_only_hides_x_and_o_and_says_why_when_pressed() {
    let mut app = fixtures::loaded_app_with(|session| session.read_only = true);
    let screen = screen_text(&app, 200, 60);
    assert!(
        !screen.contains("new exchange") && !screen.contains("new order"),
        "{screen}"
    );
    key(&mut app, '?');
    let help = screen_text(&app, 200, 60);
    assert!(
        !help.contains("new exchange") && !help.contains("new order"),
        "{help}"
    );
    // The commands that open a money ticket are hidden too, in help and in completion.
    assert!(
        !help.contains(":x FROM") && !help.contains(":o CRYPTO") && help.contains(":filter"),
        "{help}"
    );
    key(&mut app, 'q');
    key(&mut app, ':');
    typed(&mut app, "or");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        app.keyboard.command.as_deref(),
        Some("or"),
        "no :order offered"
    );
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    let notice = |app: &App| {
        app.notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    };
    // Pressed or typed anyway, each says why and opens nothing.
    for keys in ["x", "o", ":x usdc eur 1\n", ":o usdc polygon 250\n"] {
        app.notice = None;
        for c in keys.chars() {
            if c == '\n' {
                press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
            } else {
                key(&mut app, c);
            }
        }
        assert!(app.ticket.is_none(), "{keys}");
        assert!(
            notice(&app).contains("Read-only"),
            "{keys}: {}",
            notice(&app)
        );
    }
}

#[test]
fn the_command_line_prefills_a_ticket_and_never_locks() {
    let mut app = fixtures::loaded_app();
    key(&mut app, ':');
    typed(&mut app, "x usdc eur 1");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        app.keyboard.command.as_deref(),
        Some("x usdc eur 1"),
        "no amount completion"
    );
    typed(&mut app, "00");
    let cmds = app.update(
        Msg::Key(KeyPress::plain(p100_desk::keys::KeyCode::Enter)),
        at(0),
    );
    assert!(
        cmds.iter().all(|cmd| !matches!(
            cmd,
            p100_desk::app::cmd::Cmd::Lock { .. } | p100_desk::app::cmd::Cmd::Submit { .. }
        )),
        "{cmds:?}"
    );
    let Some(p100_desk::app::ticket::Ticket::Exchange(t)) = &app.ticket else {
        panic!("the exchange ticket is open");
    };
    assert_eq!(
        (t.from.as_str(), t.to.as_str(), t.amount.as_str()),
        ("USDC", "EUR", "100")
    );
    assert_eq!(
        app.mode(),
        Mode::Ticket(p100_desk::app::ticket::StageKind::Editing)
    );

    // Completion of the command word and of a currency.
    let mut app = fixtures::loaded_app();
    key(&mut app, ':');
    typed(&mut app, "fil");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.keyboard.command.as_deref(), Some("filter "));
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    key(&mut app, ':');
    typed(&mut app, "x us");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    let line = app.keyboard.command.clone().unwrap_or_default();
    assert!(line.starts_with("x usd"), "{line}");
}

#[test]
fn the_other_commands_do_what_help_says() {
    use p100_desk::app::cmd::Cmd;
    let run = |app: &mut App, line: &str| {
        key(app, ':');
        typed(app, line);
        app.update(
            Msg::Key(KeyPress::plain(p100_desk::keys::KeyCode::Enter)),
            at(0),
        )
    };
    // `:o CRYPTO NET EUR` fills the order ticket and, like `:x`, never locks.
    let mut app = fixtures::loaded_app();
    let cmds = run(&mut app, "o usdc polygon 250");
    assert!(
        cmds.iter()
            .all(|cmd| !matches!(cmd, Cmd::Lock { .. } | Cmd::Submit { .. })),
        "{cmds:?}"
    );
    let Some(p100_desk::app::ticket::Ticket::Order(t)) = &app.ticket else {
        panic!("the order ticket is open");
    };
    assert_eq!(
        (t.currency.as_str(), t.network.as_str(), t.amount.as_str()),
        ("USDC", "polygon", "250")
    );

    // `:filter TEXT` focuses history and filters it; the words after it are the filter.
    let mut app = fixtures::loaded_app();
    run(&mut app, "filter sepa deposit");
    assert_eq!(
        app.mode(),
        Mode::Dashboard(p100_desk::app::keymap::Pane::History)
    );
    assert_eq!(app.history.filter, "sepa deposit");

    // `:help` opens help on the mode it was typed from, commands listed.
    let mut app = fixtures::loaded_app();
    run(&mut app, "help");
    assert_eq!(app.mode(), Mode::Help);
    let help = screen_text(&app, 200, 60);
    assert!(
        help.contains(":export") && help.contains(":theme NAME"),
        "{help}"
    );

    // `:export` writes the focused view (here the filtered history) through the runtime.
    let mut app = fixtures::loaded_app();
    app.export_paths = Some(p100_desk::app::export::ExportPaths {
        dir: "/data/exports".into(),
        journal: "/data/journal.jsonl".into(),
    });
    run(&mut app, "filter eur");
    let cmds = run(&mut app, "export");
    let [Cmd::Export { path, what, .. }] = cmds.as_slice() else {
        panic!("one export: {cmds:?}");
    };
    assert!(path.starts_with("/data/exports"), "{}", path.display());
    assert_eq!(what, "history filtered by \"eur\"");
}

#[test]
fn the_message_log_keeps_every_notice_in_full() {
    let mut app = fixtures::loaded_app();
    let long = "a very long warning ".repeat(12);
    app.startup_warning(long.trim().to_string());
    key(&mut app, 'r');
    key(&mut app, 'L');
    assert_eq!(app.mode(), Mode::MessageLog);
    let screen = screen_text(&app, 200, 60);
    assert!(
        screen.contains("Refreshing balances and history"),
        "{screen}"
    );
    assert!(
        screen.contains("a very long warning a very long warning"),
        "{screen}"
    );
    assert!(app.keyboard.log.len() >= 2);
}

#[test]
fn past_ten_thousand_messages_the_log_says_how_many_went_and_where_they_all_are() {
    use p100_desk::app::message_log::MAX_MESSAGES;
    let mut app = fixtures::loaded_app();
    app.keyboard.log.log_file = Some("/data/logs/p100-desk.log".into());
    for index in 0..MAX_MESSAGES + 3 {
        app.startup_warning(format!("warning number {index}"));
    }
    key(&mut app, 'L');
    assert_eq!(app.keyboard.log.len(), MAX_MESSAGES);
    let screen = screen_text(&app, 200, 60);
    assert!(
        screen.contains("Messages (10,000)")
            && screen.contains("3 older messages were dropped")
            && screen.contains("/data/logs/p100-desk.log has every one"),
        "{screen}"
    );
    assert!(screen.contains("warning number 10002"), "{screen}");
    // Scrolled to the oldest kept, the dropped count is still the first line.
    for _ in 0..MAX_MESSAGES {
        key(&mut app, 'k');
    }
    let top = screen_text(&app, 200, 60);
    assert!(top.contains("warning number 3 "), "{top}");
    assert!(!top.contains("warning number 2 "), "{top}");
    assert!(top.contains("3 older messages were dropped"), "{top}");
}

#[test]
fn quitting_with_rows_in_flight_asks_once() {
    let mut app = app_in(Mode::QuitConfirm);
    assert!(!app.should_quit);
    assert!(
        app.quit_question().contains("1 row in flight"),
        "{}",
        app.quit_question()
    );
    key(&mut app, 'n');
    assert_eq!(
        app.mode(),
        Mode::Ticket(p100_desk::app::ticket::StageKind::Submitting)
    );
    press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    key(&mut app, 'y');
    assert!(app.should_quit, "a second press quits");
}

#[test]
fn on_a_real_server_the_quit_question_says_the_rows_resume() {
    let mut app = fixtures::loaded_app_with(|session| {
        session.environment = p100_desk::app::EnvBadge::Production;
    });
    let records = fixtures::journal_records();
    app.resume(&records.records, &[]);
    assert_eq!(app.live.in_flight(), 2);
    key(&mut app, 'q');
    assert_eq!(app.mode(), Mode::QuitConfirm);
    assert!(!app.should_quit);
    let question = app.quit_question();
    assert!(
        question.starts_with("2 rows in flight: they resume on next start"),
        "{question}"
    );
    key(&mut app, 'q');
    assert!(app.should_quit, "a second q quits");
}

#[test]
fn the_quit_question_says_when_nothing_is_in_flight_any_more() {
    // The question stays open while the last row settles: "0 rows in flight: … forgets them"
    // was shown in tmux once the exchange completed behind it.
    let app = fixtures::loaded_app();
    assert_eq!(app.in_flight(), 0);
    assert_eq!(app.quit_question(), "Nothing is in flight any more. Quit?");
}

// ---------------------------------------------------------------------------------------------
// Through the real loop: scripted keys, TestBackend, the sandbox over loopback.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_too_small_notice_keys_place_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    config.size = (60, 20);
    let mut desk = Desk::start(client, config);
    desk.wait_for("balances behind the notice", |p| {
        p.balances_loaded && p.screen.contains("Terminal too small")
    })
    .await;
    desk.key('x');
    desk.type_text("10");
    desk.press(KeyCode::Enter);
    desk.key('y');
    desk.paste("10");
    let app = desk.stop().await;
    assert!(app.ticket.is_none(), "no ticket opened unseen");
    assert!(app.live.rows.is_empty(), "nothing sent");
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap_or_default();
    assert!(
        !journal.contains("intent"),
        "no intent journaled: {journal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_keys_paste_and_ctrl_c_in_the_filter_through_the_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    desk.select_balance("usdc").await;
    desk.key('x');
    // The status bar shows the ticket's keys, not the dashboard's.
    let probe = desk
        .wait_for("exchange ticket", |p| {
            p.ticket.as_deref() == Some("editing")
        })
        .await;
    let status = probe.screen.lines().last().unwrap_or_default().to_string();
    assert!(status.contains("Enter lock rate"), "{status}");
    assert!(
        !status.contains("next pane") && !status.contains("new exchange"),
        "{status}"
    );
    // `1,5` is refused with a reason, never read as 15.
    desk.type_text("1,5");
    desk.press(KeyCode::Enter);
    desk.wait_for("the decimal comma refused", |p| {
        p.screen.contains("use . for decimals") && p.ticket.as_deref() == Some("editing")
    })
    .await;
    // `1e3` is refused too, never read as 13; Enter locks nothing while the text is invalid.
    desk.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    desk.type_text("1e3");
    desk.press(KeyCode::Enter);
    desk.wait_for("the exponent refused", |p| {
        p.screen.contains("1e3▏")
            && p.screen.contains("digits and one . only")
            && p.ticket.as_deref() == Some("editing")
    })
    .await;
    // A bracketed paste lands whole in the amount (after clearing it with Ctrl-U).
    desk.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    desk.paste("12.5");
    desk.wait_for("the pasted amount", |p| p.screen.contains("12.5▏"))
        .await;
    desk.press(KeyCode::Enter);
    desk.wait_for("a lock for the pasted amount", |p| {
        p.ticket.as_deref() == Some("locked") && p.screen.contains("12.500000 USDC")
    })
    .await;
    desk.press(KeyCode::Esc);
    // Ctrl-C quits from the filter line (it did nothing there).
    desk.key('2');
    desk.key('/');
    // Typed and pasted text meet in the filter as in the amount.
    desk.type_text("us");
    desk.paste("dc");
    desk.wait_for("the filter line", |p| p.screen.contains("/ usdc▏"))
        .await;
    let app = desk.stop().await;
    assert!(app.should_quit);
    assert!(app.live.rows.is_empty(), "nothing was confirmed");
}

#[test]
fn a_bad_keys_table_stops_the_binary_with_line_and_column_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "number_format = \"1.234,56\"\n[keys.ticket-locked]\nconfirm = \"Enter\"\n",
    )
    .expect("write config");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_p100-desk"))
        .arg("--config")
        .arg(&config)
        .env("P100_DATA_DIR", dir.path())
        .env_remove("P100_API_KEY")
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("config.toml:3:11"), "{stderr}");
    assert!(stderr.contains("confirm cannot be Enter"), "{stderr}");
}

/// A relay desk signed in as approver "bob", with alice's proposal #7 pending, in the
/// Approvals view (`A`) or reviewing #7 (`a`).
fn approvals_to(app: &mut App, mode: Mode) {
    app.team.relay = true;
    app.team.me = Some(p100_desk::api::team::TeamIdentity {
        name: "bob".into(),
        role: "approver".into(),
    });
    let proposal: p100_desk::api::team::Proposal = serde_json::from_value(serde_json::json!({
        "id": 7, "kind": "exchange", "proposer": "alice",
        "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "12.5"},
        "amountEur": "31250.00", "indicativeRate": "2500", "maxDeviation": "0.01",
        "state": "pending", "createdAt": "2026-01-01T00:00:00Z"
    }))
    .expect("proposal");
    app.update(Msg::ProposalsLoaded(Ok(vec![proposal])), at(0));
    app.update(Msg::Key(KeyPress::ch('A')), at(0));
    if mode == Mode::ApprovalReview {
        app.update(Msg::Key(KeyPress::ch('a')), at(0));
    }
}

#[test]
fn max_is_offered_only_where_it_fills_an_amount() {
    use p100_desk::keys::Action;
    let offers_max = |app: &App| {
        app.key_hints()
            .iter()
            .any(|h| h.action == Action::TicketMax)
    };
    let mut exchange = fixtures::loaded_app();
    key(&mut exchange, 'x');
    assert!(offers_max(&exchange), "the exchange amount has a Max");
    // An order is paid by its payer: no balance to fill it from, so no hint that says so.
    let mut order = fixtures::loaded_app();
    key(&mut order, 'o');
    assert!(order.ticket_amount_focused());
    assert!(!offers_max(&order), "{:?}", order.key_hints());
}

/// With `number_format = "1.234,56"`, through the real loop against the sandbox: the other
/// convention's `1,234.5` is refused with a sentence (never read as 1.2345 or 1234.5), and
/// `1.234,5` locks 1234.5, shown back as `1.234,50` like every number on the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dot_comma_format_is_what_the_screen_shows_and_the_amount_takes() {
    use p100_desk::app::ticket::{Stage, Ticket};
    use p100_desk::number_format::NumberFormat;
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    config.setup = Some(Box::new(|app: &mut App| {
        app.keyboard.number_format = NumberFormat::DotComma;
    }));
    let mut desk = Desk::start(client, config);
    desk.select_balance("eur").await;
    desk.key('x');
    desk.wait_for("exchange ticket", |p| {
        p.ticket.as_deref() == Some("editing")
    })
    .await;
    desk.type_text("1,234.5");
    desk.press(KeyCode::Enter);
    let refused = desk
        .wait_for("the other convention refused", |p| {
            p.screen.contains("use , for decimals (1.234,56)")
        })
        .await;
    assert_eq!(refused.ticket.as_deref(), Some("editing"), "nothing locked");
    desk.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    desk.type_text("1.234,5");
    desk.press(KeyCode::Enter);
    let locked = desk
        .wait_for("a lock for 1234.5", |p| {
            p.ticket.as_deref() == Some("locked")
        })
        .await;
    assert!(
        locked.screen.contains("You sell     1.234,50 EUR"),
        "{}",
        locked.screen
    );
    // The balances around the ticket are written the same way (no `1,234.56` anywhere).
    let eur = locked.balance("eur").expect("an EUR balance");
    let shown = NumberFormat::DotComma.format_amount(eur, "eur");
    assert!(
        locked.screen.contains(&shown),
        "{shown} in\n{}",
        locked.screen
    );
    let app = desk.stop().await;
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("the exchange ticket is open: {:?}", app.ticket);
    };
    let asked = ticket.requested.as_ref().expect("a lock was asked for");
    assert_eq!(asked.amount, Decimal::from_str("1234.5").expect("decimal"));
    let Stage::Locked { lock, .. } = &ticket.stage else {
        panic!("locked: {:?}", ticket.stage);
    };
    assert_eq!(lock.amount, Decimal::from_str("1234.5").expect("decimal"));
}

/// The same desk confirms the 1234.5 it locked: the live row reads `1.234,50 EUR`, while the
/// journal (a machine record) keeps the canonical `"amount":"1234.5"`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dot_comma_exchange_is_journaled_with_canonical_digits() {
    use p100_desk::number_format::NumberFormat;
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut config = DeskConfig::new(&journal_path);
    config.setup = Some(Box::new(|app: &mut App| {
        app.keyboard.number_format = NumberFormat::DotComma;
    }));
    let mut desk = Desk::start(client, config);
    desk.lock_exchange("eur", "1.234,5").await;
    desk.wait_for("the confirm key", |p| p.screen.contains("y CONFIRM"))
        .await;
    desk.key('y');
    let done = desk
        .wait_for("the exchange completed", |p| {
            p.live
                .first()
                .is_some_and(|row| row.phase.label() == "COMPLETED")
        })
        .await;
    assert!(done.screen.contains("1.234,50 EUR →"), "{}", done.screen);
    desk.quit().await;
    let journal = std::fs::read_to_string(&journal_path).expect("journal written");
    assert!(journal.contains(r#""amount":"1234.5""#), "{journal}");
    for shown in ["1.234,5", "1,234"] {
        assert!(!journal.contains(shown), "{shown:?} in {journal}");
    }
}
