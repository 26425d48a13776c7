//! tend-bench: measures tend and its peers, interleaved, each as PID 1 of a
//! fresh PID namespace, and writes the results as Markdown (and raw samples).
//!
//! Each init is started with clone(CLONE_NEWPID) straight from this process,
//! so it is PID 1 of its own namespace with no `unshare` in between: signals
//! go to the init's host pid directly and its exit is ours to wait for.
//! Every figure is taken round-robin over the contenders (the order rotates
//! each round), so drift in the machine's load spreads over all of them.
//! Run it inside a cpu cgroup (bench/run does): outside one, autogroup
//! scheduling favours the inits that call setsid.
//!
//! This process must stay single-threaded: `spawn_pid1` forks with a raw clone.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt::Write as _;
use std::fs;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

// ---------------------------------------------------------------- options

struct Opts {
    quick: bool,
    tend: PathBuf,
    tend_small: Option<PathBuf>,
    /// How the tend binaries were built (toolchains), for figure 1's text.
    built: String,
    child: PathBuf,
    httpd: PathBuf,
    out: PathBuf,
    command: String,
    cgroup: String,
    orphans: usize,
    /// Figures to run (1..=10); all by default. A figure run alone says when
    /// and how it was measured in its own section, to be copied into RESULTS.md.
    only: Vec<u32>,
    /// Inits to run, by name; all by default.
    inits: Vec<String>,
    /// Signals per init in figure 5 (default 400, 50 with --quick).
    signals: Option<usize>,
    /// More inits to compare, as NAME=PATH (e.g. a patched tend).
    extra: Vec<(String, PathBuf)>,
    /// Figure 10's peers, each skipped when absent: Debian's supervisord, and
    /// multirun, built by hand from its source (bench/run says how).
    supervisord: Option<PathBuf>,
    multirun: Option<PathBuf>,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        quick: false,
        tend: PathBuf::new(),
        tend_small: None,
        built: String::new(),
        child: PathBuf::new(),
        httpd: PathBuf::new(),
        out: PathBuf::from("bench/out"),
        command: "bench/run".into(),
        cgroup: "(none)".into(),
        orphans: 20_000,
        only: vec![],
        inits: vec![],
        signals: None,
        extra: vec![],
        supervisord: None,
        multirun: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--quick" => o.quick = true,
            "--tend" => o.tend = val().into(),
            "--tend-small" => o.tend_small = Some(val().into()),
            "--built" => o.built = val(),
            "--child" => o.child = val().into(),
            "--httpd" => o.httpd = val().into(),
            "--out" => o.out = val().into(),
            "--command" => o.command = val(),
            "--cgroup" => o.cgroup = val(),
            "--orphans" => o.orphans = val().parse().unwrap_or_else(|_| die("--orphans N")),
            "--only" => {
                o.only = val()
                    .split(',')
                    .filter_map(|f| f.trim().parse().ok())
                    .collect()
            }
            "--inits" => o.inits = val().split(',').map(|s| s.trim().to_string()).collect(),
            "--extra" => {
                let v = val();
                let (n, p) = v
                    .split_once('=')
                    .unwrap_or_else(|| die("--extra NAME=PATH"));
                o.extra.push((n.into(), p.into()));
            }
            "--signals" => o.signals = Some(val().parse().unwrap_or_else(|_| die("--signals N"))),
            "--supervisord" => o.supervisord = Some(val().into()),
            "--multirun" => o.multirun = Some(val().into()),
            _ => die(&format!("unknown option {a}")),
        }
    }
    for (what, p) in [
        ("--tend", &o.tend),
        ("--child", &o.child),
        ("--httpd", &o.httpd),
    ] {
        if !p.is_file() {
            die(&format!("{what} {}: no such file", p.display()));
        }
    }
    o
}

fn die(msg: &str) -> ! {
    eprintln!("tend-bench: {msg}");
    std::process::exit(2);
}

fn note(msg: &str) {
    eprintln!("[bench] {msg}");
}

// ---------------------------------------------------------------- clocks and processes

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[derive(Clone)]
struct Contender {
    name: String,
    path: PathBuf,
    /// argv before the program: e.g. [tini, "--"]. Empty for the bare baseline.
    prefix: Vec<String>,
}

impl Contender {
    fn argv(&self, program: &[&str]) -> Vec<String> {
        let mut v = self.prefix.clone();
        v.extend(program.iter().map(|s| s.to_string()));
        v
    }
}

/// A process started as PID 1 of a new PID namespace, with its stdout on a pipe.
struct Pid1 {
    pid: libc::pid_t,
    out: RawFd,
    buf: Vec<u8>,
    reaped: bool,
}

fn pipe_cloexec() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        die("pipe2 failed");
    }
    (fds[0], fds[1])
}

/// clone(CLONE_NEWPID) + execv. The child gets PR_SET_PDEATHSIG=SIGKILL, so
/// nothing outlives the harness; SIGKILL from the parent namespace does reach
/// a PID 1 (pid_namespaces(7)).
fn spawn_pid1(argv: &[String], stderr_fd: RawFd, want_stdout: bool) -> Pid1 {
    let cargs: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap())
        .collect();
    let mut ptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let (rd, wr) = if want_stdout {
        pipe_cloexec()
    } else {
        (-1, -1)
    };
    let devnull = c"/dev/null";
    // SAFETY: a fork-like clone (no CLONE_VM, no new stack): the child has its
    // own copy of memory. This process is single-threaded, and the child only
    // makes raw system calls on data prepared above before it execs or _exits.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (libc::CLONE_NEWPID | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    } as libc::pid_t;
    if pid == 0 {
        // SAFETY: see above; only async-signal-safe calls follow.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            let null = libc::open(devnull.as_ptr(), libc::O_RDWR);
            libc::dup2(null, 0);
            libc::dup2(if wr >= 0 { wr } else { null }, 1);
            libc::dup2(stderr_fd, 2);
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(127);
        }
    }
    if pid < 0 {
        die(&format!(
            "clone(CLONE_NEWPID) failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    if wr >= 0 {
        // SAFETY: our copy of the write end; the child holds its own.
        unsafe { libc::close(wr) };
    }
    Pid1 {
        pid,
        out: rd,
        buf: Vec::new(),
        reaped: false,
    }
}

impl Pid1 {
    /// One line of the child's stdout, or None after `timeout_ms`.
    fn line(&mut self, timeout_ms: i32) -> Option<String> {
        let deadline = now_ns() + timeout_ms as u64 * 1_000_000;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            let now = now_ns();
            if now >= deadline {
                return None;
            }
            let left = ((deadline - now) / 1_000_000).max(1) as i32;
            let mut pfd = libc::pollfd {
                fd: self.out,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut pfd, 1, left) };
            if r <= 0 {
                continue;
            }
            let mut chunk = [0u8; 4096];
            // SAFETY: chunk is a valid buffer of its length.
            let n = unsafe { libc::read(self.out, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n <= 0 {
                return None; // EOF: the child is gone
            }
            self.buf.extend_from_slice(&chunk[..n as usize]);
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: pid is our own child, not yet reaped.
        unsafe { libc::kill(self.pid, sig) };
    }

    /// Wait for the init to exit, up to `timeout_ms`: Some(wait status).
    fn wait(&mut self, timeout_ms: i32) -> Option<i32> {
        // SAFETY: pidfd_open on our own unreaped child.
        let pfd = unsafe { libc::syscall(libc::SYS_pidfd_open, self.pid, 0) } as RawFd;
        if pfd >= 0 {
            let mut p = libc::pollfd {
                fd: pfd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
            // SAFETY: our own descriptor.
            unsafe { libc::close(pfd) };
            if r == 0 {
                return None;
            }
        }
        let mut status = 0;
        // SAFETY: our own child.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
        self.reaped = true;
        Some(status)
    }

    fn kill_and_reap(&mut self) {
        if !self.reaped {
            self.signal(libc::SIGKILL);
            let _ = self.wait(5000);
        }
    }

    /// (ns on CPU, ns waiting on a run queue) from /proc/PID/schedstat.
    fn schedstat(&self) -> (u64, u64) {
        let text = fs::read_to_string(format!("/proc/{}/schedstat", self.pid)).unwrap_or_default();
        let mut f = text
            .split_whitespace()
            .map(|x| x.parse::<u64>().unwrap_or(0));
        (f.next().unwrap_or(0), f.next().unwrap_or(0))
    }

    fn status_field(&self, key: &str) -> Option<u64> {
        let text = fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l[key.len()..].split_whitespace().next()?.parse().ok())
    }
}

impl Drop for Pid1 {
    fn drop(&mut self) {
        self.kill_and_reap();
        if self.out >= 0 {
            // SAFETY: our own descriptor.
            unsafe { libc::close(self.out) };
        }
    }
}

fn exit_text(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("status {status}")
    }
}

// ---------------------------------------------------------------- statistics

/// The q-quantile (0..=1) with linear interpolation.
fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A 90 % bootstrap interval of `stat` over rounds resampled with replacement.
/// `stat` gets the indices of the rounds to use, so paired samples stay paired.
fn bootstrap(rounds: usize, stat: impl Fn(&[usize]) -> f64) -> (f64, f64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut vals = Vec::with_capacity(1000);
    let mut idx = vec![0; rounds];
    for _ in 0..1000 {
        for i in idx.iter_mut() {
            *i = rng.below(rounds);
        }
        let v = stat(&idx);
        if v.is_finite() {
            vals.push(v);
        }
    }
    (quantile(&vals, 0.05), quantile(&vals, 0.95))
}

fn pick(xs: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|&i| xs[i]).collect()
}

