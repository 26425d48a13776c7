//! `tend --probe` against servers this test starts on loopback: friendly,
//! hostile and absent, judged by the exit code, the stdout line, the time
//! taken, and the bytes that reached the server.
//!
//! Every server serves one connection on an ephemeral 127.0.0.1 or [::1]
//! port and stops by itself; every wait has a deadline. Deadlines on hostile
//! servers catch hangs: they are generous, not benchmarks.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

use common::{HANG, Scratch, TEND, Tend, have_root, in_private_mounts};

/// How long a hostile server keeps its connection: far past any probe's
/// deadline, and past the test's own (HANG).
const HOLD: Duration = Duration::from_secs(60);
/// A probe that ends within this did not wait for a server that holds on
/// for HOLD: its own deadline ended it, however loaded the machine.
const BOUND: Duration = HANG;

/// One connection, served on a thread by a script.
struct Server {
    addr: SocketAddr,
    request: Receiver<Vec<u8>>,
}

impl Server {
    fn start(script: impl FnOnce(&mut TcpStream) + Send + 'static) -> Server {
        Server::start_on("127.0.0.1:0", script)
    }

    fn start_on(bind: &str, script: impl FnOnce(&mut TcpStream) + Send + 'static) -> Server {
        let listener = TcpListener::bind(bind).expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let (tx, request) = channel();
        thread::spawn(move || {
            listener
                .set_nonblocking(true)
                .expect("nonblocking listener");
            let deadline = Instant::now() + HANG;
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
                    Err(_) => return,
                }
            };
            let _ = stream.set_nonblocking(false);
            let _ = tx.send(read_request(&mut stream));
            script(&mut stream);
        });
        Server { addr, request }
    }

    /// A server that answers `response` and closes.
    fn answering(response: &'static [u8]) -> Server {
        Server::start(move |s| {
            let _ = s.write_all(response);
        })
    }

    /// A server that answers `response`, then keeps the connection open.
    fn holding(response: &'static [u8]) -> Server {
        Server::start(move |s| {
            let _ = s.write_all(response);
            thread::sleep(HOLD);
        })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The request as the server received it.
    fn received(&self) -> String {
        let bytes = self
            .request
            .recv_timeout(HANG)
            .expect("the server saw no request");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Up to the blank line that ends the request head, or whatever came first.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buf = [0; 1024];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    request
}

/// A loopback port that nothing listens on.
fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address").port()
}

/// `tend --probe ARGS` with exactly the environment `vars`.
fn probe_with(args: &[&str], vars: &[(&str, &str)]) -> common::Outcome {
    let mut cmd = Command::new(TEND);
    cmd.arg("--probe")
        .args(args)
        .env_clear()
        .envs(vars.iter().copied());
    Tend::spawn(cmd, false).wait()
}

fn probe(args: &[&str]) -> common::Outcome {
    probe_with(args, &[])
}

/// The exit code, and the one stdout line starting with `prefix` and holding each of `needles`.
#[track_caller]
fn assert_verdict(out: &common::Outcome, code: i32, prefix: &str, needles: &[&str]) {
    let line = out.stdout.first().map(String::as_str).unwrap_or_default();
    let context = format!("stdout {:?}, stderr {:?}", out.stdout, out.stderr);
    assert_eq!(out.code, Some(code), "{context}");
    assert_eq!(out.stdout.len(), 1, "exactly one line: {context}");
    assert!(line.starts_with(prefix), "{context}");
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} missing: {context}");
    }
}

#[track_caller]
fn healthy(out: &common::Outcome, needles: &[&str]) {
    assert_verdict(out, 0, "healthy: ", needles);
}

#[track_caller]
fn unhealthy(out: &common::Outcome, needles: &[&str]) {
    assert_verdict(out, 1, "unhealthy: ", needles);
}

#[track_caller]
fn within_bound(out: &common::Outcome) {
    assert!(
        out.elapsed < BOUND,
        "took {:?}, more than {BOUND:?}: stdout {:?}",
        out.elapsed,
        out.stdout
    );
}

