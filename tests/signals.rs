//! Signal control (issue 13): --rewrite, --drop-unhandled, --signal-all,
//! --setsid, and dumb-init's personality, seen from outside: what the child
//! receives, what stops, which processes are left, exit codes and stderr.

mod common;

use std::os::unix::fs::symlink;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use common::{
    Scratch, TEND, Tend, children_of, fixture, have_root, pid1_command, plain_command, state_of,
    wait_for,
};
use libc::{SIGCONT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGUSR2};

const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// How long "nothing arrives" is watched for. Only a negative check: a
/// loaded machine can make it pass wrongly, never fail wrongly.
const QUIET: Duration = Duration::from_millis(700);

/// tend with `env` set, as PID 1 or not.
fn start(pid1: bool, args: &[&str], env: &[(&str, &str)]) -> Tend {
    let mut cmd = if pid1 {
        pid1_command(args)
    } else {
        plain_command(args)
    };
    cmd.envs(env.iter().copied());
    Tend::spawn(cmd, pid1)
}

#[test]
fn rewrites_by_number_name_and_real_time_signal_and_drops() {
    if !have_root("rewrites_by_number_name_and_real_time_signal_and_drops") {
        return;
    }
    let by_flags = [
        "--rewrite",
        "TERM:QUIT",
        "--rewrite=10:0",
        "--rewrite",
        "SIGRTMIN+1:RTMAX",
        "--rewrite",
        "2:SIGRTMIN",
    ];
    let by_var = [(
        "TEND_REWRITE",
        "TERM:QUIT, 10:0,SIGRTMIN+1:RTMAX,2:SIGRTMIN",
    )];
    for (flags, env) in [(&by_flags[..], &[][..]), (&[][..], &by_var[..])] {
        let mut args = flags.to_vec();
        args.extend([fixture(), "signals"]);
        let mut tend = start(true, &args, env);
        tend.expect_line("ready");
        // TERM and INT arrived as stop signals, so SIGCONT follows what they became.
        let cases = [
            (SIGTERM, SIGQUIT, true),
            (SIGRTMIN + 1, SIGRTMAX, false),
            (2, SIGRTMIN, true),
            (SIGHUP, SIGHUP, false),
        ];
        for (send, want, stop) in cases {
            tend.signal_raw(send);
            // Both pending at once, the kernel hands out SIGCONT before a real-time signal.
            let mut got = vec![tend.expect_line("got")];
            let mut wanted = vec![format!("got {want}")];
            if stop {
                got.push(tend.expect_line("got"));
                wanted.push(format!("got {SIGCONT}"));
            }
            got.sort();
            wanted.sort();
            assert_eq!(got, wanted, "{flags:?} {env:?}: sent {send}");
        }
        // USR1 is dropped: the next thing the child sees is the USR2 sent after it.
        tend.signal_raw(SIGUSR1);
        tend.signal_raw(SIGUSR2);
        assert_eq!(tend.expect_line("got"), format!("got {SIGUSR2}"));
    }
}

#[test]
fn the_rewritten_signal_is_what_grace_sees() {
    if !have_root("the_rewritten_signal_is_what_grace_sees") {
        return;
    }
    // HUP rewritten to TERM is a stop signal: the countdown starts and the
    // child, which only counts signals, is killed after the grace.
    let mut tend = start(
        true,
        &[
            "--grace",
            "1s",
            "--rewrite",
            "HUP:TERM",
            fixture(),
            "signals",
        ],
        &[],
    );
    tend.expect_line("ready");
    tend.signal(SIGHUP);
    assert_eq!(tend.expect_line("got"), format!("got {SIGTERM}"));
    assert_eq!(tend.wait().code, Some(137));

    // TERM dropped is no stop signal: no countdown.
    let mut tend = start(
        true,
        &["--grace", "1s", "--rewrite", "TERM:0", fixture(), "signals"],
        &[],
    );
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    thread::sleep(Duration::from_secs(3));
    assert!(tend.running(), "TERM:0: killed: {}", tend.stderr());
}

