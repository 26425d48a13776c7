//! argv and the environment → what tend should do. Pure: no system calls.
//!
//! Every option is declared once, in `options::OPTIONS`; this module walks
//! argv against that table and applies the values. Options stop at the
//! first argument that is not an option, or after `--`, so `tend sh -c
//! 'exit 3'` works; in probe mode a non-option is the URL and options may
//! follow it. Short options cluster as with getopt (`-vvg`, `-e143`).
//!
//! One rule for every variable: an empty one is unset (tini's switches
//! TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP excepted: set at all is on,
//! as in tini). One rule for precedence: a flag wins over every variable;
//! for a repeatable option the flags replace the variable's whole list;
//! among flags `--log-level` wins over `-v`, among variables
//! TEND_LOG_LEVEL over TINI_VERBOSITY.

mod dumb_init;
mod help;
#[cfg(test)]
mod man;
pub mod options;
mod parser;
pub mod values;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::health::{self, OnUnhealthy};
use crate::iter::IntoVec;
use crate::probe::url::Url;
use crate::probe::{self, Probe};
use crate::programs::words::{self, Word};
use crate::signals;
use crate::supervise::children::Restart;
pub use help::usage;
use options::{Given, Group, OPTIONS, Opt, Source};
use parser::{Occurrence, Problem};

/// The environment, as a lookup: the real one in main, a table in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

#[derive(Debug, PartialEq)]
pub enum Mode {
    Supervise(Box<Config>),
    /// `--probe …`; a usage error is the probe's verdict, not tend's failure.
    /// Then the warnings to log, as `Config::warnings`.
    Probe(Logging, Result<Probe, String>, Vec<String>),
    Help,
    Version,
    License,
    /// A peer dialect's help or version: print `text`, on stderr if asked, and exit 0.
    Print {
        text: String,
        stderr: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

impl LogFormat {
    /// `chosen`, or without one, text when `fd` is a terminal, where a
    /// person reads it, and JSON for a pipe, a file or a socket, where a
    /// collector does (issue 20 #7): the log on stderr, the dry run's
    /// report on stdout.
    pub fn for_fd(chosen: Option<LogFormat>, fd: std::os::fd::BorrowedFd) -> LogFormat {
        // Asked only when nothing was chosen: no ioctl otherwise.
        chosen.unwrap_or_else(|| match nix::unistd::isatty(fd) {
            Ok(true) => LogFormat::Text,
            _ => LogFormat::Json,
        })
    }
}

/// How tend logs, in either mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logging {
    /// None: neither --log-format nor TEND_LOG_FORMAT said, and the logger
    /// picks text for a terminal, JSON for anything else (issue 20 #7).
    pub format: Option<LogFormat>,
    pub level: crate::logger::Level,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// PROGRAM and its arguments; empty only with `--procfile` (or
    /// `--default-program`, which main puts in front).
    pub command: Vec<OsString>,
    /// `-s`: registering as subreaper is required, not just attempted.
    pub subreaper: bool,
    pub pdeathsig: Option<i32>,
    pub log_level: crate::logger::Level,
    /// `--log-format`, when given; see `Logging::format`.
    pub log_format: Option<LogFormat>,
    pub warn_on_reap: bool,
    pub signal_group: bool,
    /// Exit codes of the child that become 0.
    pub remap_exit: Vec<u8>,
    pub grace: Option<Duration>,
    /// `--stop-delay`: how long the first stop signal waits before it is
    /// forwarded, the app running on meanwhile (issue 18 #17). Never zero.
    pub stop_delay: Option<Duration>,
    /// The signals that mean "stop": they start `grace` and get a SIGCONT after them.
    pub stop_signals: signals::Set,
    /// `--rewrite`: what each signal is forwarded as.
    pub rewrite: signals::Rewrite,
    /// `--drop-unhandled`: leave the app PID 1's protection.
    pub drop_unhandled: bool,
    /// `--signal-all`: forward to every process tend supervises.
    pub signal_all: bool,
    /// `--setsid` (and dumb-init's default): the child leads its own
    /// session, with job control; signals go to its group.
    pub setsid: bool,
    /// Under the name dumb-init: its exit codes, messages and quirks.
    pub dumb_init: bool,
    /// `--file-env`: variables to load from the files their `_FILE` names.
    pub file_env: Vec<String>,
    /// `--expand`: shell parameter expansion of PROGRAM and ARGS.
    pub expand: bool,
    /// `--default-program`: put in front of a command that is empty or starts with `-`.
    pub default_program: Option<OsString>,
    /// `--umask`, for tend's rendered files and the child.
    pub umask: Option<u32>,
    /// `--render TEMPLATE:OUTPUT`, in order.
    pub render: Vec<(PathBuf, PathBuf)>,
    /// `--chown PATH`: trees to give to `--user`.
    pub chown: Vec<PathBuf>,
    /// `--wait-for URL`: dependencies that must answer first; main expands
    /// the templates among them from the program's environment.
    pub wait_for: Vec<Url>,
    pub wait_timeout: Duration,
    /// `--chdir DIR`, for the child.
    pub chdir: Option<PathBuf>,
    /// `--pre COMMAND`: steps run one after the other before the programs, split into words.
    pub pre: Vec<Vec<Word>>,
    /// `--also COMMAND`: programs beside the program, split into words.
    pub also: Vec<Vec<Word>>,
    /// `--restart`: what an `--also` or Procfile program's exit leads to.
    pub restart: Restart,
    /// `--procfile FILE`, read by main before anything is set up.
    pub procfile: Option<PathBuf>,
    /// `--health`: the watchdog, when asked for; `HealthArgs::settings`
    /// makes it once the program's environment is known.
    pub health: Option<HealthArgs>,
    /// `--user USER[:GROUP]`, unparsed: privilege parses it.
    pub user: Option<String>,
    /// `--user-required`: without root, refuse to start rather than skip
    /// `--user` and `--chown` (issue 18 #15).
    pub user_required: bool,
    pub no_new_privs: bool,
    /// What to warn about once logging is up: a variable that a flag
    /// overrides (issue 20 #3), `$NAME` left unexpanded in the command (#5).
    pub warnings: Vec<String>,
    /// `--dry-run`: resolve everything, print it, start and change nothing.
    pub dry_run: bool,
    /// Every value applied, with where it came from, in order; an option's
    /// flags replace what its variable gave. Errors found after parsing name
    /// what the user wrote (`name`), and `--dry-run` shows it all.
    pub applied: Vec<Applied>,
}

/// One value an option was given, as applied.
#[derive(Clone)]
pub struct Applied {
    pub opt: &'static Opt,
    pub origin: Origin,
    /// The value as given: one item of a list; empty for a flag that takes none.
    pub text: String,
}

/// Where a value came from: `Source`, kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// As written: `-p`, `--grace`.
    Flag(String),
    Var(&'static str),
    /// Decided by the name tend runs under: dumb-init's session mode.
    Dialect,
}

impl std::fmt::Debug for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {:?}", self.opt.name(), self.origin, self.text)
    }
}

