//! argv and the environment → what tend should do. Pure: no system calls.
//!
//! Options stop at the first argument that is not an option, or after `--`,
//! so `tend sh -c 'exit 3'` works. Short options cluster as with getopt
//! (`-vvg`, `-e143`). Every flag has an environment variable; the flag wins.

use std::ffi::OsString;
use std::time::Duration;

use crate::error::Error;
use crate::signals;

/// The environment, as a lookup: the real one in main, a table in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

#[derive(Debug, PartialEq)]
pub enum Mode {
    Supervise(Config),
    /// `--probe ...`: the arguments after `--probe` belong to the probe.
    Probe(Vec<OsString>),
    Help,
    Version,
    License,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, PartialEq)]
pub struct Config {
    /// PROGRAM and its arguments; never empty.
    pub command: Vec<OsString>,
    /// `-s`: registering as subreaper is required, not just attempted.
    pub subreaper: bool,
    pub pdeathsig: Option<i32>,
    pub log_level: log::LevelFilter,
    pub log_format: LogFormat,
    pub warn_on_reap: bool,
    pub signal_group: bool,
    /// Exit codes of the child that become 0.
    pub remap_exit: Vec<u8>,
    pub grace: Option<Duration>,
    /// The signals that mean "stop": they start `grace` and get a SIGCONT after them.
    pub stop_signals: signals::Set,
    /// `--user USER[:GROUP]`, unparsed: privilege parses it.
    pub user: Option<String>,
    pub no_new_privs: bool,
}

impl Config {
    /// The child's status, after `-e`.
    pub fn remap(&self, code: u8) -> u8 {
        if self.remap_exit.contains(&code) {
            0
        } else {
            code
        }
    }
}

/// Log settings from the environment alone, for errors found before the
/// command line is understood, and for the probe.
pub fn log_settings_from_env(env: Env) -> (LogFormat, log::LevelFilter) {
    let format = text_var(env, "TEND_LOG_FORMAT")
        .and_then(|v| parse_log_format(&v).ok())
        .unwrap_or(LogFormat::Json);
    let level = text_var(env, "TEND_LOG_LEVEL")
        .and_then(|v| parse_log_level(&v).ok())
        .unwrap_or(log::LevelFilter::Warn);
    (format, level)
}

/// Parse `args` (without argv[0]).
pub fn parse(args: &[OsString], env: Env) -> Result<Mode, Error> {
    let mut flags = Flags::default();
    let mut rest = args;
    while let Some((arg, tail)) = rest.split_first() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && t.len() > 1) else {
            break; // the program
        };
        rest = tail;
        if text == "--" {
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            match name {
                "help" => return Ok(Mode::Help),
                "version" => return Ok(Mode::Version),
                "probe" if flags == Flags::default() => {
                    let mut probe_args: Vec<OsString> =
                        inline.into_iter().map(Into::into).collect();
                    probe_args.extend(rest.iter().cloned());
                    return Ok(Mode::Probe(probe_args));
                }
                "no-new-privs" => flags.no_new_privs = true,
                "grace" | "log-format" | "log-level" | "user" => {
                    let value = match inline {
                        Some(v) => v,
                        None => take_value(&mut rest, text)?,
                    };
                    flags.set_long(name, &value)?;
                }
                _ => return Err(Error::Usage(format!("unknown option '{text}'"))),
            }
            continue;
        }
        for (i, c) in text[1..].char_indices() {
            match c {
                'h' => return Ok(Mode::Help),
                'l' => return Ok(Mode::License),
                's' => flags.subreaper = true,
                'v' => flags.verbose += 1,
                'w' => flags.warn_on_reap = true,
                'g' => flags.signal_group = true,
                'p' | 'e' => {
                    let attached = &text[1 + i + c.len_utf8()..];
                    let value = if attached.is_empty() {
                        take_value(&mut rest, &format!("-{c}"))?
                    } else {
                        attached.to_string()
                    };
                    if c == 'p' {
                        flags.pdeathsig = Some(parse_signal_value("-p", &value)?);
                    } else {
                        flags.remap_exit.push(parse_exit_code("-e", &value)?);
                    }
                    break;
                }
                _ => return Err(Error::Usage(format!("unknown option '-{c}'"))),
            }
        }
    }
    if rest.is_empty() {
        return Err(Error::Usage(
            "no program to run: tend [OPTIONS] [--] PROGRAM [ARGS...]".into(),
        ));
    }
    Ok(Mode::Supervise(flags.resolve(rest.to_vec(), env)?))
}

