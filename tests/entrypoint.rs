//! The entrypoint's jobs without a shell (issue 10), seen from outside: the
//! child's argv, environment, cwd and umask; rendered files, their modes
//! and owners; owners before and after --chown; waits for dependencies on
//! loopback; and for each error, its exit status and its one line.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    HANG, Outcome, Scratch, TEND, Tend, children_of, fixture, free_port, have_root, owner, records,
    run_plain, state_of,
};
use serde_json::Value;

/// The one JSON line of a failure: exit 125, and the message it carries.
fn failure(out: &Outcome) -> String {
    assert_eq!(out.code, Some(125), "{out:?}");
    // A variable that a flag overrides says so first (issue 20 #3); the failure is one line.
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.contains("\"level\":\"warn\"") || !l.contains(" is overridden by "))
        .collect();
    assert_eq!(lines.len(), 1, "one line: {}", out.stderr);
    let record: Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(record["level"], "error", "{record}");
    assert!(out.stdout.is_empty(), "the program never started: {out:?}");
    record["msg"].as_str().unwrap_or_default().to_string()
}

fn args_of(out: &Outcome) -> Vec<String> {
    out.stdout
        .iter()
        .filter_map(|l| l.strip_prefix("arg: ").map(str::to_string))
        .collect()
}

#[test]
fn file_env_turns_secret_files_into_variables_and_never_logs_them() {
    let scratch = Scratch::new("file-env");
    let secret = scratch.write("secret", b"s3cret-value\n\n", 0o400);
    // Kubernetes mounts each secret as a symlink into a ..data directory.
    let target = scratch.write("..data/token", b"tok-en", 0o400);
    symlink(&target, scratch.path("token")).expect("symlink");
    let token = scratch.show("token");
    let out = run_plain(
        &[
            "-vvv",
            "--file-env",
            "DB_PASSWORD",
            "--file-env",
            "API_TOKEN",
            "--",
            fixture(),
            "env",
        ],
        &[
            ("DB_PASSWORD_FILE", &secret),
            ("API_TOKEN_FILE", &token),
            ("UNTOUCHED_FILE", "/x"),
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    for want in [
        "DB_PASSWORD=s3cret-value",
        "API_TOKEN=tok-en",
        "UNTOUCHED_FILE=/x",
    ] {
        assert!(
            out.stdout.iter().any(|l| l == want),
            "no {want}: {:?}",
            out.stdout
        );
    }
    for gone in ["DB_PASSWORD_FILE=", "API_TOKEN_FILE="] {
        assert!(
            !out.stdout.iter().any(|l| l.starts_with(gone)),
            "{gone} left: {:?}",
            out.stdout
        );
    }
    assert!(
        !out.stderr.contains("s3cret") && !out.stderr.contains("tok-en"),
        "a value in the log: {}",
        out.stderr
    );

    // The variable gives the list, an empty one is unset, and the flag replaces it.
    let by_var = run_plain(
        &["--", fixture(), "env"],
        &[
            ("TEND_FILE_ENV", "DB_PASSWORD"),
            ("DB_PASSWORD_FILE", &secret),
        ],
    );
    assert!(
        by_var
            .stdout
            .iter()
            .any(|l| l == "DB_PASSWORD=s3cret-value"),
        "{by_var:?}"
    );
    let empty = run_plain(
        &["--", fixture(), "env"],
        &[("TEND_FILE_ENV", ""), ("DB_PASSWORD_FILE", &secret)],
    );
    assert!(
        !empty.stdout.iter().any(|l| l.starts_with("DB_PASSWORD=")),
        "{empty:?}"
    );
    // NAME_FILE empty counts as unset: nothing to load, no error.
    let unset = run_plain(
        &["--file-env", "DB_PASSWORD", "--", fixture(), "exit", "0"],
        &[("DB_PASSWORD_FILE", "")],
    );
    assert_eq!(unset.code, Some(0), "{unset:?}");
    // Said at info, so a start without the secret can be told from one with it.
    let said = run_plain(
        &[
            "-v",
            "--file-env",
            "DB_PASSWORD",
            "--",
            fixture(),
            "exit",
            "0",
        ],
        &[],
    );
    assert!(
        said.stderr
            .contains("DB_PASSWORD_FILE is not set, so DB_PASSWORD stays unset"),
        "{said:?}"
    );
}

/// `--file-env DB_PASSWORD_FILE` (the _FILE variable, not the one to fill)
/// loads nothing: a warning at the default level names what to write.
#[test]
fn file_env_of_a_file_variable_warns_with_the_name_to_write() {
    let scratch = Scratch::new("file-env-suffix");
    let secret = scratch.write("secret", b"s3cret-value", 0o400);
    let out = run_plain(
        &["--file-env", "DB_PASSWORD_FILE", "--", fixture(), "env"],
        &[("DB_PASSWORD_FILE", &secret)],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        !out.stdout.iter().any(|l| l.starts_with("DB_PASSWORD=")),
        "{out:?}"
    );
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("\"level\":\"warn\"") && l.contains("write --file-env DB_PASSWORD "))
        .unwrap_or_else(|| panic!("no warning naming --file-env DB_PASSWORD: {}", out.stderr));
    assert!(!warning.contains("s3cret"), "{warning}");
}

#[test]
fn file_env_errors_name_the_variable_and_the_file() {
    let scratch = Scratch::new("file-env-errors");
    let secret = scratch.write("secret", b"x", 0o400);
    let big = scratch.write("big", &vec![b'x'; 128 * 1024], 0o400);
    let dir = scratch.show("");
    let missing = scratch.show("missing");
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (
            &[("DB_PASSWORD", "set"), ("DB_PASSWORD_FILE", &secret)],
            &["DB_PASSWORD_FILE", "not both"],
        ),
        (&[("DB_PASSWORD_FILE", &dir)], &["not a regular file"]),
        (
            &[("DB_PASSWORD_FILE", &big)],
            &["131072 bytes", "MAX_ARG_STRLEN", "128 KiB"],
        ),
        (
            &[("DB_PASSWORD_FILE", &missing)],
            &["No such file or directory"],
        ),
    ];
    for (env, needles) in cases {
        let out = run_plain(
            &["--file-env", "DB_PASSWORD", "--", fixture(), "exit", "0"],
            env,
        );
        let msg = failure(&out);
        assert!(msg.contains("--file-env DB_PASSWORD"), "{msg}");
        for needle in needles {
            assert!(msg.contains(needle), "{env:?}: {msg} lacks {needle}");
        }
        assert!(!msg.contains("xxxx"), "the value leaked: {msg}");
    }
    let bad_name = run_plain(
        &["--file-env", "DB-PASSWORD", "--", fixture(), "exit", "0"],
        &[],
    );
    assert!(failure(&bad_name).contains("invalid value 'DB-PASSWORD' for --file-env"));
}

