//! The walk over argv and the environment that every command-line dialect
//! shares: tend's own, and dumb-init's under its name. Pure. A table of
//! `Opt`s says what there is; this module finds each option, takes its
//! value, reads its variables and applies them, and reports problems as
//! values, which each dialect words its own way.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

use super::options::{self, Given, Group, List, Opt, Read, Source, Takes, Var};
use super::{Applied, Env, Origin, Settings, values};
use crate::iter::IntoVec;

/// One option as argv gave it.
pub struct Occurrence<'a> {
    pub opt: &'static Opt,
    /// As written, for messages: `-p`, `--grace`, `URL`.
    pub written: String,
    pub value: Option<&'a str>,
}

/// What is wrong with a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An option the table lacks, as written: `--yolo`, `-x`.
    Unknown(String),
    /// A letter of a cluster of short options that the table lacks
    /// (`written`, `-r`), and the whole word (`-grace`), which may be a long
    /// option written with one dash.
    UnknownInWord {
        written: String,
        word: String,
    },
    NeedsValue {
        written: String,
        what: &'static str,
    },
    TakesNoValue {
        written: String,
        text: String,
    },
    NotUtf8(String),
    /// A value its option (or variable) refused, and what it expected.
    Invalid {
        name: String,
        value: String,
        expected: String,
    },
    /// Anything else, in the words of the dialect that found it.
    Other(String),
}

/// What a walk over argv found.
pub struct Scanned<'a> {
    /// The options, each with its value; Err at the first that is wrong.
    pub given: Result<Vec<Occurrence<'a>>, Problem>,
    /// `--probe` came before the program (or the problem).
    pub probe_mode: bool,
    /// What is left: PROGRAM and its arguments.
    pub command: &'a [OsString],
}

/// Walk argv against `table`. Options stop at the program (or after `--`);
/// once the table's `--probe` is seen, a non-option is the URL instead,
/// and options may follow it. An information option ends the walk.
/// `strict` refuses `--` and the table's own options as the next
/// argument's value (tend's rule, issue 20 #5; getopt takes anything).
pub fn scan<'a>(args: &'a [OsString], table: &'static [Opt], strict: bool) -> Scanned<'a> {
    let mut probe_mode = false;
    let mut rest = args;
    let mut given = Vec::new();
    let result = loop {
        let Some((arg, tail)) = rest.split_first() else {
            break Ok(());
        };
        match scan_one(arg, tail, table, probe_mode, strict, &mut given) {
            Ok(Step::Next(after)) => rest = after,
            Ok(Step::Program) => break Ok(()),
            Ok(Step::ProgramAfter) => {
                rest = tail;
                break Ok(());
            }
            Ok(Step::Info) => {
                rest = &[];
                break Ok(());
            }
            Err(problem) => break Err(problem),
        }
        probe_mode |= given
            .last()
            .is_some_and(|g| g.opt.long == Some(options::PROBE));
    };
    Scanned {
        given: result.map(|()| given),
        probe_mode,
        command: if probe_mode { &[] } else { rest },
    }
}

enum Step<'a> {
    /// Go on with these arguments.
    Next(&'a [OsString]),
    /// `arg` is the program: stop.
    Program,
    /// `arg` is `--`: the program is what follows.
    ProgramAfter,
    /// --help, --version or -l: nothing else matters.
    Info,
}

/// The option of `table` with this long name, or else this short one, or
/// with neither: the positional.
pub fn find(
    table: &'static [Opt],
    long: Option<&str>,
    short: Option<char>,
) -> Option<&'static Opt> {
    table.iter().find(|o| match (long, short) {
        (Some(name), _) => o.long == Some(name),
        (None, Some(c)) => o.short == Some(c),
        (None, None) => o.long.is_none() && o.short.is_none(),
    })
}

/// The probe's URL, a positional, as given.
fn positional<'a>(table: &'static [Opt], text: &'a str) -> Result<Occurrence<'a>, Problem> {
    let opt = find(table, None, None)
        .ok_or_else(|| Problem::Other(format!("unexpected argument '{text}'")))?;
    Ok(Occurrence {
        opt,
        written: opt.name(),
        value: Some(text),
    })
}

