//! The container engines the end-to-end tests drive, podman and Docker
//! Engine, behind one harness: images built `FROM scratch` of local static
//! binaries, containers run with no network, the processes inside them read
//! from the host's /proc, and `ENGINE run -it` driven from a pseudo-terminal.
//!
//! The invariants: every image and container has a name unique to its test
//! process and goes away when its handle drops (an image shared by the tests
//! of one process, when that process exits); every engine command and every
//! wait has a deadline that only a hang reaches; a test that needs an engine
//! skips without it, and fails loudly under CI, where a skip would hide a
//! broken set-up.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{HANG, field, musl_release, static_tend};

/// `ENGINE stop -t STOP_TIMEOUT`, in seconds: what the engines default to.
pub const STOP_TIMEOUT: u64 = 10;
/// The app's uid and gid in the images: distroless's `nonroot`.
pub const NONROOT: u32 = 65532;
/// A generous bound for one engine command (a build, a stop that waits out
/// STOP_TIMEOUT); only a hung engine reaches it.
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

/// `podman::NAME` and `docker::NAME`, a test under each engine, for each
/// scenario `fn NAME(engine: &'static Engine, test: &str)` of the caller.
#[macro_export]
macro_rules! under_every_engine {
    ($($scenario:ident),* $(,)?) => {
        mod podman {
            $(#[test]
            fn $scenario() {
                super::$scenario(&$crate::common::engine::PODMAN, stringify!($scenario));
            })*
        }
        mod docker {
            $(#[test]
            fn $scenario() {
                super::$scenario(&$crate::common::engine::DOCKER, stringify!($scenario));
            })*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Podman,
    Docker,
}

/// One container engine: its command, and how it differs from the other.
#[derive(Debug)]
pub struct Engine {
    pub kind: Kind,
}

pub static PODMAN: Engine = Engine { kind: Kind::Podman };
pub static DOCKER: Engine = Engine { kind: Kind::Docker };

impl Engine {
    pub fn program(&self) -> &'static str {
        match self.kind {
            Kind::Podman => "podman",
            Kind::Docker => "docker",
        }
    }

    /// The engine's settings, as environment variables of its command.
    pub fn configure(&self, cmd: &mut Command) {
        match self.kind {
            // Never the machine's own podman configuration: see the file.
            Kind::Podman => cmd.env("CONTAINERS_CONF", containers_conf()),
            // The classic builder: BuildKit is not installed, and scratch images need nothing of it.
            // The daemon is the one DOCKER_HOST names (tests/engines/dockerd.sh).
            Kind::Docker => cmd.env("DOCKER_BUILDKIT", "0"),
        };
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.program());
        self.configure(&mut cmd);
        cmd.args(args);
        cmd
    }

    /// `ENGINE ARGS`, bounded by COMMAND_LIMIT.
    pub fn output(&self, args: &[&str]) -> Output {
        bounded(self.command(args), &format!("{} {args:?}", self.program()))
    }

    /// `ENGINE ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "{} {args:?} failed ({}): {}",
            self.program(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// True when the test may go on: root (the tests read /proc of the
    /// container's processes) and a working engine.
    pub fn available(&self, test: &str) -> bool {
        if !super::have_root(test) {
            return false;
        }
        // A program that is not installed does not work either.
        let works = |cmd: Command| try_bounded(cmd).is_ok_and(|out| out.status.success());
        let (found, hint) = match self.kind {
            Kind::Podman => (
                works(self.command(&["--version"])) && {
                    let mut runc = Command::new("runc");
                    runc.arg("--version");
                    works(runc)
                },
                "podman and runc (.ci/setup installs them: apt-get install -y podman runc)",
            ),
            Kind::Docker => (
                works(self.command(&["version", "--format", "{{.Server.Version}}"])),
                "a Docker Engine that answers on DOCKER_HOST (tests/run.sh starts one with \
                 tests/engines/dockerd.sh; .ci/setup installs docker.io)",
            ),
        };
        if found {
            return true;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "{test} under {} needs {hint}, and CI is set",
            self.program()
        );
        eprintln!("skipping {test} under {}: needs {hint}", self.program());
        false
    }

    /// `tend-e2e-<pid>-<engine>-<what>`: unique per test process, engine and test.
    pub fn unique(&self, what: &str) -> String {
        format!(
            "tend-e2e-{}-{}-{}",
            std::process::id(),
            self.program(),
            what.replace('_', "-")
        )
    }

    /// The options that let a test watch a HEALTHCHECK within seconds. The
    /// probe's timeout is generous on both engines, so that a loaded machine
    /// slows a probe down rather than failing it (tend --probe's own default
    /// deadline, 5 s, bounds it anyway).
    pub fn health_options(&self) -> &'static [&'static str] {
        match self.kind {
            // dockerd schedules the probes itself. Its start period ends at the
            // first success, so a failure afterwards counts at once.
            Kind::Docker => &[
                "--health-interval",
                "250ms",
                "--health-timeout",
                "30s",
                "--health-start-period",
                "120s",
            ],
            // Without systemd nothing schedules podman's probes: the tests run
            // `podman healthcheck run`. podman 4.3 ignores every failure within
            // the start period, even after a success, so none here.
            Kind::Podman => &["--health-timeout", "30s", "--health-start-period", "0s"],
        }
    }

    /// The options of `run` that make tend the engine's own init, and the
    /// path the engine gives it inside the container.
    pub fn init_options(&self) -> (Vec<String>, &'static str) {
        match self.kind {
            // dockerd's --init-path (tests/engines/dockerd.sh) says which binary.
            Kind::Docker => (vec!["--init".into()], "/sbin/docker-init"),
            Kind::Podman => (
                vec![
                    "--init".into(),
                    "--init-path".into(),
                    static_tend().to_string_lossy().into_owned(),
                ],
                "/run/podman-init",
            ),
        }
    }

    /// The image's HEALTHCHECK, as `image inspect` shows it.
    pub fn healthcheck_format(&self) -> &'static str {
        match self.kind {
            Kind::Podman => "{{json .HealthCheck}}",
            Kind::Docker => "{{json .Config.Healthcheck}}",
        }
    }

    fn remove_container(&self, name: &str) {
        let args: &[&str] = match self.kind {
            // -t 0: kill at once; there is nothing left to test.
            Kind::Podman => &["rm", "-f", "-t", "0", name],
            Kind::Docker => &["rm", "-f", name],
        };
        let _ = self.output(args); // best effort: a leftover container is untidy, not wrong
    }
}

