//! End to end: tend as the ENTRYPOINT of a real image, under podman + runc
//! and under Docker Engine, and in a Kubernetes Pod under `podman kube play`.
//!
//! The image is a `FROM scratch` twin of the runtime stage of
//! Dockerfile.example: the same COPY destinations, USER, EXPOSE, HEALTHCHECK,
//! ENTRYPOINT and CMD, read from that file, so the example and what is tested
//! cannot drift apart. Only the base differs (no registry is reachable here),
//! and /etc/passwd and /etc/group stand in for the ones distroless brings.
//!
//! Every scenario runs under both engines, as `podman::NAME` and
//! `docker::NAME`; tests/common/engine.rs holds what differs between them.
//! Each engine builds the twin once per test process. Each test has its own
//! container names and removes its containers when their handles drop. Tests
//! that need an engine skip without it, and fail loudly under CI. Deadlines
//! only catch hangs: a timing is asserted only against another one it must be
//! well under, and every failure says what was measured against what.
#![allow(clippy::zombie_processes)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::engine::{
    Container, ContextFile, Engine, GROUP, Image, Kind, NONROOT, PASSWD, PODMAN, Proc,
    STOP_TIMEOUT, Terminal, cmdline, ids, orphans_reported, poll, process_named, processes,
    wait_for_zombies, wait_until_reaped,
};
use common::{HANG, Scratch, field, json_lines, musl_release, owner, records, static_tend};
use serde_json::Value;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

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
/// (`.../target/x86_64-unknown-linux-musl/release/examples/app`); tend is
/// the one under test.
fn release_path(source: &str) -> PathBuf {
    let (_, built) = source
        .split_once("/release/")
        .unwrap_or_else(|| panic!("COPY source is not a release binary: {source}"));
    match built {
        "tend" => static_tend(),
        _ => musl_release().join(built),
    }
}

