//! The walk over argv and the environment that every command-line dialect
//! shares: tend's own, and dumb-init's under its name. Pure. A table of
//! `Opt`s says what there is; this module finds each option, takes its
//! value, reads its variables and applies them, and reports problems as
//! values, which each dialect words its own way.

use std::ffi::OsString;

use super::options::{self, Given, Group, List, Opt, Read, Source, Takes, Var};
use super::{Env, Settings, values};

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
pub fn scan<'a>(args: &'a [OsString], table: &'static [Opt]) -> Scanned<'a> {
    let mut probe_mode = false;
    let mut rest = args;
    let mut given = Vec::new();
    let result = loop {
        let Some((arg, tail)) = rest.split_first() else {
            break Ok(());
        };
        match scan_one(arg, tail, table, probe_mode, &mut given) {
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
    given: &mut Vec<Occurrence<'a>>,
) -> Result<Step<'a>, Problem> {
    let mut rest = tail;
    let text = match arg.to_str() {
        Some(text) => text,
        None if probe_mode => return Err(Problem::NotUtf8(format!("{arg:?}"))),
        None => return Ok(Step::Program),
    };
    if text == "--" {
        if !probe_mode {
            return Ok(Step::ProgramAfter);
        }
        // In probe mode whatever follows is positional.
        for url in tail {
            let url = url
                .to_str()
                .ok_or_else(|| Problem::NotUtf8(format!("{url:?}")))?;
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
            (Takes::Value(what), None) => Some(take_value(&mut rest, &written, what)?),
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
        let opt = find(table, None, Some(c)).ok_or_else(|| Problem::Unknown(written.clone()))?;
        let attached = &text[1 + i + c.len_utf8()..];
        let value = match opt.takes {
            Takes::Nothing | Takes::Count | Takes::Inline(_) => None,
            Takes::Value(_) if !attached.is_empty() => Some(attached),
            Takes::Value(what) => Some(take_value(&mut rest, &written, what)?),
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

/// The next argument, as the value of `flag`.
fn take_value<'a>(
    rest: &mut &'a [OsString],
    flag: &str,
    what: &'static str,
) -> Result<&'a str, Problem> {
    let needs = || Problem::NeedsValue {
        written: flag.to_string(),
        what,
    };
    let (value, tail) = rest.split_first().ok_or_else(needs)?;
    *rest = tail;
    value
        .to_str()
        .ok_or_else(|| Problem::NotUtf8(format!("the value of '{flag}'")))
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
            let text = occurrence.value.unwrap_or_default();
            let source = Source::Flag(&occurrence.written);
            apply(settings, opt, &Given { text, source })?;
        }
    }
    Ok(())
}

/// The first of `opt`'s variables (that `admit` admits) that is set, as
/// its `Read` says, applied: each item of its list, for a repeatable option.
pub fn apply_vars(
    settings: &mut Settings,
    opt: &Opt,
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
        let items = match opt.list {
            Some(List::Commas) => values::split(text, true, false),
            Some(List::Lines) => values::split(text, false, true),
            Some(List::CommasOrLines) => values::split(text, true, true),
            Some(List::Commands) => values::command_lines(text),
            None => vec![text],
        };
        for item in items {
            apply(settings, opt, &Given { text: item, source })?;
        }
        return Ok(());
    }
    Ok(())
}

/// One value through the option's `apply`.
pub fn apply(settings: &mut Settings, opt: &Opt, given: &Given) -> Result<(), Problem> {
    if let Some(long) = opt.long {
        // The last source applied is the one that holds: flags come after variables.
        let from_vars = &mut settings.config.from_vars;
        from_vars.retain(|(l, _)| *l != long);
        if let Source::Var(var) = given.source {
            from_vars.push((long, var));
        }
    }
    (opt.apply)(settings, given).map_err(|expected| Problem::Invalid {
        name: match given.source {
            Source::Flag(written) => written.to_string(),
            Source::Var(name) => name.to_string(),
        },
        value: given.text.to_string(),
        expected,
    })
}
