//! The harness shared by the integration tests: the real tend binary, run as
//! PID 1 of a fresh PID namespace (or plainly), watched from the outside.
//!
//! Which tend that is: `TEND`, cargo's own build of this crate, or the binary
//! that `TEND_TEST_BINARY` names (tests/run.sh's second pass names the small
//! release build), so that every integration test runs against either. Images
//! and engines take `static_tend()`, the same binary when it is named.
//!
//! Every wait has a deadline that exists only to catch hangs, and whatever a
//! test starts is killed when its handle drops.
//!
//! Beside the harness, the small helpers that test files would otherwise
//! each copy: tend's JSON records, a scratch directory removed on drop, a
//! free port, a pseudo-terminal, a private mount namespace. A helper that a
//! second test file needs belongs here, once.
#![allow(dead_code)]

pub mod engine;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod release;

/// The tend under test: the absolute path in `TEND_TEST_BINARY` (empty means
/// unset), else cargo's build of this crate. Read when the tests are
/// compiled, so that it is a `&str` everywhere; cargo rebuilds the tests when
/// the variable changes (`TEND_TEST_BINARY=$PWD/dist/tend-x86_64-small cargo
/// test`). Absolute, because tests run it from other directories.
pub const TEND: &str = match option_env!("TEND_TEST_BINARY") {
    Some(path) if !path.is_empty() => {
        assert!(
            path.as_bytes()[0] == b'/',
            "TEND_TEST_BINARY must be an absolute path"
        );
        path
    }
    _ => CARGO_TEND,
};
/// cargo's build of this crate, whatever `TEND` names: its directory is
/// where the examples are built beside it.
const CARGO_TEND: &str = env!("CARGO_BIN_EXE_tend");
/// Long enough never to fire on a loaded machine; only a hang reaches it.
pub const HANG: Duration = Duration::from_secs(30);

/// True when the test may go on. Tests that need root skip elsewhere, but
/// fail loudly under CI, where a skip would hide a broken set-up.
pub fn have_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs root, and CI is set: run CI as root"
    );
    eprintln!("skipping {test}: needs root (unshare, mounts)");
    false
}

/// The fixture child (tests/support/fixture.rs), an `[[example]]` so that
/// release builds never contain it. `cargo test` has built it beside tend;
/// a run of a single test target has not, so build it once per test process.
pub fn fixture() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| build_example("tend-fixture"))
}

/// The example app (examples/app.rs), built the same way.
pub fn app() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| build_example("app"))
}

/// `cargo build --example NAME` beside cargo's tend, in its profile; its path.
fn build_example(name: &str) -> String {
    let dir = Path::new(CARGO_TEND).parent().expect("tend's target dir");
    let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
    let target_dir = dir.parent().expect("the target dir");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", name])
        .arg("--target-dir")
        .arg(target_dir);
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build --example");
    assert!(status.success(), "building the {name} example failed");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// `unshare … tend ARGS`: tend as PID 1 of a fresh PID namespace.
pub fn pid1_command(args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", TEND])
        .args(args);
    cmd
}

/// `tend ARGS`, as an ordinary child of the test.
pub fn plain_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(TEND);
    cmd.args(args);
    cmd
}

/// `cmd` (tend, or unshare around it when `namespaced`) with exactly the
/// environment `vars` and PATH=/usr/bin:/bin, run to its end within HANG.
pub fn run_with_env(mut cmd: Command, namespaced: bool, vars: &[(&str, &str)]) -> Outcome {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(vars.iter().copied());
    Tend::spawn(cmd, namespaced).wait()
}

/// `tend ARGS` as an ordinary child, with exactly the environment `vars`
/// and PATH=/usr/bin:/bin, run to its end within HANG.
pub fn run_plain(args: &[&str], vars: &[(&str, &str)]) -> Outcome {
    run_with_env(plain_command(args), false, vars)
}

/// A running tend, with its stdout as lines and its stderr collected.
pub struct Tend {
    /// What the test started: unshare, or tend itself.
    wrapper: Child,
    /// tend's pid as seen from the test; 0 if it was gone before it was seen.
    pub pid: i32,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    started: Instant,
    reaped: bool,
}

/// How a tend ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub code: Option<i32>,
    pub stdout: Vec<String>,
    pub stderr: String,
    /// From the start of the wrapper to its exit.
    pub elapsed: Duration,
}

