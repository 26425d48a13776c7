//! tend keeps supervising whatever it was started with: a log reader that
//! stops reading, a parent that left SIGCHLD ignored, a child that leaves
//! its process group or is stopped, processes adopted during the final
//! SIGKILL. Each case is a field report (issue 9, kind 1) that hung or
//! leaked before; each is judged by what a user sees.

mod common;

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    HANG, TEND, Tend, children_of, fixture, have_root, json_lines, pid1_command, plain_command,
    records, state_of, wait_for,
};
use libc::{SIGCHLD, SIGKILL, SIGTERM, SIGTTIN};
use serde_json::Value;

/// A pipe for tend's stderr that the test reads only when it chooses to,
/// like a log driver that has stopped reading.
struct Stalled {
    reader: File,
}

impl Stalled {
    fn new() -> (Stalled, OwnedFd) {
        let (reader, writer) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("a pipe for stderr");
        (
            Stalled {
                reader: File::from(reader),
            },
            writer,
        )
    }

    /// Bytes written and not yet read (FIONREAD).
    fn queued(&self) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int into `n`, a live local.
        let rc = unsafe { libc::ioctl(self.reader.as_raw_fd(), libc::FIONREAD, &mut n) };
        assert_eq!(rc, 0, "FIONREAD on the stderr pipe");
        usize::try_from(n).unwrap_or(0)
    }

    /// Everything queued now, without waiting for more.
    fn drain(&mut self) -> String {
        let mut text = Vec::new();
        while self.queued() > 0 {
            let mut buf = vec![0; self.queued()];
            let n = self.reader.read(&mut buf).expect("read the stderr pipe");
            text.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&text).into_owned()
    }
}

/// tend as PID 1 with `-w -vv`, stderr on a pipe nobody reads, and a
/// fixture that leaves 3000 orphans: far more log than a 64 KiB pipe holds.
/// Returns once every orphan has been reaped, which needs tend to go on
/// while its stderr is full.
fn tend_with_a_full_stderr() -> (Tend, Stalled) {
    let (stalled, writer) = Stalled::new();
    let mut cmd = pid1_command(&["-w", "-vv", fixture(), "orphans", "3000"]);
    cmd.stderr(Stdio::from(writer));
    let mut tend = Tend::spawn_keeping_stderr(cmd, true);
    tend.expect_line("orphaned 3000");
    let app = wait_for("the fixture", || children_of(tend.pid).first().copied());
    let deadline = Instant::now() + HANG;
    loop {
        let left = children_of(tend.pid).len().saturating_sub(1);
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {HANG:?}, {left} orphans still wait to be reaped while {} bytes sit unread in tend's stderr",
            stalled.queued()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(children_of(tend.pid), [app]);
    // The point of the test: the reaping above happened with stderr full.
    assert!(
        stalled.queued() > 60_000,
        "stderr's pipe should be full (64 KiB), it holds {} bytes",
        stalled.queued()
    );
    (tend, stalled)
}

#[test]
fn a_stalled_log_reader_stops_neither_reaping_nor_forwarding() {
    if !have_root("a_stalled_log_reader_stops_neither_reaping_nor_forwarding") {
        return;
    }
    let (tend, mut stalled) = tend_with_a_full_stderr();
    // Forwarding too: SIGTERM reaches the app while the pipe is still full.
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    // Every line one whole record (json_lines panics otherwise): a stall may drop records, never cut one.
    let logged = json_lines(&stalled.drain());
    assert!(
        logged.iter().any(|r| r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("Reaped zombie"))),
        "{} records, none a reaped zombie",
        logged.len()
    );
}

#[test]
fn records_dropped_while_stderr_was_full_are_counted_later() {
    if !have_root("records_dropped_while_stderr_was_full_are_counted_later") {
        return;
    }
    let (tend, mut stalled) = tend_with_a_full_stderr();
    let before = json_lines(&stalled.drain());
    // The reader catches up; the next record tend logs is preceded by the count.
    tend.signal(SIGTTIN); // ignored, and logged at debug
    let after = wait_for("tend's next records", || {
        let text = stalled.drain();
        (!text.is_empty()).then_some(text)
    });
    let after = json_lines(&after);
    let notice = &after[0];
    assert_eq!(notice["level"], "warn", "{after:?}");
    assert!(
        notice["msg"]
            .as_str()
            .is_some_and(|m| m.contains("dropped log records")),
        "{notice}"
    );
    let dropped = notice["dropped"].as_u64().expect("a count");
    // 3000 reaped orphans make 3000 records; what the pipe took is `before`.
    assert!(
        dropped as usize + before.len() >= 3000,
        "{dropped} dropped + {} written < 3000 reaps",
        before.len()
    );
    assert!(
        after.iter().any(|r| r["msg"] == "ignored signal"),
        "{after:?}"
    );
    tend.signal(SIGTERM);
    assert_eq!(tend.wait().code, Some(128 + SIGTERM));
}

/// `fixture ignoring 17 TEND ARGS`: tend exec'd by a parent that left SIGCHLD ignored.
fn with_sigchld_ignored(args: &[&str]) -> Command {
    let mut cmd = Command::new(fixture());
    cmd.args(["ignoring", &SIGCHLD.to_string(), TEND])
        .args(args);
    cmd
}

