//! End to end: tend as the ENTRYPOINT of a real image, under podman + runc.
//!
//! The image is a `FROM scratch` twin of the runtime stage of
//! Dockerfile.example: the same COPY destinations, USER, EXPOSE, HEALTHCHECK,
//! ENTRYPOINT and CMD, read from that file, so the example and what is tested
//! cannot drift apart. Only the base differs (no registry is reachable here),
//! and /etc/passwd and /etc/group stand in for the ones distroless brings.
//!
//! Every podman command gets CONTAINERS_CONF=tests/container/containers.conf,
//! never the machine's own configuration. Each test has its own image and
//! container names, and removes them when its handles drop. Tests that need
//! podman skip without it, and fail loudly under CI.
#![allow(clippy::zombie_processes)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{HANG, field, musl_release};
use serde_json::Value;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
/// The app's uid and gid in the image: distroless's `nonroot`.
const NONROOT: u32 = 65532;
/// `podman stop -t STOP_TIMEOUT`, in seconds.
const STOP_TIMEOUT: u64 = 10;

// ---------------------------------------------------------------------------
// Dockerfile.example, parsed

#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
}

/// Instructions with their continuation lines joined; comments dropped.
fn parse_dockerfile(text: &str) -> Vec<Instruction> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        // Docker drops comment lines, even in the middle of a continuation.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let (keyword, args) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        instructions.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_string(),
        });
        current.clear();
    }
    instructions
}

fn dockerfile() -> Vec<Instruction> {
    let path = Path::new(MANIFEST_DIR).join("Dockerfile.example");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    parse_dockerfile(&text)
}

/// The instructions of each stage, FROM first.
fn stages(instructions: &[Instruction]) -> Vec<Vec<Instruction>> {
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for instruction in instructions {
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(instruction.clone());
        }
    }
    stages
}

fn runtime_stage() -> Vec<Instruction> {
    stages(&dockerfile())
        .pop()
        .expect("Dockerfile.example has a FROM")
}

/// The args of the one `keyword` instruction of the runtime stage.
fn runtime_args(keyword: &str) -> String {
    let found: Vec<_> = runtime_stage()
        .into_iter()
        .filter(|i| i.keyword == keyword)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the runtime stage should have exactly one {keyword}: {found:?}"
    );
    found[0].args.clone()
}

/// An exec-form array: `["a", "b"]`.
fn exec_form(what: &str, text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what} is not in exec form ({e}): {text}"));
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| panic!("{what} is not a JSON array of strings: {text}"))
}

fn entrypoint() -> Vec<String> {
    exec_form("ENTRYPOINT", &runtime_args("ENTRYPOINT"))
}

fn cmd() -> Vec<String> {
    exec_form("CMD", &runtime_args("CMD"))
}

/// The HEALTHCHECK's command, after its `--options` and `CMD`.
fn healthcheck() -> Vec<String> {
    let args = runtime_args("HEALTHCHECK");
    let (options, command) = args
        .split_once("CMD")
        .unwrap_or_else(|| panic!("HEALTHCHECK without CMD: {args}"));
    assert!(
        options.split_whitespace().all(|o| o.starts_with("--")),
        "HEALTHCHECK options: {options}"
    );
    exec_form("HEALTHCHECK CMD", command.trim())
}

/// The URL that the HEALTHCHECK probes, and the same server's `path`.
fn app_url(path: &str) -> String {
    let check = healthcheck();
    let url = check.last().expect("HEALTHCHECK has a URL");
    let (base, _) = url
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("HEALTHCHECK URL has no path: {url}"));
    format!("{base}{path}")
}

/// `(source in the builder, destination in the image)` of each COPY --from.
fn copied_files() -> Vec<(String, String)> {
    runtime_stage()
        .iter()
        .filter(|i| i.keyword == "COPY")
        .map(copy_args)
        .collect()
}

fn copy_args(copy: &Instruction) -> (String, String) {
    let words: Vec<&str> = copy.args.split_whitespace().collect();
    match words.as_slice() {
        [from, src, dst] if from.starts_with("--from=") => (src.to_string(), dst.to_string()),
        _ => panic!(
            "the runtime stage should only COPY --from=STAGE SRC DST: COPY {}",
            copy.args
        ),
    }
}

/// Where the musl release build put what a COPY source names
/// (`.../target/x86_64-unknown-linux-musl/release/examples/app`).
fn release_path(source: &str) -> PathBuf {
    let (_, built) = source
        .split_once("/release/")
        .unwrap_or_else(|| panic!("COPY source is not a release binary: {source}"));
    musl_release().join(built)
}