/// Samples per contender, in round order (index = round).
type Samples = BTreeMap<String, Vec<f64>>;

// ---------------------------------------------------------------- the figures

struct Ctx {
    o: Opts,
    inits: Vec<Contender>,
    stderr_fd: RawFd,
    md: String,
    raw: String,
    /// (target, measured, verdict)
    targets: Vec<(String, String, String)>,
    /// For a run of some figures only: when, on which commit and with which
    /// command, said again in each figure's section, since the section is
    /// what gets copied into a RESULTS.md whose header belongs to another run.
    alone: Option<String>,
}

impl Ctx {
    fn child(&self) -> String {
        self.o.child.display().to_string()
    }

    fn rotated(&self, round: usize) -> Vec<Contender> {
        let mut v = self.inits.clone();
        let k = round % v.len();
        v.rotate_left(k);
        v
    }

    fn record_raw(&mut self, figure: &str, s: &Samples) {
        for (name, xs) in s {
            let vals: Vec<String> = xs.iter().map(|x| format!("{x:.3}")).collect();
            let _ = writeln!(self.raw, "{figure}\t{name}\t{}", vals.join(","));
        }
    }

    fn target(&mut self, what: &str, measured: String, met: Verdict) {
        self.targets.push((what.into(), measured, met.text()));
    }
}

#[derive(Clone, Copy)]
enum Verdict {
    Met,
    WithinNoise,
    Missed,
    Unknown,
}
impl Verdict {
    fn of(ok: bool) -> Verdict {
        if ok {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    }
    fn text(self) -> String {
        match self {
            Verdict::Met => "**met**".into(),
            Verdict::WithinNoise => "**met** (within noise)".into(),
            Verdict::Missed => "**missed**".into(),
            Verdict::Unknown => "not measured".into(),
        }
    }
}

/// Ratio verdict for "≤ 1.0× tini-static within noise": met when the ratio of
/// medians is ≤ 1.0, within noise when the 90 % bootstrap interval reaches 1.0.
fn ratio_verdict(ratio: f64, ci: (f64, f64)) -> Verdict {
    if ratio <= 1.0 {
        Verdict::Met
    } else if ci.0 <= 1.0 {
        Verdict::WithinNoise
    } else {
        Verdict::Missed
    }
}

const BASE: &str = "tini-static";
const BASE_PATH: &str = "/usr/bin/tini-static";
/// The two tend builds measured, by their column names: tend-x86_64 (stable
/// toolchain) and tend-x86_64-small (the pinned nightly), as release/build.sh
/// makes them.
const TENDS: [&str; 2] = ["tend", "tend-small"];
/// Issue 21's goal for the small build's idle VmRSS as PID 1, in KiB.
const SMALL_RSS_GOAL_KIB: f64 = 330.0;
/// Issue 21's goal for the small build's size, in bytes: below the budget
/// that tests/release.rs holds it to (SIZE_BUDGET_X86_64_SMALL), which is
/// what it reached, and not yet met.
const SMALL_SIZE_GOAL: u64 = 270_000;

fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn spread(xs: &[f64], digits: usize) -> String {
    format!(
        "{:.d$} ({:.d$}–{:.d$})",
        median(xs),
        quantile(xs, 0.1),
        quantile(xs, 0.9),
        d = digits
    )
}

// ---- 1. size

struct Elf {
    linkage: &'static str,
    libs: Vec<PathBuf>,
}

fn elf_info(path: &Path) -> Elf {
    let data = fs::read(path).unwrap_or_default();
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap()) as usize;
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 {
        return Elf {
            linkage: "?",
            libs: vec![],
        };
    }
    let e_type = u16_at(16);
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    let mut interp = false;
    for i in 0..phnum {
        let off = phoff + i * phentsize;
        if off + 4 <= data.len() && u32_at(off) == 3 {
            interp = true; // PT_INTERP
        }
    }
    if !interp {
        let linkage = if e_type == 3 { "static-pie" } else { "static" };
        return Elf {
            linkage,
            libs: vec![],
        };
    }
    Elf {
        linkage: "dynamic",
        libs: ldd(path),
    }
}

/// The shared objects a dynamic binary loads, resolved to real files.
fn ldd(path: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(path).output();
    let Ok(out) = out else { return vec![] };
    let mut libs = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
        let file = match line.split_once("=>") {
            Some((_, rhs)) => rhs.split_whitespace().next(),
            None => line
                .split_whitespace()
                .next()
                .filter(|s| s.starts_with('/')),
        };
        if let Some(f) = file.filter(|f| f.starts_with('/')) {
            if let Ok(real) = fs::canonicalize(f) {
                if !libs.contains(&real) {
                    libs.push(real);
                }
            }
        }
    }
    libs
}

