//! The core supervisor, seen from outside: tend as PID 1 of a fresh PID
//! namespace (or as a plain process where that is the point), judged by exit
//! codes, stdout lines of the fixture child, stderr JSON and /proc.

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::{
    HANG, Scratch, Tend, children_of, fixture, have_root, in_private_mounts, plain_command,
    reaped_lines, state_of, wait_for, zombie_children,
};
use libc::{
    SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGSTOP, SIGTERM, SIGTTIN, SIGTTOU,
    SIGUSR1, SIGUSR2,
};

const SIGRTMIN: i32 = 34;

/// Signals whose default action ends a process: tend must forward each, and
/// the child's death by it must come back as 128+N.
fn deadly_signals() -> Vec<i32> {
    let harmless = [SIGKILL, SIGCHLD, SIGSTOP, SIGTTIN, SIGTTOU, 18, 20, 23, 28];
    (1..=64)
        .filter(|s| !harmless.contains(s) && !(32..=33).contains(s))
        .collect()
}

#[test]
fn exit_codes_pass_through_and_remap() {
    if !have_root("exit_codes_pass_through_and_remap") {
        return;
    }
    for code in 0..=255 {
        let out = Tend::pid1(&["--", fixture(), "exit", &code.to_string()]).wait();
        assert_eq!(out.code, Some(code), "exit {code}: {out:?}");
    }
    let remapped = Tend::pid1(&["-e", "3", "-e", "143", fixture(), "exit", "3"]).wait();
    assert_eq!(remapped.code, Some(0), "{remapped:?}");
    let other = Tend::pid1(&["-e", "3", fixture(), "exit", "4"]).wait();
    assert_eq!(other.code, Some(4), "{other:?}");
    let by_env = Tend::spawn(
        {
            let mut cmd = common::pid1_command(&[fixture(), "exit", "9"]);
            cmd.env("TEND_REMAP_EXIT", "8,9");
            cmd
        },
        true,
    )
    .wait();
    assert_eq!(by_env.code, Some(0), "{by_env:?}");
}

