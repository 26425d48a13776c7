//! Every option tend has, declared once: its names, its variables, what
//! value it takes, whether it repeats, the mode it belongs to, one line of
//! help, and how its value updates the settings. The parser, the
//! environment lookup, `--help` and the README test are all driven from
//! `OPTIONS` (the model: ripgrep's crates/core/flags/defs.rs). Adding an
//! option is one entry here, plus its behaviour.

use super::{LogFormat, Settings, values};
use crate::health::OnUnhealthy;
use crate::probe;
use crate::supervise::children::Restart;

/// What an option takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A switch; its variable takes 1/true/yes/on or 0/false/no/off.
    Nothing,
    /// A switch that counts, `-vvv`.
    Count,
    /// A value, as `--name VALUE`, `--name=VALUE` or `-xVALUE`; the text names it in --help.
    Value(&'static str),
    /// A value only as `--name=VALUE`; `--name` alone is the switch.
    Inline(&'static str),
}

/// An environment variable that stands in for a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    pub read: Read,
}

/// How a variable is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// tend's rule: an empty variable is unset.
    Plain,
    /// tini's rule for its switches: set at all, even empty, is on.
    TiniSwitch,
    /// tini's rule for TINI_VERBOSITY: atoi(3) of whatever is there, empty included.
    TiniNumber,
    /// dumb-init's rule: on when the value is exactly this, and unset otherwise.
    Equals(&'static str),
}

const fn var(name: &'static str) -> Var {
    Var {
        name,
        read: Read::Plain,
    }
}

const fn tini(name: &'static str, read: Read) -> Var {
    Var { name, read }
}

/// How a repeatable option's variable separates its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Commas,
    Lines,
    /// Commas or newlines: `TEND_WAIT_FOR`.
    CommasOrLines,
    /// One command string a line (`TEND_PRE`, `TEND_ALSO`): blank lines
    /// skipped, a trailing CR dropped, and nothing else trimmed.
    Commands,
}

/// Where an option may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modes {
    Supervise,
    Probe,
    Both,
}

impl Modes {
    pub fn allows(self, probe: bool) -> bool {
        match self {
            Modes::Supervise => !probe,
            Modes::Probe => probe,
            Modes::Both => true,
        }
    }
}

/// The heading an option is listed under in --help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Init,
    Signals,
    Entrypoint,
    Programs,
    Health,
    User,
    Logging,
    Probe,
    Info,
}

impl Group {
    pub const ALL: [Group; 9] = [
        Group::Init,
        Group::Signals,
        Group::Entrypoint,
        Group::Programs,
        Group::Health,
        Group::User,
        Group::Logging,
        Group::Probe,
        Group::Info,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Init => "As PID 1 (tini's flags and variables)",
            Group::Signals => "Signal control",
            Group::Entrypoint => {
                "Before the program starts, in this order (docker-entrypoint.sh's jobs)"
            }
            Group::Programs => {
                "Several programs (steps before the program, programs beside it; never a shell)"
            }
            Group::Health => "Health watchdog (PID 1 checks the app as HEALTHCHECK does, and acts)",
            Group::User => "Dropping root",
            Group::Logging => "Logs (stderr; both modes)",
            Group::Probe => "Probe mode (tend --probe URL [OPTIONS])",
            Group::Info => "Information",
        }
    }
}

/// Where a value came from, for the error message and the few options
/// whose meaning depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// As written: `-p`, `--grace`.
    Flag(&'a str),
    Var(&'static str),
}

/// One value, as given.
#[derive(Debug, Clone, Copy)]
pub struct Given<'a> {
    pub text: &'a str,
    pub source: Source<'a>,
}

impl Given<'_> {
    pub fn is_flag(&self) -> bool {
        matches!(self.source, Source::Flag(_))
    }

    /// The flag as written, or the variable.
    pub fn name(&self) -> &str {
        match self.source {
            Source::Flag(written) => written,
            Source::Var(name) => name,
        }
    }
}