fn file_size(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// `const NAME: u64 = 777_000;` from tests/release.rs, where the release
/// binaries' size budgets are set, and only there: the bench reads them
/// rather than keeping copies that could drift. None when it is not there.
fn size_budget(name: &str) -> Option<u64> {
    let text = fs::read_to_string("tests/release.rs").ok()?;
    let prefix = format!("const {name}: u64 = ");
    let value = text.lines().find_map(|l| l.trim().strip_prefix(&prefix))?;
    value.trim_end_matches(';').replace('_', "").parse().ok()
}

fn sizes(c: &mut Ctx) {
    note("1. binary size");
    let base = file_size(Path::new(BASE_PATH));
    let mut t = format!(
        "| init | binary (B) | × {BASE} | linkage | shared libraries loaded (B) | total on disk (B) |\n|---|--:|--:|---|--:|--:|\n",
    );
    let mut measured = BTreeMap::new();
    for k in c.inits.clone() {
        let size = file_size(&k.path);
        let elf = elf_info(&k.path);
        let libs: u64 = elf.libs.iter().map(|l| file_size(l)).sum();
        let names: Vec<String> = elf
            .libs
            .iter()
            .filter_map(|l| l.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let lib_text = if elf.libs.is_empty() {
            "—".into()
        } else {
            format!("{} ({})", fmt_int(libs), names.join(", "))
        };
        let _ = writeln!(
            t,
            "| {} | {} | {:.2} | {} | {} | {} |",
            k.name,
            fmt_int(size),
            size as f64 / base as f64,
            elf.linkage,
            lib_text,
            fmt_int(size + libs)
        );
        let _ = writeln!(c.raw, "size\t{}\t{size}\t{}\t{libs}", k.name, elf.linkage);
        measured.insert(k.name.clone(), size);
    }
    c.md += "## 1. Binary size\n\n";
    if !c.o.built.is_empty() {
        let _ = writeln!(
            c.md,
            "tend and tend-small are release/build.sh's tend-x86_64 and tend-x86_64-small, the files users download: {}.\n",
            c.o.built
        );
    }
    c.md += &t;
    c.md += "\n";
    for (name, budget, whose) in [
        ("tend", "SIZE_BUDGET_X86_64", "the budget"),
        ("tend-small", "SIZE_BUDGET_X86_64_SMALL", "the budget"),
    ] {
        let Some(limit) = size_budget(budget) else {
            c.target(
                &format!("size ≤ {budget} of tests/release.rs ({name})"),
                format!("{budget} not found in tests/release.rs"),
                Verdict::Unknown,
            );
            continue;
        };
        let what = format!(
            "size ≤ {} B, {whose} in tests/release.rs ({name})",
            fmt_int(limit)
        );
        match measured.get(name) {
            Some(&size) => c.target(
                &what,
                format!("{} B", fmt_int(size)),
                Verdict::of(size <= limit),
            ),
            None => c.target(&what, "not built".into(), Verdict::Unknown),
        }
    }
    let goal = format!(
        "size ≤ {} B, issue 21's goal (tend-small)",
        fmt_int(SMALL_SIZE_GOAL)
    );
    match measured.get("tend-small") {
        Some(&size) => c.target(
            &goal,
            format!("{} B", fmt_int(size)),
            Verdict::of(size <= SMALL_SIZE_GOAL),
        ),
        None => c.target(&goal, "not built".into(), Verdict::Unknown),
    }
}

// ---- 2 and 3. idle RSS and context switches

fn idle(c: &mut Ctx) {
    let reps = if c.o.quick { 1 } else { 3 };
    let secs = 5;
    note(&format!(
        "2-3. idle RSS and context switches: {reps} × {secs} s, all inits side by side"
    ));
    let mut rss: Samples = BTreeMap::new();
    let mut anon: Samples = BTreeMap::new();
    let mut ctx: Samples = BTreeMap::new();
    let child = c.child();
    for _ in 0..reps {
        let mut running: Vec<(String, Pid1)> = Vec::new();
        for k in c.inits.clone() {
            let mut p = spawn_pid1(&k.argv(&[&child, "pause"]), c.stderr_fd, true);
            match p.line(5000) {
                Some(l) if l == "ready" => running.push((k.name.clone(), p)),
                other => note(&format!("{}: no ready line ({other:?})", k.name)),
            }
        }
        sleep_ms(300);
        let before: Vec<(u64, u64)> = running
            .iter()
            .map(|(_, p)| {
                (
                    p.status_field("voluntary_ctxt_switches:").unwrap_or(0),
                    p.status_field("nonvoluntary_ctxt_switches:").unwrap_or(0),
                )
            })
            .collect();
        sleep_ms(secs * 1000);
        for ((name, p), (v0, n0)) in running.iter().zip(before) {
            let v1 = p.status_field("voluntary_ctxt_switches:").unwrap_or(0);
            let n1 = p.status_field("nonvoluntary_ctxt_switches:").unwrap_or(0);
            ctx.entry(name.clone())
                .or_default()
                .push(((v1 - v0) + (n1 - n0)) as f64);
            rss.entry(name.clone())
                .or_default()
                .push(p.status_field("VmRSS:").unwrap_or(0) as f64);
            anon.entry(name.clone())
                .or_default()
                .push(p.status_field("RssAnon:").unwrap_or(0) as f64);
        }
    }
    c.record_raw("rss_kib", &rss);
    c.record_raw("rss_anon_kib", &anon);
    c.record_raw("idle_ctxsw_5s", &ctx);
    let base_of = |v: &Samples| v.get(BASE).map(|x| median(x)).unwrap_or(f64::NAN);
    let (base_rss, base_anon) = (base_of(&rss), base_of(&anon));
    let mut t = format!(
        "| init | VmRSS (KiB), median (min–max) | × {BASE} | RssAnon (KiB), median (min–max) | × {BASE} | context switches in {secs} s idle, median (min–max) |\n|---|--:|--:|--:|--:|--:|\n"
    );
    for k in &c.inits {
        let (Some(r), Some(a), Some(x)) = (rss.get(&k.name), anon.get(&k.name), ctx.get(&k.name))
        else {
            continue;
        };
        let mm = |v: &[f64]| {
            format!(
                "{:.0} ({:.0}–{:.0})",
                median(v),
                quantile(v, 0.0),
                quantile(v, 1.0)
            )
        };
        let _ = writeln!(
            t,
            "| {} | {} | {:.2} | {} | {:.2} | {} |",
            k.name,
            mm(r),
            median(r) / base_rss,
            mm(a),
            median(a) / base_anon,
            mm(x)
        );
    }
    c.md += &format!(
        "## 2–3. Idle: memory and wake-ups\n\nEach init runs `bench-child pause` (a child asleep in pause(2)); all inits side by side, {reps} time(s). VmRSS and RssAnon (the part of VmRSS that no file backs: heap, stack, data written to; the binary's own pages are RssFile, which the kernel can drop and read again) are the init's own, read from /proc/PID/status after 0.3 s; context switches are voluntary + nonvoluntary over {secs} s.\n\n"
    );
    c.md += &t;
    c.md += "\n";
    let what =
        format!("idle VmRSS as PID 1 ≤ {SMALL_RSS_GOAL_KIB:.0} KiB, issue 21's goal (tend-small)");
    match rss.get("tend-small").map(|x| median(x)) {
        Some(r) => c.target(
            &what,
            format!("{r:.0} KiB"),
            Verdict::of(r <= SMALL_RSS_GOAL_KIB),
        ),
        None => c.target(&what, "not built".into(), Verdict::Unknown),
    }
    for name in TENDS {
        if let Some(v) = ctx.get(name) {
            let worst = quantile(v, 1.0);
            c.target(
                &format!("0 context switches in {secs} s idle ({name})"),
                format!("max {worst:.0}"),
                Verdict::of(worst == 0.0),
            );
        }
    }
}

// ---- 4. startup

fn startup(c: &mut Ctx) {
    let rounds = if c.o.quick { 20 } else { 300 };
    note(&format!("4. startup: {rounds} rounds"));
    let bare = Contender {
        name: "(none: /bin/true as PID 1)".into(),
        path: "/bin/true".into(),
        prefix: vec![],
    };
    let mut all = c.inits.clone();
    all.push(bare.clone());
    let mut s: Samples = BTreeMap::new();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for r in 0..rounds {
        let mut order = all.clone();
        let k = r % order.len();
        order.rotate_left(k);
        for k in order {
            let argv = k.argv(&["/bin/true"]);
            let t0 = now_ns();
            let mut p = spawn_pid1(&argv, c.stderr_fd, false);
            let st = p.wait(5000);
            let t1 = now_ns();
            if st != Some(0) {
                *failures.entry(k.name.clone()).or_default() += 1;
            }
            s.entry(k.name.clone())
                .or_default()
                .push((t1 - t0) as f64 / 1000.0);
        }
    }
    c.record_raw("startup_us", &s);
    let bare_v = s[&bare.name].clone();
    let base_v = s[BASE].clone();
    let overhead = |v: &[f64], idx: &[usize]| median(&pick(v, idx)) - median(&pick(&bare_v, idx));
    let mut t = format!(
        "| init | `INIT -- /bin/true` (µs), median (p10–p90) | overhead over bare /bin/true (µs) | overhead × {BASE} (90 % CI) | failures |\n|---|--:|--:|--:|--:|\n"
    );
    let all_idx: Vec<usize> = (0..rounds).collect();
    let mut tend_verdicts = vec![];
    for k in &all {
        let v = &s[&k.name];
        let fails = failures.get(&k.name).copied().unwrap_or(0);
        if k.prefix.is_empty() {
            let _ = writeln!(t, "| {} | {} | — | — | {fails} |", k.name, spread(v, 0));
            continue;
        }
        let ov = overhead(v, &all_idx);
        let ratio = ov / overhead(&base_v, &all_idx);
        let ci = bootstrap(rounds, |idx| overhead(v, idx) / overhead(&base_v, idx));
        let _ = writeln!(
            t,
            "| {} | {} | {:.0} | {:.2} ({:.2}–{:.2}) | {fails} |",
            k.name,
            spread(v, 0),
            ov,
            ratio,
            ci.0,
            ci.1
        );
        if k.name.starts_with("tend") {
            tend_verdicts.push((k.name.clone(), ratio, ci));
        }
    }
    c.md += &format!(
        "## 4. Startup\n\nWall time from clone(CLONE_NEWPID) to the init's exit, for `INIT -- /bin/true`, against `/bin/true` alone as PID 1; {rounds} rounds, round-robin.\n\n"
    );
    c.md += &t;
    c.md += "\n";
    for (name, ratio, ci) in tend_verdicts {
        c.target(
            &format!("startup overhead ≤ 1.0× {BASE} ({name})"),
            format!("{ratio:.2}× (90 % CI {:.2}–{:.2})", ci.0, ci.1),
            ratio_verdict(ratio, ci),
        );
    }
}

// ---- 5. signal forwarding

/// This process pinned to the one CPU it runs on, until the guard drops and
/// gives it back the CPUs it had. What it starts meanwhile inherits the pin
/// (sched_setaffinity(2) holds across clone and execve), and so do their
/// children. None, with a note, when the kernel refuses.
struct OneCpu {
    had: libc::cpu_set_t,
    cpu: i32,
}

impl OneCpu {
    fn pin() -> Option<OneCpu> {
        // SAFETY: cpu_set_t is plain bits; all zeros is the empty set.
        let mut had: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: had is a cpu_set_t of `size` bytes to write into.
        if unsafe { libc::sched_getaffinity(0, size, &mut had) } != 0 {
            note("sched_getaffinity failed: not pinned to one CPU");
            return None;
        }
        // SAFETY: no arguments; returns the CPU this thread runs on.
        let cpu = unsafe { libc::sched_getcpu() };
        // SAFETY: as above, the empty set.
        let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: one is a valid cpu_set_t and cpu is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu as usize, &mut one) };
        // SAFETY: one is a cpu_set_t of `size` bytes.
        if cpu < 0 || unsafe { libc::sched_setaffinity(0, size, &one) } != 0 {
            note("sched_setaffinity failed: not pinned to one CPU");
            return None;
        }
        Some(OneCpu { had, cpu })
    }
}