/// What the command line said, before the environment fills the gaps.
#[derive(Debug, Default, PartialEq)]
struct Flags {
    subreaper: bool,
    pdeathsig: Option<i32>,
    verbose: u32,
    log_level: Option<log::LevelFilter>,
    log_format: Option<LogFormat>,
    warn_on_reap: bool,
    signal_group: bool,
    remap_exit: Vec<u8>,
    grace: Option<Duration>,
    user: Option<String>,
    no_new_privs: bool,
}

impl Flags {
    fn set_long(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let flag = format!("--{name}");
        match name {
            "grace" => self.grace = Some(parse_duration_value(&flag, value)?),
            "log-format" => {
                self.log_format = Some(parse_log_format(value).map_err(|e| bad(&flag, value, e))?)
            }
            "log-level" => {
                self.log_level = Some(parse_log_level(value).map_err(|e| bad(&flag, value, e))?)
            }
            _ => {
                if value.is_empty() {
                    return Err(bad(&flag, value, "expected USER[:GROUP]"));
                }
                self.user = Some(value.to_string());
            }
        }
        Ok(())
    }

    fn resolve(self, command: Vec<OsString>, env: Env) -> Result<Config, Error> {
        let log_level = match (self.log_level, self.verbose) {
            (Some(level), _) => level,
            (None, v) if v > 0 => level_for_verbosity(1 + v),
            _ => match (
                text_var(env, "TEND_LOG_LEVEL"),
                text_var(env, "TINI_VERBOSITY"),
            ) {
                (Some(v), _) => parse_log_level(&v).map_err(|e| bad("TEND_LOG_LEVEL", &v, e))?,
                (None, Some(v)) => {
                    let n = v
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| bad("TINI_VERBOSITY", &v, "expected a number"))?;
                    level_for_verbosity(n)
                }
                (None, None) => log::LevelFilter::Warn,
            },
        };
        let log_format = match self.log_format {
            Some(format) => format,
            None => match text_var(env, "TEND_LOG_FORMAT") {
                Some(v) => parse_log_format(&v).map_err(|e| bad("TEND_LOG_FORMAT", &v, e))?,
                None => LogFormat::Json,
            },
        };
        let pdeathsig = match (self.pdeathsig, text_var(env, "TEND_PDEATHSIG")) {
            (Some(s), _) => Some(s),
            (None, Some(v)) => Some(parse_signal_value("TEND_PDEATHSIG", &v)?),
            (None, None) => None,
        };
        let remap_exit = match (self.remap_exit.is_empty(), text_var(env, "TEND_REMAP_EXIT")) {
            (true, Some(v)) => v
                .split(',')
                .map(|code| parse_exit_code("TEND_REMAP_EXIT", code.trim()))
                .collect::<Result<_, _>>()?,
            _ => self.remap_exit,
        };
        let grace = match (self.grace, text_var(env, "TEND_GRACE")) {
            (Some(d), _) => Some(d),
            (None, Some(v)) => Some(parse_duration_value("TEND_GRACE", &v)?),
            (None, None) => None,
        };
        let user = match self.user {
            Some(u) => Some(u),
            None => text_var(env, "TEND_USER").filter(|u| !u.is_empty()),
        };
        Ok(Config {
            command,
            subreaper: self.subreaper
                || env("TINI_SUBREAPER").is_some()
                || switch(env, "TEND_SUBREAPER")?,
            pdeathsig,
            log_level,
            log_format,
            warn_on_reap: self.warn_on_reap || switch(env, "TEND_WARN_REAP")?,
            signal_group: self.signal_group
                || env("TINI_KILL_PROCESS_GROUP").is_some()
                || switch(env, "TEND_SIGNAL_GROUP")?,
            remap_exit,
            grace,
            stop_signals: signals::DEFAULT_STOP,
            user,
            no_new_privs: self.no_new_privs || switch(env, "TEND_NO_NEW_PRIVS")?,
        })
    }
}

fn bad(what: &str, value: &str, why: &str) -> Error {
    Error::Usage(format!("invalid value '{value}' for {what}: {why}"))
}

fn take_value(rest: &mut &[OsString], flag: &str) -> Result<String, Error> {
    let Some((value, tail)) = rest.split_first() else {
        return Err(Error::Usage(format!("option '{flag}' needs a value")));
    };
    *rest = tail;
    value
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Usage(format!("the value of '{flag}' is not UTF-8")))
}

fn text_var(env: Env, name: &str) -> Option<String> {
    env(name).map(|v| v.to_string_lossy().into_owned())
}

/// A TEND_* on/off variable: unset, empty, 0, false, no, off mean off.
fn switch(env: Env, name: &str) -> Result<bool, Error> {
    let Some(value) = text_var(env, name) else {
        return Ok(false);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "off" => Ok(false),
        "1" | "true" | "yes" | "on" => Ok(true),
        _ => Err(bad(name, &value, "expected 1 or 0")),
    }
}

