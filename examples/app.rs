//! app: the example service that tend runs in README command 1, in
//! Dockerfile.example and in the container tests. It behaves like a real
//! service, warts included:
//!
//! - serves HTTP on `$PORT` (default 8080), or on N with `app --port N`:
//!   - `GET /health`: 200 when healthy, 503 while warming up (`$WARMUP`
//!     seconds, default 3), while the file `$UNHEALTHY_FILE` exists (default
//!     /tmp/unhealthy), or after `/toggle`;
//!   - `/toggle` (any method): flips the health that `/health` reports, so an
//!     image with no curl and no shell can be flipped with `tend --probe`;
//!   - `/orphans`: leaves an orphan behind now (see below);
//!   - `/crash`: answers, then exits with status 3 at once, without the
//!     graceful stop, as a service that hits a fatal error does (so a test
//!     can make one program of several die, in an image with no `kill`);
//!   - `/slow`: takes `$SLOW` seconds (default 2), or ends half a second
//!     after a stop is requested if that comes first, to show that a stop
//!     lets in-flight requests finish;
//! - leaves orphans every `$ORPHAN_EVERY` seconds (default 5, 0 = never): it
//!   runs itself as a helper that starts a short-lived grandchild and exits
//!   without waiting for it. The grandchild is re-parented to PID 1; unless
//!   PID 1 reaps, it stays a zombie (state Z) for as long as the container runs;
//! - `app migrate` is a one-shot release step, as `manage.py migrate` is:
//!   it logs `migrated` and exits 0;
//! - logs one JSON object per line on stdout;
//! - on SIGTERM or SIGINT stops accepting, finishes the requests in flight,
//!   and exits 0.
//!
//! The invariant: no input, however bad, makes it panic; a request it cannot
//! understand gets a 400, and one that hangs is cut off by a read timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal};
use serde_json::{Value, json};

/// A client gets this long to send its request; a stop waits at most this
/// long (plus the work itself) for it.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// What `/crash` exits with: neither a signal's 128+N nor a status tend uses.
const CRASH_STATUS: i32 = 3;

fn main() -> ExitCode {
    let mode = std::env::args_os().nth(1);
    match mode.as_ref().map(|m| m.to_str()) {
        None => serve(None),
        // `app --port N`, as an exec-form CMD with tend --expand would give it.
        Some(Some("--port")) => match std::env::args().nth(2).and_then(|p| p.parse().ok()) {
            Some(port) => serve(Some(port)),
            None => {
                log("error", "--port needs a port number", json!({}));
                ExitCode::from(2)
            }
        },
        Some(Some("migrate")) => {
            log("info", "migrated", json!({ "pid": std::process::id() }));
            ExitCode::SUCCESS
        }
        Some(Some("orphan-maker")) => make_orphan(),
        Some(Some("orphan")) => {
            thread::sleep(Duration::from_millis(200));
            ExitCode::SUCCESS
        }
        Some(_) => {
            log(
                "error",
                "unknown mode",
                json!({ "mode": mode.map(|m| m.to_string_lossy().into_owned()) }),
            );
            ExitCode::from(2)
        }
    }
}

/// One JSON object per line on stdout. The runtime timestamps each line
/// (`podman logs -t`), so there is no clock here.
fn log(level: &str, msg: &str, fields: Value) {
    let mut record = json!({ "level": level, "msg": msg });
    if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
        record.extend(fields);
    }
    let mut out = std::io::stdout().lock();
    // Nobody reading our logs is no reason to stop serving.
    let _ = writeln!(out, "{record}").and_then(|()| out.flush());
}

struct Settings {
    port: u16,
    warmup: Duration,
    slow: Duration,
    unhealthy_file: PathBuf,
    orphan_every: Option<Duration>,
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let seconds = |name: &str, default: f64| -> Result<Duration, String> {
            match std::env::var(name) {
                Err(_) => Ok(Duration::from_secs_f64(default)),
                Ok(text) => text
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!("{name}={text:?}: expected a number of seconds")),
            }
        };
        let port = match std::env::var("PORT") {
            Err(_) => 8080,
            Ok(text) => text
                .parse()
                .map_err(|_| format!("PORT={text:?}: expected a port number"))?,
        };
        let orphan_every = seconds("ORPHAN_EVERY", 5.0)?;
        Ok(Settings {
            port,
            warmup: seconds("WARMUP", 3.0)?,
            slow: seconds("SLOW", 2.0)?,
            unhealthy_file: std::env::var_os("UNHEALTHY_FILE")
                .unwrap_or_else(|| "/tmp/unhealthy".into())
                .into(),
            orphan_every: (!orphan_every.is_zero()).then_some(orphan_every),
        })
    }
}

