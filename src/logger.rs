//! tend's logger: one record per line on stderr, as JSON or as text.
//!
//! stdout belongs to the child. The invariant: logging never blocks, never
//! stops and never slows the supervisor, whatever reads stderr. A record is
//! at most `LINE_LIMIT` bytes (PIPE_BUF), written with one non-blocking
//! write(2), so on a pipe it is atomic and never interleaves with the
//! child's output. A record that stderr cannot take now is dropped and
//! counted, and the count is logged as soon as stderr takes lines again.
//! A failing stderr (EPIPE, closed) ends logging, never tend.
//!
//! Not the `log` crate: its macros build a `Record` and one `Value` per
//! field at every call site, and tend has 70 of them. Here a call site asks
//! `enabled`, fills an array of `Field`s and calls the one non-generic
//! `event`: 9,088 B less in the small build (issue 21), and 1,696 B more
//! without the facade itself, which only tend's own code would log through.
use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::MsgFlags;
use nix::sys::stat::{Mode, SFlag, fstat};

use crate::cli::LogFormat;

/// The most one record may take, newline included: PIPE_BUF, the size up to
/// which the kernel writes to a pipe all at once or not at all. Docker's
/// json-file driver splits lines at 16 KiB, so a record also stays whole there.
pub const LINE_LIMIT: usize = 4096;
/// The most the message of a record may take, escaped.
const MSG_LIMIT: usize = 2048;
/// The most one field's value may take, escaped.
const FIELD_LIMIT: usize = 1024;

/// A record's severity, and as a setting (`--log-level`, `-v`) the least
/// severe one that is written: a record is written when its level is at
/// most the setting. `Off` is only a setting; no record has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    /// The name a record shows: `error`, `warn`, `info`, `debug`, `trace`.
    fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// The setting, as a `Level`'s number: `Off` until `init`, so nothing is
/// logged before the logger exists.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Off as u8);

/// Whether a record at `level` would be written. The macros ask first, so
/// that a record that is not wanted costs one load and builds nothing.
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

struct Logger {
    format: LogFormat,
    sink: Sink,
    state: Mutex<State>,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Install the logger. Only the first call in a process takes effect.
/// Without a `format`, text when stderr is a terminal, where a person reads
/// it, and JSON for a pipe or a file, where a collector does (issue 20 #7).
pub fn init(format: Option<LogFormat>, level: Level) {
    LOGGER.get_or_init(|| Logger {
        format: LogFormat::for_fd(format, crate::sys::stderr()),
        sink: Sink::open(),
        state: Mutex::new(State::default()),
    });
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// One last try, before tend exits, to write what stderr did not take in
/// time: the end of a partial record, and how many records were dropped.
/// Never waits either.
pub fn flush() {
    if let Some(logger) = LOGGER.get() {
        logger.emit(None);
    }
}

/// Write one record: the one function every call site calls (through the
/// macros below, which ask `enabled` first). `keys` are the fields' names,
/// each followed by one space, in the order of `values`.
///
/// Not generic, and never inlined: a call site only fills an array of
/// `Field`s and calls this. The `log` crate's macros build a `Record` and a
/// `Value` per field at every call site, which cost about 250 bytes a call
/// site in tend's 70 (issue 21).
#[inline(never)]
pub fn event(level: Level, msg: fmt::Arguments, keys: &str, values: &[Field]) {
    let Some(logger) = LOGGER.get() else {
        return;
    };
    let msg = match msg.as_str() {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => std::borrow::Cow::Owned(msg.to_string()),
    };
    let line = format_record(logger.format, now_ms(), level, &msg, keys, values);
    logger.emit(Some(line.as_bytes()));
}

/// A record, written if its level is enabled: `info!("text")`,
/// `info!(pid = pid, name = name; "child {what}")`. The fields' values are
/// anything `ToField` takes; a `None` leaves its field out.
macro_rules! log {
    ($level:expr, $($key:ident = $value:expr),+; $($msg:tt)+) => {{
        let level = $level;
        if $crate::logger::enabled(level) {
            $crate::logger::event(
                level,
                format_args!($($msg)+),
                concat!($(stringify!($key), " "),+),
                &[$($crate::logger::ToField::field(&$value)),+],
            );
        }
    }};
    ($level:expr, $($msg:tt)+) => {{
        let level = $level;
        if $crate::logger::enabled(level) {
            $crate::logger::event(level, format_args!($($msg)+), "", &[]);
        }
    }};
}

macro_rules! error {
    ($($arg:tt)+) => { $crate::logger::log!($crate::logger::Level::Error, $($arg)+) };
}
// Named apart and renamed on export: a macro_rules `warn` cannot be
// re-exported under that name, which is also a built-in attribute's.
macro_rules! log_warn {
    ($($arg:tt)+) => { $crate::logger::log!($crate::logger::Level::Warn, $($arg)+) };
}
macro_rules! info {
    ($($arg:tt)+) => { $crate::logger::log!($crate::logger::Level::Info, $($arg)+) };
}
macro_rules! debug {
    ($($arg:tt)+) => { $crate::logger::log!($crate::logger::Level::Debug, $($arg)+) };
}
pub(crate) use {debug, error, info, log, log_warn as warn};

impl Logger {
    fn emit(&self, line: Option<&[u8]>) {
        // A poisoned lock means a panic elsewhere, and tend aborts on panic; logging just stops.
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let format = self.format;
        let notice = |dropped: u64| {
            format_record(
                format,
                now_ms(),
                Level::Warn,
                "dropped log records: stderr was not taking them",
                "dropped ",
                &[Field::U64(dropped)],
            )
        };
        state.emit(line, &notice, &mut |bytes| self.sink.write(bytes));
    }
}

/// What one attempt to write gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrote {
    /// This many bytes, perhaps fewer than offered.
    Bytes(usize),
    /// Nothing: stderr cannot take more now.
    Full,
    /// Nothing, ever again: stderr is closed or broken.
    Broken,
}

/// How much of a record an attempt got out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    Whole,
    /// Some of it; the rest is pending.
    Part,
    Refused,
}