impl Drop for OneCpu {
    fn drop(&mut self) {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: had is the cpu_set_t sched_getaffinity filled.
        unsafe { libc::sched_setaffinity(0, size, &self.had) };
    }
}

fn signals(c: &mut Ctx) {
    let n = c.o.signals.unwrap_or(if c.o.quick { 50 } else { 400 });
    note(&format!(
        "5. signal forwarding: {n} SIGUSR1 per init, one at a time"
    ));
    let child = c.child();
    // Every init, its child and this driver on one CPU: left to the
    // scheduler, an init can spend the whole phase on the other CPU, or on a
    // busier one, and its latency then says where it ran rather than what it
    // does (seen here: one init 3 to 6 times slower than the rest, for
    // hundreds of signals in a row, in one run and not the next).
    let pin = OneCpu::pin();
    let mut running: Vec<(Contender, Pid1)> = Vec::new();
    for k in c.inits.clone() {
        let mut p = spawn_pid1(&k.argv(&[&child, "sigrecv"]), c.stderr_fd, true);
        match p.line(5000) {
            Some(l) if l == "ready" => running.push((k, p)),
            other => note(&format!("{}: no ready line ({other:?})", k.name)),
        }
    }
    sleep_ms(200);
    let cpu0: Vec<(u64, u64)> = running.iter().map(|(_, p)| p.schedstat()).collect();
    let mut s: Samples = BTreeMap::new();
    let mut lost: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for i in 0..n {
        let len = running.len();
        for j in 0..len {
            let (k, p) = &mut running[(i + j) % len];
            let want = seen.get(&k.name).copied().unwrap_or(0) + 1;
            let t_send = now_ns();
            p.signal(libc::SIGUSR1);
            let mut got = None;
            while let Some(line) = p.line(1000) {
                let mut f = line.split_whitespace();
                let (Some(cnt), Some(t)) = (f.next(), f.next()) else {
                    continue;
                };
                let (cnt, t): (u64, u64) = (cnt.parse().unwrap_or(0), t.parse().unwrap_or(0));
                seen.insert(k.name.clone(), cnt);
                if cnt >= want {
                    got = Some(t);
                    break;
                }
            }
            match got {
                Some(t) => s
                    .entry(k.name.clone())
                    .or_default()
                    .push(t.saturating_sub(t_send) as f64 / 1000.0),
                None => {
                    *lost.entry(k.name.clone()).or_default() += 1;
                    s.entry(k.name.clone()).or_default().push(f64::NAN);
                }
            }
            // A short random pause, so no init is always hit at the same phase.
            std::thread::sleep(Duration::from_micros(200 + rng.below(800) as u64));
        }
    }
    // The init's own CPU time per signal: its work, without the wake-up latency.
    let mut cpu: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for ((k, p), (on0, wait0)) in running.iter().zip(cpu0) {
        let (on1, wait1) = p.schedstat();
        cpu.insert(
            k.name.clone(),
            (
                (on1 - on0) as f64 / n as f64 / 1000.0,
                (wait1 - wait0) as f64 / n as f64 / 1000.0,
            ),
        );
    }
    drop(running);
    let pinned = match &pin {
        Some(one) => format!("All of them (driver, inits, children) run pinned to one CPU, CPU {}, so that none is measured on another CPU than the rest. ", one.cpu),
        None => String::new(),
    };
    drop(pin);
    c.record_raw("signal_latency_us", &s);
    let base: Vec<f64> = s.get(BASE).cloned().unwrap_or_default();
    let finite = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect::<Vec<f64>>()
    };
    let mut t = format!(
        "| init | latency (µs), median (p10–p90) | p99 (µs) | median × {BASE} (90 % CI) | lost / sent | init CPU per signal (µs) | init run-queue wait per signal (µs) |\n|---|--:|--:|--:|--:|--:|--:|\n"
    );
    let mut verdicts = vec![];
    for k in &c.inits {
        let Some(v) = s.get(&k.name) else { continue };
        let fv = finite(v);
        let lost_n = lost.get(&k.name).copied().unwrap_or(0);
        let ratio = median(&fv) / median(&finite(&base));
        let ci = bootstrap(v.len().min(base.len()), |idx| {
            median(&finite(&pick(v, idx))) / median(&finite(&pick(&base, idx)))
        });
        let _ = writeln!(
            t,
            "| {} | {} | {:.1} | {:.2} ({:.2}–{:.2}) | {lost_n} / {} | {:.2} | {:.2} |",
            k.name,
            spread(&fv, 1),
            quantile(&fv, 0.99),
            ratio,
            ci.0,
            ci.1,
            v.len(),
            cpu.get(&k.name).map_or(f64::NAN, |c| c.0),
            cpu.get(&k.name).map_or(f64::NAN, |c| c.1),
        );
        if k.name.starts_with("tend") {
            verdicts.push((k.name.clone(), ratio, ci, lost_n, v.len()));
        }
    }
    c.md += &format!(
        "## 5. Signal forwarding\n\nThe child blocks SIGUSR1 and waits in sigwaitinfo(2); the harness sends SIGUSR1 to the init's host pid and waits for the child's timestamp (CLOCK_MONOTONIC) before the next one: {n} per init, round-robin, 0.2–1 ms apart. A signal with no answer within 1 s counts as lost. {pinned}The init's CPU time and run-queue wait come from /proc/PID/schedstat over the whole phase.\n\n"
    );
    c.md += &t;
    c.md += "\n";
    for (name, ratio, ci, lost_n, sent) in verdicts {
        c.target(
            &format!("signal latency ≤ 1.0× {BASE} ({name})"),
            format!("{ratio:.2}× (90 % CI {:.2}–{:.2})", ci.0, ci.1),
            ratio_verdict(ratio, ci),
        );
        c.target(
            &format!("0 signals lost ({name})"),
            format!("{lost_n} / {sent}"),
            Verdict::of(lost_n == 0),
        );
    }
}

// ---- 6. reaping

fn reaping(c: &mut Ctx) {
    let rounds = if c.o.quick { 1 } else { 5 };
    let n = c.o.orphans;
    note(&format!("6. reaping: {rounds} rounds of {n} orphans"));
    let child = c.child();
    let mut s: Samples = BTreeMap::new();
    let mut left: BTreeMap<String, u64> = BTreeMap::new();
    let mut made_min = u64::MAX;
    for r in 0..rounds {
        for k in c.rotated(r) {
            let mut p = spawn_pid1(
                &k.argv(&[&child, "orphans", &n.to_string()]),
                c.stderr_fd,
                true,
            );
            let line = p.line(60_000).unwrap_or_default();
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() == 4 && f[0] == "reaped" {
                let made: u64 = f[1].parse().unwrap_or(0);
                made_min = made_min.min(made);
                s.entry(k.name.clone())
                    .or_default()
                    .push(f[2].parse::<f64>().unwrap_or(f64::NAN) / 1e6);
                *left.entry(k.name.clone()).or_default() += f[3].parse::<u64>().unwrap_or(0);
            } else {
                note(&format!("{}: orphan run failed: {line:?}", k.name));
                s.entry(k.name.clone()).or_default().push(f64::NAN);
                *left.entry(k.name.clone()).or_default() += n as u64;
            }
            let _ = p.wait(10_000);
        }
    }
    c.record_raw("reap_ms", &s);
    let base = s.get(BASE).map(|v| median(v)).unwrap_or(f64::NAN);
    let mut t = format!(
        "| init | time to reap {} orphans (ms), median (p10–p90) | µs per zombie | × {BASE} | zombies left (sum over rounds) |\n|---|--:|--:|--:|--:|\n",
        fmt_int(n as u64)
    );
    for k in &c.inits {
        let Some(v) = s.get(&k.name) else { continue };
        let _ = writeln!(
            t,
            "| {} | {} | {:.2} | {:.2} | {} |",
            k.name,
            spread(v, 1),
            median(v) * 1000.0 / n as f64,
            median(v) / base,
            left.get(&k.name).copied().unwrap_or(0)
        );
    }
    c.md += &format!(
        "## 6. Reaping\n\n`bench-child orphans {n}`: an intermediate process makes {n} children that exit at once, then exits itself, so the kernel hands all {n} zombies to PID 1 together. Timed from just before that exit until every one of the pids is gone (kill(pid, 0) = ESRCH); {rounds} round(s), round-robin. Zombies still there after 20 s count as left.\n\n"
    );
    if made_min < n as u64 {
        let _ = writeln!(
            c.md,
            "**Note:** only {made_min} children could be made in some round.\n"
        );
    }
    c.md += &t;
    c.md += "\n";
    for name in TENDS {
        if let Some(l) = left.get(name) {
            c.target(
                &format!("0 zombies left ({name})"),
                format!("{l}"),
                Verdict::of(*l == 0),
            );
        }
    }
}