#[test]
fn expand_does_what_shell_form_did_and_nothing_a_shell_does() {
    let env = [
        ("PORT", "8080"),
        ("JAVA_OPTS", "-Xmx1g -Dx=1"),
        ("EMPTY", ""),
    ];
    let out = run_plain(
        &[
            "--expand",
            "--",
            fixture(),
            "argv",
            "--port=$PORT",
            "${HOST:-localhost}",
            "$@JAVA_OPTS",
            "a$$b",
            "$1",
            "${EMPTY-unset}",
            "${EMPTY:-empty}",
            "$@{NONE:-}",
            "one arg with spaces",
        ],
        &env,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        args_of(&out),
        [
            "--port=8080",
            "localhost",
            "-Xmx1g",
            "-Dx=1",
            "a$b",
            "$1",
            "",
            "empty",
            "one arg with spaces"
        ]
    );
    // Without --expand, exec form is literal, as Docker's is.
    let literal = run_plain(&["--", fixture(), "argv", "$PORT"], &env);
    assert_eq!(args_of(&literal), ["$PORT"]);
    // TEND_EXPAND takes the switch words.
    let by_var = run_plain(
        &["--", fixture(), "argv", "$PORT"],
        &[("TEND_EXPAND", "yes"), ("PORT", "1")],
    );
    assert_eq!(args_of(&by_var), ["1"]);
    let cases: [(&str, &[&str]); 4] = [
        (
            "$DB_HOST",
            &["--expand", "argument 2", "DB_HOST is not set"],
        ),
        (
            "${DB_HOST:?set it in the pod}",
            &["DB_HOST", "set it in the pod"],
        ),
        ("$(id -u)", &["command substitution"]),
        ("$((1+1))", &["arithmetic"]),
    ];
    for (arg, needles) in cases {
        let msg = failure(&run_plain(&["--expand", "--", fixture(), "argv", arg], &[]));
        for needle in needles {
            assert!(msg.contains(needle), "{arg}: {msg} lacks {needle}");
        }
    }
}