fn read_binary(source: &str) -> Vec<u8> {
    let path = release_path(source);
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// podman

fn conf() -> PathBuf {
    Path::new(MANIFEST_DIR).join("tests/container/containers.conf")
}

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .env("CONTAINERS_CONF", conf())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run podman")
}

/// podman ARGS, which must succeed; its stdout.
fn podman_ok(args: &[&str]) -> String {
    let out = podman(args);
    assert!(
        out.status.success(),
        "podman {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True when the test may go on: root, podman and runc. Skips elsewhere,
/// fails loudly under CI, where a skip would hide a broken set-up.
fn have_podman(test: &str) -> bool {
    if !common::have_root(test) {
        return false;
    }
    let works = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works("podman") && works("runc") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs podman and runc, and CI is set: .ci/setup installs them"
    );
    eprintln!("skipping {test}: needs podman and runc (apt-get install -y podman runc)");
    false
}

/// `tend-e2e-<pid>-<what>`: unique per test process and per test.
fn unique(what: &str) -> String {
    format!("tend-e2e-{}-{}", std::process::id(), what.replace('_', "-"))
}

/// A built image, removed with its build context on drop.
struct Image {
    name: String,
    context: PathBuf,
}

impl Image {
    /// Build `containerfile` in a fresh context holding `files` (name, bytes, mode).
    fn build(name: String, containerfile: &str, files: &[(String, Vec<u8>, u32)]) -> Image {
        let context = std::env::temp_dir().join(&name);
        let _ = fs::remove_dir_all(&context); // a leftover of an earlier run, if any
        fs::create_dir_all(&context).expect("create the build context");
        let image = Image { name, context };
        for (file, bytes, mode) in files {
            let path = image.context.join(file);
            fs::write(&path, bytes).expect("fill the build context");
            // COPY keeps the mode: binaries must be executable, and nothing writable.
            fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).expect("chmod");
        }
        fs::write(image.context.join("Containerfile"), containerfile)
            .expect("write the Containerfile");
        let context = image.context.to_string_lossy().into_owned();
        // --format docker keeps HEALTHCHECK; --layers=false leaves no intermediate images.
        podman_ok(&[
            "build",
            "--format",
            "docker",
            "--layers=false",
            "-t",
            &image.name,
            &context,
        ]);
        image
    }

    /// The scratch twin of Dockerfile.example's runtime stage.
    fn twin(test: &str) -> Image {
        let mut files = vec![
            ("passwd".to_string(), PASSWD.as_bytes().to_vec(), 0o644),
            ("group".to_string(), GROUP.as_bytes().to_vec(), 0o644),
        ];
        let mut lines = Vec::new();
        for instruction in runtime_stage() {
            match instruction.keyword.as_str() {
                // distroless brings /etc/passwd and /etc/group with nonroot; scratch does not.
                "FROM" => lines.extend(
                    [
                        "FROM scratch",
                        "COPY passwd /etc/passwd",
                        "COPY group /etc/group",
                    ]
                    .map(String::from),
                ),
                "COPY" => {
                    let (source, destination) = copy_args(&instruction);
                    let file = format!("file{}", files.len());
                    files.push((file.clone(), read_binary(&source), 0o755));
                    lines.push(format!("COPY {file} {destination}"));
                }
                "LABEL" | "USER" | "EXPOSE" | "HEALTHCHECK" | "ENTRYPOINT" | "CMD" => {
                    lines.push(format!("{} {}", instruction.keyword, instruction.args));
                }
                other => {
                    panic!("the runtime stage has {other}, which the scratch twin cannot reproduce")
                }
            }
        }
        Image::build(unique(test), &(lines.join("\n") + "\n"), &files)
    }

    /// The control: stubborn as PID 1, no tend, and so no signal handling.
    fn control(test: &str) -> Image {
        let stubborn =
            fs::read(musl_release().join("examples/stubborn")).expect("read the stubborn example");
        Image::build(
            unique(test),
            "FROM scratch\nCOPY stubborn /stubborn\nCMD [\"/stubborn\"]\n",
            &[("stubborn".to_string(), stubborn, 0o755)],
        )
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // Best effort: a leftover image is untidy, not wrong.
        let _ = podman(&["rmi", "-f", &self.name]);
        let _ = fs::remove_dir_all(&self.context);
    }
}

/// distroless's entries for root, nobody and nonroot.
const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";

/// A running (or stopped) container, removed on drop.
struct Container {
    name: String,
}

impl Container {
    /// `podman run -d --network none OPTIONS IMAGE ARGS`. No network but
    /// loopback: the probes run inside, and parallel tests never share a port.
    fn run(name: String, image: &Image, options: &[&str], args: &[&str]) -> Container {
        let mut argv = vec!["run", "-d", "--name", &name, "--network", "none"];
        argv.extend_from_slice(options);
        argv.push(&image.name);
        argv.extend_from_slice(args);
        let container = Container { name: name.clone() };
        podman_ok(&argv);
        container
    }

