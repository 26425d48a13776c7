//! End to end: tend as the engine's own init. `docker run --init` runs the
//! binary that dockerd's `--init-path` names (tests/engines/dockerd.sh gives
//! it the static tend) as /sbin/docker-init; `podman run --init --init-path
//! TEND` runs it as /run/podman-init. Either way the image holds no init of
//! its own: the engine mounts tend and runs `INIT -- ENTRYPOINT CMD`, and
//! tend's options come from TEND_* variables passed with `-e`.
//!
//! The scenarios run under both engines (`podman::NAME`, `docker::NAME`):
//! tend is PID 1 and reaps, forwards `kill -s` signals, passes exit codes on
//! (128 + N for a death by signal N), lets Ctrl-C on a terminal reach the
//! app, and logs its JSON events. Then what `docker info` and `docker
//! version` say about the init they found.

mod common;

use std::fs;
use std::process::Command;

use common::engine::{
    Container, DOCKER, Engine, Image, Kind, NONROOT, Terminal, cmdline, ids, orphans_reported,
    process_named, processes, wait_until_reaped,
};
use common::{TEND, field, json_lines, static_tend};
use serde_json::Value;

/// True when `engine --init` runs this build of tend: dockerd must have
/// been started with it as --init-path (tests/engines/dockerd.sh). podman
/// takes the path on each run. Skips elsewhere, fails loudly under CI.
fn init_is_this_tend(engine: &'static Engine, test: &str) -> bool {
    if !engine.available(test) {
        return false;
    }
    if engine.kind == Kind::Podman {
        return true;
    }
    let path = DOCKER.ok(&["info", "--format", "{{.InitBinary}}"]);
    let path = path.trim();
    let tend = static_tend();
    if fs::read(path).ok() == fs::read(&tend).ok() {
        return true;
    }
    let why = format!(
        "dockerd's init is {path}, not this build of tend ({}): start dockerd with \
         tests/engines/dockerd.sh, as tests/run.sh does",
        tend.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{test}: {why}");
    eprintln!("skipping {test}: {why}");
    false
}

/// `ENGINE run -d --network none --init … OPTIONS tools ARGS`.
fn run_with_init(
    engine: &'static Engine,
    name: &str,
    options: &[&str],
    args: &[&str],
) -> Container {
    let (init, _) = engine.init_options();
    let mut all: Vec<&str> = init.iter().map(String::as_str).collect();
    all.extend_from_slice(options);
    Container::run(engine.unique(name), Image::tools(engine), &all, args)
}

crate::under_every_engine!(
    init_is_tend_as_pid1_and_reaps_orphans,
    init_forwards_signals_and_passes_exit_codes,
    init_lets_ctrl_c_on_a_terminal_reach_the_app,
    init_logs_with_tend_variables_and_stops_gracefully,
);

/// PID 1 is the engine's init, and it is tend: the binary's bytes are this
/// build's. The app is its child and runs as the image's USER; every orphan
/// is reaped.
fn init_is_tend_as_pid1_and_reaps_orphans(engine: &'static Engine, test: &str) {
    if !init_is_this_tend(engine, test) {
        return;
    }
    let (_, init_path) = engine.init_options();
    let container = run_with_init(
        engine,
        test,
        &["-e", "ORPHAN_EVERY=0.2", "-e", "WARMUP=0"],
        &["/app"],
    );
    container.wait_for_log("\"left an orphan\"", 5);

    let host_pid1 = container.pid1();
    assert_eq!(
        cmdline(host_pid1),
        [init_path, "--", "/app"],
        "PID 1 is the engine's init, given `-- CMD`"
    );
    let exe = fs::read(format!("/proc/{host_pid1}/exe")).expect("PID 1's executable");
    let tend = fs::read(static_tend()).expect("the static tend");
    assert!(
        exe == tend,
        "{init_path} ({} bytes) is this build of tend ({} bytes)",
        exe.len(),
        tend.len()
    );
    let pid1 = processes(host_pid1)
        .into_iter()
        .find(|p| p.host_pid == host_pid1)
        .expect("PID 1 in /proc");
    let basename = init_path.rsplit('/').next().unwrap_or(init_path);
    assert_eq!(
        (pid1.pid, pid1.name.as_str()),
        (1, basename),
        "(pid inside, name) of the container's PID 1"
    );
    let app = process_named(host_pid1, "app");
    assert_eq!(
        field(&app.status, "PPid"),
        Some(host_pid1.to_string().as_str()),
        "the app's parent against the init's host pid: the app is the init's child"
    );
    assert_eq!(
        ids(&app.status, "Uid"),
        [NONROOT; 4],
        "the app runs as the image's USER"
    );

    let orphans = orphans_reported(&container.logs().0);
    assert!(
        orphans.len() >= 5,
        "the app reported its orphans: {orphans:?}"
    );
    wait_until_reaped(host_pid1, &orphans);
}

/// `kill -s` reaches the app through tend, and the engine reports the app's
/// exit code: its own, or 128 + N after a death by signal N.
fn init_forwards_signals_and_passes_exit_codes(engine: &'static Engine, test: &str) {
    if !init_is_this_tend(engine, test) {
        return;
    }
    let signals = run_with_init(engine, test, &[], &["/fixture", "signals", "4"]);
    signals.four_signals_reach_the_fixture();

    // A death by signal: the fixture's `wait` leaves USR1 at its default.
    let dies = run_with_init(
        engine,
        &format!("{test}_signal"),
        &[],
        &["/fixture", "wait"],
    );
    dies.wait_for_log("ready", 1);
    dies.kill("USR1");
    assert_eq!(dies.exit_code(), 128 + 10, "a death by SIGUSR1: 128 + 10");

    // A plain exit code, as `ENGINE run` in the foreground returns it.
    let name = engine.unique(&format!("{test}_exit"));
    let _exits = Container::named(engine, name.clone());
    let (init, _) = engine.init_options();
    let mut argv = vec!["run", "--name", &name, "--network", "none"];
    argv.extend(init.iter().map(String::as_str));
    argv.extend([Image::tools(engine).name.as_str(), "/fixture", "exit", "3"]);
    let out = engine.output(&argv);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{} run --init … /fixture exit 3: {out:?}",
        engine.program()
    );
}