// ---- 7. shutdown

fn shutdown(c: &mut Ctx) {
    let rounds = if c.o.quick { 10 } else { 150 };
    note(&format!("7. shutdown: {rounds} rounds"));
    let child = c.child();
    let mut s: Samples = BTreeMap::new();
    let mut statuses: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for r in 0..rounds {
        for k in c.rotated(r) {
            let mut p = spawn_pid1(&k.argv(&[&child, "pause"]), c.stderr_fd, true);
            if p.line(5000).as_deref() != Some("ready") {
                note(&format!("{}: no ready line", k.name));
                s.entry(k.name.clone()).or_default().push(f64::NAN);
                continue;
            }
            let t0 = now_ns();
            p.signal(libc::SIGTERM);
            let st = p.wait(5000);
            let t1 = now_ns();
            let text = st.map(exit_text).unwrap_or_else(|| "no exit in 5 s".into());
            *statuses
                .entry(k.name.clone())
                .or_default()
                .entry(text)
                .or_default() += 1;
            s.entry(k.name.clone()).or_default().push(if st.is_some() {
                (t1 - t0) as f64 / 1000.0
            } else {
                f64::NAN
            });
        }
    }
    c.record_raw("shutdown_us", &s);
    let base = s[BASE].clone();
    let mut t = format!(
        "| init | SIGTERM → init exit (µs), median (p10–p90) | × {BASE} (90 % CI) | init's exit |\n|---|--:|--:|---|\n"
    );
    let mut verdicts = vec![];
    for k in &c.inits {
        let Some(v) = s.get(&k.name) else { continue };
        let ratio = median(v) / median(&base);
        let ci = bootstrap(rounds, |idx| {
            median(&pick(v, idx)) / median(&pick(&base, idx))
        });
        let st: Vec<String> = statuses
            .get(&k.name)
            .map(|m| m.iter().map(|(k, n)| format!("{k} ×{n}")).collect())
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "| {} | {} | {:.2} ({:.2}–{:.2}) | {} |",
            k.name,
            spread(v, 0),
            ratio,
            ci.0,
            ci.1,
            st.join(", ")
        );
        if k.name.starts_with("tend") {
            verdicts.push((k.name.clone(), ratio, ci));
        }
    }
    c.md += &format!(
        "## 7. Shutdown\n\nThe child (`bench-child pause`) leaves SIGTERM at its default action, so it dies as soon as the init forwards the signal. Timed from kill(init, SIGTERM) to the init's exit (pidfd readable); {rounds} rounds, round-robin.\n\n"
    );
    c.md += &t;
    c.md += "\n";
    for (name, ratio, ci) in verdicts {
        c.target(
            &format!("shutdown ≤ 1.0× {BASE} ({name})"),
            format!("{ratio:.2}× (90 % CI {:.2}–{:.2})", ci.0, ci.1),
            ratio_verdict(ratio, ci),
        );
    }
}

// ---- 8. probe

struct Probe {
    name: String,
    argv: Vec<String>,
    /// What it adds to a distroless image that already has tend as its init.
    extra: Vec<PathBuf>,
    note: String,
}

fn probes(c: &mut Ctx) {
    let rounds = if c.o.quick { 15 } else { 200 };
    note(&format!("8. probe: {rounds} rounds"));
    let mut httpd = Command::new(&c.o.httpd)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| die(&format!("starting bench-httpd: {e}")));
    let mut port = String::new();
    {
        use std::io::BufRead;
        let out = httpd.stdout.take().unwrap();
        let _ = std::io::BufReader::new(out).read_line(&mut port);
    }
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let mut list = vec![Probe {
        name: "tend --probe".into(),
        argv: vec![
            c.o.tend.display().to_string(),
            "--probe".into(),
            url.clone(),
        ],
        extra: vec![],
        note: "already the init".into(),
    }];
    if let Some(sm) = &c.o.tend_small {
        list.push(Probe {
            name: "tend-small --probe".into(),
            argv: vec![sm.display().to_string(), "--probe".into(), url.clone()],
            extra: vec![],
            note: "already the init".into(),
        });
    }
    let with_libs = |bin: &str| {
        let p = PathBuf::from(bin);
        let mut v = vec![p.clone()];
        v.extend(elf_info(&p).libs);
        v
    };
    for (name, argv, bin) in [
        (
            "curl -fsS",
            vec!["/usr/bin/curl", "-fsS", "-o", "/dev/null", &url],
            "/usr/bin/curl",
        ),
        (
            "wget -q",
            vec!["/usr/bin/wget", "-q", "-O", "/dev/null", &url],
            "/usr/bin/wget",
        ),
        (
            "busybox wget -q",
            vec!["/bin/busybox", "wget", "-q", "-O", "/dev/null", &url],
            "/bin/busybox",
        ),
    ] {
        if !Path::new(bin).exists() {
            note(&format!("{bin} missing: skipped"));
            continue;
        }
        let extra = with_libs(bin);
        let note = if extra.len() > 1 {
            "binary + shared libraries (ldd)".into()
        } else {
            "static binary".into()
        };
        list.push(Probe {
            name: name.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            extra,
            note,
        });
    }
    let mut s: Samples = BTreeMap::new();
    let mut fails: BTreeMap<String, usize> = BTreeMap::new();
    for r in 0..rounds {
        let len = list.len();
        for j in 0..len {
            let p = &list[(r + j) % len];
            let t0 = now_ns();
            let st = Command::new(&p.argv[0])
                .args(&p.argv[1..])
                .env_remove("http_proxy")
                .env_remove("HTTP_PROXY")
                .env_remove("all_proxy")
                .env_remove("ALL_PROXY")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let t1 = now_ns();
            if !matches!(st, Ok(s) if s.success()) {
                *fails.entry(p.name.clone()).or_default() += 1;
            }
            s.entry(p.name.clone())
                .or_default()
                .push((t1 - t0) as f64 / 1e6);
        }
    }
    let _ = httpd.kill();
    let _ = httpd.wait();
    c.record_raw("probe_ms", &s);
    let med = |n: &str| s.get(n).map(|v| median(v)).unwrap_or(f64::NAN);
    let (curl, bb) = (med("curl -fsS"), med("busybox wget -q"));
    let mut t = String::from(
        "| probe | time per probe (ms), median (p10–p90) | curl ÷ this | this ÷ busybox wget | failed | extra bytes in a distroless image |\n|---|--:|--:|--:|--:|---|\n",
    );
    for p in &list {
        let v = &s[&p.name];
        let extra: u64 = p.extra.iter().map(|f| file_size(f)).sum();
        let f = fails.get(&p.name).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "| {} | {} | {:.1} | {:.2} | {f} / {rounds} | {} ({}) |",
            p.name,
            spread(v, 2),
            curl / median(v),
            median(v) / bb,
            fmt_int(extra),
            p.note
        );
    }
    c.md += &format!(
        "## 8. Probe\n\nEach probe fetches `http://127.0.0.1:PORT/` from `bench-httpd` (200, 3-byte body) and is timed from spawn to exit; {rounds} rounds, round-robin. Bytes: what each adds to a distroless image whose init is already tend (for dynamic tools, the binary plus every shared library it loads, glibc included, as in a `static` distroless base).\n\n"
    );
    c.md += &t;
    c.md += "\n";
    for name in ["tend --probe", "tend-small --probe"] {
        let Some(v) = s.get(name) else { continue };
        let f = fails.get(name).copied().unwrap_or(0);
        let m = median(v);
        let working = f == 0;
        let tag = if working {
            String::new()
        } else {
            format!(", but {f}/{rounds} probes FAILED")
        };
        c.target(
            &format!("probe ≥ busybox wget speed ({name})"),
            format!("{m:.2} ms vs {bb:.2} ms{tag}"),
            Verdict::of(working && m <= bb),
        );
        c.target(
            &format!("probe ≥ 8× faster than curl ({name})"),
            format!("{:.1}×{tag}", curl / m),
            Verdict::of(working && curl / m >= 8.0),
        );
    }
}

// ---------------------------------------------------------------- the report

// ---- 9. --health

/// utime + stime of reaped children (fields 16 and 17 of /proc/PID/stat), in clock ticks.
fn children_ticks(pid: libc::pid_t) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| die(&format!("no free port: {e}")))
}

