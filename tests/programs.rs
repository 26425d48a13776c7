//! Several programs (issue 19), seen from outside: tend as PID 1 of a fresh
//! PID namespace runs steps (`--pre`, a Procfile's `release`) and then
//! programs beside the program (`--also`, a Procfile's others), judged by
//! exit statuses, the fixture's stdout lines and tend's JSON records.
//!
//! Time: every wait has the hang deadline only; a backoff or a grace is
//! checked as a lower bound, which a loaded machine only makes larger.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Outcome, Scratch, Tend, children_of, fixture, have_root, logged, pid1_command, records, ts_ms,
    wait_for, with_msg, zombie_children,
};
use libc::{SIGHUP, SIGKILL, SIGTERM, SIGUSR1};
use serde_json::Value;

/// SIGRTMIN+2: a real-time signal, which nix has no name for.
const SIGRT: i32 = 36;

/// `tend-fixture ARGS` as one command string (the fixture's path holds no
/// blank and no quote, so it needs no quoting).
fn fx(args: &str) -> String {
    format!("{} {args}", fixture())
}

/// Wait for `n` more stdout lines that are exactly `line`.
fn expect_lines(tend: &mut Tend, line: &str, n: usize) {
    let mut seen = 0;
    while seen < n {
        if tend.expect_line(line) == line {
            seen += 1;
        }
    }
}

/// The stdout lines of the fixture's `argv` mode.
fn args_printed(out: &Outcome) -> Vec<&str> {
    out.stdout
        .iter()
        .filter(|l| l.starts_with("arg: "))
        .map(String::as_str)
        .collect()
}

fn touch(path: &Path) {
    fs::write(path, b"").expect("create the trigger file");
}

#[test]
fn a_step_that_fails_ends_tend_with_its_status_and_nothing_else_starts() {
    if !have_root("a_step_that_fails_ends_tend_with_its_status_and_nothing_else_starts") {
        return;
    }
    let out = Tend::pid1(&[
        "--pre",
        &fx("exit 3"),
        "--also",
        &fx("argv also"),
        "--",
        fixture(),
        "argv",
        "program",
    ])
    .wait();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(args_printed(&out).is_empty(), "{out:?}");
    let failed = with_msg(&out.stderr, "step failed");
    assert_eq!(failed.len(), 1, "{}", out.stderr);
    assert_eq!(failed[0]["level"], "error", "{}", failed[0]);
    assert_eq!(failed[0]["name"], "tend-fixture", "{}", failed[0]);
    assert_eq!(failed[0]["exit_code"], 3, "{}", failed[0]);

    // A step that dies of a signal: 128+N, as `a && b` gives.
    let mut tend = Tend::pid1(&["--pre", &fx("wait"), "--", fixture(), "argv", "program"]);
    tend.expect_line("ready");
    let step = *children_of(tend.pid).first().expect("the step runs");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(step), common::to_signal(SIGKILL))
        .expect("kill the step");
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGKILL), "{out:?}");
    assert!(args_printed(&out).is_empty(), "{out:?}");
    let failed = with_msg(&out.stderr, "step failed");
    assert_eq!(failed.len(), 1, "{}", out.stderr);
    assert_eq!(failed[0]["signal"], "SIGKILL", "{}", failed[0]);
}