#[test]
fn a_death_by_signal_is_128_plus_n_for_every_deadly_signal() {
    if !have_root("a_death_by_signal_is_128_plus_n_for_every_deadly_signal") {
        return;
    }
    for signo in deadly_signals() {
        let mut tend = Tend::pid1(&[fixture(), "wait"]);
        tend.expect_line("ready");
        tend.signal_raw(signo);
        let out = tend.wait();
        assert_eq!(out.code, Some(128 + signo), "signal {signo}: {out:?}");
    }
    // -e 143 turns a death by SIGTERM into 0, as in tini.
    let mut tend = Tend::pid1(&["-e", "143", fixture(), "wait"]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    assert_eq!(tend.wait().code, Some(0));
}

#[test]
fn every_forwardable_signal_reaches_the_child() {
    if !have_root("every_forwardable_signal_reaches_the_child") {
        return;
    }
    let mut forwardable: Vec<i32> = deadly_signals();
    forwardable.extend([18, 20, 23, 28]); // CONT, TSTP, URG, WINCH: harmless to the fixture, still forwarded
    for signo in forwardable {
        let mut tend = Tend::pid1(&[fixture(), "signals", "1"]);
        tend.expect_line("ready");
        tend.signal_raw(signo);
        tend.expect_line(&format!("got {signo}"));
        assert_eq!(tend.wait().code, Some(0));
    }
}

#[test]
fn job_control_signals_are_not_forwarded() {
    if !have_root("job_control_signals_are_not_forwarded") {
        return;
    }
    let mut tend = Tend::pid1(&[fixture(), "signals"]);
    tend.expect_line("ready");
    tend.signal(SIGTTIN);
    tend.signal(SIGTTOU);
    tend.signal(SIGCHLD);
    tend.signal(SIGUSR1);
    // Signals are delivered in order of arrival for one target, so USR1 is the first thing the child sees.
    assert_eq!(tend.expect_line("got"), format!("got {SIGUSR1}"));
    assert!(tend.lines_within(Duration::from_millis(300)).is_empty());
}

#[test]
fn a_burst_of_distinct_signals_loses_none() {
    if !have_root("a_burst_of_distinct_signals_loses_none") {
        return;
    }
    let burst: Vec<i32> = [SIGHUP, SIGINT, SIGUSR1, SIGUSR2, 14, 28, 23, 10]
        .into_iter()
        .chain(SIGRTMIN..=64)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Five more of one real-time signal: those queue, and each must arrive.
    let repeats = 5;
    // And the SIGCONT that follows the stop signal SIGINT.
    let expected = burst.len() + repeats + 1;
    let mut tend = Tend::pid1(&[fixture(), "signals", &expected.to_string()]);
    tend.expect_line("ready");
    // One kill process per signal would be slow enough to hide coalescing bugs; send them back to back.
    let script = burst
        .iter()
        .copied()
        .chain(std::iter::repeat_n(SIGRTMIN + 1, repeats))
        .map(|s| format!("kill -{s} {}", tend.pid))
        .collect::<Vec<_>>()
        .join("; ");
    let status = Command::new("sh")
        .args(["-c", &script])
        .status()
        .expect("sh");
    assert!(status.success());
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let got: Vec<i32> = out
        .stdout
        .iter()
        .filter_map(|l| l.strip_prefix("got ")?.parse().ok())
        .collect();
    let distinct: BTreeSet<i32> = got.iter().copied().collect();
    // SIGINT is a stop signal: tend follows it with a SIGCONT, which the child sees too.
    let mut want: BTreeSet<i32> = burst.iter().copied().collect();
    want.insert(SIGCONT);
    assert_eq!(distinct, want, "{got:?}");
    assert_eq!(
        got.iter().filter(|&&s| s == SIGRTMIN + 1).count(),
        1 + repeats,
        "{got:?}"
    );
}

#[test]
fn programs_that_cannot_run_give_126_and_127() {
    let missing = Tend::plain(&["/nonexistent/program"]).wait();
    assert_eq!(missing.code, Some(127), "{missing:?}");
    assert!(
        missing.stderr.contains("/nonexistent/program"),
        "{}",
        missing.stderr
    );
    let not_in_path = Tend::plain(&["no-such-program-tend-test"]).wait();
    assert_eq!(not_in_path.code, Some(127));
    let dir = Scratch::new("126");
    let plain_file = dir.write("not-executable", b"#!/bin/sh\nexit 0\n", 0o644);
    let not_executable = Tend::plain(&[&plain_file]).wait();
    assert_eq!(not_executable.code, Some(126), "{not_executable:?}");
    let directory = Tend::plain(&["/"]).wait();
    assert_eq!(directory.code, Some(126), "{directory:?}");
}

#[test]
fn an_exec_failure_is_126_or_127_whatever_e_says() {
    // tini's child exits with the exec failure, so its -e 127 turns a missing
    // program into success; tend's failure is its own, and never remapped.
    let missing = Tend::plain(&["-e", "127", "/nonexistent/program"]).wait();
    assert_eq!(missing.code, Some(127), "{missing:?}");
    let directory = Tend::plain(&["-e", "126", "/"]).wait();
    assert_eq!(directory.code, Some(126), "{directory:?}");
}

#[test]
fn a_script_without_a_shebang_runs_with_bin_sh_as_posix_says() {
    // glibc's execvp (tini's) runs such a file with /bin/sh; musl's did not (issue 9, kind 3).
    let dir = Scratch::new("noshebang");
    let path = dir.write("entrypoint", b"echo \"args:$0:$1:$2\"\nexit 3\n", 0o755);
    let by_path = Tend::plain(&["--", &path, "a", "b"]).wait();
    // Found along PATH, too, as execvp does.
    let mut cmd = plain_command(&["--", "entrypoint", "c"]);
    cmd.env("PATH", format!("/nonexistent:{}", dir.root().display()));
    let by_name = Tend::spawn(cmd, false).wait();

    let no_sh = if have_root("a_script_without_a_shebang_runs_with_bin_sh_as_posix_says") {
        // Without /bin/sh (a FROM scratch image), it stays a 126 that says why.
        let mut cmd = in_private_mounts(r#"mount --bind /dev/null /bin/sh && exec "$@""#);
        cmd.args([common::TEND, "--", &path]);
        Some(Tend::spawn(cmd, false).wait())
    } else {
        None
    };

    assert_eq!(by_path.code, Some(3), "{by_path:?}");
    assert_eq!(by_path.stdout, [format!("args:{path}:a:b")], "{by_path:?}");
    assert_eq!(by_name.code, Some(3), "{by_name:?}");
    assert!(by_name.stdout[0].ends_with("/entrypoint:c:"), "{by_name:?}");
    if let Some(no_sh) = no_sh {
        assert_eq!(no_sh.code, Some(126), "{no_sh:?}");
        assert!(
            no_sh.stderr.contains("#!") && no_sh.stderr.contains("/bin/sh"),
            "{}",
            no_sh.stderr
        );
    }
}

#[test]
fn bad_flags_exit_125_naming_the_flag_and_value() {
    let cases: [(&[&str], &str); 6] = [
        (&["-p", "FOO", "true"], "FOO"),
        (&["-e", "300", "true"], "300"),
        (&["--grace", "soon", "true"], "soon"),
        (&["--frobnicate", "true"], "--frobnicate"),
        (&["-x", "true"], "-x"),
        (&[], "no program"),
    ];
    for (args, needle) in cases {
        let out = Tend::plain(args).wait();
        assert_eq!(out.code, Some(125), "{args:?}: {out:?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {lines:?}");
        let record: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
        assert_eq!(record["level"], "error");
        assert!(
            record["msg"].as_str().is_some_and(|m| m.contains(needle)),
            "{args:?}: {record}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn group_flag_reaches_a_grandchild_the_child_shields() {
    if !have_root("group_flag_reaches_a_grandchild_the_child_shields") {
        return;
    }
    // With -g the grandchild dies of SIGTERM; the child ignores it, sees that, and exits 7.
    let mut tend = Tend::pid1(&["-g", fixture(), "group"]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    tend.expect_line(&format!("grandchild died of {SIGTERM}"));
    assert_eq!(tend.wait().code, Some(7));

    // Without -g only the child is signalled, and it ignores the signal: nothing happens.
    let mut tend = Tend::pid1(&[fixture(), "group"]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    assert_eq!(
        tend.lines_within(Duration::from_millis(500)),
        Vec::<String>::new()
    );
    assert!(tend.running());

    // TINI_KILL_PROCESS_GROUP does what -g does.
    let mut cmd = common::pid1_command(&[fixture(), "group"]);
    cmd.env("TINI_KILL_PROCESS_GROUP", "1");
    let mut tend = Tend::spawn(cmd, true);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    tend.expect_line("grandchild died");
    assert_eq!(tend.wait().code, Some(7));
}

/// `sh -c 'tend ARGS -- fixture wait & echo $!; wait'`: a tend whose parent
/// the test can kill. Returns sh, sh's stdout (kept open for the fixture's
/// `ready`), tend's pid and the fixture's pid.
fn tend_under_sh(args: &str) -> (std::process::Child, impl std::io::BufRead, i32, i32) {
    let script = format!(
        "{} {args} -- {} wait & echo $!; wait",
        common::TEND,
        fixture()
    );
    let mut sh = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh");
    let mut stdout = std::io::BufReader::new(sh.stdout.take().expect("stdout"));
    // sh's `echo $!` and the fixture's `ready` race for the pipe: take the number.
    let tend: i32 = loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stdout, &mut line).expect("tend's pid");
        assert!(n > 0, "sh closed its stdout before printing tend's pid");
        if let Ok(pid) = line.trim().parse() {
            break pid;
        }
    };
    let fixture = wait_for("tend's child", || children_of(tend).first().copied());
    (sh, stdout, tend, fixture)
}

fn kill9(pid: i32) {
    // Clean-up only: the process may be gone already.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

#[test]
fn pdeathsig_ends_tend_when_its_parent_dies() {
    let (mut sh, _stdout, tend, fixture) = tend_under_sh("-p SIGKILL");
    sh.kill().expect("kill sh");
    sh.wait().expect("reap sh");
    wait_for("tend to die with its parent", || {
        matches!(state_of(tend), None | Some('Z')).then_some(())
    });
    // Its child is orphaned, not killed.
    kill9(fixture);

    // The control: without -p, tend outlives its parent.
    let (mut sh, _stdout, tend, fixture) = tend_under_sh("");
    sh.kill().expect("kill sh");
    sh.wait().expect("reap sh");
    thread::sleep(Duration::from_millis(300));
    let alive = matches!(state_of(tend), Some('S' | 'R'));
    kill9(tend);
    kill9(fixture);
    assert!(alive, "tend without -p survives its parent");
}

#[test]
fn not_pid1_tend_becomes_subreaper_by_itself() {
    // Orphans reparent to tend only if it registered as subreaper; -w makes each reap visible.
    for env in [None, Some(("TINI_SUBREAPER", ""))] {
        let mut cmd = plain_command(&["-w", fixture(), "orphans", "20"]);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let mut tend = Tend::spawn(cmd, false);
        tend.expect_line("orphaned 20");
        let reaped = |tend: &Tend| reaped_lines(&tend.stderr());
        // The intermediate parent is the fixture's own child, so only the 20 orphans reach tend.
        wait_for("tend to reap 20 orphans", || {
            (reaped(&tend) >= 20).then_some(())
        });
        tend.signal(SIGTERM);
        let out = tend.wait();
        assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
        assert_eq!(reaped_lines(&out.stderr), 20, "{env:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("zombie reaping won't work"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_reaped_orphan_killed_by_a_signal_is_logged_with_it() {
    // An orphan (the inner sh, its parent subshell gone) that SIGTERMs itself.
    let script = r#"(sh -c 'sleep 0.2; kill -TERM $$' &); sleep 1"#;
    let out = Tend::spawn(plain_command(&["-w", "sh", "-c", script]), false).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let reaped: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| {
            r["msg"]
                .as_str()
                .is_some_and(|m| m.starts_with("Reaped zombie"))
        })
        .collect();
    assert!(
        reaped
            .iter()
            .any(|r| r["signal"] == "SIGTERM" && r["exit_code"] == 143 && r["level"] == "warn"),
        "a warn record with signal SIGTERM and exit_code 143 among {reaped:?}; stderr:\n{}",
        out.stderr
    );
}

#[test]
fn the_child_inherits_tends_mask_and_ignored_signals() {
    // tini's sigconf test: ignore INT, TTOU and SEGV, block TERM, TTIN and ILL, then exec tend.
    let ignored = [SIGINT, SIGTTOU, 11];
    let blocked = [SIGTERM, SIGTTIN, 4];
    for (sigpipe_ignored, label) in [(false, "SIGPIPE default"), (true, "SIGPIPE ignored")] {
        // cat, not the fixture: Rust's runtime would set the fixture's own SIGPIPE to ignored.
        let mut cmd = plain_command(&["cat", "/proc/self/status"]);
        // SAFETY: between fork and exec the closure only calls signal() and sigprocmask().
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                for s in blocked {
                    libc::sigaddset(&mut set, s);
                }
                libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
                for s in ignored {
                    libc::signal(s, libc::SIG_IGN);
                }
                let pipe = if sigpipe_ignored {
                    libc::SIG_IGN
                } else {
                    libc::SIG_DFL
                };
                libc::signal(SIGPIPE, pipe);
                Ok(())
            });
        }
        let out = Tend::spawn(cmd, false).wait();
        assert_eq!(out.code, Some(0), "{out:?}");
        let status = out.stdout.join("\n");
        let mask = |list: &[i32]| list.iter().fold(0u64, |m, s| m | 1 << (s - 1));
        // glibc's signal() refuses 32 and 33, so whatever this test process inherited for them stays.
        let own = std::fs::read_to_string("/proc/self/status").expect("own status");
        let own_ignored =
            u64::from_str_radix(common::field(&own, "SigIgn").expect("SigIgn"), 16).expect("hex");
        let mut want_ignored = mask(&ignored) | (own_ignored & mask(&[32, 33]));
        if sigpipe_ignored {
            want_ignored |= mask(&[SIGPIPE]);
        }
        let hex =
            |key| u64::from_str_radix(common::field(&status, key).expect(key), 16).expect("hex");
        assert_eq!(hex("SigBlk"), mask(&blocked), "{label}: {status}");
        assert_eq!(hex("SigIgn"), want_ignored, "{label}: {status}");
    }
}

#[test]
fn thousands_of_orphans_are_all_reaped() {
    if !have_root("thousands_of_orphans_are_all_reaped") {
        return;
    }
    let mut tend = Tend::pid1(&[fixture(), "orphans", "5000"]);
    tend.expect_line("orphaned 5000");
    let fixture = wait_for("the fixture", || children_of(tend.pid).first().copied());
    // Every orphan exits at once; one SIGCHLD may stand for many, and none may be left as a zombie.
    wait_for("tend to reap every orphan", || {
        (children_of(tend.pid) == [fixture]).then_some(())
    });
    let zombies = zombie_children(tend.pid);
    assert!(zombies.is_empty(), "{zombies:?}");
    tend.signal(SIGTERM);
    assert_eq!(tend.wait().code, Some(128 + SIGTERM));
}

#[test]
fn an_idle_tend_makes_no_context_switches() {
    if !have_root("an_idle_tend_makes_no_context_switches") {
        return;
    }
    // One program, and several (issue 19): with --restart and nothing
    // waiting out a backoff, no program adds a deadline either.
    let also = format!("{} wait", fixture());
    let several: &[&str] = &[
        "--restart",
        "on-failure",
        "--also",
        &also,
        "--also",
        &also,
        fixture(),
        "wait",
    ];
    for (args, programs) in [(&[fixture(), "wait"][..], 1), (several, 3)] {
        idle_for_3s(args, programs);
    }
}

/// tend ARGS, running `programs` fixtures that wait: once all are ready and
/// tend sleeps, it must not wake for 3 s.
fn idle_for_3s(args: &[&str], programs: usize) {
    let mut tend = Tend::pid1(args);
    for _ in 0..programs {
        tend.expect_line("ready");
    }
    // Let start-up settle, however long a loaded machine takes: until tend
    // sleeps in read(2) on its signalfd, where an idle tend stays.
    let fd = wait_for("tend's signalfd", || {
        std::fs::read_dir(format!("/proc/{}/fd", tend.pid))
            .ok()?
            .flatten()
            .find(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| target.as_os_str() == "anon_inode:[signalfd]")
            })
            .and_then(|fd| fd.file_name().to_str()?.parse::<u32>().ok())
    });
    // /proc/PID/syscall: the number (read is 0 on x86_64), then the arguments in hex.
    let reading = format!("0 {fd:#x} ");
    wait_for("tend to sleep in read(2) on its signalfd", || {
        std::fs::read_to_string(format!("/proc/{}/syscall", tend.pid))
            .is_ok_and(|now| now.starts_with(&reading))
            .then_some(())
    });
    let before = tend.context_switches();
    thread::sleep(Duration::from_secs(3));
    let after = tend.context_switches();
    assert_eq!(
        after,
        before,
        "an idle tend with {programs} program(s) woke up {} times in 3 s",
        after - before
    );
}

#[test]
fn grace_kills_a_child_that_ignores_sigterm() {
    if !have_root("grace_kills_a_child_that_ignores_sigterm") {
        return;
    }
    let mut tend = Tend::pid1(&["--grace", "1s", fixture(), "ignore", &SIGTERM.to_string()]);
    tend.expect_line("ready");
    let sent = std::time::Instant::now();
    tend.signal(SIGTERM);
    let out = tend.wait();
    let waited = sent.elapsed();
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        waited >= Duration::from_millis(950),
        "the grace is honoured first: {waited:?}"
    );
    assert!(out.stderr.contains("SIGKILL"), "{}", out.stderr);

    // Without --grace tend waits as long as the child does, like tini.
    let mut tend = Tend::pid1(&[fixture(), "ignore", &SIGTERM.to_string()]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    thread::sleep(Duration::from_millis(1500));
    assert!(tend.running());
}

#[test]
fn only_stop_signals_start_the_grace() {
    if !have_root("only_stop_signals_start_the_grace") {
        return;
    }
    // The field report: `docker kill -s HUP` (reload) ended in SIGKILL two seconds later.
    let mut tend = Tend::pid1(&["--grace", "1s", fixture(), "signals"]);
    tend.expect_line("ready");
    tend.signal(SIGHUP);
    tend.expect_line(&format!("got {SIGHUP}"));
    tend.signal(3); // SIGQUIT: a JVM's thread dump
    tend.expect_line("got 3");
    // Three graces later the app still runs: neither started the countdown.
    thread::sleep(Duration::from_secs(3));
    assert!(
        tend.running(),
        "killed after HUP or QUIT: {}",
        tend.stderr()
    );
    // SIGTERM does, and the app, which only counts it, is killed after the grace.
    let sent = std::time::Instant::now();
    tend.signal(SIGTERM);
    tend.expect_line(&format!("got {SIGTERM}"));
    let out = tend.wait();
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        sent.elapsed() >= Duration::from_millis(950),
        "{:?}",
        sent.elapsed()
    );
}

