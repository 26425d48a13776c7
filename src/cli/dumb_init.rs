//! dumb-init's command line, for a tend copied or linked to dumb-init's
//! name, so that `ENTRYPOINT ["/usr/bin/dumb-init", "--"]` keeps working.
//! Pure. Its options are declared in `DUMB_INIT` like tend's own; its
//! variables are DUMB_INIT_SETSID=0 and DUMB_INIT_DEBUG=1, read exactly as
//! dumb-init reads them, and tend's own TEND_* variables apply on top (its
//! flags do not exist under this name). Defaults are dumb-init's: setsid
//! mode, TSTP/TTIN/TTOU forwarded as SIGSTOP, and dumb-init's exit codes.
//! Usage errors are worded as dumb-init and its getopt word them, since
//! scripts and its test suite read them.

use std::ffi::OsString;

use super::options::{Given, Group, Modes, OPTIONS, Opt, Read, Takes, Var};
use super::parser::{self, Problem};
use super::{Env, Mode, Settings, values};
use crate::error::Error;

/// The dumb-init release whose command line this follows.
pub const VERSION: &str = "1.2.5";

fn on(_: &Given) -> Result<(), String> {
    Ok(())
}

pub static DUMB_INIT: &[Opt] = &[
    Opt {
        long: Some("single-child"),
        short: Some('c'),
        vars: &[Var {
            name: "DUMB_INIT_SETSID",
            read: Read::Equals("0"),
        }],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "single-child mode: no session of its own; signals go to the child alone",
        apply: |s, g| {
            on(g)?;
            s.config.setsid = false;
            Ok(())
        },
    },
    Opt {
        long: Some("rewrite"),
        short: Some('r'),
        vars: &[],
        takes: Takes::Value("s:r"),
        // One pair a flag, as dumb-init reads it; tend's comma lists are tend's own.
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Signals,
        help: "forward signal s as signal r (repeatable); r 0 drops s",
        apply: |s, g| {
            let (from, to) = values::rewrite(g.text)?;
            s.config.rewrite.set(from, to);
            Ok(())
        },
    },
    Opt {
        long: Some("verbose"),
        short: Some('v'),
        vars: &[Var {
            name: "DUMB_INIT_DEBUG",
            read: Read::Equals("1"),
        }],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Supervise,
        group: Group::Logging,
        help: "log what tend does, at debug level, on stderr",
        apply: |s, g| {
            on(g)?;
            s.config.log_level = crate::logger::Level::Debug;
            Ok(())
        },
    },
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
            s.info = Some(Mode::Print {
                text: help(),
                stderr: true,
            });
            Ok(())
        },
    },
    Opt {
        long: Some("version"),
        short: Some('V'),
        vars: &[],
        takes: Takes::Nothing,
        list: None,
        default: "",
        modes: Modes::Both,
        group: Group::Info,
        help: "show the version of dumb-init's command line that tend follows",
        apply: |s, _| {
            s.info = Some(Mode::Print {
                text: format!("dumb-init v{VERSION}\n"),
                stderr: true,
            });
            Ok(())
        },
    },
];

/// Parse `args` as dumb-init's command line.
pub fn parse(args: &[OsString], env: Env) -> Result<Mode, Error> {
    let scanned = parser::scan(args, DUMB_INIT, false);
    let given = scanned.given.map_err(in_words)?;
    let mut settings = Settings::default();
    settings.config.dumb_init = true;
    settings.config.setsid = true;
    if let Some(info) = given.iter().find(|g| g.opt.group == Group::Info) {
        parser::apply(
            &mut settings,
            info.opt,
            &Given {
                text: "",
                source: super::options::Source::Flag(&info.written),
            },
        )
        .map_err(in_words)?;
        return settings
            .info
            .take()
            .ok_or_else(|| usage_error(String::new()));
    }
    // tend's own variables first, and their errors in tend's words (125):
    // dumb-init has no such variables. dumb-init's and the flags then win.
    for opt in OPTIONS.iter().filter(|o| o.modes.allows(false)) {
        parser::apply_vars(&mut settings, opt, env, &|v| v.name.starts_with("TEND_"))
            .map_err(|problem| Error::Usage(super::in_words(&problem, false)))?;
    }
    parser::apply_all(&mut settings, DUMB_INIT, &given, env, &|_| true).map_err(in_words)?;
    if scanned.command.is_empty() {
        return Err(usage_error(
            "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n"
                .into(),
        ));
    }
    settings.config.signal_group = settings.config.setsid;
    // What the name decided, as tend's own options, for --dry-run's report.
    let on = if settings.config.setsid { "1" } else { "0" };
    for (long, short) in [(Some("setsid"), None), (None, Some('g'))] {
        if let Some(opt) = parser::find(OPTIONS, long, short) {
            let applied = &mut settings.config.applied;
            applied.retain(|a| !std::ptr::eq(a.opt, opt));
            applied.push(super::Applied {
                opt,
                origin: super::Origin::Dialect,
                text: on.to_string(),
            });
        }
    }
    super::supervise(settings, scanned.command)
}