fn read_binary(source: &str) -> Vec<u8> {
    let path = release_path(source);
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The checklist, on Dockerfile.example itself (no engine needed)

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
// The images

/// The scratch twin of Dockerfile.example's runtime stage, built once per
/// engine and test process.
fn twin(engine: &'static Engine) -> &'static Image {
    Image::shared(engine, "twin", || {
        let mut files: Vec<ContextFile> = vec![
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
        Image::build(
            engine,
            engine.unique("twin"),
            &(lines.join("\n") + "\n"),
            &files,
        )
    })
}

/// `--entrypoint` takes one program on both engines: the rest of an
/// exec-form ENTRYPOINT goes before the arguments, which replace CMD.
fn with_entrypoint(entrypoint: &[String], args: &[String]) -> (Vec<String>, Vec<String>) {
    let (program, rest) = entrypoint.split_first().expect("an ENTRYPOINT");
    (
        vec!["--entrypoint".to_string(), program.clone()],
        rest.iter().chain(args).cloned().collect(),
    )
}

fn strs(words: &[String]) -> Vec<&str> {
    words.iter().map(String::as_str).collect()
}

/// `podman top NAME pid user args`: (pid, user, args) of each process, with
/// pids and user names as the container sees them.
fn podman_top(container: &Container) -> Vec<(i32, String, String)> {
    container
        .engine
        .ok(&["top", &container.name, "pid", "user", "args"])
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

// ---------------------------------------------------------------------------
// The scenarios, each under every engine

crate::under_every_engine!(
    a_procfile_runs_release_then_two_programs_and_stops_gracefully,
    one_program_dies_the_container_exits_with_its_status_and_comes_back,
    tend_is_pid1_and_the_app_runs_as_nonroot,
    stop_is_quick_and_graceful_with_tend_and_slow_without,
    stop_lets_requests_in_flight_finish,
    healthcheck_goes_from_starting_to_healthy_to_unhealthy,
    orphans_are_reaped_and_not_without_tend,
    logs_show_tends_json_events,
    runs_read_only_with_no_capabilities,
    tend_user_drops_from_root_to_nonroot,
    image_holds_only_the_expected_files,
    kill_signals_reach_the_app,
    ctrl_c_on_a_terminal_stops_the_app,
    a_migrated_entrypoint_runs_without_a_shell,
    restart_on_failure_brings_an_unhealthy_app_back,
    a_dry_run_says_what_the_image_would_run,
);

/// 9. A docker-entrypoint.sh migrated to tend's flags, in a `FROM scratch`
///    image with no shell (issue 10): a secret file mounted, `$PORT` expanded
///    into CMD, a template rendered on a tmpfs under --read-only, a
///    root-owned volume chowned to the app's user, and a dependency that
///    comes up late.
fn a_migrated_entrypoint_runs_without_a_shell(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let release = musl_release();
    let read = |path: &str| fs::read(release.join(path)).expect("a release binary");
    let template = b"listen ${PORT};\nhome ${HOME};\nproxy_set_header Host $host;\n".to_vec();
    let files: Vec<ContextFile> = vec![
        ("passwd".to_string(), PASSWD.as_bytes().to_vec(), 0o644),
        ("group".to_string(), GROUP.as_bytes().to_vec(), 0o644),
        (
            "tend".to_string(),
            fs::read(static_tend()).expect("the tend under test"),
            0o755,
        ),
        ("app".to_string(), read("examples/app"), 0o755),
        ("template".to_string(), template, 0o644),
    ];
    // The entrypoint.sh this replaces:
    //   file_env DB_PASSWORD; envsubst < app.conf.template > /run/app/app.conf
    //   chown -R nonroot /data; until nc -z 127.0.0.1 5432; do sleep 1; done
    //   exec gosu nonroot /app --port "$PORT"
    let containerfile = r#"FROM scratch
COPY passwd /etc/passwd
COPY group /etc/group
COPY tend /tend
COPY app /app
COPY template /etc/app/app.conf.template
ENV PORT=8080 WARMUP=0 ORPHAN_EVERY=0
ENTRYPOINT ["/tend", "-v", "--file-env", "DB_PASSWORD", "--expand", "--default-program", "/app", "--render", "/etc/app/app.conf.template:/run/app/app.conf", "--chown", "/data", "--wait-for", "tcp://127.0.0.1:5432", "--user", "nonroot", "--"]
CMD ["--port", "$PORT"]
"#;
    let image = Image::build(engine, engine.unique(test), containerfile, &files);
    let host = Scratch::new(&engine.unique(&format!("{test}-host")));
    let secret = host.path("db-password");
    fs::write(&secret, "s3cret\n").expect("write the secret");
    let data = host.path("data");
    fs::create_dir_all(data.join("nested")).expect("the volume");
    fs::write(data.join("nested/file"), "x").expect("a file in the volume");
    let (secret_mount, data_mount) = (
        format!("{}:/run/secrets/db:ro", secret.display()),
        format!("{}:/data", data.display()),
    );
    let options = [
        "--read-only",
        "--tmpfs",
        "/run/app",
        "--user",
        "0:0",
        "-v",
        &secret_mount,
        "-v",
        &data_mount,
        "-e",
        "DB_PASSWORD_FILE=/run/secrets/db",
        "-e",
        "PORT=8123",
    ];
    let container = Container::run(engine.unique(test), &image, &options, &[]);
    // tend waits for the dependency: the app has not started a second later.
    thread::sleep(Duration::from_secs(1));
    let (stdout, stderr) = container.logs();
    assert!(
        !stdout.contains("listening"),
        "the app started before its dependency:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("dependency not ready yet"),
        "tend says it waits:\n{stderr}"
    );
    // The dependency comes up late: another process in the container listens on 5432.
    engine.ok(&[
        "exec",
        "-d",
        "--user",
        "65532",
        "-e",
        "PORT=5432",
        &container.name,
        "/app",
    ]);
    container.wait_for_log("\"port\":8123", 1);
    let host_pid1 = container.pid1();
    // Two processes named app: the dependency, and tend's child, the one with --port.
    let app = processes(host_pid1)
        .into_iter()
        .find(|p| p.name == "app" && cmdline(p.host_pid).contains(&"--port".to_string()))
        .expect("tend's child, the app");
    assert_eq!(
        cmdline(app.host_pid),
        ["/app", "--port", "8123"],
        "$PORT expanded, /app put in front"
    );
    assert_eq!(
        ids(&app.status, "Uid"),
        [NONROOT; 4],
        "the app runs as nonroot"
    );
    let environ =
        fs::read(format!("/proc/{}/environ", app.host_pid)).expect("the app's environment");
    let environ: Vec<String> = environ
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    assert!(
        environ.iter().any(|v| v == "DB_PASSWORD=s3cret"),
        "the secret, from its file"
    );
    assert!(
        !environ.iter().any(|v| v.starts_with("DB_PASSWORD_FILE=")),
        "{environ:?}"
    );
    let rendered = format!("/proc/{host_pid1}/root/run/app/app.conf");
    assert_eq!(
        fs::read_to_string(&rendered).expect("the rendered template, on the tmpfs"),
        "listen 8123;\nhome /home/nonroot;\nproxy_set_header Host $host;\n"
    );
    assert_eq!(
        owner(Path::new(&rendered)),
        (NONROOT, NONROOT),
        "the app's to read"
    );
    for entry in ["", "nested", "nested/file"] {
        assert_eq!(
            owner(&data.join(entry)),
            (NONROOT, NONROOT),
            "/data/{entry} chowned"
        );
    }
    let (_, stderr) = container.logs();
    assert!(
        !stderr.contains("s3cret"),
        "the secret in tend's log:\n{stderr}"
    );
    let (_, code) = container.stop();
    assert_eq!(code, 0, "a graceful stop");
}

/// 10. `--health`: tend stops an app that went unhealthy and exits 69, and
///     the engine's ordinary `--restart on-failure` brings it back, with no
///     Docker socket in sight (issue 11).
fn restart_on_failure_brings_an_unhealthy_app_back(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let options = [
        "--restart",
        "on-failure",
        "-e",
        "WARMUP=0",
        "-e",
        "ORPHAN_EVERY=0",
        "--entrypoint",
        "/tend",
    ];
    let watchdog = [
        "-v",
        "--health",
        "http://127.0.0.1:8080/health",
        "--health-interval",
        "300ms",
        "--health-retries",
        "2",
        "--",
        "/app",
    ];
    let container = Container::run(
        engine.unique(test),
        Image::tools(engine),
        &options,
        &watchdog,
    );
    container.wait_for_log("\"listening\"", 1);
    // The app turns unhealthy: flip it with tend's probe, the only HTTP client in the image.
    let out = container.exec(&["/tend", "--probe", "http://127.0.0.1:8080/toggle"]);
    assert!(out.status.success(), "flip via /toggle: {out:?}");
    // Stopped by tend, restarted by the engine: a second start of the app.
    container.wait_for_log("\"listening\"", 2);
    let (_, stderr) = container.logs();
    assert!(
        stderr.contains("the app is unhealthy"),
        "tend's reason:\n{stderr}"
    );
    let restarts: u32 = container.inspect("{{.RestartCount}}").parse().unwrap_or(0);
    assert!(restarts >= 1, "RestartCount {restarts}:\n{stderr}");
    assert!(container.running(), "running again after the restart");
}

/// 12. `-e TEND_DRY_RUN=1` on the image, ENTRYPOINT ["/tend", "--"] as
///     baked: one JSON object on stdout, what a start would run, and exit 0;
///     the app never starts (issue 20 #2).
fn a_dry_run_says_what_the_image_would_run(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let name = engine.unique(test);
    // Removed on drop; `run` without -d waits for the end and gives stdout.
    let _container = Container::named(engine, name.clone());
    let out = engine.output(&[
        "run",
        "--name",
        &name,
        "--network",
        "none",
        "-e",
        "TEND_DRY_RUN=1",
        "-e",
        "TEND_GRACE=5s",
        &image.name,
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one JSON object, and nothing of the app's: {stdout}"
    );
    let report: Value = serde_json::from_str(lines[0]).expect("the report is JSON");
    assert_eq!(
        report["argv"],
        serde_json::json!(cmd()),
        "CMD, as it would run"
    );
    assert_eq!(report["program"], cmd()[0].as_str());
    assert_eq!(report["user"]["uid"], NONROOT, "the image's USER");
    let settings = report["settings"].as_array().expect("settings");
    let row = |option: &str| {
        settings
            .iter()
            .find(|r| r["option"] == option)
            .map(|r| (r["value"].clone(), r["source"].clone()))
            .unwrap_or_else(|| panic!("no {option}: {settings:?}"))
    };
    assert_eq!(
        row("--dry-run"),
        (Value::from("on"), Value::from("variable TEND_DRY_RUN"))
    );
    assert_eq!(
        row("--grace"),
        (Value::from("5s"), Value::from("variable TEND_GRACE"))
    );
}

/// 1. PID 1 is tend, the app its child, running as nonroot.
fn tend_is_pid1_and_the_app_runs_as_nonroot(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let container = Container::run(engine.unique(test), twin(engine), &[], &[]);
    container.wait_for_log("\"listening\"", 1);

    let host_pid1 = container.pid1();
    let procs = processes(host_pid1);
    let tend = procs
        .iter()
        .find(|p| p.host_pid == host_pid1)
        .expect("PID 1 in /proc");
    assert_eq!(
        (tend.pid, tend.name.as_str()),
        (1, "tend"),
        "the container's PID 1 (pid inside, name)"
    );
    let expected: Vec<String> = entrypoint().into_iter().chain(cmd()).collect();
    assert_eq!(
        cmdline(host_pid1),
        expected,
        "PID 1 runs the image's ENTRYPOINT + CMD"
    );
    let app = process_named(host_pid1, "app");
    assert_eq!(cmdline(app.host_pid), cmd(), "the app runs the image's CMD");
    assert_eq!(
        field(&app.status, "PPid"),
        Some(host_pid1.to_string().as_str()),
        "the app's parent against tend's host pid: the app is tend's child"
    );
    assert_eq!(ids(&app.status, "Uid"), [NONROOT; 4], "the app's Uid");
    assert_eq!(ids(&app.status, "Gid"), [NONROOT; 4], "the app's Gid");
    assert_eq!(
        field(&app.status, "CapEff"),
        Some("0000000000000000"),
        "the app's CapEff"
    );
    if engine.kind == Kind::Podman {
        // podman top names the users from the image's own /etc/passwd.
        let top = podman_top(&container);
        assert!(
            top.iter()
                .any(|(_, user, args)| user == "nonroot" && *args == cmd().join(" ")),
            "podman top shows the app as nonroot: {top:?}"
        );
    }
}

/// 2. A stop is quick and graceful with tend; without it, a program that
///    leaves SIGTERM alone waits out the whole timeout as PID 1.
fn stop_is_quick_and_graceful_with_tend_and_slow_without(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let tended = Container::run(engine.unique(test), twin(engine), &[], &[]);
    let control = Container::run(
        engine.unique(&format!("{test}_control")),
        Image::tools(engine),
        &[],
        &["/stubborn"],
    );
    tended.wait_for_log("\"listening\"", 1);
    control.wait_for_log("running", 1);

    // Both at once: the control takes the full timeout, and this test need not wait twice.
    let ((tend_took, tend_code), (control_took, control_code)) = thread::scope(|s| {
        let control = s.spawn(|| control.stop());
        let tended = tended.stop();
        (tended, control.join().expect("stop the control"))
    });
    let program = engine.program();
    println!(
        "{program} stop -t {STOP_TIMEOUT}: with tend {tend_took:.2?} (exit {tend_code}); \
         control without tend {control_took:.2?} (exit {control_code})"
    );

    let (stdout, _) = tended.logs();
    assert_eq!(
        tend_code, 0,
        "with tend: the app's graceful exit code; app logs:\n{stdout}"
    );
    assert!(
        stdout.contains("\"stop requested\"") && stdout.contains("\"stopped\""),
        "with tend, the app stopped gracefully:\n{stdout}"
    );
    assert_eq!(
        control_code, 137,
        "the control is SIGKILLed after the timeout"
    );
    // The control shows what waiting out the timeout costs. With tend the
    // exit code is the proof that the stop did not wait it out (the engine's
    // SIGKILL would make it 137); the times above are for the reader, since a
    // loaded machine stretches them: the bench measures them.
    assert!(
        control_took >= Duration::from_secs(STOP_TIMEOUT) - Duration::from_millis(500),
        "the control stopped in {control_took:?}, before the {STOP_TIMEOUT} s timeout ran out"
    );
}

/// 2b. A stop lets the request in flight finish before the app exits 0.
fn stop_lets_requests_in_flight_finish(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    // /slow lasts a minute, or half a second after the stop: in flight when the stop comes.
    let container = Container::run(engine.unique(test), twin(engine), &["-e", "SLOW=60"], &[]);
    container.wait_for_log("\"listening\"", 1);
    // tend's probe is the only HTTP client in the image.
    let url = app_url("/slow");
    engine.ok(&["exec", "-d", &container.name, "/tend", "--probe", &url]);
    container.wait_for_log("\"slow request started\"", 1);
    // The exit code, not the time the stop took, says the app was not killed.
    let (_, code) = container.stop();

    let (stdout, _) = container.logs();
    let lines = records(&stdout);
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
    assert_eq!(
        code, 0,
        "the app's graceful exit code, not a kill:\n{stdout}"
    );
}

/// 3. The image's HEALTHCHECK (tend --probe, no curl, no shell) follows
///    /health: starting while the app says no, then healthy, unhealthy after
///    /toggle, healthy again. The app reports unhealthy while a file on the
///    host exists, so the test, not a clock, decides when it turns healthy.
fn healthcheck_goes_from_starting_to_healthy_to_unhealthy(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let config: Value = serde_json::from_str(&engine.ok(&[
        "image",
        "inspect",
        "--format",
        engine.healthcheck_format(),
        &image.name,
    ]))
    .expect("the image's HEALTHCHECK as JSON");
    let expected: Vec<Value> = std::iter::once("CMD".to_string())
        .chain(healthcheck())
        .map(Value::from)
        .collect();
    assert_eq!(
        config["Test"],
        Value::from(expected),
        "the image keeps the HEALTHCHECK"
    );

    let flag = Scratch::new(&engine.unique(test));
    fs::write(flag.path("unhealthy"), "").expect("create the flag file");
    let mount = format!("{}:/flag:ro", flag.root().display());
    let mut options = vec![
        "-v",
        &mount,
        "-e",
        "UNHEALTHY_FILE=/flag/unhealthy",
        "-e",
        "WARMUP=0",
    ];
    options.extend_from_slice(engine.health_options());
    let container = Container::run(engine.unique(test), image, &options, &[]);
    container.wait_for_log("\"listening\"", 1);

    // While the flag exists: failing probes with tend's reason, and not healthy.
    let failed = poll(
        &format!("{}: two failed probes", container.name),
        Duration::from_millis(200),
        || {
            let status = container.health();
            let log = container.health_log();
            if log.iter().filter(|(code, _)| *code == 1).count() >= 2 {
                Ok((status, log))
            } else {
                Err(format!("{status:?}, probes {log:?}"))
            }
        },
    );
    let (status, log) = failed;
    assert!(
        log.iter()
            .all(|(code, out)| *code == 1 && out.contains("unhealthy: status 503 not in 200-399")),
        "every probe fails with tend's reason while /health says 503: {log:?}"
    );
    // dockerd does not count failures in the start period (120 s here); podman
    // counts them, and turns unhealthy after the image's --retries.
    let warming = match engine.kind {
        Kind::Docker => ["starting"].as_slice(),
        Kind::Podman => ["starting", "unhealthy"].as_slice(),
    };
    assert!(
        warming.contains(&status.as_str()),
        "status {status:?} while the app is not ready, against {warming:?}; probes {log:?}"
    );

    fs::remove_file(flag.path("unhealthy")).expect("remove the flag file");
    container.wait_for_health("healthy");
    // No curl and no shell in the image: tend --probe flips the app's health too.
    let flip = || {
        let out = container.exec(&["/tend", "--probe", &app_url("/toggle")]);
        assert!(out.status.success(), "flip via /toggle: {out:?}");
    };
    flip();
    container.wait_for_health("unhealthy");
    flip();
    container.wait_for_health("healthy");
    let log = container.health_log();
    assert!(
        log.iter()
            .any(|(code, out)| *code == 0 && out.starts_with("healthy: HTTP 200 from 127.0.0.1:")),
        "tend's own line for a healthy probe, in the health log: {log:?}"
    );
    let shell = container.exec(&["/bin/sh", "-c", "true"]);
    assert!(
        !shell.status.success(),
        "there is no shell in the image: {shell:?}"
    );
}

/// 4. Orphans, the app's and those of processes exec'd into the container
///    (health probes among them: moby/moby#47583), are reaped. The control,
///    the app as PID 1 without tend, keeps them as zombies.
fn orphans_are_reaped_and_not_without_tend(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let mut options = vec!["-e", "ORPHAN_EVERY=0.2", "-e", "WARMUP=0"];
    options.extend_from_slice(engine.health_options());
    let container = Container::run(engine.unique(test), image, &options, &[]);
    let mut bare_options = options.clone();
    bare_options.extend(["--entrypoint", "/app"]);
    let bare = Container::run(
        engine.unique(&format!("{test}_bare")),
        image,
        &bare_options,
        &[],
    );
    container.wait_for_log("\"left an orphan\"", 5);
    bare.wait_for_log("\"left an orphan\"", 5);

    // An exec'd process that forks and exits, as a probe script would: its
    // orphan is re-parented to the container's PID 1, not to the engine.
    let mut orphans = BTreeSet::new();
    for _ in 0..3 {
        let out = container.exec(&["/app", "orphan-maker"]);
        assert!(out.status.success(), "exec orphan-maker: {out:?}");
        orphans.extend(orphans_reported(&String::from_utf8_lossy(&out.stdout)));
        // A probe too (dockerd runs its own every 250 ms); healthy or not does not matter.
        let _ = container.health();
    }
    orphans.extend(orphans_reported(&container.logs().0));
    assert!(
        orphans.len() >= 8,
        "the app and orphan-maker reported their orphans: {orphans:?}"
    );
    // Every orphan lives 200 ms, then PID 1 must reap it.
    wait_until_reaped(container.pid1(), &orphans);

    let bare_orphans = orphans_reported(&bare.logs().0);
    let zombies = wait_for_zombies(bare.pid1(), &bare_orphans, 5);
    println!(
        "{}: {} orphans under tend, all reaped; app as PID 1 without tend: {zombies} of {} orphans left as zombies",
        engine.program(),
        orphans.len(),
        bare_orphans.len()
    );
}

/// 5. With -v, the engine's logs show tend's events as JSON lines on stderr.
fn logs_show_tends_json_events(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    // The image's own ENTRYPOINT, with -v after the program name.
    let mut verbose = entrypoint();
    verbose.insert(1, "-v".to_string());
    let (options, args) = with_entrypoint(&verbose, &cmd());
    let container = Container::run(
        engine.unique(test),
        twin(engine),
        &strs(&options),
        &strs(&args),
    );
    container.wait_for_log("\"listening\"", 1);
    let (_, code) = container.stop();
    assert_eq!(code, 0, "exit code after a stop");

    let (stdout, stderr) = container.logs();
    let events = json_lines(&stderr);
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
            "every event has ts and level: {event}"
        );
    }
    let forwarded = events
        .iter()
        .find(|e| e["msg"] == "forwarded signal")
        .expect("forwarded signal");
    assert_eq!(
        forwarded["signal"], "SIGTERM",
        "what the stop sent: {forwarded}"
    );
    let exiting = events
        .iter()
        .find(|e| e["msg"] == "tend exiting")
        .expect("tend exiting");
    assert_eq!(exiting["exit_code"], 0, "{exiting}");
    // stdout is the app's alone, JSON too.
    for line in stdout.lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "the app's stdout: {line}"
        );
    }
}

/// 6. `--read-only` and `--cap-drop=ALL`, with the image's non-root USER.
fn runs_read_only_with_no_capabilities(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let mut options = vec![
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt",
        "no-new-privileges",
        "-e",
        "WARMUP=0",
        "-e",
        "ORPHAN_EVERY=0.5",
    ];
    options.extend_from_slice(engine.health_options());
    let container = Container::run(engine.unique(test), twin(engine), &options, &[]);
    container.wait_for_log("\"left an orphan\"", 1);
    container.wait_for_health("healthy");

    let host_pid1 = container.pid1();
    let pid1 = processes(host_pid1)
        .into_iter()
        .find(|p| p.pid == 1)
        .expect("PID 1");
    for process in [pid1, process_named(host_pid1, "app")] {
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
            "NoNewPrivs of {}",
            process.name
        );
        assert_eq!(
            ids(&process.status, "Uid"),
            [NONROOT; 4],
            "Uid of {}",
            process.name
        );
    }
    assert!(
        root_is_read_only(host_pid1),
        "the container's / is mounted ro"
    );
    // 0, the app's graceful exit: a stop that waited out the timeout ends in SIGKILL, 137.
    let (_, code) = container.stop();
    assert_eq!(code, 0, "exit code after a stop");
}

