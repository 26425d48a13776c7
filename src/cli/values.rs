//! The kinds of value an option takes, each parsed once for a flag and its
//! variable alike. Pure. Every parser returns `Err(expected)`, the text that
//! follows "invalid value 'X' for NAME: ", so a flag and its variable fail
//! with the same words.

use std::time::Duration;

use crate::iter::IntoVec;
use crate::signals;

/// The longest DURATION: a day is far beyond any sane grace, timeout or
/// interval, and it keeps poll(2)'s millisecond timeout in range.
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

pub const EXPECTED_SWITCH: &str = "expected 1, true, yes, on, 0, false, no or off";
pub const EXPECTED_DURATION: &str =
    "expected a duration such as 500ms, 10s, 1m30s or 2h (or seconds: 1.5), at most 24h";
pub const EXPECTED_SIGNAL: &str =
    "expected a signal name or number such as SIGTERM, TERM, 15 or SIGRTMIN+3";

/// `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`, in any case.
pub fn switch(text: &str) -> Result<bool, &'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(EXPECTED_SWITCH),
    }
}

/// A Go or Kubernetes duration (`300ms`, `1m30s`, `2h45m`, `1.5h`; units ns,
/// us, µs, ms, s, m, h), or a bare number of seconds (`10`, `1.5`), as tini
/// users and shell scripts write it. Integers only, so no float code.
pub fn duration(text: &str) -> Result<Duration, &'static str> {
    parse_duration(text.trim()).ok_or(EXPECTED_DURATION)
}

fn parse_duration(text: &str) -> Option<Duration> {
    const NS: u64 = 1;
    const UNITS: [(&str, u64); 8] = [
        ("ns", NS),
        ("us", 1_000),
        ("µs", 1_000),
        ("μs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    let max = u64::try_from(MAX_DURATION.as_nanos()).ok()?;
    let number_end = |s: &str| {
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len())
    };
    // A bare number is seconds.
    if !text.is_empty() && number_end(text) == text.len() {
        return number(text, 1_000_000_000)
            .filter(|&ns| ns <= max)
            .map(Duration::from_nanos);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let end = number_end(rest);
        let (digits, after) = rest.split_at(end);
        // The longest unit that matches, so `ms` is not read as `m`.
        let (unit, scale) = UNITS
            .iter()
            .filter(|(u, _)| after.starts_with(u))
            .max_by_key(|(u, _)| u.len())?;
        total = total.checked_add(number(digits, *scale)?)?;
        rest = &after[unit.len()..];
    }
    (!text.is_empty() && total <= max).then(|| Duration::from_nanos(total))
}

/// `digits[.digits]` times `scale` nanoseconds; fractions below 1 ns are dropped.
fn number(text: &str, scale: u64) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut value = crate::number::u64_radix(whole, 10)?.checked_mul(scale)?;
    let mut step = scale;
    for digit in fraction.bytes() {
        step /= 10;
        value = value.checked_add(u64::from(digit - b'0') * step)?;
    }
    Some(value)
}

/// A signal name or number: `SIGTERM`, `term`, `15`, `SIGRTMIN+3`.
pub fn signal(text: &str) -> Result<i32, &'static str> {
    signals::parse(text.trim()).ok_or(EXPECTED_SIGNAL)
}

/// A standard signal, 1 to 31, for the calls that take no real-time one.
pub fn standard_signal(text: &str) -> Result<i32, &'static str> {
    signal(text)
        .ok()
        .filter(|n| *n < 32)
        .ok_or("expected a signal name or number from 1 to 31, such as SIGKILL, KILL or 9")
}

/// `TERM,INT`, `SIGQUIT, SIGTERM`: a non-empty list of signals.
pub fn signal_set(text: &str) -> Result<signals::Set, &'static str> {
    let mut list = Vec::new();
    for item in text.split(',') {
        list.push(
            signal(item)
                .map_err(|_| "expected signals separated by commas, such as TERM,INT or SIGQUIT")?,
        );
    }
    Ok(signals::Set::of(&list))
}

/// `FROM:TO`, each a signal name or number; TO may be 0, which drops FROM.
pub fn rewrite(text: &str) -> Result<(i32, i32), &'static str> {
    const EXPECTED: &str =
        "expected FROM:TO, two signal names or numbers (TO 0 drops FROM), such as TERM:QUIT";
    let (from, to) = text.split_once(':').ok_or(EXPECTED)?;
    let from = signal(from).map_err(|_| EXPECTED)?;
    let to = match to.trim() {
        "0" => 0,
        to => signal(to).map_err(|_| EXPECTED)?,
    };
    Ok((from, to))
}

/// An environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn env_name(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let mut bytes = text.bytes();
    let first = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    (first && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| text.to_string())
        .ok_or("expected a variable name: letters, digits and _, not starting with a digit")
}

