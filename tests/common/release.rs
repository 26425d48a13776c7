//! The release as the tests see it: `release/build.sh` run twice on one
//! commit, once in this checkout and once in a fresh clone elsewhere, and
//! `release/image.sh` on the first build's dist/.
//!
//! Each build runs at most once per test process, whichever test asks first;
//! a failed build is reported to every test that needed it. Everything lives
//! under the target dir's tmp/ (a fresh set per run), except the throwaway
//! signing key, which build.sh only accepts outside the repository and which
//! is deleted once it has signed.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

pub const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
/// A build from scratch takes a minute or two here; only a hang reaches this.
pub const BUILD_HANG: Duration = Duration::from_secs(30 * 60);
/// What the tests build: every binary of a release, the stable ones and the
/// small ones (release/nightly.sh's nightly), which the tend image ships.
pub const ARTIFACTS: [&str; 4] = [
    "tend-x86_64",
    "tend-aarch64",
    "tend-x86_64-small",
    "tend-aarch64-small",
];

/// One run of release/build.sh.
#[derive(Debug)]
pub struct Build {
    /// Where the build ran: this checkout, or the fresh clone.
    pub checkout: PathBuf,
    /// Its TEND_DIST.
    pub dist: PathBuf,
    /// stdout and stderr, in that order.
    pub output: String,
    /// The public half of the throwaway key it was signed with, if any.
    pub public_key: Option<PathBuf>,
}

impl Build {
    pub fn artifact(&self, name: &str) -> PathBuf {
        self.dist.join(name)
    }
}

struct Run {
    scratch: PathBuf,
    changes: String,
}

/// Set up once per test process, before any test runs a build.
fn this_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        // Before any build: build.sh writes its SBOM beside Cargo.toml for a moment.
        let changes = git(Path::new(MANIFEST_DIR), &["status", "--porcelain"])
            .unwrap_or_else(|why| panic!("{why}"));
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release");
        let _ = fs::remove_dir_all(&scratch); // what an earlier run left, if anything
        fs::create_dir_all(&scratch).expect("create the release scratch dir");
        Run { scratch, changes }
    })
}

/// The scratch directory of this test process, emptied on first use. Call
/// it before running build.sh in this checkout (see `changes_at_start`).
pub fn scratch() -> &'static Path {
    &this_run().scratch
}

/// `git status --porcelain` of this checkout as the release tests started:
/// empty when what is built here is exactly HEAD.
pub fn changes_at_start() -> &'static str {
    &this_run().changes
}

/// release/build.sh in this checkout, signed with a throwaway key.
pub fn here() -> &'static Build {
    static BUILD: OnceLock<Result<Build, String>> = OnceLock::new();
    unwrap_build(BUILD.get_or_init(build_here))
}

/// release/build.sh in a fresh clone of HEAD, unsigned, with CARGO_HOME under
/// another name (a symlink to the real one), so that a path that leaks into
/// the binaries makes them differ from `here()`'s.
pub fn elsewhere() -> &'static Build {
    static BUILD: OnceLock<Result<Build, String>> = OnceLock::new();
    unwrap_build(BUILD.get_or_init(build_elsewhere))
}

fn unwrap_build(build: &'static Result<Build, String>) -> &'static Build {
    match build {
        Ok(build) => build,
        Err(why) => panic!("{why}"),
    }
}

fn build_here() -> Result<Build, String> {
    let key_dir = std::env::temp_dir().join(format!("tend-release-key-{}", std::process::id()));
    let _ = fs::remove_dir_all(&key_dir); // a leftover of a process with the same pid
    fs::create_dir_all(&key_dir).map_err(|e| format!("create {}: {e}", key_dir.display()))?;
    let secret = key_dir.join("minisign.key");
    let public = scratch().join("minisign.pub");
    // -W: no password, so that nothing waits for a terminal.
    let generated = Command::new("minisign")
        .args(["-G", "-f", "-W", "-p"])
        .arg(&public)
        .arg("-s")
        .arg(&secret)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run minisign -G (is minisign installed? release/tools.sh): {e}"))?;
    if !generated.status.success() {
        return Err(format!("minisign -G failed: {generated:?}"));
    }
    let mut cmd = build_command(Path::new(MANIFEST_DIR), &scratch().join("here-dist"));
    cmd.env("TEND_MINISIGN_KEY", &secret)
        .env("TEND_MINISIGN_PUB", &public);
    let result = run_build(cmd, Path::new(MANIFEST_DIR), scratch().join("here-dist"));
    // The secret half has signed; nothing else may ever use it.
    let _ = fs::remove_dir_all(&key_dir);
    result.map(|build| Build {
        public_key: Some(public),
        ..build
    })
}

fn build_elsewhere() -> Result<Build, String> {
    let clone = scratch().join("clone");
    let head = git(Path::new(MANIFEST_DIR), &["rev-parse", "HEAD"])?;
    let source = MANIFEST_DIR.to_string();
    let target = clone.to_string_lossy().into_owned();
    git(
        scratch(),
        &["clone", "--quiet", "--no-checkout", &source, &target],
    )?;
    git(&clone, &["checkout", "--quiet", "--detach", &head])?;
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let alias = scratch().join("cargo-home");
    std::os::unix::fs::symlink(&cargo_home, &alias).map_err(|e| {
        format!(
            "symlink {} to {}: {e}",
            alias.display(),
            cargo_home.display()
        )
    })?;
    let dist = scratch().join("clone-dist");
    let mut cmd = build_command(&clone, &dist);
    cmd.env("CARGO_HOME", &alias)
        .env_remove("TEND_MINISIGN_KEY");
    run_build(cmd, &clone, dist)
}

fn build_command(checkout: &Path, dist: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.current_dir(checkout)
        .arg("release/build.sh")
        .args(ARTIFACTS)
        .env("TEND_DIST", dist)
        .env_remove("TEND_MINISIGN_PUB");
    cmd
}

fn run_build(cmd: Command, checkout: &Path, dist: PathBuf) -> Result<Build, String> {
    let out = run(cmd, BUILD_HANG);
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!(
            "bash release/build.sh in {} failed ({}):\n{output}",
            checkout.display(),
            out.status
        ));
    }
    Ok(Build {
        checkout: checkout.to_path_buf(),
        dist,
        output,
        public_key: None,
    })
}