/// The logger's memory between records. Pure: the sink is passed in.
#[derive(Debug, Default)]
struct State {
    /// The unwritten end of a record that went out in part (a terminal or a
    /// socket may take less than offered). It goes first, so records never mix.
    pending: Vec<u8>,
    /// Records dropped since the last one that was written.
    dropped: u64,
    broken: bool,
}

impl State {
    /// Write `line` (None: only what is owed) without waiting: first the end
    /// of a partial record, then the count of dropped records, then `line`.
    /// A record that cannot go out now is dropped and counted.
    fn emit(
        &mut self,
        line: Option<&[u8]>,
        notice: &dyn Fn(u64) -> String,
        write: &mut dyn FnMut(&[u8]) -> Wrote,
    ) {
        if self.broken {
            return;
        }
        let count = u64::from(line.is_some());
        if !self.pending.is_empty() {
            match write(&self.pending) {
                Wrote::Bytes(n) => drop(self.pending.drain(..n.min(self.pending.len()))),
                Wrote::Full => {}
                Wrote::Broken => self.broken = true,
            }
            if !self.pending.is_empty() {
                self.dropped += count;
                return;
            }
        }
        if self.dropped > 0 {
            match self.offer(notice(self.dropped).as_bytes(), write) {
                Offer::Whole => self.dropped = 0,
                Offer::Part => {
                    self.dropped = count;
                    return;
                }
                Offer::Refused => {
                    self.dropped += count;
                    return;
                }
            }
        }
        if let Some(line) = line
            && self.offer(line, write) == Offer::Refused
        {
            self.dropped += 1;
        }
    }

    /// Offer a whole record; the end of one taken in part becomes pending.
    fn offer(&mut self, record: &[u8], write: &mut dyn FnMut(&[u8]) -> Wrote) -> Offer {
        match write(record) {
            Wrote::Bytes(n) if n >= record.len() => Offer::Whole,
            Wrote::Bytes(n) if n > 0 => {
                self.pending = record.get(n..).unwrap_or_default().to_vec();
                Offer::Part
            }
            Wrote::Bytes(_) | Wrote::Full => Offer::Refused,
            Wrote::Broken => {
                self.broken = true;
                Offer::Refused
            }
        }
    }
}