impl Tend {
    pub fn pid1(args: &[&str]) -> Tend {
        Tend::spawn(pid1_command(args), true)
    }

    pub fn plain(args: &[&str]) -> Tend {
        Tend::spawn(plain_command(args), false)
    }

    /// Start `cmd`; `namespaced` says whether it is unshare around tend.
    pub fn spawn(mut cmd: Command, namespaced: bool) -> Tend {
        cmd.stderr(Stdio::piped());
        Tend::spawn_keeping_stderr(cmd, namespaced)
    }

    /// As `spawn`, with whatever stderr the caller gave `cmd` (not collected
    /// when it is not a pipe of ours: `stderr()` is then empty).
    pub fn spawn_keeping_stderr(mut cmd: Command, namespaced: bool) -> Tend {
        cmd.stdin(Stdio::null());
        Tend::spawn_keeping_stdin(cmd, namespaced)
    }

    /// As `spawn`, with whatever stdin the caller gave `cmd` (a terminal, say).
    pub fn spawn_with_stdin(mut cmd: Command, namespaced: bool) -> Tend {
        cmd.stderr(Stdio::piped());
        Tend::spawn_keeping_stdin(cmd, namespaced)
    }

    fn spawn_keeping_stdin(mut cmd: Command, namespaced: bool) -> Tend {
        cmd.stdout(Stdio::piped());
        let started = Instant::now();
        let mut wrapper = cmd.spawn().expect("start tend");
        let (tx, lines) = channel();
        let stdout = wrapper.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = wrapper.stderr.take() {
            let sink = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .expect("stderr lock")
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let wrapper_pid = wrapper.id() as i32;
        let pid = if namespaced {
            // A quick tend may be gone before it is seen: then there is nothing left to signal.
            wait_for(
                &format!("tend to start inside unshare {wrapper_pid}"),
                || match wrapper.try_wait() {
                    Ok(Some(_)) => Some(0),
                    _ => children_of(wrapper_pid).first().copied(),
                },
            )
        } else {
            wrapper_pid
        };
        Tend {
            wrapper,
            pid,
            lines,
            seen: Vec::new(),
            stderr,
            started,
            reaped: false,
        }
    }

    /// Wait for a stdout line containing `needle`; returns it.
    pub fn expect_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + HANG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no line with {needle:?} within {HANG:?}; stdout {:?}, stderr {:?}",
                        self.seen,
                        self.stderr()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "stdout closed before a line with {needle:?}; stdout {:?}, stderr {:?}",
                        self.seen,
                        self.stderr()
                    )
                }
            }
        }
    }

    /// The stdout lines that arrive within `window`, without waiting for more.
    pub fn lines_within(&mut self, window: Duration) -> Vec<String> {
        let deadline = Instant::now() + window;
        let mut got = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line.clone());
            got.push(line);
        }
        got
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Send `signo` to tend itself (unshare would not pass it on).
    pub fn signal(&self, signo: i32) {
        assert!(self.pid > 0, "tend is gone");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), to_signal(signo))
            .expect("signal tend");
    }

    /// Send a signal that nix has no name for (real-time ones).
    pub fn signal_raw(&self, signo: i32) {
        assert!(self.pid > 0, "tend is gone");
        let status = Command::new("kill")
            .arg(format!("-{signo}"))
            .arg(self.pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signo} {}", self.pid);
    }

    /// Whether the wrapper is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.wrapper.try_wait(), Ok(None))
    }

    /// Wait for the end, within HANG.
    pub fn wait(mut self) -> Outcome {
        let deadline = Instant::now() + HANG;
        let status = loop {
            if let Some(status) = self.wrapper.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "tend did not exit within {HANG:?}; stderr {:?}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        self.reaped = true;
        let mut stdout = std::mem::take(&mut self.seen);
        // The pipe closes once every writer is gone; give the readers a moment to catch up.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            stdout.push(line);
        }
        let stderr_done = Instant::now() + Duration::from_secs(2);
        while Arc::strong_count(&self.stderr) > 1 && Instant::now() < stderr_done {
            thread::sleep(Duration::from_millis(5));
        }
        Outcome {
            code: status.code(),
            status,
            stdout,
            stderr: self.stderr(),
            elapsed,
        }
    }

    /// CPU time tend has used so far, user + system, in clock ticks (1/100 s).
    pub fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).expect("tend's stat");
        // Fields 14 and 15 (utime, stime), counted after the parenthesised command name.
        let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }

    /// voluntary + nonvoluntary context switches of tend so far.
    pub fn context_switches(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).expect("tend's status");
        ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"]
            .iter()
            .map(|key| {
                field(&status, key)
                    .and_then(|v| v.parse::<u64>().ok())
                    .expect("ctxt switches")
            })
            .sum()
    }
}

