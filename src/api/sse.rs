//! A small parser for server-sent events (the WHATWG `text/event-stream` format): bytes in,
//! complete events out. Only `event` and `data` matter to the desk; `id`, `retry` and comment
//! lines (the relay's keep-alives) are read and dropped.

/// One dispatched event: its type (`message` when the stream named none) and its data lines
/// joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Bytes not yet ending in a line break are kept for the next chunk; so is an event whose
/// blank line has not arrived. A line longer than [`MAX_LINE`] is dropped whole (a stream that
/// never breaks its lines must not grow the desk's memory).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    skipping_long_line: bool,
    event: String,
    data: String,
    has_data: bool,
    /// A `\r` ended the last line: a `\n` right after it belongs to the same break.
    after_cr: bool,
}

/// The longest line kept (the relay's events are a few hundred bytes).
pub const MAX_LINE: usize = 64 * 1024;

impl SseParser {
    /// Feeds a chunk; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut done = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if std::mem::take(&mut self.skipping_long_line) {
                        continue;
                    }
                    if let Some(event) = self.line_done(&line) {
                        done.push(event);
                    }
                }
                _ if self.skipping_long_line => {}
                _ if self.line.len() >= MAX_LINE => {
                    self.line.clear();
                    self.skipping_long_line = true;
                }
                _ => self.line.push(byte),
            }
        }
        done
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            let event = if event.is_empty() {
                "message".to_owned()
            } else {
                event
            };
            return Some(SseEvent { event, data });
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_across_chunks_come_out_whole() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"event: sta").is_empty());
        assert!(parser.push(b"tus\ndata: {\"id\":").is_empty());
        assert_eq!(
            parser.push(b"\"x\"}\n\n: keep-alive\n\ndata: a\ndata: b\r\n\r\n"),
            vec![event("status", "{\"id\":\"x\"}"), event("message", "a\nb")]
        );
    }

    #[test]
    fn comments_and_empty_events_dispatch_nothing() {
        let mut parser = SseParser::default();
        assert!(parser.push(b":\n\n\n\nid: 4\nretry: 10\n\n").is_empty());
        assert_eq!(parser.push(b"data\n\n"), vec![event("message", "")]);
    }

    #[test]
    fn a_line_that_never_ends_is_dropped_not_kept() {
        let mut parser = SseParser::default();
        let long = vec![b'x'; MAX_LINE + 10];
        assert!(parser.push(b"data: ").is_empty());
        assert!(parser.push(&long).is_empty());
        assert!(parser.line.len() <= MAX_LINE);
        assert_eq!(parser.push(b"\ndata: ok\n\n"), vec![event("message", "ok")]);
    }
}
