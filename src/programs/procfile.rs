//! `--procfile`: the Procfile of Heroku, foreman and honcho (issue 19,
//! item 5), as bytes → entries. Pure: the caller reads the file, at most
//! `MAX_SIZE` bytes of it.
//!
//! Each line is `NAME: COMMAND`, a `#` comment or blank; blanks may lead
//! any of them. NAME is ASCII letters, digits, `_` and `-`, right before
//! the colon; COMMAND is split by `words::split`, so quoting is a shell's
//! and nothing runs a shell. Where foreman and honcho skip a line they do not
//! understand, tend refuses it: a typo must not drop a program. Lines end
//! in LF or CRLF (a file saved on Windows reads the same), a UTF-8 byte
//! order mark at the start is skipped, and the file is bytes: a command need
//! not be UTF-8, as argv need not. The entry named `release` is Heroku's
//! release phase. A file with no entry is not an error here: whether that
//! leaves nothing to run depends on the command line.
//!
//! Invariant: one pass over the lines, and one sort of the names to find
//! one used twice (n log n, never quadratic); entries keep the file's
//! order; names are distinct and valid; an error is one bounded line
//! naming its line number.

use std::fmt;

use super::words::{self, SplitError, Word};
use crate::iter::IntoVec;

/// The largest Procfile tend reads, in bytes: a Procfile is a few lines,
/// and a bigger file is a mistake (a binary, a log) that tend must not parse.
pub const MAX_SIZE: usize = 1 << 20;

/// The name of the entry that is Heroku's release phase: a one-shot step
/// run before every program, after any `--pre`.
pub const RELEASE: &str = "release";

/// The most bytes of a line or a name an error quotes.
const QUOTE_LIMIT: usize = 64;

/// One `NAME: COMMAND` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// NAME: ASCII letters, digits, `_` and `-`, never empty.
    pub name: String,
    /// The 1-based line it is on.
    pub line: usize,
    /// COMMAND, split; never empty.
    pub words: Vec<Word>,
}

impl Entry {
    /// Whether this is the release phase, run once before the programs.
    pub fn is_release(&self) -> bool {
        self.name == RELEASE
    }
}

/// Why a Procfile was refused. Names and lines are quoted for display:
/// escaped to one line and cut to a bounded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcfileError {
    /// More than `MAX_SIZE` bytes; `size` is how many were given.
    TooLarge { size: usize },
    /// A line that is neither blank, a comment nor has a colon.
    NoColon { line: usize, text: String },
    /// The text before the colon is not a NAME (it may be empty).
    BadName { line: usize, name: String },
    /// Nothing but blanks after the colon.
    EmptyCommand { line: usize, name: String },
    /// A NUL byte, which no argument can hold: a binary file, most likely.
    Nul { line: usize },
    /// The command does not split into words.
    Command {
        line: usize,
        name: String,
        error: SplitError,
    },
    /// A NAME used before, at line `first`.
    Duplicate {
        line: usize,
        name: String,
        first: usize,
    },
}

impl fmt::Display for ProcfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORM: &str = "a line is NAME: COMMAND, a # comment or blank";
        match self {
            Self::TooLarge { size } => write!(
                f,
                "{size} bytes is more than a Procfile may hold ({MAX_SIZE}): \
                 is it the right file?"
            ),
            Self::NoColon { line, text } => {
                write!(f, "line {line}: '{text}' has no colon: {FORM}")
            }
            Self::BadName { line, name } if name.is_empty() => {
                write!(f, "line {line}: no name before the colon: {FORM}")
            }
            Self::BadName { line, name } if is_name(name.trim_end_matches(' ').as_bytes()) => {
                let name = name.trim_end_matches(' ');
                write!(
                    f,
                    "line {line}: a blank between {name} and the colon: write {name}: COMMAND"
                )
            }
            Self::BadName { line, name } => write!(
                f,
                "line {line}: '{name}' is not a name: a name is ASCII letters, digits, _ and -, \
                 right before the colon"
            ),
            Self::EmptyCommand { line, name } => write!(
                f,
                "line {line}: {name} has no command: write the program to run after the colon"
            ),
            Self::Nul { line } => write!(
                f,
                "line {line} holds a NUL byte, which no command can: is it a text file?"
            ),
            Self::Command { line, name, error } => {
                let error = super::words::In(error, super::words::Place::Procfile);
                write!(f, "line {line}: {name}: {error}")
            }
            Self::Duplicate { line, name, first } => write!(
                f,
                "line {line}: {name} is named already at line {first}: each program needs \
                 its own name"
            ),
        }
    }
}