impl Drop for Tend {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        // Plain tends leave their children behind; namespaced ones take theirs along.
        for child in children_of(self.pid) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.wrapper.kill();
        let _ = self.wrapper.wait();
    }
}

pub fn to_signal(signo: i32) -> nix::sys::signal::Signal {
    nix::sys::signal::Signal::try_from(signo).expect("a standard signal")
}

/// Poll `probe` until it yields, within HANG.
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + HANG;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The direct children of `pid`, from /proc (zombies included).
pub fn children_of(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// How many "Reaped zombie process" lines (tini's phrase, kept by -w) a stderr holds.
pub fn reaped_lines(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("Reaped zombie process with pid="))
        .count()
}

/// The children of `pid` that are zombies (state Z): exited, not yet reaped.
pub fn zombie_children(pid: i32) -> Vec<i32> {
    children_of(pid)
        .into_iter()
        .filter(|&p| state_of(p) == Some('Z'))
        .collect()
}

/// The one-letter state of a process (R, S, Z, …), None once it is gone.
pub fn state_of(pid: i32) -> Option<char> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    field(&status, "State")?.chars().next()
}

/// The value of `Key:` in a /proc status text, trimmed.
pub fn field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':').map(str::trim))
}

// ---------------------------------------------------------------------------
// tend's JSON records

/// The JSON records among `stderr`'s lines, in order; a line that is not
/// JSON (a program's own output, a text log) is passed over.
pub fn records(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Every line of `stderr` as a JSON record, in order. Panics, naming the
/// line and showing all of `stderr`, at the first line that is not one
/// whole record: for tests that hold tend to JSON-only logs.
pub fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("not a JSON line ({e}): {line}\nall of stderr:\n{stderr}")
            })
        })
        .collect()
}

/// The records of `stderr` whose `msg` is exactly `msg`.
pub fn with_msg(stderr: &str, msg: &str) -> Vec<Value> {
    records(stderr)
        .into_iter()
        .filter(|r| r["msg"] == msg)
        .collect()
}

/// Wait, within HANG, until `tend` has logged a record that `wanted`
/// accepts; returns the first such record. `what` names it in a timeout.
pub fn logged(tend: &Tend, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, || {
        records(&tend.stderr()).into_iter().find(|r| wanted(r))
    })
}

/// A record's `ts` (`2026-11-22T10:53:53.123Z`, UTC) in milliseconds since
/// the epoch. Panics on a record without such a `ts`.
pub fn ts_ms(record: &Value) -> i64 {
    let ts = record["ts"].as_str().unwrap_or_default();
    let num = |range: std::ops::Range<usize>| -> i64 {
        ts.get(range)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a timestamp: {record}"))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    // Days from civil (Howard Hinnant's algorithm), months from March.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    ((days * 24 + num(11..13)) * 60 + num(14..16)) * 60_000 + num(17..19) * 1000 + num(20..23)
}

// ---------------------------------------------------------------------------
// Files, ports and terminals of the test's own

/// A directory of the test's own, `$TMPDIR/tend-CRATE-TEST-PID` (CRATE the
/// test file, TEST a tag unique within it, PID this test process: no two
/// running tests share one), mode 0755 and root's when root runs the tests,
/// removed when dropped. A leftover of a killed run with the same pid is
/// removed first. Removal is `rm -rf --one-file-system`, which, unlike a
/// recursive remove, takes any depth, and leaves alone a mount that
/// outlived its namespace.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "tend-{}-{test}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        remove_tree(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        Scratch(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// `name` (a relative path) inside the directory; nothing is created.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `path(name)` as text, for an argument, a variable or a message.
    pub fn show(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// A file at `name` holding `bytes`, with permission bits `mode`
    /// (`0o644`), its missing directories made; its path.
    pub fn file(&self, name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).expect("mkdir");
        }
        fs::write(&path, bytes).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    /// As `file`, its path as text.
    pub fn write(&self, name: &str, bytes: &[u8], mode: u32) -> String {
        self.file(name, bytes, mode).display().to_string()
    }

    /// A directory at `name` (and its missing parents), owned by uid and
    /// gid `owner`: one the app could write in.
    pub fn dir(&self, name: &str, owner: u32) -> PathBuf {
        let path = self.path(name);
        fs::create_dir_all(&path).expect("mkdir");
        lchown(&path, Some(owner), Some(owner)).expect("chown");
        path
    }

    /// A symbolic link at `name` to `target`, owned by uid and gid `owner`:
    /// planted by it.
    pub fn link(&self, name: &str, target: &Path, owner: u32) -> PathBuf {
        let path = self.path(name);
        symlink(target, &path).expect("symlink");
        lchown(&path, Some(owner), Some(owner)).expect("lchown");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        remove_tree(&self.0);
    }
}