/// Wait until tend has logged a line containing `needle`.
fn logged(tend: &Tend, needle: &str) {
    wait_for(&format!("tend to log {needle:?}"), || {
        tend.stderr().contains(needle).then_some(())
    });
}

const HELD: &str = "stop signal held for --stop-delay";

#[test]
fn stop_delay_holds_the_stop_signal_then_grace_counts_from_the_forward() {
    if !have_root("stop_delay_holds_the_stop_signal_then_grace_counts_from_the_forward") {
        return;
    }
    let delay = Duration::from_secs(2);
    let grace = Duration::from_secs(1);
    let mut tend = Tend::pid1(&[
        "-v",
        "--stop-delay",
        "2s",
        "--grace",
        "1s",
        fixture(),
        "signals",
    ]);
    tend.expect_line("ready");
    let sent = std::time::Instant::now();
    tend.signal(SIGTERM);
    logged(&tend, HELD);
    // Other signals pass while the stop is held; the held TERM comes after them.
    tend.signal(SIGUSR1);
    assert_eq!(tend.expect_line("got"), format!("got {SIGUSR1}"));
    assert_eq!(tend.expect_line("got"), format!("got {SIGTERM}"));
    let seen = sent.elapsed();
    assert!(
        seen >= delay,
        "the app saw the TERM {seen:?} after tend got it, within the {delay:?} delay"
    );
    // The app only counts signals: --grace, from the forward, ends it.
    let out = tend.wait();
    assert_eq!(out.code, Some(137), "{out:?}");
    assert!(
        sent.elapsed() >= delay + grace,
        "killed {:?} after the TERM: before the delay and the grace had both passed",
        sent.elapsed()
    );
    assert!(out.stderr.contains("\"delay_ms\":2000"), "{}", out.stderr);
}