impl PartialEq for Applied {
    fn eq(&self, other: &Applied) -> bool {
        std::ptr::eq(self.opt, other.opt) && self.origin == other.origin && self.text == other.text
    }
}

/// `--wait-timeout`, when not given.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for Config {
    /// tini's defaults.
    fn default() -> Config {
        Config {
            command: Vec::new(),
            subreaper: false,
            pdeathsig: None,
            log_level: crate::logger::Level::Warn,
            log_format: None,
            warn_on_reap: false,
            signal_group: false,
            remap_exit: Vec::new(),
            grace: None,
            stop_delay: None,
            stop_signals: signals::DEFAULT_STOP,
            rewrite: signals::Rewrite::default(),
            drop_unhandled: false,
            signal_all: false,
            setsid: false,
            dumb_init: false,
            file_env: Vec::new(),
            expand: false,
            default_program: None,
            umask: None,
            render: Vec::new(),
            chown: Vec::new(),
            wait_for: Vec::new(),
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            chdir: None,
            pre: Vec::new(),
            also: Vec::new(),
            restart: Restart::Never,
            procfile: None,
            health: None,
            user: None,
            user_required: false,
            no_new_privs: false,
            warnings: Vec::new(),
            dry_run: false,
            applied: Vec::new(),
        }
    }
}

impl Config {
    /// How to name the option `flag` (`--user`) in an error found after
    /// parsing: its variable when the value came from there, else `flag`.
    /// Nothing is allocated: start-up asks this of every step it runs.
    pub fn name(&self, flag: &'static str) -> &'static str {
        let long = flag.strip_prefix("--").unwrap_or(flag);
        let last = self.applied.iter().rev().find(|a| a.opt.long == Some(long));
        match last.map(|a| &a.origin) {
            Some(Origin::Var(var)) => var,
            _ => flag,
        }
    }

    /// Whether more than one child may run (issue 19): then every log
    /// record about one names it, and without these flags none does.
    pub fn several(&self) -> bool {
        !self.pre.is_empty() || !self.also.is_empty() || self.procfile.is_some()
    }

    /// The child's status, after `-e`.
    pub fn remap(&self, code: u8) -> u8 {
        if self.remap_exit.contains(&code) {
            0
        } else {
            code
        }
    }

    /// What one option implies for another, once all are in: setsid mode's
    /// job control, as dumb-init's, makes a terminal's stop signals (TSTP,
    /// TTIN, TTOU) a SIGSTOP for the session, unless --rewrite says otherwise.
    pub fn settle(&mut self) {
        if self.setsid {
            for signo in [signals::SIGTSTP, signals::SIGTTIN, signals::SIGTTOU] {
                if !self.rewrite.is_set(signo) {
                    self.rewrite.set(signo, signals::SIGSTOP);
                }
            }
        }
    }

    /// The stop signals as they are read: `--stop-signals` through `--rewrite`.
    pub fn stops(&self) -> signals::Stops {
        signals::Stops {
            set: self.stop_signals,
            rewrite: self.rewrite,
        }
    }

    pub fn logging(&self) -> Logging {
        Logging {
            format: self.log_format,
            level: self.log_level,
        }
    }
}

/// What the options have set so far; each option's `apply` writes here.
#[derive(Debug, Default)]
pub struct Settings {
    pub config: Config,
    pub probe: probe::Args,
    pub health: HealthArgs,
    /// `-v` and TINI_VERBOSITY, as tini counts: 1 is warn.
    pub verbosity: i64,
    /// `--help`, `--version` or `-l`, which end parsing.
    pub info: Option<Mode>,
    /// `--pre` and `--also` as given, split once all options are in, so
    /// that an error names the flag or the variable.
    pub pre: Vec<String>,
    pub also: Vec<String>,
}

/// `--health` and its options, before they are checked as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthArgs {
    pub probe: probe::Args,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
    pub on_unhealthy: OnUnhealthy,
    /// A bad value of the probe's variables, which only matters with --health:
    /// an image's TEND_PROBE_* serve its HEALTHCHECK first.
    problem: Option<String>,
}

impl Default for HealthArgs {
    /// Docker's HEALTHCHECK defaults, but a 3 s timeout: a watchdog that waits 30 s is late.
    fn default() -> HealthArgs {
        HealthArgs {
            probe: probe::Args::default(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(3),
            retries: 3,
            start_period: Duration::ZERO,
            on_unhealthy: OnUnhealthy::Exit,
            problem: None,
        }
    }
}

impl HealthArgs {
    /// Keep a bad value's message for `finish`, which reports it only with --health.
    pub fn defer(&mut self, given: &Given, expected: &str) {
        if self.problem.is_none() {
            self.problem = Some(format!(
                "invalid value '{}' for {}: {expected}",
                given.text,
                given.name()
            ));
        }
    }

    /// The watch's options, when --health gave a URL: checked now as far
    /// as they can be, all of them when the URL is no template.
    fn finish(self) -> Result<Option<HealthArgs>, String> {
        let Some((url, _)) = &self.probe.url else {
            return Ok(None);
        };
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        if let Url::Parsed(_) = url {
            self.settings(&|_| None)?;
        }
        Ok(Some(self))
    }

    /// The watch, with a URL template expanded from `env`: the program's
    /// environment, as --expand sees it.
    pub fn settings(&self, env: Env) -> Result<health::Settings, String> {
        let url = self.probe.target(env)?;
        let mut probe = self
            .probe
            .finish(url)
            .map_err(|e| format!("--health: {e}"))?;
        probe.timeout = self.timeout;
        Ok(health::Settings {
            probe,
            interval: self.interval,
            retries: self.retries,
            start_period: self.start_period,
            on_unhealthy: self.on_unhealthy,
        })
    }
}

/// Log settings from the environment alone, for errors found before the
/// command line is understood.
pub fn logging_from_env(env: Env) -> Logging {
    let mut settings = Settings::default();
    for name in ["log-format", "log-level"] {
        if let Some(opt) = parser::find(OPTIONS, Some(name), None) {
            // A bad value here is reported by the parse that failed; the default stands.
            let _ = parser::apply_vars(&mut settings, opt, env, &|_| true);
        }
    }
    settings.config.logging()
}

/// Whose command line argv[0] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Tend,
    /// `docker run --init` runs its init as /sbin/docker-init: tend's command line, tini's version line.
    DockerInit,
    /// Copied or linked to dumb-init's name: dumb-init's command line and defaults.
    DumbInit,
}

impl Dialect {
    /// From the last part of argv[0].
    pub fn of(name: &str) -> Dialect {
        match name {
            "docker-init" => Dialect::DockerInit,
            "dumb-init" => Dialect::DumbInit,
            _ => Dialect::Tend,
        }
    }
}

/// Parse `args` (without argv[0]) in the dialect `argv[0]` asked for.
pub fn parse_as(dialect: Dialect, args: &[OsString], env: Env) -> Result<Mode, Error> {
    match dialect {
        Dialect::DumbInit => dumb_init::parse(args, env),
        Dialect::Tend | Dialect::DockerInit => parse(args, env),
    }
}

