//! Journal replay at start-up: folding 1k and 100k journal lines into intents, from memory (the
//! parse and fold) and from a file (what a desk does when it starts). The goal is under one
//! second at 100k lines on the release build, and cost growing with the lines, not faster.

use std::hint::black_box;
use std::io::Write as _;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;

use p100_desk::journal::{self, Entry, Event};

const SIZES: [usize; 2] = [1_000, 100_000];

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
}

/// A journal of `lines` lines as a desk writes it: intents, most accepted then final, some
/// rejected, some left unknown or pending (about three lines per intent).
fn journal_text(lines: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 260);
    let mut n = 0u64;
    let mut written = 0;
    while written < lines {
        let intent = format!("{:016x}-{n:08x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let at = start() + Duration::seconds(i64::try_from(n).unwrap_or_default());
        let entry = |event| Entry {
            at,
            profile: "main".into(),
            environment: "production".into(),
            intent: intent.clone(),
            event,
        };
        let mut events = vec![Event::ExchangeIntent {
            from: "usdc".into(),
            to: "eur".into(),
            amount: Decimal::new(150_000 + i64::try_from(n).unwrap_or_default(), 2),
            amount_to: Decimal::new(138_012, 2),
            rate: Decimal::new(920_080, 6),
            lock_id: format!("lock-{n:012x}"),
        }];
        match n % 10 {
            0 => events.push(Event::Rejected {
                reason: "P433 amount below minimum".into(),
            }),
            1 => events.push(Event::Unknown {
                reason: "timed out after 30s".into(),
            }),
            2 => events.push(Event::Accepted {
                remote_id: format!("{n:08x}-7d1c-4e2a-9b3f-000000000000"),
                attempt: None,
            }),
            _ => {
                events.push(Event::Accepted {
                    remote_id: format!("{n:08x}-7d1c-4e2a-9b3f-000000000000"),
                    attempt: None,
                });
                events.push(Event::Final {
                    status: "COMPLETED".into(),
                    reason: None,
                });
            }
        }
        for event in events {
            if written == lines {
                break;
            }
            let _ = serde_json::to_writer(&mut out, &entry(event));
            out.push(b'\n');
            written += 1;
        }
        n += 1;
    }
    out
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal_replay");
    group.sample_size(10);
    let dir = tempfile::tempdir().ok();
    for lines in SIZES {
        let text = journal_text(lines);
        group.bench_function(format!("memory/{lines}"), |b| {
            b.iter(|| journal::replay(black_box(text.as_slice())).map(|r| r.records.len()));
        });
        // Reading every line without folding: what the fold itself adds is the difference.
        group.bench_function(format!("read_only/{lines}"), |b| {
            b.iter(|| journal::read_lines(black_box(text.as_slice())).map(|(e, _)| e.len()));
        });
        let Some(dir) = &dir else { continue };
        let path = dir.path().join(format!("journal-{lines}.jsonl"));
        let written = std::fs::File::create(&path).and_then(|mut file| file.write_all(&text));
        if written.is_err() {
            continue;
        }
        group.bench_function(format!("file/{lines}"), |b| {
            b.iter(|| journal::replay_file(black_box(&path)).map(|r| r.records.len()));
        });
    }
    group.finish();
}

/// One line: read as an entry, against only scanning its JSON (the floor any reader pays).
fn line(c: &mut Criterion) {
    let text = journal_text(1);
    let line = text.strip_suffix(b"\n").unwrap_or(&text).to_vec();
    let mut group = c.benchmark_group("journal_line");
    group.bench_function("entry", |b| {
        b.iter(|| serde_json::from_slice::<Entry>(black_box(&line)).is_ok());
    });
    group.bench_function("json_scan", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&line)).is_ok());
    });
    group.finish();
}

criterion_group!(benches, replay, line);
criterion_main!(benches);