fn usage_error(text: String) -> Error {
    Error::Peer {
        text,
        code: crate::error::exit::DUMB_INIT_USAGE,
    }
}

/// A problem in the words of dumb-init and glibc's getopt.
fn in_words(problem: Problem) -> Error {
    usage_error(match problem {
        Problem::Unknown(text) if text.starts_with("--") => {
            format!("dumb-init: unrecognized option '{text}'\n")
        }
        Problem::Unknown(text) | Problem::UnknownInWord { written: text, .. } => {
            format!(
                "dumb-init: invalid option -- '{}'\n",
                text.trim_start_matches('-')
            )
        }
        Problem::NeedsValue { written, .. } if written.starts_with("--") => {
            format!("dumb-init: option '{written}' requires an argument\n")
        }
        Problem::NeedsValue { written, .. } => {
            format!(
                "dumb-init: option requires an argument -- '{}'\n",
                written.trim_start_matches('-')
            )
        }
        Problem::TakesNoValue { written, .. } => {
            format!("dumb-init: option '{written}' doesn't allow an argument\n")
        }
        // -r is the only option with a value.
        Problem::Invalid { .. } => {
            "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.\n\
             This option can be specified multiple times.\n\
             Use --help for full usage.\n"
                .to_string()
        }
        Problem::NotUtf8(what) => format!("dumb-init: {what} is not UTF-8\n"),
        Problem::Other(text) => format!("dumb-init: {text}\n"),
    })
}