/// Parse `args` (without argv[0]) as tend's own command line.
pub fn parse(args: &[OsString], env: Env) -> Result<Mode, Error> {
    let scanned = parser::scan(args, OPTIONS, true);
    let probe_mode = scanned.probe_mode;
    let fail = |problem: Problem| match probe_mode {
        false => Err(Error::Usage(in_words(&problem, probe_mode))),
        true => Ok(Mode::Probe(
            logging_from_env(env),
            Err(in_words(&problem, probe_mode)),
            Vec::new(),
        )),
    };
    let given = match scanned.given {
        Ok(given) => given,
        Err(problem) => return fail(problem),
    };
    let mut settings = Settings::default();
    if let Err(problem) = resolve(&mut settings, &given, env, probe_mode) {
        return fail(problem);
    }
    if let Some(info) = settings.info.take() {
        return Ok(info);
    }
    let mut warnings = parser::overridden(OPTIONS, &given, env);
    if probe_mode {
        let logging = settings.config.logging();
        // A URL template expands from tend's own environment: a HEALTHCHECK's.
        let probe = settings.probe;
        let probe = probe.target(env).and_then(|url| probe.finish(url));
        return Ok(Mode::Probe(logging, probe, warnings));
    }
    // With a Procfile, whether there is anything to run is known once it is read.
    let runs_something =
        settings.config.default_program.is_some() || settings.config.procfile.is_some();
    if scanned.command.is_empty() && !runs_something {
        return Err(Error::Usage(
            "no program to run: tend [OPTIONS] [--] PROGRAM [ARGS...]".into(),
        ));
    }
    if !settings.config.expand {
        warnings.extend(unexpanded(scanned.command, env));
    }
    settings.config.warnings = warnings;
    supervise(settings, scanned.command)
}

/// What every dialect does once its options are applied: the checks that
/// span options, `--health`'s settings, and the command. Its errors are
/// tend's own (125), whichever dialect's command line came in.
fn supervise(mut settings: Settings, command: &[OsString]) -> Result<Mode, Error> {
    let config = &settings.config;
    let needs_user = [
        (!config.chown.is_empty(), "--chown", "gives the paths to"),
        (
            config.user_required,
            "--user-required",
            "requires the drop to",
        ),
    ];
    for (given, flag, what) in needs_user {
        if given && config.user.is_none() {
            return Err(Error::Usage(format!(
                "{} needs {}: it {what} the user the program will run as",
                config.name(flag),
                config.name("--user"),
            )));
        }
    }
    let config = &settings.config;
    let several = [
        (!settings.pre.is_empty(), "--pre"),
        (!settings.also.is_empty(), "--also"),
        (config.procfile.is_some(), "--procfile"),
    ];
    // One terminal cannot lead several sessions: setsid mode, its hand-off
    // and its end of session are for one child only.
    if let Some((_, flag)) = several.iter().find(|(given, _)| *given) {
        let flag = config.name(flag);
        if config.dumb_init {
            return Err(Error::Usage(format!(
                "{flag} cannot be used under dumb-init's name, whose session mode is for one \
                 program: run several programs under tend's own name"
            )));
        }
        if config.setsid {
            return Err(Error::Usage(format!(
                "{flag} cannot be used with {}: one terminal cannot lead several sessions",
                config.name("--setsid")
            )));
        }
    }
    let split = |list: &[String], flag: &'static str, place| {
        let mut split = Vec::with_capacity(list.len());
        for command in list {
            split.push(words::split(command.as_bytes()).map_err(|e| {
                let e = words::In(&e, place);
                Error::Usage(format!("{}: {e}", config.name(flag)))
            })?);
        }
        Ok::<_, Error>(split)
    };
    let pre = split(&settings.pre, "--pre", words::Place::Pre)?;
    let also = split(&settings.also, "--also", words::Place::Also)?;
    settings.config.pre = pre;
    settings.config.also = also;
    settings.config.command = command.to_vec();
    settings.config.health = settings.health.finish().map_err(Error::Usage)?;
    settings.config.settle();
    Ok(Mode::Supervise(Box::new(settings.config)))
}

/// Shells that expand `$NAME` in their own arguments: `sh -c 'exec app $PORT'`.
const SHELLS: [&str; 7] = ["sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"];

/// A warning for the first argument that holds `$NAME` or `${NAME}` of a
/// variable that is set, when --expand is off: it reaches the program as
/// written, which is rarely what was meant (issue 20 #5). Never the value.
/// Not for a shell, which expands its arguments itself.
fn unexpanded(command: &[OsString], env: Env) -> Option<String> {
    let program = command.first()?.to_str()?;
    let args = command.iter().map(|a| a.as_bytes()).into_vec();
    let (i, name) = first_unexpanded(program.as_bytes(), &args, env)?;
    Some(unexpanded_said(&crate::entry::argument_name(i), name))
}

/// The same warning for a command string (`--pre`, `--also`, a Procfile
/// line): what `--expand` would expand there, single quotes excepted, is
/// passed as written without it. `what` names the command as errors do.
pub fn unexpanded_words(words: &[Word], env: Env, what: &str) -> Option<String> {
    let program = words.first()?.text.as_slice();
    let args = words.iter().map(|w| w.expandable.as_slice()).into_vec();
    let (_, name) = first_unexpanded(program, &args, env)?;
    Some(unexpanded_said(what, name))
}

/// The first of `args` (in `expand::argument`'s syntax) that names a set
/// variable, and the name; none when `program` is a shell.
fn first_unexpanded<'a>(program: &[u8], args: &[&'a [u8]], env: Env) -> Option<(usize, &'a str)> {
    if is_shell(program) {
        return None;
    }
    let is_set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    args.iter()
        .enumerate()
        .find_map(|(i, arg)| Some((i, crate::entry::expand::mentioned(arg, &is_set)?)))
}

/// Whether `program` is one of `SHELLS`, by its file name.
fn is_shell(program: &[u8]) -> bool {
    let name = program.rsplit(|&b| b == b'/').next().unwrap_or(program);
    SHELLS.iter().any(|s| s.as_bytes() == name)
}

/// The warning itself: `which` (an argument, or a command) and the name, never its value.
fn unexpanded_said(which: &str, name: &str) -> String {
    format!(
        "{which} holds ${name}, a variable that is set, and gets it as written: add --expand to expand it"
    )
}

/// `unknown option SHOWN`, and the option nearest to `word`, if one is close.
fn unknown(shown: &str, word: &str, probe_mode: bool) -> String {
    let mode = if probe_mode { " for --probe" } else { "" };
    match parser::nearest(OPTIONS, word) {
        Some(near) => format!("unknown option {shown}{mode}: did you mean {near}?"),
        None => format!("unknown option {shown}{mode}"),
    }
}