#[test]
fn sigchld_inherited_as_ignored_neither_hangs_tend_nor_reaches_the_child() {
    // The field report: this never returned, and SIGTERM did not end it either.
    let out = Tend::spawn(with_sigchld_ignored(&["--", "sh", "-c", "exit 7"]), false).wait();
    assert_eq!(out.code, Some(7), "{out:?}");

    // The child gets the default; other ignored signals still pass on (tini's sigconf).
    let mut cmd = Command::new(fixture());
    cmd.args(["ignoring", "2,17", TEND, "--", fixture(), "status"]);
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let status = out.stdout.join("\n");
    let ignored =
        u64::from_str_radix(common::field(&status, "SigIgn").expect("SigIgn"), 16).expect("hex");
    assert_eq!(ignored & 1 << (SIGCHLD - 1), 0, "SIGCHLD ignored: {status}");
    assert_ne!(ignored & 1 << 1, 0, "SIGINT should stay ignored: {status}");

    if !have_root("sigchld_inherited_as_ignored_neither_hangs_tend_nor_reaches_the_child") {
        return;
    }
    // As PID 1: a SIGTERM from outside ends the app, and tend with it.
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", fixture()])
        .args([
            "ignoring",
            &SIGCHLD.to_string(),
            TEND,
            "--",
            fixture(),
            "wait",
        ]);
    let mut tend = Tend::spawn(cmd, true);
    tend.expect_line("ready");
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
}

/// The warning records of a stderr.
fn warnings(stderr: &str) -> Vec<Value> {
    records(stderr)
        .into_iter()
        .filter(|r| r["level"] == "warn")
        .collect()
}

#[test]
fn with_g_a_child_that_left_its_group_still_gets_the_signal() {
    if !have_root("with_g_a_child_that_left_its_group_still_gets_the_signal") {
        return;
    }
    let mut tend = Tend::pid1(&["-g", fixture(), "leave-group"]);
    let ready = tend.expect_line("ready");
    let app = wait_for("the app", || children_of(tend.pid).first().copied());
    assert_ne!(
        ready,
        format!("ready {app}"),
        "the app should be in another group"
    );
    tend.signal(SIGTERM);
    let out = tend.wait();
    assert_eq!(out.code, Some(128 + SIGTERM), "{out:?}");
    let warned = warnings(&out.stderr);
    assert!(
        warned.iter().any(|r| r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("left its process group"))),
        "a warning says the signal went to the child alone: {}",
        out.stderr
    );
}

#[test]
fn a_stopped_app_is_continued_after_a_stop_signal() {
    if !have_root("a_stopped_app_is_continued_after_a_stop_signal") {
        return;
    }
    let script = "trap 'echo got-term; exit 0' TERM; echo ready; kill -STOP $$; echo resumed";
    for flags in [&[][..], &["-g"]] {
        let mut args = flags.to_vec();
        args.extend(["--", "sh", "-c", script]);
        let mut tend = Tend::pid1(&args);
        tend.expect_line("ready");
        let app = wait_for("the app", || children_of(tend.pid).first().copied());
        wait_for("the app to stop itself", || {
            (state_of(app) == Some('T')).then_some(())
        });
        tend.signal(SIGTERM);
        let out = tend.wait();
        assert_eq!(out.code, Some(0), "{flags:?}: {out:?}");
        assert!(out.stdout.iter().any(|l| l == "got-term"), "{out:?}");
    }
}

#[test]
fn grace_kills_what_tend_adopts_during_the_kill_when_not_pid1() {
    // The orphan ignores SIGTERM and has a child in its own session: the
    // final SIGKILL orphans that child, which tend adopts, and must kill too.
    let mut tend = Tend::plain(&["--grace", "1s", fixture(), "session-orphan"]);
    let line = tend.expect_line("grandchild");
    let grandchild: i32 = line
        .trim_start_matches("grandchild ")
        .parse()
        .expect("a pid");
    let out = tend.wait();
    let left = state_of(grandchild);
    if matches!(left, Some(state) if state != 'Z') {
        // Clean-up only: the test has failed already.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(grandchild),
            common::to_signal(SIGKILL),
        );
    }
    assert_eq!(out.code, Some(0), "the child's own status: {out:?}");
    assert!(
        left.is_none(),
        "the grandchild in its own session outlived tend (state {left:?}); stderr {}",
        out.stderr
    );
}

#[test]
fn text_logs_escape_control_characters_from_program_names() {
    let name = "/nonexistent/\u{1b}]0;pwned\u{7}\u{1b}[2J\r";
    let mut cmd = plain_command(&["--log-format", "text", "--", name]);
    cmd.env_remove("TEND_LOG_FORMAT");
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(127), "{out:?}");
    assert!(!out.stderr.is_empty());
    assert!(
        !out.stderr
            .trim_end_matches('\n')
            .chars()
            .any(|c| c.is_control()),
        "raw control characters on the terminal: {:?}",
        out.stderr
    );
    assert!(out.stderr.contains("\\u{1b}]0;pwned"), "{:?}", out.stderr);
}