impl std::error::Error for ProcfileError {}

/// The entries of a Procfile, in the file's order (see the module's doc
/// for the format).
///
/// Errors: more than `MAX_SIZE` bytes; the first bad line (no colon, a bad
/// name, an empty command, a NUL byte, a command that does not split), or
/// the first name used twice, whichever comes first.
pub fn parse(text: &[u8]) -> Result<Vec<Entry>, ProcfileError> {
    if text.len() > MAX_SIZE {
        return Err(ProcfileError::TooLarge { size: text.len() });
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut entries: Vec<Entry> = Vec::new();
    let mut bad = None;
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match entry(line, i + 1) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => {}
            Err(e) => {
                bad = Some(e);
                break;
            }
        }
    }
    // Every entry is before the bad line, so a name used twice comes first.
    if let Some((name, line, first)) = first_repeat(&entries) {
        return Err(ProcfileError::Duplicate {
            line,
            name: shown(name.as_bytes()),
            first,
        });
    }
    match bad {
        Some(e) => Err(e),
        None => Ok(entries),
    }
}

/// The first name in the file that an earlier entry has: the name, its
/// line and the earlier one's. By one sort of (name, line) pairs, not a
/// hash table: std's is kilobytes of code, and a RandomState would make a
/// getrandom(2) call that a run of one program never made before issue 19.
/// `unique_names` sorts the same pairs, so the two share one sort's code.
fn first_repeat(entries: &[Entry]) -> Option<(&str, usize, usize)> {
    let mut order: Vec<(&str, usize)> =
        entries.iter().map(|e| (e.name.as_str(), e.line)).into_vec();
    order.sort_unstable();
    order
        .windows(2)
        .filter_map(|pair| match pair {
            [(name, first), (again, line)] if name == again => Some((*name, *line, *first)),
            _ => None,
        })
        .min_by_key(|(_, line, _)| *line)
}

/// A name: ASCII letters, digits, `_` and `-`, at least one. Pure.
fn is_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Line `number`, its line end removed → its entry, or `None` for a blank
/// or comment line.
fn entry(line: &[u8], number: usize) -> Result<Option<Entry>, ProcfileError> {
    let line = skip_blanks(line);
    if line.is_empty() || line.starts_with(b"#") {
        return Ok(None);
    }
    if line.contains(&0) {
        return Err(ProcfileError::Nul { line: number });
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        let text = shown(line);
        return Err(ProcfileError::NoColon { line: number, text });
    };
    let name = line.get(..colon).unwrap_or_default();
    if !is_name(name) {
        let name = shown(name);
        return Err(ProcfileError::BadName { line: number, name });
    }
    // All ASCII: checked just above.
    let name = String::from_utf8_lossy(name).into_owned();
    // Without its leading blanks, so that an error's column counts from the command.
    let command = skip_blanks(line.get(colon + 1..).unwrap_or_default());
    if command.is_empty() {
        let name = shown(name.as_bytes());
        return Err(ProcfileError::EmptyCommand { line: number, name });
    }
    match words::split(command) {
        Ok(words) => Ok(Some(Entry {
            name,
            line: number,
            words,
        })),
        Err(error) => Err(ProcfileError::Command {
            line: number,
            name: shown(name.as_bytes()),
            error,
        }),
    }
}