fn health(c: &mut Ctx) {
    let (rounds, secs) = if c.o.quick { (1, 4) } else { (3, 20) };
    let interval_ms = 200;
    let builds: Vec<Contender> = c
        .inits
        .iter()
        .filter(|k| TENDS.contains(&k.name.as_str()))
        .cloned()
        .collect();
    note(&format!("9. --health: {rounds} × {secs} s, checks every {interval_ms} ms, beside the same app without"));
    let httpd = c.o.httpd.display().to_string();
    // (name, wake-ups, tend's own CPU ns, children's CPU ticks, checks)
    let mut rows: Vec<(String, f64, f64, f64, f64)> = Vec::new();
    for round in 0..rounds {
        let mut running = Vec::new();
        let mut order = Vec::new();
        for k in &builds {
            order.push((k, true));
            order.push((k, false));
        }
        let n = order.len().max(1);
        order.rotate_left(round % n);
        for (k, with_health) in order {
            let port = free_port().to_string();
            let url = format!("http://127.0.0.1:{port}/");
            let interval = format!("{interval_ms}ms");
            let mut argv = vec![k.path.display().to_string()];
            if with_health {
                argv.extend(["--health".into(), url, "--health-interval".into(), interval]);
            }
            argv.extend([
                "--".into(),
                httpd.clone(),
                "--port".into(),
                port,
                "--log".into(),
            ]);
            let mut p = spawn_pid1(&argv, c.stderr_fd, true);
            match p.line(5000) {
                Some(_) => running.push((&k.name, with_health, p)),
                None => note(&format!("bench-httpd under {} did not start", k.name)),
            }
        }
        // One interval to settle: the first check comes one interval after the app.
        sleep_ms(interval_ms + 100);
        let before: Vec<(u64, u64, u64)> = running
            .iter_mut()
            .map(|(_, _, p)| {
                while p.line(1).is_some() {}
                let ctx = p.status_field("voluntary_ctxt_switches:").unwrap_or(0)
                    + p.status_field("nonvoluntary_ctxt_switches:").unwrap_or(0);
                (ctx, p.schedstat().0, children_ticks(p.pid))
            })
            .collect();
        sleep_ms(secs * 1000);
        for ((name, with_health, p), (ctx0, cpu0, kids0)) in running.iter_mut().zip(before) {
            let ctx = p.status_field("voluntary_ctxt_switches:").unwrap_or(0)
                + p.status_field("nonvoluntary_ctxt_switches:").unwrap_or(0);
            let (cpu, kids) = (p.schedstat().0, children_ticks(p.pid));
            let mut checks = 0;
            while let Some(line) = p.line(1) {
                checks += usize::from(line.starts_with("req "));
            }
            let name = if *with_health {
                format!("{name} --health")
            } else {
                name.to_string()
            };
            rows.push((
                name,
                (ctx - ctx0) as f64,
                (cpu - cpu0) as f64,
                (kids - kids0) as f64,
                checks as f64,
            ));
        }
    }
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let tick_ns = 1e9 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut t = format!(
        "| | checks in {secs} s, median | wake-ups (context switches) in {secs} s, median | wake-ups per check | tend's own CPU per check (µs) | the checks' copies, CPU per check (µs) |\n|---|--:|--:|--:|--:|--:|\n"
    );
    let mut samples: Samples = BTreeMap::new();
    for k in &builds {
        let mut per_check = f64::NAN;
        let mut quiet = f64::NAN;
        for name in [k.name.clone(), format!("{} --health", k.name)] {
            let of = |i: usize| -> Vec<f64> {
                rows.iter()
                    .filter(|r| r.0 == name)
                    .map(|r| [r.1, r.2, r.3, r.4][i])
                    .collect()
            };
            let (wake, cpu, kids, checks) = (of(0), of(1), of(2), of(3));
            samples.insert(format!("{name} wake-ups"), wake.clone());
            samples.insert(format!("{name} checks"), checks.clone());
            let (w, n) = (median(&wake), median(&checks));
            if name == k.name {
                quiet = quantile(&wake, 1.0);
                let _ = writeln!(
                    t,
                    "| {name} (no --health) | 0 | {w:.0} (max {quiet:.0}) | — | — | — |"
                );
                continue;
            }
            let total = |xs: &[f64]| xs.iter().sum::<f64>();
            let all_checks = total(&checks).max(1.0);
            per_check = total(&wake) / all_checks;
            let _ = writeln!(
                t,
                "| {name} (every {interval_ms} ms) | {n:.0} | {w:.0} | {per_check:.1} | {:.0} | {:.0} |",
                total(&cpu) / all_checks / 1e3,
                total(&kids) * tick_ns / all_checks / 1e3
            );
        }
        c.target(
            &format!(
                "--health: 0 wake-ups without it, a few per check with it (≤ 5) ({})",
                k.name
            ),
            format!("{quiet:.0} without, {per_check:.1} per check"),
            Verdict::of(quiet == 0.0 && per_check <= 5.0),
        );
    }
    c.record_raw("health", &samples);
    c.md += &format!(
        "## 9. --health\n\nEach tend build as PID 1 of `bench-httpd` (which answers 200 and logs each request with its time), with `--health http://127.0.0.1:PORT/ --health-interval {interval_ms}ms` and, side by side, without; {rounds} round(s) of {secs} s after one interval to settle. Checks are the requests the server saw; wake-ups are tend's voluntary + nonvoluntary context switches; tend's own CPU comes from /proc/PID/schedstat; the checks run in forked copies of tend, which tend reaps, so their CPU is the growth of tend's cutime + cstime (/proc/PID/stat, counted in clock ticks of {:.0} ms, so a coarse figure over many checks).\n\n",
        tick_ns / 1e6
    );
    c.md += &t;
    c.md += "\n";
}

// ---- 10. several programs

/// How one supervisor of several programs is run, for figure 10.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `tend --also PROGRAM ×(n-1) -- PROGRAM`.
    Tend,
    /// `supervisord -n -c FILE`, FILE with n `[program:…]` sections.
    Supervisord,
    /// The same, with the n programs in one `[group:…]`: supervisord stops
    /// its groups one after another, so this is how it stops fastest. The
    /// same processes as `Supervisord` when idle, so only in the stop table.
    SupervisordGroup,
    /// `multirun PROGRAM ×n`, each run through `sh -c "exec PROGRAM"`.
    Multirun,
}

#[derive(Clone)]
struct Several {
    name: String,
    path: PathBuf,
    kind: Kind,
}

impl Several {
    /// The argv that runs `n` copies of `program` (words, no quoting
    /// needed); `seq` makes supervisord's files unique to this start.
    fn argv(&self, program: &[&str], n: usize, out: &Path, seq: usize) -> Vec<String> {
        let path = self.path.display().to_string();
        let line = program.join(" ");
        match self.kind {
            Kind::Tend => {
                let mut v = vec![path];
                for _ in 1..n {
                    v.extend(["--also".to_string(), line.clone()]);
                }
                v.push("--".into());
                v.extend(program.iter().map(|w| w.to_string()));
                v
            }
            Kind::Multirun => std::iter::once(path)
                .chain((0..n).map(|_| line.clone()))
                .collect(),
            Kind::Supervisord | Kind::SupervisordGroup => {
                let conf = out.join(format!("supervisord-{seq}.conf"));
                let pidfile = out.join(format!("supervisord-{seq}.pid"));
                let grouped = self.kind == Kind::SupervisordGroup;
                fs::write(&conf, supervisord_conf(&line, n, &pidfile, grouped))
                    .unwrap_or_else(|e| die(&format!("{}: {e}", conf.display())));
                vec![path, "-n".into(), "-c".into(), conf.display().to_string()]
            }
        }
    }
}

/// A container's supervisord.conf: in the foreground, its log and the
/// programs' output on stdout (nothing kept in files), `n` programs that
/// each run `command`, in one `[group:all]` if `grouped`; every other
/// setting at its default.
fn supervisord_conf(command: &str, n: usize, pidfile: &Path, grouped: bool) -> String {
    let mut conf = format!(
        "[supervisord]\nnodaemon=true\nuser=root\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile={}\n",
        pidfile.display()
    );
    for i in 1..=n {
        let _ = write!(
            conf,
            "\n[program:p{i}]\ncommand={command}\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n"
        );
    }
    if grouped {
        let names: Vec<String> = (1..=n).map(|i| format!("p{i}")).collect();
        let _ = write!(conf, "\n[group:all]\nprograms={}\n", names.join(","));
    }
    conf
}