/// `git ARGS` in `dir`; its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("run git {args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Run `cmd` to its end in a process group of its own; kill the whole group
/// and fail if it is still running after `hang`.
pub fn run(mut cmd: Command, hang: Duration) -> Output {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(hang) {
        Ok(out) => out.unwrap_or_else(|e| panic!("wait for {what}: {e}")),
        Err(_) => {
            // cargo and rustc run below bash: take them all down.
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            panic!("{what} still ran after {hang:?}: a hang")
        }
    }
}

/// True when the test may go on: root (for unshare and podman) and every
/// program in `tools`. Skips elsewhere, fails loudly under CI.
pub fn have(test: &str, tools: &[&str]) -> bool {
    super::have_root(test) && have_tools(test, tools)
}

/// True when every program in `tools` is on PATH. Skips elsewhere, fails
/// loudly under CI, where a skip would hide a broken set-up (.ci/setup runs
/// release/tools.sh, which installs them all).
pub fn have_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            !found
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs {missing:?}, and CI is set: .ci/setup (release/tools.sh) installs them"
    );
    eprintln!("skipping {test}: needs {missing:?} (bash release/tools.sh installs them)");
    false
}

/// What the builds need besides cargo.
pub const BUILD_TOOLS: [&str; 3] = ["minisign", "cargo-cyclonedx", "file"];

/// The version in Cargo.toml, which names the image.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn containers_conf() -> PathBuf {
    Path::new(MANIFEST_DIR).join("tests/container/containers.conf")
}

/// `podman ARGS`, with the tests' containers.conf, never the machine's own.
pub fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .env("CONTAINERS_CONF", containers_conf())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run podman")
}

/// `podman ARGS`, which must succeed; its stdout.
pub fn podman_ok(args: &[&str]) -> String {
    let out = podman(args);
    assert!(
        out.status.success(),
        "podman {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The tend image that release/image.sh builds from a dist/, under a name of
/// its own (never the machine's localhost/tend), with docker-archive
/// tarballs for `docker load`. Removed on drop.
pub struct TendImage {
    /// NAME:VERSION, the manifest list; NAME:VERSION-amd64 and -arm64 beside it.
    pub tag: String,
    /// `tend-VERSION-ARCH.docker.tar` for amd64 and arm64, each tagged `tag`.
    pub archives: Vec<(String, PathBuf)>,
    pub output: String,
}

impl TendImage {
    /// `bash release/image.sh --name NAME --save DIR` on `build`'s dist/.
    pub fn build(name: &str, build: &Build) -> TendImage {
        let save = scratch().join(format!("images-{}", name.replace('/', "-")));
        let mut cmd = Command::new("bash");
        cmd.current_dir(MANIFEST_DIR)
            .args(["release/image.sh", "--name", name, "--save"])
            .arg(&save)
            .env("TEND_DIST", &build.dist)
            .env("CONTAINERS_CONF", containers_conf());
        let image = TendImage {
            tag: format!("{name}:{VERSION}"),
            archives: ["amd64", "arm64"]
                .iter()
                .map(|arch| {
                    let file = format!("tend-{VERSION}-{arch}.docker.tar");
                    (arch.to_string(), save.join(file))
                })
                .collect(),
            output: String::new(),
        };
        // Made before the run, so that its drop cleans up after a failure too.
        let mut image = image;
        let out = run(cmd, BUILD_HANG);
        image.output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "bash release/image.sh failed:\n{}",
            image.output
        );
        image
    }
}

impl Drop for TendImage {
    fn drop(&mut self) {
        // Best effort: a leftover image is untidy, not wrong.
        let _ = podman(&["manifest", "rm", &self.tag]);
        for arch in ["amd64", "arm64"] {
            let _ = podman(&["rmi", "-f", &format!("{}-{arch}", self.tag)]);
        }
        if let Some((_, archive)) = self.archives.first()
            && let Some(dir) = archive.parent()
        {
            let _ = fs::remove_dir_all(dir);
        }
    }
}