/// How records reach stderr without waiting, decided once from what fd 2 is.
enum Sink {
    /// A second open file description of the pipe or terminal on fd 2, with
    /// O_NONBLOCK. Setting O_NONBLOCK on fd 2 itself would change the
    /// child's stderr too: the two share one open file description.
    Reopened(OwnedFd),
    /// A socket: send(2) with MSG_DONTWAIT waits for nothing and changes nothing.
    Socket,
    /// A pipe or terminal that could not be reopened (no /proc): poll(2)
    /// for room first. Best effort: the child can still fill it in between.
    Polled,
    /// A regular file, or a device that does not wait for a reader.
    Direct,
    /// fd 2 is closed.
    Closed,
}

impl Sink {
    fn open() -> Sink {
        let stderr = crate::sys::stderr();
        let Ok(stat) = fstat(stderr) else {
            return Sink::Closed;
        };
        let kind = SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits());
        let waits = kind == SFlag::S_IFIFO
            || (kind == SFlag::S_IFCHR && nix::unistd::isatty(stderr).unwrap_or(false));
        if kind == SFlag::S_IFSOCK {
            return Sink::Socket;
        }
        if !waits {
            return Sink::Direct;
        }
        // O_NOCTTY: tend is often a session leader, and must not make stderr's terminal its own.
        let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        match nix::fcntl::open("/proc/self/fd/2", flags, Mode::empty()) {
            Ok(fd) => Sink::Reopened(fd),
            Err(_) => Sink::Polled,
        }
    }

    fn write(&self, bytes: &[u8]) -> Wrote {
        let fd2 = crate::sys::stderr();
        let result = match self {
            Sink::Reopened(fd) => nix::unistd::write(fd, bytes),
            Sink::Socket => nix::sys::socket::send(
                fd2.as_raw_fd(),
                bytes,
                MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
            ),
            Sink::Polled => {
                let mut fds = [PollFd::new(fd2, PollFlags::POLLOUT)];
                match poll(&mut fds, PollTimeout::ZERO) {
                    Ok(n) if n > 0 => nix::unistd::write(fd2, bytes),
                    _ => return Wrote::Full,
                }
            }
            Sink::Direct => nix::unistd::write(fd2, bytes),
            Sink::Closed => return Wrote::Broken,
        };
        match result {
            Ok(n) => Wrote::Bytes(n),
            // A closed reader or descriptor does not come back; every other
            // failure (EAGAIN, ENOSPC, …) may pass, so only this record is lost.
            Err(Errno::EPIPE | Errno::EBADF | Errno::EIO) => Wrote::Broken,
            Err(_) => Wrote::Full,
        }
    }
}
/// A field's value: numbers and booleans stay bare in JSON, text is quoted,
/// and a field that is `None` is left out: `name = child.name()` names a
/// child only when there are several (issue 19), and a run of one logs
/// exactly what it always has.
#[derive(Clone, Copy)]
pub enum Field<'a> {
    None,
    U64(u64),
    I64(i64),
    Bool(bool),
    Str(&'a str),
    /// Text written when the record is: a signal's name, a path.
    Display(&'a dyn fmt::Display),
}

/// What a field's value may be: the kinds tend logs. Floats are not among
/// them, so Rust's float printing (about 7 KB) is never linked.
pub trait ToField {
    fn field(&self) -> Field<'_>;
}

impl ToField for u64 {
    fn field(&self) -> Field<'_> {
        Field::U64(*self)
    }
}

impl ToField for u8 {
    fn field(&self) -> Field<'_> {
        Field::U64(u64::from(*self))
    }
}

impl ToField for u32 {
    fn field(&self) -> Field<'_> {
        Field::U64(u64::from(*self))
    }
}

impl ToField for usize {
    fn field(&self) -> Field<'_> {
        Field::U64(*self as u64)
    }
}

impl ToField for i32 {
    fn field(&self) -> Field<'_> {
        Field::I64(i64::from(*self))
    }
}

impl ToField for i64 {
    fn field(&self) -> Field<'_> {
        Field::I64(*self)
    }
}