/// Whether the root mount of the process with host pid `pid` is read-only.
fn root_is_read_only(pid: i32) -> bool {
    let mountinfo =
        fs::read_to_string(format!("/proc/{pid}/mountinfo")).expect("the container's mountinfo");
    // `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...`: the last mount on / wins.
    mountinfo
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .rfind(|words| words.get(4) == Some(&"/"))
        .and_then(|words| words.get(5).map(|o| o.split(',').any(|o| o == "ro")))
        .unwrap_or(false)
}

/// 7. `--user` inside the image: start as root, and tend drops to nonroot
///    before the app starts, both as a flag and as TEND_USER.
fn tend_user_drops_from_root_to_nonroot(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let mut with_flag = entrypoint();
    with_flag.splice(1..1, ["--user".to_string(), "nonroot".to_string()]);
    let (mut options, args) = with_entrypoint(&with_flag, &cmd());
    options.extend(["--user".to_string(), "0:0".to_string()]);
    let by_flag = Container::run(engine.unique(test), image, &strs(&options), &strs(&args));
    let by_env = Container::run(
        engine.unique(&format!("{test}_env")),
        image,
        &["--user", "0:0", "-e", "TEND_USER=nonroot"],
        &[],
    );

    for container in [&by_flag, &by_env] {
        container.wait_for_log("\"listening\"", 1);
        let host_pid1 = container.pid1();
        let tend = processes(host_pid1)
            .into_iter()
            .find(|p| p.pid == 1)
            .expect("PID 1");
        let app = process_named(host_pid1, "app");
        for process in [&tend, &app] {
            assert_eq!(
                ids(&process.status, "Uid"),
                [NONROOT; 4],
                "{}: Uid of {} (no root process is left)",
                container.name,
                process.name
            );
            assert_eq!(
                ids(&process.status, "Gid"),
                [NONROOT; 4],
                "{}: Gid of {}",
                container.name,
                process.name
            );
        }
        assert!(
            !ids(&app.status, "Groups").contains(&0),
            "{}: root's groups kept: {}",
            container.name,
            app.status
        );
        assert_eq!(
            field(&app.status, "CapEff"),
            Some("0000000000000000"),
            "{}: the app's CapEff",
            container.name
        );
        if engine.kind == Kind::Podman {
            let top = podman_top(container);
            assert!(
                top.iter()
                    .any(|(_, user, args)| user == "nonroot" && *args == cmd().join(" ")),
                "podman top shows the app as nonroot: {top:?}"
            );
        }
        let (_, code) = container.stop();
        assert_eq!(code, 0, "{}: exit code after a stop", container.name);
    }
}