#[test]
fn a_stop_signal_rewritten_to_another_is_still_a_stop() {
    if !have_root("a_stop_signal_rewritten_to_another_is_still_a_stop") {
        return;
    }
    // nginx's recipe: TERM reaches the app as QUIT. QUIT is no stop signal by
    // default, but the TERM that arrived is: the grace starts, and an app that
    // ignores QUIT is killed after it (issue 18 #12; it used to wait forever).
    let quit = SIGQUIT.to_string();
    let mut tend = start(
        true,
        &[
            "--grace",
            "2s",
            "--rewrite",
            "TERM:QUIT",
            fixture(),
            "ignore",
            &quit,
        ],
        &[],
    );
    tend.expect_line("ready");
    let sent = Instant::now();
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        sent.elapsed() >= Duration::from_millis(1950),
        "killed {:?} after the TERM, before the 2 s grace",
        sent.elapsed()
    );
    assert!(out.stderr.contains("outlived --grace"), "{}", out.stderr);

    // And --drop-unhandled lets it through, as every stop signal: an app
    // without a handler for QUIT dies of it, as `docker stop` asked.
    let mut tend = start(
        true,
        &[
            "--drop-unhandled",
            "--rewrite",
            "TERM:QUIT",
            fixture(),
            "wait",
        ],
        &[],
    );
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGQUIT), "{out:?}");
}

#[test]
fn a_rewritten_stop_signal_ends_the_wait_for_dependencies() {
    if !have_root("a_rewritten_stop_signal_ends_the_wait_for_dependencies") {
        return;
    }
    // A dependency that never answers: it listens, and never accepts.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", silent.local_addr().expect("addr"));
    // TERM becomes QUIT, and QUIT is the stop signal: the TERM that docker
    // stop sends ends the wait, as it would end the app.
    let tend = start(
        true,
        &[
            "--stop-signals",
            "QUIT",
            "--rewrite",
            "TERM:QUIT",
            "--wait-for",
            &url,
            fixture(),
            "wait",
        ],
        &[],
    );
    // The wait's first check runs in a copy of tend: its child, while there is no app.
    wait_for("the wait's first check", || {
        (!children_of(tend.pid).is_empty()).then_some(())
    });
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    assert!(
        out.stderr
            .contains("SIGTERM while waiting for the dependencies"),
        "{}",
        out.stderr
    );
    drop(silent);
}

#[test]
fn drop_unhandled_spares_an_app_without_a_handler_but_not_docker_stop() {
    if !have_root("drop_unhandled_spares_an_app_without_a_handler_but_not_docker_stop") {
        return;
    }
    let usr1 = SIGUSR1.to_string();
    // The app handles USR1 and nothing else.
    let mut tend = start(
        true,
        &["-v", "--drop-unhandled", fixture(), "handle", &usr1],
        &[],
    );
    tend.expect_line("ready");
    tend.signal(SIGUSR1);
    assert_eq!(tend.expect_line("got"), format!("got {SIGUSR1}"));
    for deadly in [SIGUSR2, SIGHUP, SIGRTMIN + 3] {
        tend.signal_raw(deadly);
    }
    thread::sleep(QUIET);
    assert!(tend.running(), "an unhandled signal reached the app");
    // A stop signal always goes through, handled or not.
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    let dropped = out
        .stderr
        .lines()
        .filter(|l| l.contains("--drop-unhandled"))
        .count();
    assert_eq!(
        dropped, 3,
        "one info line per dropped signal: {}",
        out.stderr
    );

    // Without the flag, as with tini, the first unhandled deadly signal ends it.
    let mut tend = start(true, &[fixture(), "handle", &usr1], &[]);
    tend.expect_line("ready");
    tend.signal(SIGUSR2);
    assert_eq!(tend.wait().code, Some(128 + SIGUSR2));
}