/// A problem in tend's words: `invalid value 'X' for NAME: expected …`.
fn in_words(problem: &Problem, probe_mode: bool) -> String {
    match problem {
        Problem::Unknown(text) => unknown(&format!("'{text}'"), text, probe_mode),
        Problem::UnknownInWord { written, word } => {
            unknown(&format!("'{written}' in '{word}'"), word, probe_mode)
        }
        Problem::NeedsValue { written, what } => format!("'{written}' needs a value: {what}"),
        Problem::TakesNoValue { written, text } => format!("'{written}' takes no value: {text}"),
        Problem::NotUtf8(what) => format!("{what} is not UTF-8"),
        Problem::Invalid {
            name,
            value,
            expected,
        } => format!("invalid value '{value}' for {name}: {expected}"),
        Problem::Other(text) => text.clone(),
    }
}

/// Apply every option of the mode; information options first, and alone.
fn resolve(
    settings: &mut Settings,
    given: &[Occurrence],
    env: Env,
    probe_mode: bool,
) -> Result<(), Problem> {
    if let Some(info) = given.iter().find(|g| g.opt.group == Group::Info) {
        let source = Source::Flag(&info.written);
        return parser::apply(settings, info.opt, &Given { text: "", source });
    }
    for occurrence in given {
        if !occurrence.opt.modes.allows(probe_mode) {
            return Err(Problem::Other(match probe_mode {
                true => format!("'{}' is not an option of --probe", occurrence.written),
                false => format!(
                    "'{}' is an option of --probe: tend --probe URL {}",
                    occurrence.written,
                    occurrence.opt.spec()
                ),
            }));
        }
    }
    let urls: Vec<&Occurrence> = given
        .iter()
        .filter(|g| g.opt.long.is_none() && g.opt.short.is_none())
        .collect();
    if let [_, second, ..] = urls.as_slice() {
        let url = second.value.unwrap_or_default();
        return Err(Problem::Other(format!("more than one URL: '{url}'")));
    }
    parser::apply_all(settings, OPTIONS, given, env, &|opt| {
        opt.modes.allows(probe_mode)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use options::{Opt, Read};
    use std::collections::HashMap;
    use std::ffi::OsStr;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn parse_with(list: &[&str], vars: &[(&str, &str)]) -> Result<Mode, Error> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        parse(&args(list), &|name| vars.get(name).cloned())
    }

    fn config(list: &[&str], vars: &[(&str, &str)]) -> Config {
        match parse_with(list, vars) {
            Ok(Mode::Supervise(config)) => *config,
            other => panic!("{list:?} {vars:?} gave {other:?}"),
        }
    }

    fn usage_error(list: &[&str], vars: &[(&str, &str)]) -> String {
        match parse_with(list, vars) {
            Err(Error::Usage(text)) => text,
            other => panic!("{list:?} {vars:?} should fail, gave {other:?}"),
        }
    }

    #[test]
    fn the_program_starts_at_the_first_non_option() {
        let cases: [(&[&str], &[&str]); 6] = [
            (&["sh", "-c", "exit 3"], &["sh", "-c", "exit 3"]),
            (&["--", "sh", "-c", "exit 3"], &["sh", "-c", "exit 3"]),
            (&["-s", "--", "-x"], &["-x"]),
            (&["-v", "prog", "-v"], &["prog", "-v"]),
            (&["-", "a"], &["-", "a"]),
            (&["--grace", "2s", "prog", "--", "x"], &["prog", "--", "x"]),
        ];
        for (input, command) in cases {
            assert_eq!(config(input, &[]).command, args(command), "{input:?}");
        }
    }

    #[test]
    fn defaults_behave_like_tini() {
        let c = config(&["prog"], &[]);
        assert!(!c.subreaper && !c.warn_on_reap && !c.signal_group && !c.no_new_privs);
        assert_eq!(c.pdeathsig, None);
        assert_eq!(c.grace, None);
        assert_eq!(c.log_level, crate::logger::Level::Warn);
        assert_eq!(c.log_format, None);
        assert!(c.remap_exit.is_empty());
        assert_eq!(c.user, None);
    }

    #[test]
    fn short_flags_cluster_like_getopt() {
        let c = config(&["-sgwvv", "-e143", "-e", "2", "-pSIGKILL", "prog"], &[]);
        assert!(c.subreaper && c.signal_group && c.warn_on_reap);
        assert_eq!(c.log_level, crate::logger::Level::Debug);
        assert_eq!(c.remap_exit, [143, 2]);
        assert_eq!(c.pdeathsig, Some(9));
        assert_eq!(config(&["-p", "KILL", "x"], &[]).pdeathsig, Some(9));
        assert_eq!(config(&["-p", "9", "x"], &[]).pdeathsig, Some(9));
    }

    #[test]
    fn verbosity_counts_like_tini() {
        let cases = [
            (&["x"][..], crate::logger::Level::Warn),
            (&["-v", "x"], crate::logger::Level::Info),
            (&["-vv", "x"], crate::logger::Level::Debug),
            (&["-vvv", "x"], crate::logger::Level::Trace),
            (
                &["-v", "--log-level", "error", "x"],
                crate::logger::Level::Error,
            ),
        ];
        for (input, level) in cases {
            assert_eq!(config(input, &[]).log_level, level, "{input:?}");
        }
    }

    #[test]
    fn long_options_take_a_value_or_equals() {
        let c = config(
            &[
                "--grace=1.5s",
                "--log-format",
                "text",
                "--log-level=debug",
                "--user",
                "app:app",
                "--no-new-privs",
                "x",
            ],
            &[],
        );
        assert_eq!(c.grace, Some(Duration::from_millis(1500)));
        assert_eq!(c.log_format, Some(LogFormat::Text));
        assert_eq!(c.log_level, crate::logger::Level::Debug);
        assert_eq!(c.user.as_deref(), Some("app:app"));
        assert!(c.no_new_privs);
    }

    #[test]
    fn environment_fills_what_flags_leave() {
        let env = [
            ("TINI_SUBREAPER", ""),
            ("TINI_KILL_PROCESS_GROUP", "1"),
            ("TINI_VERBOSITY", "3"),
            ("TEND_PDEATHSIG", "SIGTERM"),
            ("TEND_WARN_REAP", "1"),
            ("TEND_REMAP_EXIT", "143, 2"),
            ("TEND_GRACE", "500ms"),
            ("TEND_LOG_FORMAT", "text"),
            ("TEND_USER", "65532"),
            ("TEND_NO_NEW_PRIVS", "true"),
        ];
        let c = config(&["x"], &env);
        assert!(c.subreaper && c.signal_group && c.warn_on_reap && c.no_new_privs);
        assert_eq!(c.log_level, crate::logger::Level::Debug);
        assert_eq!(c.pdeathsig, Some(15));
        assert_eq!(c.remap_exit, [143, 2]);
        assert_eq!(c.grace, Some(Duration::from_millis(500)));
        assert_eq!(c.log_format, Some(LogFormat::Text));
        assert_eq!(c.user.as_deref(), Some("65532"));

        let flags_win = config(
            &[
                "-p",
                "KILL",
                "-e",
                "7",
                "--grace",
                "3s",
                "--log-level",
                "info",
                "--log-format",
                "json",
                "x",
            ],
            &env,
        );
        assert_eq!(flags_win.pdeathsig, Some(9));
        assert_eq!(flags_win.remap_exit, [7]);
        assert_eq!(flags_win.grace, Some(Duration::from_secs(3)));
        assert_eq!(flags_win.log_level, crate::logger::Level::Info);
        assert_eq!(flags_win.log_format, Some(LogFormat::Json));

        assert_eq!(
            config(
                &["x"],
                &[("TEND_LOG_LEVEL", "error"), ("TINI_VERBOSITY", "3")]
            )
            .log_level,
            crate::logger::Level::Error
        );
        assert!(config(&["x"], &[("TEND_SUBREAPER", "1")]).subreaper);
        assert!(!config(&["x"], &[("TEND_SUBREAPER", "0")]).subreaper);
        assert!(config(&["x"], &[("TEND_SIGNAL_GROUP", "yes")]).signal_group);
    }

    #[test]
    fn bad_input_names_the_flag_and_the_value() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case; 14] = [
            (&["-p", "FOO", "x"], &[], &["-p", "FOO"]),
            (&["-p", "RTMIN", "x"], &[], &["-p", "RTMIN"]),
            (&["-e", "300", "x"], &[], &["-e", "300"]),
            (&["-e", "-1", "x"], &[], &["-e", "-1"]),
            (&["--grace", "soon", "x"], &[], &["--grace", "soon"]),
            (&["--log-format", "xml", "x"], &[], &["--log-format", "xml"]),
            (&["--log-level", "loud", "x"], &[], &["--log-level", "loud"]),
            (&["-x", "prog"], &[], &["'-x'"]),
            (&["--frobnicate", "prog"], &[], &["--frobnicate"]),
            (&["-e"], &[], &["-e", "needs a value"]),
            (&["-v"], &[], &["no program"]),
            (&[], &[], &["no program"]),
            (
                &["x"],
                &[("TEND_REMAP_EXIT", "1,x")],
                &["TEND_REMAP_EXIT", "'x'"],
            ),
            (
                &["x"],
                &[("TEND_LOG_LEVEL", "lots")],
                &["TEND_LOG_LEVEL", "lots"],
            ),
        ];
        for (input, env, needles) in cases {
            let text = usage_error(input, env);
            for needle in needles {
                assert!(
                    text.contains(needle),
                    "{input:?}: {text:?} lacks {needle:?}"
                );
            }
        }
        assert!(usage_error(&["x"], &[("TEND_GRACE", "1d")]).contains("TEND_GRACE"));
        assert!(usage_error(&["x"], &[("TEND_WARN_REAP", "maybe")]).contains("TEND_WARN_REAP"));
    }

    fn probe_of(list: &[&str], vars: &[(&str, &str)]) -> Result<Probe, String> {
        match parse_with(list, vars) {
            Ok(Mode::Probe(_, probe, _)) => probe,
            other => panic!("{list:?} {vars:?} is no probe: {other:?}"),
        }
    }

    #[test]
    fn modes() {
        assert_eq!(parse_with(&["-h"], &[]).ok(), Some(Mode::Help));
        assert_eq!(parse_with(&["--help", "x"], &[]).ok(), Some(Mode::Help));
        assert_eq!(parse_with(&["-l"], &[]).ok(), Some(Mode::License));
        assert_eq!(parse_with(&["--version"], &[]).ok(), Some(Mode::Version));
        let url = |p: Result<Probe, String>| p.map(|p| p.url.path);
        assert_eq!(
            url(probe_of(&["--probe", "http://a/h", "--timeout", "1s"], &[])),
            Ok("/h".to_string())
        );
        assert!(probe_of(&["--probe"], &[]).is_err_and(|e| e.contains("no URL")));
        assert!(probe_of(&["--probe=tcp://a:1"], &[]).is_ok());
        // The field report: --probe worked only as the first argument.
        let p = parse_with(&["-v", "--probe", "http://a/"], &[]);
        assert!(
            matches!(&p, Ok(Mode::Probe(l, Ok(_), _)) if l.level == crate::logger::Level::Info),
            "{p:?}"
        );
        assert!(probe_of(&["--log-format=text", "--probe", "http://a/", "-vv"], &[]).is_ok());
        // Help wherever it is, in either mode.
        for list in [&["--probe", "--help"][..], &["--probe", "http://a/", "-h"]] {
            assert_eq!(parse_with(list, &[]).ok(), Some(Mode::Help), "{list:?}");
        }
        // A supervise option is no probe option, and the other way round.
        assert!(probe_of(&["-g", "--probe", "http://a/"], &[]).is_err_and(|e| e.contains("'-g'")));
        assert!(usage_error(&["--timeout", "1s", "x"], &[]).contains("--probe"));
        // After the program, --probe is the program's.
        assert_eq!(
            config(&["prog", "--probe", "x"], &[]).command,
            args(&["prog", "--probe", "x"])
        );
    }

    #[test]
    fn errors_after_parsing_name_the_flag_or_the_variable_that_set_it() {
        // The names main.rs asks for are declared options.
        for flag in [
            "--user",
            "--chdir",
            "--chown",
            "--file-env",
            "--expand",
            "--render",
            "--wait-for",
        ] {
            let long = flag.strip_prefix("--");
            assert!(OPTIONS.iter().any(|o| o.long == long), "{flag}");
        }
        let by_var = config(&["x"], &[("TEND_CHDIR", "/srv"), ("TEND_USER", "app")]);
        assert_eq!(
            (by_var.name("--chdir"), by_var.name("--user")),
            ("TEND_CHDIR", "TEND_USER")
        );
        let flag_wins = config(&["--chdir", "/x", "x"], &[("TEND_CHDIR", "/srv")]);
        assert_eq!(flag_wins.name("--chdir"), "--chdir");
        assert_eq!(config(&["x"], &[]).name("--expand"), "--expand");
    }

    #[test]
    fn an_empty_variable_is_unset_for_every_option() {
        // Helm and compose render `value: ""` all the time (issue 9, kind 3).
        let default = config(&["x"], &[]);
        let default_probe = probe_of(&["--probe", "http://a/"], &[]);
        for opt in OPTIONS {
            for var in opt.vars.iter().filter(|v| v.read == Read::Plain) {
                let env = [(var.name, "")];
                match opt.modes {
                    options::Modes::Probe => {
                        let got = probe_of(&["--probe", "http://a/"], &env);
                        assert_eq!(got, default_probe, "{}=", var.name);
                    }
                    _ => assert_eq!(config(&["x"], &env), default, "{}=", var.name),
                }
            }
        }
    }

    #[test]
    fn tini_variables_mean_what_they_mean_to_tini() {
        // Switches: set at all is on, empty included.
        for name in ["TINI_SUBREAPER", "TINI_KILL_PROCESS_GROUP"] {
            let c = config(&["x"], &[(name, "")]);
            assert!(c.subreaper || c.signal_group, "{name}=");
        }
        // TINI_VERBOSITY is read with atoi: garbage is 0, which is error level.
        let level = |v: &str| config(&["x"], &[("TINI_VERBOSITY", v)]).log_level;
        assert_eq!(level("abc"), crate::logger::Level::Error);
        assert_eq!(level(""), crate::logger::Level::Error, "atoi(\"\") is 0");
        assert_eq!(level("2"), crate::logger::Level::Info);
        assert_eq!(level("3x"), crate::logger::Level::Debug);
    }

    #[test]
    fn flags_win_over_every_variable() {
        // The field report: `TEND_LOG_LEVEL=error tend -vv` was documented two ways.
        let level = |list: &[&str], vars: &[(&str, &str)]| config(list, vars).log_level;
        let env = [("TEND_LOG_LEVEL", "error"), ("TINI_VERBOSITY", "4")];
        assert_eq!(level(&["-vv", "x"], &env), crate::logger::Level::Debug);
        assert_eq!(level(&["x"], &env), crate::logger::Level::Error);
        assert_eq!(
            level(&["--log-level", "warn", "-vvv", "x"], &env),
            crate::logger::Level::Warn
        );
        assert_eq!(
            level(&["-vvv", "--log-level", "warn", "x"], &[]),
            crate::logger::Level::Warn
        );
        // A bad variable is never read when its flag is given.
        assert_eq!(
            config(&["--grace", "1s", "x"], &[("TEND_GRACE", "soon")]).grace,
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn stop_signals() {
        let stops = |c: Config| {
            (1..=64)
                .filter(|&s| c.stop_signals.contains(s))
                .collect::<Vec<_>>()
        };
        assert_eq!(stops(config(&["x"], &[])), [2, 15]);
        assert_eq!(
            stops(config(&["--stop-signals", "QUIT,TERM", "x"], &[])),
            [3, 15]
        );
        assert_eq!(
            stops(config(&["x"], &[("TEND_STOP_SIGNALS", "SIGQUIT")])),
            [3]
        );
        assert!(usage_error(&["--stop-signals", "TERM,NOPE", "x"], &[]).contains("'TERM,NOPE'"));
    }

    #[test]
    fn the_same_words_for_a_flag_and_its_variable() {
        let by_flag = usage_error(&["--grace", "soon", "x"], &[]);
        let by_var = usage_error(&["x"], &[("TEND_GRACE", "soon")]);
        assert_eq!(
            by_flag,
            "invalid value 'soon' for --grace: expected a duration such as 500ms, 10s, 1m30s or 2h (or seconds: 1.5), at most 24h"
        );
        assert_eq!(by_var, by_flag.replace("--grace", "TEND_GRACE"));
        let switch = usage_error(&["x"], &[("TEND_SUBREAPER", "2")]);
        assert!(
            switch.contains("1, true, yes, on, 0, false, no or off"),
            "{switch}"
        );
    }

    #[test]
    fn help_lists_every_option_of_both_modes_with_its_variables() {
        let help = usage();
        for opt in OPTIONS {
            assert!(
                help.contains(&opt.spec()),
                "{} missing from --help",
                opt.spec()
            );
            for var in opt.vars {
                assert!(help.contains(var.name), "{} missing from --help", var.name);
            }
        }
    }

    fn texts(commands: &[Vec<Word>]) -> Vec<Vec<String>> {
        commands
            .iter()
            .map(|words| {
                words
                    .iter()
                    .map(|w| String::from_utf8_lossy(&w.text).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn several_programs_take_command_strings_from_flags_or_one_a_line() {
        let c = config(
            &[
                "--pre",
                "migrate --yes",
                "--pre",
                "warm 'a b'",
                "--also",
                "nginx -g 'daemon off;'",
                "--restart",
                "on-failure",
                "app",
            ],
            &[("TEND_PRE", "ignored"), ("TEND_ALSO", "ignored")],
        );
        assert_eq!(
            texts(&c.pre),
            [vec!["migrate", "--yes"], vec!["warm", "a b"]]
        );
        assert_eq!(texts(&c.also), [vec!["nginx", "-g", "daemon off;"]]);
        assert_eq!(c.restart, Restart::OnFailure);
        assert!(c.several());
        let env = [
            ("TEND_PRE", "a 1\r\n\n  \r\nb 2\n"),
            ("TEND_ALSO", "x\ny"),
            ("TEND_RESTART", "ALWAYS"),
            ("TEND_PROCFILE", "/srv/Procfile"),
        ];
        let c = config(&[], &env);
        assert_eq!(texts(&c.pre), [vec!["a", "1"], vec!["b", "2"]]);
        assert_eq!(texts(&c.also), [vec!["x"], vec!["y"]]);
        assert_eq!(c.restart, Restart::Always);
        assert_eq!(c.procfile, Some(PathBuf::from("/srv/Procfile")));
        assert!(c.command.is_empty(), "a Procfile may be all there is");
        // Without them: one program, as always; --restart alone does nothing.
        let one = config(&["--restart", "always", "x"], &[]);
        assert!(!one.several() && one.pre.is_empty() && one.also.is_empty());
        assert_eq!(config(&["x"], &[]).restart, Restart::Never);
    }

    #[test]
    fn a_command_string_that_does_not_split_names_the_flag_or_the_variable() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 6] = [
            (
                &["--pre", "migrate && serve", "x"],
                &[],
                "--pre: '&&' at column 9",
            ),
            (&["--also", "a &", "x"], &[], "--also: '&' at column 3"),
            (&["--also", "", "x"], &[], "--also: the command '' is empty"),
            (
                &["x"],
                &[("TEND_PRE", "ok\necho 'open")],
                "TEND_PRE: the single quote at column 6",
            ),
            (
                &["x"],
                &[("TEND_ALSO", "a $(b)")],
                "TEND_ALSO: '$(' at column 3",
            ),
            (
                &["--pre", "a | b", "x"],
                &[("TEND_PRE", "fine")],
                "--pre: '|'",
            ),
        ];
        for (list, env, want) in cases {
            let text = usage_error(list, env);
            assert!(text.starts_with(want), "{list:?} {env:?}: {text}");
        }
        let text = usage_error(&["--restart", "sometimes", "x"], &[]);
        assert!(
            text.contains("expected never, on-failure or always"),
            "{text}"
        );
        // Neither --pre nor --also alone replaces the program; only a Procfile may.
        assert!(usage_error(&["--also", "a"], &[]).contains("no program"));
        assert!(usage_error(&["--pre", "a"], &[]).contains("no program"));
    }

    #[test]
    fn setsid_and_dumb_init_are_for_one_program() {
        for (list, env, flag) in [
            (&["--setsid", "--also", "a", "x"][..], &[][..], "--also"),
            (&["--setsid", "--pre", "a", "x"], &[], "--pre"),
            (
                &["--procfile", "P", "x"],
                &[("TEND_SETSID", "1")],
                "--procfile",
            ),
            (&["--setsid", "x"], &[("TEND_ALSO", "a")], "TEND_ALSO"),
        ] {
            let text = usage_error(list, env);
            assert!(
                text.starts_with(&format!("{flag} cannot be used with"))
                    && text.contains("several sessions"),
                "{list:?} {env:?}: {text}"
            );
        }
        let vars: HashMap<String, OsString> = [("TEND_PROCFILE", "/P")]
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let dumb = parse_as(Dialect::DumbInit, &args(&["-c", "x"]), &|n| {
            vars.get(n).cloned()
        });
        match dumb {
            Err(e @ Error::Usage(_)) => {
                assert_eq!(e.exit_code(), 125);
                assert!(
                    e.to_string()
                        .starts_with("TEND_PROCFILE cannot be used under dumb-init's name"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_value_is_never_dashdash_nor_one_of_our_options_unless_written_with_equals() {
        // Issue 20 #5: `--default-program --` took `--` and blamed the next word.
        let cases: [(&[&str], &str); 5] = [
            (
                &["--default-program", "--", "app"],
                "'--default-program' needs a value: PROGRAM",
            ),
            (
                &["--user", "--chown", "/data", "app"],
                "'--user' needs a value: USER[:GROUP]; '--chown' is an option \
                 (for that value, write --user=--chown)",
            ),
            (
                &["--grace", "--log-level=info", "x"],
                "'--grace' needs a value: DURATION; '--log-level=info' is an option",
            ),
            (&["-e", "--", "x"], "'-e' needs a value: CODE"),
            (&["-e", "-v", "x"], "(for that value, write -e-v)"),
        ];
        for (input, needle) in cases {
            let text = usage_error(input, &[]);
            assert!(
                text.contains(needle),
                "{input:?}: {text:?} lacks {needle:?}"
            );
        }
        // Written with `=`, or not an option of ours, a value may start with a dash.
        let c = config(&["--default-program=--expand", "x"], &[]);
        assert_eq!(c.default_program.as_deref(), Some(OsStr::new("--expand")));
        assert_eq!(c.command, args(&["x"]));
        assert_eq!(
            config(&["--default-program", "--verbose", "x"], &[]).default_program,
            Some("--verbose".into())
        );
        assert!(usage_error(&["-e", "-1", "x"], &[]).contains("invalid value '-1' for -e"));
    }

    #[test]
    fn a_list_variables_separator_works_in_its_flag() {
        let c = config(
            &[
                "-e",
                "143,130",
                "--file-env",
                "A, B",
                "--rewrite",
                "TERM:QUIT,INT:QUIT",
                "x",
            ],
            &[],
        );
        assert_eq!(c.remap_exit, [143, 130]);
        assert_eq!(c.file_env, ["A", "B"]);
        assert_eq!((c.rewrite.apply(15), c.rewrite.apply(2)), (3, 3));
        assert!(usage_error(&["-e", "", "x"], &[]).contains("invalid value '' for -e"));
        // A comma splits --wait-for only between whole URLs; a query may hold one.
        let urls = |list: &[&str], vars: &[(&str, &str)]| config(list, vars).wait_for.len();
        assert_eq!(urls(&["--wait-for", "tcp://a:1, tcp://b:2", "x"], &[]), 2);
        assert_eq!(urls(&["--wait-for", "http://a/?x=1,2", "x"], &[]), 1);
        assert_eq!(
            urls(&["x"], &[("TEND_WAIT_FOR", "http://a/?x=1,2\ntcp://b:2")]),
            2
        );
        // A line break in a flag is no list: --chown takes it whole, a header refuses it.
        assert_eq!(
            config(&["--user", "0", "--chown", "a\nb", "x"], &[])
                .chown
                .len(),
            1
        );
        assert!(
            usage_error(
                &[
                    "--health",
                    "http://a/",
                    "--health-header",
                    "X: 1\nY: 2",
                    "x"
                ],
                &[]
            )
            .contains("--health-header")
        );
    }

    #[test]
    fn an_unknown_option_suggests_the_nearest_only_when_close() {
        let cases = [
            (&["--wait-fro", "x", "--", "y"][..], Some("--wait-for")),
            (&["--grce=1s", "x"], Some("--grace")),
            (&["--helth", "http://a/", "x"], Some("--health")),
            (&["--user-requried", "x"], Some("--user-required")),
            (&["--frobnicate", "x"], None),
            (&["--yolo", "x"], None),
            (&["-x", "x"], None),
        ];
        for (input, near) in cases {
            let text = usage_error(input, &[]);
            let said = text
                .split_once("did you mean ")
                .map(|(_, rest)| rest.trim_end_matches(|c| c != '?').trim_end_matches('?'));
            assert_eq!(said, near, "{input:?}: {text}");
        }
        let probe = probe_of(&["--probe", "http://a/", "--timout", "1s"], &[]);
        assert!(
            probe.is_err_and(|e| e.ends_with("for --probe: did you mean --timeout?")),
            "a probe's typo"
        );
    }

    #[test]
    fn a_long_option_with_one_dash_names_the_letter_the_word_and_the_option() {
        // `-grace` is -g, then an unknown -r: the word and --grace are named too.
        assert_eq!(
            usage_error(&["-grace", "5s", "--", "x"], &[]),
            "unknown option '-r' in '-grace': did you mean --grace?"
        );
        assert_eq!(
            usage_error(&["-vz", "x"], &[]),
            "unknown option '-z' in '-vz'"
        );
        assert_eq!(
            usage_error(&["-\u{e9}", "x"], &[]),
            "unknown option '-\u{e9}'"
        );
    }

    #[test]
    fn a_variable_that_loses_to_a_flag_says_so_once() {
        let warnings = |list: &[&str], vars: &[(&str, &str)]| config(list, vars).warnings;
        assert_eq!(
            warnings(
                &["--wait-timeout", "30s", "x"],
                &[("TEND_WAIT_TIMEOUT", "3s")]
            ),
            ["TEND_WAIT_TIMEOUT=3s is overridden by --wait-timeout 30s: using 30s"]
        );
        assert_eq!(
            warnings(&["-e", "2", "-e", "3", "x"], &[("TEND_REMAP_EXIT", "143")]),
            ["TEND_REMAP_EXIT=143 is overridden by -e 2, -e 3: using 2,3"]
        );
        assert_eq!(
            warnings(&["--setsid", "x"], &[("TEND_SETSID", "0")]),
            ["TEND_SETSID=0 is overridden by --setsid"]
        );
        assert_eq!(
            warnings(&["-vv", "x"], &[("TINI_VERBOSITY", "1")]),
            ["TINI_VERBOSITY=1 is overridden by -v, -v"]
        );
        // A credential in a header never reaches the log.
        assert_eq!(
            warnings(
                &["--health-header", "Authorization: Bearer b", "x"],
                &[("TEND_PROBE_HEADERS", "Authorization: Bearer a")]
            ),
            ["TEND_PROBE_HEADERS=Authorization: … is overridden by \
              --health-header Authorization: …: using Authorization: …"]
        );
        // Agreeing, empty (unset), or with no flag: nothing to say.
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
        let quiet: [Case; 6] = [
            (&["--grace", "1s", "x"], &[("TEND_GRACE", "1s")]),
            (&["--grace", "1s", "x"], &[("TEND_GRACE", "")]),
            (&["x"], &[("TEND_GRACE", "5s")]),
            (&["-s", "x"], &[("TINI_SUBREAPER", "")]),
            (&["--setsid", "x"], &[("TEND_SETSID", "yes")]),
            (&["-e", "1,2", "x"], &[("TEND_REMAP_EXIT", "1, 2")]),
        ];
        for (list, vars) in quiet {
            assert_eq!(
                warnings(list, vars),
                Vec::<String>::new(),
                "{list:?} {vars:?}"
            );
        }
        match parse_with(
            &["--probe", "http://a/", "--timeout", "1s"],
            &[("TEND_PROBE_TIMEOUT", "5s")],
        ) {
            Ok(Mode::Probe(_, _, warnings)) => assert_eq!(
                warnings,
                ["TEND_PROBE_TIMEOUT=5s is overridden by --timeout 1s: using 1s"]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_set_variable_in_an_argument_without_expand_says_so() {
        let env = [("PORT", "8080"), ("EMPTY", "")];
        let warnings = |list: &[&str]| config(list, &env).warnings;
        let said = "argument 2 holds $PORT, a variable that is set, and gets it as written: \
                    add --expand to expand it";
        assert_eq!(warnings(&["app", "--port", "$PORT"]), [said]);
        assert_eq!(warnings(&["app", "--port", "x${PORT}y", "$PORT"]), [said]);
        assert_eq!(warnings(&["$PORT"])[0].split(' ').next(), Some("PROGRAM"));
        assert_eq!(warnings(&["app", "$@PORT"]).len(), 1);
        for quiet in [
            &["--expand", "app", "$PORT"][..],
            &["app", "$NOPE", "$EMPTY", "$1", "$$", "a$"],
            &["sh", "-c", "exec app --port $PORT"],
            &["/bin/bash", "-c", "echo ${PORT}"],
        ] {
            assert_eq!(warnings(quiet), Vec::<String>::new(), "{quiet:?}");
        }
    }

    #[test]
    fn remap() {
        let c = config(&["-e", "143", "-e", "3", "x"], &[]);
        assert_eq!(
            (c.remap(143), c.remap(3), c.remap(4), c.remap(0)),
            (0, 0, 4, 0)
        );
    }

    /// A row of one of the `| flag | environment | meaning |` tables of the
    /// README or docs/options.md: the option names in its first cell, the
    /// variables in its second, and whether it says "(repeatable)".
    #[derive(Debug)]
    struct Row {
        names: Vec<String>,
        vars: Vec<String>,
        repeatable: bool,
        line: String,
    }

    /// Every `code span` of a table cell.
    fn spans(cell: &str) -> Vec<&str> {
        cell.split('`').skip(1).step_by(2).collect()
    }

    /// The rows of every option table of a Markdown page.
    fn option_rows(page: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut in_table = false;
        for line in page.lines() {
            if line.starts_with("| flag | environment | meaning |") {
                in_table = true;
                continue;
            }
            if !line.starts_with('|') {
                in_table = false;
            }
            if !in_table || line.starts_with("|---") {
                continue;
            }
            let cells: Vec<&str> = line.split(" | ").collect();
            let (Some(first), Some(second)) = (cells.first(), cells.get(1)) else {
                continue;
            };
            let names = spans(first)
                .iter()
                .filter_map(|span| span.split_whitespace().next())
                .map(|name| name.split(['=', '[']).next().unwrap_or(name).to_string())
                .collect();
            let vars = spans(second)
                .iter()
                .map(|span| {
                    span.chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect::<String>()
                })
                .filter(|v| !v.is_empty())
                .collect();
            rows.push(Row {
                names,
                vars,
                repeatable: first.contains("(repeatable)"),
                line: line.to_string(),
            });
        }
        rows
    }

    fn declared(name: &str) -> Option<&'static Opt> {
        if let Some(long) = name.strip_prefix("--") {
            return parser::find(OPTIONS, Some(long), None);
        }
        if let Some(short) = name.strip_prefix('-') {
            let mut chars = short.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => parser::find(OPTIONS, None, Some(c)),
                _ => None,
            };
        }
        parser::find(OPTIONS, None, None).filter(|o| o.name() == name)
    }

    /// Where a page's option tables and the declarations disagree, both
    /// ways: a row that names no declared option, or gives it other
    /// variables or another "(repeatable)"; a declared option with no row.
    fn option_table_drift(page: &str) -> Vec<String> {
        let rows = option_rows(page);
        if rows.len() <= 10 {
            return vec![format!("too few option rows: {rows:?}")];
        }
        let mut drift = Vec::new();
        for row in &rows {
            if row.names.is_empty() {
                drift.push(format!("a row with no option: {}", row.line));
            }
            for name in &row.names {
                let Some(opt) = declared(name) else {
                    drift.push(format!("{name}, which tend lacks: {}", row.line));
                    continue;
                };
                let vars: Vec<&str> = opt.vars.iter().map(|v| v.name).collect();
                if row.vars != vars {
                    drift.push(format!("{name}'s variables are {vars:?}: {}", row.line));
                }
                if row.repeatable != opt.repeats() {
                    drift.push(format!(
                        "{name} (repeatable) should be {}: {}",
                        opt.repeats(),
                        row.line
                    ));
                }
            }
        }
        for opt in OPTIONS {
            let name = opt.name();
            let short = opt.short.map(|c| format!("-{c}"));
            let documented = rows.iter().any(|row| {
                row.names
                    .iter()
                    .any(|n| *n == name || Some(n) == short.as_ref())
            });
            if !documented {
                drift.push(format!("{} has no row", opt.spec()));
            }
        }
        drift
    }

    fn page(path: &str) -> String {
        let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_readme_documents_every_option_as_declared() {
        let drift = option_table_drift(&page("README.md"));
        assert!(
            drift.is_empty(),
            "README.md's option tables:\n{}",
            drift.join("\n")
        );
    }

    #[test]
    fn docs_options_md_documents_every_option_as_declared() {
        let drift = option_table_drift(&page("docs/options.md"));
        assert!(
            drift.is_empty(),
            "docs/options.md's option tables:\n{}",
            drift.join("\n")
        );
    }

    /// The check against a README that drifted in each way it can.
    #[test]
    fn the_option_table_check_finds_drift() {
        let readme = page("README.md");
        let grace = readme
            .lines()
            .find(|l| l.starts_with("| `--grace DURATION`"))
            .unwrap_or_else(|| panic!("the README's --grace row"));
        let drifted = readme
            .replace(&format!("{grace}\n"), "")
            .replace(
                "| `--umask MODE` | `TEND_UMASK` |",
                "| `--umask MODE` | `TEND_MASK` |",
            )
            .replace("| `--expand` |", "| `--expand` (repeatable) |")
            .replace(
                "| `--chdir DIR` |",
                "| `--cd DIR` | `TEND_CHDIR` | start there |\n| `--chdir DIR` |",
            );
        let drift = option_table_drift(&drifted);
        for expected in [
            "--grace DURATION has no row",
            "--umask's variables are [\"TEND_UMASK\"]",
            "--expand (repeatable) should be false",
            "--cd, which tend lacks",
        ] {
            assert!(
                drift.iter().any(|d| d.contains(expected)),
                "expected {expected:?} among {drift:#?}"
            );
        }
        assert_eq!(drift.len(), 4, "only those: {drift:#?}");
    }
}