#[test]
fn a_second_stop_signal_during_the_stop_delay_goes_at_once() {
    if !have_root("a_second_stop_signal_during_the_stop_delay_goes_at_once") {
        return;
    }
    // A minute's delay, from the variable: the TERM can only reach the app
    // within the test's deadline (HANG, 30 s) if the second one released it.
    let mut cmd = common::pid1_command(&["-v", "--grace", "1s", fixture(), "signals"]);
    cmd.env("TEND_STOP_DELAY", "60s");
    let mut tend = Tend::spawn(cmd, true);
    tend.expect_line("ready");
    let first = std::time::Instant::now();
    tend.signal(SIGTERM);
    // Read before the second is sent: two pending TERMs would be one.
    logged(&tend, HELD);
    tend.signal(SIGTERM);
    assert_eq!(tend.expect_line("got"), format!("got {SIGTERM}"));
    assert!(first.elapsed() < Duration::from_secs(60));
    let out = tend.wait();
    assert_eq!(
        out.code,
        Some(137),
        "--grace counts from the forward: {out:?}"
    );
    assert!(
        out.stderr.contains("a second stop signal"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_stop_delay_of_zero_is_off() {
    if !have_root("a_stop_delay_of_zero_is_off") {
        return;
    }
    // How an operator undoes an image's ENV TEND_STOP_DELAY; the app exits 0 after one signal.
    let mut cmd = common::pid1_command(&["-v", fixture(), "signals", "1"]);
    cmd.env("TEND_STOP_DELAY", "0");
    let mut tend = Tend::spawn(cmd, true);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    assert_eq!(tend.expect_line("got"), format!("got {SIGTERM}"));
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!out.stderr.contains(HELD), "{}", out.stderr);
}

#[test]
fn an_app_that_exits_during_the_stop_delay_gives_its_status() {
    if !have_root("an_app_that_exits_during_the_stop_delay_gives_its_status") {
        return;
    }
    // The app exits 0 after one signal: the USR1 forwarded during the delay.
    let mut tend = Tend::pid1(&["-v", "--stop-delay", "60s", fixture(), "signals", "1"]);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    logged(&tend, HELD);
    tend.signal(SIGUSR1);
    assert_eq!(tend.expect_line("got"), format!("got {SIGUSR1}"));
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.contains("forwarded signal") && l.contains("SIGTERM")),
        "the held TERM was forwarded: {}",
        out.stderr
    );
}