#[test]
fn steps_run_in_order_each_as_the_program_runs() {
    if !have_root("steps_run_in_order_each_as_the_program_runs") {
        return;
    }
    // In order; with --expand each word as ARGS are, and what was single-quoted literal.
    let mut cmd = pid1_command(&[
        "--expand",
        "--pre",
        &fx("argv one $WORD '$WORD'"),
        "--pre",
        &fx("argv two"),
        "--",
        fixture(),
        "argv",
        "three",
        "$WORD",
    ]);
    cmd.env("WORD", "w o");
    let out = Tend::spawn(cmd, true).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        args_printed(&out),
        [
            "arg: one",
            "arg: w o",
            "arg: $WORD",
            "arg: two",
            "arg: three",
            "arg: w o"
        ]
    );

    // Each step sees what the program sees: environment (with --file-env's
    // secret and --user's variables), user, group, directory and umask.
    let scratch = Scratch::new("as-the-program");
    let secret = scratch.write("secret", b"s3cret\n", 0o644);
    for mode in ["env", "where", "status"] {
        let mut cmd = pid1_command(&[
            "--user",
            "61019:61019",
            "--chdir",
            "/tmp",
            "--umask",
            "0027",
            "--file-env",
            "SECRET",
            "--pre",
            &fx(mode),
            "--pre",
            &fx("argv ---"),
            "--",
            fixture(),
            mode,
        ]);
        cmd.env("SECRET_FILE", &secret);
        let out = Tend::spawn(cmd, true).wait();
        assert_eq!(out.code, Some(0), "{mode}: {out:?}");
        let split = out
            .stdout
            .iter()
            .position(|l| l == "arg: ---")
            .unwrap_or_else(|| panic!("{mode}: no separator in {:?}", out.stdout));
        let (step, program) = (&out.stdout[..split], &out.stdout[split + 1..]);
        let keep = |lines: &[String]| -> Vec<String> {
            lines
                .iter()
                .filter(|l| match mode {
                    "status" => ["Uid:", "Gid:", "Groups:"].iter().any(|k| l.starts_with(k)),
                    _ => true,
                })
                .cloned()
                .collect()
        };
        let (step, program) = (keep(step), keep(program));
        assert!(!program.is_empty(), "{mode}: {out:?}");
        assert_eq!(step, program, "{mode}: the step and the program differ");
        let want: &[&str] = match mode {
            "env" => &["SECRET=s3cret"],
            "where" => &["cwd: /tmp", "umask: 0027"],
            _ => &[
                "Uid:\t61019\t61019\t61019\t61019",
                "Gid:\t61019\t61019\t61019\t61019",
            ],
        };
        for line in want {
            assert!(
                step.iter().any(|l| l == line),
                "{mode}: {line:?} in {step:?}"
            );
        }
        assert!(
            !step.iter().any(|l| l.starts_with("SECRET_FILE=")),
            "{step:?}"
        );
    }
}

#[test]
fn a_stop_signal_during_a_step_reaches_it_and_nothing_starts_after() {
    if !have_root("a_stop_signal_during_a_step_reaches_it_and_nothing_starts_after") {
        return;
    }
    let mut tend = Tend::pid1(&[
        "--pre",
        &fx("signals 1"),
        "--",
        fixture(),
        "argv",
        "program",
    ]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    tend.expect_line(&format!("got {SIGTERM}"));
    let out = tend.wait();
    // The step exited 0 after the signal: tend leaves as the signal asked.
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    assert!(args_printed(&out).is_empty(), "{out:?}");

    // --grace bounds a step as it bounds the program: 137 once it runs out.
    let mut tend = Tend::pid1(&[
        "--grace",
        "1s",
        "--pre",
        &fx("ignore 15"),
        "--",
        fixture(),
        "argv",
        "program",
    ]);
    tend.expect_line("ready");
    let sent = Instant::now();
    tend.signal(SIGTERM);
    let out = tend.wait();
    let waited = sent.elapsed();
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        waited >= Duration::from_secs(1),
        "killed before --grace: {waited:?}"
    );
    assert!(args_printed(&out).is_empty(), "{out:?}");
}

