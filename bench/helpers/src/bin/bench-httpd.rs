//! A tiny HTTP/1.1 server on 127.0.0.1 for timing probes: prints its port,
//! then answers every request with `200 OK` and a 3-byte body, one
//! connection at a time (the probes are run one at a time too).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

fn main() {
    let listener = match TcpListener::bind("127.0.0.1:0") {
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