#[test]
fn the_watchdog_stops_at_the_first_stop_signal_even_held() {
    if !have_root("the_watchdog_stops_at_the_first_stop_signal_even_held") {
        return;
    }
    // Checks that fail every 100 ms, uncounted (a long start period), each logged.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let url = format!("tcp://{closed}");
    let mut tend = Tend::pid1(&[
        "-v",
        "--stop-delay",
        "60s",
        "--health",
        &url,
        "--health-interval",
        "100ms",
        "--health-start-period",
        "1h",
        fixture(),
        "wait",
    ]);
    tend.expect_line("ready");
    logged(&tend, "health check failed");
    tend.signal(SIGTERM);
    logged(&tend, HELD);
    // Ten intervals: a loaded machine can only make this pass wrongly, never fail wrongly.
    thread::sleep(Duration::from_secs(1));
    let stderr = tend.stderr();
    let after = stderr.split(HELD).nth(1).unwrap_or_default();
    assert!(
        !after.contains("health check"),
        "checks went on during the delay: {stderr}"
    );
    tend.signal(SIGTERM);
    assert_eq!(tend.wait().code, Some(128 + SIGTERM));
}

#[test]
fn grace_drains_orphans_after_the_child_exits() {
    if !have_root("grace_drains_orphans_after_the_child_exits") {
        return;
    }
    // An orphan that obeys SIGTERM: tend ends it and leaves at once, long
    // before the grace, which is longer than the wait's own deadline (HANG).
    let out = Tend::pid1(&["--grace", "60s", fixture(), "linger", "60"]).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.elapsed < Duration::from_secs(60),
        "the grace is an upper bound: {:?}",
        out.elapsed
    );

    // An orphan that ignores SIGTERM: it gets SIGKILL when the grace runs out.
    let out = Tend::pid1(&["--grace", "1s", fixture(), "linger", "60", "ignore-term"]).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.elapsed >= Duration::from_millis(950),
        "{:?}",
        out.elapsed
    );
    assert!(out.elapsed < HANG);
    assert!(out.stderr.contains("SIGKILL"), "{}", out.stderr);

    // Without --grace tend leaves with the child, like tini, whatever
    // remains: long before the orphan's minute.
    let out = Tend::pid1(&[fixture(), "linger", "60", "ignore-term"]).wait();
    assert_eq!(out.code, Some(0));
    assert!(out.elapsed < Duration::from_secs(60), "{:?}", out.elapsed);
}

