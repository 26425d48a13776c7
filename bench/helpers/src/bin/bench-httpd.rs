//! A tiny HTTP/1.1 server on 127.0.0.1 for timing probes: prints its port,
//! then answers every request with `200 OK` and a 3-byte body, one
//! connection at a time (the probes are run one at a time too).
//!
//! `bench-httpd [--port N] [--log]`: `--port` binds N instead of a free port
//! (for `tend --health`, whose URL is fixed before the server starts);
//! `--log` also prints `req <CLOCK_MONOTONIC ns>` for each request as it
//! arrives, so the driver can count the checks and place them in time.
//! Only with `--log` does it write after the port line: the probe figure
//! closes its end of the pipe once it has the port.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn main() {
    let mut port: u16 = 0;
    let mut log = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            "--log" => log = true,
            _ => {
                eprintln!("usage: bench-httpd [--port N] [--log]");
                std::process::exit(2);
            }
        }
    }
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-httpd: bind: {e}");
            std::process::exit(2);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("{port}");
    let _ = std::io::stdout().flush();
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        if log {
            // One write(2) per line: stdout is a LineWriter.
            println!("req {}", now_ns());
        }
        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = conn.set_nodelay(true);
        // Read the request head; a probe sends no body.
        let mut head = Vec::with_capacity(512);
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        if head.is_empty() {
            continue; // a TCP-connect probe, or a client that gave up
        }
        let _ = conn.write_all(RESPONSE);
        let _ = conn.shutdown(std::net::Shutdown::Write);
    }
}
