//! The command line as a newcomer meets it (issue 20): --help and the man
//! page, the traps that must say so, the warnings for variables that lose
//! to flags, and the log format on a terminal. Judged by exit codes, the
//! lines on stdout and stderr, and what `man` makes of docs/tend.1.

mod common;

use std::process::{Command, Stdio};

use common::{TEND, Tend};

/// `tend ARGS` with exactly the environment `vars` (and a PATH), to the end.
fn run(args: &[&str], vars: &[(&str, &str)]) -> common::Outcome {
    let mut cmd = Command::new(TEND);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(vars.iter().copied());
    Tend::spawn(cmd, false).wait()
}

#[test]
fn help_fits_an_80_column_terminal() {
    let out = run(&["--help"], &[]);
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