    fn inspect(&self, format: &str) -> String {
        podman_ok(&["inspect", "--format", format, &self.name])
            .trim()
            .to_string()
    }

    /// The host pid of the container's PID 1.
    fn pid1(&self) -> i32 {
        let pid = self.inspect("{{.State.Pid}}");
        pid.parse()
            .unwrap_or_else(|_| panic!("State.Pid of {}: {pid:?}", self.name))
    }

    /// (stdout, stderr) of `podman logs`: the app writes to stdout, tend to stderr.
    fn logs(&self) -> (String, String) {
        let out = podman(&["logs", &self.name]);
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Wait until the app's stdout has `count` lines containing `needle`.
    fn wait_for_log(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + HANG;
        loop {
            let (stdout, stderr) = self.logs();
            if stdout.lines().filter(|l| l.contains(needle)).count() >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no {count} lines with {needle:?} within {HANG:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                self.name
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn exec(&self, args: &[&str]) -> Output {
        let mut argv = vec!["exec", &self.name];
        argv.extend_from_slice(args);
        podman(&argv)
    }

    /// `podman healthcheck run`: true for healthy, false for unhealthy.
    fn healthy(&self) -> bool {
        let out = podman(&["healthcheck", "run", &self.name]);
        match out.status.code() {
            Some(0) => true,
            Some(1) => false,
            _ => panic!(
                "podman healthcheck run {} failed: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + HANG;
        while !self.healthy() {
            assert!(
                Instant::now() < deadline,
                "{} not healthy within {HANG:?}; logs {:?}",
                self.name,
                self.logs()
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// `podman stop -t STOP_TIMEOUT`; how long it took, and the exit code.
    fn stop(&self) -> (Duration, i32) {
        let started = Instant::now();
        podman_ok(&["stop", "-t", &STOP_TIMEOUT.to_string(), &self.name]);
        let took = started.elapsed();
        let code = self.inspect("{{.State.ExitCode}}");
        (
            took,
            code.parse()
                .unwrap_or_else(|_| panic!("ExitCode of {}: {code:?}", self.name)),
        )
    }

    /// `podman top NAME pid user args`: (pid, user, args) of each process.
    fn top(&self) -> Vec<(i32, String, String)> {
        podman_ok(&["top", &self.name, "pid", "user", "args"])
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let pid = words.next()?.parse().ok()?;
                let user = words.next()?.to_string();
                Some((pid, user, words.collect::<Vec<_>>().join(" ")))
            })
            .collect()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // Best effort: -t 0 kills at once; there is nothing left to test.
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]);
    }
}

// ---------------------------------------------------------------------------
// The processes of a container, from the host's /proc

#[derive(Debug)]
struct Proc {
    host_pid: i32,
    /// The pid inside the container.
    pid: i32,
    name: String,
    state: char,
    status: String,
}

/// Every process in the PID namespace of the container whose PID 1 has host
/// pid `pid1`, exec'd ones included: they are not all descendants of PID 1.
fn processes(pid1: i32) -> Vec<Proc> {
    let Ok(namespace) = fs::read_link(format!("/proc/{pid1}/ns/pid")) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|ns| ns == namespace))
        .filter_map(|host_pid| {
            let status = fs::read_to_string(format!("/proc/{host_pid}/status")).ok()?;
            Some(Proc {
                host_pid,
                pid: field(&status, "NSpid")?
                    .split_whitespace()
                    .last()?
                    .parse()
                    .ok()?,
                name: field(&status, "Name")?.to_string(),
                state: field(&status, "State")?.chars().next()?,
                status,
            })
        })
        .collect()
}

/// Zombies that stay zombies: seen in two looks `gap` apart. tend reaps in
/// microseconds, so a zombie caught between exit and reap is gone by the second.
fn lasting_zombies(pid1: i32, gap: Duration) -> Vec<i32> {
    let zombies = |procs: Vec<Proc>| -> BTreeSet<i32> {
        procs
            .into_iter()
            .filter(|p| p.state == 'Z')
            .map(|p| p.host_pid)
            .collect()
    };
    let first = zombies(processes(pid1));
    thread::sleep(gap);
    let second = zombies(processes(pid1));
    first.intersection(&second).copied().collect()
}

/// The numbers of a /proc status line such as `Uid:`.
fn ids(status: &str, key: &str) -> Vec<u32> {
    field(status, key)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect()
}

fn app_process(pid1: i32) -> Proc {
    common::wait_for("the app inside the container", || {
        processes(pid1).into_iter().find(|p| p.name == "app")
    })
}

// ---------------------------------------------------------------------------
// The checklist, on Dockerfile.example itself (no podman needed)

#[test]
fn dockerfile_follows_the_production_checklist() {
    let all = dockerfile();
    let stages = stages(&all);
    assert_eq!(stages.len(), 2, "a builder stage and a runtime stage");
    let (builder, runtime) = (&stages[0], &stages[1]);

    // 1. A pinned Rust builder with the musl target; dependencies cached apart from the sources.
    let base = &builder[0].args;
    assert!(
        base.contains("rust:")
            && base
                .split(':')
                .nth(1)
                .is_some_and(|tag| tag.starts_with(|c: char| c.is_ascii_digit())
                    && tag.matches('.').count() >= 2),
        "builder not pinned to a full Rust version: {base}"
    );
    let position = |what: &dyn Fn(&Instruction) -> bool| builder.iter().position(what);
    let manifests = position(&|i| {
        i.keyword == "COPY" && i.args.contains("Cargo.toml") && i.args.contains("Cargo.lock")
    });
    let deps_build = position(&|i| i.keyword == "RUN" && i.args.contains("cargo build"));
    let sources = position(&|i| i.keyword == "COPY" && i.args.trim() == ". .");
    assert!(
        matches!((manifests, deps_build, sources), (Some(m), Some(d), Some(s)) if m < d && d < s),
        "COPY Cargo.toml Cargo.lock, then a cargo build, then COPY . .: {builder:?}"
    );
    assert!(
        builder
            .iter()
            .any(|i| i.args.contains("x86_64-unknown-linux-musl")),
        "the musl target"
    );
    assert!(
        builder
            .iter()
            .filter(|i| i.args.contains("cargo build"))
            .all(|i| i.args.contains("--locked")),
        "cargo build --locked"
    );

    // 2. A pinned distroless static :nonroot base (or scratch), holding only tend and the app.
    let base = &runtime[0].args;
    assert!(
        base == "scratch"
            || (base.contains("distroless/static-debian") && base.contains(":nonroot")),
        "runtime base: {base}"
    );
    let destinations: BTreeSet<String> = copied_files().into_iter().map(|(_, dst)| dst).collect();
    assert_eq!(
        destinations,
        BTreeSet::from(["/tend".to_string(), "/app".to_string()])
    );

    // 3. A numeric non-root USER, with a comment that explains the choice.
    let user = runtime_args("USER");
    let uid = user.split(':').next().and_then(|u| u.parse::<u32>().ok());
    assert!(
        uid.is_some_and(|u| u != 0),
        "USER should be a numeric non-root uid: {user}"
    );
    let text = fs::read_to_string(Path::new(MANIFEST_DIR).join("Dockerfile.example"))
        .expect("read Dockerfile.example");
    assert!(
        text.contains("--user"),
        "the USER comment should say when to use tend --user instead"
    );

    // 4. ENTRYPOINT ["/tend", "--"] and CMD in exec form.
    assert_eq!(entrypoint(), ["/tend", "--"]);
    assert!(!cmd().is_empty(), "CMD in exec form");

    // 5. HEALTHCHECK with tend's probe against the EXPOSEd port.
    let check = healthcheck();
    let port = runtime_args("EXPOSE");
    assert_eq!(check[..2], ["/tend", "--probe"]);
    assert_eq!(
        check.last().map(String::as_str),
        Some(format!("http://127.0.0.1:{port}/health").as_str())
    );

    // 6. LABELs for version and source; no shell, no secrets.
    let labels = runtime_args("LABEL");
    for key in [
        "org.opencontainers.image.version",
        "org.opencontainers.image.source",
    ] {
        assert!(labels.contains(key), "LABEL {key}");
    }
    for i in runtime {
        assert!(
            !matches!(i.keyword.as_str(), "RUN" | "ADD" | "SHELL"),
            "the runtime stage runs nothing: {i:?}"
        );
    }
    for i in all
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "ARG" | "ENV"))
    {
        let upper = i.args.to_ascii_uppercase();
        assert!(
            !["SECRET", "TOKEN", "PASSWORD", "KEY"]
                .iter()
                .any(|w| upper.contains(w)),
            "a secret in {i:?}"
        );
    }

    // .dockerignore: deny everything, then let the sources in.
    let ignore = fs::read_to_string(Path::new(MANIFEST_DIR).join(".dockerignore"))
        .expect("read .dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        patterns.first(),
        Some(&"*"),
        ".dockerignore should start by excluding everything"
    );
    for p in &patterns[1..] {
        assert!(
            p.starts_with('!') && ![".git", "target", ".env"].iter().any(|bad| p.contains(bad)),
            "{p} in .dockerignore"
        );
    }
}

// ---------------------------------------------------------------------------
// In real containers

/// 1. PID 1 is tend, the app its child, running as nonroot.
#[test]
fn tend_is_pid1_and_the_app_runs_as_nonroot() {
    let test = "tend_is_pid1_and_the_app_runs_as_nonroot";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let container = Container::run(unique(test), &image, &[], &[]);
    container.wait_for_log("\"listening\"", 1);

    let top = container.top();
    let pid1 = top
        .iter()
        .find(|(pid, _, _)| *pid == 1)
        .unwrap_or_else(|| panic!("no PID 1 in {top:?}"));
    let expected: Vec<String> = entrypoint().into_iter().chain(cmd()).collect();
    assert_eq!(
        pid1.2,
        expected.join(" "),
        "PID 1 runs the image's ENTRYPOINT + CMD: {top:?}"
    );
    let app = top
        .iter()
        .find(|(_, _, args)| *args == cmd().join(" "))
        .unwrap_or_else(|| panic!("no app in {top:?}"));
    assert_eq!(app.1, "nonroot", "{top:?}");

    let host_pid1 = container.pid1();
    let procs = processes(host_pid1);
    let tend = procs
        .iter()
        .find(|p| p.host_pid == host_pid1)
        .expect("PID 1 in /proc");
    assert_eq!((tend.pid, tend.name.as_str()), (1, "tend"));
    let app = app_process(host_pid1);
    assert_eq!(
        field(&app.status, "PPid"),
        Some(host_pid1.to_string().as_str()),
        "the app is tend's child (host pids in the host's /proc)"
    );
    assert_eq!(ids(&app.status, "Uid"), [NONROOT; 4]);
    assert_eq!(ids(&app.status, "Gid"), [NONROOT; 4]);
    assert_eq!(field(&app.status, "CapEff"), Some("0000000000000000"));
}

/// 2. `podman stop` is quick and graceful with tend; without it, a program
///    that leaves SIGTERM alone waits out the whole timeout as PID 1.
#[test]
fn stop_is_quick_and_graceful_with_tend_and_slow_without() {
    let test = "stop_is_quick_and_graceful_with_tend_and_slow_without";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let control_image = Image::control(&format!("{test}_control"));
    let tended = Container::run(unique(test), &image, &[], &[]);
    let control = Container::run(unique(&format!("{test}_control")), &control_image, &[], &[]);
    tended.wait_for_log("\"listening\"", 1);
    control.wait_for_log("running", 1);

    // Both at once: the control takes the full timeout, and this test need not wait twice.
    let ((tend_took, tend_code), (control_took, control_code)) = thread::scope(|s| {
        let control = s.spawn(|| control.stop());
        let tended = tended.stop();
        (tended, control.join().expect("stop the control"))
    });
    println!(
        "podman stop -t {STOP_TIMEOUT}: with tend {tend_took:.2?} (exit {tend_code}); control without tend {control_took:.2?} (exit {control_code})"
    );

    let (stdout, _) = tended.logs();
    assert!(
        tend_took < Duration::from_secs(2),
        "with tend, stop took {tend_took:?}"
    );
    assert_eq!(
        tend_code, 0,
        "the app's graceful exit code; app logs:\n{stdout}"
    );
    assert!(
        stdout.contains("\"stop requested\"") && stdout.contains("\"stopped\""),
        "the app stopped gracefully:\n{stdout}"
    );
    assert!(
        control_took >= Duration::from_secs(STOP_TIMEOUT) - Duration::from_millis(500),
        "control stop took {control_took:?}"
    );
    assert_eq!(
        control_code, 137,
        "the control is SIGKILLed after the timeout"
    );
}

/// 2b. A stop lets the request in flight finish before the app exits 0.
#[test]
fn stop_lets_requests_in_flight_finish() {
    let test = "stop_lets_requests_in_flight_finish";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let container = Container::run(unique(test), &image, &[], &[]);
    container.wait_for_log("\"listening\"", 1);
    // /slow takes 2 s; tend's probe is the only HTTP client in the image.
    let url = app_url("/slow");
    podman_ok(&["exec", "-d", &container.name, "/tend", "--probe", &url]);
    container.wait_for_log("\"slow request started\"", 1);
    let (took, code) = container.stop();

    let (stdout, _) = container.logs();
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let position = |wanted: &dyn Fn(&Value) -> bool| lines.iter().position(wanted);
    let draining = position(&|l| l["msg"] == "stopping: finishing requests in flight");
    let slow_done = position(&|l| l["path"] == "/slow" && l["status"] == 200);
    let stopped = position(&|l| l["msg"] == "stopped");
    assert!(
        draining.is_some_and(|d| lines[d]["in_flight"] == 1),
        "one request in flight at the stop:\n{stdout}"
    );
    assert!(
        matches!((draining, slow_done, stopped), (Some(d), Some(s), Some(e)) if d < s && s < e),
        "the request finished before the app stopped:\n{stdout}"
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(
        took < Duration::from_secs(STOP_TIMEOUT),
        "stop took {took:?}"
    );
}

/// 3. The image's HEALTHCHECK (tend --probe, no curl, no shell) follows /health.
#[test]
fn healthcheck_follows_the_apps_health() {
    let test = "healthcheck_follows_the_apps_health";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let config: Value = serde_json::from_str(&podman_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .HealthCheck}}",
        &image.name,
    ]))
    .expect("HealthCheck as JSON");
    let expected: Vec<Value> = std::iter::once("CMD".to_string())
        .chain(healthcheck())
        .map(Value::from)
        .collect();
    assert_eq!(
        config["Test"],
        Value::from(expected),
        "the image keeps the HEALTHCHECK (--format docker)"
    );

    let container = Container::run(unique(test), &image, &[], &[]);
    container.wait_for_log("\"listening\"", 1);
    assert!(!container.healthy(), "unhealthy during the app's warm-up");
    container.wait_until_healthy();

    // No curl and no shell in the image: tend --probe flips the app's health too.
    let flip = || {
        let out = container.exec(&["/tend", "--probe", &app_url("/toggle")]);
        assert!(out.status.success(), "flip via /toggle: {out:?}");
    };
    flip();
    assert!(!container.healthy(), "unhealthy after /toggle");
    flip();
    assert!(container.healthy(), "healthy again after a second /toggle");
    let shell = container.exec(&["/bin/sh", "-c", "true"]);
    assert!(!shell.status.success(), "there is no shell in the image");
}