#[test]
fn statuses_follow_the_expected_list() {
    type Case<'a> = (&'a [u8], &'a [&'a str], i32, &'a [&'a str]);
    let cases: [Case; 8] = [
        (
            b"HTTP/1.1 200 OK\r\n\r\n",
            &[],
            0,
            &["HTTP 200 from 127.0.0.1:"],
        ),
        (b"HTTP/1.1 204 No Content\r\n\r\n", &[], 0, &["HTTP 204"]),
        (
            b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/\r\n\r\n",
            &[],
            0,
            &["HTTP 301"],
        ),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            &[],
            1,
            &["status 404 not in 200-399"],
        ),
        (
            b"HTTP/1.0 500 Internal Server Error\r\n\r\noops",
            &[],
            1,
            &["status 500 not in 200-399"],
        ),
        (
            b"HTTP/1.1 418 I'm a teapot\r\n\r\n",
            &["--expect-status", "200-299,418"],
            0,
            &["HTTP 418"],
        ),
        (
            b"HTTP/1.1 200 OK\r\n\r\n",
            &["--expect-status=204"],
            1,
            &["status 200 not in 204"],
        ),
        (
            b"HTTP/1.1 301 Moved Permanently\r\n\r\n",
            &["--expect-status", "200,204"],
            1,
            &["status 301 not in 200,204"],
        ),
    ];
    for (response, flags, code, needles) in cases {
        let server = Server::answering(response);
        let url = server.url("/health");
        let mut args = vec![url.as_str()];
        args.extend_from_slice(flags);
        let out = probe(&args);
        let prefix = if code == 0 {
            "healthy: "
        } else {
            "unhealthy: "
        };
        assert_verdict(&out, code, prefix, needles);
    }
}

#[test]
fn the_request_carries_host_user_agent_and_extra_headers() {
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let url = server.url("/health?deep=1");
    let out = probe(&[
        &url,
        "--header",
        "X-Probe: yes",
        "--header=Authorization: Bearer t0ken",
    ]);
    healthy(&out, &[]);
    let request = server.received();
    let want_start = format!(
        "GET /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: tend/{}\r\nConnection: close\r\n",
        server.port(),
        env!("CARGO_PKG_VERSION")
    );
    assert!(request.starts_with(&want_start), "{request:?}");
    assert!(
        request.ends_with("X-Probe: yes\r\nAuthorization: Bearer t0ken\r\n\r\n"),
        "{request:?}"
    );

    // A Host header of the user's replaces tend's: virtual hosts.
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let out = probe(&[&server.url("/"), "--header", "Host: app.example"]);
    healthy(&out, &[]);
    let request = server.received();
    assert_eq!(request.matches("Host:").count(), 1, "{request:?}");
    assert!(request.contains("\r\nHost: app.example\r\n"), "{request:?}");
}

#[test]
fn bodies_are_matched_whatever_delimits_them() {
    type Case<'a> = (&'a str, &'static [u8], i32, &'a [&'a str]);
    let cases: [Case; 8] = [
        (
            "length, match",
            b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"UP\"}",
            0,
            &["HTTP 200"],
        ),
        (
            "length, mismatch",
            b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"status\":\"DOWN\"}",
            1,
            &["body does not contain", "17 bytes"],
        ),
        (
            "chunked, match across chunks",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"status\"\r\n6\r\n:\"UP\"}\r\n0\r\n\r\n",
            0,
            &["HTTP 200"],
        ),
        (
            "chunked, mismatch",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n{\"status\":\"DOWN\"}\r\n0\r\n\r\n",
            1,
            &["body does not contain"],
        ),
        (
            "close, match",
            b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"UP\"}",
            0,
            &["HTTP 200"],
        ),
        (
            "close, mismatch",
            b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"DOWN\"}",
            1,
            &["body does not contain"],
        ),
        (
            "the status is judged first",
            b"HTTP/1.1 503 Unavailable\r\nContent-Length: 15\r\n\r\n{\"status\":\"UP\"}",
            1,
            &["status 503 not in 200-399"],
        ),
        (
            "closed in the middle of the body",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\":",
            1,
            &["connection closed before the body ended"],
        ),
    ];
    for (what, response, code, needles) in cases {
        let server = Server::answering(response);
        let out = probe(&[&server.url("/"), "--expect-body", "\"status\":\"UP\""]);
        let prefix = if code == 0 {
            "healthy: "
        } else {
            "unhealthy: "
        };
        assert!(out.code == Some(code), "{what}: {:?}", out.stdout);
        assert_verdict(&out, code, prefix, needles);
    }
}

/// A complete answer is enough: a server that keeps the connection open
/// (keep-alive, or a body that never ends) must not hold the probe.
#[test]
fn the_probe_stops_reading_once_the_answer_is_known() {
    let cases: [(&[u8], Option<&str>, i32); 5] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None, 0),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Some("ok"),
            0,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            Some("nope"),
            1,
        ),
        // The text is there, the rest of the body never comes.
        (b"HTTP/1.1 200 OK\r\n\r\nready and more", Some("ready"), 0),
        (b"HTTP/1.1 503 Busy\r\n\r\n", Some("ready"), 1),
    ];
    for (response, body, code) in cases {
        let server = Server::holding(response);
        let url = server.url("/");
        let mut args = vec![url.as_str(), "--timeout", "5s"];
        if let Some(body) = body {
            args.extend(["--expect-body", body]);
        }
        let out = probe(&args);
        assert_eq!(out.code, Some(code), "{:?} {:?}", out.stdout, out.stderr);
        within_bound(&out);
    }
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start(|_| thread::sleep(HOLD));
    let out = probe(&[&server.url("/"), "--timeout", "1s"]);
    unhealthy(&out, &["timed out after 1s while reading headers"]);
    within_bound(&out);
    assert!(
        out.elapsed >= Duration::from_millis(900),
        "{:?}",
        out.elapsed
    );
}