/// Parse and store one value; Err is what was expected (or, for a URL, what is wrong).
pub type Apply = fn(&mut Settings, &Given) -> Result<(), String>;

/// One option.
pub struct Opt {
    /// `--long`, without the dashes; None for a positional (the probe's URL).
    pub long: Option<&'static str>,
    pub short: Option<char>,
    /// Variables that stand in for the flag; the first one set wins.
    pub vars: &'static [Var],
    pub takes: Takes,
    /// Some for an option that repeats: flags given replace the variable's whole list.
    pub list: Option<List>,
    /// The value when neither a flag nor a variable gives one, as
    /// `--dry-run` shows it (`60s`); empty: off for a switch, unset for a value.
    pub default: &'static str,
    pub modes: Modes,
    pub group: Group,
    pub help: &'static str,
    pub apply: Apply,
}

impl Opt {
    /// Whether it may be given more than once to more effect.
    pub fn repeats(&self) -> bool {
        self.list.is_some() || self.takes == Takes::Count
    }

    /// `-e, --long VALUE` as --help and error messages show it.
    pub fn spec(&self) -> String {
        // Written in place: no list of names to join (issue 21).
        let mut spec = String::new();
        if let Some(c) = self.short {
            spec.push('-');
            spec.push(c);
        }
        if let Some(long) = self.long {
            if !spec.is_empty() {
                spec.push_str(", ");
            }
            spec.push_str("--");
            spec.push_str(long);
        }
        match self.takes {
            Takes::Nothing | Takes::Count => {}
            Takes::Value(v) if spec.is_empty() => spec.push_str(v),
            Takes::Value(v) => {
                spec.push(' ');
                spec.push_str(v);
            }
            Takes::Inline(v) => {
                spec.push_str("[=");
                spec.push_str(v);
                spec.push(']');
            }
        }
        spec
    }

    /// The one name a message uses: `--grace`, `-p`, or the positional's value name.
    pub fn name(&self) -> String {
        match (self.long, self.short, self.takes) {
            (Some(long), _, _) => format!("--{long}"),
            (None, Some(c), _) => format!("-{c}"),
            (None, None, Takes::Value(v) | Takes::Inline(v)) => v.to_string(),
            (None, None, Takes::Nothing | Takes::Count) => String::new(),
        }
    }
}

fn on(given: &Given) -> Result<bool, String> {
    match given.is_flag() {
        true => Ok(true),
        false => values::switch(given.text).map_err(String::from),
    }
}

fn expected<T>(result: Result<T, &'static str>) -> Result<T, String> {
    result.map_err(String::from)
}

fn positive(
    result: Result<std::time::Duration, &'static str>,
) -> Result<std::time::Duration, String> {
    match expected(result)? {
        d if d.is_zero() => Err("expected a duration above zero".into()),
        d => Ok(d),
    }
}

/// What a request header option takes. Its value may hold a credential
/// (`Authorization: Bearer …`), so messages show only the header's name.
pub const HEADER: &str = "'NAME: VALUE'";

/// The option that switches to probe mode; the parser looks for it first.
pub const PROBE: &str = "probe";