/// An octal file mode creation mask: `0077`, `027`, `22`.
pub fn umask(text: &str) -> Result<u32, &'static str> {
    let text = text.trim();
    let digits = text.strip_prefix("0o").unwrap_or(text);
    crate::number::u32_radix(digits, 8)
        .filter(|m| *m <= 0o777 && !digits.is_empty() && digits.len() <= 4)
        .ok_or("expected an octal mask from 000 to 0777, such as 0077 or 022")
}

/// A path, not empty.
pub fn path(text: &str) -> Result<std::path::PathBuf, &'static str> {
    let text = text.trim();
    (!text.is_empty() && !text.contains('\0'))
        .then(|| text.into())
        .ok_or("expected a path")
}

/// `TEMPLATE:OUTPUT`, split at the first colon: two paths, not the same.
pub fn render_pair(text: &str) -> Result<(std::path::PathBuf, std::path::PathBuf), &'static str> {
    const EXPECTED: &str = "expected TEMPLATE:OUTPUT, two different paths";
    let (template, output) = text.split_once(':').ok_or(EXPECTED)?;
    // As paths, the same when std's Path equality says so: `t/x` and `t//x`.
    let different = !crate::text::same_path(template.trim(), output.trim());
    let (template, output) = (
        path(template).map_err(|_| EXPECTED)?,
        path(output).map_err(|_| EXPECTED)?,
    );
    different.then_some((template, output)).ok_or(EXPECTED)
}

/// An exit code, 0 to 255.
pub fn exit_code(text: &str) -> Result<u8, &'static str> {
    // Through u32's parser, which tend has anyway: the same answers as u8's.
    crate::number::u32(text.trim())
        .and_then(|n| u8::try_from(n).ok())
        .ok_or("expected an exit code from 0 to 255")
}

pub fn log_level(text: &str) -> Result<crate::logger::Level, &'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "off" => Ok(crate::logger::Level::Off),
        "error" => Ok(crate::logger::Level::Error),
        "warn" | "warning" => Ok(crate::logger::Level::Warn),
        "info" => Ok(crate::logger::Level::Info),
        "debug" => Ok(crate::logger::Level::Debug),
        "trace" => Ok(crate::logger::Level::Trace),
        _ => Err("expected off, error, warn, info, debug or trace"),
    }
}

/// tini's verbosity: 0 error, 1 warn, 2 info, 3 debug, 4 and more trace.
/// tini keeps it in an unsigned int, so a negative number is a huge one.
pub fn level_for_verbosity(n: i64) -> crate::logger::Level {
    match u32::try_from(n).unwrap_or(u32::MAX) {
        0 => crate::logger::Level::Error,
        1 => crate::logger::Level::Warn,
        2 => crate::logger::Level::Info,
        3 => crate::logger::Level::Debug,
        _ => crate::logger::Level::Trace,
    }
}

/// glibc's atoi(3), which is how tini reads TINI_VERBOSITY: leading blanks,
/// a sign, the digits that follow, as strtol(3) (saturating at 64 bits),
/// then cut to a C int; anything else, or nothing, is 0.
pub fn atoi(text: &str) -> i64 {
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    let long = match negative {
        true => magnitude.checked_neg().unwrap_or(i64::MIN),
        false => magnitude,
    };
    // The (int) cast of glibc's atoi keeps the low 32 bits.
    i64::from(long as i32)
}

/// Split a variable's list: on commas, on newlines, or on both; items are
/// trimmed and empty ones dropped.
pub fn split(text: &str, commas: bool, lines: bool) -> Vec<&str> {
    text.split(|c| (commas && c == ',') || (lines && c == '\n'))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .into_vec()
}