#[test]
fn signal_all_reaches_a_daemon_in_its_own_session() {
    for pid1 in [true, false] {
        if pid1 && !have_root("signal_all_reaches_a_daemon_in_its_own_session") {
            continue;
        }
        for all in [true, false] {
            let mut args = if all { vec!["--signal-all"] } else { vec![] };
            args.extend([fixture(), "daemon"]);
            let mut tend = start(pid1, &args, &[]);
            tend.expect_line("ready");
            tend.signal(SIGUSR1);
            let mut lines = vec![tend.expect_line("got")];
            lines.extend(tend.lines_within(QUIET));
            lines.sort();
            let mut want = vec![format!("main got {SIGUSR1}")];
            if all {
                want.insert(0, format!("daemon got {SIGUSR1}"));
            }
            assert_eq!(lines, want, "as PID 1: {pid1}, --signal-all: {all}");
            // The daemon is tend's child too, adopted: both go.
            kill_children(&tend);
            let _ = tend.wait();
        }
    }
}

/// (pid, session id, process group) of a process, from /proc/PID/stat.
fn session_of(pid: i32) -> (i32, i32, i32) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = stat.rsplit_once(") ").map(|(_, r)| r).expect("a stat line");
    let fields: Vec<i32> = after
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|f| f.parse().expect("a number"))
        .collect();
    // After the state: ppid, pgrp, session.
    (pid, fields[2], fields[1])
}

/// A directory holding tend under dumb-init's name.
struct DumbInit(Scratch);

impl DumbInit {
    fn new(test: &str) -> DumbInit {
        let dir = Scratch::new(test);
        symlink(TEND, dir.path("dumb-init")).expect("symlink tend as dumb-init");
        DumbInit(dir)
    }

    fn path(&self) -> String {
        self.0.show("dumb-init")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.path());
        cmd.args(args).env_remove("DUMB_INIT_SETSID");
        cmd
    }
}

#[test]
fn setsid_mode_gives_the_child_its_own_session() {
    let dumb = DumbInit::new("setsid");
    let cases: [(&str, Command, bool); 4] = [
        ("dumb-init", dumb.command(&[fixture(), "wait"]), true),
        (
            "dumb-init -c",
            dumb.command(&["-c", fixture(), "wait"]),
            false,
        ),
        (
            "tend --setsid",
            plain_command(&["--setsid", fixture(), "wait"]),
            true,
        ),
        ("tend", plain_command(&[fixture(), "wait"]), false),
    ];
    for (what, cmd, own_session) in cases {
        let mut tend = Tend::spawn(cmd, false);
        tend.expect_line("ready");
        let app = wait_for("the app", || children_of(tend.pid).first().copied());
        let (pid, session, group) = session_of(app);
        let (_, tends_session, _) = session_of(tend.pid);
        assert_eq!(group, pid, "{what}: the app leads a process group");
        if own_session {
            assert_eq!(session, pid, "{what}: the app leads its own session");
        } else {
            assert_eq!(
                session, tends_session,
                "{what}: the app stays in tend's session"
            );
        }
        tend.signal(SIGTERM);
        assert_eq!(tend.wait().code, Some(128 + SIGTERM), "{what}");
    }
}

#[test]
fn in_setsid_mode_ctrl_z_stops_the_session_and_tend_and_sigcont_resumes_both() {
    let dumb = DumbInit::new("job-control");
    let runs = [
        ("dumb-init", dumb.command(&[fixture(), "signals"])),
        (
            "tend --setsid",
            plain_command(&["--setsid", fixture(), "signals"]),
        ),
    ];
    for (what, cmd) in runs {
        let mut tend = Tend::spawn(cmd, false);
        tend.expect_line("ready");
        let app = wait_for("the app", || children_of(tend.pid).first().copied());
        for stop in [SIGTSTP, 21, 22] {
            tend.signal(stop);
            wait_for(
                &format!("{what}: the app and tend to stop after {stop}"),
                || (state_of(app) == Some('T') && state_of(tend.pid) == Some('T')).then_some(()),
            );
            tend.signal(SIGCONT);
            // The app sees the SIGCONT that tend forwarded once it ran again.
            assert_eq!(tend.expect_line("got"), format!("got {SIGCONT}"), "{what}");
            assert_ne!(state_of(tend.pid), Some('T'), "{what}: tend runs again");
        }
        kill_children(&tend);
        let _ = tend.wait();
    }
}

