//! `--user` and `--no-new-privs`, seen from outside, as issue 3 asks.
//!
//! tend runs as PID 1 of a fresh PID namespace, inside a private mount
//! namespace whose /etc/passwd and /etc/group are bind-mounted test files:
//! the machine's own files are never touched. Identities are read from
//! /proc/<pid>/status of tend itself and of its child.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{Outcome, Scratch, TEND, Tend, children_of, field, fixture, have_root, json_lines};

const PASSWD: &str = "\
# written by tests/user.rs
root:x:0:0:root:/root:/bin/sh

app:x:1000:1000:App:/home/app:/bin/sh
this line is not an entry
short:x:1600:1600
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
";

const GROUP: &str = "\
root:x:0:
app:x:1000:
extra:x:2000:other,app
more:x:2001:app
not-app:x:2002:apple,xapp
shared:x:3000:
nonroot:x:65532:
";

/// The identity lines of /proc/<pid>/status, as numbers.
#[derive(Debug, PartialEq)]
struct Identity {
    uid: Vec<u32>,
    gid: Vec<u32>,
    groups: Vec<u32>,
}

impl Identity {
    /// All four uids (real, effective, saved, fs) and gids the same.
    fn of(uid: u32, gid: u32, groups: &[u32]) -> Identity {
        Identity {
            uid: vec![uid; 4],
            gid: vec![gid; 4],
            groups: groups.to_vec(),
        }
    }

    fn parse(status: &str) -> Identity {
        let numbers = |key| -> Vec<u32> {
            field(status, key)
                .unwrap_or_else(|| panic!("no {key} in {status}"))
                .split_whitespace()
                .map(|n| n.parse().expect("a number"))
                .collect()
        };
        Identity {
            uid: numbers("Uid"),
            gid: numbers("Gid"),
            groups: numbers("Groups"),
        }
    }
}

/// Check `status` against `want`, with every capability set that could
/// act (permitted, effective, ambient) empty.
fn assert_dropped(who: &str, status: &str, want: &Identity) {
    assert_eq!(&Identity::parse(status), want, "{who}: {status}");
    for key in ["CapPrm", "CapEff", "CapAmb"] {
        let caps = field(status, key).unwrap_or_else(|| panic!("{who}: no {key}"));
        assert_eq!(
            u64::from_str_radix(caps, 16),
            Ok(0),
            "{who}: {key} {caps} should be empty"
        );
    }
}

fn status_of(pid: i32) -> String {
    fs::read_to_string(format!("/proc/{pid}/status")).expect("a /proc status")
}

/// A fresh directory under the temp dir with the test's passwd and group
/// files and copies of the binaries, all readable by any uid: the build's
/// own target dir need not be. Removed on drop.
struct Sandbox {
    dir: Scratch,
    tend: String,
    fixture: String,
}

impl Sandbox {
    fn new(test: &str) -> Sandbox {
        let dir = Scratch::new(test);
        let sandbox = Sandbox {
            tend: dir.show("tend"),
            fixture: dir.show("tend-fixture"),
            dir,
        };
        sandbox.write("passwd", PASSWD, 0o644);
        sandbox.write("group", GROUP, 0o644);
        for (from, to) in [(TEND, &sandbox.tend), (fixture(), &sandbox.fixture)] {
            fs::copy(from, to).expect("copy a binary into the sandbox");
            set_mode(Path::new(to), 0o755);
        }
        sandbox
    }

    fn path(&self, name: &str) -> String {
        self.dir.show(name)
    }

    fn write(&self, name: &str, text: &str, mode: u32) {
        self.dir.file(name, text.as_bytes(), mode);
    }