/// What /proc says tend has used so far: CPU time in clock ticks (user +
/// system, 1/100 s) and context switches. None once tend is gone (or a zombie).
fn usage(pid: i32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the parenthesised command name: state, then utime and stime as fields 12 and 13.
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut switches = 0;
    for key in ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"] {
        switches += common::field(&status, key)?.parse::<u64>().ok()?;
    }
    Some((ticks, switches))
}

#[test]
fn draining_after_a_forwarded_sigterm_does_not_spin() {
    if !have_root("draining_after_a_forwarded_sigterm_does_not_spin") {
        return;
    }
    // SIGTERM at T arms a kill deadline at T+G; the child, which ignores it,
    // dies of SIGUSR1 at U (about T+G/2) instead, and its orphan ignores the
    // drain's SIGTERM until the drain deadline at U+G. Between T+G and U+G
    // tend must sleep, not spin on a deadline that has passed.
    //
    // Only the property is asserted: little CPU and few wake-ups over the
    // window, and no exit before U+G. A host too slow to open the window
    // (tend's kill deadline fired before SIGUSR1 took effect, or the test
    // woke up too late to look) says so and passes: every instant below is
    // taken before the event it bounds, so slowness only shrinks the window.
    let grace = Duration::from_secs(6);
    let mut tend = Tend::pid1(&[
        "--grace",
        "6s",
        fixture(),
        "linger",
        "60",
        "ignore-term",
        "wait",
    ]);
    tend.expect_line("ready");
    let pid = tend.pid;
    let term = std::time::Instant::now();
    tend.signal(SIGTERM);
    thread::sleep(grace / 2);
    let usr1 = std::time::Instant::now();
    // Not tend.signal: a tend already gone is a finding, reported below.
    let usr1_sent = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGUSR1,
    );
    let margin = Duration::from_millis(300);
    let (start, end) = (term + grace + margin, usr1 + grace - margin);
    thread::sleep(start.saturating_duration_since(std::time::Instant::now()));
    let from = std::time::Instant::now();
    let before = usage(pid);
    thread::sleep(end.saturating_duration_since(from));
    let after = usage(pid);
    let window = from.elapsed();
    // When tend was first seen gone: no earlier than its real exit.
    let gone = wait_for("tend to exit", || {
        (!tend.running()).then(std::time::Instant::now)
    });
    let out = tend.wait();
    let at = |t: std::time::Instant| format!("{:.2?}", t.saturating_duration_since(term));
    let timeline = format!(
        "SIGTERM at 0 (kill deadline {}), SIGUSR1 sent at {} ({usr1_sent:?}; drain deadline no \
         earlier than {}), measured from {} for {window:.2?} (tend {} then {}), tend seen gone \
         at {}, status {:?}",
        at(term + grace),
        at(usr1),
        at(usr1 + grace),
        at(from),
        if before.is_some() { "alive" } else { "gone" },
        if after.is_some() { "alive" } else { "gone" },
        at(gone),
        out.code,
    );
    if out.code == Some(137) {
        // tend's own grace ran out first: SIGUSR1 had not ended the child by T+G.
        eprintln!(
            "the host is too slow for this test: SIGUSR1 did not end the child before the grace \
             of the SIGTERM ran out; {timeline}"
        );
        return;
    }
    assert_eq!(
        out.code,
        Some(128 + SIGUSR1),
        "the child dies of SIGUSR1; {timeline}; stderr {}",
        out.stderr
    );
    assert!(
        gone >= usr1 + grace,
        "tend left before its drain deadline: its orphan ignores SIGTERM, so only the grace's \
         SIGKILL ends it; {timeline}; stderr {}",
        out.stderr
    );
    let (Some((ticks0, switches0)), Some((ticks1, switches1))) = (before, after) else {
        eprintln!(
            "the host is too slow for this test: tend was gone before the window closed; {timeline}"
        );
        return;
    };
    if window < Duration::from_millis(500) {
        eprintln!(
            "the host is too slow for this test: the window shrank to {window:?}; {timeline}"
        );
        return;
    }
    let (busy, woke) = (ticks1 - ticks0, switches1 - switches0);
    assert!(
        woke < 10 && busy < 10,
        "tend woke {woke} times and used {busy} ticks of CPU in {window:.2?} while it waited out the \
         grace (a sleeping tend: 0 and 0); {timeline}"
    );
}