/// 4. Orphans, the app's and those of processes exec'd into the container
///    (health probes among them: moby/moby#47583), are reaped. The control,
///    the app as PID 1 without tend, keeps them as zombies.
#[test]
fn orphans_are_reaped_and_not_without_tend() {
    let test = "orphans_are_reaped_and_not_without_tend";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let fast = ["-e", "ORPHAN_EVERY=0.2", "-e", "WARMUP=0"];
    let container = Container::run(unique(test), &image, &fast, &[]);
    let mut bare_options = fast.to_vec();
    bare_options.extend(["--entrypoint", "[\"/app\"]"]);
    let bare = Container::run(unique(&format!("{test}_bare")), &image, &bare_options, &[]);
    container.wait_for_log("\"left an orphan\"", 5);
    bare.wait_for_log("\"left an orphan\"", 5);

    // An exec'd process that forks and exits, as a probe script would: its
    // orphan is re-parented to the container's PID 1, not to podman.
    for _ in 0..3 {
        let out = container.exec(&["/app", "orphan-maker"]);
        assert!(out.status.success(), "exec orphan-maker: {out:?}");
        // The probe itself; healthy or not does not matter here.
        let _ = container.healthy();
    }
    thread::sleep(Duration::from_millis(400)); // the orphans live 200 ms

    let host_pid1 = container.pid1();
    let left = lasting_zombies(host_pid1, Duration::from_millis(300));
    assert!(
        left.is_empty(),
        "zombies under tend: {:?}",
        processes(host_pid1)
    );
    let bare_left = lasting_zombies(bare.pid1(), Duration::from_millis(300));
    println!(
        "zombies after 5+ orphans: under tend {}, app as PID 1 without tend {}",
        left.len(),
        bare_left.len()
    );
    assert!(
        bare_left.len() >= 5,
        "without tend the orphans should stay zombies: {:?}",
        processes(bare.pid1())
    );
}