    /// `unshare … sh -c 'mount …; exec WRAPPER… TEND ARGS…'`: the shell is
    /// PID 1 and execs, so tend is PID 1 too. The shell's own arguments
    /// carry every path, so nothing needs quoting.
    fn command_with(&self, etc: Etc, wrapper: &[&str], args: &[&str]) -> Command {
        let (setup, passwd, group) = match etc {
            Etc::Files(passwd, group) => (
                r#"mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group"#,
                passwd,
                group,
            ),
            // The dynamic loader falls back to its built-in paths without ld.so.cache.
            Etc::Empty => ("mount -t tmpfs tend-test /etc", "passwd", "group"),
        };
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private"])
            .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
            .args(["sh", "-c"])
            .arg(format!(r#"{setup} && shift 2 && exec "$@""#))
            .arg("sh")
            .arg(self.path(passwd))
            .arg(self.path(group))
            .args(wrapper)
            .arg(&self.tend)
            .args(args);
        cmd
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_with(FILES, &[], args)
    }

    /// Start tend and find its pid: for a tend that stays up.
    fn start(&self, args: &[&str]) -> Tend {
        Tend::spawn(self.command(args), true)
    }

    /// Run to the end. The pid is not looked for, since a tend that exits
    /// at once could be gone before it is seen.
    fn run(&self, cmd: Command) -> Outcome {
        Tend::spawn(cmd, false).wait()
    }
}

/// What the private mount namespace shows at /etc.
#[derive(Clone, Copy)]
enum Etc<'a> {
    /// The sandbox's files of these names, at /etc/passwd and /etc/group.
    Files(&'a str, &'a str),
    /// An empty /etc, as in a `FROM scratch` image.
    Empty,
}

const FILES: Etc = Etc::Files("passwd", "group");
/// setpriv prefixes: tend as uid 65532; as root that cannot bypass file
/// modes; as root without CAP_SETGID; as root without CAP_SETUID.
const AS_NONROOT: &[&str] = &[
    "setpriv",
    "--reuid",
    "65532",
    "--regid",
    "65532",
    "--clear-groups",
];
const NO_DAC: &[&str] = &[
    "setpriv",
    "--bounding-set",
    "-dac_override,-dac_read_search",
];
const NO_SETGID: &[&str] = &["setpriv", "--bounding-set", "-setgid"];
const NO_SETUID: &[&str] = &["setpriv", "--bounding-set", "-setuid"];
/// Root whose capabilities survive setuid: the drop "works" but changes nothing.
const KEEP_CAPS: &[&str] = &["setpriv", "--securebits", "+no_setuid_fixup"];

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// With `--user ARGS -- fixture wait`: the identity of tend and of its
/// child, both read while they run.
fn identities(sandbox: &Sandbox, user: &str) -> (String, String) {
    let mut tend = sandbox.start(&["--user", user, "--", &sandbox.fixture, "wait"]);
    tend.expect_line("ready");
    let tend_status = status_of(tend.pid);
    let child = *children_of(tend.pid).first().expect("tend has its child");
    let child_status = status_of(child);
    tend.signal(libc::SIGTERM);
    let outcome = tend.wait();
    assert_eq!(outcome.code, Some(128 + libc::SIGTERM), "{outcome:?}");
    (tend_status, child_status)
}

#[test]
fn a_user_name_drops_tend_and_the_child_with_its_groups() {
    if !have_root("a_user_name_drops_tend_and_the_child_with_its_groups") {
        return;
    }
    let sandbox = Sandbox::new("name");
    let (tend, child) = identities(&sandbox, "app");
    // extra and more list app; not-app lists only look-alikes.
    let want = Identity::of(1000, 1000, &[1000, 2000, 2001]);
    assert_dropped("tend", &tend, &want);
    assert_dropped("child", &child, &want);
}

#[test]
fn a_numeric_uid_with_an_entry_is_that_user() {
    if !have_root("a_numeric_uid_with_an_entry_is_that_user") {
        return;
    }
    let sandbox = Sandbox::new("numeric");
    let (tend, child) = identities(&sandbox, "65532");
    let want = Identity::of(65532, 65532, &[65532]);
    assert_dropped("tend", &tend, &want);
    assert_dropped("child", &child, &want);
}

#[test]
fn user_colon_group_sets_the_primary_gid() {
    if !have_root("user_colon_group_sets_the_primary_gid") {
        return;
    }
    let sandbox = Sandbox::new("group");
    for (spec, gid) in [
        ("app:shared", 3000),
        ("app:4242", 4242),
        ("1000:shared", 3000),
    ] {
        let (tend, child) = identities(&sandbox, spec);
        // The supplementary list stays app's own, as newgrp leaves it.
        let want = Identity::of(1000, gid, &[1000, 2000, 2001]);
        assert_dropped(&format!("tend, {spec}"), &tend, &want);
        assert_dropped(&format!("child, {spec}"), &child, &want);
    }
}

#[test]
fn a_uid_without_an_entry_gets_its_own_gid_never_0() {
    if !have_root("a_uid_without_an_entry_gets_its_own_gid_never_0") {
        return;
    }
    let sandbox = Sandbox::new("bare-uid");
    // 1600's only line is malformed, so it has no entry either.
    for (spec, uid) in [("4321", 4321), ("1600", 1600)] {
        let (tend, child) = identities(&sandbox, spec);
        let want = Identity::of(uid, uid, &[]);
        assert_dropped(&format!("tend, {spec}"), &tend, &want);
        assert_dropped(&format!("child, {spec}"), &child, &want);
    }
    let (_, child) = identities(&sandbox, "4321:77");
    assert_dropped("child, 4321:77", &child, &Identity::of(4321, 77, &[]));
}

/// The child's environment, from the fixture's `env` mode, started with
/// USER and LOGNAME removed and HOME=/root, as a root shell would have it.
fn child_env(sandbox: &Sandbox, user: &str) -> Vec<String> {
    let mut cmd = sandbox.command(&["--user", user, "--", &sandbox.fixture, "env"]);
    cmd.env_remove("USER")
        .env_remove("LOGNAME")
        .env("HOME", "/root")
        .env("TEND_TEST_PASSES", "through");
    let outcome = sandbox.run(cmd);
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    outcome.stdout
}

#[test]
fn home_user_and_logname_come_from_passwd() {
    if !have_root("home_user_and_logname_come_from_passwd") {
        return;
    }
    let sandbox = Sandbox::new("env");
    let cases: [(&str, &[&str], &[&str]); 3] = [
        ("app", &["HOME=/home/app", "USER=app", "LOGNAME=app"], &[]),
        (
            "65532:shared",
            &["HOME=/home/nonroot", "USER=nonroot", "LOGNAME=nonroot"],
            &[],
        ),
        // No entry, no name: HOME is /, never the /root tend was given.
        ("4321", &["HOME=/"], &["USER=", "LOGNAME="]),
    ];
    for (user, present, absent) in cases {
        let env = child_env(&sandbox, user);
        for want in present.iter().chain(&["TEND_TEST_PASSES=through"]) {
            assert!(
                env.iter().any(|line| line == want),
                "{user}: no {want} in {env:?}"
            );
        }
        for prefix in absent.iter().chain(&["HOME=/root"]) {
            assert!(
                !env.iter().any(|line| line.starts_with(prefix)),
                "{user}: {prefix} in {env:?}"
            );
        }
    }
}

#[test]
fn a_bare_uid_is_never_told_it_is_root() {
    if !have_root("a_bare_uid_is_never_told_it_is_root") {
        return;
    }
    // The field report: root's USER and LOGNAME reached a process running as 4242.
    let sandbox = Sandbox::new("bare-uid-env");
    let mut cmd = sandbox.command(&["--user", "4242", "--", &sandbox.fixture, "env"]);
    cmd.env("USER", "root")
        .env("LOGNAME", "root")
        .env("HOME", "/root");
    let outcome = sandbox.run(cmd);
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    let env = outcome.stdout;
    for prefix in ["USER=", "LOGNAME=", "HOME=/root"] {
        assert!(
            !env.iter().any(|line| line.starts_with(prefix)),
            "{prefix} in {env:?}"
        );
    }
    assert!(env.iter().any(|line| line == "HOME=/"), "{env:?}");
}

#[test]
fn a_failure_with_many_groups_is_still_one_bounded_log_line() {
    if !have_root("a_failure_with_many_groups_is_still_one_bounded_log_line") {
        return;
    }
    // More groups than NGROUPS_MAX (65536): setgroups fails, as it must, and
    // the one line that says why must stay small enough for a log pipeline.
    let sandbox = Sandbox::new("many-groups");
    let mut group = String::from("app:x:1000:\n");
    for gid in 10_000..80_000 {
        group.push_str(&format!("g{gid}:x:{gid}:app\n"));
    }
    sandbox.write("many-groups", &group, 0o644);
    let cmd = sandbox.command_with(
        Etc::Files("passwd", "many-groups"),
        &[],
        &["--user", "app", "--", &sandbox.fixture, "exit", "0"],
    );
    let outcome = sandbox.run(cmd);
    assert_eq!(outcome.code, Some(125), "{outcome:?}");
    let lines: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {} bytes", outcome.stderr.len());
    assert!(
        lines[0].len() < 4096,
        "a {}-byte line (bounded at 4096)",
        lines[0].len()
    );
    let record: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert!(
        record["msg"]
            .as_str()
            .is_some_and(|m| m.contains("setgroups")),
        "{record}"
    );
}

#[test]
fn no_new_privs_reaches_the_child() {
    if !have_root("no_new_privs_reaches_the_child") {
        return;
    }
    let sandbox = Sandbox::new("nnp");
    for (flags, want) in [(&["--no-new-privs"][..], "1"), (&[][..], "0")] {
        let mut args = vec!["--user", "app"];
        args.extend(flags);
        args.extend(["--", &sandbox.fixture, "status"]);
        let outcome = sandbox.run(sandbox.command(&args));
        assert_eq!(outcome.code, Some(0), "{outcome:?}");
        let status = outcome.stdout.join("\n");
        assert_eq!(
            field(&status, "NoNewPrivs"),
            Some(want),
            "{flags:?}: {status}"
        );
    }
}

/// What the fixture's `try-root`, run by a shell that is the child, reports.
fn try_root(sandbox: &Sandbox, flags: &[&str], program: &str) -> String {
    let mut args = vec!["--user", "app"];
    args.extend(flags);
    // `; true` keeps the shell from exec'ing: the program is the child's child.
    args.extend(["--", "sh", "-c", r#""$0" try-root; true"#, program]);
    let outcome = sandbox.run(sandbox.command(&args));
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    outcome.stdout.join("\n")
}

#[test]
fn a_process_started_by_the_child_cannot_regain_root() {
    if !have_root("a_process_started_by_the_child_cannot_regain_root") {
        return;
    }
    let sandbox = Sandbox::new("try-root");
    assert_eq!(
        try_root(&sandbox, &[], &sandbox.fixture),
        "setuid(0) failed"
    );
}

#[test]
fn no_new_privs_defuses_a_setuid_root_program() {
    if !have_root("no_new_privs_defuses_a_setuid_root_program") {
        return;
    }
    let sandbox = Sandbox::new("setuid");
    let suid = sandbox.path("tend-fixture-suid");
    fs::copy(fixture(), &suid).expect("copy the fixture");
    set_mode(Path::new(&suid), 0o4755);
    // Without the flag, the setuid bit gives root back: the hole it closes.
    assert_eq!(try_root(&sandbox, &[], &suid), "setuid(0) succeeded");
    assert_eq!(
        try_root(&sandbox, &["--no-new-privs"], &suid),
        "setuid(0) failed"
    );
}

#[test]
fn the_supervisor_keeps_working_as_the_user() {
    if !have_root("the_supervisor_keeps_working_as_the_user") {
        return;
    }
    let sandbox = Sandbox::new("supervise");
    let mut tend = sandbox.start(&["--user", "app", "--", &sandbox.fixture, "signals", "1"]);
    tend.expect_line("ready");
    tend.signal(libc::SIGUSR1);
    tend.expect_line(&format!("got {}", libc::SIGUSR1));
    let outcome = tend.wait();
    assert_eq!(outcome.code, Some(0), "{outcome:?}");

    // Orphans of a dropped child are still reaped by the dropped tend.
    let mut tend = sandbox.start(&[
        "-w",
        "--user",
        "app",
        "--",
        &sandbox.fixture,
        "orphans",
        "5",
    ]);
    tend.expect_line("orphaned 5");
    let reaped = |tend: &Tend| common::reaped_lines(&tend.stderr());
    common::wait_for("the dropped tend to reap 5 orphans", || {
        (reaped(&tend) >= 5).then_some(())
    });
    tend.signal(libc::SIGTERM);
    let outcome = tend.wait();
    assert_eq!(outcome.code, Some(128 + libc::SIGTERM), "{outcome:?}");
}

#[test]
fn as_the_same_user_without_root_it_is_a_no_op() {
    if !have_root("as_the_same_user_without_root_it_is_a_no_op") {
        return;
    }
    let sandbox = Sandbox::new("same-user");
    for user in ["nonroot", "65532", "65532:65532", "nonroot:nonroot"] {
        let args = ["--user", user, "--", &sandbox.fixture, "status"];
        let outcome = sandbox.run(sandbox.command_with(FILES, AS_NONROOT, &args));
        assert_eq!(outcome.code, Some(0), "{user}: {outcome:?}");
        let status = outcome.stdout.join("\n");
        assert_dropped(user, &status, &Identity::of(65532, 65532, &[]));
    }
}

/// Already the --user uid and gid, but with groups the user's entry does
/// not list (`docker run --user 65532 --group-add 7`): with
/// --user-required, they stay, since only root could shed them, and a
/// warning names them.
#[test]
fn groups_the_user_does_not_list_stay_and_are_named() {
    if !have_root("groups_the_user_does_not_list_stay_and_are_named") {
        return;
    }
    let sandbox = Sandbox::new("extra-groups");
    let with_groups = [
        "setpriv",
        "--reuid",
        "65532",
        "--regid",
        "65532",
        "--groups",
        "7,8,65532",
    ];
    let args = [
        "--user-required",
        "--user",
        "nonroot",
        "--",
        &sandbox.fixture,
        "status",
    ];
    let outcome = sandbox.run(sandbox.command_with(FILES, &with_groups, &args));
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    let child = outcome.stdout.join("\n");
    assert_eq!(
        Identity::parse(&child),
        Identity::of(65532, 65532, &[7, 8, 65532])
    );
    let lines = json_lines(&outcome.stderr);
    let warned: Vec<_> = lines
        .iter()
        .filter(|r| {
            r["msg"]
                .as_str()
                .is_some_and(|m| m.contains("groups it does not list stay"))
        })
        .collect();
    assert_eq!(warned.len(), 1, "one warning: {lines:?}");
    assert_eq!(warned[0]["level"], "warn", "{}", warned[0]);
    assert_eq!(warned[0]["extra_groups"], "[7, 8]", "{}", warned[0]);
}

/// tend as uid 4242 gid 4343, as `docker run --user 4242:4343` starts it.
const AS_OTHER: &[&str] = &[
    "setpriv",
    "--reuid",
    "4242",
    "--regid",
    "4343",
    "--clear-groups",
];

#[test]
fn without_root_user_and_chown_are_skipped_and_said_once() {
    if !have_root("without_root_user_and_chown_are_skipped_and_said_once") {
        return;
    }
    // docker run --user, Kubernetes' runAsUser, OpenShift's random uid (issue 18 #15).
    let sandbox = Sandbox::new("not-root");
    let data = sandbox.path("data");
    fs::create_dir(&data).expect("mkdir data");
    let status = [&sandbox.fixture, "status"];
    let cases: [(&[&str], bool); 3] = [
        (&["--user", "app"], false),
        (&["--user", "app:extra", "--chown", &data], true),
        (&["--user", "ghost"], false),
    ];
    for (flags, chown) in cases {
        let args = [&["--log-level", "info"], flags, &["--"], &status[..]].concat();
        let outcome = sandbox.run(sandbox.command_with(FILES, AS_OTHER, &args));
        let what = format!("{flags:?}");
        assert_eq!(outcome.code, Some(0), "{what}: {outcome:?}");
        let child = outcome.stdout.join("\n");
        assert_eq!(
            Identity::parse(&child),
            Identity::of(4242, 4343, &[]),
            "{what}"
        );
        let lines = json_lines(&outcome.stderr);
        let skipped: Vec<_> = lines
            .iter()
            .filter(|r| r["msg"].as_str().is_some_and(|m| m.contains("not root")))
            .collect();
        assert_eq!(skipped.len(), 1, "{what}: one line: {lines:?}");
        let line = skipped[0];
        assert_eq!(line["level"], "info", "{what}: {line}");
        assert_eq!(
            (line["uid"].as_u64(), line["gid"].as_u64()),
            (Some(4242), Some(4343))
        );
        let msg = line["msg"].as_str().unwrap_or_default();
        assert!(
            msg.contains("--user") && msg.contains("uid 4242 gid 4343"),
            "{msg}"
        );
        assert_eq!(msg.contains("--chown"), chown, "{what}: {msg}");
        assert_eq!(
            fs::metadata(&data)
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
                .ok(),
            Some(0),
            "{what}: --chown changed nothing"
        );
    }
    // The exit status is the app's.
    let exit = ["--user", "app", "--", &sandbox.fixture, "exit", "7"];
    let outcome = sandbox.run(sandbox.command_with(FILES, AS_OTHER, &exit));
    assert_eq!(outcome.code, Some(7), "{outcome:?}");
    assert_eq!(outcome.stderr, "", "not logged at the default level");
}

#[test]
fn user_required_refuses_to_start_without_root() {
    if !have_root("user_required_refuses_to_start_without_root") {
        return;
    }
    let sandbox = Sandbox::new("user-required");
    let marker = sandbox.path("ran");
    let program = ["--", "sh", "-c", r#": > "$0""#, &marker];
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 3] = [
        (&["--user-required", "--user", "app"], &[]),
        (&["--user", "app"], &[("TEND_USER_REQUIRED", "1")]),
        // The cause, not --chown's EPERM that would follow from it.
        (&["--user-required", "--chown", "/", "--user", "app"], &[]),
    ];
    for (flags, env) in cases {
        let mut cmd = sandbox.command_with(FILES, AS_OTHER, &[flags, &program[..]].concat());
        cmd.envs(env.iter().copied());
        let outcome = sandbox.run(cmd);
        let what = format!("{flags:?} {env:?}");
        assert_eq!(outcome.code, Some(125), "{what}: {outcome:?}");
        assert!(!Path::new(&marker).exists(), "{what}: the program ran");
        let lines: Vec<&str> = outcome.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: one line, not {lines:?}");
        for needle in ["--user 'app'", "uid 4242 gid 4343", "not as root"] {
            assert!(
                lines[0].contains(needle),
                "{what}: {:?} lacks {needle:?}",
                lines[0]
            );
        }
    }
    // A switch about --user needs --user.
    let outcome = sandbox.run(sandbox.command_with(
        FILES,
        AS_OTHER,
        &[&["--user-required"], &program[..]].concat(),
    ));
    assert_eq!(outcome.code, Some(125), "{outcome:?}");
    assert!(
        outcome.stderr.contains("--user-required needs --user"),
        "{outcome:?}"
    );
}

#[test]
fn without_etc_files_numbers_still_work() {
    if !have_root("without_etc_files_numbers_still_work") {
        return;
    }
    // A FROM scratch image has no /etc at all; --user 1000:1000 must still drop.
    let sandbox = Sandbox::new("scratch");
    for (user, want) in [
        ("1000:1000", Identity::of(1000, 1000, &[])),
        ("4321", Identity::of(4321, 4321, &[])),
    ] {
        let args = ["--user", user, "--", &sandbox.fixture, "status"];
        let outcome = sandbox.run(sandbox.command_with(Etc::Empty, &[], &args));
        assert_eq!(outcome.code, Some(0), "{user}: {outcome:?}");
        assert_dropped(user, &outcome.stdout.join("\n"), &want);
    }
}

#[test]
fn errors_exit_125_and_never_start_the_program() {
    if !have_root("errors_exit_125_and_never_start_the_program") {
        return;
    }
    let sandbox = Sandbox::new("errors");
    sandbox.write("passwd-locked", PASSWD, 0o000);
    sandbox.write("group-locked", GROUP, 0o000);
    let locked_passwd = Etc::Files("passwd-locked", "group");
    let locked_group = Etc::Files("passwd", "group-locked");
    let cases: [(&str, Etc, &[&str], &[&str]); 16] = [
        ("ghost", FILES, &[], &["no user 'ghost' in /etc/passwd"]),
        ("short", FILES, &[], &["no user 'short' in /etc/passwd"]),
        (
            "app:ghosts",
            FILES,
            &[],
            &["no group 'ghosts' in /etc/group"],
        ),
        (
            "app",
            Etc::Empty,
            &[],
            &["no user 'app': /etc/passwd does not exist"],
        ),
        (
            "0:app",
            Etc::Empty,
            &[],
            &["no group 'app': /etc/group does not exist"],
        ),
        (
            "app",
            locked_passwd,
            NO_DAC,
            &["cannot read /etc/passwd", "Permission denied"],
        ),
        (
            "app",
            locked_group,
            NO_DAC,
            &["cannot read /etc/group", "Permission denied"],
        ),
        (
            "app",
            FILES,
            AS_NONROOT,
            &["uid 65532", "not as root", "uid 1000 gid 1000"],
        ),
        (
            "nonroot:app",
            FILES,
            AS_NONROOT,
            &["not as root", "gid 1000"],
        ),
        (
            "app",
            FILES,
            NO_SETGID,
            &["setgroups([1000, 2000, 2001]) failed", "not permitted"],
        ),
        (
            "app",
            FILES,
            NO_SETUID,
            &["setuid(1000) failed", "not permitted"],
        ),
        (
            "app",
            FILES,
            KEEP_CAPS,
            &["setuid(0) still succeeds", "refusing"],
        ),
        ("app:", FILES, &[], &["'app:'", "group is empty"]),
        (":app", FILES, &[], &["user is empty"]),
        ("a:b:c", FILES, &[], &["more than one ':'"]),
        ("4294967295", FILES, &[], &["uid is out of range"]),
    ];
    let marker = sandbox.path("ran");
    for (user, etc, wrapper, needles) in cases {
        // Without root, only --user-required makes a --user it cannot become an error.
        let strict: &[&str] = match wrapper == AS_NONROOT {
            true => &["--user-required"],
            false => &[],
        };
        let args = [
            "--user",
            user,
            "--",
            "sh",
            "-c",
            r#"echo ran; : > "$0""#,
            &marker,
        ];
        let args = [strict, &args[..]].concat();
        let outcome = sandbox.run(sandbox.command_with(etc, wrapper, &args));
        let what = format!("--user {user} {wrapper:?}");
        assert_eq!(outcome.code, Some(125), "{what}: {outcome:?}");
        assert!(
            outcome.stdout.is_empty(),
            "{what}: the program ran: {outcome:?}"
        );
        assert!(!Path::new(&marker).exists(), "{what}: the program ran");
        let lines: Vec<&str> = outcome
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "{what}: one line, not {lines:?}");
        for needle in needles {
            assert!(
                lines[0].contains(needle),
                "{what}: {:?} lacks {needle:?}",
                lines[0]
            );
        }
    }
}

#[test]
fn the_machine_keeps_its_own_files() {
    if !have_root("the_machine_keeps_its_own_files") {
        return;
    }
    let before = fs::read("/etc/passwd").expect("the machine's /etc/passwd");
    let sandbox = Sandbox::new("host");
    let mut tend = sandbox.start(&["--user", "app", "--", &sandbox.fixture, "wait"]);
    tend.expect_line("ready");
    // While the bind mounts exist inside, none of them shows outside.
    let mounts = fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let ours = sandbox.dir.root().display().to_string();
    assert!(!mounts.contains(&ours), "a sandbox mount leaked: {mounts}");
    assert_eq!(fs::read("/etc/passwd").expect("/etc/passwd"), before);
    tend.signal(libc::SIGTERM);
    tend.wait();
}