#[test]
fn every_stderr_line_is_json_with_ts_level_msg() {
    if !have_root("every_stderr_line_is_json_with_ts_level_msg") {
        return;
    }
    let mut tend = Tend::pid1(&["-vvv", "-w", fixture(), "orphans", "3"]);
    tend.expect_line("orphaned 3");
    tend.signal(SIGUSR1);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGUSR1));
    let records: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect();
    for record in &records {
        let ts = record["ts"].as_str().expect("ts");
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
            "{ts}"
        );
        assert!(
            ["error", "warn", "info", "debug", "trace"]
                .contains(&record["level"].as_str().expect("level"))
        );
        assert!(record["msg"].is_string());
    }
    let msgs: Vec<&str> = records.iter().filter_map(|r| r["msg"].as_str()).collect();
    for needle in [
        "child started",
        "forwarded signal",
        "child exited",
        "tend exiting",
        "Reaped zombie process with pid=",
    ] {
        assert!(
            msgs.iter().any(|m| m.contains(needle)),
            "no {needle:?} in {msgs:?}"
        );
    }
    let forwarded = records
        .iter()
        .find(|r| r["msg"] == "forwarded signal")
        .expect("forwarded");
    assert_eq!(forwarded["signal"], "SIGUSR1");
    let exited = records
        .iter()
        .find(|r| r["msg"] == "child exited")
        .expect("exited");
    assert_eq!(exited["exit_code"], 128 + SIGUSR1);
    assert_eq!(exited["signal"], "SIGUSR1");
}