/// `ENGINE run -it --init`, and Ctrl-C: tend gives the app the terminal, so
/// SIGINT reaches it; the app stops gracefully and the run exits 0. A
/// program that leaves SIGINT at its default dies of it: 130.
fn init_lets_ctrl_c_on_a_terminal_reach_the_app(engine: &'static Engine, test: &str) {
    if !init_is_this_tend(engine, test) {
        return;
    }
    let (init, _) = engine.init_options();
    let tools = Image::tools(engine);
    let run_it = |name: &str, args: &[&str]| -> (Container, Terminal) {
        let container = Container::named(engine, engine.unique(name));
        let mut argv = vec!["run", "-it", "--name", &container.name, "--network", "none"];
        argv.extend(init.iter().map(String::as_str));
        argv.extend(["-e", "WARMUP=0", tools.name.as_str()]);
        argv.extend_from_slice(args);
        let terminal = Terminal::run(engine, &argv);
        (container, terminal)
    };

    let (container, mut terminal) = run_it(test, &["/app"]);
    terminal.wait_for("\"listening\"");
    terminal.type_bytes(b"\x03");
    let (status, shown) = terminal.wait();
    assert!(
        shown.contains("\"stop requested\",\"signal\":\"SIGINT\"") && shown.contains("\"stopped\""),
        "the app stopped gracefully on SIGINT; the terminal showed:\n{shown}"
    );
    assert_eq!(
        status.code(),
        Some(0),
        "{} run -it --init exits with the app's code; the terminal showed:\n{shown}",
        engine.program()
    );
    assert_eq!(container.exit_code(), 0, "the container's exit code");

    let (_stubborn, mut terminal) = run_it(&format!("{test}_stubborn"), &["/stubborn"]);
    terminal.wait_for("running");
    terminal.type_bytes(b"\x03");
    let (status, shown) = terminal.wait();
    assert_eq!(
        status.code(),
        Some(128 + 2),
        "stubborn under the init dies of Ctrl-C's SIGINT: 128 + 2; the terminal showed:\n{shown}"
    );
}

/// `-e TEND_LOG_LEVEL=info`: tend's events appear as JSON lines on the
/// container's stderr; a stop is forwarded, graceful, and quick.
fn init_logs_with_tend_variables_and_stops_gracefully(engine: &'static Engine, test: &str) {
    if !init_is_this_tend(engine, test) {
        return;
    }
    let container = run_with_init(
        engine,
        test,
        &["-e", "TEND_LOG_LEVEL=info", "-e", "WARMUP=0"],
        &["/app"],
    );
    container.wait_for_log("\"listening\"", 1);
    // The exit code is the proof of a graceful stop: the timeout's SIGKILL would make it 137.
    let (_, code) = container.stop();
    let (stdout, stderr) = container.logs();
    assert_eq!(code, 0, "the app's graceful exit code; app logs:\n{stdout}");

    let events = json_lines(&stderr);
    let event = |msg: &str| -> &Value {
        events
            .iter()
            .find(|e| e["msg"] == msg)
            .unwrap_or_else(|| panic!("no {msg:?} event in tend's stderr:\n{stderr}"))
    };
    assert_eq!(event("child started")["program"], "/app", "{stderr}");
    assert_eq!(event("forwarded signal")["signal"], "SIGTERM", "{stderr}");
    assert_eq!(event("tend exiting")["exit_code"], 0, "{stderr}");
}

