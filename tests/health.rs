//! `--health` (issue 11): tend as PID 1 watches the example app's /health,
//! logs each change, and stops the app when it turns unhealthy, exiting 69;
//! meanwhile a hanging check delays no signal and no reaping, leaves no
//! process or descriptor behind, and shutdown from outside wins.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    HANG, Tend, app, children_of, fixture, free_port, have_root, logged, pid1_command,
    plain_command, records, ts_ms, wait_for,
};
use serde_json::Value;

/// One GET to the app, for /toggle.
fn get(port: u16, path: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the app");
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
}

/// tend ARGS -- app, with the app on `port` and no warm-up unless `env` says.
fn with_app(pid1: bool, args: &[&str], port: u16, env: &[(&str, &str)]) -> Tend {
    let mut list = args.to_vec();
    list.extend(["--", app()]);
    let mut cmd = if pid1 {
        pid1_command(&list)
    } else {
        plain_command(&list)
    };
    cmd.env("PORT", port.to_string())
        .env("WARMUP", "0")
        .env("ORPHAN_EVERY", "0")
        .env("UNHEALTHY_FILE", "/nonexistent/tend-health-test")
        .envs(env.iter().copied());
    Tend::spawn(cmd, pid1)
}

fn change(to: &'static str) -> impl Fn(&Value) -> bool {
    move |r| r["msg"] == "health changed" && r["to"] == to
}

#[test]
fn an_unhealthy_app_is_stopped_and_tend_exits_69_as_pid1_and_not() {
    for pid1 in [true, false] {
        if pid1 && !have_root("an_unhealthy_app_is_stopped_and_tend_exits_69_as_pid1_and_not") {
            continue;
        }
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/health");
        // -e 69: the watchdog's status is tend's own, and -e does not remap it.
        let mut tend = with_app(
            pid1,
            &[
                "-v",
                "-e",
                "69",
                "--health",
                &url,
                "--health-interval",
                "200ms",
                "--health-retries",
                "2",
            ],
            port,
            &[],
        );
        tend.expect_line("\"listening\"");
        let healthy = logged(&tend, "the app to turn healthy", change("healthy"));
        assert_eq!(healthy["from"], "starting", "{healthy}");
        get(port, "/toggle");
        let out = tend.wait();
        assert_eq!(out.code, Some(69), "as PID 1: {pid1}: {out:?}");
        let logs = records(&out.stderr);
        let unhealthy = logs
            .iter()
            .find(|r| change("unhealthy")(r))
            .expect("a change to unhealthy");
        assert_eq!(
            (unhealthy["from"].as_str(), unhealthy["streak"].as_u64()),
            (Some("healthy"), Some(2)),
            "{unhealthy}"
        );
        assert!(
            unhealthy["reason"]
                .as_str()
                .is_some_and(|r| r.contains("status 503")),
            "{unhealthy}"
        );
        let failed = logs
            .iter()
            .filter(|r| r["msg"] == "health check failed" && r["level"] == "warn")
            .count();
        assert_eq!(failed, 2, "{}", out.stderr);
        assert!(
            logs.iter().any(|r| r["level"] == "warn"
                && r["msg"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("the app is unhealthy"))),
            "{}",
            out.stderr
        );
        // Stopped as a SIGTERM would: gracefully.
        assert!(
            out.stdout.iter().any(|l| l.contains("\"stopped\"")),
            "{out:?}"
        );
        // A healthy app that stays healthy logs nothing at info after it first turns healthy.
        let infos_while_healthy = logs
            .iter()
            .skip_while(|r| !change("healthy")(r))
            .skip(1)
            .take_while(|r| r["msg"] != "health check failed")
            .filter(|r| r["level"] == "info" || r["level"] == "warn")
            .count();
        assert_eq!(infos_while_healthy, 0, "{}", out.stderr);
    }
}