/// One argument (and the value it takes from `tail`, if any).
fn scan_one<'a>(
    arg: &'a OsString,
    tail: &'a [OsString],
    table: &'static [Opt],
    probe_mode: bool,
    strict: bool,
    given: &mut Vec<Occurrence<'a>>,
) -> Result<Step<'a>, Problem> {
    let mut rest = tail;
    let table_if_strict = strict.then_some(table);
    let text = match arg.to_str() {
        Some(text) => text,
        None if probe_mode => return Err(Problem::NotUtf8(quote(arg))),
        None => return Ok(Step::Program),
    };
    if text == "--" {
        if !probe_mode {
            return Ok(Step::ProgramAfter);
        }
        // In probe mode whatever follows is positional.
        for url in tail {
            let url = url.to_str().ok_or_else(|| Problem::NotUtf8(quote(url)))?;
            given.push(positional(table, url)?);
        }
        return Ok(Step::Next(&[]));
    }
    if !text.starts_with('-') || text == "-" {
        if !probe_mode {
            return Ok(Step::Program);
        }
        given.push(positional(table, text)?);
        return Ok(Step::Next(tail));
    }
    if let Some(long) = text.strip_prefix("--") {
        let (name, inline) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (long, None),
        };
        let opt =
            find(table, Some(name), None).ok_or_else(|| Problem::Unknown(text.to_string()))?;
        let written = format!("--{name}");
        let value = match (opt.takes, inline) {
            (Takes::Nothing | Takes::Count, Some(_)) => {
                let text = text.to_string();
                return Err(Problem::TakesNoValue { written, text });
            }
            (Takes::Nothing | Takes::Count | Takes::Inline(_), _) => inline,
            (Takes::Value(_), Some(v)) => Some(v),
            (Takes::Value(what), None) => {
                Some(take_value(&mut rest, &written, what, table_if_strict)?)
            }
        };
        let info = opt.group == Group::Info;
        given.push(Occurrence {
            opt,
            written,
            value,
        });
        return Ok(if info { Step::Info } else { Step::Next(rest) });
    }
    for (i, c) in text[1..].char_indices() {
        let written = format!("-{c}");
        let opt = find(table, None, Some(c)).ok_or_else(|| match text.chars().count() {
            2 => Problem::Unknown(written.clone()),
            _ => Problem::UnknownInWord {
                written: written.clone(),
                word: text.to_string(),
            },
        })?;
        let attached = &text[1 + i + c.len_utf8()..];
        let value = match opt.takes {
            Takes::Nothing | Takes::Count | Takes::Inline(_) => None,
            Takes::Value(_) if !attached.is_empty() => Some(attached),
            Takes::Value(what) => Some(take_value(&mut rest, &written, what, table_if_strict)?),
        };
        let (info, takes_value) = (opt.group == Group::Info, value.is_some());
        given.push(Occurrence {
            opt,
            written,
            value,
        });
        if info {
            return Ok(Step::Info);
        }
        if takes_value {
            break;
        }
    }
    Ok(Step::Next(rest))
}

/// The next argument, as the value of `flag`. With `table`, neither `--`
/// nor one of its options may be that value: `--default-program --
/// app` forgot the value, and `--user --chown /data` too. `--flag=VALUE`
/// (`-xVALUE`) is the way to give such a value.
fn take_value<'a>(
    rest: &mut &'a [OsString],
    flag: &str,
    what: &'static str,
    table: Option<&'static [Opt]>,
) -> Result<&'a str, Problem> {
    let needs = || Problem::NeedsValue {
        written: flag.to_string(),
        what,
    };
    let (value, tail) = rest.split_first().ok_or_else(needs)?;
    *rest = tail;
    let value = value
        .to_str()
        .ok_or_else(|| Problem::NotUtf8(format!("the value of '{flag}'")))?;
    match table {
        Some(_) if value == "--" => Err(needs()),
        Some(table) if is_option(table, value) => {
            let form = match flag.starts_with("--") {
                true => format!("{flag}={value}"),
                false => format!("{flag}{value}"),
            };
            Err(Problem::Other(format!(
                "'{flag}' needs a value: {what}; '{value}' is an option (for that value, write {form})"
            )))
        }
        _ => Ok(value),
    }
}

