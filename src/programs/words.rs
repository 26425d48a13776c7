//! A command string → its words, with POSIX shell quoting and never a shell
//! (issue 19): `--pre`, `--also` and Procfile lines hold a whole command as
//! one string, since exec-form JSON cannot nest argument lists.
//!
//! The quoting of POSIX.1 "Shell Command Language" 2.2: blanks (space and
//! tab) separate words; single quotes keep every byte as it is; double
//! quotes keep every byte but a backslash before `$`, `` ` ``, `"`, `\` or a
//! newline; a backslash outside quotes keeps the byte after it; a backslash
//! and a newline vanish (a line continuation). Nothing else of a shell: `#`
//! is an ordinary byte everywhere (no comments), as are `*`, `?`, `[`, `~`,
//! `=`, `(` and `)` (no globbing, tilde expansion, assignments or
//! subshells), and `$'…'` is a `$` and then a single-quoted string. What a
//! shell would run instead of passing on is an error that says what to
//! write: an operator (`&&`, `;`, `|`, `&`, `<`, `>`, …) outside quotes, a
//! backquote or `$(` outside single quotes and unescaped, a trailing
//! backslash, an unclosed quote, a newline outside quotes, and a command of
//! blanks only. `''` is one empty word, as in a shell, so not an empty command.
//!
//! Each word is kept twice: as the program gets it, and in the syntax of
//! `entry::expand::argument` for `--expand`, where what was single-quoted
//! or escaped stays literal.
//!
//! Invariant: one left-to-right pass with no recursion, so time and memory
//! are linear in the command; every word is bytes of the command; an error
//! is one bounded line that quotes only the command.

use std::fmt;

/// The most bytes of the command an error quotes, so that it stays one short line.
const QUOTE_LIMIT: usize = 64;
/// The most bytes of an operator an error names (`2>&1`, not a thousand `;`).
const OPERATOR_LIMIT: usize = 12;

/// One word of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word {
    /// The word as the program gets it without `--expand`: quotes removed,
    /// escapes applied, `$` constructs as written.
    pub text: Vec<u8>,
    /// The same word in `entry::expand::argument`'s syntax, for `--expand`:
    /// what was in single quotes or escaped stays literal (each of its `$`
    /// written `$$`), and a `$NAME` that a quote or a backslash ends is
    /// written `${NAME}` (`"$A"B` is A's value then `B`, not `$AB`). A `$`
    /// that a quote or a backslash follows is literal, as in a shell.
    pub expandable: Vec<u8>,
}

/// A quote that opens a quoted part of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    Single,
    Double,
}

/// A shell operator, by what a user meant by it and so what to write instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `&&`: then, if that succeeded.
    And,
    /// `||`: or else.
    Or,
    /// `;`: then.
    Sequence,
    /// `&`: in the background, beside.
    Background,
    /// `|` and `|&`.
    Pipe,
    /// `<`, `>`, `>>`, `2>`, `>&`, `&>`, `<<`, …
    Redirection,
}

/// Why a command cannot be split into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A shell operator outside quotes; `written` is it as written, with the
    /// file descriptor of `2>` and the target of `>&2`, quoted for display.
    Operator { operator: Operator, written: String },
    /// Command substitution (`` ` `` or `$(`) or arithmetic expansion
    /// (`$((`), outside single quotes and unescaped; `form` is how it starts.
    Substitution { form: &'static str },
    /// A backslash at the end, outside quotes: it escapes nothing.
    TrailingBackslash,
    /// A quote with no closing one; the column is the opening quote's.
    Unclosed(Quote),
    /// A newline outside quotes.
    Newline,
    /// No words: the command is empty or blanks only.
    Empty,
}

/// A command that cannot be split. Its Display is one line that names the
/// construct, its column, the command and what to write instead, e.g.
/// `'&&' at column 26 of 'python manage.py migrate && gunicorn app' is a
/// shell operator, and tend runs no shell: use two --pre (one after the
/// other), or quote it to pass it as an argument`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub kind: Kind,
    /// 1-based, in characters of UTF-8 (bytes otherwise), of the construct.
    pub column: usize,
    /// The command, escaped to one line and cut to a bounded length around
    /// the construct (`…` marks a cut).
    pub command: String,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f, Place::Pre)
    }
}

/// Where a command string was written, which decides the advice for `&&`
/// and `;`: what runs before another is a step (`--pre`, a Procfile's
/// `release:` line), never a program beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Pre,
    Also,
    Procfile,
}