/// One byte every 100 ms, for a minute: each read succeeds, only the overall deadline ends it.
#[test]
fn a_slowloris_server_cannot_stretch_the_deadline() {
    let server = Server::start(|s| {
        let head = b"HTTP/1.1 200 OK\r\nX-Slow: ".iter();
        for byte in head.chain(std::iter::repeat(&b'a')).take(600) {
            if s.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let out = probe(&[&server.url("/"), "--timeout", "1s"]);
    unhealthy(&out, &["timed out after 1s while reading headers"]);
    within_bound(&out);

    // The same in the body.
    let server = Server::start(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n");
        for _ in 0..600 {
            if s.write_all(b"x").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let out = probe(&[&server.url("/"), "--timeout", "1s", "--expect-body", "ok"]);
    unhealthy(&out, &["timed out after 1s while reading the body"]);
    within_bound(&out);
}

#[test]
fn hostile_answers_are_unhealthy_and_quick() {
    type Script = fn(&mut TcpStream);
    let cases: [(&str, Script, &[&str], &str); 6] = [
        (
            "garbage",
            |s| {
                let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1\r\n");
                thread::sleep(HOLD);
            },
            &[],
            "not an HTTP response",
        ),
        (
            "a huge header block",
            |s| {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
                let _ = s.write_all("X-Pad: aaaaaaaaaaaaaaaaaaaa\r\n".repeat(10_000).as_bytes());
                thread::sleep(HOLD);
            },
            &[],
            "headers larger than 16 KiB",
        ),
        (
            "a huge body",
            |s| {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
                let _ = s.write_all(&vec![b'x'; 4 << 20]);
                thread::sleep(HOLD);
            },
            &["--expect-body", "ok"],
            "body does not contain \"ok\" (HTTP 200, first 64 KiB)",
        ),
        (
            "broken chunked encoding",
            |s| {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxyz\r\n",
                );
                thread::sleep(HOLD);
            },
            &["--expect-body", "ok"],
            "malformed chunked encoding",
        ),
        (
            "an early close",
            |_| {},
            &[],
            "connection closed before the headers ended",
        ),
        (
            "a close in the headers",
            |s| {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nServer: half");
            },
            &[],
            "connection closed before the headers ended",
        ),
    ];
    for (what, script, flags, needle) in cases {
        let server = Server::start(script);
        let url = server.url("/");
        let mut args = vec![url.as_str(), "--timeout", "1s"];
        args.extend_from_slice(flags);
        let out = probe(&args);
        assert_eq!(out.code, Some(1), "{what}: {:?}", out.stdout);
        unhealthy(&out, &[needle]);
        within_bound(&out);
    }
}

#[test]
fn a_refused_connection_is_unhealthy() {
    let port = refused_port();
    let out = probe(&[&format!("http://127.0.0.1:{port}/health")]);
    unhealthy(&out, &[&format!("connection refused (127.0.0.1:{port})")]);
    within_bound(&out);
}

#[test]
fn tcp_is_healthy_when_a_connection_opens() {
    let server = Server::start(|_| {});
    let out = probe(&[&format!("tcp://127.0.0.1:{}", server.port())]);
    healthy(&out, &["TCP connect to 127.0.0.1:"]);

    let port = refused_port();
    let out = probe(&[&format!("tcp://127.0.0.1:{port}")]);
    unhealthy(&out, &["connection refused"]);
}

#[test]
fn names_resolve_through_etc_hosts() {
    // localhost is in every /etc/hosts; the address tried first may be ::1.
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let out = probe(&[&format!("http://localhost:{}/", server.port())]);
    healthy(&out, &[&format!("127.0.0.1:{}", server.port())]);
    let request = server.received();
    assert!(
        request.contains(&format!("\r\nHost: localhost:{}\r\n", server.port())),
        "{request:?}"
    );

    let out = probe(&["http://no-such-host.invalid/", "--timeout", "1s"]);
    unhealthy(&out, &["no-such-host.invalid"]);
    within_bound(&out);
}

#[test]
fn ipv6_loopback() {
    let server = Server::start_on("[::1]:0", |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
    });
    let out = probe(&[&format!("http://[::1]:{}/", server.port())]);
    healthy(&out, &[&format!("from [::1]:{}", server.port())]);
    let request = server.received();
    assert!(
        request.contains(&format!("\r\nHost: [::1]:{}\r\n", server.port())),
        "{request:?}"
    );
    assert_eq!(server.addr.ip(), Ipv6Addr::LOCALHOST);

    let server = Server::start_on("[::1]:0", |_| {});
    let out = probe(&[&format!("tcp://[::1]:{}", server.port())]);
    healthy(&out, &["TCP connect to [::1]:"]);
}

#[test]
fn https_is_refused_with_the_reason() {
    let out = probe(&["https://127.0.0.1:8443/health"]);
    unhealthy(&out, &["https is not supported", "TLS"]);
}

#[test]
fn usage_errors_and_malformed_urls_exit_1() {
    let cases: [(&[&str], &str); 10] = [
        (&[], "no URL"),
        (
            &["127.0.0.1:8080/health"],
            "invalid value '127.0.0.1:8080/health' for URL",
        ),
        (&["http://"], "no host"),
        (&["http://::1/"], "brackets"),
        (&["http://app:99999/"], "port"),
        (&["http://app/a b"], "percent-encode"),
        (&["tcp://db"], "needs a port"),
        (
            &["http://app/", "--timeout", "soon"],
            "invalid value 'soon' for --timeout",
        ),
        (
            &["http://app/", "--expect-status", "2xx"],
            "--expect-status",
        ),
        (&["http://app/", "--frobnicate"], "--frobnicate"),
    ];
    for (args, needle) in cases {
        let out = probe(args);
        unhealthy(&out, &[needle]);
    }
    // A header with a line break cannot smuggle a second header, nor a second stdout line.
    let out = probe(&["http://app/", "--header", "X: a\r\nEvil: 1"]);
    unhealthy(&out, &["--header"]);
}

#[test]
fn the_environment_configures_a_bare_probe() {
    let server = Server::answering(b"HTTP/1.1 418 Teapot\r\nContent-Length: 5\r\n\r\nready");
    let url = server.url("/env");
    let out = probe_with(
        &[],
        &[
            ("TEND_PROBE_URL", &url),
            ("TEND_PROBE_TIMEOUT", "2s"),
            ("TEND_PROBE_EXPECT_STATUS", "418"),
            ("TEND_PROBE_EXPECT_BODY", "ready"),
            ("TEND_PROBE_HEADERS", "X-One: 1\nX-Two: 2\n"),
        ],
    );
    healthy(&out, &["HTTP 418"]);
    let request = server.received();
    assert!(request.starts_with("GET /env HTTP/1.1\r\n"), "{request:?}");
    assert!(
        request.ends_with("X-One: 1\r\nX-Two: 2\r\n\r\n"),
        "{request:?}"
    );

    // The timeout from the environment bounds a hanging server.
    let server = Server::start(|_| thread::sleep(HOLD));
    let out = probe_with(&[&server.url("/")], &[("TEND_PROBE_TIMEOUT", "500ms")]);
    unhealthy(&out, &["timed out after 500ms"]);
    within_bound(&out);

    // The flag wins over the variable.
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let refused = format!("http://127.0.0.1:{}/", refused_port());
    let out = probe_with(&[&server.url("/")], &[("TEND_PROBE_URL", &refused)]);
    healthy(&out, &[]);
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let out = probe_with(
        &[&server.url("/"), "--expect-status", "200"],
        &[("TEND_PROBE_EXPECT_STATUS", "500")],
    );
    healthy(&out, &[]);
}

#[test]
fn the_log_goes_to_stderr_and_stdout_keeps_one_line() {
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let out = probe_with(
        &[&format!("http://localhost:{}/", server.port())],
        &[("TEND_LOG_LEVEL", "debug")],
    );
    healthy(&out, &[]);
    for line in out.stderr.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert!(record["msg"].is_string(), "{line}");
    }
    assert!(
        out.stderr.contains("\"msg\":\"probe finished\""),
        "{}",
        out.stderr
    );
}

/// A scratch directory with a hosts file (and a resolv.conf), bind-mounted
/// over /etc in a private mount namespace: the machine's files are untouched.
struct Etc {
    dir: Scratch,
}

impl Etc {
    fn new(hosts: &str, resolv: &str) -> Etc {
        // Each test runs on a thread of its own: its id keeps two tests apart.
        let dir = Scratch::new(&format!("{:?}", thread::current().id()));
        dir.file("hosts", hosts.as_bytes(), 0o644);
        dir.file("resolv.conf", resolv.as_bytes(), 0o644);
        Etc { dir }
    }

    fn probe(&self, args: &[&str]) -> common::Outcome {
        self.start(args).wait()
    }

    /// `tend --probe ARGS` under these files, started.
    fn start(&self, args: &[&str]) -> Tend {
        let mut list = vec!["--probe"];
        list.extend(args);
        self.tend(&list)
    }

    /// `tend ARGS` under these files, started; unshare and sh exec into
    /// tend, so the pid is tend's.
    fn tend(&self, args: &[&str]) -> Tend {
        let mut cmd = in_private_mounts(
            r#"mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec "$@""#,
        );
        cmd.arg(self.dir.root())
            .arg(TEND)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Tend::spawn(cmd, false)
    }
}

#[test]
fn a_name_of_our_own_in_etc_hosts() {
    if !have_root("a_name_of_our_own_in_etc_hosts") {
        return;
    }
    let etc = Etc::new("127.0.0.1 health.tend.test\n", "");
    let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
    let out = etc.probe(&[&format!("http://health.tend.test:{}/", server.port())]);
    healthy(&out, &[&format!("from 127.0.0.1:{}", server.port())]);
    let request = server.received();
    assert!(
        request.contains(&format!("\r\nHost: health.tend.test:{}\r\n", server.port())),
        "{request:?}"
    );
}

/// getaddrinfo(3) has no timeout of its own: against a DNS server that never
/// answers it would wait 5 s per try. The probe's deadline still holds.
#[test]
fn a_resolver_that_never_answers_cannot_stretch_the_deadline() {
    if !have_root("a_resolver_that_never_answers_cannot_stretch_the_deadline") {
        return;
    }
    // A loopback address of our own, so no real resolver is in the way.
    let dns = UdpSocket::bind("127.53.0.1:53").expect("bind a silent DNS server");
    let etc = Etc::new(
        "127.0.0.1 localhost\n",
        "nameserver 127.53.0.1\noptions timeout:5 attempts:2\n",
    );
    let out = etc.probe(&["http://silent.tend.test/", "--timeout", "1s"]);
    unhealthy(
        &out,
        &["timed out after 1s while resolving 'silent.tend.test'"],
    );
    within_bound(&out);
    // The query did reach the silent server.
    dns.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0; 512];
    assert!(dns.recv_from(&mut buf).is_ok(), "no DNS query arrived");
}

/// tend never starts a thread: its checks run in forked copies of it
/// (`--health`, `--wait-for`, and `--probe` of a name), and fork(2) makes a
/// faithful copy only of a single-threaded process. While getaddrinfo(3)
/// hangs, the probe is one thread waiting for one copy, itself one thread;
/// at the deadline the probe kills the copy and says what it was doing.
#[test]
fn a_hanging_resolver_holds_a_copy_not_a_thread() {
    if !have_root("a_hanging_resolver_holds_a_copy_not_a_thread") {
        return;
    }
    // Not the address of the test above, which may run at the same time.
    let dns = UdpSocket::bind("127.53.0.2:53").expect("bind a silent DNS server");
    let etc = Etc::new(
        "127.0.0.1 localhost\n",
        // musl gives up after `timeout` in all (glibc: per attempt): past the deadline in both.
        "nameserver 127.53.0.2\noptions timeout:30 attempts:1\n",
    );
    let tend = etc.start(&["http://silent.tend.test/", "--timeout", "10s"]);
    dns.set_read_timeout(Some(HANG)).expect("read timeout");
    let mut buf = [0; 512];
    dns.recv_from(&mut buf).expect("a DNS query within HANG");
    // The query is out and will never be answered: the resolver is waiting.
    let threads = |pid: i32| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        common::field(&status, "Threads").map(str::to_string)
    };
    let copies = common::children_of(tend.pid);
    assert_eq!(copies.len(), 1, "tend {} has children {copies:?}", tend.pid);
    assert_eq!(threads(tend.pid).as_deref(), Some("1"), "tend's threads");
    assert_eq!(
        threads(copies[0]).as_deref(),
        Some("1"),
        "the copy's threads"
    );
    let out = tend.wait();
    unhealthy(
        &out,
        &["timed out after 10s while resolving 'silent.tend.test'"],
    );
}