/// 8. The image holds tend, the app, passwd and group, and nothing else: no
///    shell, no package manager, no secret. The binaries are static.
fn image_holds_only_the_expected_files(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let container = Container::named(engine, engine.unique(test));
    engine.ok(&["create", "--name", &container.name, &image.name]);
    let scratch = Scratch::new(&container.name);
    let tarball = scratch.path("export.tar");
    engine.ok(&["export", "-o", &tarball.to_string_lossy(), &container.name]);
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
            // A symbolic link ends in `NAME -> TARGET`.
            let name = match words.iter().position(|w| *w == "->") {
                Some(arrow) => words.get(arrow.checked_sub(1)?)?,
                None => words.last()?,
            };
            let name = name.trim_start_matches("./").trim_end_matches('/');
            Some((format!("/{name}"), *words.first()?, *words.get(1)?))
        })
        .filter(|(path, _, _)| path != "/")
        .collect();
    let entries: BTreeSet<String> = files.iter().map(|(path, _, _)| path.clone()).collect();
    let mut expected: BTreeSet<String> = copied_files().into_iter().map(|(_, dst)| dst).collect();
    expected.extend(["/etc", "/etc/passwd", "/etc/group"].map(String::from));
    // Docker's export adds what it creates in every container: empty mount
    // points for what it bind-mounts at run time, /.dockerenv, /etc/mtab.
    let runtime: BTreeSet<String> = [
        "/.dockerenv",
        "/dev",
        "/dev/console",
        "/dev/pts",
        "/dev/shm",
        "/etc/hostname",
        "/etc/hosts",
        "/etc/mtab",
        "/etc/resolv.conf",
        "/proc",
        "/sys",
    ]
    .map(String::from)
    .into();
    let entries: BTreeSet<String> = match engine.kind {
        Kind::Docker => entries.difference(&runtime).cloned().collect(),
        Kind::Podman => entries,
    };
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

    let config = engine
        .ok(&[
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

/// 9. `ENGINE kill -s SIGNAL` reaches the app through tend: HUP, USR1, a
///    real-time signal and TERM, each reported by the fixture in turn. A
///    program that leaves TERM at its default dies of it under tend (143),
///    and shrugs it off as PID 1 without tend.
fn kill_signals_reach_the_app(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let tools = Image::tools(engine);
    let container = Container::run(
        engine.unique(test),
        tools,
        &["--entrypoint", "/tend"],
        &["--", "/fixture", "signals", "4"],
    );
    container.four_signals_reach_the_fixture();

    let tended = Container::run(
        engine.unique(&format!("{test}_stubborn")),
        tools,
        &["--entrypoint", "/tend"],
        &["--", "/stubborn"],
    );
    let bare = Container::run(
        engine.unique(&format!("{test}_bare")),
        tools,
        &[],
        &["/stubborn"],
    );
    tended.wait_for_log("running", 1);
    bare.wait_for_log("running", 1);
    tended.kill("TERM");
    bare.kill("TERM");
    assert_eq!(
        tended.exit_code(),
        128 + 15,
        "stubborn under tend dies of the forwarded SIGTERM: 128 + 15"
    );
    // The kernel drops it for a PID 1 that left it at the default: still there.
    thread::sleep(Duration::from_millis(500));
    assert!(
        bare.running(),
        "stubborn as PID 1 without tend ignores SIGTERM; it exited with {}",
        bare.inspect("{{.State.ExitCode}}")
    );
}

/// 10. `ENGINE run -it`, and Ctrl-C on the terminal: the app gets SIGINT,
///     stops gracefully, and the run exits 0. A program that leaves SIGINT at
///     its default dies of it under tend (130); as PID 1 without tend, Ctrl-C
///     does nothing at all.
fn ctrl_c_on_a_terminal_stops_the_app(engine: &'static Engine, test: &str) {
    if !engine.available(test) {
        return;
    }
    let run_it = |name: &str, image: &Image, args: &[&str]| -> (Container, Terminal) {
        let container = Container::named(engine, engine.unique(name));
        let mut argv = vec!["run", "-it", "--name", &container.name, "--network", "none"];
        argv.extend(["-e", "WARMUP=0", image.name.as_str()]);
        argv.extend_from_slice(args);
        let terminal = Terminal::run(engine, &argv);
        (container, terminal)
    };

    let (container, mut terminal) = run_it(test, twin(engine), &[]);
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
        "{} run -it exits with the app's code; the terminal showed:\n{shown}",
        engine.program()
    );
    assert_eq!(container.exit_code(), 0, "the container's exit code");

    let tools = Image::tools(engine);
    let (_stubborn, mut terminal) = run_it(
        &format!("{test}_stubborn"),
        tools,
        &["/tend", "--", "/stubborn"],
    );
    terminal.wait_for("running");
    terminal.type_bytes(b"\x03");
    let (status, shown) = terminal.wait();
    assert_eq!(
        status.code(),
        Some(128 + 2),
        "stubborn under tend dies of Ctrl-C's SIGINT: 128 + 2; the terminal showed:\n{shown}"
    );

    let (bare, mut terminal) = run_it(&format!("{test}_bare"), tools, &["/stubborn"]);
    terminal.wait_for("running");
    terminal.type_bytes(b"\x03");
    assert!(
        terminal.still_running_after(Duration::from_millis(500)),
        "stubborn as PID 1 without tend ignores Ctrl-C; the terminal showed:\n{}",
        terminal.shown()
    );
    bare.kill("KILL");
    drop(terminal);
}

// ---------------------------------------------------------------------------
// Several programs from a Procfile (issue 19)

/// The Procfile of the several-programs image: a release step that runs to
/// its end first, then the example app twice, as a site and its admin.
const PROCFILE: &str = "# a release phase, then two programs
release: /app migrate
web: /app --port 8080
admin: /app --port 8081
";

/// A `FROM scratch` image whose ENTRYPOINT runs a Procfile and nothing else:
/// tend, the example app, the Procfile and nonroot. Built once per engine
/// and test process.
fn procfile_image(engine: &'static Engine) -> &'static Image {
    Image::shared(engine, "procfile", || {
        let files: Vec<ContextFile> = vec![
            ("passwd".to_string(), PASSWD.as_bytes().to_vec(), 0o644),
            ("group".to_string(), GROUP.as_bytes().to_vec(), 0o644),
            (
                "tend".to_string(),
                fs::read(static_tend()).expect("the tend under test"),
                0o755,
            ),
            (
                "app".to_string(),
                fs::read(musl_release().join("examples/app")).expect("the example app"),
                0o755,
            ),
            ("Procfile".to_string(), PROCFILE.as_bytes().to_vec(), 0o644),
        ];
        let containerfile = r#"FROM scratch
COPY passwd /etc/passwd
COPY group /etc/group
COPY tend /tend
COPY app /app
COPY Procfile /Procfile
ENV WARMUP=0 ORPHAN_EVERY=0
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/tend", "--procfile", "/Procfile"]
"#;
        Image::build(engine, engine.unique("procfile"), containerfile, &files)
    })
}

/// The ports the Procfile's programs listen on, by name.
const PROGRAMS: [(&str, u16); 2] = [("web", 8080), ("admin", 8081)];

/// `ENGINE exec CONTAINER /tend --probe URL`, the only HTTP client in the
/// image, against each program's port: each must answer 200.
fn both_ports_answer(container: &Container) {
    for (name, port) in PROGRAMS {
        let url = format!("http://127.0.0.1:{port}/health");
        let out = container.exec(&["/tend", "--probe", &url]);
        assert!(
            out.status.success(),
            "{name} on port {port} answers {url}: {out:?}\nlogs: {:?}",
            container.logs()
        );
    }
}

/// tend's records (TEND_LOG_LEVEL=info), in the order it wrote them.
fn tend_records(container: &Container) -> Vec<Value> {
    let (_, stderr) = container.logs();
    json_lines(&stderr)
}

/// The position of the first record with `msg` about the child `name`.
fn record_at(records: &[Value], msg: &str, name: &str) -> Option<usize> {
    records
        .iter()
        .position(|r| r["msg"] == msg && r["name"] == name)
}

/// The app's own JSON lines on stdout.
fn app_lines(container: &Container) -> Vec<Value> {
    let (stdout, _) = container.logs();
    records(&stdout)
}

/// 13. A Procfile as the whole startup, in an image with no shell: the
///     release step runs to its end before either program starts, both
///     programs serve, and `ENGINE stop` stops both gracefully, each on its
///     own SIGTERM, and ends the container with 0, not the engine's 137.
fn a_procfile_runs_release_then_two_programs_and_stops_gracefully(
    engine: &'static Engine,
    test: &str,
) {
    if !engine.available(test) {
        return;
    }
    let container = Container::run(
        engine.unique(test),
        procfile_image(engine),
        &["-e", "TEND_LOG_LEVEL=info"],
        &[],
    );
    container.wait_for_log("\"listening\"", 2);
    both_ports_answer(&container);

    // The release step ran first and to its end: tend's records say so, in
    // order, and its own line comes before either program's.
    let records = tend_records(&container);
    let step_done = record_at(&records, "step done", "release");
    for (name, _) in PROGRAMS {
        let started = record_at(&records, "child started", name);
        assert!(
            matches!((step_done, started), (Some(d), Some(s)) if d < s),
            "release's `step done` before {name}'s `child started`: {records:#?}"
        );
    }
    let lines = app_lines(&container);
    let migrated = lines.iter().position(|l| l["msg"] == "migrated");
    let listening: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i]["msg"] == "listening")
        .collect();
    assert!(
        migrated.is_some_and(|m| listening.len() == 2 && listening.iter().all(|&l| m < l)),
        "the release step's line before both programs' `listening`: {lines:#?}"
    );

    // PID 1 is tend; its children are the two programs, and the step is gone.
    let host_pid1 = container.pid1();
    let procs = processes(host_pid1);
    let mut children: Vec<Vec<String>> = procs
        .iter()
        .filter(|p| field(&p.status, "PPid") == Some(host_pid1.to_string().as_str()))
        .map(|p| cmdline(p.host_pid))
        .collect();
    children.sort();
    assert_eq!(
        children,
        [["/app", "--port", "8080"], ["/app", "--port", "8081"]],
        "tend's children: the two programs, and nothing else"
    );
    let app_pids: Vec<i32> = procs
        .iter()
        .filter(|p| p.name == "app")
        .map(|p| p.host_pid)
        .collect();

    // The exit code is the proof that the stop did not wait out the engine's
    // timeout: its SIGKILL would make it 137.
    let (_, code) = container.stop();
    let lines = app_lines(&container);
    let records = tend_records(&container);
    assert_eq!(
        code, 0,
        "a graceful stop: the programs' own 0, not 137; app lines {lines:#?}\ntend {records:#?}"
    );
    for (name, _) in PROGRAMS {
        let forwarded = records.iter().any(|r| {
            r["msg"] == "forwarded signal" && r["signal"] == "SIGTERM" && r["name"] == name
        });
        assert!(forwarded, "tend forwarded SIGTERM to {name}: {records:#?}");
        let exited = records
            .iter()
            .find(|r| r["msg"] == "child exited" && r["name"] == name);
        assert!(
            exited.is_some_and(|r| r["exit_code"] == 0 && r["signal"].is_null()),
            "{name} exited 0 on its own, not by a signal: {exited:?}"
        );
    }
    let requested = lines
        .iter()
        .filter(|l| l["msg"] == "stop requested" && l["signal"] == "SIGTERM")
        .count();
    let stopped = lines.iter().filter(|l| l["msg"] == "stopped").count();
    assert_eq!(
        (requested, stopped),
        (2, 2),
        "each program's own lines: SIGTERM received, then stopped; {lines:#?}"
    );
    assert!(
        !records
            .iter()
            .any(|r| r["msg"].as_str().is_some_and(|m| m.contains("SIGKILL"))),
        "nothing outlived the stop, nothing was killed: {records:#?}"
    );
    assert!(
        app_pids
            .iter()
            .all(|pid| !Path::new(&format!("/proc/{pid}")).exists()),
        "no program is left: {app_pids:?}"
    );
}