/// A `SplitError` as said of a command written at a `Place`.
pub struct In<'a>(pub &'a SplitError, pub Place);

impl fmt::Display for In<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f, self.1)
    }
}

impl SplitError {
    fn describe(&self, f: &mut fmt::Formatter<'_>, place: Place) -> fmt::Result {
        let Self {
            kind,
            column,
            command,
        } = self;
        let at = format!("at column {column} of '{command}'");
        match kind {
            Kind::Operator { operator, written } => {
                let instead = match operator {
                    Operator::And | Operator::Sequence => match place {
                        Place::Pre => "use two --pre (one after the other)",
                        Place::Also => {
                            "run what comes first as a step with --pre, and each program \
                             beside with its own --also"
                        }
                        Place::Procfile => {
                            "run the step first on a release: line (it runs before the \
                             programs start), or with --pre"
                        }
                    },
                    Operator::Background => "use --also for a program beside",
                    Operator::Or => {
                        "a fallback needs a shell script (sh -c '…', if the image has a shell)"
                    }
                    Operator::Pipe => {
                        "use the program's own options, or sh -c '…' if the image has a shell"
                    }
                    Operator::Redirection => {
                        "use the program's own option for its files (its output goes where \
                         tend's goes), or sh -c '…' if the image has a shell"
                    }
                };
                write!(
                    f,
                    "'{written}' {at} is a shell operator, and tend runs no shell: \
                     {instead}, or quote it to pass it as an argument"
                )
            }
            Kind::Substitution { form } => {
                let what = match *form {
                    "$((" => "arithmetic expansion",
                    _ => "command substitution",
                };
                write!(
                    f,
                    "'{form}' {at} starts {what}, and tend runs no shell: put the value in \
                     a variable and write $NAME with --expand, or write \\{form} for a literal {form}"
                )
            }
            Kind::TrailingBackslash => write!(
                f,
                "the backslash {at} escapes nothing: write \\\\ for a backslash"
            ),
            Kind::Unclosed(Quote::Single) => write!(
                f,
                "the single quote {at} is not closed: end it with another '"
            ),
            Kind::Unclosed(Quote::Double) => write!(
                f,
                "the double quote {at} is not closed: end it with another \""
            ),
            Kind::Newline => write!(
                f,
                "the newline {at} is outside quotes: write one command per --pre or --also \
                 (one a line in TEND_PRE and TEND_ALSO), or quote the newline to pass it"
            ),
            Kind::Empty => write!(
                f,
                "the command '{command}' is empty: write the program to run and its arguments"
            ),
        }
    }
}

impl std::error::Error for SplitError {}

/// Split `command` into words with POSIX shell quoting (see the module's
/// doc), without expanding anything.
///
/// Errors: a shell operator outside quotes, `` ` `` or `$(` outside single
/// quotes and unescaped, a trailing backslash, an unclosed quote, a newline
/// outside quotes, or no word at all; the first one from the left.
pub fn split(command: &[u8]) -> Result<Vec<Word>, SplitError> {
    let fail = |kind, at| Err(error(command, kind, at));
    let mut words = Vec::new();
    // The word being read, and the offset where it started.
    let mut word: Option<(Word, usize)> = None;
    let mut at = 0;
    while let Some(&b) = command.get(at) {
        if matches!(b, b' ' | b'\t') {
            words.extend(word.take().map(|(w, _)| w));
            at += 1;
            continue;
        }
        if b == b'\n' {
            return fail(Kind::Newline, at);
        }
        if b == b'\\' && command.get(at + 1) == Some(&b'\n') {
            at += 2;
            continue;
        }
        if is_operator(b) {
            let start = word.as_ref().map_or(at, |&(_, start)| start);
            return Err(operator(command, start, at));
        }
        let (current, _) = word.get_or_insert_with(|| (Word::default(), at));
        at = match b {
            b'\'' => single(command, at, current)?,
            b'"' => double(command, at, current)?,
            b'\\' => match command.get(at + 1) {
                Some(&c) => {
                    current.literal(c);
                    at + 2
                }
                None => return fail(Kind::TrailingBackslash, at),
            },
            b'`' => return fail(Kind::Substitution { form: "`" }, at),
            b'$' => dollar(command, at, current)?,
            _ => {
                current.plain(&[b]);
                at + 1
            }
        };
    }
    words.extend(word.map(|(w, _)| w));
    if words.is_empty() {
        return fail(Kind::Empty, 0);
    }
    Ok(words)
}