/// Whether `text` names one of `table`'s options: `--grace`, `--grace=1s`, `-v`, `-vg`.
fn is_option(table: &'static [Opt], text: &str) -> bool {
    match text.strip_prefix("--") {
        Some(long) => find(table, long.split('=').next(), None).is_some(),
        None => text
            .strip_prefix('-')
            .and_then(|short| short.chars().next())
            .is_some_and(|c| find(table, None, Some(c)).is_some()),
    }
}

/// The long option of `table` nearest to the unknown `written`
/// (`--wait-fro` → `--wait-for`), if one is close enough to be the one
/// meant: an edit or two, transpositions counting one, and fewer the
/// shorter the name (issue 20 #5).
pub fn nearest(table: &'static [Opt], written: &str) -> Option<String> {
    // `-grace` is `--grace` with a dash missing: near too.
    let name = written
        .strip_prefix("--")
        .or_else(|| written.strip_prefix('-'))?
        .split('=')
        .next()?;
    let close = name.chars().count() / 3;
    table
        .iter()
        .filter_map(|o| o.long)
        .map(|long| (distance(name, long), long))
        .filter(|&(d, _)| d <= close.clamp(1, 2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, long)| format!("--{long}"))
}

/// The optimal string alignment distance: insertions, deletions,
/// substitutions and swaps of two neighbours, each one edit. Over bytes:
/// option names are ASCII.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Three rows of the table: two back, one back, and this one.
    let mut rows = [
        vec![0; b.len() + 1],
        (0..=b.len()).into_vec(),
        vec![0; b.len() + 1],
    ];
    for i in 1..=a.len() {
        rows[2][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[1][j] + 1)
                .min(rows[2][j - 1] + 1)
                .min(rows[1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[0][j - 2] + 1);
            }
            rows[2][j] = d;
        }
        rows.rotate_left(1);
    }
    rows[1][b.len()]
}

/// Apply the options of `table` that `keep` keeps: first the variables of
/// those no flag gave, in table order (only the variables `read` admits);
/// then the flags, in table order, each option's in the order given. Later
/// writes win, so flags beat variables.
pub fn apply_all(
    settings: &mut Settings,
    table: &'static [Opt],
    given: &[Occurrence],
    env: Env,
    keep: &dyn Fn(&Opt) -> bool,
) -> Result<(), Problem> {
    for opt in table.iter().filter(|o| keep(o)) {
        if !given.iter().any(|g| std::ptr::eq(g.opt, opt)) {
            apply_vars(settings, opt, env, &|_| true)?;
        }
    }
    for opt in table.iter().filter(|o| keep(o)) {
        for occurrence in given.iter().filter(|g| std::ptr::eq(g.opt, opt)) {
            let source = Source::Flag(&occurrence.written);
            // The variable's separator works in the flag too: `-e 143,130` (issue 20 #5).
            for text in items(opt.list, occurrence.value.unwrap_or_default(), true) {
                apply(settings, opt, &Given { text, source })?;
            }
        }
    }
    Ok(())
}

/// The items of a repeatable option's value, as its `List` separates
/// them (trimmed, empty ones dropped); any other's value whole. A flag
/// splits at commas only: a line break in a flag is no list but a mistake,
/// which its value's check reports. A URL may hold a comma, so
/// `CommasOrLines` splits at one only when every piece is a URL of its
/// own (`tcp://a:1,tcp://b:2`).
pub fn items(list: Option<List>, text: &str, flag: bool) -> Vec<&str> {
    let (commas, lines) = match (list, flag) {
        // A command string is whole in its flag; its variable holds one a line.
        (Some(List::Commands), true) => return vec![text],
        (Some(List::Commands), false) => return values::command_lines(text),
        (Some(List::Commas), _) => (true, false),
        (Some(List::Lines), false) => (false, true),
        (Some(List::CommasOrLines), _) => (false, !flag),
        (Some(List::Lines), true) | (None, _) => return vec![text],
    };
    let mut found = Vec::new();
    for item in values::split(text, commas, lines) {
        let pieces = values::split(item, true, false);
        match list == Some(List::CommasOrLines) && pieces.iter().all(|p| is_url(p)) {
            true => found.extend(pieces),
            false => found.push(item),
        }
    }
    // `-e ''` is still checked, and refused, rather than dropped.
    if found.is_empty() && flag {
        found.push(text);
    }
    found
}