/// `bytes` without the blanks (spaces and tabs) that lead it.
fn skip_blanks(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Part of a line for an error, on one bounded line.
fn shown(bytes: &[u8]) -> String {
    words::display(bytes, QUOTE_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as (name, line, the texts of its words).
    type Shown = (String, usize, Vec<Vec<u8>>);

    /// The entries of `text`, or the error's message.
    fn entries(text: &[u8]) -> Result<Vec<Shown>, String> {
        let entries = parse(text).map_err(|e| e.to_string())?;
        let entry = |e: Entry| {
            let words = e.words.into_iter().map(|w| w.text).collect();
            (e.name, e.line, words)
        };
        Ok(entries.into_iter().map(entry).collect())
    }

    fn entry(name: &str, line: usize, words: &[&str]) -> Shown {
        let words = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        (name.to_string(), line, words)
    }

    #[test]
    fn lines_are_entries_comments_or_blank() {
        let text = b"# The example app\n\
            release: python manage.py migrate --noinput\n\
            \n\
            web: gunicorn -b 0.0.0.0:$PORT app:wsgi\n  \t\n\
            \t  # indented comment\n\
            worker_2:celery -A app worker   \n\
            nginx-1:   nginx -g 'daemon off;' # not a comment\n";
        let want = vec![
            entry(
                "release",
                2,
                &["python", "manage.py", "migrate", "--noinput"],
            ),
            entry("web", 4, &["gunicorn", "-b", "0.0.0.0:$PORT", "app:wsgi"]),
            entry("worker_2", 7, &["celery", "-A", "app", "worker"]),
            entry(
                "nginx-1",
                8,
                &["nginx", "-g", "daemon off;", "#", "not", "a", "comment"],
            ),
        ];
        assert_eq!(entries(text), Ok(want));
    }

    #[test]
    fn windows_line_ends_a_byte_order_mark_and_bytes_are_accepted() {
        let text = b"\xEF\xBB\xBFweb: app --x\r\n\r\nworker: w\xff\r\n  # c\r\nlast: z\r";
        let want = vec![
            entry("web", 1, &["app", "--x"]),
            (String::from("worker"), 3, vec![b"w\xff".to_vec()]),
            entry("last", 5, &["z"]),
        ];
        assert_eq!(entries(text), Ok(want));
        // A carriage return elsewhere is a byte of the command, as a shell keeps it.
        assert_eq!(entries(b"a: x\ry\n"), Ok(vec![entry("a", 1, &["x\ry"])]));
        // Only the release entry is the release phase.
        let parsed = parse(b"release: a\nRelease: b\nreleased: c\n").unwrap_or_default();
        let release: Vec<bool> = parsed.iter().map(Entry::is_release).collect();
        assert_eq!(release, [true, false, false]);
    }

    #[test]
    fn nothing_to_run_is_for_the_caller_to_judge() {
        for text in [&b""[..], b"\n\n", b"# only a comment\r\n", b"\xEF\xBB\xBF"] {
            assert_eq!(entries(text), Ok(vec![]), "{text:?}");
        }
    }

    #[test]
    fn a_bad_line_says_which_and_why() {
        let form = "a line is NAME: COMMAND, a # comment or blank";
        let name =
            "is not a name: a name is ASCII letters, digits, _ and -, right before the colon";
        let cases: Vec<(&[u8], String)> = vec![
            (
                b"web: a\nworker celery\n",
                format!("line 2: 'worker celery' has no colon: {form}"),
            ),
            (
                b"  \t\n: app\n",
                format!("line 2: no name before the colon: {form}"),
            ),
            (
                b"web : app\n",
                "line 1: a blank between web and the colon: write web: COMMAND".into(),
            ),
            (
                b" web  : app\n",
                "line 1: a blank between web and the colon: write web: COMMAND".into(),
            ),
            (b"my web : app\n", format!("line 1: 'my web ' {name}")),
            (b"my.web: app\n", format!("line 1: 'my.web' {name}")),
            (b"w\xc3\xa9b: app\n", format!("line 1: 'w\u{e9}b' {name}")),
            (b"w\xffb: app\n", format!("line 1: 'w\\xffb' {name}")),
            (
                b"\xEF\xBB\xBF\xEF\xBB\xBFweb: a\n",
                format!("line 1: '\u{feff}web' {name}"),
            ),
            (
                b"web:\nworker: w\n",
                "line 1: web has no command: write the program to run after the colon".into(),
            ),
            (
                b"a: b\nweb:  \t\r\n",
                "line 2: web has no command: write the program to run after the colon".into(),
            ),
            (
                b"a: b\n\nc: d\0\n",
                "line 3 holds a NUL byte, which no command can: is it a text file?".into(),
            ),
            (
                b"web: migrate && serve\n",
                "line 1: web: '&&' at column 9 of 'migrate && serve' is a shell operator, and \
                 tend runs no shell: run the step first on a release: line (it runs before the \
                 programs start), or with --pre, or quote it to pass it as an argument"
                    .into(),
            ),
            (
                b"a: b\r\nweb: echo 'x\r\n",
                "line 2: web: the single quote at column 6 of 'echo 'x' is not closed: end it \
                 with another '"
                    .into(),
            ),
            (
                b"web: a\nworker: b\n# web: c\nweb: d\n",
                "line 4: web is named already at line 1: each program needs its own name".into(),
            ),
            // Whichever comes first: the bad line, or the name used twice.
            (
                b"a: x\nb: x\na: y\nb: y\nno colon\n",
                "line 3: a is named already at line 1: each program needs its own name".into(),
            ),
            (
                b"b: x\na: x\na: y\nb: y\n",
                "line 3: a is named already at line 2: each program needs its own name".into(),
            ),
            (
                b"a: x\nb: x\nno colon\na: y\n",
                format!("line 3: 'no colon' has no colon: {form}"),
            ),
            (
                b"a: x\na: y\na: z\n",
                "line 2: a is named already at line 1: each program needs its own name".into(),
            ),
        ];
        for (text, want) in &cases {
            assert_eq!(entries(text), Err(want.clone()), "{text:?}");
        }
    }

    #[test]
    fn a_big_file_is_refused_before_it_is_read_and_a_long_one_is_linear() {
        let mut text = b"web: app\n".to_vec();
        text.resize(MAX_SIZE + 1, b'#');
        let want = format!(
            "{} bytes is more than a Procfile may hold ({MAX_SIZE}): is it the right file?",
            MAX_SIZE + 1
        );
        assert_eq!(entries(&text), Err(want));
        // The most entries that fit, all distinct: a quadratic search for names
        // used twice would make this take minutes, not a second.
        let mut text = Vec::new();
        let mut n = 0;
        while text.len() < MAX_SIZE - 32 {
            text.extend_from_slice(format!("p{n}: a\n").as_bytes());
            n += 1;
        }
        assert_eq!(parse(&text).map(|e| e.len()), Ok(n));
        text.extend_from_slice(b"p7: b");
        let error = parse(&text).err().map(|e| e.to_string());
        let want = format!(
            "line {}: p7 is named already at line 8: each program needs its own name",
            n + 1
        );
        assert_eq!(error, Some(want));
    }

    #[test]
    fn errors_are_one_bounded_line() {
        let long = "n".repeat(100_000);
        let cases = [
            format!("{long}: app\n{long}: app\n"),
            format!("{long}\n"),
            format!("{long}.x: app\n"),
            format!("{long}:\n"),
            format!("{long}: a && b\n"),
            format!("{}: a\n", "\u{85}\u{2028}".repeat(1000)),
            format!("x {}\n", "\r".repeat(1000)),
        ];
        for text in &cases {
            let message = parse(text.as_bytes()).err().map(|e| e.to_string());
            let message = message.unwrap_or_default();
            assert!(!message.is_empty(), "{text:.40} should fail");
            assert!(
                !message.contains(['\n', '\r', '\u{85}', '\u{2028}']),
                "{message:?}"
            );
            assert!(message.len() <= 400, "{}: {message}", message.len());
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// `parse` as it was written first: one pass, a set of the names seen.
    fn in_one_pass(text: &[u8]) -> Result<Vec<Entry>, ProcfileError> {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        let mut lines = std::collections::HashMap::new();
        let mut entries = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(entry) = entry(line, i + 1)? else {
                continue;
            };
            if let Some(&first) = lines.get(&entry.name) {
                let name = shown(entry.name.as_bytes());
                return Err(ProcfileError::Duplicate {
                    line: i + 1,
                    name,
                    first,
                });
            }
            lines.insert(entry.name.clone(), i + 1);
            entries.push(entry);
        }
        Ok(entries)
    }

    proptest! {
        #[test]
        fn names_used_twice_are_found_as_one_pass_finds_them(
            lines in vec(prop_oneof![
                Just("a: x"), Just("b: x"), Just("c: x"), Just("a: y"), Just("b: y"),
                Just("# c"), Just(""), Just("no colon"), Just("d:"),
            ], 0..12),
        ) {
            let text = lines.join("\n");
            prop_assert_eq!(parse(text.as_bytes()), in_one_pass(text.as_bytes()));
        }

        #[test]
        fn a_written_procfile_reads_back(
            programs in vec(("[A-Za-z0-9_-]{1,8}", vec(vec(any::<u8>(), 0..8), 1..5)), 0..8),
            gaps in vec(prop_oneof![Just(""), Just("\n"), Just("# c\n"), Just("  \t\n")], 9),
            crlf in any::<bool>(),
            indent in "[ \t]{0,2}",
        ) {
            // Distinct names; words without NUL (which a Procfile refuses) or a newline
            // (a Procfile command is one line).
            let mut seen = std::collections::HashSet::new();
            let programs: Vec<(String, Vec<Vec<u8>>)> = programs
                .into_iter()
                .filter(|(name, _)| seen.insert(name.clone()))
                .map(|(name, words)| {
                    let words = words
                        .into_iter()
                        .map(|w| w.into_iter().filter(|&b| b != 0 && b != b'\n' && b != b'\r').collect())
                        .collect();
                    (name, words)
                })
                .collect();
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = Vec::new();
            let mut want = Vec::new();
            for ((name, words), gap) in programs.iter().zip(&gaps) {
                text.extend_from_slice(gap.replace('\n', end).as_bytes());
                let line = 1 + text.iter().filter(|&&b| b == b'\n').count();
                text.extend_from_slice(format!("{indent}{name}: ").as_bytes());
                text.extend_from_slice(&words::quote(words));
                text.extend_from_slice(end.as_bytes());
                want.push((name.clone(), line, words.clone()));
            }
            let got = parse(&text).map(|entries| {
                entries
                    .into_iter()
                    .map(|e| (e.name, e.line, e.words.into_iter().map(|w| w.text).collect()))
                    .collect::<Vec<(String, usize, Vec<Vec<u8>>)>>()
            });
            prop_assert_eq!(got.map_err(|e| e.to_string()), Ok(want));
        }

        #[test]
        fn any_bytes_give_entries_or_one_bounded_line(
            text in vec(proptest::sample::select(b"ab_-:# \t\r\n'\"\\&;|$`\0\xff".to_vec()), 0..300)
        ) {
            match parse(&text) {
                Ok(entries) => {
                    let lines = 1 + text.iter().filter(|&&b| b == b'\n').count();
                    let mut names = std::collections::HashSet::new();
                    let mut last = 0;
                    for entry in &entries {
                        prop_assert!(entry.line > last && entry.line <= lines);
                        last = entry.line;
                        prop_assert!(names.insert(entry.name.clone()));
                        prop_assert!(!entry.name.is_empty());
                        prop_assert!(!entry.words.is_empty());
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.contains(['\n', '\r']), "{}", message);
                    prop_assert!(message.len() <= 400, "{}", message);
                }
            }
        }
    }
}