#[test]
fn default_program_goes_in_front_of_options_and_nothing() {
    let cases: [(&[&str], &str); 3] = [
        (&["--verbose", "x"], "--verbose x"),
        (&[], ""),
        (&["printf", "as given"], "as given"),
    ];
    for (command, want) in cases {
        let mut args = vec!["--default-program", "/bin/echo", "--"];
        args.extend(command);
        let out = run_plain(&args, &[]);
        assert_eq!(out.code, Some(0), "{command:?}: {out:?}");
        assert_eq!(out.stdout.join("\n"), want, "{command:?}");
    }
    // The program itself is never expanded.
    let out = run_plain(&["--expand", "--default-program", "$NOPE", "--", "-x"], &[]);
    assert_eq!(out.code, Some(127), "{out:?}");
    assert!(out.stderr.contains("$NOPE"), "{}", out.stderr);
}

#[test]
fn umask_and_chdir_reach_the_child() {
    let scratch = Scratch::new("where");
    let dir = scratch.show("");
    let dir = dir.trim_end_matches('/');
    let out = run_plain(
        &["--umask", "0027", "--chdir", dir, "--", fixture(), "where"],
        &[],
    );
    assert_eq!(
        out.stdout,
        [format!("cwd: {dir}"), "umask: 0027".to_string()],
        "{out:?}"
    );
    let by_var = run_plain(
        &["--", fixture(), "where"],
        &[("TEND_UMASK", "077"), ("TEND_CHDIR", "/")],
    );
    assert_eq!(by_var.stdout, ["cwd: /", "umask: 0077"], "{by_var:?}");
    let msg = failure(&run_plain(
        &["--chdir", "/nonexistent-dir", "--", fixture(), "where"],
        &[],
    ));
    assert!(
        msg.contains("--chdir /nonexistent-dir: no such directory"),
        "{msg}"
    );
    let msg = failure(&run_plain(&["--chdir", "/etc/passwd", "--", "true"], &[]));
    assert!(
        msg.contains("--chdir /etc/passwd: not a directory"),
        "{msg}"
    );
    assert!(
        failure(&run_plain(&["--umask", "0999", "--", "true"], &[])).contains("'0999' for --umask")
    );
}

#[test]
fn render_writes_templates_atomically_with_braced_forms_only() {
    let scratch = Scratch::new("render");
    let template = scratch.write(
        "default.conf.template",
        b"listen ${PORT};\nserver_name ${HOST:-localhost};\nlocation / { proxy_set_header Host $host; }\nset $$x $1; literal $${KEEP}\n",
        0o664,
    );
    fs::create_dir_all(scratch.path("out")).expect("mkdir");
    let output = scratch.show("out/default.conf");
    let pair = format!("{template}:{output}");
    let out = run_plain(
        &[
            "--umask",
            "0022",
            "--render",
            &pair,
            "--",
            fixture(),
            "exit",
            "0",
        ],
        &[("PORT", "8080")],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        fs::read_to_string(&output).expect("rendered"),
        "listen 8080;\nserver_name localhost;\nlocation / { proxy_set_header Host $host; }\nset $$x $1; literal ${KEEP}\n"
    );
    let mode = fs::metadata(&output).expect("meta").permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o644,
        "the template's 0664 less the umask 0022: {mode:o}"
    );
    let names: Vec<String> = fs::read_dir(scratch.path("out"))
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, ["default.conf"], "no temporary file is left");

    // An unset name is an error with its line and column, and the output stays as it was.
    let msg = failure(&run_plain(
        &["--render", &pair, "--", fixture(), "exit", "0"],
        &[],
    ));
    assert!(
        msg.contains("--render") && msg.contains("line 1, column 8") && msg.contains("PORT"),
        "{msg}"
    );
    assert!(
        fs::read_to_string(&output)
            .expect("kept")
            .starts_with("listen 8080;")
    );
    // A file where OUTPUT's directory should be; missing directories are made (issue 20).
    let nowhere = format!("{template}:{template}/x.conf");
    let msg = failure(&run_plain(
        &["--render", &nowhere, "--", "true"],
        &[("PORT", "1")],
    ));
    assert!(
        msg.contains(&format!(
            "reaching the output's directory: {template} is not a directory"
        )),
        "{msg}"
    );
}

/// `TEND … ARGS`, as root, with a bare uid: no passwd entry is needed for numbers.
fn as_root(args: &[&str]) -> Outcome {
    let mut cmd = Command::new(TEND);
    cmd.args(args);
    Tend::spawn(cmd, false).wait()
}