// ---------------------------------------------------------------------------
// What Docker reports about its init

/// (version, commit) from `tend version X - git.H`, tend's own `--version`.
fn tend_version() -> (String, String) {
    let out = Command::new(static_tend())
        .arg("--version")
        .output()
        .expect("run tend --version");
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let parsed = line
        .strip_prefix("tend version ")
        .and_then(|rest| rest.split_once(" - git."));
    let (version, commit) =
        parsed.unwrap_or_else(|| panic!("tend --version: {line:?}, not `tend version X - git.H`"));
    (version.to_string(), commit.to_string())
}

/// Under the name docker-init, `--version` is tini's shape, the only one
/// dockerd parses (it reads a version only after `tini version `), with
/// `_tend` after the version as catatonit does (`0.1.7_catatonit`).
#[test]
fn tend_named_docker_init_prints_the_line_docker_parses() {
    // A hard link beside tend, not a copy: a file just written can be
    // ETXTBSY to exec while other tests fork with its descriptor still open.
    let tend_dir = std::path::Path::new(TEND)
        .parent()
        .expect("tend's directory");
    let dir = tend_dir.join(format!("tend-e2e-{}-docker-init", std::process::id()));
    let _ = fs::remove_dir_all(&dir); // a leftover of an earlier run, if any
    fs::create_dir_all(&dir).expect("create a scratch directory");
    let docker_init = dir.join("docker-init");
    fs::hard_link(TEND, &docker_init).expect("link tend as docker-init");
    let out = Command::new(&docker_init).arg("--version").output();
    let _ = fs::remove_dir_all(&dir); // only our scratch link
    let out = out.expect("run docker-init --version");
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let plain = Command::new(TEND)
        .arg("--version")
        .output()
        .expect("run tend --version");
    let plain = String::from_utf8_lossy(&plain.stdout).trim().to_string();
    let commit = plain
        .rsplit_once(" - git.")
        .map(|(_, commit)| commit.to_string())
        .unwrap_or_else(|| panic!("tend --version: {plain:?}"));
    assert!(out.status.success(), "docker-init --version: {out:?}");
    assert_eq!(
        line,
        format!(
            "tini version {}_tend - git.{commit}",
            env!("CARGO_PKG_VERSION")
        ),
        "tend --version under the name docker-init (as tend: {plain:?})"
    );
    assert_eq!(
        plain,
        format!("tend version {} - git.{commit}", env!("CARGO_PKG_VERSION")),
        "tend --version under its own name"
    );
}

/// `docker info` and `docker version` run `docker-init --version` and show
/// what they parsed: tend's version, marked `_tend`, and its commit.
#[test]
fn docker_info_and_version_show_tend_as_docker_init() {
    let test = "docker_info_and_version_show_tend_as_docker_init";
    if !init_is_this_tend(&DOCKER, test) {
        return;
    }
    let (version, commit) = tend_version();
    let components: Value =
        serde_json::from_str(&DOCKER.ok(&["version", "--format", "{{json .Server.Components}}"]))
            .expect("docker version's components as JSON");
    let init = components
        .as_array()
        .and_then(|all| all.iter().find(|c| c["Name"] == "docker-init"))
        .unwrap_or_else(|| {
            panic!("no docker-init among docker version's components: {components}")
        });
    let info: Value =
        serde_json::from_str(&DOCKER.ok(&["info", "--format", "{{json .InitCommit}}"]))
            .expect("docker info's InitCommit as JSON");
    println!("docker version: {init}; docker info: InitCommit {info}");
    assert_eq!(
        init["Details"]["GitCommit"], commit,
        "docker version's docker-init commit against tend's git.{commit}: {init}"
    );
    assert_eq!(
        info["ID"], commit,
        "docker info's init commit against tend's git.{commit}: {info}"
    );
    assert_eq!(
        init["Version"],
        format!("{version}_tend"),
        "docker version's docker-init version against tend's {version}: dockerd reads a \
         version only after `tini version `, so tend must print `tini version \
         {version}_tend - git.{commit}` under the name docker-init: {init}"
    );
}