#[test]
fn in_setsid_mode_the_childs_group_gets_sigterm_when_it_exits() {
    let dumb = DumbInit::new("exit-term");
    // The child leaves a process in its group that reports signals, then exits.
    let script = format!("{} handle 15 & echo left $!; sleep 0.3", fixture());
    for (setsid, cmd) in [
        (true, dumb.command(&["sh", "-c", &script])),
        (false, dumb.command(&["-c", "sh", "-c", &script])),
    ] {
        let mut tend = Tend::spawn(cmd, false);
        tend.expect_line("ready");
        let out = tend.wait();
        assert_eq!(out.code, Some(0), "{out:?}");
        if setsid {
            assert!(out.stdout.contains(&format!("got {SIGTERM}")), "{out:?}");
        } else {
            assert!(!out.stdout.iter().any(|l| l.starts_with("got")), "{out:?}");
        }
        // Clean-up: the process handles SIGTERM, so it outlives both runs.
        let left = out
            .stdout
            .iter()
            .find_map(|l| l.strip_prefix("left ")?.parse::<i32>().ok());
        match left {
            Some(pid) => {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            None => panic!("the script's `left PID` line: {out:?}"),
        }
    }
}

#[test]
fn dumb_inits_command_line_exit_codes_and_words() {
    let dumb = DumbInit::new("cli");
    let run = |args: &[&str]| {
        dumb.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run dumb-init")
    };
    let version = run(&["-V"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stderr),
        "dumb-init v1.2.5\n"
    );
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stderr);
    for flag in [
        "--single-child",
        "--rewrite",
        "--verbose",
        "--version",
        "DUMB_INIT_SETSID",
    ] {
        assert!(text.contains(flag), "{flag} missing: {text}");
    }
    let usage = run(&[]);
    assert_eq!(usage.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&usage.stderr).starts_with("Usage: dumb-init [option] program")
    );
    let bad = run(&["--yolo", "true"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "dumb-init: unrecognized option '--yolo'\n"
    );
    let rewrite = run(&["-r", "15:derp", "true"]);
    assert_eq!(rewrite.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&rewrite.stderr).starts_with("Usage: -r option takes"));
    // tend's own variables apply on top, and their errors are tend's: 125 and
    // its line naming the variable, not a dumb-init usage text about -r.
    let with = |vars: &[(&str, &str)], args: &[&str]| {
        dumb.command(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run dumb-init")
    };
    for (vars, want) in [
        (
            &[("TEND_GRACE", "soon")][..],
            "invalid value 'soon' for TEND_GRACE",
        ),
        (
            &[("TEND_CHOWN", "/nonexistent-dir")][..],
            "TEND_CHOWN needs --user",
        ),
    ] {
        let out = with(vars, &["true"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{vars:?}: {stderr}");
        assert!(stderr.contains(want), "{vars:?}: {stderr}");
    }
    // And they act: TEND_HEALTH's watchdog stops an app whose checks fail.
    let mut watched = dumb.command(&["sleep", "600"]);
    watched.envs([
        ("TEND_HEALTH", "tcp://127.0.0.1:1"),
        ("TEND_HEALTH_INTERVAL", "100ms"),
        ("TEND_HEALTH_RETRIES", "1"),
    ]);
    let unhealthy = Tend::spawn(watched, false).wait();
    assert_eq!(
        unhealthy.code,
        Some(69),
        "the watchdog's status: {unhealthy:?}"
    );
    // A program that cannot run: dumb-init's 2 and its line, not tend's 127.
    let missing = run(&["/doesnotexist"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("[dumb-init] /doesnotexist: No such file or directory\n"),
        "{missing:?}"
    );
    // The exit status passes through, and tend holds no directory busy, from
    // the moment the child runs, while the child keeps tend's own directory.
    for _ in 0..20 {
        let out = dumb
            .command(&["sh", "-c", "readlink /proc/$PPID/cwd; pwd; exit 7"])
            .current_dir("/tmp")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(7));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/\n/tmp\n");
    }
    // No SIGCONT after a forwarded SIGTERM under dumb-init's name: it never sent one.
    let mut tend = Tend::spawn(dumb.command(&[fixture(), "signals"]), false);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    assert_eq!(tend.expect_line("got"), format!("got {SIGTERM}"));
    assert!(tend.lines_within(QUIET).is_empty(), "only the SIGTERM");
    kill_children(&tend);
    let _ = tend.wait();
}

#[test]
fn under_tends_own_name_a_stop_signal_is_followed_by_sigcont() {
    let mut tend = Tend::plain(&[fixture(), "signals"]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    let mut got = vec![tend.expect_line("got"), tend.expect_line("got")];
    got.sort();
    assert_eq!(got, [format!("got {SIGTERM}"), format!("got {SIGCONT}")]);
    tend.signal(SIGQUIT); // not a stop signal: nothing follows it
    assert_eq!(tend.expect_line("got"), format!("got {SIGQUIT}"));
    assert!(tend.lines_within(QUIET).is_empty());
    kill_children(&tend);
    let _ = tend.wait();
}

/// SIGKILL to tend's children: the end of a test whose app outlives signals.
fn kill_children(tend: &Tend) {
    for pid in children_of(tend.pid) {
        // Clean-up only: a child may be gone already.
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

#[test]
fn under_dumb_inits_name_single_child_mode_keeps_its_job_control() {
    // dumb-init forwards TSTP, TTIN and TTOU and stops itself in both modes;
    // only setsid mode turns them into SIGSTOP (dumb-init's suite found this).
    let dumb = DumbInit::new("single-child-job-control");
    let mut tend = Tend::spawn(dumb.command(&["-c", fixture(), "signals"]), false);
    tend.expect_line("ready");
    for stop in [SIGTSTP, 21, 22] {
        tend.signal(stop);
        assert_eq!(
            tend.expect_line("got"),
            format!("got {stop}"),
            "forwarded as it is"
        );
        wait_for(&format!("tend to stop itself after {stop}"), || {
            (state_of(tend.pid) == Some('T')).then_some(())
        });
        tend.signal(SIGCONT);
        assert_eq!(tend.expect_line("got"), format!("got {SIGCONT}"));
    }
    kill_children(&tend);
    let _ = tend.wait();
}

#[test]
fn the_terminal_hand_off_skips_the_kernels_signals_not_the_next_real_one() {
    // tend leads a session with the terminal as its own: letting go of it
    // makes the kernel send the group SIGHUP and SIGCONT, from tend itself.
    let dumb = DumbInit::new("hand-off");
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let mut cmd = Command::new("setsid");
    cmd.args(["--ctty", &dumb.path(), fixture(), "wait"])
        .env_remove("DUMB_INIT_SETSID")
        .stdin(Stdio::from(pty.slave));
    let mut tend = Tend::spawn_with_stdin(cmd, false);
    tend.expect_line("ready");
    // As in dumb-init's own test: let tend read the hand-off's signals first.
    thread::sleep(Duration::from_millis(500));
    assert!(
        tend.running(),
        "the hand-off's SIGHUP reached the app: {}",
        tend.stderr()
    );
    tend.signal(SIGHUP);
    let out = tend.wait();
    assert_eq!(
        out.code,
        Some(128 + SIGHUP),
        "a real SIGHUP reaches the app: {out:?}"
    );
    drop(pty.master);
}
