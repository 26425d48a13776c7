//! Shell parameter expansion over bytes: `--expand` for PROGRAM and each ARG,
//! `--render` for template files. Pure: the environment comes in as a lookup.
//!
//! Forms, with their POSIX meaning (the colon forms treat set-but-empty as
//! unset): `$NAME`, `${NAME}`, `${NAME-word}`, `${NAME:-word}`,
//! `${NAME+word}`, `${NAME:+word}`, `${NAME?message}`, `${NAME:?message}`.
//! `$$` is a literal `$`; `$@NAME` and `$@{…}` as a whole argument split the
//! value into arguments. A template expands only `${…}`, keeps `$name`, `$1`,
//! `$$` and `$(…)` as they are, and reads `$${` as a literal `${`. This is not
//! a shell: no command substitution, arithmetic, globbing, tilde or quotes.
//!
//! Invariant: one pass that reads each input byte once, with nesting bounded
//! by `MAX_DEPTH`, so time, memory and stack stay linear in the input; the
//! output is input bytes, each copied at most once, plus the values looked
//! up, and a template's output never passes its cap (a few `${BIG}` must not
//! exhaust memory: issue 18); and an error quotes only names, forms,
//! positions and the user's own `?message`, never a value (values may be
//! secrets), on one bounded line.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStringExt;

use crate::iter::IntoVec;

/// The environment, as the expansion sees it: `None` is unset. The same shape
/// as `cli::Env`, so main can hand over the one it already has.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// `${` inside `${` this deep is an error, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;
/// The most bytes of input an error quotes, so that it stays one short line.
const QUOTE_LIMIT: usize = 64;
/// A `?message` is the user's own text, so it may be longer than a quote.
const MESSAGE_LIMIT: usize = 256;

const BRACED_FORMS: &str = "${NAME}, ${NAME-word}, ${NAME:-word}, ${NAME+word}, \
                            ${NAME:+word}, ${NAME?message} and ${NAME:?message}";

/// Why an expansion failed. The strings are already quoted for display:
/// escaped to one line and cut to a bounded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `$NAME`, or `${NAME}` when `braced`: NAME is unset and no default was given.
    Unset { name: String, braced: bool },
    /// `${NAME?message}`, or `${NAME:?message}` when `colon`: NAME is unset
    /// (`unset`) or, with the colon, empty. `message` is the user's text, not expanded.
    Required {
        name: String,
        colon: bool,
        unset: bool,
        message: String,
    },
    /// A `${…}` that is none of the supported forms: `${#NAME}`, `${NAME=word}`, `${1}`, `${}`.
    Unsupported { found: String },
    /// A `${` without its `}`; `found` is how it starts.
    Unclosed { found: String },
    /// `$(…)`: command substitution, which needs a shell.
    Command,
    /// `$((…))`: arithmetic expansion, which needs a shell.
    Arithmetic,
    /// `$@NAME` or `$@{…}` with more text after it: splitting takes the whole argument.
    SplitNotWhole { found: String },
    /// `${` nested more than `MAX_DEPTH` deep.
    TooDeep,
    /// A template's output would pass `limit` bytes.
    TooLarge { limit: usize },
}