pub static OPTIONS: &[Opt] = &[
    // --- As PID 1: tini 0.19's flags, with its variables.
    Opt {
        long: None,
        short: Some('s'),
        vars: &[
            tini("TINI_SUBREAPER", Read::TiniSwitch),
            var("TEND_SUBREAPER"),
        ],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "register as child subreaper, and fail (125) if that fails",
        apply: |s, g| {
            s.config.subreaper = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: None,
        short: Some('p'),
        vars: &[var("TEND_PDEATHSIG")],
        takes: Takes::Value("SIGNAL"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "the signal tend gets when its parent dies (1 to 31: SIGKILL, KILL, 9)",
        apply: |s, g| {
            s.config.pdeathsig = Some(expected(values::standard_signal(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: None,
        short: Some('w'),
        vars: &[var("TEND_WARN_REAP")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "warn for every zombie reaped that is not the child",
        apply: |s, g| {
            s.config.warn_on_reap = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: None,
        short: Some('g'),
        vars: &[
            tini("TINI_KILL_PROCESS_GROUP", Read::TiniSwitch),
            var("TEND_SIGNAL_GROUP"),
        ],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "forward signals to the child's whole process group",
        apply: |s, g| {
            s.config.signal_group = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: None,
        short: Some('e'),
        vars: &[var("TEND_REMAP_EXIT")],
        takes: Takes::Value("CODE"),
        list: Some(List::Commas),
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "the child's exit code CODE becomes 0 (-e 143: death by SIGTERM is success)",
        apply: |s, g| {
            s.config
                .remap_exit
                .push(expected(values::exit_code(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("grace"),
        short: None,
        vars: &[var("TEND_GRACE")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "SIGKILL a child that outlives a stop signal by DURATION; after it exits, TERM then KILL the rest",
        apply: |s, g| {
            s.config.grace = Some(expected(values::duration(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("stop-delay"),
        short: None,
        vars: &[var("TEND_STOP_DELAY")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "hold the first stop signal DURATION before forwarding it; a second goes at once",
        apply: |s, g| {
            // 0 turns it off: how an operator undoes an image's ENV.
            s.config.stop_delay =
                Some(expected(values::duration(g.text))?).filter(|d| !d.is_zero());
            Ok(())
        },
    },
    Opt {
        long: Some("stop-signals"),
        short: None,
        vars: &[var("TEND_STOP_SIGNALS")],
        takes: Takes::Value("SIGNALS"),
        list: None,
        default: "TERM,INT",
        modes: Modes::Supervise,
        group: Group::Init,
        help: "the signals that mean stop: they start --grace and are followed by SIGCONT (default TERM,INT)",
        apply: |s, g| {
            s.config.stop_signals = expected(values::signal_set(g.text))?;
            Ok(())
        },
    },
    // --- Signal control.
    Opt {
        long: Some("rewrite"),
        short: None,
        vars: &[var("TEND_REWRITE")],
        takes: Takes::Value("FROM:TO"),
        list: Some(List::Commas),
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "forward signal FROM as TO (names or numbers, real-time ones too); TO 0 drops FROM",
        apply: |s, g| {
            let (from, to) = values::rewrite(g.text)?;
            s.config.rewrite.set(from, to);
            Ok(())
        },
    },
    Opt {
        long: Some("drop-unhandled"),
        short: None,
        vars: &[var("TEND_DROP_UNHANDLED")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "drop a signal that would kill the child only because it has no handler (not a stop signal)",
        apply: |s, g| {
            s.config.drop_unhandled = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: Some("signal-all"),
        short: None,
        vars: &[var("TEND_SIGNAL_ALL")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "forward to every process tend supervises: all of them as PID 1, else the group and all adopted",
        apply: |s, g| {
            s.config.signal_all = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: Some("setsid"),
        short: None,
        vars: &[var("TEND_SETSID")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "dumb-init's session mode: the child leads a session on the terminal; Ctrl-Z stops it and tend",
        apply: |s, g| {
            s.config.setsid = on(g)?;
            Ok(())
        },
    },
    // --- The entrypoint's jobs, in the order tend does them.
    Opt {
        long: Some("file-env"),
        short: None,
        vars: &[var("TEND_FILE_ENV")],
        takes: Takes::Value("NAME"),
        list: Some(List::Commas),
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "NAME = the contents of the file NAME_FILE names (Docker and Kubernetes secrets)",
        apply: |s, g| {
            s.config.file_env.push(expected(values::env_name(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("expand"),
        short: None,
        vars: &[var("TEND_EXPAND")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "expand $NAME, ${NAME:-word}, … in PROGRAM and ARGS; $@NAME splits a value into arguments",
        apply: |s, g| {
            s.config.expand = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: Some("default-program"),
        short: None,
        vars: &[var("TEND_DEFAULT_PROGRAM")],
        takes: Takes::Value("PROGRAM"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "run PROGRAM first when the command is empty or starts with -: docker run IMAGE --verbose",
        apply: |s, g| {
            s.config.default_program = Some(g.text.into());
            Ok(())
        },
    },
    Opt {
        long: Some("umask"),
        short: None,
        vars: &[var("TEND_UMASK")],
        takes: Takes::Value("MODE"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "the file mode creation mask, octal (0077), for rendered files and the child",
        apply: |s, g| {
            s.config.umask = Some(expected(values::umask(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("render"),
        short: None,
        vars: &[var("TEND_RENDER")],
        takes: Takes::Value("TEMPLATE:OUTPUT"),
        list: Some(List::Lines),
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "expand ${NAME} forms in TEMPLATE into OUTPUT, atomically, owned by --user (variable: a pair a line)",
        apply: |s, g| {
            s.config.render.push(expected(values::render_pair(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("chown"),
        short: None,
        vars: &[var("TEND_CHOWN")],
        takes: Takes::Value("PATH"),
        list: Some(List::Lines),
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "give PATH and all under it to --user's uid and gid, links not followed (variable: a path a line)",
        apply: |s, g| {
            s.config.chown.push(expected(values::path(g.text))?);
            Ok(())
        },
    },
    Opt {
        long: Some("wait-for"),
        short: None,
        vars: &[var("TEND_WAIT_FOR")],
        takes: Takes::Value("URL"),
        list: Some(List::CommasOrLines),
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "wait until URL answers (tcp:// connects, http:// gives 200-399) before starting",
        apply: |s, g| {
            let url = probe::url::Url::new(g.text).map_err(probe::url::describe)?;
            s.config.wait_for.push(url);
            Ok(())
        },
    },
    Opt {
        long: Some("wait-timeout"),
        short: None,
        vars: &[var("TEND_WAIT_TIMEOUT")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "60s",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "how long --wait-for waits for all of them (default 60s); then tend exits 125",
        apply: |s, g| {
            s.config.wait_timeout = expected(values::duration(g.text))?;
            Ok(())
        },
    },
    Opt {
        long: Some("chdir"),
        short: None,
        vars: &[var("TEND_CHDIR")],
        takes: Takes::Value("DIR"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Entrypoint,
        help: "start the child in DIR (after --user, so with the child's permissions)",
        apply: |s, g| {
            s.config.chdir = Some(expected(values::path(g.text))?);
            Ok(())
        },
    },
    // --- Several programs (issue 19): command strings are split by cli::supervise.
    Opt {
        long: Some("pre"),
        short: None,
        vars: &[var("TEND_PRE")],
        takes: Takes::Value("COMMAND"),
        list: Some(List::Commands),
        default: "",
        modes: Modes::Supervise,
        group: Group::Programs,
        help: "a step run to its end before the programs; one that fails ends tend (variable: one a line)",
        apply: |s, g| {
            s.pre.push(g.text.to_string());
            Ok(())
        },
    },
    Opt {
        long: Some("also"),
        short: None,
        vars: &[var("TEND_ALSO")],
        takes: Takes::Value("COMMAND"),
        list: Some(List::Commands),
        default: "",
        modes: Modes::Supervise,
        group: Group::Programs,
        help: "a program beside PROGRAM; the first of them to exit stops the others (variable: one a line)",
        apply: |s, g| {
            s.also.push(g.text.to_string());
            Ok(())
        },
    },
    Opt {
        long: Some("restart"),
        short: None,
        vars: &[var("TEND_RESTART")],
        takes: Takes::Value("POLICY"),
        list: None,
        default: "never",
        modes: Modes::Supervise,
        group: Group::Programs,
        help: "never (default), on-failure or always: --also and Procfile programs, after 1s doubling to 30s",
        apply: |s, g| {
            s.config.restart = match g.text.trim().to_ascii_lowercase().as_str() {
                "never" => Restart::Never,
                "on-failure" => Restart::OnFailure,
                "always" => Restart::Always,
                _ => return Err("expected never, on-failure or always".into()),
            };
            Ok(())
        },
    },
    Opt {
        long: Some("procfile"),
        short: None,
        vars: &[var("TEND_PROCFILE")],
        takes: Takes::Value("FILE"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Programs,
        help: "run FILE's NAME: COMMAND lines beside PROGRAM, which may be left out; release runs first",
        apply: |s, g| {
            s.config.procfile = Some(expected(values::path(g.text))?);
            Ok(())
        },
    },
    // --- The health watchdog.
    Opt {
        long: Some("health"),
        short: None,
        vars: &[var("TEND_HEALTH")],
        takes: Takes::Value("URL"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "check the app at URL as --probe does, every --health-interval, and act when it is unhealthy",
        apply: |s, g| s.health.probe.set_url(g.text, g.name()),
    },
    Opt {
        long: Some("health-interval"),
        short: None,
        vars: &[var("TEND_HEALTH_INTERVAL")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "10s",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "from the app's start to the first check, and from each check's end to the next (default 10s)",
        apply: |s, g| {
            s.health.interval = positive(values::duration(g.text))?;
            Ok(())
        },
    },
    Opt {
        long: Some("health-timeout"),
        short: None,
        vars: &[var("TEND_HEALTH_TIMEOUT")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "3s",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "a check that takes longer fails (default 3s)",
        apply: |s, g| {
            s.health.timeout = positive(values::duration(g.text))?;
            Ok(())
        },
    },
    Opt {
        long: Some("health-retries"),
        short: None,
        vars: &[var("TEND_HEALTH_RETRIES")],
        takes: Takes::Value("N"),
        list: None,
        default: "3",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "failures in a row that make the app unhealthy, at least 1 (default 3)",
        apply: |s, g| {
            s.health.retries = crate::number::u32(g.text.trim())
                .filter(|n| *n >= 1)
                .ok_or("expected a whole number, at least 1")?;
            Ok(())
        },
    },
    Opt {
        long: Some("health-start-period"),
        short: None,
        vars: &[var("TEND_HEALTH_START_PERIOD")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "0s",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "failures this soon after the start do not count, until a check succeeds (default 0s)",
        apply: |s, g| {
            s.health.start_period = expected(values::duration(g.text))?;
            Ok(())
        },
    },
    Opt {
        long: Some("on-unhealthy"),
        short: None,
        vars: &[var("TEND_ON_UNHEALTHY")],
        takes: Takes::Value("ACTION"),
        list: None,
        default: "exit",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "exit (default): stop the app as a SIGTERM would, then exit 69; log: report only",
        apply: |s, g| {
            s.health.on_unhealthy = match g.text.trim().to_ascii_lowercase().as_str() {
                "exit" => OnUnhealthy::Exit,
                "log" => OnUnhealthy::Log,
                _ => return Err("expected exit or log".into()),
            };
            Ok(())
        },
    },
    Opt {
        long: Some("health-expect-status"),
        short: None,
        vars: &[var("TEND_PROBE_EXPECT_STATUS")],
        takes: Takes::Value("LIST"),
        list: None,
        default: "200-399",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "the healthy statuses, as --probe's --expect-status (default 200-399)",
        apply: |s, g| {
            match probe::parse_status_set(g.text) {
                Some(set) => s.health.probe.expect_status = Some(set),
                None => s
                    .health
                    .defer(g, "expected statuses and ranges such as 200-299,418"),
            }
            Ok(())
        },
    },
    Opt {
        long: Some("health-expect-body"),
        short: None,
        vars: &[var("TEND_PROBE_EXPECT_BODY")],
        takes: Takes::Value("TEXT"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "the body must contain TEXT, as --probe's --expect-body",
        apply: |s, g| {
            s.health.probe.expect_body = Some((g.text.to_string(), g.is_flag()));
            Ok(())
        },
    },
    Opt {
        long: Some("health-header"),
        short: None,
        vars: &[var("TEND_PROBE_HEADERS")],
        takes: Takes::Value(HEADER),
        list: Some(List::Lines),
        default: "",
        modes: Modes::Supervise,
        group: Group::Health,
        help: "an extra request header, as --probe's --header",
        apply: |s, g| {
            match probe::parse_header(g.text) {
                Some(header) => s.health.probe.headers.push(header),
                None => s.health.defer(g, "expected 'Name: value' on one line"),
            }
            s.health.probe.headers_from_flag |= g.is_flag();
            Ok(())
        },
    },
    // --- Dropping root.
    Opt {
        long: Some("user"),
        short: None,
        vars: &[var("TEND_USER")],
        takes: Takes::Value("USER[:GROUP]"),
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::User,
        help: "drop tend and the child to this user (name or uid) and group before starting",
        apply: |s, g| {
            s.config.user = Some(g.text.to_string());
            Ok(())
        },
    },
    Opt {
        long: Some("user-required"),
        short: None,
        vars: &[var("TEND_USER_REQUIRED")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::User,
        help: "refuse to start (125) unless tend can drop to --user: not root, --user and --chown are skipped",
        apply: |s, g| {
            s.config.user_required = on(g)?;
            Ok(())
        },
    },
    Opt {
        long: Some("no-new-privs"),
        short: None,
        vars: &[var("TEND_NO_NEW_PRIVS")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::User,
        help: "set PR_SET_NO_NEW_PRIVS: setuid programs cannot raise privileges again",
        apply: |s, g| {
            s.config.no_new_privs = on(g)?;
            Ok(())
        },
    },
    // --- Logs. -v before --log-level: flags win over variables, and --log-level over -v.
    Opt {
        long: None,
        short: Some('v'),
        vars: &[tini("TINI_VERBOSITY", Read::TiniNumber)],
        takes: Takes::Count,
        list: None,
        default: "",
        modes: Modes::Both,
        group: Group::Logging,
        help: "more log: -v info, -vv debug, -vvv trace (TINI_VERBOSITY=N, as tini reads it)",
        apply: |s, g| {
            s.verbosity = match g.source {
                Source::Flag(_) => s.verbosity.max(1) + 1,
                Source::Var(_) => values::atoi(g.text),
            };
            s.config.log_level = values::level_for_verbosity(s.verbosity);
            Ok(())
        },
    },
    Opt {
        long: Some("log-level"),
        short: None,
        vars: &[var("TEND_LOG_LEVEL")],
        takes: Takes::Value("LEVEL"),
        list: None,
        default: "warn",
        modes: Modes::Both,
        group: Group::Logging,
        help: "off, error, warn (default), info, debug or trace",
        apply: |s, g| {
            s.config.log_level = expected(values::log_level(g.text))?;
            Ok(())
        },
    },
    Opt {
        long: Some("log-format"),
        short: None,
        vars: &[var("TEND_LOG_FORMAT")],
        takes: Takes::Value("FORMAT"),
        list: None,
        default: "auto",
        modes: Modes::Both,
        group: Group::Logging,
        help: "json (one object a line) or text; default: text on a terminal, else json",
        apply: |s, g| {
            s.config.log_format = Some(match g.text.trim().to_ascii_lowercase().as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => return Err("expected json or text".into()),
            });
            Ok(())
        },
    },
    Opt {
        long: Some("dry-run"),
        short: None,
        vars: &[var("TEND_DRY_RUN")],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Logging,
        help: "print what tend would do on stdout, in the log format, and exit 0, or as the start would fail: nothing starts or changes",
        apply: |s, g| {
            s.config.dry_run = on(g)?;
            Ok(())
        },
    },
    // --- The probe.
    Opt {
        long: Some(PROBE),
        short: None,
        vars: &[],
        takes: Takes::Inline("URL"),
        list: None,
        default: "",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "probe mode: one HTTP GET or TCP connect; prints a verdict, exits 0 if healthy, 1 if not",
        apply: |s, g| match g.text {
            "" => Ok(()),
            url => s.probe.set_url(url, g.name()),
        },
    },
    Opt {
        long: None,
        short: None,
        vars: &[var("TEND_PROBE_URL")],
        takes: Takes::Value("URL"),
        list: None,
        default: "",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "http://HOST[:PORT][/PATH[?QUERY]] or tcp://HOST:PORT",
        apply: |s, g| s.probe.set_url(g.text, g.name()),
    },
    Opt {
        long: Some("timeout"),
        short: None,
        vars: &[var("TEND_PROBE_TIMEOUT")],
        takes: Takes::Value("DURATION"),
        list: None,
        default: "5s",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "deadline for the whole probe: resolve, connect, send, read (default 5s)",
        apply: |s, g| {
            let timeout = expected(values::duration(g.text))?;
            if timeout.is_zero() {
                return Err("expected a duration above zero".into());
            }
            s.probe.timeout = Some(timeout);
            Ok(())
        },
    },
    Opt {
        long: Some("expect-status"),
        short: None,
        vars: &[var("TEND_PROBE_EXPECT_STATUS")],
        takes: Takes::Value("LIST"),
        list: None,
        default: "200-399",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "the healthy statuses (default 200-399; 200,204; 200-299,418)",
        apply: |s, g| {
            let set = probe::parse_status_set(g.text)
                .ok_or("expected statuses and ranges such as 200-299,418")?;
            s.probe.expect_status = Some(set);
            Ok(())
        },
    },
    Opt {
        long: Some("expect-body"),
        short: None,
        vars: &[var("TEND_PROBE_EXPECT_BODY")],
        takes: Takes::Value("TEXT"),
        list: None,
        default: "",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "the body (its first 64 KiB) must contain TEXT",
        apply: |s, g| {
            s.probe.expect_body = Some((g.text.to_string(), g.is_flag()));
            Ok(())
        },
    },
    Opt {
        long: Some("header"),
        short: None,
        vars: &[var("TEND_PROBE_HEADERS")],
        takes: Takes::Value(HEADER),
        list: Some(List::Lines),
        default: "",
        modes: Modes::Probe,
        group: Group::Probe,
        help: "an extra request header (the variable: one a line)",
        apply: |s, g| {
            let header = probe::parse_header(g.text).ok_or("expected 'Name: value' on one line")?;
            s.probe.headers.push(header);
            s.probe.headers_from_flag |= g.is_flag();
            Ok(())
        },
    },
    // --- Information: each does its job and exits 0, whatever else is given.
    Opt {
        long: Some("help"),
        short: Some('h'),
        vars: &[],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Both,
        group: Group::Info,
        help: "show this help",
        apply: |s, _| {
            s.info = Some(super::Mode::Help);
            Ok(())
        },
    },
    Opt {
        long: Some("version"),
        short: None,
        vars: &[],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Both,
        group: Group::Info,
        help: "show the version: tend version X.Y.Z - git.HASH",
        apply: |s, _| {
            s.info = Some(super::Mode::Version);
            Ok(())
        },
    },
    Opt {
        long: None,
        short: Some('l'),
        vars: &[],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Both,
        group: Group::Info,
        help: "show the licence",
        apply: |s, _| {
            s.info = Some(super::Mode::License);
            Ok(())
        },
    },
];
