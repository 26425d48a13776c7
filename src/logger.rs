//! tend's logger: one record per line on stderr, as JSON or as text.
//!
//! stdout belongs to the child. A record is written with one write(2), so
//! lines never interleave, and a failing stderr (EPIPE, closed) is ignored:
//! logging never stops or blocks the supervisor.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use log::kv::{Key, Value, VisitSource};
use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::cli::LogFormat;

struct Logger {
    format: LogFormat,
}

/// Set once stderr has failed. Each failed write to a closed pipe raises
/// SIGPIPE on tend, so writing on would only feed the signalfd with noise.
static STDERR_BROKEN: AtomicBool = AtomicBool::new(false);

/// Install the logger. Only the first call in a process takes effect.
pub fn init(format: LogFormat, level: LevelFilter) {
    let logger: &'static Logger = Box::leak(Box::new(Logger { format }));
    // A second init would fail; the first one's settings stand, which is fine.
    let _ = log::set_logger(logger);
    log::set_max_level(level);
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) || STDERR_BROKEN.load(Ordering::Relaxed) {
            return;
        }
        let mut fields = Fields(Vec::new());
        // A visitor that only collects cannot fail.
        let _ = record.key_values().visit(&mut fields);
        let line = format_record(
            self.format,
            now_ms(),
            record.level(),
            &record.args().to_string(),
            fields.0,
        );
        // Nowhere to report a failing stderr; the supervisor must go on regardless.
        if let Err(e) = std::io::stderr().lock().write_all(line.as_bytes())
            && (e.kind() == std::io::ErrorKind::BrokenPipe || e.raw_os_error() == Some(libc::EBADF))
        {
            STDERR_BROKEN.store(true, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

/// A field's value: numbers and booleans stay bare in JSON, text is quoted.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Bare(String),
    Text(String),
}

/// The fields of a record, in the order the code wrote them.
struct Fields(Vec<(String, Field)>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let field = if let Some(n) = value.to_i64() {
            Field::Bare(n.to_string())
        } else if let Some(n) = value.to_u64() {
            Field::Bare(n.to_string())
        } else if let Some(b) = value.to_bool() {
            Field::Bare(b.to_string())
        } else {
            Field::Text(value.to_string())
        };
        self.0.push((key.as_str().to_string(), field));
        Ok(())
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One line, newline included: `{"ts":…,"level":…,"msg":…,…fields}` or
/// `TS LEVEL tend: msg key=value…`.
pub fn format_record(
    format: LogFormat,
    unix_ms: i64,
    level: Level,
    msg: &str,
    fields: Vec<(String, Field)>,
) -> String {
    let ts = rfc3339_ms(unix_ms);
    let level = level.as_str().to_ascii_lowercase();
    match format {
        LogFormat::Json => {
            // Built by hand so the keys keep their order: ts, level, msg, then the fields.
            let mut line = format!("{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"msg\":");
            push_json_string(&mut line, msg);
            for (key, value) in fields {
                // The three keys above are the record's own; a field may not repeat them.
                if matches!(key.as_str(), "ts" | "level" | "msg") {
                    continue;
                }
                line.push(',');
                push_json_string(&mut line, &key);
                line.push(':');
                match value {
                    Field::Bare(bare) => line.push_str(&bare),
                    Field::Text(text) => push_json_string(&mut line, &text),
                }
            }
            line.push_str("}\n");
            line
        }
        LogFormat::Text => {
            let mut line = format!("{ts} {level:<5} tend: {}", msg.replace('\n', " "));
            for (key, value) in fields {
                match value {
                    Field::Bare(bare) => line.push_str(&format!(" {key}={bare}")),
                    Field::Text(text) => line.push_str(&format!(" {key}={text:?}")),
                }
            }
            line.push('\n');
            line
        }
    }
}

/// Append `text` as a JSON string (RFC 8259 §7): quote, backslash and
/// control characters escaped; everything else is UTF-8 as it is.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `2026-11-22T10:53:53.123Z` for milliseconds since the epoch (UTC).
fn rfc3339_ms(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
/// Howard Hinnant's algorithm: http://howardhinnant.github.io/date_algorithms.html
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_795_776_833_123, "2026-11-27T10:53:53.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ];
        for (ms, want) in cases {
            assert_eq!(rfc3339_ms(ms), want, "{ms}");
        }
    }

    fn fields(pairs: &[(&str, Field)]) -> Vec<(String, Field)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn json_records() {
        let line = format_record(
            LogFormat::Json,
            0,
            Level::Info,
            "forwarded \"signal\"\n",
            fields(&[
                ("pid", Field::Bare("7".into())),
                ("signal", Field::Text("SIGTERM".into())),
                ("msg", Field::Text("hijack".into())),
            ]),
        );
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line:?}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(parsed["ts"], "1970-01-01T00:00:00.000Z");
        assert_eq!(parsed["level"], "info");
        assert_eq!(parsed["msg"], "forwarded \"signal\"\n");
        assert_eq!(parsed["pid"], 7);
        assert_eq!(parsed["signal"], "SIGTERM");
        assert!(line.starts_with("{\"ts\":"), "ts comes first: {line}");
    }

    #[test]
    fn text_records() {
        let cases = [
            (
                Level::Warn,
                "Reaped zombie process with pid=5",
                vec![],
                "1970-01-01T00:00:00.000Z warn  tend: Reaped zombie process with pid=5\n",
            ),
            (
                Level::Error,
                "two\nlines",
                vec![
                    ("exit_code", Field::Bare("3".into())),
                    ("program", Field::Text("a b".into())),
                ],
                "1970-01-01T00:00:00.000Z error tend: two lines exit_code=3 program=\"a b\"\n",
            ),
        ];
        for (level, msg, pairs, want) in cases {
            assert_eq!(
                format_record(LogFormat::Text, 0, level, msg, fields(&pairs)),
                want
            );
        }
    }

    #[test]
    fn json_strings_round_trip_through_a_real_parser() {
        let cases = [
            "",
            "plain",
            "quote \" and \\ back",
            "tab\tnew\nline\r",
            "\u{0}\u{1}\u{1f}\u{7f}",
            "ünïcødé ✓ 🦀",
            "</script>",
        ];
        for text in cases {
            let mut out = String::new();
            push_json_string(&mut out, text);
            let parsed: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
            assert_eq!(parsed, text, "{out}");
        }
    }
}
