//! The command line as a newcomer meets it (issue 20): --help and the man
//! page, the traps that must say so, the warnings for variables that lose
//! to flags, and the log format on a terminal. Judged by exit codes, the
//! lines on stdout and stderr, and what `man` makes of docs/tend.1.

mod common;

use std::process::{Command, Stdio};

use common::{Output, TEND, json_lines, run_plain, shown_on_a_terminal};

#[test]
fn help_fits_an_80_column_terminal() {
    let out = run_plain(&["--help"], &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    for line in &out.stdout {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    let help = out.stdout.join("\n");
    for needle in ["Exit status:", "  69 ", "Examples", "HEALTHCHECK CMD"] {
        assert!(help.contains(needle), "--help lacks {needle:?}");
    }
}

#[test]
fn the_man_page_renders_without_warnings() {
    // man-db and groff-base come from .ci/setup; CI must not skip this.
    if Command::new("man").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "man is missing: .ci/setup installs man-db"
        );
        eprintln!("skipping: no man here");
        return;
    }
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tend.1");
    let out = Command::new("man")
        .args(["--warnings", "-l", page])
        .env("MANWIDTH", "80")
        .stdin(Stdio::null())
        .output()
        .expect("run man");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "man -l {page}: {stderr}");
    assert_eq!(stderr, "", "man --warnings -l {page}");
    assert!(stdout.contains("EXIT STATUS") && stdout.contains("--user-required"));
    for line in stdout.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

/// The one line of a tend that failed before it started anything.
#[track_caller]
fn refused(args: &[&str], vars: &[(&str, &str)]) -> String {
    let out = run_plain(args, vars);
    assert_eq!(out.code, Some(125), "{args:?}: {out:?}");
    assert!(out.stdout.is_empty(), "{args:?}: the program ran: {out:?}");
    let lines = json_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "{args:?}: one line: {lines:?}");
    lines[0]["msg"].as_str().unwrap_or_default().to_string()
}

#[test]
fn traps_say_so() {
    // --default-program -- took `--` as its value, and the error blamed the next word.
    let msg = refused(&["--default-program", "--", "echo", "ran"], &[]);
    assert!(
        msg.starts_with("'--default-program' needs a value: PROGRAM"),
        "{msg}"
    );
    let msg = refused(&["--user", "--chown", "/data", "echo", "ran"], &[]);
    assert!(msg.contains("write --user=--chown"), "{msg}");
    // A typo gets the nearest option, and only when it is near.
    let msg = refused(&["--wait-fro", "tcp://db:5432", "--", "echo", "ran"], &[]);
    assert!(
        msg.starts_with("unknown option '--wait-fro': did you mean --wait-for?"),
        "{msg}"
    );
    let msg = refused(&["--frobnicate", "echo", "ran"], &[]);
    assert!(!msg.contains("did you mean"), "{msg}");
    // The variable's commas work in the flag: death by SIGTERM or SIGINT is success.
    for signal in ["TERM", "INT"] {
        let script = format!("kill -{signal} $$");
        let out = run_plain(&["-e", "143,130", "--", "sh", "-c", &script], &[]);
        assert_eq!(out.code, Some(0), "{signal}: {out:?}");
    }
}

#[test]
fn a_set_variable_left_unexpanded_gets_one_warning_without_its_value() {
    let secret = "s3cr3t-value";
    let out = run_plain(
        &["--", "echo", "$DB_PASSWORD", "${DB_PASSWORD}"],
        &[("DB_PASSWORD", secret)],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    // The program gets the words as written: that is what the warning is about.
    assert_eq!(out.stdout, ["$DB_PASSWORD ${DB_PASSWORD}"]);
    let lines = json_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "one warning: {lines:?}");
    assert_eq!(lines[0]["level"], "warn");
    let msg = lines[0]["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains("argument 1 holds $DB_PASSWORD") && msg.contains("--expand"),
        "{msg}"
    );
    assert!(
        !out.stderr.contains(secret),
        "the value was logged: {}",
        out.stderr
    );
    // With --expand, or for a shell, or for a variable that is not set: nothing.
    for args in [
        &["--expand", "--", "echo", "$DB_PASSWORD"][..],
        &["--", "sh", "-c", "echo $DB_PASSWORD"],
        &["--", "echo", "$NOT_SET"],
    ] {
        let out = run_plain(args, &[("DB_PASSWORD", secret)]);
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{args:?}");
    }
}