/// 14. One program of a Procfile dies (the app's `/crash`: it answers, then
///     exits 3, as a service that hits a fatal error does; a scratch image
///     has no `kill`): tend stops the other gracefully and the container
///     exits with the dead one's status. Under the engine's own
///     `--restart on-failure`, the container then comes back whole: the
///     release step again, and both ports answer.
fn one_program_dies_the_container_exits_with_its_status_and_comes_back(
    engine: &'static Engine,
    test: &str,
) {
    if !engine.available(test) {
        return;
    }
    let crash = |container: &Container| {
        container.wait_for_log("\"listening\"", 2);
        // Detached: the container, and the probe with it, may end before the probe does.
        let url = "http://127.0.0.1:8081/crash";
        engine.ok(&["exec", "-d", &container.name, "/tend", "--probe", url]);
    };

    let once = Container::run(
        engine.unique(test),
        procfile_image(engine),
        &["-e", "TEND_LOG_LEVEL=info"],
        &[],
    );
    crash(&once);
    let code = once.exit_code();
    let lines = app_lines(&once);
    let records = tend_records(&once);
    assert_eq!(
        code, 3,
        "the container's exit code is admin's own; app lines {lines:#?}\ntend {records:#?}"
    );
    let ended = records
        .iter()
        .find(|r| r["msg"] == "program ended: stopping the others");
    assert!(
        ended
            .is_some_and(|r| r["name"] == "admin" && r["exit_code"] == 3 && r["stopping"] == "web"),
        "tend says admin ended first, with 3, and stops web: {records:#?}"
    );
    let web_exited = records
        .iter()
        .find(|r| r["msg"] == "child exited" && r["name"] == "web");
    assert!(
        web_exited.is_some_and(|r| r["exit_code"] == 0 && r["signal"].is_null()),
        "web stopped gracefully on tend's SIGTERM: {web_exited:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["msg"] == "stop requested" && l["signal"] == "SIGTERM")
            && lines.iter().any(|l| l["msg"] == "stopped"),
        "web's own lines: SIGTERM received, then stopped: {lines:#?}"
    );

    let again = Container::run(
        engine.unique(&format!("{test}_restart")),
        procfile_image(engine),
        &["--restart", "on-failure", "-e", "TEND_LOG_LEVEL=info"],
        &[],
    );
    crash(&again);
    // Restarted by the engine: the release step and both programs, again.
    again.wait_for_log("\"migrated\"", 2);
    again.wait_for_log("\"listening\"", 4);
    let restarts: u32 = again.inspect("{{.RestartCount}}").parse().unwrap_or(0);
    assert!(
        restarts >= 1,
        "RestartCount {restarts} after admin's crash: {:?}",
        again.logs()
    );
    poll(
        &format!("{} running again", again.name),
        Duration::from_millis(100),
        || match again.running() {
            true => Ok(()),
            false => Err("not running".to_string()),
        },
    );
    both_ports_answer(&again);
    let records = tend_records(&again);
    assert!(
        records
            .iter()
            .any(|r| r["msg"] == "tend exiting" && r["exit_code"] == 3),
        "the first run ended with admin's 3: {records:#?}"
    );
}

