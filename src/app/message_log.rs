//! The message log (`L`): every notice, warning and error since the desk started, with its time
//! and full text; the status bar shows only the last one, cut to its width. Every message also
//! goes to the tracing log file, which keeps them all however long the desk runs.

use std::collections::VecDeque;
use std::path::PathBuf;

use super::{Level, Notice};
use crate::number_format::NumberFormat;

/// The most recent messages kept in memory. A desk left running for weeks (a poller note every
/// few seconds) would otherwise grow without end; past this the oldest go, the view says how
/// many, and that the log file has every one. 10,000 lines of up to [`MAX_TEXT_BYTES`] is at
/// most a few tens of MB, and in practice well under one.
pub const MAX_MESSAGES: usize = 10_000;

/// The longest text kept in memory for one message (the log file has the whole text).
pub const MAX_TEXT_BYTES: usize = 4_096;

#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    entries: VecDeque<Notice>,
    /// Messages dropped from the front since the start.
    pub dropped: usize,
    /// How many entries from the newest the view is scrolled up (0: the newest at the bottom).
    pub scroll_up: usize,
    /// The tracing log file every message is also written to, when the desk has one.
    pub log_file: Option<PathBuf>,
}

impl MessageLog {
    /// Keeps `notice` and writes it to the tracing log (the file behind "the log has them all").
    pub fn push(&mut self, mut notice: Notice) {
        write_to_tracing(&notice);
        if notice.text.len() > MAX_TEXT_BYTES {
            let mut cut = MAX_TEXT_BYTES;
            while !notice.text.is_char_boundary(cut) {
                cut -= 1;
            }
            notice.text.truncate(cut);
            notice
                .text
                .push_str("… (cut here; the log file has the whole text)");
        }
        if self.entries.len() == MAX_MESSAGES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(notice);
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Notice> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn scroll_older(&mut self) {
        self.scroll_up = (self.scroll_up + 1).min(self.entries.len().saturating_sub(1));
    }

    pub fn scroll_newer(&mut self) {
        self.scroll_up = self.scroll_up.saturating_sub(1);
    }

    /// The line the view shows once messages were dropped: how many, and where they all are
    /// (counts in the user's `number_format`).
    pub fn dropped_text(&self, format: NumberFormat) -> Option<String> {
        if self.dropped == 0 {
            return None;
        }
        let noun = if self.dropped == 1 {
            "message was"
        } else {
            "messages were"
        };
        let kept = crate::ui::format::count(MAX_MESSAGES as u64, format);
        let count = crate::ui::format::count(self.dropped as u64, format);
        Some(match &self.log_file {
            Some(path) => format!(
                "{count} older {noun} dropped from this view (it keeps the last {kept}); \
                 the log file {} has every one",
                path.display()
            ),
            None => {
                format!("{count} older {noun} dropped from this view (it keeps the last {kept})")
            }
        })
    }
}

/// Messages are on screen already, so they hold nothing the screen may not show (never the key).
fn write_to_tracing(notice: &Notice) {
    let text = notice.text.as_str();
    match notice.level {
        Level::Info => tracing::info!(target: "p100_desk::messages", "{text}"),
        Level::Warning => tracing::warn!(target: "p100_desk::messages", "{text}"),
        Level::Error => tracing::error!(target: "p100_desk::messages", "{text}"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn notice(index: usize) -> Notice {
        Notice {
            text: format!("message {index}"),
            level: if index % 2 == 0 {
                Level::Info
            } else {
                Level::Warning
            },
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn past_the_cap_the_oldest_go_and_every_one_reaches_the_log_file() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let mut log = MessageLog {
            log_file: Some(PathBuf::from("/data/logs/p100-desk.log")),
            ..MessageLog::default()
        };
        let total = MAX_MESSAGES + 5;
        tracing::subscriber::with_default(subscriber, || {
            for index in 0..total {
                log.push(notice(index));
            }
        });
        assert_eq!(log.len(), MAX_MESSAGES);
        assert_eq!(log.dropped, 5);
        assert_eq!(
            log.entries().next().map(|n| n.text.as_str()),
            Some("message 5")
        );
        assert_eq!(
            log.entries().last().map(|n| n.text.as_str()),
            Some(format!("message {}", total - 1).as_str())
        );
        assert_eq!(
            log.dropped_text(NumberFormat::default()).as_deref(),
            Some(
                "5 older messages were dropped from this view (it keeps the last 10,000); \
                 the log file /data/logs/p100-desk.log has every one"
            )
        );
        let written =
            String::from_utf8_lossy(&captured.0.lock().map(|b| b.clone()).unwrap_or_default())
                .into_owned();
        // Every message, the dropped ones included, is in the log, at its level.
        for index in [0, 4, MAX_MESSAGES, total - 1] {
            assert!(
                written.contains(&format!("message {index}\n")),
                "message {index} missing from the log"
            );
        }
        assert_eq!(written.lines().count(), total);
        assert!(written.lines().next().is_some_and(|l| l.contains("INFO")));
        assert!(written.lines().nth(1).is_some_and(|l| l.contains("WARN")));
    }

    #[test]
    fn a_huge_text_is_cut_in_memory_on_a_character_boundary() {
        let mut log = MessageLog::default();
        log.push(Notice {
            text: "é".repeat(MAX_TEXT_BYTES),
            ..notice(0)
        });
        let kept = log
            .entries()
            .next()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(kept.len() < MAX_TEXT_BYTES + 100);
        assert!(kept.ends_with("the log file has the whole text)"));
        assert_eq!(log.dropped_text(NumberFormat::default()), None);
    }
}