/// Whether `text` has a scheme: `tcp://…`, `http://…`.
fn is_url(text: &str) -> bool {
    text.split_once(':')
        .is_some_and(|(_, rest)| rest.starts_with("//"))
}

/// One warning for each option whose variable is set but loses to its
/// flags, naming both and the value used (issue 20 #3): an operator's
/// `-e TEND_WAIT_TIMEOUT=3s` against an image's `--wait-timeout 30s` must
/// not be ignored without a word. Nothing when they agree.
pub fn overridden(table: &'static [Opt], given: &[Occurrence], env: Env) -> Vec<String> {
    let mut warnings = Vec::new();
    for opt in table {
        let flags: Vec<&Occurrence> = given.iter().filter(|g| std::ptr::eq(g.opt, opt)).into_vec();
        if flags.is_empty() {
            continue;
        }
        let Some((var, value)) = first_set(opt, env) else {
            continue;
        };
        let shown = |text: &str| match opt.takes {
            Takes::Value(options::HEADER) => {
                format!("{}: …", text.split(':').next().unwrap_or_default())
            }
            _ => text.to_string(),
        };
        // `by` is written in place: no list of strings to join (issue 21).
        let (mut by, mut used) = (String::new(), Vec::new());
        for flag in &flags {
            let sep = if by.is_empty() { "" } else { ", " };
            match flag.value {
                Some(text) => {
                    let _ = write!(by, "{sep}{} {}", flag.written, shown(text));
                    used.extend(items(opt.list, text, true));
                }
                None => {
                    by.push_str(sep);
                    by.push_str(&flag.written);
                }
            }
        }
        let same = match opt.takes {
            Takes::Nothing => var.read == Read::TiniSwitch || values::switch(&value) == Ok(true),
            // tini counts: no -v is 1, and each one more.
            Takes::Count => values::atoi(&value) == 1 + flags.len() as i64,
            Takes::Value(_) | Takes::Inline(_) => items(opt.list, &value, false) == used,
        };
        if !same {
            let mut using = String::new();
            for (i, item) in used.iter().enumerate() {
                let _ = write!(
                    using,
                    "{}{}",
                    if i == 0 { ": using " } else { "," },
                    shown(item)
                );
            }
            warnings.push(format!(
                "{}={} is overridden by {by}{using}",
                var.name,
                shown(&value),
            ));
        }
    }
    warnings
}

/// The first of `opt`'s variables that is set, as its `Read` says, with its value.
fn first_set(opt: &Opt, env: Env) -> Option<(Var, String)> {
    opt.vars.iter().find_map(|var| {
        let value = env(var.name)?.to_string_lossy().into_owned();
        let set = match var.read {
            Read::Plain => !value.is_empty(),
            Read::TiniSwitch | Read::TiniNumber => true,
            Read::Equals(on) => value == on,
        };
        set.then_some((*var, value))
    })
}

/// The first of `opt`'s variables (that `admit` admits) that is set, as
/// its `Read` says, applied: each item of its list, for a repeatable option.
pub fn apply_vars(
    settings: &mut Settings,
    opt: &'static Opt,
    env: Env,
    admit: &dyn Fn(&Var) -> bool,
) -> Result<(), Problem> {
    for var in opt.vars.iter().filter(|v| admit(v)) {
        let Some(value) = env(var.name) else { continue };
        let source = Source::Var(var.name);
        match var.read {
            Read::TiniSwitch => return apply(settings, opt, &Given { text: "1", source }),
            Read::Equals(on) if value == on => {
                return apply(settings, opt, &Given { text: "1", source });
            }
            Read::Equals(_) => continue,
            Read::Plain if value.is_empty() => continue,
            Read::Plain | Read::TiniNumber => {}
        }
        let text = value
            .to_str()
            .ok_or_else(|| Problem::NotUtf8(format!("the value of {}", var.name)))?;
        for item in items(opt.list, text, false) {
            apply(settings, opt, &Given { text: item, source })?;
        }
        return Ok(());
    }
    Ok(())
}

