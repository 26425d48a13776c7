//! `--dry-run` and `TEND_DRY_RUN` (issue 20 #2), seen from outside: the
//! report on stdout (one JSON object for a pipe, aligned text on request),
//! exit 0, and nothing done: no program, step or program beside run, no
//! file written or made, no owner changed, no connection made; or, for a
//! configuration a start would refuse, that start's own status and error
//! line, word for word.

mod common;

use std::fs;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{
    Outcome, Output, Scratch, TEND, have_root, owner, pid1_command, plain_command, run_with_env,
    shown_on_a_terminal,
};
use serde_json::Value;

/// tend ARGS as PID 1 of a new PID namespace, where a real start would be.
fn as_pid1(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    run_with_env(pid1_command(args), true, env)
}

/// The one JSON object on stdout, after exit 0.
fn report(out: &Outcome) -> Value {
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout.len(), 1, "one line on stdout: {out:?}");
    serde_json::from_str(&out.stdout[0]).unwrap_or_else(|e| panic!("{e}: {}", out.stdout[0]))
}

/// An option's (value, source) in the report's settings.
fn setting(report: &Value, option: &str) -> (Value, String) {
    let rows = report["settings"].as_array().expect("settings");
    let row = rows
        .iter()
        .find(|r| r["option"] == option)
        .unwrap_or_else(|| panic!("no {option} in {rows:?}"));
    let source = row["source"].as_str().unwrap_or_default().to_string();
    (row["value"].clone(), source)
}

#[test]
fn a_tini_style_command_prints_its_settings_and_runs_nothing() {
    if !have_root("a_tini_style_command_prints_its_settings_and_runs_nothing") {
        return;
    }
    let scratch = Scratch::new("tini");
    let mark = scratch.show("mark");
    let out = as_pid1(
        &["--dry-run", "-g", "-e", "143", "--", "touch", &mark],
        &[("TEND_GRACE", "5s"), ("TINI_SUBREAPER", "")],
    );
    let report = report(&out);
    let cases = [
        ("--grace", Value::from("5s"), "variable TEND_GRACE"),
        ("-g", Value::from("on"), "flag -g"),
        ("-e", Value::from("143"), "flag -e"),
        ("-s", Value::from("on"), "variable TINI_SUBREAPER"),
        ("--stop-signals", Value::from("TERM,INT"), "default"),
        ("--wait-timeout", Value::from("60s"), "default"),
        ("--user", Value::Null, "default"),
        ("--dry-run", Value::from("on"), "flag --dry-run"),
    ];
    for (option, value, source) in cases {
        assert_eq!(
            setting(&report, option),
            (value, source.to_string()),
            "{option}"
        );
    }
    assert_eq!(report["argv"], serde_json::json!(["touch", mark]));
    let program = report["program"].as_str().unwrap_or_default();
    assert!(
        program.ends_with("/touch") && Path::new(program).is_file(),
        "PROGRAM along PATH: {program}"
    );
    assert_eq!(report["user"]["uid"], 0);
    assert!(!Path::new(&mark).exists(), "the program ran");
    assert_eq!(out.stderr, "", "nothing to log at the default level");

    // --log-format text: aligned lines a person reads, the argv quoted for a shell.
    let text = run_with_env(
        plain_command(&[
            "--dry-run",
            "--log-format",
            "text",
            "--",
            "touch",
            &mark,
            "a b",
        ]),
        false,
        &[],
    );
    assert_eq!(text.code, Some(0), "{text:?}");
    let line = |key: &str| {
        text.stdout
            .iter()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line: {:?}", text.stdout))
            .clone()
    };
    assert!(text.stdout[0].starts_with("tend --dry-run: "), "{text:?}");
    assert_eq!(line("argv"), format!("argv         touch {mark} 'a b'"));
    let grace = line("             --grace");
    let grace: Vec<&str> = grace.split_whitespace().collect();
    assert_eq!(grace, ["--grace", "-", "default"]);
    assert!(!Path::new(&mark).exists(), "the program ran");
}