/// `dumb-init --help`, generated from `DUMB_INIT` in tend's own words.
fn help() -> String {
    let mut text = format!(
        "dumb-init v{VERSION} (tend {}, under dumb-init's name)\n\
         Usage: dumb-init [option] command [[arg] ...]\n\n\
         Runs command as PID 1's child: forwards signals to its session, reaps zombies,\n\
         exits with its status.\n\nOptions:\n",
        env!("CARGO_PKG_VERSION")
    );
    for opt in DUMB_INIT {
        text.push_str(&format!("   {:<20} {}\n", opt.spec(), opt.help));
    }
    text.push_str(
        "\nDUMB_INIT_SETSID=0 is -c, DUMB_INIT_DEBUG=1 is -v; tend's TEND_* variables apply too.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Config;
    use std::collections::HashMap;

    fn parse_with(list: &[&str], vars: &[(&str, &str)]) -> Result<Mode, Error> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let args: Vec<OsString> = list.iter().map(OsString::from).collect();
        parse(&args, &|name| vars.get(name).cloned())
    }

    fn config(list: &[&str], vars: &[(&str, &str)]) -> Config {
        match parse_with(list, vars) {
            Ok(Mode::Supervise(config)) => *config,
            other => panic!("{list:?} {vars:?} gave {other:?}"),
        }
    }

    fn peer_error(list: &[&str]) -> (String, u8) {
        match parse_with(list, &[]) {
            Err(Error::Peer { text, code }) => (text, code),
            other => panic!("{list:?} should fail, gave {other:?}"),
        }
    }

    #[test]
    fn setsid_mode_by_default_with_dumb_inits_job_control() {
        let c = config(&["prog"], &[]);
        assert!(c.dumb_init && c.setsid && c.signal_group);
        assert_eq!(
            (
                c.rewrite.apply(20),
                c.rewrite.apply(21),
                c.rewrite.apply(22)
            ),
            (19, 19, 19)
        );
        assert_eq!(c.rewrite.apply(15), 15);
        for off in [
            config(&["-c", "prog"], &[]),
            config(&["--single-child", "prog"], &[]),
            config(&["prog"], &[("DUMB_INIT_SETSID", "0")]),
        ] {
            assert!(!off.setsid && !off.signal_group);
            assert_eq!(off.rewrite.apply(20), 20, "no rewrite without setsid");
        }
        // Anything but exactly "0" leaves setsid on, as in dumb-init.
        assert!(config(&["prog"], &[("DUMB_INIT_SETSID", "no")]).setsid);
        // A rewrite of a job-control signal replaces the default one.
        assert_eq!(config(&["-r", "20:1", "prog"], &[]).rewrite.apply(20), 1);
    }

    #[test]
    fn options_and_variables() {
        let c = config(
            &[
                "-v",
                "-r",
                "15:3",
                "--rewrite=10:0",
                "-r2:15",
                "--",
                "prog",
                "-v",
            ],
            &[],
        );
        assert_eq!(c.log_level, crate::logger::Level::Debug);
        assert_eq!(
            (c.rewrite.apply(15), c.rewrite.apply(10), c.rewrite.apply(2)),
            (3, 0, 15)
        );
        assert_eq!(c.command, [OsString::from("prog"), OsString::from("-v")]);
        assert_eq!(
            config(&["x"], &[("DUMB_INIT_DEBUG", "1")]).log_level,
            crate::logger::Level::Debug
        );
        assert_eq!(
            config(&["x"], &[("DUMB_INIT_DEBUG", "yes")]).log_level,
            crate::logger::Level::Warn
        );
        // tend's variables apply; tini's do not, nor do tend's flags.
        let c = config(
            &["x"],
            &[("TEND_GRACE", "2s"), ("TINI_KILL_PROCESS_GROUP", "1")],
        );
        assert_eq!(c.grace, Some(std::time::Duration::from_secs(2)));
        assert_eq!(
            peer_error(&["--grace", "2s", "x"]).0,
            "dumb-init: unrecognized option '--grace'\n"
        );
    }

    #[test]
    fn errors_in_dumb_inits_words_and_exit_codes() {
        let usage =
            "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n";
        assert_eq!(peer_error(&[]), (usage.to_string(), 1));
        assert_eq!(peer_error(&["-v"]).0, usage);
        assert_eq!(
            peer_error(&["--yolo", "/bin/true"]).0,
            "dumb-init: unrecognized option '--yolo'\n"
        );
        assert_eq!(
            peer_error(&["-x", "true"]).0,
            "dumb-init: invalid option -- 'x'\n"
        );
        for bad in [
            &["-r"][..],
            &["-r", ""],
            &["-r", "herp"],
            &["-r", "15"],
            &["-r", "15::12"],
            &["-r", "15:derp"],
            &["-r", "15:12", "-r"],
            &["-r", "15:12", "-r", "0"],
            &["-r", "15:12", "-r", "1:32"],
        ] {
            let mut args = bad.to_vec();
            args.extend(["echo", "hi"]);
            let (text, code) = peer_error(&args);
            assert_eq!(code, 1, "{bad:?}");
            assert!(
                text.starts_with("Usage: -r option takes <signum>:<signum>")
                    || text.contains("requires an argument"),
                "{bad:?}: {text}"
            );
        }
    }

    #[test]
    fn tends_traps_stay_out_of_dumb_inits_command_line() {
        // No suggestion: getopt's words, which scripts read.
        assert_eq!(
            peer_error(&["--verbos", "x"]).0,
            "dumb-init: unrecognized option '--verbos'\n"
        );
        // getopt takes the next argument as the value, whatever it is.
        for value in ["--", "-v", "1:2,3:4"] {
            let (text, _) = peer_error(&["-r", value, "x"]);
            assert!(
                text.starts_with("Usage: -r option takes"),
                "{value}: {text}"
            );
        }
        // Nor does a flag that loses to a variable say so: dumb-init never did.
        let c = config(&["-r", "15:3", "x"], &[("TEND_REWRITE", "15:2")]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn help_and_version_go_to_stderr() {
        for flag in ["-h", "--help"] {
            match parse_with(&[flag], &[]) {
                Ok(Mode::Print { text, stderr: true }) => {
                    for opt in DUMB_INIT {
                        assert!(text.contains(&opt.spec()), "{}", opt.spec());
                    }
                }
                other => panic!("{flag}: {other:?}"),
            }
        }
        for flag in ["-V", "--version"] {
            assert_eq!(
                parse_with(&[flag], &[]).ok(),
                Some(Mode::Print {
                    text: format!("dumb-init v{VERSION}\n"),
                    stderr: true
                })
            );
        }
    }
}