/// One value through the option's `apply`.
pub fn apply(settings: &mut Settings, opt: &'static Opt, given: &Given) -> Result<(), Problem> {
    let applied = &mut settings.config.applied;
    let origin = match given.source {
        Source::Flag(written) => {
            // Flags come after variables, and replace what they gave.
            applied.retain(|a| !std::ptr::eq(a.opt, opt) || matches!(a.origin, Origin::Flag(_)));
            Origin::Flag(written.to_string())
        }
        Source::Var(name) => Origin::Var(name),
    };
    applied.push(Applied {
        opt,
        origin,
        text: given.text.to_string(),
    });
    (opt.apply)(settings, given).map_err(|expected| Problem::Invalid {
        name: match given.source {
            Source::Flag(written) => written.to_string(),
            Source::Var(name) => name.to_string(),
        },
        value: given.text.to_string(),
        expected,
    })
}

/// `'arg'` for a message: bytes that are not UTF-8 as `\xFF`, control
/// characters escaped (`\n`, `\u{1b}`), so the message stays one line.
fn quote(arg: &OsStr) -> String {
    let mut text = String::from("'");
    for chunk in arg.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c.is_control() {
                true => text.extend(c.escape_default()),
                false => text.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02X}");
        }
    }
    text.push('\'');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_that_are_not_utf8_are_quoted_byte_by_byte() {
        let cases: [(&[u8], &str); 4] = [
            (b"http://a/\xff", "'http://a/\\xFF'"),
            (b"\xc3\x28x", "'\\xC3(x'"),
            (b"caf\xc3\xa9\n\xfe", "'caf\u{e9}\\n\\xFE'"),
            (b"", "''"),
        ];
        for (arg, want) in cases {
            assert_eq!(quote(OsStr::from_bytes(arg)), want, "{arg:?}");
        }
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        let cases = [
            ("wait-for", "wait-for", 0),
            ("wait-fro", "wait-for", 1),
            ("grce", "grace", 1),
            ("helth", "health", 1),
            ("", "ab", 2),
            ("ab", "", 2),
            ("abc", "xyz", 3),
            ("ca", "abc", 3),
        ];
        for (a, b, want) in cases {
            assert_eq!(distance(a, b), want, "{a} → {b}");
        }
    }

    #[test]
    fn items_split_as_the_list_says() {
        let cases: [(Option<List>, &str, bool, &[&str]); 10] = [
            (Some(List::Commas), " 1, 2,,3 ", true, &["1", "2", "3"]),
            (Some(List::Commas), " , ", true, &[" , "]),
            (Some(List::Lines), "a,b\nc", false, &["a,b", "c"]),
            (Some(List::Lines), "a\nb", true, &["a\nb"]),
            (
                Some(List::CommasOrLines),
                "tcp://a:1,tcp://b:2\nhttp://c/?x=1,2",
                false,
                &["tcp://a:1", "tcp://b:2", "http://c/?x=1,2"],
            ),
            (
                Some(List::CommasOrLines),
                "http://c/?x=1,2",
                true,
                &["http://c/?x=1,2"],
            ),
            (
                Some(List::CommasOrLines),
                "tcp://a:1\ntcp://b:2",
                true,
                &["tcp://a:1\ntcp://b:2"],
            ),
            (None, "a,b", true, &["a,b"]),
            (
                Some(List::Commands),
                "a 'b, c'\r\n\n d",
                false,
                &["a 'b, c'", " d"],
            ),
            (Some(List::Commands), "a\nb, c", true, &["a\nb, c"]),
        ];
        for (list, text, flag, want) in cases {
            assert_eq!(
                items(list, text, flag),
                want,
                "{list:?} {text:?} flag {flag}"
            );
        }
    }
}