impl ToField for bool {
    fn field(&self) -> Field<'_> {
        Field::Bool(*self)
    }
}

impl ToField for str {
    fn field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl ToField for String {
    fn field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl ToField for std::borrow::Cow<'_, str> {
    fn field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl ToField for crate::signals::Name {
    fn field(&self) -> Field<'_> {
        Field::Display(self)
    }
}

impl ToField for std::path::Display<'_> {
    fn field(&self) -> Field<'_> {
        Field::Display(self)
    }
}

impl<T: ToField + ?Sized> ToField for &T {
    fn field(&self) -> Field<'_> {
        (**self).field()
    }
}

impl<T: ToField> ToField for Option<T> {
    fn field(&self) -> Field<'_> {
        match self {
            Some(value) => value.field(),
            None => Field::None,
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One line, newline included, of at most `LINE_LIMIT` bytes:
/// `{"ts":…,"level":…,"logger":"tend","msg":…,…fields}` or
/// `TS LEVEL tend: msg key=value…`. `keys` names the fields, each followed
/// by one space, in the order of `values`; a `Field::None` is left out. The message and each field are cut to
/// their own limits, and fields that no longer fit are left out, with
/// `"truncated":true` (text: `truncated=true`) saying so. Control characters
/// are escaped in both formats, so one record is always one line.
pub fn format_record(
    format: LogFormat,
    unix_ms: i64,
    level: Level,
    msg: &str,
    keys: &str,
    values: &[Field],
) -> String {
    let ts = rfc3339_ms(unix_ms);
    let level = level.name();
    let (mut line, escape): (String, fn(&mut String, char)) = match format {
        // Built by hand so the keys keep their order: ts, level, logger, msg, then the fields.
        LogFormat::Json => (
            format!("{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"logger\":\"tend\",\"msg\":"),
            push_json_char,
        ),
        LogFormat::Text => (format!("{ts} {level:<5} tend: "), push_text_char),
    };
    let quoted = |out: &mut String, text: &str, limit: usize| match format {
        LogFormat::Json => {
            out.push('"');
            push_bounded(out, text, limit, escape);
            out.push('"');
        }
        LogFormat::Text => {
            out.push('"');
            push_bounded(out, text, limit, push_quoted_char);
            out.push('"');
        }
    };
    match format {
        LogFormat::Json => quoted(&mut line, msg, MSG_LIMIT),
        LogFormat::Text => push_bounded(&mut line, msg, MSG_LIMIT, escape),
    }
    // Room for the end: `,"truncated":true}` and the newline.
    let reserve = 20;
    let mut item = String::new();
    for (key, value) in keys.split(' ').zip(values) {
        // The record's own keys; a field may not repeat them.
        if matches!(key, "ts" | "level" | "logger" | "msg") || matches!(value, Field::None) {
            continue;
        }
        item.clear();
        match format {
            LogFormat::Json => {
                item.push(',');
                quoted(&mut item, key, FIELD_LIMIT);
                item.push(':');
            }
            LogFormat::Text => {
                item.push(' ');
                push_bounded(&mut item, key, FIELD_LIMIT, escape);
                item.push('=');
            }
        }
        match *value {
            Field::None => {}
            Field::U64(n) => push_bounded(&mut item, &n.to_string(), FIELD_LIMIT, escape),
            Field::I64(n) => push_bounded(&mut item, &n.to_string(), FIELD_LIMIT, escape),
            Field::Bool(b) => item.push_str(if b { "true" } else { "false" }),
            Field::Str(text) => quoted(&mut item, text, FIELD_LIMIT),
            Field::Display(text) => quoted(&mut item, &text.to_string(), FIELD_LIMIT),
        }
        if line.len() + item.len() + reserve > LINE_LIMIT {
            line.push_str(match format {
                LogFormat::Json => ",\"truncated\":true",
                LogFormat::Text => " truncated=true",
            });
            break;
        }
        line.push_str(&item);
    }
    if format == LogFormat::Json {
        line.push('}');
    }
    line.push('\n');
    line
}

/// Append `text`, each character through `escape`, and stop before the
/// escaped text passes `limit` bytes, saying how much was left out.
fn push_bounded(out: &mut String, text: &str, limit: usize, escape: fn(&mut String, char)) {
    let start = out.len();
    for (at, c) in text.char_indices() {
        let before = out.len();
        escape(out, c);
        if out.len() - start > limit {
            out.truncate(before);
            let note = format!("… [{} more bytes]", text.len() - at);
            note.chars().for_each(|c| escape(out, c));
            return;
        }
    }
}

/// `text` as a JSON string, quotes included, escaped as records are: for
/// `--dry-run`'s report, which writes its JSON by hand too.
pub fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    text.chars().for_each(|c| push_json_char(out, c));
    out.push('"');
}

/// `text` as a text record shows a value: its control characters escaped,
/// and quoted (`"a b"`) when `quote` is set.
pub fn push_text_str(out: &mut String, text: &str, quote: bool) {
    match quote {
        true => {
            out.push('"');
            text.chars().for_each(|c| push_quoted_char(out, c));
            out.push('"');
        }
        false => text.chars().for_each(|c| push_text_char(out, c)),
    }
}

/// A character of a JSON string (RFC 8259 §7): quote, backslash and
/// control characters escaped; everything else is UTF-8 as it is.
fn push_json_char(out: &mut String, c: char) {
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

/// A character of a text record: control characters (ESC, BEL, CR, DEL, the
/// C1 set…) are escaped, so a program name cannot drive the terminal.
fn push_text_char(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// A character inside a quoted text value: as in a text record, plus the quote and backslash.
fn push_quoted_char(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        c => push_text_char(out, c),
    }
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

/// For the tests' assertions: a `Display` field by its text.
#[cfg(test)]
impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::None => f.write_str("None"),
            Field::U64(n) => write!(f, "U64({n})"),
            Field::I64(n) => write!(f, "I64({n})"),
            Field::Bool(b) => write!(f, "Bool({b})"),
            Field::Str(text) => write!(f, "Str({text:?})"),
            Field::Display(text) => write!(f, "Display({:?})", text.to_string()),
        }
    }
}