/// 5. With -v, `podman logs` shows tend's events as JSON lines.
#[test]
fn logs_show_tends_json_events() {
    let test = "logs_show_tends_json_events";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    // The image's own ENTRYPOINT, with -v after the program name.
    let mut verbose = entrypoint();
    verbose.insert(1, "-v".to_string());
    let verbose = serde_json::to_string(&verbose).expect("entrypoint as JSON");
    let args = cmd();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let container = Container::run(unique(test), &image, &["--entrypoint", &verbose], &args);
    container.wait_for_log("\"listening\"", 1);
    let (_, code) = container.stop();
    assert_eq!(code, 0);

    let (stdout, stderr) = container.logs();
    let events: Vec<Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("not a JSON line ({e}): {line}\nall of stderr:\n{stderr}")
            })
        })
        .collect();
    let messages: Vec<&str> = events.iter().filter_map(|e| e["msg"].as_str()).collect();
    for wanted in [
        "child started",
        "forwarded signal",
        "child exited",
        "tend exiting",
    ] {
        assert!(
            messages.contains(&wanted),
            "no {wanted:?} event in {messages:?}"
        );
    }
    for event in &events {
        assert!(
            event["ts"].is_string() && event["level"].is_string(),
            "{event}"
        );
    }
    let exiting = events
        .iter()
        .find(|e| e["msg"] == "tend exiting")
        .expect("tend exiting");
    assert_eq!(exiting["exit_code"], 0);
    // stdout is the app's alone, JSON too.
    for line in stdout.lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "the app's stdout: {line}"
        );
    }
}