/// What the request handlers share.
struct State {
    settings: Settings,
    started: Instant,
    /// Flipped by /toggle.
    toggled_unhealthy: AtomicBool,
    stopping: AtomicBool,
}

fn serve(port: Option<u16>) -> ExitCode {
    // Block SIGTERM and SIGINT before any thread starts, so that every thread
    // inherits the mask and only `wait_for_stop` ever sees them. It also works
    // when the app is PID 1 itself: a blocked signal is pending, not dropped.
    let stop_signals = SigSet::from_iter([Signal::SIGTERM, Signal::SIGINT]);
    if let Err(e) = stop_signals.thread_block() {
        log(
            "error",
            "cannot block SIGTERM and SIGINT",
            json!({ "error": e.desc() }),
        );
        return ExitCode::FAILURE;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => Settings {
            port: port.unwrap_or(settings.port),
            ..settings
        },
        Err(e) => {
            log("error", "bad setting", json!({ "error": e }));
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind((Ipv4Addr::UNSPECIFIED, settings.port)) {
        Ok(listener) => listener,
        Err(e) => {
            log(
                "error",
                "cannot listen",
                json!({ "port": settings.port, "error": e.to_string() }),
            );
            return ExitCode::FAILURE;
        }
    };
    let state = Arc::new(State {
        settings,
        started: Instant::now(),
        toggled_unhealthy: AtomicBool::new(false),
        stopping: AtomicBool::new(false),
    });
    log(
        "info",
        "listening",
        json!({ "port": state.settings.port, "pid": std::process::id(), "uid": nix::unistd::getuid().as_raw() }),
    );

    {
        let state = Arc::clone(&state);
        thread::spawn(move || wait_for_stop(&stop_signals, &state));
    }
    if let Some(every) = state.settings.orphan_every {
        thread::spawn(move || {
            loop {
                thread::sleep(every);
                spawn_orphan_maker();
            }
        });
    }

    let mut in_flight: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        if state.stopping.load(Ordering::SeqCst) {
            break;
        }
        let conn = match conn {
            Ok(conn) => conn,
            Err(e) => {
                log("warn", "accept failed", json!({ "error": e.to_string() }));
                continue;
            }
        };
        in_flight.retain(|handle| !handle.is_finished());
        let state = Arc::clone(&state);
        in_flight.push(thread::spawn(move || handle(conn, &state)));
    }
    drop(listener);

    let pending = in_flight
        .iter()
        .filter(|handle| !handle.is_finished())
        .count();
    log(
        "info",
        "stopping: finishing requests in flight",
        json!({ "in_flight": pending }),
    );
    for handle in in_flight {
        // A handler that panicked has nothing left to finish.
        let _ = handle.join();
    }
    log("info", "stopped", json!({ "exit_code": 0 }));
    ExitCode::SUCCESS
}

/// Sleep until SIGTERM or SIGINT, then make the accept loop stop.
fn wait_for_stop(signals: &SigSet, state: &State) {
    let signal = match signals.wait() {
        Ok(signal) => signal.as_str(),
        Err(e) => {
            log(
                "error",
                "sigwait failed; stopping",
                json!({ "error": e.desc() }),
            );
            "none"
        }
    };
    log("info", "stop requested", json!({ "signal": signal }));
    state.stopping.store(true, Ordering::SeqCst);
    // accept() has no timeout: wake it with a connection of our own.
    let wake = SocketAddr::from((Ipv4Addr::LOCALHOST, state.settings.port));
    if let Err(e) = TcpStream::connect_timeout(&wake, Duration::from_secs(1)) {
        log(
            "warn",
            "could not wake the accept loop",
            json!({ "error": e.to_string() }),
        );
    }
}

fn handle(mut conn: TcpStream, state: &State) {
    let request = read_request(&conn);
    let (status, body) = match request
        .as_ref()
        .map(|(method, path)| (method.as_str(), path.as_str()))
    {
        Err(why) => (400, why.to_string()),
        Ok((_, "/health")) => match unhealthy_reason(state) {
            None => (200, "healthy".to_string()),
            Some(why) => (503, format!("unhealthy: {why}")),
        },
        Ok((_, "/toggle")) => {
            let now_unhealthy = !state.toggled_unhealthy.fetch_xor(true, Ordering::SeqCst);
            log(
                "info",
                "health toggled",
                json!({ "unhealthy": now_unhealthy }),
            );
            (
                200,
                format!(
                    "toggled: now {}",
                    if now_unhealthy {
                        "unhealthy"
                    } else {
                        "healthy"
                    }
                ),
            )
        }
        Ok((_, "/orphans")) => {
            spawn_orphan_maker();
            (200, "left an orphan behind".to_string())
        }
        Ok((_, "/slow")) => {
            let takes = state.settings.slow;
            log(
                "info",
                "slow request started",
                json!({ "takes_ms": takes.as_millis() as u64 }),
            );
            let until = Instant::now() + takes;
            while Instant::now() < until && !state.stopping.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
            if Instant::now() < until {
                // Asked to stop: the last half second of work, then the answer.
                thread::sleep(Duration::from_millis(500));
            }
            (200, "done, slowly".to_string())
        }
        Ok((_, "/crash")) => (200, format!("crashing with status {CRASH_STATUS}")),
        Ok((_, "/")) => (200, "hello from app".to_string()),
        Ok(_) => (404, "not found".to_string()),
    };
    if let Ok((method, path)) = &request {
        log(
            "info",
            "request",
            json!({ "method": method, "path": path, "status": status }),
        );
    }
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
        body.len() + 1
    );
    // The client may be gone already; there is no one left to tell.
    let _ = conn.write_all(response.as_bytes());
    if matches!(&request, Ok((_, path)) if path == "/crash") {
        log("error", "crashing", json!({ "exit_code": CRASH_STATUS }));
        // At once: no graceful stop, no requests in flight finished.
        std::process::exit(CRASH_STATUS);
    }
}