fn parse_signal_value(what: &str, value: &str) -> Result<i32, Error> {
    let signo = signals::parse(value).ok_or_else(|| bad(what, value, "not a signal"))?;
    // prctl(PR_SET_PDEATHSIG) is given through nix, which knows the standard signals only.
    if signo >= 32 {
        return Err(bad(what, value, "expected a standard signal, 1 to 31"));
    }
    Ok(signo)
}

fn parse_exit_code(what: &str, value: &str) -> Result<u8, Error> {
    value
        .parse::<u8>()
        .map_err(|_| bad(what, value, "expected an exit code from 0 to 255"))
}

fn parse_duration_value(what: &str, value: &str) -> Result<Duration, Error> {
    parse_duration(value).ok_or_else(|| {
        bad(
            what,
            value,
            "expected a duration such as 500ms, 2s, 1m or 10",
        )
    })
}

/// `500ms`, `2s`, `1m`, or a bare number of seconds. Fractions are allowed: `1.5s`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit_micros) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000_000)
    } else {
        (text, 1_000_000)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || whole.len() > 9 {
        return None;
    }
    // Integers only: no float parsing or formatting code in the binary for this.
    let mut micros = whole.parse::<u64>().ok()?.checked_mul(unit_micros)?;
    let mut scale = unit_micros;
    for digit in fraction.bytes() {
        scale /= 10;
        micros += u64::from(digit - b'0') * scale;
    }
    // A day is far beyond any sane grace or timeout; it also keeps poll(2)'s i32 safe.
    (micros <= 86_400_000_000).then(|| Duration::from_micros(micros))
}

fn parse_log_format(value: &str) -> Result<LogFormat, &'static str> {
    match value.to_ascii_lowercase().as_str() {
        "json" => Ok(LogFormat::Json),
        "text" => Ok(LogFormat::Text),
        _ => Err("expected json or text"),
    }
}

fn parse_log_level(value: &str) -> Result<log::LevelFilter, &'static str> {
    match value.to_ascii_lowercase().as_str() {
        "off" => Ok(log::LevelFilter::Off),
        "error" => Ok(log::LevelFilter::Error),
        "warn" | "warning" => Ok(log::LevelFilter::Warn),
        "info" => Ok(log::LevelFilter::Info),
        "debug" => Ok(log::LevelFilter::Debug),
        "trace" => Ok(log::LevelFilter::Trace),
        _ => Err("expected error, warn, info, debug or trace"),
    }
}

