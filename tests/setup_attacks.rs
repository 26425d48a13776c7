//! The set-up steps under attack (issue 18, items 1 to 10; issue 20, item
//! 6): tend as PID 1 and root, on trees that the app's user (uid 65532)
//! controls, with links planted, FIFOs, hard links, mounts, deep trees, huge
//! templates, large secrets and stop signals. Each test asserts what a user
//! would see: the exit status, the one error line, log records, and files'
//! owners and modes. Nothing outside the test's own temporary directory is
//! touched; mounts are made in a private mount namespace that ends with it.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, lchown};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat, renameat};
use nix::sys::stat::{Mode, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};
use serde_json::Value;

use common::{
    Outcome, Scratch, TEND, Tend, children_of, have_root, in_private_mounts, owner, records,
    wait_for,
};
use libc::{SIGTERM, SIGUSR1};

/// The app's user: it owns what it could have planted.
const APP: u32 = 65532;
const USER: &str = "65532:65532";

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

/// `unshare … tend ARGS` (tend as PID 1), with exactly `env` and PATH, run
/// behind `wrapper` (prlimit, strace, …), from `cwd` when given.
fn pid1(wrapper: &[&str], args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> Command {
    let mut cmd = Command::new(wrapper.first().copied().unwrap_or("unshare"));
    if !wrapper.is_empty() {
        cmd.args(&wrapper[1..]).arg("--").arg("unshare");
    }
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", TEND])
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    Tend::spawn(pid1(&[], args, env, None), true).wait()
}

/// tend's first record on stderr whose message contains `msg`.
fn record(out: &Outcome, msg: &str) -> Option<Value> {
    records(&out.stderr)
        .into_iter()
        .find(|r| r["msg"].as_str().is_some_and(|m| m.contains(msg)))
}

/// The one error line of a failure with `code`: its message.
fn failure_with(out: &Outcome, code: i32) -> String {
    assert_eq!(out.code, Some(code), "{out:?}");
    let errors: Vec<Value> = records(&out.stderr)
        .into_iter()
        .filter(|r| r["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {}", out.stderr);
    assert!(
        record(out, "child started").is_none(),
        "the program never started: {}",
        out.stderr
    );
    errors[0]["msg"].as_str().unwrap_or_default().to_string()
}

fn failure(out: &Outcome) -> String {
    failure_with(out, 125)
}

/// Item 1: a link on the way to PATH or OUTPUT's directory is followed only
/// when root owns it and its directory.
#[test]
fn links_the_app_could_have_planted_are_not_followed_on_the_way() {
    if !have_root("links_the_app_could_have_planted_are_not_followed_on_the_way") {
        return;
    }
    let s = Scratch::new("planted");
    // /vol/data is the app's volume; /rootdir holds root's files.
    s.dir("vol/data", APP);
    let secret = s.file("rootdir/cache/file", b"root's", 0o600);
    let rootdir = s.path("rootdir");
    s.link("vol/data/sub", &rootdir, APP);
    let through = s.show("vol/data/sub/cache");
    let msg = failure(&run(
        &["--user", USER, "--chown", &through, "--", "true"],
        &[],
    ));
    let link = s.show("vol/data/sub");
    assert!(
        msg.starts_with(&format!(
            "--chown {through}: {link} is a symbolic link owned by uid {APP} in a directory owned by uid {APP}: not followed"
        )),
        "{msg}"
    );
    for path in [&rootdir, &rootdir.join("cache"), &secret] {
        assert_eq!(owner(path), (0, 0), "{} was given away", path.display());
    }

    // Root's own link, in a directory the app owns: the app could have moved it there.
    fs::remove_file(s.path("vol/data/sub")).expect("rm link");
    s.link("vol/data/sub", &rootdir, 0);
    let msg = failure(&run(
        &["--user", USER, "--chown", &through, "--", "true"],
        &[],
    ));
    assert!(
        msg.contains(&format!("owned by uid 0 in a directory owned by uid {APP}")),
        "{msg}"
    );
    assert_eq!(owner(&secret), (0, 0));

    // The same for --render: no file of the app's in a root directory of its choosing.
    let template = s.file("t.conf", b"x=${X:-1}\n", 0o644);
    let pair = format!("{}:{}", template.display(), s.show("vol/data/sub/app.conf"));
    let msg = failure(&run(
        &["--user", USER, "--render", &pair, "--", "true"],
        &[],
    ));
    assert!(
        msg.contains("reaching the output's directory:") && msg.contains("is a symbolic link"),
        "{msg}"
    );
    assert!(
        !rootdir.join("app.conf").exists(),
        "rendered through the link"
    );
    let names: Vec<_> = fs::read_dir(&rootdir).expect("ls").collect();
    assert_eq!(names.len(), 1, "nothing new in root's directory: {names:?}");

    // A link that root owns in root's directory is followed, as /var/run -> /run.
    s.dir("run/app/data", 0);
    s.dir("var", 0);
    s.link("var/run", &s.path("run"), 0);
    let out = run(
        &[
            "--user",
            USER,
            "--chown",
            &s.show("var/run/app"),
            "--",
            "true",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(owner(&s.path("run/app/data")), (APP, APP));
    assert_eq!(owner(&s.path("run")), (0, 0), "only PATH's tree");
    // Relative to it, as the kernel resolves a relative link.
    fs::remove_file(s.path("var/run")).expect("rm");
    s.link("var/run", Path::new("../run"), 0);
    s.dir("run/other", 0);
    let out = run(
        &[
            "--user",
            USER,
            "--chown",
            &s.show("var/run/other"),
            "--",
            "true",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(owner(&s.path("run/other")), (APP, APP));

    // A tend that is not root follows its own user's links: they give it nothing.
    s.dir("vol/data/conf", APP);
    s.link("vol/data/current", &s.path("vol/data/conf"), APP);
    let pair = format!(
        "{}:{}",
        template.display(),
        s.show("vol/data/current/app.conf")
    );
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65532", "--regid=65532", "--clear-groups", TEND])
        .args(["--render", &pair, "--", "true"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(owner(&s.path("vol/data/conf/app.conf")), (APP, APP));
}

/// Item 2: `a/..` is a's parent, and `/` the root.
#[test]
fn dot_dot_and_slash_mean_what_the_kernel_says() {
    if !have_root("dot_dot_and_slash_mean_what_the_kernel_says") {
        return;
    }
    let s = Scratch::new("dotdot");
    s.file("p/a/f", b"x", 0o644);
    s.file("p/b/f", b"x", 0o644);
    let out = Tend::spawn(
        pid1(
            &[],
            &["-v", "--user", USER, "--chown", "a/..", "--", "true"],
            &[],
            Some(&s.path("p")),
        ),
        true,
    )
    .wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    for entry in ["p", "p/a", "p/a/f", "p/b", "p/b/f"] {
        assert_eq!(owner(&s.path(entry)), (APP, APP), "{entry}");
    }
    assert_eq!(owner(s.root()), (0, 0), "p's parent stays");
    let chowned = record(&out, "chowned").expect("the chowned record");
    assert_eq!(chowned["path"], "a/..", "{chowned}");
    assert_eq!(chowned["changed"], 5, "{chowned}");

    // Absolute, with .. in the middle.
    s.file("q/a/f", b"x", 0o644);
    s.file("q/c/f", b"x", 0o644);
    let path = format!("{}/a/../c", s.show("q"));
    let out = run(&["--user", USER, "--chown", &path, "--", "true"], &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(owner(&s.path("q/c/f")), (APP, APP));
    assert_eq!(owner(&s.path("q/a")), (0, 0), "a is only on the way");
}

/// Item 2: `--chown /` changes the root tree, never the working directory.
/// The root is the test's own directory (`unshare --root`), with the host's
/// /usr bind-mounted read-only, so that tend's libraries are there and
/// nothing of the host's could be changed even by a walk that crossed it.
#[test]
fn chown_slash_changes_the_root_not_the_working_directory() {
    if !have_root("chown_slash_changes_the_root_not_the_working_directory") {
        return;
    }
    let s = Scratch::new("slash");
    fs::copy(TEND, s.path("tend")).expect("copy tend");
    s.dir("work", 0);
    s.dir("usr", 0);
    for dir in ["lib", "lib64"] {
        if fs::symlink_metadata(Path::new("/").join(dir)).is_ok() {
            s.link(dir, &Path::new("usr").join(dir), 0);
        }
    }
    let script = r#"set -e
mount --bind /usr "$1/usr"
mount -o remount,bind,ro "$1/usr"
exec unshare --pid --fork --kill-child --root="$1" --wd=/work /tend -v --user 65532:65532 --chown / -- /tend --version"#;
    let mut cmd = in_private_mounts(script);
    cmd.arg(s.root()).env_clear().env("PATH", "/usr/bin:/bin");
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.iter().any(|l| l.starts_with("tend version")),
        "{out:?}"
    );
    for entry in ["", "tend", "work", "lib", "lib64"] {
        if entry.is_empty() || fs::symlink_metadata(s.path(entry)).is_ok() {
            assert_eq!(owner(&s.path(entry)), (APP, APP), "/{entry}");
        }
    }
    let chowned = record(&out, "chowned").expect("the chowned record");
    assert_eq!(chowned["path"], "/", "{chowned}");
    assert_eq!(chowned["mounts"], 1, "/usr is a mount: {chowned}");
    assert!(
        record(&out, "a mount point below PATH")
            .is_some_and(|r| r["path"].as_str().is_some_and(|p| p.ends_with("usr"))),
        "{}",
        out.stderr
    );
    assert_eq!(
        owner(&s.path("usr")),
        (0, 0),
        "the mount point's own directory"
    );
}

/// `levels` directories named `d`, one in the other, below `dir`: made
/// relative to a descriptor, as no path that long could be used.
fn nest(dir: &Path, levels: usize) {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mut fd = open(dir, flags, Mode::empty()).expect("open the top");
    for _ in 0..levels {
        mkdirat(&fd, "d", Mode::from_bits_truncate(0o755)).expect("mkdirat");
        fd = openat(&fd, "d", flags, Mode::empty()).expect("openat");
    }
}

/// Take apart a chain that `nest` made, from its top: the grandchild moves
/// up, the emptied child goes. `rm -rf` takes most of a minute over 19,500
/// levels; this takes a few 10,000 system calls.
fn unnest(dir: &Path) {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let fd = open(dir, flags, Mode::empty()).expect("open the top");
    loop {
        match renameat(&fd, "d/d", &fd, "up") {
            Ok(()) => {
                unlinkat(&fd, "d", UnlinkatFlags::RemoveDir).expect("rmdir");
                renameat(&fd, "up", &fd, "d").expect("rename");
            }
            Err(Errno::ENOENT) => break,
            Err(e) => panic!("taking the chain apart: {e}"),
        }
    }
}

/// The soft limit on open files this test runs under, which tend inherits.
fn open_files_limit() -> u64 {
    let limits = fs::read_to_string("/proc/self/limits").expect("limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Item 3: 19,500 levels on a 256 KiB stack: no recursion to overflow.
#[test]
fn chown_goes_down_any_depth_on_a_small_stack() {
    if !have_root("chown_goes_down_any_depth_on_a_small_stack") {
        return;
    }
    const LEVELS: usize = 19_500;
    // One descriptor per level, and a few for tend itself.
    assert!(
        open_files_limit() >= LEVELS as u64 + 64,
        "this test needs a soft limit of open files above {LEVELS} (ulimit -n): it has {}",
        open_files_limit()
    );
    let s = Scratch::new("deep");
    let top = s.dir("deep", 0);
    nest(&top, LEVELS);
    let out = Tend::spawn(
        pid1(
            &["prlimit", "--stack=262144"],
            &[
                "-v",
                "--user",
                USER,
                "--chown",
                &s.show("deep"),
                "--",
                "true",
            ],
            &[],
            None,
        ),
        true,
    )
    .wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    let chowned = record(&out, "chowned").expect("the chowned record");
    assert_eq!(chowned["changed"], LEVELS as u64 + 1, "{chowned}");
    assert_eq!(owner(&top.join("d/d/d")), (APP, APP));
    unnest(&top);
}

/// Item 3: out of descriptors, the walk ends with 125 and says how deep it got.
#[test]
fn a_walk_out_of_descriptors_says_how_deep_it_got() {
    if !have_root("a_walk_out_of_descriptors_says_how_deep_it_got") {
        return;
    }
    let s = Scratch::new("nofile");
    let top = s.dir("deep", 0);
    nest(&top, 200);
    let path = s.show("deep");
    let out = Tend::spawn(
        pid1(
            &["prlimit", "--nofile=64"],
            &["--user", USER, "--chown", &path, "--", "true"],
            &[],
            None,
        ),
        true,
    )
    .wait();
    let msg = failure(&out);
    assert!(msg.starts_with(&format!("--chown {path}: ")), "{msg}");
    assert!(
        msg.contains("levels down): Too many open files")
            && msg.contains("raise the limit (ulimit -n"),
        "{msg}"
    );
    assert!(msg.len() < 600, "one bounded line: {msg}");
}

/// Item 4: a hard link to a file outside PATH, and mounts below it, are left alone.
#[test]
fn chown_leaves_hard_links_and_mounts_alone() {
    if !have_root("chown_leaves_hard_links_and_mounts_alone") {
        return;
    }
    let s = Scratch::new("links");
    let outside = s.file("outside/shadow", b"root's", 0o600);
    let data = s.dir("data", 0);
    fs::hard_link(&outside, data.join("hl")).expect("hard link");
    s.file("data/own", b"x", 0o644);
    // The app's own hard links need nothing: no warning for them.
    let mine = s.file("data/mine", b"x", 0o644);
    lchown(&mine, Some(APP), Some(APP)).expect("chown");
    fs::hard_link(&mine, s.path("data/mine2")).expect("hard link");
    // The volume is a mount itself; in it, a host directory on the same
    // filesystem, bind-mounted, and a tmpfs.
    let host = s.file("host/file", b"host's", 0o644);
    s.dir("data/bind", 0);
    s.dir("data/tmp", 0);
    let script = r#"set -e
mount --bind "$1/data" "$1/data"
mount --bind "$1/host" "$1/data/bind"
mount -t tmpfs tmpfs "$1/data/tmp"
echo x > "$1/data/tmp/file"
exec unshare --pid --fork --mount-proc --kill-child "$2" -v --user 65532:65532 --chown "$1/data" -- true"#;
    let mut cmd = in_private_mounts(script);
    cmd.arg(s.root())
        .arg(TEND)
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    let out = Tend::spawn(cmd, false).wait();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        owner(&outside),
        (0, 0),
        "a file outside PATH, by its other name"
    );
    assert_eq!(owner(&host), (0, 0), "the bind-mounted host file");
    assert_eq!(
        owner(&s.path("host")),
        (0, 0),
        "the bind-mounted host directory"
    );
    assert_eq!(owner(&s.path("data/own")), (APP, APP));
    assert_eq!(
        owner(&data),
        (APP, APP),
        "PATH, a mount itself, is the volume"
    );
    let chowned = record(&out, "chowned").expect("the chowned record");
    assert_eq!(
        (&chowned["hard_links"], &chowned["mounts"]),
        (&Value::from(1), &Value::from(2)),
        "{chowned}"
    );
    let warning = record(&out, "more than one link").expect("a warning for the hard link");
    assert_eq!(warning["level"], "warn", "{warning}");
    assert_eq!(warning["skipped"], 1, "{warning}");
    assert_eq!(warning["first"], s.show("data/hl"), "{warning}");
    let mounts: Vec<String> = records(&out.stderr)
        .into_iter()
        .filter(|r| r["msg"].as_str().is_some_and(|m| m.contains("mount point")))
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect();
    let mut mounts = mounts;
    mounts.sort();
    assert_eq!(mounts, [s.show("data/bind"), s.show("data/tmp")]);
}

/// Item 5: a planted or left-over temporary name never makes a start fail.
#[test]
fn render_steps_around_a_planted_temporary_file() {
    if !have_root("render_steps_around_a_planted_temporary_file") {
        return;
    }
    let s = Scratch::new("tmpname");
    let out_dir = s.dir("out", APP);
    let target = s.file("target", b"root's", 0o644);
    // tend as PID 1 used `.NAME.tend-1`: the app plants it, as a link to root's file.
    s.link("out/.app.conf.tend-1", &target, APP);
    let template = s.file("app.conf.template", b"port=${PORT}\n", 0o644);
    let output = out_dir.join("app.conf");
    let pair = format!("{}:{}", template.display(), output.display());
    let out = run(
        &["--user", USER, "--render", &pair, "--", "true"],
        &[("PORT", "8080")],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        fs::read_to_string(&output).expect("rendered"),
        "port=8080\n"
    );
    assert_eq!(fs::read(&target).expect("target"), b"root's");
    let mut names: Vec<String> = fs::read_dir(&out_dir)
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(names, [".app.conf.tend-1", "app.conf"], "nothing else left");

    // A later step fails (OUTPUT is a directory): the temporary file goes.
    fs::remove_file(&output).expect("rm");
    s.file("out/app.conf/keep", b"x", 0o644);
    let msg = failure(&run(&["--render", &pair, "--", "true"], &[("PORT", "1")]));
    assert!(msg.contains("writing the output: Is a directory"), "{msg}");
    let left: Vec<String> = fs::read_dir(&out_dir)
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with(".app.conf.tend-") && n != ".app.conf.tend-1")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Item 6: a rendered secret is not for others; a render without one keeps its mode.
#[test]
fn a_rendered_secret_is_not_readable_by_others() {
    let s = Scratch::new("secret-mode");
    let secret = s.file("secret", b"s3cret-value\n", 0o400);
    let with = s.file("with.template", b"password=${DB_PASSWORD}\n", 0o644);
    let without = s.file("without.template", b"port=${PORT}\n", 0o644);
    let (with_out, without_out) = (s.path("with.conf"), s.path("without.conf"));
    let pairs = [
        format!("{}:{}", with.display(), with_out.display()),
        format!("{}:{}", without.display(), without_out.display()),
    ];
    let out = run(
        &[
            "-v",
            "--umask",
            "0022",
            "--file-env",
            "DB_PASSWORD",
            "--render",
            &pairs[0],
            "--render",
            &pairs[1],
            "--",
            "true",
        ],
        &[
            ("DB_PASSWORD_FILE", &secret.display().to_string()),
            ("PORT", "80"),
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        mode(&with_out),
        0o640,
        "the template's 0644, less others' bits"
    );
    assert_eq!(mode(&without_out), 0o644, "no secret: the template's mode");
    let note = record(&out, "holds a secret").expect("an info line for the secret's render");
    assert_eq!(note["level"], "info", "{note}");
    assert_eq!(note["template"], with.display().to_string(), "{note}");
    assert_eq!(note["variables"], "DB_PASSWORD", "{note}");
    let notes = records(&out.stderr)
        .iter()
        .filter(|r| {
            r["msg"]
                .as_str()
                .is_some_and(|m| m.contains("holds a secret"))
        })
        .count();
    assert_eq!(
        notes, 1,
        "silent for the render without a secret: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
}

/// Item 7: a FIFO as a secret file or a template is refused at once.
#[test]
fn a_fifo_is_refused_not_waited_on() {
    let s = Scratch::new("fifo");
    let fifo = s.path("fifo");
    nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o644)).expect("mkfifo");
    let fifo = fifo.display().to_string();
    let msg = failure(&run(
        &["--file-env", "DB_PASSWORD", "--", "true"],
        &[("DB_PASSWORD_FILE", &fifo)],
    ));
    assert_eq!(
        msg,
        format!("--file-env DB_PASSWORD: DB_PASSWORD_FILE={fifo}: not a regular file (a FIFO)")
    );
    let pair = format!("{fifo}:{}", s.show("out.conf"));
    let msg = failure(&run(&["--render", &pair, "--", "true"], &[]));
    assert_eq!(
        msg,
        format!("--render {pair}: reading the template: not a regular file (a FIFO)")
    );
    let pair = format!("{}:{}", s.show(""), s.show("out.conf"));
    let msg = failure(&run(&["--render", &pair, "--", "true"], &[]));
    assert!(msg.ends_with("not a regular file (a directory)"), "{msg}");
}

/// Item 8: a template that multiplies a large value stops at 4 MiB.
#[test]
fn a_render_stops_at_its_cap() {
    let s = Scratch::new("cap");
    // 50 times 100,000 bytes: 5 MB, past the 4 MiB cap.
    let template = s.file("t", "${BIG}\n".repeat(50).as_bytes(), 0o644);
    let output = s.path("out.conf");
    let pair = format!("{}:{}", template.display(), output.display());
    let big = "x".repeat(100_000);
    let msg = failure(&run(&["--render", &pair, "--", "true"], &[("BIG", &big)]));
    assert_eq!(
        msg,
        format!(
            "--render {pair}: line 42, column 1: the output passes 4 MiB, the most tend renders into one file"
        )
    );
    assert!(!output.exists(), "nothing written");
    // Under the cap, the same template renders.
    let small = "x".repeat(1000);
    let out = run(&["--render", &pair, "--", "true"], &[("BIG", &small)]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(fs::metadata(&output).expect("rendered").len(), 50 * 1001);
}

/// tend as PID 1 under strace, which delays each call of `syscall` by
/// `micros`, so that a signal can come in the middle of a set-up step. Its
/// pid is tend's own, found through strace and unshare.
fn slowed(syscall: &str, micros: u64, args: &[&str]) -> Tend {
    assert!(
        Path::new("/usr/bin/strace").exists(),
        "this test slows tend down with strace: apt-get install strace (.ci/setup does)"
    );
    let trace = format!("trace={syscall}");
    let inject = format!("inject={syscall}:delay_enter={micros}");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-o", "/dev/null", "-e", &trace, "-e", &inject])
        .args([
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            "--kill-child",
            TEND,
        ])
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null());
    let mut tend = Tend::spawn(cmd, false);
    let strace = tend.pid;
    tend.pid = wait_for("tend under strace and unshare", || {
        let unshare = children_of(strace).first().copied()?;
        children_of(unshare).first().copied()
    });
    tend
}

fn owned_by_app(paths: &[PathBuf]) -> usize {
    paths.iter().filter(|p| owner(p) == (APP, APP)).count()
}

/// Item 9: a stop signal during a long chown ends tend with 128+N; other
/// signals are logged and dropped.
#[test]
fn a_stop_signal_during_a_chown_ends_tend() {
    if !have_root("a_stop_signal_during_a_chown_ends_tend") {
        return;
    }
    let s = Scratch::new("stop-chown");
    let files: Vec<PathBuf> = (0..100)
        .map(|i| s.file(&format!("data/f{i}"), b"x", 0o644))
        .collect();
    let data = s.show("data");
    // Each change takes 100 ms: the walk takes 10 s at least.
    let tend = slowed(
        "fchownat",
        100_000,
        &["-v", "--user", USER, "--chown", &data, "--", "true"],
    );
    let started = wait_for("the walk to change an entry", || {
        let n = owned_by_app(&files);
        (n > 0).then_some(n)
    });
    tend.signal(SIGUSR1);
    // The walk goes on past the SIGUSR1: it is dropped, not a stop.
    wait_for("the walk to go on after SIGUSR1", || {
        (owned_by_app(&files) > started + 2).then_some(())
    });
    tend.signal(SIGTERM);
    let out = tend.wait();
    let msg = failure_with(&out, 143);
    assert_eq!(
        msg,
        format!(
            "SIGTERM while changing owners (--chown {data}): exiting before the program starts"
        )
    );
    let changed = owned_by_app(&files);
    assert!(
        changed < files.len(),
        "the walk was not stopped: all {changed} entries changed"
    );
    assert!(
        record(&out, "dropped signal").is_some_and(|r| r["signal"] == "SIGUSR1"),
        "{}",
        out.stderr
    );
    assert!(record(&out, "chowned").is_none(), "{}", out.stderr);
}

/// Item 9: a stop signal during a render leaves no file: neither the
/// temporary one nor OUTPUT.
#[test]
fn a_stop_signal_during_a_render_leaves_no_file() {
    if !have_root("a_stop_signal_during_a_render_leaves_no_file") {
        return;
    }
    let s = Scratch::new("stop-render");
    let template = s.file("t", b"port=${PORT:-80}\n", 0o644);
    let out_dir = s.dir("out", 0);
    let output = out_dir.join("app.conf");
    let pair = format!("{}:{}", template.display(), output.display());
    // The sync before the rename takes 10 s: time enough for the signal on a loaded machine.
    let tend = slowed("fsync", 10_000_000, &["--render", &pair, "--", "true"]);
    let listing = || -> Vec<String> {
        fs::read_dir(&out_dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    wait_for("the temporary file", || {
        listing()
            .iter()
            .any(|n| n.starts_with(".app.conf.tend-"))
            .then_some(())
    });
    tend.signal(SIGTERM);
    let out = tend.wait();
    let msg = failure_with(&out, 143);
    assert_eq!(
        msg,
        format!(
            "SIGTERM while rendering {}: exiting before the program starts",
            output.display()
        )
    );
    assert_eq!(listing(), Vec::<String>::new(), "no file is left");
}

/// Item 10: a PROGRAM from a secret is named by where it came from.
#[test]
fn errors_never_show_a_secret() {
    let s = Scratch::new("no-leak");
    let secret = s.file("secret", b"/no/such/s3cret-program\n", 0o400);
    let secret = secret.display().to_string();
    let out = run(
        &[
            "--file-env",
            "DB_PASSWORD",
            "--expand",
            "--",
            "$DB_PASSWORD",
            "x",
        ],
        &[("DB_PASSWORD_FILE", &secret)],
    );
    let msg = failure_with(&out, 127);
    assert_eq!(
        msg,
        "cannot run PROGRAM (from $DB_PASSWORD, loaded by --file-env): No such file or directory (os error 2)"
    );
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);

    // E2BIG from large secrets names the largest variables, never their values.
    let files: Vec<(String, String)> = ["BIG_A", "BIG_B", "BIG_C"]
        .iter()
        .zip([b'a', b'b', b'c'])
        .map(|(name, byte)| {
            let path = s.file(name, &vec![byte; 100_000], 0o400);
            (format!("{name}_FILE"), path.display().to_string())
        })
        .collect();
    let env: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    // A 1 MiB stack makes the kernel's limit a quarter of it: 256 KiB.
    let out = Tend::spawn(
        pid1(
            &["prlimit", "--stack=1048576"],
            &[
                "--file-env",
                "BIG_A",
                "--file-env",
                "BIG_B",
                "--file-env",
                "BIG_C",
                "--",
                "true",
            ],
            &env,
            None,
        ),
        true,
    )
    .wait();
    let msg = failure(&out);
    assert!(
        msg.starts_with("cannot run 'true': Argument list too long (os error 7): the environment and the arguments take 293 KiB"),
        "{msg}"
    );
    assert!(
        msg.ends_with("the largest variables: BIG_A (98 KiB), BIG_B (98 KiB), BIG_C (98 KiB)"),
        "{msg}"
    );
    for byte in ["aaaa", "bbbb", "cccc"] {
        assert!(
            !out.stderr.contains(byte),
            "a value in the log: {}",
            out.stderr
        );
    }
}

/// Issue 20, item 6: --render makes OUTPUT's missing directories, the app's,
/// 0755 less the umask.
#[test]
fn render_makes_the_missing_directories_of_output() {
    if !have_root("render_makes_the_missing_directories_of_output") {
        return;
    }
    let s = Scratch::new("mkdir");
    s.dir("run", 0);
    let template = s.file("t", b"port=${PORT:-80}\n", 0o644);
    let output = s.path("run/app/sub/app.conf");
    let pair = format!("{}:{}", template.display(), output.display());
    let out = run(
        &[
            "-v", "--umask", "0027", "--user", USER, "--render", &pair, "--", "true",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(fs::read_to_string(&output).expect("rendered"), "port=80\n");
    for dir in ["run/app", "run/app/sub"] {
        assert_eq!(owner(&s.path(dir)), (APP, APP), "{dir}");
        assert_eq!(mode(&s.path(dir)), 0o750, "{dir}: 0755 less the umask 0027");
    }
    assert_eq!(owner(&s.path("run")), (0, 0), "what was there stays");
    assert_eq!(owner(&output), (APP, APP));
    let made: Vec<String> = records(&out.stderr)
        .into_iter()
        .filter(|r| r["msg"] == "created a directory for --render")
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(made, [s.show("run/app"), s.show("run/app/sub")]);
}