/// A 1-based line and column (in characters of UTF-8, bytes otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// An expansion that failed. Its Display is one line, e.g.
/// `$DB_HOST is not set (no default given)` or
/// `line 3, column 14: ${#NAME} is not supported: tend expands ${NAME}, …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// Where the `$` that failed is, in a template; `None` in an argument,
    /// which the caller names itself.
    pub at: Option<Position>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let template = self.at.is_some();
        if let Some(Position { line, column }) = self.at {
            write!(f, "line {line}, column {column}: ")?;
        }
        // Templates keep `$name` as it is, so they need the escape more than arguments.
        let literal = if template {
            " ($${ writes a literal ${)"
        } else {
            ""
        };
        match &self.kind {
            Kind::Unset { name, braced } => {
                let (open, close) = if *braced { ("${", "}") } else { ("$", "") };
                let hint = if template {
                    "; $${ writes a literal ${"
                } else {
                    ""
                };
                write!(f, "{open}{name}{close} is not set (no default given{hint})")
            }
            Kind::Required {
                name,
                colon,
                unset,
                message,
            } => {
                let colon = if *colon { ":" } else { "" };
                write!(f, "${{{name}{colon}?}}: ")?;
                match (message.is_empty(), unset) {
                    (false, _) => f.write_str(message),
                    (true, true) => write!(f, "{name} must be set"),
                    (true, false) => write!(f, "{name} must not be empty"),
                }
            }
            Kind::Unsupported { found } => {
                let bare = if template { "" } else { "$NAME, " };
                write!(
                    f,
                    "{found} is not supported: tend expands {bare}{BRACED_FORMS}{literal}"
                )
            }
            Kind::Unclosed { found } => write!(f, "{found} has no closing }}{literal}"),
            Kind::Command => f.write_str(
                "$(…) is command substitution, which tend does not do: it runs no shell \
                 ($$( writes a literal $()",
            ),
            Kind::Arithmetic => f.write_str(
                "$((…)) is arithmetic expansion, which tend does not do: it runs no shell \
                 ($$( writes a literal $()",
            ),
            Kind::SplitNotWhole { found } => write!(
                f,
                "{found}: $@NAME and $@{{…}} split a value into arguments, \
                 so they must be the whole argument"
            ),
            Kind::TooDeep => write!(f, "${{…}} nested more than {MAX_DEPTH} deep"),
            Kind::TooLarge { limit } => write!(
                f,
                "the output passes {}, the most tend renders into one file",
                show_size(*limit)
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Expand one argument: `$@NAME` or `$@{…}` as the whole argument → the
/// value's words, split on spaces, tabs and newlines as the shell's default
/// IFS does (none for an empty value); anything else → exactly one argument.
///
/// Errors: an unset `$NAME`/`${NAME}`, a failed `?`, `$(…)`, `$((…))`, an
/// unsupported or unclosed `${…}`, nesting past `MAX_DEPTH`. `at` is `None`.
pub fn argument(arg: &[u8], env: Lookup) -> Result<Vec<Vec<u8>>, Error> {
    let expander = Expander {
        text: arg,
        env,
        template: false,
        // An argument is bounded by the kernel (MAX_ARG_STRLEN) at exec.
        limit: usize::MAX,
    };
    expander
        .argument()
        .map_err(|(_, kind)| Error { kind, at: None })
}

/// Expand the `${…}` forms of a template; every other byte, `$name`, `$1`,
/// `$$` and `$(…)` included, comes out as it went in, except that `$${` is
/// a literal `${`. The output holds at most `limit` bytes.
///
/// Errors: as for `argument`, less `$NAME`, `$(…)` and splitting, which a
/// template does not have; `at` is the line and column of the failing `$`.
/// An output that would pass `limit` is `Kind::TooLarge`, found before the
/// bytes that pass it are copied, at the `$` (or the text) that brings them.
pub fn template(text: &[u8], env: Lookup, limit: usize) -> Result<Vec<u8>, Error> {
    let expander = Expander {
        text,
        env,
        template: true,
        limit,
    };
    let mut out = Vec::with_capacity(text.len().min(limit));
    match expander.word(0, 0, Some(&mut out)) {
        Ok(_) => Ok(out),
        Err((at, kind)) => Err(Error {
            kind,
            at: Some(position(text, at)),
        }),
    }
}

/// An error as found: the offset of its `$` in the text, and what it is.
type Fail = (usize, Kind);

struct Expander<'a> {
    text: &'a [u8],
    env: Lookup<'a>,
    template: bool,
    /// The most bytes the output may hold.
    limit: usize,
}

impl Expander<'_> {
    fn argument(&self) -> Result<Vec<Vec<u8>>, Fail> {
        let mut out = Vec::new();
        let split = self.text.starts_with(b"$@")
            && self
                .text
                .get(2)
                .is_some_and(|&b| b == b'{' || is_name_start(b));
        if !split {
            self.word(0, 0, Some(&mut out))?;
            return Ok(vec![out]);
        }
        // The `@` stands where the `$` of `$NAME` or `${…}` would: `dollar`
        // looks only at what follows it.
        let end = self.dollar(1, 0, Some(&mut out))?;
        if end != self.text.len() {
            let found = quote(self.text, QUOTE_LIMIT);
            return Err((0, Kind::SplitNotWhole { found }));
        }
        let words = out
            .split(|&b| matches!(b, b' ' | b'\t' | b'\n'))
            .filter(|word| !word.is_empty());
        Ok(words.map(<[u8]>::to_vec).into_vec())
    }

    /// Expand the word that starts at `at` into `out`, or only check it when
    /// `out` is `None` (a word that is not used is parsed, never looked up).
    /// At depth 0 it is the whole text; inside `${…}` it ends at the first
    /// `}` of its own level. Returns the offset of that `}`, or the text's end.
    fn word(
        &self,
        mut at: usize,
        depth: usize,
        mut out: Option<&mut Vec<u8>>,
    ) -> Result<usize, Fail> {
        loop {
            let rest = self.text.get(at..).unwrap_or_default();
            let plain = rest
                .iter()
                .position(|&b| b == b'$' || (b == b'}' && depth > 0))
                .unwrap_or(rest.len());
            if let Some(out) = out.as_deref_mut() {
                let piece = rest.get(..plain).unwrap_or_default();
                // A piece that does not fit fails at its first byte that does not.
                let room = self.limit.saturating_sub(out.len());
                self.emit(out, piece, at + room.min(piece.len()))?;
            }
            at += plain;
            match self.text.get(at) {
                Some(b'$') => at = self.dollar(at, depth, out.as_deref_mut())?,
                _ => return Ok(at),
            }
        }
    }

    /// The `$` at `at` and what follows it → the offset after the construct.
    fn dollar(&self, at: usize, depth: usize, out: Option<&mut Vec<u8>>) -> Result<usize, Fail> {
        let next = self.text.get(at + 1).copied();
        let (literal, end): (&[u8], usize) = match next {
            Some(b'{') => return self.braced(at, depth + 1, out),
            Some(b'$') if !self.template => (b"$", at + 2),
            Some(b'$') if self.text.get(at + 2) == Some(&b'{') => (b"${", at + 3),
            Some(b'$') => (b"$$", at + 2),
            Some(b'(') if !self.template => {
                return Err(match self.text.get(at + 2) {
                    Some(b'(') => (at, Kind::Arithmetic),
                    _ => (at, Kind::Command),
                });
            }
            Some(b) if !self.template && is_name_start(b) => {
                let end = self.name_end(at + 1);
                if let Some(out) = out {
                    let name = self.text.get(at + 1..end).unwrap_or_default();
                    let value = self.required(at, name, false)?;
                    self.emit(out, &value, at)?;
                }
                return Ok(end);
            }
            // `$1`, `$@`, `$-`, a trailing `$`, and in a template `$name` and `$(`.
            _ => (b"$", at + 1),
        };
        if let Some(out) = out {
            self.emit(out, literal, at)?;
        }
        Ok(end)
    }

    /// The `${…}` whose `$` is at `at`, `depth` levels deep → the offset after its `}`.
    fn braced(&self, at: usize, depth: usize, out: Option<&mut Vec<u8>>) -> Result<usize, Fail> {
        if depth > MAX_DEPTH {
            return Err((at, Kind::TooDeep));
        }
        let start = at + 2;
        let end = self.name_end(start);
        let name = self.text.get(start..end).unwrap_or_default();
        let after = self.text.get(end..).unwrap_or_default();
        let (colon, op) = match after {
            [b'}', ..] if !name.is_empty() => {
                if let Some(out) = out {
                    let value = self.required(at, name, true)?;
                    self.emit(out, &value, at)?;
                }
                return Ok(end + 1);
            }
            [b':', op @ (b'-' | b'+' | b'?'), ..] if !name.is_empty() => (true, *op),
            [op @ (b'-' | b'+' | b'?'), ..] if !name.is_empty() => (false, *op),
            _ => return Err(self.unsupported(at)),
        };
        let word_at = end + 1 + usize::from(colon);
        let Some(out) = out else {
            let close = self.word(word_at, depth, None)?;
            return self.closed(at, close);
        };
        let value = self.lookup(name);
        let present = value.as_ref().is_some_and(|v| !(colon && v.is_empty()));
        let use_word = match op {
            b'-' => !present,
            b'+' => present,
            _ => false,
        };
        let close = self.word(word_at, depth, use_word.then_some(&mut *out))?;
        let next = self.closed(at, close)?;
        match value {
            _ if op == b'?' && !present => {
                let message = self.text.get(word_at..close).unwrap_or_default();
                Err((
                    at,
                    Kind::Required {
                        name: quote(name, QUOTE_LIMIT),
                        colon,
                        unset: value.is_none(),
                        message: quote(message, MESSAGE_LIMIT),
                    },
                ))
            }
            Some(value) if present && op != b'+' => {
                self.emit(out, &value, at)?;
                Ok(next)
            }
            _ => Ok(next),
        }
    }

    /// The word of the `${` at `at` stopped at `close`: its `}`, or the end of the text.
    fn closed(&self, at: usize, close: usize) -> Result<usize, Fail> {
        match self.text.get(close) {
            Some(b'}') => Ok(close + 1),
            _ => Err(self.unsupported(at)),
        }
    }

    /// The `${` at `at` is not a form tend expands: quote it up to its own
    /// `}` (counting nested `${`, not `$${`), or say that it has none.
    fn unsupported(&self, at: usize) -> Fail {
        // Only the split form has `@` there, and its construct starts one earlier, at `$@{`.
        let at = at.saturating_sub(usize::from(self.text.get(at) == Some(&b'@')));
        let rest = self.text.get(at..).unwrap_or_default();
        let (mut i, mut open) = (0, 0usize);
        while let Some(&b) = rest.get(i) {
            match (b, rest.get(i + 1)) {
                (b'$', Some(b'$')) => i += 1,
                (b'$', Some(b'{')) => (i, open) = (i + 1, open + 1),
                (b'}', _) => {
                    open = open.saturating_sub(1);
                    if open == 0 {
                        let found = quote(rest.get(..=i).unwrap_or(rest), QUOTE_LIMIT);
                        return (at, Kind::Unsupported { found });
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let found = quote(rest, QUOTE_LIMIT);
        (at, Kind::Unclosed { found })
    }

    /// The end of the NAME that starts at `start`, or `start` when none does.
    fn name_end(&self, start: usize) -> usize {
        let rest = self.text.get(start..).unwrap_or_default();
        match rest.first() {
            Some(&b) if is_name_start(b) => {
                start
                    + rest
                        .iter()
                        .position(|&b| !is_name_start(b) && !b.is_ascii_digit())
                        .unwrap_or(rest.len())
            }
            _ => start,
        }
    }

    /// The value of `$NAME` or `${NAME}` (`braced`) at `at`, which has no default.
    fn required(&self, at: usize, name: &[u8], braced: bool) -> Result<Vec<u8>, Fail> {
        self.lookup(name).ok_or_else(|| {
            let name = quote(name, QUOTE_LIMIT);
            (at, Kind::Unset { name, braced })
        })
    }

    /// Copy `bytes`, which the construct at `at` brings, to `out`, unless
    /// they would take it past the limit.
    fn emit(&self, out: &mut Vec<u8>, bytes: &[u8], at: usize) -> Result<(), Fail> {
        if bytes.len() > self.limit.saturating_sub(out.len()) {
            return Err((at, Kind::TooLarge { limit: self.limit }));
        }
        out.extend_from_slice(bytes);
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Option<Vec<u8>> {
        // A NAME is ASCII, so the conversion never replaces anything.
        (self.env)(&String::from_utf8_lossy(name)).map(OsStringExt::into_vec)
    }
}

/// `4 MiB`, `1 KiB`, `100 bytes`: a size as a person reads it.
pub fn show_size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The first variable that `arg` names in `argument`'s syntax (`$NAME`,
/// `${NAME…}`, `$@NAME`, `$@{NAME…}`) and for which `is_set` holds; `$$`
/// is a literal `$` and names nothing. Pure. Without `--expand` such a word
/// reaches the program as written, which is rarely what was meant, and the
/// caller says so (issue 20 #5).
pub fn mentioned<'a>(arg: &'a [u8], is_set: &dyn Fn(&str) -> bool) -> Option<&'a str> {
    let mut at = 0;
    while let Some(found) = arg[at..].iter().position(|&b| b == b'$') {
        let mut start = at + found + 1;
        if arg.get(start) == Some(&b'$') {
            at = start + 1;
            continue;
        }
        for prefix in [b'@', b'{'] {
            if arg.get(start) == Some(&prefix) {
                start += 1;
            }
        }
        let end = arg[start..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
            .map_or(arg.len(), |n| start + n);
        at = end.max(start);
        let name = &arg[start..end];
        if name.first().is_some_and(|&b| is_name_start(b))
            && let Ok(name) = std::str::from_utf8(name)
            && is_set(name)
        {
            return Some(name);
        }
    }
    None
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Where offset `at` of `text` is, as an editor counts: lines from 1, and
/// columns from 1 in characters (UTF-8 continuation bytes do not count).
fn position(text: &[u8], at: usize) -> Position {
    let before = text.get(..at).unwrap_or(text);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let this_line = before.get(line_start..).unwrap_or_default();
    let column = 1 + this_line.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    Position { line, column }
}

/// `bytes` for an error message, on one line: control characters and line
/// separators escaped, invalid UTF-8 as `\xNN`, and cut with `…` before the
/// escaped text would pass `limit` bytes (`\u{0}` is five times its byte).
fn quote(bytes: &[u8], limit: usize) -> String {
    let hex = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('?');
    let mut text = String::new();
    let mut piece = String::new();
    for chunk in bytes.utf8_chunks() {
        let invalid = chunk.invalid().iter().map(|&b| Err(b));
        for c in chunk.valid().chars().map(Ok).chain(invalid) {
            piece.clear();
            match c {
                // U+2028 and U+2029 are not controls, but some viewers break lines there.
                Ok(c) if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                    piece.extend(c.escape_default());
                }
                Ok(c) => piece.push(c),
                Err(b) => piece.extend(['\\', 'x', hex(b >> 4), hex(b & 0xF)]),
            }
            if text.len() + piece.len() > limit {
                text.push('…');
                return text;
            }
            text.push_str(&piece);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentioned_finds_the_first_set_name_in_every_form() {
        let is_set = |name: &str| ["PORT", "HOST", "_X"].contains(&name);
        let first = |arg: &'static str| mentioned(arg.as_bytes(), &is_set);
        for (arg, want) in [
            ("$PORT", Some("PORT")),
            ("x${PORT}y", Some("PORT")),
            ("${PORT:-80}", Some("PORT")),
            ("$@PORT", Some("PORT")),
            ("$@{HOST}", Some("HOST")),
            ("$NOPE:$HOST", Some("HOST")),
            ("$_X", Some("_X")),
            ("$$PORT", None),
            ("$$$PORT", Some("PORT")),
            ("$1 $ a$ ${} $(PORT)", None),
            ("$PORTS", None),
            ("", None),
        ] {
            assert_eq!(first(arg), want, "{arg:?}");
        }
    }

    const VARS: &[(&str, &[u8])] = &[
        ("HOST", b"db.local"),
        ("PORT", b"5432"),
        ("EMPTY", b""),
        ("BLANK", b" \t\n "),
        ("OPTS", b"  -Xmx1g\t-Xms1g\n-Dname=a\xffb  "),
        ("BYTES", b"\xff\xfe"),
        ("DOLLAR", b"$HOST ${HOST} $(x)"),
        ("SECRET", b"hunter2"),
        ("_x1", b"under"),
    ];

    /// Every value of `VARS`, none of which may ever show in an error.
    const VALUES: &[&str] = &["db.local", "5432", "-Xmx1g", "hunter2", "under"];

    const NO_LIMIT: usize = usize::MAX;

    fn env(name: &str) -> Option<OsString> {
        let (_, value) = VARS.iter().find(|(n, _)| *n == name)?;
        Some(OsString::from_vec(value.to_vec()))
    }

    fn args(arg: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        argument(arg, &env).map_err(|e| e.to_string())
    }

    fn render(text: &[u8]) -> Result<Vec<u8>, String> {
        template(text, &env, NO_LIMIT).map_err(|e| e.to_string())
    }

    fn show(bytes: &[u8]) -> String {
        bytes.escape_ascii().to_string()
    }

    #[test]
    fn arguments_expand_to_one_argument() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"plain text", b"plain text"),
            (b"$HOST", b"db.local"),
            (b"${HOST}", b"db.local"),
            (b"x$HOST:$PORT/y", b"xdb.local:5432/y"),
            (b"${HOST}_", b"db.local_"),
            (b"$_x1", b"under"),
            // Set but empty is not unset.
            (b"$EMPTY", b""),
            (b"${EMPTY}", b""),
            // `-`: a default; `:-` also for empty.
            (b"${HOST-d}", b"db.local"),
            (b"${HOST:-d}", b"db.local"),
            (b"${EMPTY-d}", b""),
            (b"${EMPTY:-d}", b"d"),
            (b"${UNSET-d}", b"d"),
            (b"${UNSET:-d}", b"d"),
            (b"${UNSET-}", b""),
            (b"${UNSET:-}", b""),
            // `+`: an alternative when set; `:+` only when also not empty.
            (b"${HOST+w}", b"w"),
            (b"${HOST:+w}", b"w"),
            (b"${EMPTY+w}", b"w"),
            (b"${EMPTY:+w}", b""),
            (b"${UNSET+w}", b""),
            (b"${UNSET:+w}", b""),
            // `?`: the value when it passes.
            (b"${HOST?m}", b"db.local"),
            (b"${HOST:?m}", b"db.local"),
            (b"${EMPTY?m}", b""),
            // Words expand, and only when used.
            (b"${UNSET:-${ALSO:-x}}", b"x"),
            (b"${UNSET:-$HOST}", b"db.local"),
            (b"${UNSET:-a${PORT}b$$c}", b"a5432b$c"),
            (b"${HOST:-${UNSET}}", b"db.local"),
            (b"${HOST:-$UNSET}", b"db.local"),
            (b"${UNSET+$UNSET2}", b""),
            (b"${EMPTY:+$UNSET}", b""),
            (b"${HOST:+[$PORT]}", b"[5432]"),
            (b"${UNSET:-a b}", b"a b"),
            // A word ends at its first `}`: the rest is text (as in sh).
            (b"${UNSET:-{x}}", b"{x}"),
            (b"${HOST:-{x}}", b"db.local}"),
            // `$$` is one `$`.
            (b"$$", b"$"),
            (b"$$HOST", b"$HOST"),
            (b"$$$HOST", b"$db.local"),
            (b"$$$$", b"$$"),
            (b"$${HOST}", b"${HOST}"),
            (b"$$(date)", b"$(date)"),
            // A `$` before anything else stays.
            (b"$", b"$"),
            (b"a$", b"a$"),
            (
                b"100$ $1 $@ $- $* $? $# $! $ x $}",
                b"100$ $1 $@ $- $* $? $# $! $ x $}",
            ),
            (b"}", b"}"),
            (b"${UNSET:-$}", b"$"),
            (b"x$@HOST", b"x$@HOST"),
            (b"$@", b"$@"),
            (b"$@1", b"$@1"),
            // A value is not expanded again.
            (b"$DOLLAR", b"$HOST ${HOST} $(x)"),
            // Bytes, not text.
            (b"\xff$HOST\xfe", b"\xffdb.local\xfe"),
            (b"$BYTES", b"\xff\xfe"),
            (b"${UNSET:-\xff}", b"\xff"),
        ];
        for &(arg, want) in cases {
            assert_eq!(args(arg), Ok(vec![want.to_vec()]), "{}", show(arg));
        }
    }

    #[test]
    fn split_form_gives_the_words() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"$@OPTS", &[b"-Xmx1g", b"-Xms1g", b"-Dname=a\xffb"]),
            (b"$@{OPTS}", &[b"-Xmx1g", b"-Xms1g", b"-Dname=a\xffb"]),
            (b"$@{UNSET:-a  b}", &[b"a", b"b"]),
            (b"$@{HOST:+-v -v}", &[b"-v", b"-v"]),
            (b"$@{UNSET:+x y}", &[]),
            (b"$@{UNSET-}", &[]),
            (b"$@EMPTY", &[]),
            (b"$@BLANK", &[]),
            (b"$@HOST", &[b"db.local"]),
            // Split words are not expanded again, nor globbed.
            (b"$@DOLLAR", &[b"$HOST", b"${HOST}", b"$(x)"]),
            (b"$@{UNSET:-* ?}", &[b"*", b"?"]),
        ];
        for &(arg, want) in cases {
            let want: Vec<Vec<u8>> = want.iter().map(|w| w.to_vec()).collect();
            assert_eq!(args(arg), Ok(want), "{}", show(arg));
        }
    }

    const FORMS: &str = "${NAME}, ${NAME-word}, ${NAME:-word}, ${NAME+word}, ${NAME:+word}, \
                         ${NAME?message} and ${NAME:?message}";

    #[test]
    fn argument_errors_say_what_and_why() {
        let unsupported =
            |found: &str| format!("{found} is not supported: tend expands $NAME, {FORMS}");
        let command = "$(…) is command substitution, which tend does not do: it runs no shell ($$( writes a literal $()";
        let arithmetic = "$((…)) is arithmetic expansion, which tend does not do: it runs no shell ($$( writes a literal $()";
        let split = "split a value into arguments, so they must be the whole argument";
        let cases: &[(&[u8], String)] = &[
            (b"$UNSET", "$UNSET is not set (no default given)".into()),
            (b"${UNSET}", "${UNSET} is not set (no default given)".into()),
            (b"$HOST_", "$HOST_ is not set (no default given)".into()),
            (
                b"x${UNSET:-${ALSO}}",
                "${ALSO} is not set (no default given)".into(),
            ),
            (
                b"${SECRET:+$UNSET}",
                "$UNSET is not set (no default given)".into(),
            ),
            (b"${UNSET?}", "${UNSET?}: UNSET must be set".into()),
            (b"${UNSET:?}", "${UNSET:?}: UNSET must be set".into()),
            (b"${EMPTY:?}", "${EMPTY:?}: EMPTY must not be empty".into()),
            (
                b"${UNSET:?set it to the port}",
                "${UNSET:?}: set it to the port".into(),
            ),
            (
                b"${UNSET?say $HOST ${SECRET}}",
                "${UNSET?}: say $HOST ${SECRET}".into(),
            ),
            (
                b"${UNSET:?a\nb\x1b\xff}",
                "${UNSET:?}: a\\nb\\u{1b}\\xff".into(),
            ),
            (b"$(date)", command.into()),
            (b"a$(b)c", command.into()),
            (b"$( (x) )", command.into()),
            (b"$((1+2))", arithmetic.into()),
            (b"${UNSET:-$(x)}", command.into()),
            // An unused word is still read: a mistake does not wait for the day it is used.
            (b"${HOST:-$(x)}", command.into()),
            (b"${HOST:-${#x}}", unsupported("${#x}")),
            (b"${UNSET:?$(x)}", command.into()),
            (b"${#HOST}", unsupported("${#HOST}")),
            (b"${HOST=x}", unsupported("${HOST=x}")),
            (b"${HOST:=x}", unsupported("${HOST:=x}")),
            (b"${HOST%x}", unsupported("${HOST%x}")),
            (b"${HOST#x}", unsupported("${HOST#x}")),
            (b"${HOST/a/b}", unsupported("${HOST/a/b}")),
            (b"${HOST:0:2}", unsupported("${HOST:0:2}")),
            (b"${HOST:}", unsupported("${HOST:}")),
            (b"${HOST }", unsupported("${HOST }")),
            (b"${1}", unsupported("${1}")),
            (b"${}", unsupported("${}")),
            (b"${!HOST}", unsupported("${!HOST}")),
            (b"${@}", unsupported("${@}")),
            (b"${#HOST:-${A}} x}", unsupported("${#HOST:-${A}}")),
            (b"${", "${ has no closing }".into()),
            (b"${HOST", "${HOST has no closing }".into()),
            (b"${HOST:", "${HOST: has no closing }".into()),
            (b"a${HOST:-x", "${HOST:-x has no closing }".into()),
            (
                b"${UNSET:-${HOST}",
                "${UNSET:-${HOST} has no closing }".into(),
            ),
            (b"$@HOST.", format!("$@HOST.: $@NAME and $@{{…}} {split}")),
            (
                b"$@{HOST}x",
                format!("$@{{HOST}}x: $@NAME and $@{{…}} {split}"),
            ),
            (b"$@{HOST", "$@{HOST has no closing }".into()),
            (b"$@{#HOST}", unsupported("$@{#HOST}")),
            (b"$@UNSET", "$UNSET is not set (no default given)".into()),
            (b"$@{UNSET:?}", "${UNSET:?}: UNSET must be set".into()),
        ];
        for (arg, want) in cases {
            let got = argument(arg, &env);
            assert_eq!(got.as_ref().map_err(|e| e.at), Err(None), "{}", show(arg));
            assert_eq!(args(arg), Err(want.clone()), "{}", show(arg));
        }
    }

    #[test]
    fn templates_expand_only_braces() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (
                b"server_name $host;\nlocation ~ ^/(.*)$ { return 301 /$1; }\n",
                b"server_name $host;\nlocation ~ ^/(.*)$ { return 301 /$1; }\n",
            ),
            (
                b"echo $$ $(date) $((1+2)) $@ $# $HOST $",
                b"echo $$ $(date) $((1+2)) $@ $# $HOST $",
            ),
            (b"${HOST}:${PORT}", b"db.local:5432"),
            (b"$HOST ${HOST}", b"$HOST db.local"),
            (b"$${HOST}", b"${HOST}"),
            (b"$$${HOST}", b"$$db.local"),
            (b"$$$${HOST}", b"$$${HOST}"),
            (b"${UNSET:-$HOST}", b"$HOST"),
            (b"${UNSET:-$$}", b"$$"),
            (b"${UNSET:-$(x)}", b"$(x)"),
            (b"${UNSET:-${PORT}}", b"5432"),
            (b"${EMPTY:+x}${EMPTY+y}", b"y"),
            (b"${UNSET:-a}b}", b"ab}"),
            (b"{ } }}", b"{ } }}"),
            (b"\xff${BYTES}\r\n", b"\xff\xff\xfe\r\n"),
            (b"${DOLLAR}", b"$HOST ${HOST} $(x)"),
            (b"$@{OPTS}", b"$@{OPTS}"),
        ];
        for &(text, want) in cases {
            assert_eq!(render(text), Ok(want.to_vec()), "{}", show(text));
        }
    }

    #[test]
    fn template_errors_say_where() {
        let hint = "($${ writes a literal ${)";
        let unsupported =
            |found: &str| format!("{found} is not supported: tend expands {FORMS} {hint}");
        let cases: &[(&[u8], (usize, usize), String)] = &[
            (
                b"a\nbc ${UNSET}",
                (2, 4),
                "${UNSET} is not set (no default given; $${ writes a literal ${)".into(),
            ),
            (b"${#X}", (1, 1), unsupported("${#X}")),
            (
                b"x = 1\ny = 2\nname = ${#NAME}\n",
                (3, 8),
                unsupported("${#NAME}"),
            ),
            // Columns count characters, and a CR is one.
            (b"\xc3\xa9 ${#X}", (1, 3), unsupported("${#X}")),
            (b"\xff${#X}", (1, 2), unsupported("${#X}")),
            (b"a\r\nb\r\n${1}", (3, 1), unsupported("${1}")),
            // The innermost `${` that failed.
            (b"${UNSET:-\n  ${#X}}", (2, 3), unsupported("${#X}")),
            (
                b"ok\n${UNSET:-${ALSO}}",
                (2, 10),
                "${ALSO} is not set (no default given; $${ writes a literal ${)".into(),
            ),
            (
                b"\n\n  ${HOST:-x\n",
                (3, 3),
                format!("${{HOST:-x\\n has no closing }} {hint}"),
            ),
            (
                b"${UNSET:?}",
                (1, 1),
                "${UNSET:?}: UNSET must be set".into(),
            ),
            (b"  ${EMPTY:?fill it}", (1, 3), "${EMPTY:?}: fill it".into()),
        ];
        for (text, (line, column), want) in cases {
            let got = template(text, &env, NO_LIMIT);
            let at = Some(Position {
                line: *line,
                column: *column,
            });
            assert_eq!(got.as_ref().map_err(|e| e.at), Err(at), "{}", show(text));
            let want = format!("line {line}, column {column}: {want}");
            assert_eq!(render(text), Err(want), "{}", show(text));
        }
    }

    /// The messages of the modes in which `text` fails.
    fn failures(text: &[u8]) -> Vec<String> {
        let argument = argument(text, &env).err();
        let template = template(text, &env, NO_LIMIT).err();
        argument
            .into_iter()
            .chain(template)
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn errors_never_show_a_value() {
        let cases: &[&[u8]] = &[
            b"${SECRET}${UNSET}",
            b"$SECRET$(x)",
            b"${SECRET:+${UNSET}}",
            b"${SECRET:-${#SECRET}}",
            b"${SECRET:?}${EMPTY:?}",
            b"$@{SECRET}x",
            b"$@SECRET$HOST",
            b"${HOST$PORT}",
            b"${PORT:-${OPTS:-${_x1:-${HOST",
        ];
        for &text in cases {
            let errors = failures(text);
            assert!(!errors.is_empty(), "{} should fail", show(text));
            for message in errors {
                for value in VALUES {
                    assert!(!message.contains(value), "{message:?} shows {value}");
                }
            }
        }
    }

    #[test]
    fn errors_are_one_bounded_line() {
        let long_name = "N".repeat(10_000);
        let long_message = format!("${{UNSET:?{}}}", "m\n".repeat(10_000));
        let cases = [
            format!("${long_name}"),
            format!("${{{long_name}}}"),
            format!("${{{long_name}:?}}"),
            format!("${{#{long_name}}}"),
            format!("${{{long_name}"),
            format!("$@{long_name}."),
            long_message,
            format!("${{#\u{7}\r\n\u{85}{}}}", "é".repeat(100)),
            format!("${{UNSET:?{}}}", "\0".repeat(1000)),
            format!("${{{}", "\u{9f}".repeat(1000)),
        ];
        for text in &cases {
            let errors = failures(text.as_bytes());
            assert!(!errors.is_empty(), "{text:.40} should fail");
            for message in errors {
                assert!(!message.contains(['\n', '\r', '\u{85}']), "{message:?}");
                assert!(message.len() <= 400, "{}: {message}", message.len());
            }
        }
        // A cut quote ends at a character, then says it was cut.
        assert_eq!(quote("é".repeat(40).as_bytes(), 5), "éé…");
        assert_eq!(quote(b"ab\x00\xc3", 11), "ab\\u{0}\\xc3");
        assert_eq!(quote(b"ab\x00\xc3", 10), "ab\\u{0}…");
        // Escapes count as what they print: 64 NULs do not make 320 bytes.
        assert_eq!(quote(&[0; 64], QUOTE_LIMIT), "\\u{0}".repeat(12) + "…");
        assert_eq!(quote(b"", 10), "");
        assert_eq!(
            quote("a\u{85}\u{2028}b".as_bytes(), 64),
            "a\\u{85}\\u{2028}b"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let nest = |levels: usize| {
            let mut text = "${UNSET:-".repeat(levels);
            text.push('x');
            text.push_str(&"}".repeat(levels));
            text
        };
        let deepest = nest(MAX_DEPTH);
        assert_eq!(args(deepest.as_bytes()), Ok(vec![b"x".to_vec()]));
        assert_eq!(render(deepest.as_bytes()), Ok(b"x".to_vec()));
        let too_deep = format!("${{…}} nested more than {MAX_DEPTH} deep");
        assert_eq!(args(nest(MAX_DEPTH + 1).as_bytes()), Err(too_deep.clone()));
        let column = 1 + 9 * MAX_DEPTH;
        assert_eq!(
            render(nest(MAX_DEPTH + 1).as_bytes()),
            Err(format!("line 1, column {column}: {too_deep}"))
        );
        // Hostile depth fails at the limit instead of overflowing the stack.
        let hostile = "${A:-".repeat(1_000_000);
        assert_eq!(args(hostile.as_bytes()), Err(too_deep));
    }

    #[test]
    fn large_inputs_take_one_pass() {
        // Unused nested words cost one read each, not one per level above them.
        let unit = "${HOST:-".repeat(MAX_DEPTH) + &"}".repeat(MAX_DEPTH);
        let text = unit.repeat(20_000);
        let expanded = "db.local".repeat(20_000).into_bytes();
        assert_eq!(args(text.as_bytes()), Ok(vec![expanded.clone()]));
        assert_eq!(render(text.as_bytes()), Ok(expanded));
        let dollars = "$".repeat(1_000_000);
        assert_eq!(render(dollars.as_bytes()), Ok(dollars.clone().into_bytes()));
        let halved = "$".repeat(500_000).into_bytes();
        assert_eq!(args(dollars.as_bytes()), Ok(vec![halved]));
    }

    #[test]
    fn a_template_stops_at_its_cap() {
        let too_large = |limit: usize, line: usize, column: usize| {
            let size = show_size(limit);
            Err(format!(
                "line {line}, column {column}: the output passes {size}, the most tend renders into one file"
            ))
        };
        let capped =
            |text: &[u8], limit: usize| template(text, &env, limit).map_err(|e| e.to_string());
        type Case<'a> = (&'a [u8], usize, Result<Vec<u8>, String>);
        let cases: &[Case] = &[
            (b"0123456789", 10, Ok(b"0123456789".to_vec())),
            (b"0123456789a", 10, too_large(10, 1, 11)),
            (b"01234\n6789abc", 10, too_large(10, 2, 5)),
            (b"${HOST}", 8, Ok(b"db.local".to_vec())),
            (b"${HOST}", 7, too_large(7, 1, 1)),
            (b"ab${HOST}", 9, too_large(9, 1, 3)),
            (b"${UNSET:-${HOST}}", 5, too_large(5, 1, 10)),
            (b"${UNSET:-abcdef}", 5, too_large(5, 1, 15)),
            (b"$$${HOST}", 9, too_large(9, 1, 3)),
            (b"$${HOST}", 1, too_large(1, 1, 1)),
            (b"", 0, Ok(Vec::new())),
            (b"x", 0, too_large(0, 1, 1)),
            // An unused word costs nothing.
            (b"${HOST:-${PORT}${PORT}}", 8, Ok(b"db.local".to_vec())),
        ];
        for (text, limit, want) in cases {
            assert_eq!(&capped(text, *limit), want, "{} under {limit}", show(text));
        }
        // A big value many times over stops at the cap, not at the end of memory.
        let big = |name: &str| (name == "BIG").then(|| OsString::from_vec(vec![b'x'; 1 << 20]));
        let text = "${BIG}".repeat(1 << 12);
        let got = template(text.as_bytes(), &big, 4 << 20).map_err(|e| e.to_string());
        assert_eq!(got, too_large(4 << 20, 1, 1 + 6 * 4));
        assert_eq!(show_size(4 << 20), "4 MiB");
        assert_eq!(show_size(3 << 10), "3 KiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }

    #[test]
    fn each_use_is_one_lookup() {
        let calls = std::cell::Cell::new(0);
        let counting = |name: &str| {
            calls.set(calls.get() + 1);
            env(name)
        };
        let text = b"${HOST:-${PORT}}${UNSET:-${PORT:+$EMPTY}}$$";
        assert_eq!(argument(text, &counting), Ok(vec![b"db.local$".to_vec()]));
        // HOST; UNSET, then PORT and EMPTY in the word used; never the PORT of an unused word.
        assert_eq!(calls.get(), 4);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use std::cell::Cell;

    /// Bytes that make up expansions, so that random text is mostly syntax.
    fn syntax_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            3 => proptest::sample::select(b"${}:-+?=#%()@ABE_1 \t\n".to_vec()),
            1 => any::<u8>(),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_]{0,12}"
    }

    const NO_LIMIT: usize = usize::MAX;

    fn one(name: &str, value: &[u8]) -> impl Fn(&str) -> Option<OsString> {
        let (name, value) = (name.to_string(), value.to_vec());
        move |n: &str| (n == name).then(|| OsString::from_vec(value.clone()))
    }

    proptest! {
        #[test]
        fn text_without_a_dollar_is_itself(text in vec(any::<u8>(), 0..200)) {
            let text: Vec<u8> = text.into_iter().filter(|&b| b != b'$').collect();
            let none = |_: &str| None;
            prop_assert_eq!(argument(&text, &none), Ok(vec![text.clone()]));
            prop_assert_eq!(template(&text, &none, NO_LIMIT), Ok(text));
        }

        #[test]
        fn double_dollars_are_one_in_arguments_and_kept_in_templates(
            pieces in vec(vec(any::<u8>(), 0..12), 1..8)
        ) {
            // No `$` to pair with, no `{` to make `$${`.
            let pieces: Vec<Vec<u8>> = pieces
                .into_iter()
                .map(|p| p.into_iter().filter(|&b| b != b'$' && b != b'{').collect())
                .collect();
            let text = pieces.join(&b"$$"[..]);
            let none = |_: &str| None;
            prop_assert_eq!(argument(&text, &none), Ok(vec![pieces.join(&b"$"[..])]));
            prop_assert_eq!(template(&text, &none, NO_LIMIT), Ok(text));
        }

        #[test]
        fn a_set_name_gives_its_value(name in name(), value in vec(any::<u8>(), 0..64)) {
            let env = one(&name, &value);
            let braced = format!("${{{name}}}");
            prop_assert_eq!(argument(braced.as_bytes(), &env), Ok(vec![value.clone()]));
            prop_assert_eq!(template(braced.as_bytes(), &env, NO_LIMIT), Ok(value.clone()));
            let bare = format!("${name}");
            prop_assert_eq!(argument(bare.as_bytes(), &env), Ok(vec![value.clone()]));
            prop_assert_eq!(template(bare.as_bytes(), &env, NO_LIMIT), Ok(bare.into_bytes()));
            // The colon only matters for an empty value.
            let default = format!("${{{name}:-d}}|${{{name}-d}}|${{{name}:+a}}|${{{name}+a}}");
            let want = match value.is_empty() {
                true => b"d|||a".to_vec(),
                false => [&value[..], b"|", &value[..], b"|a|a"].concat(),
            };
            prop_assert_eq!(template(default.as_bytes(), &env, NO_LIMIT), Ok(want));
        }

        #[test]
        fn an_unset_name_is_an_error_naming_it(name in name()) {
            let none = |_: &str| None;
            let braced = format!("${{{name}}}");
            let want = Kind::Unset { name: name.clone(), braced: true };
            prop_assert_eq!(argument(braced.as_bytes(), &none).map_err(|e| e.kind), Err(want));
            let with_default = format!("${{{name}:-x}}${{{name}-y}}${{{name}+z}}");
            prop_assert_eq!(template(with_default.as_bytes(), &none, NO_LIMIT), Ok(b"xy".to_vec()));
        }

        #[test]
        fn splitting_gives_the_words(
            words in vec("[!-~&&[^$]]{1,8}", 0..6),
            gaps in vec("[ \t\n]{1,3}", 7),
        ) {
            let mut value = gaps[6].clone();
            for (word, gap) in words.iter().zip(&gaps) {
                value.push_str(word);
                value.push_str(gap);
            }
            let env = one("OPTS", value.as_bytes());
            let want: Vec<Vec<u8>> = words.iter().map(|w| w.clone().into_bytes()).collect();
            prop_assert_eq!(argument(b"$@OPTS", &env), Ok(want.clone()));
            prop_assert_eq!(argument(b"$@{OPTS:-x}", &env), Ok(want));
        }

        #[test]
        fn any_bytes_give_a_bounded_answer(
            text in vec(syntax_byte(), 0..300),
            a in vec(any::<u8>(), 0..20),
        ) {
            // A and B are set (B empty), E is unset; count what the lookups hand out.
            let given = Cell::new(0);
            let env = |name: &str| {
                let value: Option<&[u8]> = match name {
                    "A" => Some(&a),
                    "B" => Some(b""),
                    _ => None,
                };
                given.set(given.get() + value.map_or(0, <[u8]>::len));
                value.map(|v| OsString::from_vec(v.to_vec()))
            };
            match argument(&text, &env) {
                Ok(args) => {
                    let bytes: usize = args.iter().map(Vec::len).sum();
                    prop_assert!(bytes <= text.len() + given.get());
                    if args.len() != 1 {
                        prop_assert!(args.iter().all(|a| !a.is_empty()));
                    }
                }
                Err(e) => {
                    prop_assert!(e.at.is_none());
                    let message = e.to_string();
                    prop_assert!(!message.contains(['\n', '\r']), "{}", message);
                    prop_assert!(message.len() <= 400, "{}", message);
                }
            }
            given.set(0);
            match template(&text, &env, NO_LIMIT) {
                Ok(out) => prop_assert!(out.len() <= text.len() + given.get()),
                Err(e) => {
                    let at = e.at.ok_or_else(|| TestCaseError::fail("no position"))?;
                    let lines = 1 + text.iter().filter(|&&b| b == b'\n').count();
                    prop_assert!(at.line >= 1 && at.line <= lines && at.column >= 1);
                    let message = e.to_string();
                    prop_assert!(!message.contains(['\n', '\r']), "{}", message);
                    prop_assert!(message.len() <= 400, "{}", message);
                }
            }
        }

        #[test]
        fn a_cap_changes_nothing_but_what_passes_it(
            text in vec(syntax_byte(), 0..300),
            a in vec(any::<u8>(), 0..40),
            limit in 0usize..400,
        ) {
            let env = |name: &str| match name {
                "A" => Some(OsString::from_vec(a.clone())),
                "B" => Some(OsString::new()),
                _ => None,
            };
            let free = template(&text, &env, NO_LIMIT);
            let capped = template(&text, &env, limit);
            match (free, capped) {
                (Ok(free), Ok(capped)) => {
                    prop_assert!(free.len() <= limit);
                    prop_assert_eq!(free, capped);
                }
                (Ok(free), Err(e)) => {
                    prop_assert!(free.len() > limit);
                    prop_assert_eq!(e.kind, Kind::TooLarge { limit });
                }
                (Err(free), Err(capped)) => {
                    let too_large = Kind::TooLarge { limit };
                    prop_assert!(capped == free || capped.kind == too_large, "{}", capped);
                }
                (Err(free), Ok(_)) => prop_assert!(false, "only the cap failed: {}", free),
            }
        }

        #[test]
        fn a_template_error_points_at_its_dollar(
            lines in vec("[^$\n\r]{0,20}", 0..5),
            prefix in "[^$\n]{0,20}",
        ) {
            let mut text = lines.join("\n");
            if !lines.is_empty() {
                text.push('\n');
            }
            text.push_str(&prefix);
            text.push_str("${#X}");
            let at = template(text.as_bytes(), &|_| None, NO_LIMIT).map_err(|e| e.at);
            let want = Position { line: lines.len() + 1, column: prefix.chars().count() + 1 };
            prop_assert_eq!(at, Err(Some(want)));
        }
    }
}