#[cfg(test)]
impl PartialEq for Field<'_> {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
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

    /// A record as a call site makes it: the keys, each followed by a space, and the values.
    fn record(format: LogFormat, level: Level, msg: &str, pairs: &[(&str, Field)]) -> String {
        let keys: String = pairs.iter().map(|(k, _)| format!("{k} ")).collect();
        let values: Vec<Field> = pairs.iter().map(|(_, v)| *v).collect();
        format_record(format, 0, level, msg, &keys, &values)
    }

    #[test]
    fn json_records() {
        let line = record(
            LogFormat::Json,
            Level::Info,
            "forwarded \"signal\"\n",
            &[
                ("pid", Field::I64(7)),
                ("signal", Field::Str("SIGTERM")),
                ("msg", Field::Str("hijack")),
            ],
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

    /// Fields as the code writes them: `name = child.name()`.
    type Pairs<'a> = &'a [(&'a str, Option<&'a str>)];

    #[test]
    fn a_none_field_is_left_out() {
        let cases: [(Pairs, &str); 4] = [
            (
                &[("name", None)],
                r#"{"ts":"1970-01-01T00:00:00.000Z","level":"info","logger":"tend","msg":"child started"}"#,
            ),
            (
                &[("name", Some("web"))],
                r#"{"ts":"1970-01-01T00:00:00.000Z","level":"info","logger":"tend","msg":"child started","name":"web"}"#,
            ),
            (
                &[("a", None), ("name", Some("")), ("b", None)],
                r#"{"ts":"1970-01-01T00:00:00.000Z","level":"info","logger":"tend","msg":"child started","name":""}"#,
            ),
            (
                &[],
                r#"{"ts":"1970-01-01T00:00:00.000Z","level":"info","logger":"tend","msg":"child started"}"#,
            ),
        ];
        for (pairs, want) in cases {
            let pairs: Vec<(&str, Field)> = pairs.iter().map(|(k, v)| (*k, v.field())).collect();
            let line = record(LogFormat::Json, Level::Info, "child started", &pairs);
            assert_eq!(line, format!("{want}\n"), "{pairs:?}");
        }
        let text = record(LogFormat::Text, Level::Info, "m", &[("name", Field::None)]);
        assert_eq!(text, "1970-01-01T00:00:00.000Z info  tend: m\n");
    }

    #[test]
    fn field_values_by_kind() {
        assert_eq!((-3i32).field(), Field::I64(-3));
        assert_eq!(u64::MAX.field(), Field::U64(u64::MAX));
        assert_eq!(7u32.field(), Field::U64(7));
        assert_eq!(false.field(), Field::Bool(false));
        assert_eq!("a \"b\"".field(), Field::Str("a \"b\""));
        assert_eq!(String::from("SIGTERM").field(), Field::Str("SIGTERM"));
        assert_eq!(Some(5usize).field(), Field::U64(5));
        assert_eq!(None::<u32>.field(), Field::None);
        let term = crate::signals::name(15);
        assert_eq!(term.field(), Field::Display(&"SIGTERM"));
        let path = std::path::Path::new("/a b/\u{1b}");
        assert_eq!(path.display().field(), Field::Display(&"/a b/\u{1b}"));
        // Numbers and booleans are bare, text is quoted, in both formats.
        let pairs = [
            ("i", (-3i32).field()),
            ("u", u64::MAX.field()),
            ("b", false.field()),
            ("s", "x".field()),
            ("d", term.field()),
        ];
        assert_eq!(
            record(LogFormat::Json, Level::Info, "m", &pairs),
            "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"info\",\"logger\":\"tend\",\"msg\":\"m\",\"i\":-3,\"u\":18446744073709551615,\"b\":false,\"s\":\"x\",\"d\":\"SIGTERM\"}\n"
        );
        assert_eq!(
            record(LogFormat::Text, Level::Info, "m", &pairs),
            "1970-01-01T00:00:00.000Z info  tend: m i=-3 u=18446744073709551615 b=false s=\"x\" d=\"SIGTERM\"\n"
        );
    }

    /// A record that is not wanted builds nothing: the macros ask the level
    /// before they evaluate a field. No unit test calls `init`, so the
    /// setting is `Off` here, as it is in tend before the logger exists.
    #[test]
    fn the_macros_ask_the_level_before_building_anything() {
        let mut evaluated = false;
        error!(k = { evaluated = true; 1u32 }; "m");
        assert!(!enabled(Level::Error));
        assert!(
            !evaluated,
            "a field was built for a record that is not written"
        );
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
                    ("exit_code", Field::I64(3)),
                    ("program", Field::Str("a \"b\"")),
                ],
                "1970-01-01T00:00:00.000Z error tend: two\\nlines exit_code=3 program=\"a \\\"b\\\"\"\n",
            ),
            (
                Level::Info,
                "cannot run '\u{1b}[31mred\u{7}\r'",
                vec![("program", Field::Str("\u{1b}]0;title\u{7}\u{9b}"))],
                "1970-01-01T00:00:00.000Z info  tend: cannot run '\\u{1b}[31mred\\u{7}\\r' program=\"\\u{1b}]0;title\\u{7}\\u{9b}\"\n",
            ),
        ];
        for (level, msg, pairs, want) in cases {
            let line = record(LogFormat::Text, level, msg, &pairs);
            assert_eq!(line, want);
            assert!(
                !line.trim_end_matches('\n').chars().any(char::is_control),
                "{line:?}"
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
            let line = record(
                LogFormat::Json,
                Level::Info,
                text,
                &[("value", Field::Str(text))],
            );
            let parsed: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed["msg"], text, "{line}");
            assert_eq!(parsed["value"], text, "{line}");
            assert_eq!(parsed["logger"], "tend", "{line}");
        }
    }

    #[test]
    fn every_record_fits_one_atomic_pipe_write_whatever_went_in() {
        // The field report: 70,000 gids in one message made a 490,130-byte line.
        let gids: Vec<String> = (0..70_000).map(|g| g.to_string()).collect();
        let huge = format!("setgroups([{}]) failed", gids.join(", "));
        let keys: Vec<String> = (0..200).map(|i| format!("field{i}")).collect();
        let long = "x".repeat(300);
        let many_fields: Vec<(&str, Field)> = keys
            .iter()
            .map(|k| (k.as_str(), Field::Str(&long)))
            .collect();
        let controls = "\u{1}".repeat(10_000);
        let crabs = "🦀".repeat(5000);
        for format in [LogFormat::Json, LogFormat::Text] {
            let cases = [
                (huge.as_str(), vec![]),
                ("short", many_fields.clone()),
                (controls.as_str(), vec![("v", Field::Str(&controls))]),
                ("wide ✓", vec![("v", Field::Str(&crabs))]),
            ];
            for (msg, pairs) in cases {
                let line = record(format, Level::Error, msg, &pairs);
                assert!(line.len() <= LINE_LIMIT, "{format:?}: {} bytes", line.len());
                assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
                if format == LogFormat::Json {
                    let parsed: serde_json::Value =
                        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
                    let msg_out = parsed["msg"].as_str().unwrap_or_default();
                    assert!(msg_out.len() <= MSG_LIMIT + 32, "{}", msg_out.len());
                }
            }
            let cut = record(format, Level::Error, &huge, &[]);
            assert!(cut.contains("more bytes]"), "{cut}");
            let dropped = record(format, Level::Info, "m", &many_fields);
            assert!(dropped.contains("truncated"), "{dropped}");
        }
    }

    /// A stderr that takes `room` bytes in all, then says full; or is broken.
    struct FakeSink {
        room: usize,
        broken: bool,
        got: Vec<u8>,
    }

    impl FakeSink {
        fn write(&mut self, bytes: &[u8]) -> Wrote {
            if self.broken {
                return Wrote::Broken;
            }
            if self.room == 0 {
                return Wrote::Full;
            }
            let n = bytes.len().min(self.room);
            self.room -= n;
            self.got.extend_from_slice(&bytes[..n]);
            Wrote::Bytes(n)
        }
    }

    fn notice(dropped: u64) -> String {
        format!("dropped {dropped}\n")
    }

    #[test]
    fn a_full_stderr_drops_records_counts_them_and_says_so_later() {
        let mut state = State::default();
        let mut sink = FakeSink {
            room: 6,
            broken: false,
            got: Vec::new(),
        };
        let emit = |state: &mut State, sink: &mut FakeSink, line: Option<&str>| {
            state.emit(line.map(str::as_bytes), &notice, &mut |b| sink.write(b))
        };
        emit(&mut state, &mut sink, Some("one\n")); // fits
        emit(&mut state, &mut sink, Some("two\n")); // two bytes taken: "tw" out, "o\n" pending
        emit(&mut state, &mut sink, Some("three\n")); // pending cannot go: dropped
        emit(&mut state, &mut sink, Some("four\n")); // dropped
        assert_eq!(sink.got, b"one\ntw");
        assert_eq!((state.dropped, state.pending.as_slice()), (2, &b"o\n"[..]));

        sink.room = 100; // the reader drains the pipe
        emit(&mut state, &mut sink, Some("five\n"));
        assert_eq!(
            String::from_utf8_lossy(&sink.got),
            "one\ntwo\ndropped 2\nfive\n",
            "records never mix, and the count comes before the next record"
        );
        assert_eq!(state.dropped, 0);

        // flush() owes nothing now, and says nothing.
        emit(&mut state, &mut sink, None);
        assert_eq!(
            String::from_utf8_lossy(&sink.got),
            "one\ntwo\ndropped 2\nfive\n"
        );

        // A flush at exit still reports what was dropped.
        sink.room = 0;
        emit(&mut state, &mut sink, Some("six\n"));
        sink.room = 100;
        emit(&mut state, &mut sink, None);
        assert!(String::from_utf8_lossy(&sink.got).ends_with("five\ndropped 1\n"));

        // A broken stderr ends logging for good.
        sink.broken = true;
        emit(&mut state, &mut sink, Some("seven\n"));
        sink.broken = false;
        emit(&mut state, &mut sink, Some("eight\n"));
        assert!(state.broken);
        assert!(String::from_utf8_lossy(&sink.got).ends_with("dropped 1\n"));
    }
}