/// 6. `--read-only` and `--cap-drop=ALL`, with the image's non-root USER.
#[test]
fn runs_read_only_with_no_capabilities() {
    let test = "runs_read_only_with_no_capabilities";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let options = [
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt",
        "no-new-privileges",
        "-e",
        "WARMUP=0",
        "-e",
        "ORPHAN_EVERY=0.5",
    ];
    let container = Container::run(unique(test), &image, &options, &[]);
    container.wait_for_log("\"left an orphan\"", 1);
    container.wait_until_healthy();

    let host_pid1 = container.pid1();
    for process in [
        processes(host_pid1)
            .into_iter()
            .find(|p| p.pid == 1)
            .expect("PID 1"),
        app_process(host_pid1),
    ] {
        for key in ["CapEff", "CapPrm", "CapBnd"] {
            assert_eq!(
                field(&process.status, key),
                Some("0000000000000000"),
                "{key} of {}",
                process.name
            );
        }
        assert_eq!(
            field(&process.status, "NoNewPrivs"),
            Some("1"),
            "{}",
            process.name
        );
        assert_eq!(
            ids(&process.status, "Uid"),
            [NONROOT; 4],
            "{}",
            process.name
        );
    }
    let (took, code) = container.stop();
    assert!(
        took < Duration::from_secs(2) && code == 0,
        "stop took {took:?}, exit {code}"
    );
}