/// `TEND_PRE` and `TEND_ALSO`: one command a line. Blank lines are
/// skipped and a trailing CR goes (a file saved on Windows); nothing else
/// is trimmed, since the command's own blanks are its splitter's business
/// (`a\ ` ends in an escaped space).
pub fn command_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty())
        .into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = |n: u64| Some(Duration::from_millis(n));
        let cases = [
            ("500ms", ms(500)),
            ("2s", ms(2000)),
            ("1m", ms(60_000)),
            ("10", ms(10_000)),
            ("0", ms(0)),
            ("1.5s", ms(1500)),
            ("0.25", ms(250)),
            (" 3s ", ms(3000)),
            ("1h", ms(3_600_000)),
            ("1m30s", ms(90_000)),
            ("2h45m", ms(9_900_000)),
            ("1.5h", ms(5_400_000)),
            ("1h30m10.5s", ms(5_410_500)),
            ("250us", Some(Duration::from_micros(250))),
            ("250µs", Some(Duration::from_micros(250))),
            ("1500000ns", Some(Duration::from_micros(1500))),
            ("24h", ms(86_400_000)),
            ("86400", ms(86_400_000)),
            ("soon", None),
            ("", None),
            ("s", None),
            ("-1s", None),
            ("1e3", None),
            ("2 s", None),
            ("86401", None),
            ("24h1s", None),
            ("1d", None),
            ("1.2.3", None),
            (".5", None),
            ("5.", ms(5000)),
            ("1m30", None),
            ("1.0000005s", Some(Duration::from_nanos(1_000_000_500))),
            ("99999999999999999999", None),
            ("9999999999999h", None),
        ];
        for (text, want) in cases {
            assert_eq!(duration(text).ok(), want, "{text:?}");
        }
        assert_eq!(duration("soon"), Err(EXPECTED_DURATION));
    }

    #[test]
    fn entrypoint_values() {
        assert_eq!(env_name("DB_PASSWORD"), Ok("DB_PASSWORD".into()));
        assert_eq!(env_name(" _x1 "), Ok("_x1".into()));
        for bad in ["", "1X", "A-B", "A B", "Ä"] {
            assert!(env_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            (umask("0077"), umask("022"), umask("0o27"), umask("0")),
            (Ok(0o77), Ok(0o22), Ok(0o27), Ok(0))
        );
        for bad in ["8", "0778", "", "-1", "00777x", "07777"] {
            assert!(umask(bad).is_err(), "{bad}");
        }
        assert_eq!(
            render_pair("/t/nginx.conf.template:/etc/nginx/conf.d/default.conf"),
            Ok((
                "/t/nginx.conf.template".into(),
                "/etc/nginx/conf.d/default.conf".into()
            ))
        );
        // The same path however it is written, as std's Path equality says.
        for bad in ["/a", ":/b", "/a:", "/a:/a", "/t/a:/t//a/", "t/a: t/./a"] {
            assert!(render_pair(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn switches() {
        for on in ["1", "true", "YES", "On"] {
            assert_eq!(switch(on), Ok(true), "{on}");
        }
        for off in ["0", "false", "no", "OFF"] {
            assert_eq!(switch(off), Ok(false), "{off}");
        }
        // The field report: the error listed two of the eight accepted values.
        let expected = switch("2").err().unwrap_or_default();
        for word in ["1", "true", "yes", "on", "0", "false", "no", "off"] {
            assert!(expected.contains(word), "{expected} lacks {word}");
        }
    }

    #[test]
    fn atoi_reads_as_tini_does() {
        let cases = [
            ("3", 3),
            (" 2", 2),
            ("+4", 4),
            ("-1", -1),
            ("3x", 3),
            ("abc", 0),
            ("", 0),
            ("  ", 0),
            // strtol saturates, and the int cast keeps the low 32 bits, as in glibc.
            ("99999999999999999999999", -1),
            ("4294967296", 0),
            ("4294967298", 2),
            ("-4294967294", 2),
        ];
        for (text, want) in cases {
            assert_eq!(atoi(text), want, "{text:?}");
        }
        let level = |text: &str| level_for_verbosity(atoi(text));
        assert_eq!(level("abc"), crate::logger::Level::Error);
        assert_eq!(level("7"), crate::logger::Level::Trace);
        // tini's unsigned int: -1 is everything.
        assert_eq!(level("-1"), crate::logger::Level::Trace);
        assert_eq!(level("4294967296"), crate::logger::Level::Error);
    }

    #[test]
    fn signals_and_lists() {
        assert_eq!(signal(" term "), Ok(15));
        assert_eq!(signal("RTMIN+2"), Ok(36));
        assert_eq!(signal("FOO"), Err(EXPECTED_SIGNAL));
        let set = signal_set("QUIT, SIGTERM").unwrap_or_default();
        assert!(set.contains(3) && set.contains(15) && !set.contains(2));
        assert!(signal_set("TERM,").is_err());
        assert_eq!(rewrite("TERM:QUIT"), Ok((15, 3)));
        assert_eq!(rewrite("10:0"), Ok((10, 0)));
        assert_eq!(rewrite("SIGRTMIN+1:RTMAX"), Ok((35, 64)));
        for bad in ["15", "15::12", "0:1", "1:32", "herp:derp", ":1", "1:"] {
            assert!(rewrite(bad).is_err(), "{bad}");
        }
        assert_eq!(split(" a, b ,,c\nd ", true, false), ["a", "b", "c\nd"]);
        assert_eq!(split("a,b\n\n c \n", false, true), ["a,b", "c"]);
        assert_eq!(split("a,b\nc", true, true), ["a", "b", "c"]);
    }

    #[test]
    fn command_lines_skip_blank_lines_and_keep_each_commands_blanks() {
        let cases: [(&str, &[&str]); 6] = [
            ("", &[]),
            ("a b", &["a b"]),
            (
                "migrate\n\n  \t\nserve --port 80\n",
                &["migrate", "serve --port 80"],
            ),
            ("a\r\nb 'c, d'\r\n", &["a", "b 'c, d'"]),
            (" a\\ \n", &[" a\\ "]),
            ("\r\n\r\n", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(command_lines(text), want, "{text:?}");
        }
    }
}