/// The method and path of an HTTP/1.x request; the headers are read and
/// dropped, and any body is ignored.
fn read_request(conn: &TcpStream) -> Result<(String, String), &'static str> {
    conn.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|_| "socket error")?;
    // Bounded, so that an endless header line cannot eat the memory.
    let mut reader = BufReader::new(conn.take(16 * 1024));
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|_| "unreadable request")?;
    let mut words = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return Err("malformed request line");
    };
    if !version.starts_with("HTTP/1.") {
        return Err("not HTTP/1.x");
    }
    let path = target.split('?').next().unwrap_or(target);
    let (method, path) = (method.to_string(), path.to_string());
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return Err("request ended inside the headers"),
            Ok(_) if line.trim_end().is_empty() => return Ok((method, path)),
            Ok(_) => {}
            Err(_) => return Err("unreadable headers"),
        }
    }
}

fn unhealthy_reason(state: &State) -> Option<String> {
    let warmup = state.settings.warmup;
    if state.started.elapsed() < warmup {
        return Some(format!("warming up for {warmup:?}"));
    }
    if state.settings.unhealthy_file.exists() {
        return Some(format!(
            "{} exists",
            state.settings.unhealthy_file.display()
        ));
    }
    if state.toggled_unhealthy.load(Ordering::SeqCst) {
        return Some("toggled by /toggle".to_string());
    }
    None
}

/// Run ourselves as `orphan-maker` and wait for it: it is our child, so
/// reaping it is our job. Its own child is the orphan, and not our job.
fn spawn_orphan_maker() {
    let status = Command::new("/proc/self/exe")
        .arg("orphan-maker")
        .stdin(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => log(
            "warn",
            "orphan-maker failed",
            json!({ "status": status.to_string() }),
        ),
        Err(e) => log(
            "warn",
            "cannot start orphan-maker",
            json!({ "error": e.to_string() }),
        ),
    }
}

/// Start a grandchild that lives 200 ms, and exit without waiting for it, as
/// a daemonising script or a `sh -c 'x &'` would.
fn make_orphan() -> ExitCode {
    // The mask is inherited across exec: give the grandchild normal signals.
    let _ = SigSet::all().thread_unblock(); // nothing to do if it fails: it exits in 200 ms
    match Command::new("/proc/self/exe")
        .arg("orphan")
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(child) => {
            log("info", "left an orphan", json!({ "pid": child.id() }));
            ExitCode::SUCCESS
        }
        Err(e) => {
            log(
                "warn",
                "cannot start the orphan",
                json!({ "error": e.to_string() }),
            );
            ExitCode::FAILURE
        }
    }
}