/// Words → one command that `split` reads back as exactly these words, and
/// in which `--expand` finds nothing to expand: for the dry run to print,
/// and the inverse that the tests hold `split` to. A word of only
/// `A-Za-z0-9_@%+=:,./-` stays as it is, `''` is the empty word, and any
/// other goes in single quotes, with each `'` in it written `'\''`. Words
/// are joined by one space; what a word holds (a newline, bytes that are not
/// UTF-8) is kept, so a printer must escape it for its own line.
pub fn quote<W: AsRef<[u8]>>(words: &[W]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let word = word.as_ref();
        if i > 0 {
            out.push(b' ');
        }
        let safe = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
        if !word.is_empty() && word.iter().all(safe) {
            out.extend_from_slice(word);
            continue;
        }
        out.push(b'\'');
        for &b in word {
            match b {
                b'\'' => out.extend_from_slice(b"'\\''"),
                _ => out.push(b),
            }
        }
        out.push(b'\'');
    }
    out
}

impl Word {
    /// Bytes that mean the same to the program and to `--expand`.
    fn plain(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
        self.expandable.extend_from_slice(bytes);
    }

    /// A byte that `--expand` must leave as it is.
    fn literal(&mut self, b: u8) {
        self.text.push(b);
        match b {
            b'$' => self.expandable.extend_from_slice(b"$$"),
            _ => self.expandable.push(b),
        }
    }
}

/// The single-quoted part that opens at `open` → the offset after its close.
fn single(command: &[u8], open: usize, word: &mut Word) -> Result<usize, SplitError> {
    let rest = command.get(open + 1..).unwrap_or_default();
    let Some(len) = rest.iter().position(|&b| b == b'\'') else {
        return Err(error(command, Kind::Unclosed(Quote::Single), open));
    };
    for &b in rest.get(..len).unwrap_or_default() {
        word.literal(b);
    }
    Ok(open + 1 + len + 1)
}

/// The double-quoted part that opens at `open` → the offset after its close.
fn double(command: &[u8], open: usize, word: &mut Word) -> Result<usize, SplitError> {
    let mut at = open + 1;
    loop {
        match command.get(at) {
            None => return Err(error(command, Kind::Unclosed(Quote::Double), open)),
            Some(b'"') => return Ok(at + 1),
            Some(b'`') => return Err(error(command, Kind::Substitution { form: "`" }, at)),
            Some(b'$') => at = dollar(command, at, word)?,
            Some(b'\\') => match command.get(at + 1) {
                Some(b'\n') => at += 2,
                Some(&c @ (b'$' | b'`' | b'"' | b'\\')) => {
                    word.literal(c);
                    at += 2;
                }
                // Any other backslash is itself (at the end: the quote is unclosed).
                _ => {
                    word.plain(b"\\");
                    at += 1;
                }
            },
            Some(&b) => {
                word.plain(&[b]);
                at += 1;
            }
        }
    }
}

/// The unescaped `$` at `at`, outside single quotes → the offset after what
/// it starts, as far as this part of the word goes.
fn dollar(command: &[u8], at: usize, word: &mut Word) -> Result<usize, SplitError> {
    let byte = |i: usize| command.get(i).copied();
    // A quote or a backslash ends a name and the part of the word it is in.
    let ends_part = |i: usize| matches!(byte(i), Some(b'\'' | b'"' | b'\\'));
    let name = |start: usize| match byte(start) {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
            let rest = command.get(start..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|&b| !b.is_ascii_alphanumeric() && b != b'_')
                .unwrap_or(rest.len());
            Some(start + len)
        }
        _ => None,
    };
    // `$` (or `$@`) and the name that ends at `end`, braced when a quote or
    // a backslash ends it and the word may go on after that (`"$A"` and
    // `"$A" b` need no braces, and keep the messages of `$A`).
    let mut named = |sigil: &[u8], start: usize, end: usize| {
        let text = command.get(at..end).unwrap_or_default();
        let name = command.get(start..end).unwrap_or_default();
        word.text.extend_from_slice(text);
        let goes_on = byte(end + 1).is_some_and(|b| !matches!(b, b' ' | b'\t'));
        if ends_part(end) && goes_on {
            word.expandable.extend_from_slice(sigil);
            word.expandable.push(b'{');
            word.expandable.extend_from_slice(name);
            word.expandable.push(b'}');
        } else {
            word.expandable.extend_from_slice(text);
        }
        end
    };
    match byte(at + 1) {
        Some(b'(') => {
            let form = match byte(at + 2) {
                Some(b'(') => "$((",
                _ => "$(",
            };
            Err(error(command, Kind::Substitution { form }, at))
        }
        Some(b'$') => {
            word.plain(b"$$");
            Ok(at + 2)
        }
        Some(b'@') => match name(at + 2) {
            Some(end) => Ok(named(b"$@", at + 2, end)),
            None if ends_part(at + 2) => {
                word.literal(b'$');
                word.plain(b"@");
                Ok(at + 2)
            }
            None => {
                word.plain(b"$");
                Ok(at + 1)
            }
        },
        _ if ends_part(at + 1) => {
            word.literal(b'$');
            Ok(at + 1)
        }
        _ => match name(at + 1) {
            Some(end) => Ok(named(b"$", at + 1, end)),
            // `${` (its inside is read as the word goes on), `$1`, `$-`, a `$` at the end.
            None => {
                word.plain(b"$");
                Ok(at + 1)
            }
        },
    }
}