#[test]
fn render_output_belongs_to_the_user_and_chown_gives_a_tree_without_following_links() {
    if !have_root(
        "render_output_belongs_to_the_user_and_chown_gives_a_tree_without_following_links",
    ) {
        return;
    }
    let scratch = Scratch::new("chown");
    scratch.write("data/a/b/file", b"x", 0o644);
    scratch.write("data/top", b"x", 0o600);
    let outside = scratch.write("outside", b"not yours", 0o644);
    symlink(&outside, scratch.path("data/a/link")).expect("symlink");
    symlink(scratch.path(""), scratch.path("data/a/b/loop")).expect("a link to a directory");
    let data = scratch.show("data");
    let template = scratch.write("t.conf", b"${HOME}\n", 0o640);
    let output = scratch.show("t.out");
    let pair = format!("{template}:{output}");
    let out = as_root(&[
        "-v",
        "--user",
        "4321:4321",
        "--chown",
        &data,
        "--render",
        &pair,
        "--",
        fixture(),
        "exit",
        "0",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    for entry in [
        "data",
        "data/a",
        "data/a/b",
        "data/a/b/file",
        "data/top",
        "data/a/link",
        "data/a/b/loop",
    ] {
        assert_eq!(owner(&scratch.path(entry)), (4321, 4321), "{entry}");
    }
    assert_eq!(
        owner(Path::new(&outside)),
        (0, 0),
        "a link's target outside PATH is left alone"
    );
    assert_eq!(
        owner(&scratch.path("")),
        (0, 0),
        "a link to a directory is not followed"
    );
    assert_eq!(
        owner(Path::new(&output)),
        (4321, 4321),
        "the rendered file is the app's"
    );
    assert_eq!(
        fs::read_to_string(&output).expect("rendered"),
        "/\n",
        "with --user's HOME"
    );
    let chowned: Value = records(&out.stderr)
        .into_iter()
        .find(|r| r["msg"] == "chowned")
        .expect("an info line for the chown");
    assert_eq!(
        (chowned["entries"].as_u64(), chowned["changed"].as_u64()),
        (Some(7), Some(7)),
        "{chowned}"
    );
    assert!(chowned["ms"].is_u64(), "{chowned}");

    // A second time, everything is right already: nothing is changed.
    let again = as_root(&[
        "-v",
        "--user",
        "4321:4321",
        "--chown",
        &data,
        "--",
        fixture(),
        "exit",
        "0",
    ]);
    assert!(again.stderr.contains("\"changed\":0"), "{}", again.stderr);
    // --chown needs --user.
    assert!(failure(&as_root(&["--chown", &data, "--", "true"])).contains("--chown needs --user"));
}

/// An error found after parsing names what the user wrote: the variable
/// when the value came from there, the flag when a flag set it.
#[test]
fn errors_name_the_variable_that_set_the_value() {
    let scratch = Scratch::new("by-var");
    let template = scratch.write("t.conf", b"${NOPE}", 0o644);
    let pair = format!("{template}:{}", scratch.path("out.conf").display());
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("TEND_USER", "no-such-user-x")],
            "TEND_USER 'no-such-user-x': no user 'no-such-user-x'",
        ),
        (
            &[("TEND_CHDIR", "/nonexistent-dir")],
            "TEND_CHDIR /nonexistent-dir: no such directory",
        ),
        (
            &[("TEND_CHOWN", "/nonexistent-dir")],
            "TEND_CHOWN needs --user",
        ),
        (
            &[("TEND_FILE_ENV", "DB"), ("DB_FILE", "/nonexistent-file")],
            "TEND_FILE_ENV DB: DB_FILE=/nonexistent-file:",
        ),
        (
            &[("TEND_EXPAND", "1")],
            "TEND_EXPAND: argument 1: $NOPE is not set",
        ),
        (&[("TEND_RENDER", &pair)], "TEND_RENDER "),
        (
            &[
                ("TEND_WAIT_FOR", "tcp://127.0.0.1:1"),
                ("TEND_WAIT_TIMEOUT", "100ms"),
            ],
            "TEND_WAIT_FOR: not ready after 100ms",
        ),
    ];
    for (env, want) in cases {
        let msg = failure(&run_plain(&["--", "true", "$NOPE"], env));
        assert!(
            msg.starts_with(want),
            "{env:?}: {msg:?} should begin {want:?}"
        );
    }
    // The flag, given too, wins, and is what the error names.
    let msg = failure(&run_plain(
        &["--chdir", "/nonexistent-flag", "--", "true"],
        &[("TEND_CHDIR", "/")],
    ));
    assert!(msg.starts_with("--chdir /nonexistent-flag:"), "{msg}");
}