/// `unshare --mount --propagation private sh -c SCRIPT sh`: `script` runs
/// in a mount namespace of its own, so that what it mounts (a file over
/// /etc/hosts, /dev/null over /bin/sh) goes with it and the machine's files
/// stay as they are. The arguments the caller adds are the script's `$1`….
pub fn in_private_mounts(script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
    ]);
    cmd
}

/// The owner (uid, gid) of `path` itself: a link's own, not its target's.
pub fn owner(path: &Path) -> (u32, u32) {
    let meta = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (meta.uid(), meta.gid())
}

/// `rm -rf --one-file-system DIR`, for a test's own directory only.
fn remove_tree(dir: &Path) {
    // A directory that will not go is only a leftover in the temp dir.
    let _ = Command::new("rm")
        .args(["-rf", "--one-file-system"])
        .arg(dir)
        .status();
}

/// A loopback TCP port that nothing listens on: bound by the system, then
/// let go (another process could take it, which no test here does).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Which of a command's outputs a terminal takes.
pub enum Output {
    Stdout,
    Stderr,
}

/// What a fresh pseudo-terminal shows when `cmd` writes its `output` there:
/// `cmd` runs to its end (within HANG) with stdin and its other output on
/// /dev/null, and must exit 0.
pub fn shown_on_a_terminal(mut cmd: Command, output: Output) -> String {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let terminal = Stdio::from(pty.slave);
    cmd.stdin(Stdio::null());
    match output {
        Output::Stdout => cmd.stdout(terminal).stderr(Stdio::null()),
        Output::Stderr => cmd.stdout(Stdio::null()).stderr(terminal),
    };
    let mut child = cmd.spawn().expect("start tend");
    // The parent's copy of the terminal's slave side went into cmd, which goes now.
    drop(cmd);
    let status = wait_for("tend to exit", || child.try_wait().ok().flatten());
    assert!(status.success(), "{status:?}");
    let mut master = fs::File::from(pty.master);
    let mut shown = Vec::new();
    // Once the last slave is closed, Linux answers EIO after the buffered bytes.
    let _ = master.read_to_end(&mut shown);
    String::from_utf8_lossy(&shown).into_owned()
}

/// Build the static release binaries once per test process (`cargo build
/// --release --target x86_64-unknown-linux-musl`, bins and examples), into
/// the target dir this test was built in. Returns that release directory.
pub fn musl_release() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target_dir = Path::new(CARGO_TEND)
            .parent()
            .and_then(Path::parent)
            .expect("target dir of the test build");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--release",
                "--target",
                "x86_64-unknown-linux-musl",
                "--bins",
                "--examples",
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .status()
            .expect("run cargo build");
        assert!(
            status.success(),
            "the static release build failed (is the musl target installed? .ci/setup adds it)"
        );
        target_dir.join("x86_64-unknown-linux-musl/release")
    })
}

/// The static tend that images and engines run (`FROM scratch` has no loader
/// for cargo's debug build, which links glibc): `TEND` when `TEND_TEST_BINARY`
/// names it, else the musl release build's (`musl_release()`).
pub fn static_tend() -> PathBuf {
    if TEND == CARGO_TEND {
        musl_release().join("tend")
    } else {
        PathBuf::from(TEND)
    }
}