/// 7. `--user` inside the image: start as root, and tend drops to nonroot
///    before the app starts, both as a flag and as TEND_USER.
#[test]
fn tend_user_drops_from_root_to_nonroot() {
    let test = "tend_user_drops_from_root_to_nonroot";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let mut with_flag = entrypoint();
    with_flag.splice(1..1, ["--user".to_string(), "nonroot".to_string()]);
    let with_flag = serde_json::to_string(&with_flag).expect("entrypoint as JSON");
    let args = cmd();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let by_flag = Container::run(
        unique(test),
        &image,
        &["--user", "0:0", "--entrypoint", &with_flag],
        &args,
    );
    let by_env = Container::run(
        unique(&format!("{test}_env")),
        &image,
        &["--user", "0:0", "-e", "TEND_USER=nonroot"],
        &[],
    );

    for container in [&by_flag, &by_env] {
        container.wait_for_log("\"listening\"", 1);
        let host_pid1 = container.pid1();
        let app = app_process(host_pid1);
        assert_eq!(
            ids(&app.status, "Uid"),
            [NONROOT; 4],
            "{}: the app's /proc status",
            container.name
        );
        assert_eq!(ids(&app.status, "Gid"), [NONROOT; 4], "{}", container.name);
        assert!(
            !ids(&app.status, "Groups").contains(&0),
            "{}: root's groups kept: {}",
            container.name,
            app.status
        );
        assert_eq!(
            field(&app.status, "CapEff"),
            Some("0000000000000000"),
            "{}",
            container.name
        );
        let top = container.top();
        assert!(
            top.iter()
                .any(|(_, user, args)| user == "nonroot" && *args == cmd().join(" ")),
            "{top:?}"
        );
        let (_, code) = container.stop();
        assert_eq!(code, 0, "{}", container.name);
    }
}