#[test]
fn wait_for_holds_the_program_until_a_late_dependency_listens() {
    let port = free_port();
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_secs(1));
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("listen late");
        // Answer the probes for a while: accept and close.
        let until = Instant::now() + HANG;
        listener.set_nonblocking(true).expect("nonblocking");
        while Instant::now() < until {
            match listener.accept() {
                Ok(_) => return,
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    let url = format!("tcp://127.0.0.1:{port}");
    let started = Instant::now();
    let out = run_plain(
        &["-v", "--wait-for", &url, "--", fixture(), "exit", "3"],
        &[],
    );
    let waited = started.elapsed();
    let _ = late.join();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        waited >= Duration::from_millis(900),
        "the program started before the dependency listened: {waited:?}"
    );
    let records = records(&out.stderr);
    let msgs: Vec<&str> = records.iter().filter_map(|r| r["msg"].as_str()).collect();
    let first = |m: &str| msgs.iter().position(|x| *x == m);
    assert!(
        matches!((first("dependency not ready yet: waiting"), first("dependency ready"), first("child started")),
                 (Some(a), Some(b), Some(c)) if a < b && b < c),
        "{msgs:?}"
    );
}

#[test]
fn wait_for_times_out_with_125_naming_each_dependency() {
    let (a, b) = (free_port(), free_port());
    let (url_a, url_b) = (
        format!("tcp://127.0.0.1:{a}"),
        format!("http://127.0.0.1:{b}/ready"),
    );
    let out = run_plain(
        &[
            "--wait-for",
            &url_a,
            "--wait-timeout",
            "1s",
            "--",
            fixture(),
            "exit",
            "0",
        ],
        &[("TEND_WAIT_FOR", &url_b)],
    );
    let msg = failure(&out);
    assert!(
        msg.contains("not ready after 1s")
            && msg.contains(&url_a)
            && msg.contains("connection refused"),
        "{msg}"
    );
    assert!(
        !msg.contains(&url_b),
        "the flag replaces the variable's list: {msg}"
    );
    let both = run_plain(
        &["--wait-timeout", "1s", "--", fixture(), "exit", "0"],
        &[("TEND_WAIT_FOR", &format!("{url_a},\n{url_b}"))],
    );
    let msg = failure(&both);
    assert!(msg.contains(&url_a) && msg.contains(&url_b), "{msg}");
}

#[test]
fn a_stop_signal_ends_a_wait_at_once_and_leaves_nothing_behind() {
    // A server that accepts and never answers: each HTTP attempt hangs for its whole 3 s.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().expect("addr"));
    let silent = thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).expect("nonblocking");
        let until = Instant::now() + HANG;
        while Instant::now() < until && held.len() < 64 {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 512];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"");
                held.push(stream);
            } else {
                thread::sleep(Duration::from_millis(5));
            }
        }
    });
    let mut tend = Tend::plain(&["-v", "--wait-for", &url, "--", fixture(), "exit", "0"]);
    let check = common::wait_for("a check in flight", || {
        children_of(tend.pid).first().copied()
    });
    // Other signals are dropped: there is no app yet.
    tend.signal(10);
    thread::sleep(Duration::from_millis(200));
    assert!(tend.running(), "SIGUSR1 ended the wait");
    tend.signal(15);
    // Still in flight after the SIGTERM went out: then a tend that waited for
    // the attempt would log its failure before exiting, and one that acts at
    // once never does. (A host so slow that the attempt ended first proves nothing.)
    let in_flight = matches!(state_of(check), Some('R' | 'S' | 'D'));
    let out = tend.wait();
    assert_eq!(out.code, Some(143), "{out:?}");
    if in_flight {
        assert!(
            !out.stderr.contains("dependency not ready yet"),
            "the SIGTERM waited for the attempt in flight to end: {}",
            out.stderr
        );
    } else {
        eprintln!("the host is too slow for this test: the attempt had ended before the SIGTERM");
    }
    assert!(
        matches!(state_of(check), None | Some('Z')),
        "the check's process outlived tend"
    );
    assert!(
        out.stderr.contains("there is no program yet"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.iter().any(|l| !l.is_empty()),
        "the program never started: {out:?}"
    );
    drop(silent);
}