fn is_operator(b: u8) -> bool {
    matches!(b, b'&' | b'|' | b';' | b'<' | b'>')
}

/// The operator at `at`, in the word that started at `start`, as an error.
fn operator(command: &[u8], start: usize, at: usize) -> SplitError {
    let rest = command.get(at..).unwrap_or_default();
    let run = rest.iter().take_while(|&&b| is_operator(b)).count();
    let ops = rest.get(..run).unwrap_or_default();
    let operator = match ops {
        [b'&', b'&', ..] => Operator::And,
        [b'|', b'|', ..] => Operator::Or,
        [b'|', ..] => Operator::Pipe,
        [b';', ..] => Operator::Sequence,
        [b'&', b'<' | b'>', ..] => Operator::Redirection,
        [b'&', ..] => Operator::Background,
        _ => Operator::Redirection,
    };
    let mut first = at;
    let mut end = at + run;
    if operator == Operator::Redirection {
        // `2>` names its file descriptor when the word so far is one, and `>&2` its target.
        let before = command.get(start..at).unwrap_or_default();
        if !before.is_empty() && before.iter().all(u8::is_ascii_digit) {
            first = start;
        }
        if ops.ends_with(b"&") {
            let after = command.get(end..).unwrap_or_default();
            end += match after.first() {
                Some(b'-') => 1,
                _ => after.iter().take_while(|b| b.is_ascii_digit()).count(),
            };
        }
    }
    let written = command.get(first..end).unwrap_or_default();
    let kind = Kind::Operator {
        operator,
        written: display(written, OPERATOR_LIMIT),
    };
    error(command, kind, first)
}

/// The error `kind` at offset `at` of `command`.
fn error(command: &[u8], kind: Kind, at: usize) -> SplitError {
    let before = command.get(..at).unwrap_or(command);
    let column = 1 + before.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    SplitError {
        kind,
        column,
        command: excerpt(command, at),
    }
}

/// `command` for an error, cut to show offset `at`: from the start when `at`
/// is near it, otherwise from a little before `at`, after a `…`.
fn excerpt(command: &[u8], at: usize) -> String {
    let lead = QUOTE_LIMIT / 2;
    if at <= lead {
        return display(command, QUOTE_LIMIT);
    }
    // Start at a character: skip UTF-8 continuation bytes.
    let mut start = at - lead;
    while command.get(start).is_some_and(|&b| b & 0xC0 == 0x80) && start < at {
        start += 1;
    }
    let rest = command.get(start..).unwrap_or_default();
    format!("…{}", display(rest, QUOTE_LIMIT))
}