/// 8. The image holds tend, the app, passwd and group, and nothing else: no
///    shell, no package manager, no secret. The binaries are static.
#[test]
fn image_holds_only_the_expected_files() {
    let test = "image_holds_only_the_expected_files";
    if !have_podman(test) {
        return;
    }
    let image = Image::twin(test);
    let container = Container { name: unique(test) };
    podman_ok(&["create", "--name", &container.name, &image.name]);
    let tarball = image.context.join("export.tar");
    podman_ok(&["export", "-o", &tarball.to_string_lossy(), &container.name]);
    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(&tarball)
        .output()
        .expect("run tar");
    assert!(listing.status.success(), "tar -tvf: {listing:?}");
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    // `-rwxr-xr-x 0/0 537216 2026-11-23 09:45 app`: (path, mode, owner)
    let files: Vec<(String, &str, &str)> = listing
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let name = words.last()?.trim_start_matches("./").trim_end_matches('/');
            Some((format!("/{name}"), *words.first()?, *words.get(1)?))
        })
        .filter(|(path, _, _)| path != "/")
        .collect();
    let entries: BTreeSet<String> = files.iter().map(|(path, _, _)| path.clone()).collect();
    let mut expected: BTreeSet<String> = copied_files().into_iter().map(|(_, dst)| dst).collect();
    expected.extend(["/etc", "/etc/passwd", "/etc/group"].map(String::from));
    assert_eq!(entries, expected, "the image's files:\n{listing}");
    // Owned by root and not writable by the non-root app: it cannot replace itself.
    for (_, destination) in copied_files() {
        let found = files.iter().find(|(path, _, _)| *path == destination);
        assert!(
            found.is_some_and(|(_, mode, owner)| *mode == "-rwxr-xr-x" && *owner == "0/0"),
            "{destination}: {found:?}"
        );
    }
    for bad in [
        "sh", "bash", "busybox", "apt", "apt-get", "dpkg", "apk", "curl", "wget",
    ] {
        assert!(
            !entries.iter().any(|e| e.rsplit('/').next() == Some(bad)),
            "{bad} in the image"
        );
    }

    let config = podman_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &image.name,
    ])
    .to_ascii_uppercase();
    for word in ["SECRET", "TOKEN", "PASSWORD", "KEY"] {
        assert!(
            !config.contains(word),
            "{word} in the image's environment: {config}"
        );
    }
    for (source, _) in copied_files() {
        let path = release_path(&source);
        assert!(
            is_static_elf(&path),
            "{} should be a static ELF (no PT_INTERP)",
            path.display()
        );
    }
}

/// An ELF64 executable without a PT_INTERP segment: it needs no dynamic loader.
fn is_static_elf(path: &Path) -> bool {
    let Ok(bytes) = fs::read(path) else {
        return false;
    };
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map(|b| u64::from_le_bytes(b) as usize)
    };
    if !bytes.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| u32_at(phoff + i * phentsize).is_some_and(|kind| kind != PT_INTERP))
}

// ---------------------------------------------------------------------------
// README command 1

/// examples/demo.sh, non-interactively: DEMO_SECONDS stops it with SIGTERM.
#[test]
fn demo_shows_events_a_healthy_probe_and_a_clean_stop() {
    let release = musl_release();
    let target_dir = release
        .parent()
        .and_then(Path::parent)
        .expect("the target dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out_dir = std::env::temp_dir().join(unique("demo"));
    fs::create_dir_all(&out_dir).expect("create the output dir");
    let out_file = out_dir.join("output");
    let output = fs::File::create(&out_file).expect("create the output file");
    let mut child = Command::new("bash")
        .arg(Path::new(MANIFEST_DIR).join("examples/demo.sh"))
        .env("DEMO_SECONDS", "6")
        .env("PORT", port.to_string())
        .env("WARMUP", "2")
        .env("ORPHAN_EVERY", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("dup the output file"))
        .stderr(output)
        .process_group(0)
        .spawn()
        .expect("run examples/demo.sh");
    // The cargo build inside is a no-op after musl_release(); the demo lasts 6 s.
    let deadline = Instant::now() + HANG * 2;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    if status.is_none() {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
    }
    let text = fs::read_to_string(&out_file).unwrap_or_default();
    let _ = fs::remove_dir_all(&out_dir); // only our scratch output
    println!("{text}");
    let status =
        status.unwrap_or_else(|| panic!("demo.sh did not end within {:?}:\n{text}", HANG * 2));
    assert!(status.success(), "demo.sh: {status}\n{text}");

    let json: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let has = |msg: &str| json.iter().any(|e| e["msg"] == msg);
    for event in [
        "child started",
        "forwarded signal",
        "child exited",
        "tend exiting",
    ] {
        assert!(has(event), "tend's {event:?} event:\n{text}");
    }
    assert!(
        json.iter().any(|e| e["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("Reaped zombie"))),
        "a reaped orphan:\n{text}"
    );
    assert!(has("stopped"), "the app's graceful stop:\n{text}");
    let unhealthy = text.find("probe: unhealthy");
    let healthy = text.find("probe: healthy");
    assert!(
        matches!((unhealthy, healthy), (Some(u), Some(h)) if u < h),
        "the probe turning healthy:\n{text}"
    );
    assert!(text.contains("tend exited with status 0"), "{text}");
}