// ---------------------------------------------------------------------------
// A Kubernetes Pod, under podman kube play

/// A pod played from tests/container/pod.yaml; `kube down` on drop.
struct Pod {
    name: String,
    manifest: Scratch,
}

impl Pod {
    fn manifest(&self) -> String {
        self.manifest.show("pod.yaml")
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        // Best effort: kube down removes the pod and its containers.
        let _ = PODMAN.output(&["kube", "down", &self.manifest()]);
        let _ = PODMAN.output(&["pod", "rm", "-f", &self.name]);
    }
}

/// 11. The README's Kubernetes example, as a Pod under `podman kube play`:
///     the security context holds, tend is PID 1 as 65532, a stop is graceful,
///     and `kube down` removes it all. What podman ignores of the manifest is
///     printed, for the README.
#[test]
fn podman_kube_play_runs_the_readme_pod() {
    let test = "podman_kube_play_runs_the_readme_pod";
    let engine = &PODMAN;
    if !engine.available(test) {
        return;
    }
    let image = twin(engine);
    let manifest = fs::read_to_string(Path::new(MANIFEST_DIR).join("tests/container/pod.yaml"))
        .expect("read tests/container/pod.yaml");
    let pod = Pod {
        name: engine.unique(test),
        manifest: Scratch::new(&engine.unique(test)),
    };
    let manifest = manifest
        .replace("POD_NAME", &pod.name)
        .replace("IMAGE", &format!("localhost/{}:latest", image.name));
    fs::write(pod.manifest(), &manifest).expect("write the manifest");
    engine.ok(&["kube", "play", "--network", "none", &pod.manifest()]);
    let container = Container::named(engine, format!("{}-app", pod.name));
    container.wait_for_log("\"listening\"", 1);

    let host_pid1 = container.pid1();
    let tend = processes(host_pid1)
        .into_iter()
        .find(|p| p.pid == 1)
        .expect("PID 1");
    assert_eq!(tend.name, "tend", "the pod's container has tend as PID 1");
    for process in [&tend, &process_named(host_pid1, "app")] {
        check_kube_security_context(process);
    }
    assert!(
        root_is_read_only(host_pid1),
        "readOnlyRootFilesystem: / is mounted ro"
    );
    assert_eq!(
        container.inspect("{{.HostConfig.ReadonlyRootfs}}"),
        "true",
        "podman inspect shows readOnlyRootFilesystem"
    );

    // What podman made of the manifest, measured for the README.
    let stop_timeout: u64 = container
        .inspect("{{.Config.StopTimeout}}")
        .parse()
        .expect("StopTimeout");
    let healthcheck = container.inspect("{{json .Config.Healthcheck.Test}}");
    println!(
        "podman kube play: terminationGracePeriodSeconds 30 became a stop timeout of \
         {stop_timeout} s; the livenessProbe became the healthcheck {healthcheck}; \
         the readinessProbe is not kept"
    );

    // `podman pod stop`, with the timeout podman gave the container. The
    // exit code says the app stopped gracefully, not by the timeout's SIGKILL.
    engine.ok(&["pod", "stop", &pod.name]);
    let code = container.exit_code();
    let (stdout, stderr) = container.logs();
    assert_eq!(
        code, 0,
        "the app's graceful exit code after pod stop (not 137, the timeout's kill); app logs:\n{stdout}"
    );
    assert!(
        stdout.contains("\"stopped\""),
        "the app stopped gracefully:\n{stdout}"
    );
    let events = json_lines(
        &stderr
            .lines()
            .filter(|l| l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert!(
        events
            .iter()
            .any(|e| e["msg"] == "forwarded signal" && e["signal"] == "SIGTERM"),
        "tend's events (TEND_LOG_LEVEL from the manifest's env) show the forwarded SIGTERM: {events:?}"
    );

    engine.ok(&["kube", "down", &pod.manifest()]);
    let exists = engine.output(&["pod", "exists", &pod.name]);
    assert_eq!(
        exists.status.code(),
        Some(1),
        "the pod is gone after kube down"
    );
    let left = engine.output(&["container", "exists", &container.name]);
    assert_eq!(
        left.status.code(),
        Some(1),
        "its container is gone after kube down"
    );
}

/// runAsUser/runAsGroup 65532, capabilities drop ALL, allowPrivilegeEscalation
/// false (NoNewPrivs), as the host's /proc shows a process of the pod.
fn check_kube_security_context(process: &Proc) {
    assert_eq!(
        ids(&process.status, "Uid"),
        [NONROOT; 4],
        "runAsUser: Uid of {}",
        process.name
    );
    assert_eq!(
        ids(&process.status, "Gid"),
        [NONROOT; 4],
        "runAsGroup: Gid of {}",
        process.name
    );
    for key in ["CapEff", "CapPrm", "CapBnd"] {
        assert_eq!(
            field(&process.status, key),
            Some("0000000000000000"),
            "drop ALL: {key} of {}",
            process.name
        );
    }
    assert_eq!(
        field(&process.status, "NoNewPrivs"),
        Some("1"),
        "allowPrivilegeEscalation false: NoNewPrivs of {}",
        process.name
    );
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
    let out_dir = std::env::temp_dir().join(format!("tend-e2e-{}-demo", std::process::id()));
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

    let json = records(&text);
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