#[test]
fn a_variable_that_a_flag_overrides_is_named_with_the_value_used() {
    // Issue 20 #3: the operator's -e TEND_WAIT_TIMEOUT=3s against the image's --wait-timeout 30s.
    let out = run_plain(
        &["--wait-timeout", "30s", "--", "true"],
        &[("TEND_WAIT_TIMEOUT", "3s")],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines = json_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "one warning: {lines:?}");
    assert_eq!(lines[0]["level"], "warn");
    assert_eq!(
        lines[0]["msg"],
        "TEND_WAIT_TIMEOUT=3s is overridden by --wait-timeout 30s: using 30s"
    );
    // Logged once logging is up: in its format, at its level.
    let out = run_plain(
        &[
            "--log-format",
            "text",
            "--wait-timeout",
            "30s",
            "--",
            "true",
        ],
        &[("TEND_WAIT_TIMEOUT", "3s")],
    );
    assert!(
        out.stderr
            .contains(" warn  tend: TEND_WAIT_TIMEOUT=3s is overridden"),
        "{out:?}"
    );
    let out = run_plain(
        &[
            "--log-level",
            "error",
            "--wait-timeout",
            "30s",
            "--",
            "true",
        ],
        &[("TEND_WAIT_TIMEOUT", "3s")],
    );
    assert_eq!(out.stderr, "", "{out:?}");
    // The same value, or no flag: nothing to say.
    for (args, value) in [
        (&["--wait-timeout", "3s", "--", "true"][..], "3s"),
        (&["--", "true"], "3s"),
    ] {
        let out = run_plain(args, &[("TEND_WAIT_TIMEOUT", value)]);
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{args:?}");
    }
}

/// tend's stderr when it is a terminal: `tend ARGS` with `vars` (and
/// TEND_WAIT_TIMEOUT=3s, which `--wait-timeout 30s` overrides, so that
/// there is a warning to see), run to the end with a pseudo-terminal as fd 2.
fn stderr_on_a_terminal(args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(TEND);
    cmd.args(["--wait-timeout", "30s"])
        .args(args)
        .args(["--", "true"])
        .env_clear()
        .env("TEND_WAIT_TIMEOUT", "3s")
        .envs(vars.iter().copied());
    shown_on_a_terminal(cmd, Output::Stderr)
}

#[test]
fn logs_on_a_terminal_are_text_unless_asked_otherwise() {
    // Issue 20 #7: a person reads a terminal; collectors read pipes and files.
    let shown = stderr_on_a_terminal(&[], &[]);
    assert!(
        shown.contains(" warn  tend: TEND_WAIT_TIMEOUT=3s is overridden") && !shown.contains('{'),
        "text on a terminal: {shown:?}"
    );
    for (args, vars) in [
        (&["--log-format", "json"][..], &[][..]),
        (&[], &[("TEND_LOG_FORMAT", "json")]),
    ] {
        let shown = stderr_on_a_terminal(args, vars);
        let line = shown.lines().next().unwrap_or_default();
        let record: serde_json::Value = serde_json::from_str(line.trim_end())
            .unwrap_or_else(|e| panic!("{args:?} {vars:?}: JSON, as asked: {shown:?}: {e}"));
        assert_eq!(record["level"], "warn");
    }
    // A pipe keeps JSON: what a_variable_that_a_flag_overrides… reads.
    let out = run_plain(
        &["--wait-timeout", "30s", "--", "true"],
        &[("TEND_WAIT_TIMEOUT", "3s")],
    );
    assert!(json_lines(&out.stderr).len() == 1, "{out:?}");
}

/// --version and --help write all they have to stdout, or exit 125 when
/// it will not take it (/dev/full: ENOSPC); a closed stdout takes it all
/// and the exit is 0, as it always was (std's Stdout pretended so, and
/// tend now writes fd 1 itself, issue 21).
#[test]
fn what_is_printed_reaches_stdout_or_the_exit_status_says_so() {
    let status = |redirect: &str, flag: &str| {
        Command::new("sh")
            .args(["-c", &format!("exec \"$0\" {flag} {redirect}"), TEND])
            .stdin(Stdio::null())
            .status()
            .expect("run sh")
            .code()
    };
    for flag in ["--version", "--help"] {
        assert_eq!(status(">/dev/full", flag), Some(125), "{flag} >/dev/full");
        assert_eq!(status(">&-", flag), Some(0), "{flag} with stdout closed");
    }
    let out = Command::new(TEND)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run tend --help");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.len() > 4096 && help.ends_with('\n'),
        "{} bytes: {help}",
        help.len()
    );
}