fn containers_conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/container/containers.conf")
}

/// Run `cmd` to its end with piped output, killing it after COMMAND_LIMIT.
fn bounded(cmd: Command, what: &str) -> Output {
    try_bounded(cmd).unwrap_or_else(|e| panic!("start {what}: {e}"))
}

/// As `bounded`, but a program that cannot start is an error, not a panic.
fn try_bounded(mut cmd: Command) -> std::io::Result<Output> {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::null());
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let collect = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes); // a read error leaves what was read
            }
            bytes
        })
    };
    let stdout = collect(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = collect(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + COMMAND_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill(); // it may have exited just now
            let _ = child.wait();
            panic!("{what} did not end within {COMMAND_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Poll `probe` every `every` until it yields, within HANG; `what` and the
/// last state `probe` reported make the failure message.
pub fn poll<T>(what: &str, every: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + HANG;
    loop {
        match probe() {
            Ok(found) => return found,
            Err(state) if Instant::now() > deadline => {
                panic!("{what}: not within {HANG:?}; last seen: {state}")
            }
            Err(_) => thread::sleep(every),
        }
    }
}

// ---------------------------------------------------------------------------
// Images

/// A file of a build context: its name, bytes and mode.
pub type ContextFile = (String, Vec<u8>, u32);

/// A built image, removed with its build context on drop.
#[derive(Debug)]
pub struct Image {
    pub engine: &'static Engine,
    pub name: String,
    context: PathBuf,
}

impl Image {
    /// Build `containerfile` in a fresh context holding `files`.
    pub fn build(
        engine: &'static Engine,
        name: String,
        containerfile: &str,
        files: &[ContextFile],
    ) -> Image {
        let context = std::env::temp_dir().join(&name);
        let _ = fs::remove_dir_all(&context); // a leftover of an earlier run, if any
        fs::create_dir_all(&context).expect("create the build context");
        let image = Image {
            engine,
            name,
            context,
        };
        for (file, bytes, mode) in files {
            let path = image.context.join(file);
            fs::write(&path, bytes).expect("fill the build context");
            // COPY keeps the mode: binaries must be executable, and nothing writable.
            fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).expect("chmod");
        }
        let containerfile_path = image.context.join("Containerfile");
        fs::write(&containerfile_path, containerfile).expect("write the Containerfile");
        let (context, file) = (
            image.context.to_string_lossy().into_owned(),
            containerfile_path.to_string_lossy().into_owned(),
        );
        let mut args = vec!["build", "-f", &file, "-t", &image.name];
        args.extend_from_slice(match engine.kind {
            // --format docker keeps HEALTHCHECK; --layers=false leaves no intermediate images.
            Kind::Podman => &["--format", "docker", "--layers=false"],
            // The classic builder removes its intermediate containers; `rmi` takes the
            // intermediate images along with the tagged one.
            Kind::Docker => &["--force-rm"],
        });
        args.push(&context);
        engine.ok(&args);
        image
    }

    /// The image built by `make` for `key` on this engine, once per test
    /// process; it is removed when the process exits.
    pub fn shared(
        engine: &'static Engine,
        key: &'static str,
        make: impl FnOnce() -> Image,
    ) -> &'static Image {
        static SHARED: Mutex<BTreeMap<(Kind, &'static str), &'static Image>> =
            Mutex::new(BTreeMap::new());
        static CLEANUP: Once = Once::new();
        extern "C" fn remove_shared_images() {
            let shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
            for image in shared.values() {
                image.remove();
            }
        }
        // Held while building: a second test waits for the first one's image.
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(image) = shared.get(&(engine.kind, key)) {
            return image;
        }
        CLEANUP.call_once(|| {
            // SAFETY: atexit only records a function pointer. remove_shared_images
            // cannot unwind: it ignores every error, and a poisoned lock is taken anyway.
            unsafe { libc::atexit(remove_shared_images) };
        });
        let image: &'static Image = Box::leak(Box::new(make()));
        shared.insert((engine.kind, key), image);
        image
    }

    /// A test image with the tools the tests run: tend, the example app, the
    /// fixture and stubborn (the control: it leaves SIGTERM at its default),
    /// and nonroot's /etc/passwd and /etc/group. No ENTRYPOINT: each test says
    /// what PID 1 is. The fixture is test code and belongs in no other image.
    pub fn tools(engine: &'static Engine) -> &'static Image {
        Image::shared(engine, "tools", || {
            let release = musl_release();
            let binary = |name: &str, path: PathBuf| -> ContextFile {
                let bytes =
                    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                (name.to_string(), bytes, 0o755)
            };
            let files = [
                ("passwd".to_string(), PASSWD.as_bytes().to_vec(), 0o644),
                ("group".to_string(), GROUP.as_bytes().to_vec(), 0o644),
                binary("tend", static_tend()),
                binary("app", release.join("examples/app")),
                binary("fixture", release.join("examples/tend-fixture")),
                binary("stubborn", release.join("examples/stubborn")),
            ];
            let containerfile = "FROM scratch\n\
                COPY passwd /etc/passwd\n\
                COPY group /etc/group\n\
                COPY tend /tend\n\
                COPY app /app\n\
                COPY fixture /fixture\n\
                COPY stubborn /stubborn\n\
                USER 65532:65532\n\
                CMD [\"/app\"]\n";
            Image::build(engine, engine.unique("tools"), containerfile, &files)
        })
    }

    fn remove(&self) {
        // Best effort, from Drop and atexit: a leftover image is untidy, not wrong.
        let mut rmi = self.engine.command(&["rmi", "-f", &self.name]);
        let _ = rmi.stdout(Stdio::null()).stderr(Stdio::null()).status();
        let _ = fs::remove_dir_all(&self.context);
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        self.remove();
    }
}

/// distroless's entries for root, nobody and nonroot.
pub const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";

// ---------------------------------------------------------------------------
// Containers

/// A container, by name, removed on drop.
#[derive(Debug)]
pub struct Container {
    pub engine: &'static Engine,
    pub name: String,
}

impl Container {
    /// A handle for a container that the test creates itself (`run -it`,
    /// `create`): removed on drop, whether it was created or not.
    pub fn named(engine: &'static Engine, name: String) -> Container {
        Container { engine, name }
    }

    /// `ENGINE run -d --network none OPTIONS IMAGE ARGS`. No network but
    /// loopback: the probes run inside, and parallel tests never share a port.
    pub fn run(name: String, image: &Image, options: &[&str], args: &[&str]) -> Container {
        let mut argv = vec!["run", "-d", "--name", &name, "--network", "none"];
        argv.extend_from_slice(options);
        argv.push(&image.name);
        argv.extend_from_slice(args);
        let container = Container::named(image.engine, name.clone());
        image.engine.ok(&argv);
        container
    }

    pub fn inspect(&self, format: &str) -> String {
        self.engine
            .ok(&["inspect", "--format", format, &self.name])
            .trim()
            .to_string()
    }

    /// The host pid of the container's PID 1.
    pub fn pid1(&self) -> i32 {
        let pid = self.inspect("{{.State.Pid}}");
        pid.parse()
            .unwrap_or_else(|_| panic!("State.Pid of {}: {pid:?}", self.name))
    }

    /// (stdout, stderr) of `ENGINE logs`: the app writes to stdout, tend to stderr.
    pub fn logs(&self) -> (String, String) {
        let out = self.engine.output(&["logs", &self.name]);
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Wait until the container's stdout has `count` lines containing `needle`.
    pub fn wait_for_log(&self, needle: &str, count: usize) {
        poll(
            &format!("{}: {count} lines with {needle:?} on stdout", self.name),
            Duration::from_millis(100),
            || {
                let (stdout, stderr) = self.logs();
                let seen = stdout.lines().filter(|l| l.contains(needle)).count();
                if seen >= count {
                    Ok(())
                } else {
                    Err(format!(
                        "{seen} such lines\nstdout:\n{stdout}\nstderr:\n{stderr}"
                    ))
                }
            },
        )
    }

    pub fn exec(&self, args: &[&str]) -> Output {
        let mut argv = vec!["exec", &self.name];
        argv.extend_from_slice(args);
        self.engine.output(&argv)
    }

    /// `ENGINE kill -s SIGNAL`.
    pub fn kill(&self, signal: &str) {
        self.engine.ok(&["kill", "-s", signal, &self.name]);
    }

    /// The fixture's `signals 4` exchange (it reports `got N` for each
    /// signal and exits 0 after four): HUP, USR1, real-time 40 and TERM,
    /// each sent with `kill -s` and waited for, must reach it in order and
    /// leave the container with exit code 0.
    pub fn four_signals_reach_the_fixture(&self) {
        self.wait_for_log("ready", 1);
        for (signal, number) in [("HUP", 1), ("USR1", 10), ("40", 40), ("TERM", 15)] {
            self.kill(signal);
            self.wait_for_log(&format!("got {number}"), 1);
        }
        let code = self.exit_code();
        let (stdout, stderr) = self.logs();
        let got: Vec<&str> = stdout.lines().filter(|l| l.starts_with("got ")).collect();
        assert_eq!(
            got,
            ["got 1", "got 10", "got 40", "got 15"],
            "the signals the fixture saw, in order; stderr:\n{stderr}"
        );
        assert_eq!(code, 0, "the fixture's own exit code after four signals");
    }

    pub fn running(&self) -> bool {
        self.inspect("{{.State.Running}}") == "true"
    }

    /// Wait for the container to exit; its exit code.
    pub fn exit_code(&self) -> i32 {
        poll(
            &format!("{} to exit", self.name),
            Duration::from_millis(50),
            || match self.running() {
                true => Err("still running".to_string()),
                false => Ok(()),
            },
        );
        let code = self.inspect("{{.State.ExitCode}}");
        code.parse()
            .unwrap_or_else(|_| panic!("ExitCode of {}: {code:?}", self.name))
    }

    /// `ENGINE stop -t STOP_TIMEOUT`; how long it took, and the exit code.
    pub fn stop(&self) -> (Duration, i32) {
        let started = Instant::now();
        self.engine
            .ok(&["stop", "-t", &STOP_TIMEOUT.to_string(), &self.name]);
        let took = started.elapsed();
        (took, self.exit_code())
    }

    /// The health status after one more probe: podman runs it now
    /// (`podman healthcheck run`), dockerd on its own schedule.
    pub fn health(&self) -> String {
        if self.engine.kind == Kind::Podman {
            // Its verdict is what inspect shows next; a failing probe exits 1.
            let _ = self.engine.output(&["healthcheck", "run", &self.name]);
        }
        self.inspect("{{if .State.Health}}{{.State.Health.Status}}{{end}}")
    }

    /// The probes' results so far: (exit code, output) of each, oldest first.
    pub fn health_log(&self) -> Vec<(i64, String)> {
        let log: Value = serde_json::from_str(&self.inspect("{{json .State.Health.Log}}"))
            .expect("State.Health.Log as JSON");
        log.as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                (
                    entry["ExitCode"].as_i64().unwrap_or(-1),
                    entry["Output"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    pub fn wait_for_health(&self, status: &str) {
        poll(
            &format!("{} to be {status}", self.name),
            Duration::from_millis(200),
            || {
                let now = self.health();
                if now == status {
                    Ok(())
                } else {
                    Err(format!("{now:?}, probes {:?}", self.health_log()))
                }
            },
        )
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.engine.remove_container(&self.name);
    }
}

// ---------------------------------------------------------------------------
// The processes of a container, from the host's /proc

#[derive(Debug)]
pub struct Proc {
    pub host_pid: i32,
    /// The pid inside the container.
    pub pid: i32,
    pub name: String,
    pub state: char,
    pub status: String,
}

/// Every process in the PID namespace of the container whose PID 1 has host
/// pid `pid1`, exec'd ones included: they are not all descendants of PID 1.
pub fn processes(pid1: i32) -> Vec<Proc> {
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

/// The arguments a process runs with, from the host's /proc.
pub fn cmdline(host_pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{host_pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// The numbers of a /proc status line such as `Uid:`.
pub fn ids(status: &str, key: &str) -> Vec<u32> {
    field(status, key)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The first process called `name` in the container, once it is there.
pub fn process_named(pid1: i32, name: &str) -> Proc {
    poll(
        &format!("a process {name:?} in the container of host pid {pid1}"),
        Duration::from_millis(20),
        || {
            let procs = processes(pid1);
            let names: Vec<String> = procs.iter().map(|p| p.name.clone()).collect();
            procs
                .into_iter()
                .find(|p| p.name == name)
                .ok_or(format!("processes {names:?}"))
        },
    )
}

/// The pids (inside the container) of the orphans that the example app
/// reported in `text` (`{"msg":"left an orphan","pid":N}` lines).
pub fn orphans_reported(text: &str) -> BTreeSet<i32> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["msg"] == "left an orphan")
        .filter_map(|line| line["pid"].as_i64().and_then(|p| i32::try_from(p).ok()))
        .collect()
}

/// Wait until none of `orphans` (pids inside the container) is left in it,
/// as a zombie or otherwise: the container's PID 1 reaped them all.
pub fn wait_until_reaped(pid1: i32, orphans: &BTreeSet<i32>) {
    poll(
        &format!("the {} orphans {orphans:?} to be reaped", orphans.len()),
        Duration::from_millis(50),
        || {
            let left: Vec<(i32, char)> = processes(pid1)
                .into_iter()
                .filter(|p| orphans.contains(&p.pid))
                .map(|p| (p.pid, p.state))
                .collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still there (pid, state): {left:?}"))
            }
        },
    )
}

/// Wait until at least `count` of `orphans` are zombies: nobody reaps them.
pub fn wait_for_zombies(pid1: i32, orphans: &BTreeSet<i32>, count: usize) -> usize {
    poll(
        &format!("{count} of the orphans {orphans:?} to be zombies"),
        Duration::from_millis(50),
        || {
            let procs = processes(pid1);
            let zombies = procs
                .iter()
                .filter(|p| p.state == 'Z' && orphans.contains(&p.pid))
                .count();
            if zombies >= count {
                Ok(zombies)
            } else {
                let states: Vec<(i32, char)> = procs.iter().map(|p| (p.pid, p.state)).collect();
                Err(format!("{zombies} zombies; (pid, state): {states:?}"))
            }
        },
    )
}

// ---------------------------------------------------------------------------
// A terminal

/// `ENGINE ARGS` (say `run -it …`) on the slave side of a fresh
/// pseudo-terminal, as its controlling terminal, with the test typing on the
/// master side and reading what the terminal shows.
pub struct Terminal {
    child: Child,
    master: File,
    shown: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
    what: String,
}

impl Terminal {
    pub fn run(engine: &'static Engine, args: &[&str]) -> Terminal {
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
        let what = format!("{} {args:?}", engine.program());
        // setsid --ctty: a new session whose controlling terminal is stdin,
        // as a shell in a terminal window gives it.
        let mut cmd = Command::new("setsid");
        engine.configure(&mut cmd);
        cmd.args(["--ctty", "--wait", engine.program()]).args(args);
        let slave = |fd: &std::os::fd::OwnedFd| Stdio::from(fd.try_clone().expect("dup the pty"));
        cmd.stdin(slave(&pty.slave))
            .stdout(slave(&pty.slave))
            .stderr(slave(&pty.slave));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {what} on a terminal: {e}"));
        // Only the child may hold the slave side: the master reads EOF (EIO) once it is gone.
        drop(cmd);
        drop(pty.slave);
        let master = File::from(pty.master);
        let shown = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let mut master = master.try_clone().expect("dup the pty master");
            let shown = Arc::clone(&shown);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                // EIO once the slave side is closed: the end of the session.
                while let Ok(n) = master.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    shown
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend_from_slice(&buf[..n]);
                }
            })
        };
        Terminal {
            child,
            master,
            shown,
            reader: Some(reader),
            what,
        }
    }

    /// What the terminal has shown so far.
    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    pub fn wait_for(&self, needle: &str) {
        poll(
            &format!("{}: {needle:?} on the terminal", self.what),
            Duration::from_millis(20),
            || {
                let shown = self.shown();
                if shown.contains(needle) {
                    Ok(())
                } else {
                    Err(format!("the terminal shows {shown:?}"))
                }
            },
        )
    }

    /// Type `bytes`: 0x03 is Ctrl-C.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.master
            .write_all(bytes)
            .and_then(|()| self.master.flush())
            .expect("type on the terminal");
    }

    /// Whether the engine's command is still running `window` from now.
    pub fn still_running_after(&mut self, window: Duration) -> bool {
        thread::sleep(window);
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Wait for the engine's command to end, within HANG: its status and
    /// everything the terminal showed.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let child = &mut self.child;
        let status = poll(
            &format!("{} to end", self.what),
            Duration::from_millis(20),
            || match child.try_wait().expect("try_wait") {
                Some(status) => Ok(status),
                None => Err("still running".to_string()),
            },
        );
        // The slave side closed with the command, so the reader reaches its
        // end; a process that kept the terminal open must not hang the test.
        if let Some(reader) = self.reader.take() {
            let until = Instant::now() + Duration::from_secs(2);
            while !reader.is_finished() && Instant::now() < until {
                thread::sleep(Duration::from_millis(10));
            }
        }
        (status, self.shown())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill(); // it may have exited just now
            let _ = self.child.wait();
        }
    }
}