#[test]
fn a_migrated_entrypoint_is_resolved_and_nothing_is_touched() {
    if !have_root("a_migrated_entrypoint_is_resolved_and_nothing_is_touched") {
        return;
    }
    let scratch = Scratch::new("migrated");
    let secret = scratch.write("secret", b"s3cret-value\n", 0o400);
    let template = scratch.write(
        "app.conf.tmpl",
        b"listen ${PORT};\npassword ${DB_PASSWORD};\n",
        0o644,
    );
    let output = scratch.show("run/app/app.conf");
    scratch.write("data/nested/file", b"x", 0o644);
    let data = scratch.show("data");
    let tree = [
        scratch.path("data"),
        scratch.path("data/nested"),
        scratch.path("data/nested/file"),
    ];
    let owners = || tree.iter().map(|p| owner(p)).collect::<Vec<_>>();
    let before = owners();
    let mark = scratch.show("mark");
    // A dependency that counts what connects to it, and a port nobody listens on.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = listener.local_addr().expect("its port").port().to_string();
    let closed = TcpListener::bind("127.0.0.1:0").expect("a port");
    let closed_url = format!(
        "tcp://127.0.0.1:{}",
        closed.local_addr().expect("port").port()
    );
    drop(closed);
    let out = as_pid1(
        &[
            "-vvv",
            "--dry-run",
            "--user",
            "65534:65534",
            "--file-env",
            "DB_PASSWORD",
            "--expand",
            "--render",
            &format!("{template}:{output}"),
            "--chown",
            &data,
            "--wait-for",
            "tcp://127.0.0.1:${PORT}",
            "--wait-for",
            &closed_url,
            "--",
            "touch",
            &mark,
            "--password=$DB_PASSWORD",
            "$PORT",
        ],
        &[("DB_PASSWORD_FILE", &secret), ("PORT", &port)],
    );
    assert!(
        !out.stdout.concat().contains("s3cret") && !out.stderr.contains("s3cret"),
        "the secret's value was shown: {out:?}"
    );
    let report = report(&out);
    // Nothing written, made, changed or connected to; the program never ran.
    assert!(
        !Path::new(&scratch.show("run")).exists(),
        "OUTPUT's directory was made"
    );
    assert_eq!(owners(), before, "--chown changed owners");
    listener.set_nonblocking(true).expect("non-blocking");
    let mut accepted = 0;
    loop {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert_eq!(accepted, 0, "--wait-for connected");
    assert!(!Path::new(&mark).exists(), "the program ran");

    // What a start would do.
    let want_user = serde_json::json!({"uid": 65534, "gid": 65534});
    assert_eq!(
        report["user"]["uid"], want_user["uid"],
        "{}",
        report["user"]
    );
    assert_eq!(
        report["user"]["gid"], want_user["gid"],
        "{}",
        report["user"]
    );
    assert_eq!(
        report["secrets"],
        serde_json::json!([{
            "name": "DB_PASSWORD",
            "from": format!("DB_PASSWORD_FILE={secret}"),
            "bytes": 12,
        }])
    );
    let environment = report["environment"].as_array().expect("environment");
    for change in [
        "DB_PASSWORD=<from DB_PASSWORD_FILE>",
        "unset DB_PASSWORD_FILE",
    ] {
        assert!(
            environment.contains(&Value::from(change)),
            "{environment:?}"
        );
    }
    assert_eq!(
        report["render"],
        serde_json::json!([{
            "template": template,
            "output": output,
            "bytes": "listen ;\npassword ;\n".len() + port.len() + 12,
            // 0644 less others' bits for a secret, less the umask 0022.
            "mode": "0640",
            "owner": "65534:65534",
            "make": [scratch.show("run"), scratch.show("run/app")],
            "secrets": ["DB_PASSWORD"],
        }])
    );
    assert_eq!(
        report["chown"],
        serde_json::json!([{"path": data, "owner": "65534:65534", "now": "0:0"}])
    );
    assert_eq!(
        report["wait_for"],
        serde_json::json!({"urls": [format!("tcp://127.0.0.1:{port}"), closed_url], "timeout": "60s"})
    );
    assert_eq!(
        report["argv"],
        serde_json::json!([
            "touch",
            mark,
            "<from $DB_PASSWORD, loaded by --file-env>",
            port
        ])
    );
}

/// Each configuration a start refuses: (what, options before the
/// command, the command, variables, the status both must end with).
type Refused<'a> = (
    &'a str,
    Vec<String>,
    Vec<String>,
    Vec<(&'a str, String)>,
    i32,
);

/// The error record's message, for a run that printed no report.
fn error_line(out: &Outcome) -> String {
    assert!(
        out.stdout.is_empty(),
        "a report or the program's output: {out:?}"
    );
    let errors: Vec<Value> = out
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "one error record: {}", out.stderr);
    errors[0]["msg"].as_str().unwrap_or_default().to_string()
}