#[test]
fn the_start_period_is_honoured_until_a_success_ends_it() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/health");
    // The app answers 503 for its first two seconds.
    let args = [
        "-v",
        "--health",
        &url,
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
    ];
    let mut with_period = args.to_vec();
    with_period.extend(["--health-start-period", "60s"]);
    let tend = with_app(false, &with_period, port, &[("WARMUP", "2")]);
    logged(
        &tend,
        "the app to turn healthy after its warm-up",
        change("healthy"),
    );
    let logs = records(&tend.stderr());
    let warm_up: Vec<&Value> = logs
        .iter()
        .filter(|r| r["msg"] == "health check failed")
        .collect();
    assert!(
        !warm_up.is_empty() && warm_up.iter().all(|r| r["in_start_period"] == true),
        "failures during the warm-up, not counted: {}",
        tend.stderr()
    );
    // Expected, so not a warning (issue 18 #14).
    assert!(
        warm_up.iter().all(|r| r["level"] == "info"),
        "{}",
        tend.stderr()
    );
    // The success ended the period: the next failure counts at once, and warns.
    get(port, "/toggle");
    let out = tend.wait();
    assert_eq!(out.code, Some(69));
    let counted = records(&out.stderr)
        .into_iter()
        .filter(|r| r["msg"] == "health check failed" && r["in_start_period"] == false)
        .collect::<Vec<_>>();
    assert!(
        !counted.is_empty() && counted.iter().all(|r| r["level"] == "warn"),
        "{}",
        out.stderr
    );

    // Without a start period, the warm-up's first failure is already too many.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/health");
    let args = [
        "--health",
        &url,
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
    ];
    let out = with_app(false, &args, port, &[("WARMUP", "30")]).wait();
    assert_eq!(out.code, Some(69), "{out:?}");
    // At the default level, the last line says why the container stopped (issue 20 #7).
    let last = records(&out.stderr).pop().unwrap_or_default();
    assert_eq!(
        (&last["msg"], &last["level"], &last["exit_code"]),
        (&"tend exiting".into(), &"warn".into(), &69.into()),
        "{}",
        out.stderr
    );
}

#[test]
fn on_unhealthy_log_reports_and_never_stops_the_app() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/health");
    let mut tend = with_app(
        false,
        &[
            "-v",
            "--on-unhealthy",
            "log",
            "--health",
            &url,
            "--health-interval",
            "100ms",
            "--health-retries",
            "1",
        ],
        port,
        &[],
    );
    logged(&tend, "healthy", change("healthy"));
    get(port, "/toggle");
    logged(&tend, "unhealthy", change("unhealthy"));
    // Many more failed checks, and the app runs on.
    thread::sleep(Duration::from_millis(1500));
    assert!(
        tend.running(),
        "log mode stopped the app: {}",
        tend.stderr()
    );
    tend.signal(15);
    let out = tend.wait();
    assert_eq!(out.code, Some(0), "the app's own graceful status: {out:?}");
}

/// A server that never answers, for as long as the listener it returns
/// lives: it never accepts, so a check connects (into the backlog, or not at
/// all once that is full), sends its request, and waits for its whole timeout.
fn silent_server() -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().expect("addr"));
    (url, listener)
}

/// tend's children other than `app`: the health check's copy, if one runs.
fn checks_of(tend: &Tend, app: i32) -> Vec<i32> {
    children_of(tend.pid)
        .into_iter()
        .filter(|&p| p != app)
        .collect()
}

#[test]
fn a_hanging_check_delays_neither_signals_nor_reaping() {
    if !have_root("a_hanging_check_delays_neither_signals_nor_reaping") {
        return;
    }
    let (url, _server) = silent_server();
    // Each check hangs a minute against the silent server: longer than any
    // wait of this test (HANG), so what arrives at all did not wait for it.
    let health = [
        "--health",
        &url,
        "--health-interval",
        "100ms",
        "--health-timeout",
        "60s",
    ];
    let mut args = health.to_vec();
    args.extend([fixture(), "signals", "2"]);
    let mut tend = Tend::pid1(&args);
    tend.expect_line("ready");
    let app = wait_for("the app", || children_of(tend.pid).first().copied());
    wait_for("a health check in flight", || {
        (!checks_of(&tend, app).is_empty()).then_some(())
    });
    tend.signal(10);
    assert_eq!(tend.expect_line("got"), "got 10");
    tend.signal(15);
    let out = tend.wait();
    assert_eq!(
        out.code,
        Some(0),
        "the fixture exits 0 after two signals: {out:?}"
    );

    // Orphans are reaped while the check hangs.
    let mut args = health.to_vec();
    args.extend(["-w", fixture(), "orphans", "200"]);
    let mut tend = Tend::pid1(&args);
    tend.expect_line("orphaned 200");
    let app = wait_for("the app", || children_of(tend.pid).first().copied());
    wait_for("every orphan reaped with a check hanging", || {
        let others: Vec<i32> = checks_of(&tend, app);
        (others.len() <= 1 && common::reaped_lines(&tend.stderr()) >= 200).then_some(())
    });
    tend.signal(15);
    assert_eq!(tend.wait().code, Some(143));
}