#[test]
fn a_normal_run_prints_nothing_and_text_format_works() {
    let out = Tend::plain(&[fixture(), "exit", "0"]).wait();
    assert_eq!(out.stderr, "", "the default level is warn");
    let mut cmd = plain_command(&["--log-format", "text", fixture(), "exit", "0"]);
    cmd.env("TINI_VERBOSITY", "2");
    let out = Tend::spawn(cmd, false).wait();
    assert!(out.stderr.lines().count() >= 3, "{}", out.stderr);
    assert!(
        out.stderr.lines().all(|l| l.contains(" info  tend: ")),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_stderr_never_stops_tend_nor_reaches_the_child() {
    // tend logs a lot at trace level into a pipe nobody reads: each write fails with
    // EPIPE and raises SIGPIPE on tend, which must neither die nor forward it.
    let mut cmd = plain_command(&["-vvv", fixture(), "signals", "1"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("tend");
    drop(child.stderr.take());
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("ready");
    assert_eq!(line, "ready\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        common::to_signal(SIGUSR2),
    )
    .expect("kill");
    line.clear();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("got");
    assert_eq!(
        line,
        format!("got {SIGUSR2}\n"),
        "the child saw only what was sent to tend"
    );
    let status = wait_for("tend to exit", || child.try_wait().expect("try_wait"));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn version_and_help() {
    let out = Command::new(common::TEND)
        .arg("--version")
        .output()
        .expect("tend --version");
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = text
        .strip_prefix("tend version ")
        .expect("the shape docker info parses");
    let (version, hash) = rest
        .trim_end()
        .split_once(" - git.")
        .expect("X.Y.Z - git.HASH");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(
        hash == "unknown" || hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{hash}"
    );
    for flag in ["-h", "--help"] {
        let out = Command::new(common::TEND).arg(flag).output().expect("help");
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        for documented in [
            "-s",
            "-p",
            "-v",
            "-w",
            "-g",
            "-e",
            "-l",
            "--grace",
            "--log-format",
            "--log-level",
            "--user",
            "--probe",
        ] {
            assert!(help.contains(documented), "{documented} missing from help");
        }
    }
    // Under the name docker-init, the one shape Docker reads a version from;
    // under tini's names too, which scripts grep the same way.
    let dir = Scratch::new("docker-init");
    for name in ["docker-init", "tini", "tini-static"] {
        let link = dir.path(name);
        std::os::unix::fs::symlink(common::TEND, &link).expect("symlink");
        let out = Command::new(&link)
            .arg("--version")
            .output()
            .expect("--version");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("tini version {version}_tend - git.{hash}\n"),
            "{name}: moby's parseInitVersion wants 'tini version X - git.H'"
        );
    }
    // --help in probe mode, and after a URL, shows every option of both modes.
    for args in [&["--probe", "--help"][..], &["--probe", "http://a/", "-h"]] {
        let out = Command::new(common::TEND)
            .args(args)
            .output()
            .expect("help");
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        for needle in [
            "--expect-body",
            "TEND_PROBE_HEADERS",
            "--grace",
            "TINI_SUBREAPER",
        ] {
            assert!(
                help.contains(needle),
                "{args:?}: {needle} missing from help"
            );
        }
    }
    let license = Command::new(common::TEND).arg("-l").output().expect("-l");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/LICENSE"))
        .expect("the LICENSE file");
    assert!(license.status.success(), "{license:?}");
    assert_eq!(
        String::from_utf8_lossy(&license.stdout),
        shipped,
        "-l prints the LICENSE file"
    );
    assert!(
        shipped.starts_with("MIT License") && shipped.contains("Copyright (c)"),
        "the licence carries its copyright notice"
    );
}

#[test]
fn the_release_binary_is_static() {
    let tend = common::musl_release().join("tend");
    let bytes = std::fs::read(&tend).expect("the release binary");
    assert_eq!(&bytes[..4], b"\x7fELF");
    // No PT_INTERP program header means no dynamic loader: static or static-pie.
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().expect("e_phoff")) as usize;
    let phentsize = u16::from_le_bytes([bytes[54], bytes[55]]) as usize;
    let phnum = u16::from_le_bytes([bytes[56], bytes[57]]) as usize;
    let interp = (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("p_type")) == 3
    });
    assert!(
        !interp,
        "{} has a PT_INTERP: it is dynamically linked",
        tend.display()
    );
    if let Ok(out) = Command::new("file").arg(&tend).output() {
        let what = String::from_utf8_lossy(&out.stdout);
        assert!(what.contains("static"), "file says: {what}");
    }
    let out = Command::new(&tend)
        .args(["--", fixture(), "exit", "42"])
        .output()
        .expect("run the static tend");
    assert_eq!(out.status.code(), Some(42));
}

/// Fields of /proc/PID/stat as `script` echoes them: (pid, pgrp, tpgid).
fn stat_groups(output: &[u8]) -> (i64, i64, i64) {
    let text = String::from_utf8_lossy(output);
    let after_name = text
        .rsplit_once(") ")
        .map(|(_, rest)| rest)
        .expect("a stat line");
    let fields: Vec<i64> = after_name
        .split_whitespace()
        .skip(1)
        .take(6)
        .map(|f| f.parse().expect("a number"))
        .collect();
    let pid = text
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("pid");
    // After the state: ppid, pgrp, session, tty_nr, tpgid.
    (pid, fields[1], fields[4])
}

#[test]
fn the_child_gets_the_terminal_when_tend_has_it() {
    // script(1) runs tend on a fresh pseudo-terminal, as a shell in a terminal would.
    let with_tty = format!("{} -- cat /proc/self/stat", common::TEND);
    let out = Command::new("script")
        .args(["-qec", &with_tty, "/dev/null"])
        .output()
        .expect("script");
    let (pid, pgrp, tpgid) = stat_groups(&out.stdout);
    assert_eq!(pgrp, pid, "the child leads its own process group");
    assert_eq!(
        tpgid, pgrp,
        "the child's group is the terminal's foreground group"
    );

    // The control: with stdin not a terminal, tend leaves the terminal alone.
    let without_tty = format!("{} -- cat /proc/self/stat < /dev/null", common::TEND);
    let out = Command::new("script")
        .args(["-qec", &without_tty, "/dev/null"])
        .output()
        .expect("script");
    let (pid, pgrp, tpgid) = stat_groups(&out.stdout);
    assert_eq!(pgrp, pid);
    assert_ne!(
        tpgid, pgrp,
        "without a terminal on stdin the child must not take the foreground"
    );
}