/// Run `case` as a start and as a dry run, as PID 1 (inside `wrap`, a shell
/// line that ends by running "$@", when given); both must end the same.
fn same_both_ways(case: &Refused, wrap: Option<&str>) {
    let (what, options, command, env, status) = case;
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = |dry: bool| {
        let mut args: Vec<&str> = Vec::new();
        if dry {
            args.push("--dry-run");
        }
        args.extend(options.iter().map(String::as_str));
        args.push("--");
        args.extend(command.iter().map(String::as_str));
        let cmd = match wrap {
            None => pid1_command(&args),
            Some(line) => {
                let mut cmd = Command::new("unshare");
                cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
                    .args(["sh", "-c", line, "sh", TEND])
                    .args(&args);
                cmd
            }
        };
        run_with_env(cmd, true, &env)
    };
    let (start, dry) = (run(false), run(true));
    assert_eq!(start.code, Some(*status), "{what}, a start: {start:?}");
    assert_eq!(dry.code, Some(*status), "{what}, a dry run: {dry:?}");
    assert_eq!(error_line(&dry), error_line(&start), "{what}");
}

#[test]
fn an_error_is_a_starts_status_and_line_word_for_word() {
    if !have_root("an_error_is_a_starts_status_and_line_word_for_word") {
        return;
    }
    let scratch = Scratch::new("errors");
    let secret = scratch.write("secret", b"s3cret", 0o400);
    let template = scratch.write("t", b"x=${X:-1}\n", 0o644);
    let not_executable = scratch.write("not-executable", b"#!/bin/sh\n", 0o644);
    let root_only = scratch.write("root-only", b"#!/bin/sh\n", 0o700);
    let no_interpreter = scratch.write("no-interpreter", b"#!/nonexistent/sh\n", 0o755);
    let file = scratch.write("file", b"", 0o644);
    let s = |list: &[&str]| -> Vec<String> { list.iter().map(|s| s.to_string()).collect() };
    let render = |to: &str| s(&["--render", &format!("{template}:{to}")]);
    let cases: Vec<Refused> = vec![
        (
            "an unknown user",
            s(&["--user", "no-such-user"]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "a missing PROGRAM",
            vec![],
            s(&["no-such-program"]),
            vec![],
            127,
        ),
        (
            "a missing path",
            vec![],
            s(&["/nonexistent/program"]),
            vec![],
            127,
        ),
        (
            "a file not executable",
            vec![],
            s(&[&not_executable]),
            vec![],
            126,
        ),
        ("a directory", vec![], s(&["/"]), vec![], 126),
        (
            "a missing #! interpreter",
            vec![],
            s(&[&no_interpreter]),
            vec![],
            127,
        ),
        (
            "root's own program, as another user",
            s(&["--user", "65534:65534"]),
            s(&[&root_only]),
            vec![],
            126,
        ),
        (
            "a secret set twice",
            s(&["--file-env", "DB_PASSWORD"]),
            s(&["true"]),
            vec![
                ("DB_PASSWORD", "x".into()),
                ("DB_PASSWORD_FILE", secret.clone()),
            ],
            125,
        ),
        (
            "a missing template",
            s(&[
                "--render",
                &format!("{}:{}", scratch.show("none"), scratch.show("out")),
            ]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "OUTPUT below a file",
            render(&format!("{file}/out")),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "OUTPUT a directory",
            render(&scratch.root().display().to_string()),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "a missing --chown PATH",
            s(&["--user", "65534", "--chown", &scratch.show("none")]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "a missing --chdir",
            s(&["--chdir", &scratch.show("none")]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "an unset ${NAME} in a URL",
            s(&["--wait-for", "tcp://${NOPE}:1"]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "an argument that expands to an error",
            s(&["--expand"]),
            s(&["echo", "$NOPE"]),
            vec![],
            125,
        ),
        // Issue 19: what runs before and beside the program is found as the program is.
        (
            "a missing step",
            s(&["--pre", "no-such-step"]),
            s(&["true"]),
            vec![],
            127,
        ),
        (
            "a program beside that cannot run",
            s(&["--also", &not_executable]),
            s(&["true"]),
            vec![],
            126,
        ),
        (
            "a missing Procfile",
            s(&["--procfile", &scratch.show("Procfile")]),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "a shell operator in a command",
            s(&["--pre", "migrate && serve"]),
            s(&["true"]),
            vec![],
            125,
        ),
    ];
    for case in &cases {
        same_both_ways(case, None);
    }
    // A read-only file system: found with access(2), not by trying.
    let ro = scratch.show("ro");
    fs::create_dir_all(&ro).expect("mkdir");
    let wrap = format!("mount --bind -o ro {ro} {ro} && exec \"$@\"");
    let read_only: Vec<Refused> = vec![
        (
            "OUTPUT on a read-only mount",
            render(&format!("{ro}/out")),
            s(&["true"]),
            vec![],
            125,
        ),
        (
            "OUTPUT's directory on a read-only mount",
            render(&format!("{ro}/sub/out")),
            s(&["true"]),
            vec![],
            125,
        ),
    ];
    for case in &read_only {
        same_both_ways(case, Some(&wrap));
    }
}

#[test]
fn steps_programs_beside_and_a_procfile_are_reported_in_the_order_they_start() {
    if !have_root("steps_programs_beside_and_a_procfile_are_reported_in_the_order_they_start") {
        return;
    }
    let scratch = Scratch::new("several");
    let marks: Vec<String> = (1..=3).map(|i| scratch.show(&format!("mark{i}"))).collect();
    let procfile = scratch.write(
        "Procfile",
        format!("release: touch {}\nweb: sleep 61\n", marks[1]).as_bytes(),
        0o644,
    );
    let out = as_pid1(
        &[
            "--dry-run",
            "--pre",
            &format!("touch {}", marks[0]),
            "--also",
            "sleep 60",
            "--procfile",
            &procfile,
            "--restart",
            "on-failure",
            "--",
            "touch",
            &marks[2],
        ],
        &[],
    );
    let got = report(&out);
    let child = |name: &str, program: &str, argv: &[&str]| serde_json::json!({"name": name, "program": program, "argv": argv});
    let touch = |i: usize| ["touch", marks[i].as_str()];
    let (touch_at, sleep_at) = (which("touch"), which("sleep"));
    assert_eq!(
        got["steps"],
        serde_json::json!([
            child("touch", &touch_at, &touch(0)),
            child("release", &touch_at, &touch(1)),
        ])
    );
    assert_eq!(
        got["beside"],
        serde_json::json!([
            child("sleep", &sleep_at, &["sleep", "60"]),
            child("web", &sleep_at, &["sleep", "61"]),
        ])
    );
    assert_eq!(got["argv"], serde_json::json!(touch(2)));
    assert_eq!(
        setting(&got, "--restart"),
        (Value::from("on-failure"), "flag --restart".to_string())
    );
    assert_eq!(
        setting(&got, "--procfile"),
        (
            Value::from(procfile.as_str()),
            "flag --procfile".to_string()
        )
    );
    for mark in &marks {
        assert!(!Path::new(mark).exists(), "{mark}: a step or program ran");
    }
    // A Procfile alone: no program, and the Procfile's programs are all there is.
    let alone = as_pid1(&["--dry-run", "--procfile", &procfile], &[]);
    let alone = report(&alone);
    assert_eq!(
        (&alone["program"], &alone["argv"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(alone["beside"][0]["name"], "web");
}

/// Where PATH (/usr/bin:/bin) finds `program`.
fn which(program: &str) -> String {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|dir| format!("{dir}/{program}"))
        .find(|path| Path::new(path).is_file())
        .unwrap_or_else(|| panic!("no {program} on /usr/bin:/bin"))
}

#[test]
fn the_variable_works_behind_flags_baked_before_the_program() {
    if !have_root("the_variable_works_behind_flags_baked_before_the_program") {
        return;
    }
    let scratch = Scratch::new("variable");
    // The user the program runs as makes its mark here.
    fs::set_permissions(scratch.root(), fs::Permissions::from_mode(0o777)).expect("chmod");
    let mark = scratch.show("mark");
    // ENTRYPOINT ["/tend", "--grace", "3s", "--user", "65534", "--"], CMD ["touch", MARK].
    let baked = ["--grace", "3s", "--user", "65534", "--", "touch", &mark];
    let out = as_pid1(&baked, &[("TEND_DRY_RUN", "1")]);
    let report = report(&out);
    assert_eq!(
        setting(&report, "--dry-run"),
        (Value::from("on"), "variable TEND_DRY_RUN".to_string())
    );
    assert_eq!(
        setting(&report, "--grace"),
        (Value::from("3s"), "flag --grace".to_string())
    );
    assert_eq!(report["user"]["uid"], 65534);
    assert!(!Path::new(&mark).exists(), "the program ran");
    // Off is off: the program runs.
    let start = as_pid1(&baked, &[("TEND_DRY_RUN", "0")]);
    assert_eq!(start.code, Some(0), "{start:?}");
    assert!(start.stdout.is_empty(), "a report: {start:?}");
    assert!(Path::new(&mark).exists(), "the program did not run");
}

#[test]
fn a_probe_takes_no_dry_run_and_still_probes_under_the_variable() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let url = format!("tcp://{}", listener.local_addr().expect("its address"));
    let refused = run_with_env(plain_command(&["--probe", &url, "--dry-run"]), false, &[]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert_eq!(
        refused.stdout,
        ["unhealthy: '--dry-run' is not an option of --probe"]
    );
    // An image run with -e TEND_DRY_RUN=1 keeps a HEALTHCHECK that works.
    let probe = run_with_env(
        plain_command(&["--probe", &url]),
        false,
        &[("TEND_DRY_RUN", "1")],
    );
    assert_eq!(probe.code, Some(0), "{probe:?}");
    assert!(probe.stdout[0].starts_with("healthy"), "{probe:?}");
}

#[test]
fn the_report_is_text_when_stdout_is_a_terminal_and_json_otherwise() {
    // `docker run -t -e TEND_DRY_RUN=1 IMAGE` (a person) against `| jq` (a script).
    let mut cmd = Command::new(TEND);
    cmd.args(["--dry-run", "--", "true"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    let shown = shown_on_a_terminal(cmd, Output::Stdout);
    assert!(
        shown.starts_with("tend --dry-run: ") && !shown.contains("{\""),
        "text on a terminal: {shown:?}"
    );
    let mut cmd = Command::new(TEND);
    cmd.args(["--dry-run", "--", "true"]);
    let piped = run_with_env(cmd, false, &[]);
    let json = report(&piped);
    assert!(json["argv"].is_array(), "JSON on a pipe: {json}");
}