/// `--health` runs each check in a copy that it kills at the check's
/// deadline; one that getaddrinfo(3) holds still says what it was doing.
#[test]
fn a_hanging_resolver_under_health_is_a_timeout_while_resolving() {
    if !have_root("a_hanging_resolver_under_health_is_a_timeout_while_resolving") {
        return;
    }
    // Not the addresses of the tests above, which may run at the same time.
    let _dns = UdpSocket::bind("127.53.0.3:53").expect("bind a silent DNS server");
    let etc = Etc::new(
        "127.0.0.1 localhost\n",
        "nameserver 127.53.0.3\noptions timeout:5 attempts:2\n",
    );
    let url = "http://silent.tend.test/";
    let args = [
        "--health",
        url,
        "--health-timeout",
        "1s",
        "--",
        "sleep",
        "60",
    ];
    let tend = etc.tend(&args);
    let failed = common::wait_for("a failed health check", || {
        let stderr = tend.stderr();
        let line = stderr.lines().find(|l| l.contains("health check failed"))?;
        Some(serde_json::from_str::<serde_json::Value>(line).expect("a JSON log line"))
    });
    assert_eq!(
        failed["reason"], "timed out after 1s while resolving 'silent.tend.test'",
        "{failed}"
    );
}

/// `${NAME}` and `${NAME:-default}` in the URLs of --probe, --wait-for and
/// --health (issue 18 #16): five projects put `sh -c` back into HEALTHCHECK
/// only to expand a port.
mod url_templates {
    use super::*;
    use common::pid1_command;