#[test]
fn the_first_exit_stops_the_others_and_decides_the_status() {
    if !have_root("the_first_exit_stops_the_others_and_decides_the_status") {
        return;
    }
    let scratch = Scratch::new("first-exit");
    let trigger = scratch.path("exit");
    let awaiting = fx(&format!("await {} 4", trigger.display()));
    // An --also program ends first, with 4: tend's status, which -e 4 does not remap.
    let mut tend = Tend::pid1(&[
        "-v",
        "-e",
        "4",
        "--also",
        &fx("signals 1"),
        "--also",
        &awaiting,
        "--",
        fixture(),
        "signals",
        "1",
    ]);
    expect_lines(&mut tend, "ready", 3);
    touch(&trigger);
    expect_lines(&mut tend, &format!("got {SIGTERM}"), 2);
    let out = tend.wait();
    assert_eq!(out.code, Some(4), "{out:?}");
    let ended = with_msg(&out.stderr, "program ended: stopping the others");
    assert_eq!(ended.len(), 1, "{}", out.stderr);
    assert_eq!(ended[0]["name"], "tend-fixture#2", "{}", ended[0]);
    assert_eq!(ended[0]["exit_code"], 4, "{}", ended[0]);
    // A failure that ends the run is said at the default level (warn).
    assert_eq!(ended[0]["level"], "warn", "{}", ended[0]);
    assert_eq!(
        ended[0]["stopping"], "tend-fixture, tend-fixture#3",
        "{}",
        ended[0]
    );
    let stopped = with_msg(&out.stderr, "stopping child");
    let mut names: Vec<&str> = stopped.iter().filter_map(|r| r["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["tend-fixture", "tend-fixture#3"], "{}", out.stderr);
    // Each of the others stopped of itself, on the SIGTERM: nothing was killed, nothing is left.
    let mut codes: Vec<(String, u64)> = with_msg(&out.stderr, "child exited")
        .iter()
        .map(|r| {
            let name = r["name"].as_str().unwrap_or("?").to_string();
            (name, r["exit_code"].as_u64().unwrap_or(999))
        })
        .collect();
    assert_eq!(
        codes.first(),
        Some(&("tend-fixture#2".to_string(), 4)),
        "{}",
        out.stderr
    );
    codes.sort();
    let want = [
        ("tend-fixture", 0),
        ("tend-fixture#2", 4),
        ("tend-fixture#3", 0),
    ];
    let want: Vec<(String, u64)> = want.iter().map(|&(n, c)| (n.to_string(), c)).collect();
    assert_eq!(codes, want, "{}", out.stderr);
    assert!(!out.stderr.contains("SIGKILL"), "{}", out.stderr);

    // The program ends first: its status, which -e remaps.
    fs::remove_file(&trigger).expect("reset the trigger");
    let mut tend = Tend::pid1(&[
        "-e",
        "4",
        "--also",
        &fx("signals 1"),
        "--",
        fixture(),
        "await",
        &trigger.display().to_string(),
        "4",
    ]);
    expect_lines(&mut tend, "ready", 2);
    touch(&trigger);
    tend.expect_line(&format!("got {SIGTERM}"));
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn one_that_ignores_sigterm_is_killed_after_grace() {
    if !have_root("one_that_ignores_sigterm_is_killed_after_grace") {
        return;
    }
    let scratch = Scratch::new("ignores-term");
    let trigger = scratch.path("exit");
    let mut tend = Tend::pid1(&[
        "--grace",
        "1s",
        "--also",
        &fx("ignore 15"),
        "--",
        fixture(),
        "await",
        &trigger.display().to_string(),
        "3",
    ]);
    expect_lines(&mut tend, "ready", 2);
    let exited = Instant::now();
    touch(&trigger);
    let out = tend.wait();
    let waited = exited.elapsed();
    // The program exited 3; the --also program would not stop: tend killed it, hence 137.
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        waited >= Duration::from_secs(1),
        "killed before --grace: {waited:?}"
    );
    let killed = with_msg(
        &out.stderr,
        "children outlived their stop: sending SIGKILL to them and every process left",
    );
    assert_eq!(killed.len(), 1, "{}", out.stderr);
    assert_eq!(killed[0]["left"], "tend-fixture", "{}", killed[0]);
}

/// The `child started` records of the child named `name`.
fn starts_of(stderr: &str, name: &str) -> Vec<Value> {
    with_msg(stderr, "child started")
        .into_iter()
        .filter(|r| r["name"] == name)
        .collect()
}

#[test]
fn on_failure_restarts_with_a_backoff_and_never_once_a_stop_has_begun() {
    if !have_root("on_failure_restarts_with_a_backoff_and_never_once_a_stop_has_begun") {
        return;
    }
    // The --also program fails at once, every time: restarts after 1 s, 2 s, 4 s, ….
    let mut tend = Tend::pid1(&[
        "-v",
        "--grace",
        "5s",
        "--restart",
        "on-failure",
        "--also",
        &fx("exit 1"),
        "--",
        fixture(),
        "ignore",
        "15",
    ]);
    tend.expect_line("ready");
    // Its third exit: a restart in 4 s is due. The stop comes now, while it waits.
    logged(&tend, "the third restart's record", |r| {
        r["msg"] == "restarting" && r["count"] == 3
    });
    tend.signal(SIGTERM);
    // The program ignores SIGTERM: tend waits out --grace (5 s), longer
    // than the backoff (at most 4 s from an exit before the stop). A restart
    // after the stop would come before the kill.
    let out = tend.wait();
    assert_eq!(out.code, Some(137), "{out:?}");
    let logs = records(&out.stderr);
    let stop = logs
        .iter()
        .position(|r| r["msg"] == "forwarded signal" && r["signal"] == "SIGTERM")
        .unwrap_or_else(|| panic!("no forwarded SIGTERM: {}", out.stderr));
    let about_it = |r: &&Value| r["name"] == "tend-fixture";
    let after: Vec<&Value> = logs[stop..].iter().filter(about_it).collect();
    assert!(
        after.iter().all(|r| r["msg"] != "child started"),
        "a restart after the stop began: {after:?}"
    );
    match logs[..stop].iter().rfind(about_it) {
        Some(last) if last["msg"] == "restarting" => {}
        // Only a machine too slow to send the signal within the 4 s backoff gets here.
        last => eprintln!("the --also program was not waiting out a backoff at the stop: {last:?}"),
    }
    let starts = starts_of(&out.stderr, "tend-fixture");
    assert!(starts.len() >= 3, "{}", out.stderr);
    // The gaps between starts: at least the backoff (ts are cut to the millisecond).
    let gaps: Vec<i64> = starts
        .windows(2)
        .map(|w| ts_ms(&w[1]) - ts_ms(&w[0]))
        .collect();
    assert!(
        gaps[0] >= 999,
        "the first restart came {}ms after the start, before its 1 s backoff",
        gaps[0]
    );
    assert!(
        gaps[1] >= 1999,
        "the second restart came {}ms after the first, before its 2 s backoff",
        gaps[1]
    );
    let restarts = with_msg(&out.stderr, "restarting");
    let counts: Vec<u64> = restarts
        .iter()
        .filter_map(|r| r["count"].as_u64())
        .collect();
    assert_eq!(
        counts,
        (1..=restarts.len() as u64).collect::<Vec<_>>(),
        "{}",
        out.stderr
    );
    for record in &restarts {
        assert_eq!(record["level"], "warn", "{record}");
        assert_eq!(record["name"], "tend-fixture", "{record}");
        assert_eq!(record["exit_code"], 1, "{record}");
    }
}

#[test]
fn always_restarts_an_exit_0_and_on_failure_leaves_it_down() {
    if !have_root("always_restarts_an_exit_0_and_on_failure_leaves_it_down") {
        return;
    }
    let mut tend = Tend::pid1(&[
        "-v",
        "--restart",
        "always",
        "--also",
        &fx("exit 0"),
        "--",
        fixture(),
        "wait",
    ]);
    tend.expect_line("ready");
    logged(&tend, "the restart's start", |r| {
        r["msg"] == "child started" && r["name"] == "tend-fixture"
    });
    wait_for("the --also program to start again", || {
        (starts_of(&tend.stderr(), "tend-fixture").len() >= 2).then_some(())
    });
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    let first = &with_msg(&out.stderr, "restarting")[0];
    assert_eq!(
        (first["count"].as_u64(), first["exit_code"].as_u64()),
        (Some(1), Some(0)),
        "{first}"
    );

    // on-failure: an exit 0 stays down, and the program goes on.
    let mut tend = Tend::pid1(&[
        "-v",
        "--restart",
        "on-failure",
        "--also",
        &fx("exit 0"),
        "--",
        fixture(),
        "wait",
    ]);
    tend.expect_line("ready");
    let down = logged(&tend, "the stays-down record", |r| r["msg"] == "stays down");
    assert_eq!(down["name"], "tend-fixture", "{down}");
    assert!(tend.running(), "{}", tend.stderr());
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    assert_eq!(
        starts_of(&out.stderr, "tend-fixture").len(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn every_signal_reaches_every_program() {
    if !have_root("every_signal_reaches_every_program") {
        return;
    }
    let mut tend = Tend::pid1(&[
        "--also",
        &fx("signals 4"),
        "--also",
        &fx("signals 4"),
        "--",
        fixture(),
        "signals",
        "4",
    ]);
    expect_lines(&mut tend, "ready", 3);
    tend.signal(SIGHUP);
    expect_lines(&mut tend, &format!("got {SIGHUP}"), 3);
    tend.signal(SIGUSR1);
    expect_lines(&mut tend, &format!("got {SIGUSR1}"), 3);
    tend.signal_raw(SIGRT);
    expect_lines(&mut tend, &format!("got {SIGRT}"), 3);
    // Each exits 0 after its fourth signal: the stop reaches them all too.
    tend.signal(SIGTERM);
    expect_lines(&mut tend, &format!("got {SIGTERM}"), 3);
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn the_orphans_of_every_program_are_reaped() {
    if !have_root("the_orphans_of_every_program_are_reaped") {
        return;
    }
    let mut tend = Tend::pid1(&[
        "--also",
        &fx("orphans 200"),
        "--",
        fixture(),
        "orphans",
        "200",
    ]);
    expect_lines(&mut tend, "orphaned 200", 2);
    // Every orphan exits at once: what is left of tend's children is the two programs.
    wait_for("tend to reap every orphan", || {
        (children_of(tend.pid).len() == 2).then_some(())
    });
    let zombies = zombie_children(tend.pid);
    assert!(zombies.is_empty(), "{zombies:?}");
    tend.signal(SIGTERM);
    assert_eq!(tend.wait().code, Some(128 + SIGTERM));
}

#[test]
fn every_command_and_procfile_error_is_125_with_its_line() {
    if !have_root("every_command_and_procfile_error_is_125_with_its_line") {
        return;
    }
    let scratch = Scratch::new("errors");
    let never: &[&str] = &["--", fixture(), "argv", "never"];
    // (flags, variables, what the error line must say)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let command_cases: [Case; 6] = [
        (
            &["--pre", "migrate && serve"],
            &[],
            "--pre: '&&' at column 9 of 'migrate && serve' is a shell operator",
        ),
        (
            &["--also", "php-fpm -F; sleep 1"],
            &[],
            "--also: ';' at column 11 of 'php-fpm -F; sleep 1' is a shell operator, and tend \
             runs no shell: run what comes first as a step with --pre, and each program \
             beside with its own --also",
        ),
        (
            &[],
            &[("TEND_ALSO", "ok\nnginx -g 'daemon off;")],
            "TEND_ALSO: the single quote at column 10",
        ),
        (&["--also", "a `b`"], &[], "--also: '`' at column 3"),
        (&["--pre", "a\\"], &[], "--pre: the backslash at column 2"),
        (&["--also", "  "], &[], "--also: the command '  ' is empty"),
    ];
    let check = |out: &Outcome, want: &str| {
        assert_eq!(out.code, Some(125), "{want}: {out:?}");
        assert!(args_printed(out).is_empty(), "{want}: {out:?}");
        let line = records(&out.stderr)
            .into_iter()
            .find(|r| r["level"] == "error")
            .unwrap_or_else(|| panic!("{want}: no error record in {}", out.stderr));
        let msg = line["msg"].as_str().unwrap_or_default();
        assert!(msg.contains(want), "{want:?} not in {msg:?}");
    };
    for (flags, vars, want) in command_cases {
        let mut cmd = pid1_command(&[flags, never].concat());
        cmd.envs(vars.iter().copied());
        check(&Tend::spawn(cmd, false).wait(), want);
    }
    let large = vec![b'#'; 1024 * 1024 + 1];
    let procfile_cases: [(&[u8], bool, &str); 9] = [
        (
            b"web: serve\nnot a line\n",
            true,
            "line 2: 'not a line' has no colon",
        ),
        (
            b"web: serve\nw.eb: x\n",
            true,
            "line 2: 'w.eb' is not a name",
        ),
        (b"\n\nweb:\n", true, "line 3: web has no command"),
        (
            b"web: a\nworker: b\nweb: c\n",
            true,
            "line 3: web is named already at line 1",
        ),
        (
            b"# comment\nweb: a | b\n",
            true,
            "line 2: web: '|' at column 3",
        ),
        (b"web: a\0b\n", true, "line 1 holds a NUL byte"),
        (
            &large,
            true,
            "1048577 bytes is more than a Procfile may hold",
        ),
        (
            b"release: migrate\n",
            false,
            "no program to run: the file has only release",
        ),
        (
            b"# nothing\n",
            false,
            "no program to run: the file has no entry",
        ),
    ];
    for (i, (text, with_program, want)) in procfile_cases.into_iter().enumerate() {
        let path = scratch.write(&format!("Procfile{i}"), text, 0o644);
        let mut args = vec!["--procfile", path.as_str()];
        if with_program {
            args.extend(never);
        }
        let out = Tend::spawn(pid1_command(&args), false).wait();
        check(&out, &format!("--procfile {path}: {want}"));
    }
    // Not a regular file, or none: a FIFO must not even be waited on.
    let fifo = scratch.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let dir = scratch.root().display().to_string();
    let missing = scratch.show("missing");
    let fifo = fifo.display().to_string();
    for (path, why) in [
        (&dir, "not a regular file"),
        (&fifo, "not a regular file"),
        (&missing, "No such file or directory"),
    ] {
        let out = Tend::spawn(
            pid1_command(&[&["--procfile", path.as_str()], never].concat()),
            false,
        )
        .wait();
        check(&out, &format!("--procfile {path}: {why}"));
    }
    // The variable names itself; and the Procfile is read before any set-up step changes anything.
    let template = scratch.write("template", b"x\n", 0o644);
    let output = scratch.path("rendered");
    let render = format!("{template}:{}", output.display());
    let bad = scratch.write("bad", b"web: a && b\n", 0o644);
    let mut cmd = pid1_command(&[&["--render", render.as_str()], never].concat());
    cmd.env("TEND_PROCFILE", &bad);
    check(
        &Tend::spawn(cmd, false).wait(),
        &format!("TEND_PROCFILE {bad}: line 1: web: '&&'"),
    );
    assert!(
        !output.exists(),
        "--render ran before the Procfile was read"
    );
}

/// A `$NAME` of a set variable in a command string, without --expand,
/// reaches the program as written: one warning per command says so, never
/// for what single quotes keep literal, never with --expand (issue 20 #5).
#[test]
fn a_set_variable_in_a_command_string_without_expand_is_a_warning() {
    if !have_root("a_set_variable_in_a_command_string_without_expand_is_a_warning") {
        return;
    }
    let scratch = Scratch::new("unexpanded");
    let procfile = scratch.write(
        "Procfile",
        format!("web: {}\n", fx("argv web $PORT")).as_bytes(),
        0o644,
    );
    let (step, quiet) = (fx("argv step ${PORT}"), fx("argv quiet '$PORT'"));
    let args = [
        "--pre",
        &step,
        "--pre",
        &quiet,
        "--procfile",
        &procfile,
        "--",
        fixture(),
        "exit",
        "0",
    ];
    let warnings = |expand: bool| {
        let flags: &[&str] = if expand { &["--expand"] } else { &[] };
        let mut cmd = pid1_command(&[flags, &args[..]].concat());
        cmd.env("PORT", "8080");
        let out = Tend::spawn(cmd, false).wait();
        assert_eq!(out.code, Some(0), "{out:?}");
        records(&out.stderr)
            .into_iter()
            .filter(|r| r["level"] == "warn")
            .filter_map(|r| r["msg"].as_str().map(String::from))
            .collect::<Vec<_>>()
    };
    let tail =
        "holds $PORT, a variable that is set, and gets it as written: add --expand to expand it";
    assert_eq!(
        warnings(false),
        [
            // The command as errors quote it: each word shell-quoted, in quotes.
            format!("--pre '{}' {tail}", fx("argv step '${PORT}'")),
            format!("--procfile line 1 (web) {tail}"),
        ]
    );
    assert_eq!(warnings(true), Vec::<String>::new());
}

#[test]
fn setsid_is_for_one_program() {
    if !have_root("setsid_is_for_one_program") {
        return;
    }
    let out = Tend::pid1(&[
        "--setsid",
        "--also",
        &fx("argv also"),
        "--",
        fixture(),
        "argv",
        "program",
    ])
    .wait();
    assert_eq!(out.code, Some(125), "{out:?}");
    assert!(args_printed(&out).is_empty(), "{out:?}");
    assert!(
        out.stderr.contains(
            "--also cannot be used with --setsid: one terminal cannot lead several sessions"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn records_name_a_child_only_when_there_are_several() {
    if !have_root("records_name_a_child_only_when_there_are_several") {
        return;
    }
    // Without the new flags: today's records, none with a name.
    let out = Tend::pid1(&["-v", fixture(), "exit", "0"]).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let logs = records(&out.stderr);
    for msg in ["child started", "child exited", "tend exiting"] {
        assert!(
            logs.iter().any(|r| r["msg"] == msg),
            "no {msg:?}: {}",
            out.stderr
        );
    }
    for record in &logs {
        assert!(record.get("name").is_none(), "{record}");
    }
    // With one: every record about a child names it.
    let out = Tend::pid1(&["-v", "--also", &fx("exit 0"), "--", fixture(), "wait"]).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let about_a_child = [
        "child started",
        "child exited",
        "stopping child",
        "program ended: stopping the others",
    ];
    let logs = records(&out.stderr);
    // An exit 0 that ends the run is news, not a warning.
    let ended = with_msg(&out.stderr, "program ended: stopping the others");
    assert_eq!(ended.len(), 1, "{}", out.stderr);
    assert_eq!(ended[0]["level"], "info", "{}", ended[0]);
    for msg in about_a_child {
        let found: Vec<&Value> = logs.iter().filter(|r| r["msg"] == msg).collect();
        assert!(!found.is_empty(), "no {msg:?}: {}", out.stderr);
        for record in found {
            assert!(
                record["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("tend-fixture")),
                "{record}"
            );
        }
    }
}

#[test]
fn a_program_or_step_that_cannot_run_ends_tend_after_stopping_what_started() {
    if !have_root("a_program_or_step_that_cannot_run_ends_tend_after_stopping_what_started") {
        return;
    }
    // The program is missing: the --also program, already running, is stopped first.
    let out = Tend::pid1(&["-v", "--also", &fx("wait"), "--", "/nonexistent/app"]).wait();
    assert_eq!(out.code, Some(127), "{out:?}");
    let error = records(&out.stderr)
        .into_iter()
        .find(|r| r["level"] == "error")
        .unwrap_or_else(|| panic!("no error record: {}", out.stderr));
    assert!(
        error["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot run '/nonexistent/app'")),
        "{error}"
    );
    assert_eq!(error["name"], "app", "{error}");
    let stopped = with_msg(&out.stderr, "child exited");
    assert_eq!(stopped.len(), 1, "{}", out.stderr);
    assert_eq!(stopped[0]["name"], "tend-fixture", "{}", stopped[0]);
    assert_eq!(stopped[0]["signal"], "SIGTERM", "{}", stopped[0]);

    // The first step, before anything runs: one error record that names it.
    let out = Tend::pid1(&[
        "--pre",
        "/nonexistent/step",
        "--",
        fixture(),
        "argv",
        "never",
    ])
    .wait();
    assert_eq!(out.code, Some(127), "{out:?}");
    assert!(args_printed(&out).is_empty(), "{out:?}");
    let errors: Vec<_> = records(&out.stderr)
        .into_iter()
        .filter(|r| r["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(
        errors[0]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot run '/nonexistent/step'")),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0]["name"], "step", "{}", errors[0]);

    // A later step that is not executable: 126, and the program never runs.
    let out = Tend::pid1(&[
        "--pre",
        &fx("argv first"),
        "--pre",
        "/etc/passwd",
        "--",
        fixture(),
        "argv",
        "never",
    ])
    .wait();
    assert_eq!(out.code, Some(126), "{out:?}");
    assert_eq!(args_printed(&out), ["arg: first"], "{out:?}");
    assert!(
        out.stderr.contains("cannot run '/etc/passwd'"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unhealthy_app_stops_every_program_and_tend_exits_69() {
    if !have_root("an_unhealthy_app_stops_every_program_and_tend_exits_69") {
        return;
    }
    // Nothing listens on port 1: every check fails. The watchdog starts with
    // the programs, after the step. The programs die of the SIGTERM it sends
    // (whether or not they are set up by then: default dispositions).
    let out = Tend::pid1(&[
        "-v",
        "--health",
        "tcp://127.0.0.1:1",
        "--health-interval",
        "100ms",
        "--health-retries",
        "1",
        "--pre",
        &fx("argv step"),
        "--also",
        &fx("wait"),
        "--",
        fixture(),
        "wait",
    ])
    .wait();
    assert_eq!(out.code, Some(69), "{out:?}");
    assert_eq!(args_printed(&out), ["arg: step"], "{out:?}");
    let exited: Vec<(String, String)> = with_msg(&out.stderr, "child exited")
        .iter()
        .map(|r| {
            let name = r["name"].as_str().unwrap_or_default().to_string();
            (name, r["signal"].as_str().unwrap_or("none").to_string())
        })
        .collect();
    let mut programs: Vec<(String, String)> = exited[1..].to_vec();
    programs.sort();
    assert_eq!(
        (exited.first().cloned(), programs),
        (
            Some(("tend-fixture".to_string(), "none".to_string())),
            vec![
                ("tend-fixture#2".to_string(), "SIGTERM".to_string()),
                ("tend-fixture#3".to_string(), "SIGTERM".to_string())
            ]
        ),
        "{}",
        out.stderr
    );
}

/// (comm, pid, pgrp, tpgid) of each /proc/PID/stat line in `output`.
fn stat_lines(output: &[u8]) -> Vec<(String, i64, i64, i64)> {
    String::from_utf8_lossy(output)
        .lines()
        .filter_map(|line| {
            let (head, rest) = line.trim().rsplit_once(") ")?;
            let (pid, comm) = head.split_once(" (")?;
            // After the state: ppid, pgrp, session, tty_nr, tpgid.
            let fields: Vec<i64> = rest
                .split_whitespace()
                .skip(1)
                .take(5)
                .filter_map(|f| f.parse().ok())
                .collect();
            Some((
                comm.to_string(),
                pid.parse().ok()?,
                *fields.get(1)?,
                *fields.get(4)?,
            ))
        })
        .collect()
}

#[test]
fn steps_and_the_program_take_the_terminal_and_programs_beside_never_do() {
    // script(1) runs tend on a fresh pseudo-terminal, as a shell in a terminal would.
    let run = |args: &str| {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{} {args}", common::TEND), "/dev/null"])
            .output()
            .expect("script");
        stat_lines(&out.stdout)
    };
    // The step has the foreground while it runs; after it, tend takes it
    // back, and the program takes it in turn.
    let lines = run("--pre 'cat /proc/self/stat' -- cat /proc/self/stat");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (comm, pid, pgrp, tpgid) in &lines {
        assert_eq!(
            (pgrp, tpgid),
            (pid, pid),
            "{comm} {pid}: not in the foreground: {lines:?}"
        );
    }
    // A program beside runs in its own group, in the background.
    let lines = run(&format!(
        "--also 'cat /proc/self/stat' -- {} wait",
        fixture()
    ));
    let beside: Vec<_> = lines.iter().filter(|l| l.0 == "cat").collect();
    assert_eq!(beside.len(), 1, "{lines:?}");
    let (_, pid, pgrp, tpgid) = beside[0];
    assert_eq!(pgrp, pid, "its own process group: {lines:?}");
    assert_ne!(tpgid, pgrp, "a program beside took the terminal: {lines:?}");
}

#[test]
fn a_command_strings_program_from_a_secret_is_never_shown() {
    if !have_root("a_command_strings_program_from_a_secret_is_never_shown") {
        return;
    }
    let scratch = Scratch::new("secret-program");
    let secret = scratch.write("app", b"/nonexistent/s3cret-path\n", 0o644);
    // The program beside is a secret's value: it cannot run, and neither
    // its name in the log nor the error shows the value.
    let mut cmd = pid1_command(&[
        "-v",
        "--file-env",
        "APP",
        "--expand",
        "--also",
        &fx("wait"),
        "--also",
        "$APP --flag",
        "--",
        fixture(),
        "wait",
    ]);
    cmd.env("APP_FILE", &secret);
    let out = Tend::spawn(cmd, true).wait();
    assert_eq!(out.code, Some(127), "{out:?}");
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
    let error = records(&out.stderr)
        .into_iter()
        .find(|r| r["level"] == "error")
        .unwrap_or_else(|| panic!("no error record: {}", out.stderr));
    assert_eq!(
        error["msg"],
        "cannot run PROGRAM (from $APP, loaded by --file-env): No such file or directory (os error 2)",
        "{error}"
    );
    assert_eq!(error["name"], "$APP", "{error}");
}