/// tini's verbosity: 0 error, 1 warn, 2 info, 3 debug, 4 and more trace.
fn level_for_verbosity(n: u32) -> log::LevelFilter {
    match n {
        0 => log::LevelFilter::Error,
        1 => log::LevelFilter::Warn,
        2 => log::LevelFilter::Info,
        3 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

pub const USAGE: &str = "\
Usage: tend [OPTIONS] [--] PROGRAM [ARGS...]
       tend --probe URL [--timeout DURATION] [--expect-status LIST] [--expect-body TEXT] [--header 'Name: value']...

Runs PROGRAM as a supervised child: forwards signals, reaps zombies, exits with its status.

Options (each has an environment variable; the flag wins):
  -s                  register as child subreaper, and fail if that fails   TINI_SUBREAPER, TEND_SUBREAPER
  -p SIGNAL           signal tend gets when its parent dies                   TEND_PDEATHSIG
  -v                  more verbose: -v info, -vv debug, -vvv trace            TINI_VERBOSITY=N
  -w                  warn about every reaped zombie                          TEND_WARN_REAP
  -g                  send signals to the child's whole process group        TINI_KILL_PROCESS_GROUP, TEND_SIGNAL_GROUP
  -e CODE             the child's exit code CODE becomes 0 (repeatable)       TEND_REMAP_EXIT=CODE[,CODE...]
  --grace DURATION    bound shutdown: SIGKILL a child that outlives a TERM,   TEND_GRACE
                      and TERM then KILL orphans left after it exits
  --user USER[:GROUP] drop to this user (name or uid) before starting        TEND_USER
  --no-new-privs      set PR_SET_NO_NEW_PRIVS for the child                   TEND_NO_NEW_PRIVS
  --log-format F      json (default) or text                                  TEND_LOG_FORMAT
  --log-level L       error, warn (default), info, debug, trace               TEND_LOG_LEVEL
  -l                  show the licence
  -h, --help          show this help
  --version           show the version
  --probe URL         health-probe mode: exit 0 if healthy, 1 if not           TEND_PROBE_URL, TEND_PROBE_TIMEOUT,
                      (see the README for --timeout, --expect-status,         TEND_PROBE_EXPECT_STATUS, TEND_PROBE_EXPECT_BODY,
                      --expect-body and --header)                             TEND_PROBE_HEADERS

DURATION is 500ms, 2s, 1m or a number of seconds. Exit status: the child's (128+N if it
died of signal N); 125 when tend itself fails, 126/127 when PROGRAM cannot run / is missing.
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
            Ok(Mode::Supervise(config)) => config,
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
        assert_eq!(c.log_level, log::LevelFilter::Warn);
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(c.remap_exit.is_empty());
        assert_eq!(c.user, None);
    }

    #[test]
    fn short_flags_cluster_like_getopt() {
        let c = config(&["-sgwvv", "-e143", "-e", "2", "-pSIGKILL", "prog"], &[]);
        assert!(c.subreaper && c.signal_group && c.warn_on_reap);
        assert_eq!(c.log_level, log::LevelFilter::Debug);
        assert_eq!(c.remap_exit, [143, 2]);
        assert_eq!(c.pdeathsig, Some(9));
        assert_eq!(config(&["-p", "KILL", "x"], &[]).pdeathsig, Some(9));
        assert_eq!(config(&["-p", "9", "x"], &[]).pdeathsig, Some(9));
    }

    #[test]
    fn verbosity_counts_like_tini() {
        let cases = [
            (&["x"][..], log::LevelFilter::Warn),
            (&["-v", "x"], log::LevelFilter::Info),
            (&["-vv", "x"], log::LevelFilter::Debug),
            (&["-vvv", "x"], log::LevelFilter::Trace),
            (
                &["-v", "--log-level", "error", "x"],
                log::LevelFilter::Error,
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
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.log_level, log::LevelFilter::Debug);
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
        assert_eq!(c.log_level, log::LevelFilter::Debug);
        assert_eq!(c.pdeathsig, Some(15));
        assert_eq!(c.remap_exit, [143, 2]);
        assert_eq!(c.grace, Some(Duration::from_millis(500)));
        assert_eq!(c.log_format, LogFormat::Text);
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
        assert_eq!(flags_win.log_level, log::LevelFilter::Info);
        assert_eq!(flags_win.log_format, LogFormat::Json);

        assert_eq!(
            config(
                &["x"],
                &[("TEND_LOG_LEVEL", "error"), ("TINI_VERBOSITY", "3")]
            )
            .log_level,
            log::LevelFilter::Error
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
                &[("TINI_VERBOSITY", "lots")],
                &["TINI_VERBOSITY", "lots"],
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
        assert!(usage_error(&["x"], &[("TEND_GRACE", "1h")]).contains("TEND_GRACE"));
        assert!(usage_error(&["x"], &[("TEND_WARN_REAP", "maybe")]).contains("TEND_WARN_REAP"));
    }

    #[test]
    fn modes() {
        assert_eq!(parse_with(&["-h"], &[]).ok(), Some(Mode::Help));
        assert_eq!(parse_with(&["--help", "x"], &[]).ok(), Some(Mode::Help));
        assert_eq!(parse_with(&["-l"], &[]).ok(), Some(Mode::License));
        assert_eq!(parse_with(&["--version"], &[]).ok(), Some(Mode::Version));
        assert_eq!(
            parse_with(&["--probe", "http://a/", "--timeout", "1s"], &[]).ok(),
            Some(Mode::Probe(args(&["http://a/", "--timeout", "1s"])))
        );
        assert_eq!(
            parse_with(&["--probe"], &[]).ok(),
            Some(Mode::Probe(vec![]))
        );
        assert_eq!(
            parse_with(&["--probe=tcp://a:1"], &[]).ok(),
            Some(Mode::Probe(args(&["tcp://a:1"])))
        );
        // After a supervise flag, --probe is no mode switch.
        assert!(usage_error(&["-v", "--probe", "x"], &[]).contains("--probe"));
    }

    #[test]
    fn durations() {
        let cases = [
            ("500ms", Some(500)),
            ("2s", Some(2000)),
            ("1m", Some(60_000)),
            ("10", Some(10_000)),
            ("0", Some(0)),
            ("1.5s", Some(1500)),
            ("0.25", Some(250)),
            (" 3s ", Some(3000)),
            ("1h", None),
            ("soon", None),
            ("", None),
            ("s", None),
            ("-1s", None),
            ("1e3", None),
            ("2 s", None),
            ("86401", None),
            ("1.2.3", None),
            (".5", None),
            ("5.", Some(5000)),
            ("1.0000005s", Some(1000)),
            ("99999999999999999999", None),
        ];
        for (text, ms) in cases {
            assert_eq!(
                parse_duration(text),
                ms.map(Duration::from_millis),
                "{text:?}"
            );
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
}