#[test]
fn checks_never_outlive_their_timeout_nor_leave_descriptors_and_run_as_the_user() {
    if !have_root("checks_never_outlive_their_timeout_nor_leave_descriptors_and_run_as_the_user") {
        return;
    }
    let (url, _server) = silent_server();
    let mut tend = Tend::pid1(&[
        "--user",
        "65534:65534",
        "--health",
        &url,
        "--health-interval",
        "50ms",
        "--health-timeout",
        "200ms",
        "--on-unhealthy",
        "log",
        fixture(),
        "wait",
    ]);
    tend.expect_line("ready");
    let app = wait_for("the app", || children_of(tend.pid).first().copied());
    let fds = |tend: &Tend| {
        std::fs::read_dir(format!("/proc/{}/fd", tend.pid))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    // A check lives 200 ms: look again until one is caught alive.
    let status = wait_for("a check's /proc status", || {
        let check = checks_of(&tend, app).first().copied()?;
        std::fs::read_to_string(format!("/proc/{check}/status")).ok()
    });
    assert!(
        common::field(&status, "Uid").is_some_and(|u| u.split_whitespace().all(|id| id == "65534")),
        "the check runs as --user's user: {status}"
    );
    thread::sleep(Duration::from_millis(500));
    let before = fds(&tend);
    let started = Instant::now();
    let mut most = 0;
    while started.elapsed() < Duration::from_secs(2) {
        let checks = checks_of(&tend, app);
        most = most.max(checks.len());
        thread::sleep(Duration::from_millis(20));
    }
    assert!(most <= 1, "{most} checks at once: checks never overlap");
    let after = fds(&tend);
    // One check's pipe may be open at either look.
    assert!(
        after <= before + 1 && before <= after + 1,
        "descriptors: {before} then {after}"
    );
    // Checks come and go, each killed at its 200 ms deadline: against a
    // server that never answers, a check that is not would never end.
    wait_for("four checks to fail at their deadline", || {
        let failed = records(&tend.stderr())
            .iter()
            .filter(|r| r["msg"] == "health check failed")
            .count();
        (failed >= 4).then_some(())
    });
    tend.signal(15);
    assert_eq!(tend.wait().code, Some(143));
}

/// How many tasks (threads included, as RLIMIT_NPROC counts them) run as `uid`.
fn tasks_of(uid: u32) -> u32 {
    let mut count = 0;
    for proc in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(tasks) = std::fs::read_dir(proc.path().join("task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            let real = common::field(&status, "Uid").and_then(|u| u.split_whitespace().next());
            if real == Some(uid.to_string().as_str()) {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn a_check_that_cannot_start_is_a_failed_check_and_stops_the_app() {
    if !have_root("a_check_that_cannot_start_is_a_failed_check_and_stops_the_app") {
        return;
    }
    // The app's user at its process limit: tend (dropped to that user) may
    // fork the app, and then no check. The field case: a hung app that
    // forks without end, and a watchdog that must still act (issue 18 #11).
    let uid = 61_018;
    let limit = tasks_of(uid) + 2;
    let user = format!("{uid}:{uid}");
    let inner = pid1_command(&[
        "-v",
        "--user",
        &user,
        "--health",
        "tcp://127.0.0.1:1",
        "--health-interval",
        "100ms",
        "--health-retries",
        "2",
        fixture(),
        "wait",
    ]);
    let mut cmd = std::process::Command::new("prlimit");
    cmd.arg(format!("--nproc={limit}"))
        .arg("--")
        .arg(inner.get_program())
        .args(inner.get_args());
    let mut tend = Tend::spawn(cmd, true);
    tend.expect_line("ready");
    let out = tend.wait();
    assert_eq!(out.code, Some(69), "{out:?}");
    let logs = records(&out.stderr);
    let failed: Vec<&Value> = logs
        .iter()
        .filter(|r| r["msg"] == "health check failed")
        .collect();
    assert!(failed.len() >= 2, "{}", out.stderr);
    for (streak, record) in failed.iter().take(2).enumerate() {
        assert_eq!(record["level"], "warn", "{record}");
        assert_eq!(record["streak"], streak as u64 + 1, "{record}");
        assert!(
            record["reason"]
                .as_str()
                .is_some_and(|r| r.contains("cannot start the check: EAGAIN")),
            "{record}"
        );
    }
    let unhealthy = logs
        .iter()
        .find(|r| change("unhealthy")(r))
        .expect("a change to unhealthy");
    assert_eq!(unhealthy["from"], "starting", "{unhealthy}");
}

#[test]
fn a_check_dies_with_a_sigkilled_tend() {
    // Each check waits for its whole minute.
    let (url, silent) = silent_server();
    // Not PID 1, whose death ends its namespace: a plain tend, as under a shell.
    let mut tend = Tend::plain(&[
        "--health",
        &url,
        "--health-interval",
        "100ms",
        "--health-timeout",
        "60s",
        fixture(),
        "wait",
    ]);
    tend.expect_line("ready");
    let app = wait_for("the app", || children_of(tend.pid).first().copied());
    let check = wait_for("a check in flight", || {
        checks_of(&tend, app).first().copied()
    });
    let tend_exe = std::fs::canonicalize(common::TEND).expect("tend's path");
    let is_tend =
        |pid: i32| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == tend_exe);
    assert!(is_tend(check), "the check's copy is a copy of tend");
    tend.signal(9);
    let out = tend.wait();
    // The app is left behind, as with any parent SIGKILLed; the test ends it.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(app),
        nix::sys::signal::Signal::SIGKILL,
    );
    let deadline = Instant::now() + HANG;
    while is_tend(check) {
        if Instant::now() > deadline {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(check),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!(
                "the check's copy (pid {check}) outlived its SIGKILLed tend by {HANG:?}: {out:?}"
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    drop(silent);
}

#[test]
fn shutdown_wins_and_the_first_cause_names_the_status() {
    if !have_root("shutdown_wins_and_the_first_cause_names_the_status") {
        return;
    }
    let closed = format!("tcp://127.0.0.1:{}", free_port());
    // The app counts signals and never stops by itself, so only SIGKILL ends it.

    // The watchdog first: an outside SIGTERM during its grace starts no
    // second countdown. Measured by tend's own clock, in its records: a
    // second countdown would put the SIGKILL at least the grace after the
    // outside SIGTERM was forwarded; the first puts it 4 s sooner, a margin
    // only a 4 s stall of tend's own wake-up could eat.
    let grace_ms = 5000;
    let mut tend = Tend::pid1(&[
        "-v",
        "--grace",
        "5s",
        "--health",
        &closed,
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
        fixture(),
        "signals",
    ]);
    tend.expect_line("ready");
    logged(&tend, "the watchdog's stop", |r| {
        r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("the app is unhealthy"))
    });
    thread::sleep(Duration::from_secs(4));
    tend.signal(15);
    let out = tend.wait();
    assert_eq!(out.code, Some(69), "{out:?}");
    let logs = records(&out.stderr);
    let kill = logs
        .iter()
        .find(|r| {
            r["msg"]
                .as_str()
                .is_some_and(|m| m.contains("outlived --grace"))
        })
        .expect("the SIGKILL after the grace");
    // The first forwarded SIGTERM is the watchdog's, the second the outside one.
    match logs
        .iter()
        .filter(|r| r["msg"] == "forwarded signal" && r["signal"] == "SIGTERM")
        .nth(1)
    {
        Some(outside) => assert!(
            ts_ms(kill) - ts_ms(outside) < grace_ms,
            "the SIGKILL came {} ms after the outside SIGTERM, the grace is {grace_ms} ms: a \
             second countdown ran; {}",
            ts_ms(kill) - ts_ms(outside),
            out.stderr
        ),
        None => eprintln!(
            "the host is too slow for this test: the outside SIGTERM came after the SIGKILL; {}",
            out.stderr
        ),
    }
    assert_eq!(
        out.stderr.matches("sending SIGKILL").count(),
        1,
        "{}",
        out.stderr
    );

    // An outside SIGTERM first: an ordinary stop, no watchdog stop afterwards, the app's status.
    let mut tend = Tend::pid1(&[
        "--grace",
        "2s",
        "--health",
        &closed,
        "--health-interval",
        "500ms",
        "--health-retries",
        "1",
        fixture(),
        "signals",
    ]);
    tend.expect_line("ready");
    tend.signal(15);
    let out = tend.wait();
    assert_eq!(
        out.code,
        Some(137),
        "killed after the grace, by tend, for the outside stop: {out:?}"
    );
    assert!(
        !out.stderr.contains("the app is unhealthy"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_health_settings_are_125_and_probe_variables_only_matter_with_health() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--health", "https://a/", "true"],
            "https is not supported",
        ),
        (
            &["--health", "tcp://a:1", "--health-retries", "0", "true"],
            "'0' for --health-retries",
        ),
        (
            &["--health", "tcp://a:1", "--health-interval", "0s", "true"],
            "above zero",
        ),
        (
            &["--health", "tcp://a:1", "--on-unhealthy", "restart", "true"],
            "expected exit or log",
        ),
    ];
    for (args, needle) in cases {
        let out = Tend::plain(args).wait();
        assert_eq!(out.code, Some(125), "{args:?}: {out:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    // A bad TEND_PROBE_EXPECT_STATUS is the HEALTHCHECK's business until --health uses it.
    let mut cmd = plain_command(&["true"]);
    cmd.env("TEND_PROBE_EXPECT_STATUS", "2xx");
    assert_eq!(Tend::spawn(cmd, false).wait().code, Some(0));
    let mut cmd = plain_command(&["--health", "http://127.0.0.1:1/", "true"]);
    cmd.env("TEND_PROBE_EXPECT_STATUS", "2xx");
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(125), "{out:?}");
    assert!(
        out.stderr
            .contains("invalid value '2xx' for TEND_PROBE_EXPECT_STATUS"),
        "{}",
        out.stderr
    );
}