/// `bytes` on one line, as `entry::expand` quotes them: control characters
/// and line separators escaped, invalid UTF-8 as `\xNN`, cut with `…` before
/// the escaped text would pass `limit` bytes.
pub(crate) fn display(bytes: &[u8], limit: usize) -> String {
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
    use crate::entry::expand;
    use std::ffi::OsString;

    /// The texts of `command`'s words, or its error's message.
    fn texts(command: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let words = split(command).map_err(|e| e.to_string())?;
        Ok(words.into_iter().map(|w| w.text).collect())
    }

    fn show(bytes: &[u8]) -> String {
        display(bytes, 1000)
    }

    #[test]
    fn quoting_gives_the_words_a_shell_would() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"a b", &[b"a", b"b"]),
            (b"  a \t b\t ", &[b"a", b"b"]),
            (
                b"gunicorn -b 0.0.0.0:8000 app:wsgi",
                &[b"gunicorn", b"-b", b"0.0.0.0:8000", b"app:wsgi"],
            ),
            // Single quotes keep everything, backslashes and newlines included.
            (
                b"nginx -g 'daemon off;'",
                &[b"nginx", b"-g", b"daemon off;"],
            ),
            (
                b"'a \\ \" $HOME ` $( && # \n'",
                &[b"a \\ \" $HOME ` $( && # \n"],
            ),
            (b"'it'\\''s'", &[b"it's"]),
            // Double quotes keep everything but \ before $ ` " \ and a newline.
            (b"\"a 'b' ; | &\"", &[b"a 'b' ; | &"]),
            (b"\"\\$ \\` \\\" \\\\\"", &[b"$ ` \" \\"]),
            (b"\"\\a \\n \\' \\#\"", &[b"\\a \\n \\' \\#"]),
            (b"\"a\nb\"", &[b"a\nb"]),
            (b"\"a\\\nb\"", &[b"ab"]),
            // A backslash outside quotes keeps the byte after it; with a newline, both go.
            (b"\\a\\ b \\\\ \\' \\\"", &[b"a b", b"\\", b"'", b"\""]),
            (
                b"\\&\\&\\; \\| \\< \\> \\` \\$(x)",
                &[b"&&;", b"|", b"<", b">", b"`", b"$(x)"],
            ),
            (b"a\\\nb c \\\n d", &[b"ab", b"c", b"d"]),
            // Parts in different quotes make one word.
            (b"a'b'\"c\"\\d", &[b"abcd"]),
            (b"--opt='a b'", &[b"--opt=a b"]),
            // An empty quoted part is a word; between words it is an empty one.
            (b"''", &[b""]),
            (b"\"\"", &[b""]),
            (b"a '' \"\" b", &[b"a", b"", b"", b"b"]),
            (b"a''", &[b"a"]),
            // Ordinary: #, globs, ~, =, parentheses, $ forms as written.
            (b"a # b #c", &[b"a", b"#", b"b", b"#c"]),
            (
                b"ls *.txt ~ ~/x [ab]? A=b (x)",
                &[b"ls", b"*.txt", b"~", b"~/x", b"[ab]?", b"A=b", b"(x)"],
            ),
            (
                b"echo $HOME ${A:-x} $$ $1 $@OPTS $ x$",
                &[
                    b"echo", b"$HOME", b"${A:-x}", b"$$", b"$1", b"$@OPTS", b"$", b"x$",
                ],
            ),
            (b"${A:-'x y'}", &[b"${A:-x y}"]),
            // $'…' is not a shell's ANSI-C quoting: a $, then a single-quoted part.
            (b"$'a\\tb'", &[b"$a\\tb"]),
            // A carriage return, bytes that are not UTF-8 and NUL are bytes of a word.
            (
                b"a\r b\xff\xfe \xc3\xa9 \0",
                &[b"a\r", b"b\xff\xfe", "é".as_bytes(), b"\0"],
            ),
        ];
        for (command, want) in cases {
            let want: Vec<Vec<u8>> = want.iter().map(|w| w.to_vec()).collect();
            assert_eq!(texts(command), Ok(want), "{}", show(command));
        }
    }

    #[test]
    fn expandable_keeps_literal_what_was_quoted_or_escaped() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (
                b"'$HOME' \"$HOME\" \\$HOME $HOME",
                &[b"$$HOME", b"$HOME", b"$$HOME", b"$HOME"],
            ),
            (
                b"\"\\$A\" '$$' \\$\\$ $$",
                &[b"$$A", b"$$$$", b"$$$$", b"$$"],
            ),
            // A quote or a backslash ends a name, so it is braced: the word goes on.
            (
                b"$A\"B\" \"$A\"B $A'B' $A\\B $A-B",
                &[b"${A}B", b"${A}B", b"${A}B", b"${A}B", b"$A-B"],
            ),
            (
                b"$@OPTS $@OPTS\"x\" \"$@OPTS\"",
                &[b"$@OPTS", b"$@{OPTS}x", b"$@OPTS"],
            ),
            // A $ that a quote or a backslash follows is literal, as in a shell.
            (
                b"\"$\"A $\"{A}\" $'B' $\\C $@'D' \"$@\"E",
                &[b"$$A", b"$${A}", b"$$B", b"$$C", b"$$@D", b"$$@E"],
            ),
            (b"${A:-'$B'} \"${A:-$B}\"", &[b"${A:-$$B}", b"${A:-$B}"]),
            (b"\\$(date) '`x`' \"\\`\"", &[b"$$(date)", b"`x`", b"`"]),
        ];
        for (command, want) in cases {
            let got: Result<Vec<Vec<u8>>, String> = split(command)
                .map(|words| words.into_iter().map(|w| w.expandable).collect())
                .map_err(|e| e.to_string());
            let want: Vec<Vec<u8>> = want.iter().map(|w| w.to_vec()).collect();
            assert_eq!(got, Ok(want), "{}", show(command));
        }
    }

    fn env(name: &str) -> Option<OsString> {
        let value = match name {
            "HOME" => "/root",
            "OPTS" => "-Xmx1g  -Dx=1",
            "A" => "x",
            "EMPTY" => "",
            _ => return None,
        };
        Some(value.into())
    }

    /// `command` split, then each word through `--expand`'s expansion.
    fn expanded(command: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let mut args = Vec::new();
        for word in split(command).map_err(|e| e.to_string())? {
            let words = expand::argument(&word.expandable, &env).map_err(|e| e.to_string())?;
            args.extend(words);
        }
        Ok(args)
    }

    #[test]
    fn expansion_of_the_words_is_a_shells_but_for_splitting() {
        // A command, and its arguments after --expand or the error's message.
        type Case<'a> = (&'a [u8], Result<&'a [&'a [u8]], &'a str>);
        let cases: &[Case] = &[
            (
                b"'$HOME' \"$HOME\" \\$HOME $@OPTS",
                Ok(&[b"$HOME", b"/root", b"$HOME", b"-Xmx1g", b"-Dx=1"]),
            ),
            // A value with blanks stays one word, quoted or not; only $@NAME splits.
            (
                b"a $OPTS \"$OPTS\"",
                Ok(&[b"a", b"-Xmx1g  -Dx=1", b"-Xmx1g  -Dx=1"]),
            ),
            (
                b"\"$@OPTS\" '$@OPTS' $@EMPTY",
                Ok(&[b"-Xmx1g", b"-Dx=1", b"$@OPTS"]),
            ),
            (
                b"$A\"B\" \"$A\"B $A'$B' $A\\$B",
                Ok(&[b"xB", b"xB", b"x$B", b"x$B"]),
            ),
            (
                b"\"$\"A $\"{A}\" \"\\$$A\" $$ '$$'",
                Ok(&[b"$A", b"${A}", b"$x", b"$", b"$$"]),
            ),
            (
                b"${UNSET:-'$HOME'} \"${UNSET:-$HOME}\" ${A:+'a b'}",
                Ok(&[b"$HOME", b"/root", b"a b"]),
            ),
            (
                b"--home=$HOME/x '#' $1",
                Ok(&[b"--home=/root/x", b"#", b"$1"]),
            ),
            // What a shell would do differently is an error, not a surprise.
            (
                b"$@OPTS\"x\"",
                Err(
                    "$@{OPTS}x: $@NAME and $@{…} split a value into arguments, so they must be the whole argument",
                ),
            ),
            (
                b"\"$UNSET\"x",
                Err("${UNSET} is not set (no default given)"),
            ),
        ];
        for (command, want) in cases {
            let want = want
                .map(|w| w.iter().map(|w| w.to_vec()).collect())
                .map_err(str::to_string);
            assert_eq!(expanded(command), want, "{}", show(command));
        }
    }

    #[test]
    fn the_advice_for_and_and_sequence_follows_where_the_command_was_written() {
        let error = split(b"php-fpm -F; nginx").unwrap_err();
        let said = |place| In(&error, place).to_string();
        assert_eq!(said(Place::Pre), error.to_string());
        assert!(said(Place::Pre).contains("use two --pre (one after the other)"));
        assert!(said(Place::Also).contains(
            "run what comes first as a step with --pre, and each program beside with its own --also"
        ));
        assert!(said(Place::Procfile).contains("run the step first on a release: line"));
        // Other operators get the same advice wherever they were written.
        let background = split(b"a & b").unwrap_err();
        for place in [Place::Pre, Place::Also, Place::Procfile] {
            assert_eq!(In(&background, place).to_string(), background.to_string());
        }
    }

    #[test]
    fn what_a_shell_would_run_is_an_error_that_says_what_to_write() {
        const PRE: &str = "use two --pre (one after the other)";
        const ALSO: &str = "use --also for a program beside";
        const PIPE: &str = "use the program's own options, or sh -c '…' if the image has a shell";
        const REDIRECT: &str = "use the program's own option for its files (its output goes where \
                                tend's goes), or sh -c '…' if the image has a shell";
        const OR: &str = "a fallback needs a shell script (sh -c '…', if the image has a shell)";
        let operator = |op: &str, column: usize, command: &str, instead: &str| {
            format!(
                "'{op}' at column {column} of '{command}' is a shell operator, and tend runs \
                 no shell: {instead}, or quote it to pass it as an argument"
            )
        };
        let mut cases: Vec<(&[u8], String)> = vec![
            (
                b"python manage.py migrate && gunicorn app",
                operator("&&", 26, "python manage.py migrate && gunicorn app", PRE),
            ),
            (b"a;b", operator(";", 2, "a;b", PRE)),
            (b"a ; b", operator(";", 3, "a ; b", PRE)),
            (
                b"php-fpm & nginx -g 'daemon off;'",
                operator("&", 9, "php-fpm & nginx -g 'daemon off;'", ALSO),
            ),
            (b"cron&", operator("&", 5, "cron&", ALSO)),
            (b"a | b", operator("|", 3, "a | b", PIPE)),
            (b"a |& b", operator("|&", 3, "a |& b", PIPE)),
            (b"a || true", operator("||", 3, "a || true", OR)),
            (b"a < in", operator("<", 3, "a < in", REDIRECT)),
            (b"a > out", operator(">", 3, "a > out", REDIRECT)),
            (b"a>out", operator(">", 2, "a>out", REDIRECT)),
            (b"a >> log", operator(">>", 3, "a >> log", REDIRECT)),
            (b"a 2> err", operator("2>", 3, "a 2> err", REDIRECT)),
            (b"a 2>&1", operator("2>&1", 3, "a 2>&1", REDIRECT)),
            (b"a >&- x", operator(">&-", 3, "a >&- x", REDIRECT)),
            (b"a &> log", operator("&>", 3, "a &> log", REDIRECT)),
            (b"a x2>err", operator(">", 5, "a x2>err", REDIRECT)),
            (b"a \"2\">err", operator(">", 6, "a \"2\">err", REDIRECT)),
            (b"a <<EOF", operator("<<", 3, "a <<EOF", REDIRECT)),
            // The first error from the left is the one reported.
            (b"a && 'b", operator("&&", 3, "a && 'b", PRE)),
        ];
        let substitution = |form: &str, what: &str, column: usize, command: &str| {
            format!(
                "'{form}' at column {column} of '{command}' starts {what}, and tend runs no \
                 shell: put the value in a variable and write $NAME with --expand, or write \
                 \\{form} for a literal {form}"
            )
        };
        let command = "command substitution";
        cases.extend([
            (&b"echo `date`"[..], substitution("`", command, 6, "echo `date`")),
            (b"echo \"`date`\"", substitution("`", command, 7, "echo \"`date`\"")),
            (b"echo $(date)", substitution("$(", command, 6, "echo $(date)")),
            (b"echo \"x$(date)\"", substitution("$(", command, 8, "echo \"x$(date)\"")),
            (b"echo $((1+2))", substitution("$((", "arithmetic expansion", 6, "echo $((1+2))")),
            (
                b"echo a\\",
                "the backslash at column 7 of 'echo a\\' escapes nothing: write \\\\ for a backslash".into(),
            ),
            (
                b"echo it's",
                "the single quote at column 8 of 'echo it's' is not closed: end it with another '".into(),
            ),
            (
                b"echo \"a\\\"",
                "the double quote at column 6 of 'echo \"a\\\"' is not closed: end it with another \"".into(),
            ),
            (
                "é '".as_bytes(),
                "the single quote at column 3 of 'é '' is not closed: end it with another '".into(),
            ),
            (
                b"migrate\nserve",
                "the newline at column 8 of 'migrate\\nserve' is outside quotes: write one command \
                 per --pre or --also (one a line in TEND_PRE and TEND_ALSO), or quote the newline \
                 to pass it"
                    .into(),
            ),
        ]);
        for blank in [&b""[..], b"  ", b"\t \t", b" \\\n "] {
            let shown = show(blank);
            let want = format!(
                "the command '{shown}' is empty: write the program to run and its arguments"
            );
            cases.push((blank, want));
        }
        for (command, want) in &cases {
            assert_eq!(texts(command), Err(want.clone()), "{}", show(command));
        }
    }

    #[test]
    fn errors_are_one_bounded_line_that_shows_the_construct() {
        let long = "x".repeat(10_000);
        let cases = [
            format!("{long} && b"),
            format!("{long} {}", ";".repeat(10_000)),
            format!("a {}>x", "2".repeat(10_000)),
            format!("{long} '{long}"),
            format!("\"{}", "\n\r\u{85}\u{2028}".repeat(1000)),
            format!("{} $(x)", "é".repeat(1000)),
            format!("{}\n", "\0".repeat(1000)),
            format!("{long}\\"),
        ];
        for command in &cases {
            let error = split(command.as_bytes()).err();
            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(!message.is_empty(), "{command:.40} should fail");
            assert!(
                !message.contains(['\n', '\r', '\u{85}', '\u{2028}']),
                "{message:?}"
            );
            assert!(message.len() <= 400, "{}: {message}", message.len());
        }
        // A construct far into a long command still shows, after a cut.
        let message = split(format!("{long} && b").as_bytes()).map_err(|e| e.to_string());
        let shown = format!("at column 10002 of '…{} && b'", "x".repeat(31));
        assert!(
            message.as_ref().err().is_some_and(|m| m.contains(&shown)),
            "{message:?}"
        );
        let message =
            split(format!("a {}>x", "2".repeat(100)).as_bytes()).map_err(|e| e.to_string());
        assert!(
            message
                .as_ref()
                .err()
                .is_some_and(|m| m.starts_with("'222222222222…' at column 3 of")),
            "{message:?}"
        );
    }

    #[test]
    fn quote_writes_words_back_as_a_command() {
        let cases: &[(&[&[u8]], &[u8])] = &[
            (&[], b""),
            (
                &[b"gunicorn", b"-b", b"0.0.0.0:8000", b"app:wsgi"],
                b"gunicorn -b 0.0.0.0:8000 app:wsgi",
            ),
            (
                &[b"nginx", b"-g", b"daemon off;"],
                b"nginx -g 'daemon off;'",
            ),
            (
                &[b"", b"it's", b"$HOME", b"#", b"~", b"*"],
                b"'' 'it'\\''s' '$HOME' '#' '~' '*'",
            ),
            (
                &[b"a\nb", b"\xff", b"--x=@%+,./-_"],
                b"'a\nb' '\xff' --x=@%+,./-_",
            ),
        ];
        for (words, want) in cases {
            assert_eq!(quote(words), want.to_vec(), "{words:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::entry::expand;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Bytes that make up quoting and operators, so that random text is mostly syntax.
    fn syntax_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            3 => proptest::sample::select(b"'\"\\$`(){}@&|;<>#2 \t\nAB_".to_vec()),
            1 => any::<u8>(),
        ]
    }

    fn texts(words: &[Word]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.text.clone()).collect()
    }

    proptest! {
        #[test]
        fn split_reads_back_what_quote_wrote(
            words in vec(vec(prop_oneof![syntax_byte(), any::<u8>()], 0..20), 1..8)
        ) {
            let command = quote(&words);
            let split = split(&command).map_err(|e| e.to_string());
            prop_assert_eq!(split.as_ref().map(|w| texts(w)), Ok(words.clone()));
            // And --expand finds nothing to expand in it.
            let none = |_: &str| None;
            for word in split.iter().flatten() {
                let expanded = expand::argument(&word.expandable, &none).map_err(|e| e.to_string());
                prop_assert_eq!(expanded, Ok(vec![word.text.clone()]));
            }
        }

        #[test]
        fn quote_of_a_split_splits_the_same(command in vec(syntax_byte(), 0..200)) {
            match split(&command) {
                Ok(words) => {
                    prop_assert!(!words.is_empty());
                    let texts = texts(&words);
                    let again = split(&quote(&texts)).map(|w| self::texts(&w));
                    prop_assert_eq!(again, Ok(texts.clone()));
                    // Words are bytes of the command: quoting only takes away.
                    let bytes: usize = texts.iter().map(Vec::len).sum();
                    prop_assert!(bytes <= command.len());
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.contains(['\n', '\r']), "{}", message);
                    prop_assert!(message.len() <= 400, "{}", message);
                    prop_assert!(e.column >= 1 && e.column <= command.len().max(1));
                }
            }
        }

        #[test]
        fn plain_words_split_on_blanks(
            words in vec("[A-Za-z0-9_@%+=:,./#*~-]{1,10}", 1..8),
            gaps in vec("[ \t]{1,3}", 9),
        ) {
            let mut command = gaps[8].clone();
            for (word, gap) in words.iter().zip(&gaps) {
                command.push_str(word);
                command.push_str(gap);
            }
            let want: Vec<Vec<u8>> = words.iter().map(|w| w.clone().into_bytes()).collect();
            let split = split(command.as_bytes()).map_err(|e| e.to_string());
            prop_assert_eq!(split.as_ref().map(|w| texts(w)), Ok(want));
            for word in split.iter().flatten() {
                prop_assert_eq!(&word.expandable, &word.text);
            }
        }
    }
}