/// The supervisors of figure 10 that are here: tend (and tend-small), then the peers.
fn several_contenders(c: &Ctx) -> Vec<Several> {
    let mut v = vec![Several {
        name: "tend".into(),
        path: c.o.tend.clone(),
        kind: Kind::Tend,
    }];
    if let Some(p) = &c.o.tend_small {
        v.push(Several {
            name: "tend-small".into(),
            path: p.clone(),
            kind: Kind::Tend,
        });
    }
    for (name, path, kind) in [
        ("supervisord", &c.o.supervisord, Kind::Supervisord),
        (
            "supervisord, one [group]",
            &c.o.supervisord,
            Kind::SupervisordGroup,
        ),
        ("multirun", &c.o.multirun, Kind::Multirun),
    ] {
        match path {
            Some(p) if p.is_file() => v.push(Several {
                name: name.into(),
                path: p.clone(),
                kind,
            }),
            Some(p) => note(&format!("{name}: {} is not a file: skipped", p.display())),
            None => note(&format!("{name}: not given: skipped")),
        }
    }
    if !c.o.inits.is_empty() {
        // `supervisord` names both of its rows.
        v.retain(|k| {
            k.name == "tend"
                || c.o
                    .inits
                    .iter()
                    .any(|i| k.name.split(',').next() == Some(i))
        });
    }
    v
}

/// Wait for `n` lines `ready` (anything else on stdout, a supervisor's own
/// log, is skipped), within `timeout_ms` in all.
fn await_ready(p: &mut Pid1, n: usize, timeout_ms: u64) -> bool {
    let deadline = now_ns() + timeout_ms * 1_000_000;
    let mut seen = 0;
    while seen < n {
        let now = now_ns();
        if now >= deadline {
            return false;
        }
        match p.line(((deadline - now) / 1_000_000).max(1) as i32) {
            Some(l) if l == "ready" => seen += 1,
            Some(_) => {}
            None => return false,
        }
    }
    true
}

/// The processes of the PID namespace whose PID 1 has host pid `pid1`
/// that are the supervisor's own: every one but the programs (`program`).
fn own_processes(pid1: libc::pid_t, program: &Path) -> Vec<libc::pid_t> {
    let ns = |pid: libc::pid_t| fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let Some(theirs) = ns(pid1) else {
        return vec![];
    };
    let program = fs::canonicalize(program).unwrap_or_else(|_| program.to_path_buf());
    let Ok(dir) = fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|&pid| ns(pid).as_ref() == Some(&theirs))
        .filter(|&pid| fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() != Some(&program))
        .collect()
}

/// One field of /proc/PID/status, as a number (`VmRSS:` in KiB).
fn status_of(pid: libc::pid_t, key: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l[key.len()..].split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn switches(pid: libc::pid_t) -> u64 {
    status_of(pid, "voluntary_ctxt_switches:") + status_of(pid, "nonvoluntary_ctxt_switches:")
}

fn several(c: &mut Ctx) {
    let (reps, secs, rounds) = if c.o.quick { (1, 2, 3) } else { (3, 5, 20) };
    let sups = several_contenders(c);
    note(&format!(
        "10. several programs: idle {reps} × {secs} s with 1 and 4 programs, then {rounds} stops of 4, over {}",
        sups.iter().map(|k| k.name.as_str()).collect::<Vec<_>>().join(", ")
    ));
    let child = c.child();
    let program = [child.as_str(), "pause"];
    let files = c.o.out.join("supervisord");
    let _ = fs::remove_dir_all(&files); // a leftover of an earlier run
    fs::create_dir_all(&files).unwrap_or_else(|e| die(&format!("{}: {e}", files.display())));
    let mut seq = 0;
    let mut start = |k: &Several, n: usize, stderr_fd: RawFd| -> Option<Pid1> {
        seq += 1;
        let mut p = spawn_pid1(&k.argv(&program, n, &files, seq), stderr_fd, true);
        if await_ready(&mut p, n, 10_000) {
            Some(p)
        } else {
            note(&format!(
                "{} with {n} programs: not {n} ready lines in 10 s",
                k.name
            ));
            None
        }
    };

    // Idle: every supervisor with 1 and with 4 programs, side by side.
    let counts = [1usize, 4];
    // (name, n) → samples
    let mut rss_init: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    let mut rss_own: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    let mut procs_own: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    let mut wake: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    for _ in 0..reps {
        let mut running: Vec<((String, usize), Pid1)> = Vec::new();
        for k in sups.iter().filter(|k| k.kind != Kind::SupervisordGroup) {
            for n in counts {
                if let Some(p) = start(k, n, c.stderr_fd) {
                    running.push(((k.name.clone(), n), p));
                }
            }
        }
        sleep_ms(300);
        let own: Vec<Vec<libc::pid_t>> = running
            .iter()
            .map(|(_, p)| own_processes(p.pid, &c.o.child))
            .collect();
        let before: Vec<u64> = own
            .iter()
            .map(|pids| pids.iter().map(|&q| switches(q)).sum())
            .collect();
        sleep_ms(secs * 1000);
        for (((key, p), pids), before) in running.iter().zip(&own).zip(before) {
            let after: u64 = pids.iter().map(|&q| switches(q)).sum();
            wake.entry(key.clone())
                .or_default()
                .push(after.saturating_sub(before) as f64);
            rss_init
                .entry(key.clone())
                .or_default()
                .push(status_of(p.pid, "VmRSS:") as f64);
            rss_own
                .entry(key.clone())
                .or_default()
                .push(pids.iter().map(|&q| status_of(q, "VmRSS:")).sum::<u64>() as f64);
            procs_own
                .entry(key.clone())
                .or_default()
                .push(pids.len() as f64);
        }
    }
    let flat = |m: &BTreeMap<(String, usize), Vec<f64>>| -> Samples {
        m.iter()
            .map(|((name, n), v)| (format!("{name} ×{n}"), v.clone()))
            .collect()
    };
    c.record_raw("several_rss_init_kib", &flat(&rss_init));
    c.record_raw("several_rss_own_kib", &flat(&rss_own));
    c.record_raw(&format!("several_idle_ctxsw_{secs}s"), &flat(&wake));
    let mm = |v: &[f64]| {
        format!(
            "{:.0} ({:.0}–{:.0})",
            median(v),
            quantile(v, 0.0),
            quantile(v, 1.0)
        )
    };
    let mut t = format!(
        "| supervisor | programs | its processes | VmRSS of PID 1 (KiB), median (min–max) | VmRSS of all its processes (KiB) | × tend | context switches in {secs} s idle, median (min–max) |\n|---|--:|--:|--:|--:|--:|--:|\n"
    );
    for n in counts {
        let base = rss_own
            .get(&("tend".to_string(), n))
            .map(|v| median(v))
            .unwrap_or(f64::NAN);
        for k in &sups {
            let key = (k.name.clone(), n);
            let (Some(ri), Some(ro), Some(po), Some(w)) = (
                rss_init.get(&key),
                rss_own.get(&key),
                procs_own.get(&key),
                wake.get(&key),
            ) else {
                continue;
            };
            let _ = writeln!(
                t,
                "| {} | {n} | {:.0} | {} | {} | {:.2} | {} |",
                k.name,
                median(po),
                mm(ri),
                mm(ro),
                median(ro) / base,
                mm(w)
            );
        }
    }

    // Stop: SIGTERM to PID 1 with 4 programs running, until PID 1 has exited.
    let n = 4;
    let settle_ms = 1500;
    let mut stop: Samples = BTreeMap::new();
    let mut statuses: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for r in 0..rounds {
        let mut order = sups.clone();
        order.rotate_left(r % sups.len());
        for k in order {
            let Some(mut p) = start(&k, n, c.stderr_fd) else {
                stop.entry(k.name.clone()).or_default().push(f64::NAN);
                continue;
            };
            sleep_ms(settle_ms);
            let t0 = now_ns();
            p.signal(libc::SIGTERM);
            let st = p.wait(30_000);
            let t1 = now_ns();
            let text = st
                .map(exit_text)
                .unwrap_or_else(|| "no exit in 30 s".into());
            *statuses
                .entry(k.name.clone())
                .or_default()
                .entry(text)
                .or_default() += 1;
            stop.entry(k.name.clone()).or_default().push(match st {
                Some(_) => (t1 - t0) as f64 / 1e6,
                None => f64::NAN,
            });
        }
    }
    c.record_raw("several_stop_ms", &stop);
    let base = stop.get("tend").cloned().unwrap_or_default();
    let mut s = String::from(
        "| supervisor | SIGTERM → PID 1 exited, 4 programs (ms), median (p10–p90) | × tend (90 % CI) | PID 1's exit |\n|---|--:|--:|---|\n",
    );
    for k in &sups {
        let Some(v) = stop.get(&k.name) else { continue };
        let ratio = median(v) / median(&base);
        let ci = bootstrap(v.len().min(base.len()), |idx| {
            median(&pick(v, idx)) / median(&pick(&base, idx))
        });
        let st: Vec<String> = statuses
            .get(&k.name)
            .map(|m| m.iter().map(|(k, n)| format!("{k} ×{n}")).collect())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} | {} | {ratio:.2} ({:.2}–{:.2}) | {} |",
            k.name,
            spread(v, 1),
            ci.0,
            ci.1,
            st.join(", ")
        );
    }
    // supervisord's files of this figure: only ours, and nothing reads them now.
    let _ = fs::remove_dir_all(&files);

    let how: Vec<String> = sups
        .iter()
        .map(|k| match k.kind {
            Kind::Tend => format!("{}: `{} --also 'PROGRAM' ×3 -- PROGRAM` (one program: `{} -- PROGRAM`)", k.name, k.name, k.name),
            Kind::SupervisordGroup => "supervisord, one [group]: the same, with the programs in one `[group:all]`, since supervisord stops its groups one after another (in the stop table only: idle, it is the same)".to_string(),
            Kind::Supervisord => format!(
                "supervisord {}: `supervisord -n -c FILE`, FILE with one `[program:pN]` per program, in the foreground with its log and the programs' output on stdout (`logfile=/dev/null`, `stdout_logfile=/dev/stdout`, `stdout_logfile_maxbytes=0`, `redirect_stderr=true`), everything else at its default",
                sh(&format!("{} --version", k.path.display()))
            ),
            Kind::Multirun => format!(
                "multirun {}: `multirun PROGRAM ×4`, which runs each through `/bin/sh -c \"exec PROGRAM\"`",
                sh(&format!("{} -h | sed -n 's/^Version: //p'", k.path.display()))
            ),
        })
        .collect();
    c.md += "## 10. Several programs\n\n";
    if let Some(alone) = &c.alone {
        c.md += alone;
        c.md += "\n\n";
    }
    c.md += &format!(
        "PROGRAM is `bench-child pause` (a child asleep in pause(2), SIGTERM at its default action), the same for every supervisor: {}. Each supervisor is PID 1 of its own namespace, as in the other figures.\n\n\
         **Idle:** every supervisor with 1 and with 4 programs, all side by side, {reps} time(s). \"Its processes\" are those of the namespace that are not PROGRAM (the supervisor's own helpers, if any); their VmRSS is summed, read after 0.3 s; context switches are voluntary + nonvoluntary of those processes over {secs} s; × tend compares the sums at the same number of programs.\n\n",
        how.join("; ")
    );
    c.md += &t;
    c.md += &format!(
        "\n**Stop:** 4 programs, {settle_ms} ms after the 4th `ready` (supervisord's programs are RUNNING after its default `startsecs=1`), SIGTERM to PID 1, timed until PID 1 has exited (pidfd readable; each waits for its programs first); {rounds} rounds, round-robin.\n\n"
    );
    c.md += &s;
    c.md += "\n";
    for name in TENDS {
        if let Some(w) = wake.get(&(name.to_string(), 4)) {
            let worst = quantile(w, 1.0);
            c.target(
                &format!("0 context switches in {secs} s idle, 4 programs ({name})"),
                format!("max {worst:.0}"),
                Verdict::of(worst == 0.0),
            );
        }
    }
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// This machine, in one phrase: CPUs, memory, kernel, distribution.
fn machine() -> String {
    format!(
        "{nproc} CPUs ({cpu}), {mem} RAM, Linux {kernel}, {os}",
        nproc = sh("nproc"),
        cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'"),
        mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo"),
        kernel = sh("uname -r"),
        os = sh(". /etc/os-release && echo $PRETTY_NAME"),
    )
}