    #[test]
    fn probe_urls_expand_from_tends_own_environment() {
        let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
        let port = server.port().to_string();
        let out = probe_with(&["http://127.0.0.1:${PORT}/health"], &[("PORT", &port)]);
        healthy(&out, &[]);
        assert!(server.received().starts_with("GET /health HTTP/1.1\r\n"));
        // The default, where today's parse said "an IPv6 address must be in brackets".
        let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
        let url = format!("http://127.0.0.1:${{PORT:-{}}}/", server.port());
        healthy(&probe_with(&[&url], &[]), &[]);
        // From TEND_PROBE_URL too: the image's ENV sets the template, the runtime the port.
        let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
        let port = server.port().to_string();
        let out = probe_with(
            &[],
            &[
                ("TEND_PROBE_URL", "tcp://${HOST:-127.0.0.1}:${PORT}"),
                ("PORT", &port),
            ],
        );
        healthy(&out, &["TCP connect"]);
    }

    #[test]
    fn a_probe_url_that_cannot_expand_is_an_unhealthy_verdict_naming_the_variable() {
        // Not a name nor a number, so it is refused before any lookup.
        let secret = "s3cr3t value";
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case; 3] = [
            (
                "http://127.0.0.1:${PORT}/health",
                &[],
                &["for URL", "${PORT} is not set (no default given)"],
            ),
            (
                "http://${HOST}:8080/",
                &[("HOST", secret)],
                &["${HOST}", "the host is not"],
            ),
            (
                "http://127.0.0.1:${PORT}/",
                &[("PORT", secret)],
                &["after expanding ${PORT}", "the port must be a number"],
            ),
        ];
        for (url, vars, needles) in cases {
            let out = probe_with(&[url], vars);
            unhealthy(&out, needles);
            assert!(
                !out.stdout[0].contains(secret),
                "a value in {:?}",
                out.stdout
            );
        }
    }

    /// `tend ARGS` as PID 1 with the environment `vars` only.
    fn run(args: &[&str], vars: &[(&str, &str)]) -> common::Outcome {
        common::run_with_env(pid1_command(args), false, vars)
    }

    #[test]
    fn wait_for_urls_expand_from_the_programs_environment() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port().to_string();
        let dir = Scratch::new("url-wait-for");
        let secret = dir.file("port", port.as_bytes(), 0o644);
        let url = "tcp://127.0.0.1:${DB_PORT}";
        // After --file-env: the program's environment, as --expand sees it.
        let out = run(
            &["--file-env", "DB_PORT", "--wait-for", url, "--", "true"],
            &[("DB_PORT_FILE", secret.to_str().expect("utf-8"))],
        );
        assert_eq!(out.code, Some(0), "{out:?}");
        let out = run(&["--wait-for", url, "--", "true"], &[("DB_PORT", &port)]);
        assert_eq!(out.code, Some(0), "{out:?}");
        let out = run(
            &["--", "true"],
            &[("TEND_WAIT_FOR", url), ("DB_PORT", &port)],
        );
        assert_eq!(out.code, Some(0), "{out:?}");
        // Unset: 125, one line that names the variable and the option, and no program.
        for (args, vars, name) in [
            (
                &["--wait-for", url, "--", "echo", "ran"][..],
                &[][..],
                "--wait-for",
            ),
            (
                &["--", "echo", "ran"],
                &[("TEND_WAIT_FOR", url)],
                "TEND_WAIT_FOR",
            ),
        ] {
            let out = run(args, vars);
            assert_eq!(out.code, Some(125), "{out:?}");
            assert!(out.stdout.is_empty(), "the program ran: {out:?}");
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{out:?}");
            let want = format!("invalid value '{url}' for {name}: ${{DB_PORT}} is not set");
            assert!(lines[0].contains(&want), "{lines:?} lacks {want:?}");
        }
        drop(listener);
    }

    #[test]
    fn health_urls_expand_from_the_programs_environment() {
        let server = Server::answering(b"HTTP/1.1 200 OK\r\n\r\n");
        let port = server.port().to_string();
        let mut cmd = pid1_command(&[
            "--health",
            "http://127.0.0.1:${APP_PORT}/ready",
            "--health-interval",
            "100ms",
            // The server answers once: later checks fail, and must not stop the app.
            "--on-unhealthy",
            "log",
            "--",
            "sleep",
            "60",
        ]);
        cmd.env("APP_PORT", &port);
        let tend = Tend::spawn(cmd, true);
        // The watchdog's first check reaches the port the variable names.
        assert!(server.received().starts_with("GET /ready HTTP/1.1\r\n"));
        tend.signal(libc::SIGTERM);
        let out = tend.wait();
        assert_eq!(out.code, Some(128 + libc::SIGTERM), "{out:?}");
        // Unset, without a default: 125 before the program starts.
        let out = run(
            &[
                "--health",
                "http://127.0.0.1:${APP_PORT}/",
                "--",
                "echo",
                "ran",
            ],
            &[],
        );
        assert_eq!(out.code, Some(125), "{out:?}");
        assert!(out.stdout.is_empty(), "the program ran: {out:?}");
        assert!(
            out.stderr.contains("for --health: ${APP_PORT} is not set"),
            "{out:?}"
        );
    }
}