/// The commit measured, and whether tend's sources differ from it.
fn commit() -> String {
    let commit = sh("git rev-parse --short HEAD 2>/dev/null");
    let dirty =
        if sh("git status --porcelain -- src build.rs Cargo.toml Cargo.lock release 2>/dev/null")
            .is_empty()
        {
            ""
        } else {
            " (+ uncommitted changes)"
        };
    format!("{commit}{dirty}")
}

fn header(c: &Ctx, started: &str, took: f64) -> String {
    let versions = sh(
        "dpkg-query -W -f='${Package} ${Version}, ' tini dumb-init catatonit curl wget busybox-static supervisor 2>/dev/null | sed 's/, $//'",
    );
    format!(
        "# tend benchmark results\n\n\
         - **Date:** {started} (took {took:.0} s){quick}\n\
         - **Command:** `{cmd}`\n\
         - **Machine:** {machine}\n\
         - **tend:** commit {commit}; peers: {versions}\n\
         - **Method:** each init is PID 1 of a fresh PID namespace (clone(CLONE_NEWPID) from the driver), inside the cpu cgroup `{cg}`. Figures are taken round-robin over the contenders; medians with the p10–p90 spread; ratios against {BASE}. \"× {BASE} (90 % CI)\" is a bootstrap interval over rounds; a target of ≤ 1.0× counts as met within noise when that interval reaches 1.0.\n\n",
        quick = if c.o.quick { " — **--quick run: few iterations, for smoke tests only**" } else { "" },
        cmd = c.o.command,
        machine = machine(),
        commit = commit(),
        cg = c.o.cgroup,
    )
}

fn main() {
    let o = parse_opts();
    fs::create_dir_all(&o.out).unwrap_or_else(|e| die(&format!("{}: {e}", o.out.display())));
    let started = sh("date -u '+%Y-%m-%d %H:%M UTC'");
    let t_start = now_ns();
    let errlog = o.out.join("inits.stderr");
    let f =
        fs::File::create(&errlog).unwrap_or_else(|e| die(&format!("{}: {e}", errlog.display())));
    let stderr_fd = std::os::fd::IntoRawFd::into_raw_fd(f);

    let mut inits = vec![Contender {
        name: "tend".into(),
        path: o.tend.clone(),
        prefix: vec![],
    }];
    if let Some(sm) = &o.tend_small {
        inits.push(Contender {
            name: "tend-small".into(),
            path: sm.clone(),
            prefix: vec![],
        });
    }
    for (name, path) in [
        (BASE, BASE_PATH),
        ("tini", "/usr/bin/tini"),
        ("dumb-init", "/usr/bin/dumb-init"),
        ("catatonit", "/usr/bin/catatonit"),
    ] {
        if Path::new(path).is_file() {
            inits.push(Contender {
                name: name.into(),
                path: path.into(),
                prefix: vec![],
            });
        } else if name == BASE {
            die("/usr/bin/tini-static is missing: it is the baseline");
        } else {
            note(&format!("{path} missing: skipped"));
        }
    }
    for (name, path) in &o.extra {
        inits.push(Contender {
            name: name.clone(),
            path: path.clone(),
            prefix: vec![],
        });
    }
    for k in inits.iter_mut() {
        k.prefix = vec![k.path.display().to_string(), "--".into()];
    }

    if !o.inits.is_empty() {
        inits.retain(|k| k.name == BASE || o.inits.contains(&k.name));
    }
    let mut c = Ctx {
        o,
        inits,
        stderr_fd,
        md: String::new(),
        raw: String::new(),
        targets: vec![],
        alone: None,
    };
    if !c.o.only.is_empty() {
        c.alone = Some(format!(
            "*Measured on its own, apart from the run above: {started}, tend at commit {}, on {}, with `{}`.*",
            commit(),
            machine(),
            c.o.command
        ));
    }
    type Figure = (u32, fn(&mut Ctx));
    let figures: [Figure; 9] = [
        (1, sizes),
        (2, idle),
        (4, startup),
        (5, signals),
        (6, reaping),
        (7, shutdown),
        (8, probes),
        (9, health),
        (10, several),
    ];
    for (n, figure) in figures {
        let wanted =
            c.o.only.is_empty() || c.o.only.contains(&n) || (n == 2 && c.o.only.contains(&3));
        if wanted {
            figure(&mut c);
        }
    }

    let took = (now_ns() - t_start) as f64 / 1e9;
    let mut doc = header(&c, &started, took);
    doc += "## Targets\n\n| target | measured | verdict |\n|---|---|---|\n";
    for (what, measured, verdict) in &c.targets {
        let _ = writeln!(doc, "| {what} | {measured} | {verdict} |");
    }
    doc += "\n";
    doc += &c.md;
    doc += "Raw samples of this run: `bench/out/samples.tsv` (not committed); the inits' stderr: `bench/out/inits.stderr`.\n";
    let md_path = c.o.out.join("RESULTS.md");
    fs::write(&md_path, &doc).unwrap_or_else(|e| die(&format!("{}: {e}", md_path.display())));
    let _ = fs::write(c.o.out.join("samples.tsv"), &c.raw);
    note(&format!("done in {took:.0} s: {}", md_path.display()));
}
