//! `tend --probe URL`: one HTTP/1.1 GET or one TCP connect under one deadline → healthy or not.
//!
//! Invariant: whatever the resolver, the network or the peer do, the probe
//! gives its verdict by the deadline, prints it as one line on stdout, and
//! exits 0 (healthy) or 1 (anything else, usage errors included: Docker
//! reserves 2). Options, the request and the verdict's wording are pure;
//! `check` and the functions below it do the I/O.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal};

use crate::error::exit;
use crate::logger::{debug, info};
use crate::sys::{self, Unresolved};
mod http;
pub mod runner;
pub mod url;

use crate::entry::expand::Lookup;
use http::{BODY_LIMIT, Parser, Progress};
use url::{Host, Scheme, Shown, Target, Url};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The Kubernetes httpGet rule.
const DEFAULT_STATUS: &str = "200-399";

/// One probe, ready to run: from `tend --probe`'s options, or `--health`'s.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub url: Target,
    pub timeout: Duration,
    pub expect_status: StatusSet,
    pub expect_body: Option<String>,
    /// Extra request headers, validated: no CR, LF or other control bytes.
    pub headers: Vec<(String, String)>,
}

impl Probe {
    /// A dependency's check for `--wait-for`: the URL alone, with the
    /// defaults (200-399, no body, no extra headers). The TEND_PROBE_*
    /// variables describe the app, not what it depends on.
    pub fn dependency(url: Target, timeout: Duration) -> Probe {
        Probe {
            url,
            timeout,
            expect_status: StatusSet::default_set(),
            expect_body: None,
            headers: Vec::new(),
        }
    }
}

/// `200-399`, `200,204`, `200-299,418`; `text` is how it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusSet {
    ranges: Vec<(u16, u16)>,
    text: String,
}

impl StatusSet {
    /// The Kubernetes httpGet rule, 200-399.
    fn default_set() -> StatusSet {
        StatusSet {
            ranges: vec![(200, 399)],
            text: DEFAULT_STATUS.to_string(),
        }
    }

    fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(low, high)| (low..=high).contains(&status))
    }
}

/// A probe's verdict, with the line that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Healthy(String),
    Unhealthy(String),
}

/// What the options said, before `finish` checks it as a whole.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Args {
    /// The URL, and the option that gave it (`URL`, `TEND_PROBE_URL`,
    /// `--health`, …), which its errors name.
    pub url: Option<(Url, String)>,
    pub timeout: Option<Duration>,
    pub expect_status: Option<StatusSet>,
    /// The text, and whether a flag (not a variable) gave it.
    pub expect_body: Option<(String, bool)>,
    pub headers: Vec<(String, String)>,
    pub headers_from_flag: bool,
}

impl Args {
    /// Set the URL that `name` gave; Err says what is wrong with it.
    pub fn set_url(&mut self, text: &str, name: &str) -> Result<(), String> {
        let url = Url::new(text).map_err(|e| url::describe(e).to_string())?;
        self.url = Some((url, name.to_string()));
        Ok(())
    }

    /// The URL's target, a template's expanded from `env`.
    pub fn target(&self, env: Lookup) -> Result<Target, String> {
        let (url, name) = self
            .url
            .as_ref()
            .ok_or("no URL: tend --probe URL, or set TEND_PROBE_URL (see tend --help)")?;
        url.resolve(env, name)
    }

    /// The probe to run at `url`, with the defaults for what was not given.
    pub fn finish(&self, url: Target) -> Result<Probe, String> {
        // Only flags are an error: a TEND_PROBE_HEADERS set for a whole
        // image must not break its tcp:// probes.
        let tcp = url.scheme == Scheme::Tcp;
        let body_flag = self.expect_body.as_ref().is_some_and(|(_, flag)| *flag);
        if tcp && (body_flag || self.headers_from_flag) {
            return Err(
                "a tcp:// probe only connects: it takes no --expect-body or --header".into(),
            );
        }
        // Borrowed, and only what the probe keeps cloned: --health's
        // settings are made from the same Args without a copy of them all.
        Ok(Probe {
            url,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            expect_status: self
                .expect_status
                .clone()
                .unwrap_or_else(StatusSet::default_set),
            expect_body: match tcp {
                true => None,
                false => self.expect_body.as_ref().map(|(text, _)| text.clone()),
            },
            headers: match tcp {
                true => Vec::new(),
                false => self.headers.clone(),
            },
        })
    }
}

/// `tend --probe`: run the probe (or report why it cannot run) and print
/// the verdict as one line on stdout. Exit 0 healthy, 1 anything else.
pub fn run(probe: Result<Probe, String>) -> u8 {
    // A closed stdout must not kill the probe with SIGPIPE (exit 141): blocked,
    // the write fails with EPIPE instead. Sockets already send with MSG_NOSIGNAL.
    let _ = SigSet::from(Signal::SIGPIPE).thread_block();
    let health = match probe {
        Ok(probe) => {
            // Only a name can hold the probe past its deadline (in getaddrinfo,
            // which has no timeout): then the check runs in a copy that is
            // killed at the deadline. An address needs no fork.
            let health = match probe.url.host {
                Host::Name(_) => runner::wait(&probe),
                Host::V4(_) | Host::V6(_) => check(&probe, &mut |_| {}),
            };
            info!(url = describe_url(&probe.url), healthy = matches!(health, Health::Healthy(_)); "probe finished");
            health
        }
        Err(usage) => Health::Unhealthy(usage),
    };
    let (line, code) = match &health {
        Health::Healthy(what) => (format!("healthy: {}\n", one_line(what)), exit::HEALTHY),
        Health::Unhealthy(why) => (format!("unhealthy: {}\n", one_line(why)), exit::UNHEALTHY),
    };
    // Nowhere to report a failing stdout; the exit code still carries the verdict.
    let _ = sys::write_all(sys::stdout(), line.as_bytes());
    code
}

/// `200-399`, `200,204`, `200-299, 418`: statuses from 100 to 999.
pub fn parse_status_set(text: &str) -> Option<StatusSet> {
    let status = |s: &str| {
        let s = s.trim();
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| crate::number::u32(s))
            .flatten()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n >= 100)
    };
    let mut ranges = Vec::new();
    for item in text.split(',') {
        ranges.push(match item.split_once('-') {
            Some((low, high)) => Some((status(low)?, status(high)?)).filter(|(l, h)| l <= h)?,
            None => status(item).map(|s| (s, s))?,
        });
    }
    Some(StatusSet {
        ranges,
        text: text.split_whitespace().collect(),
    })
}

/// `Name: value`, with a token for a name and no control bytes in the value.
pub fn parse_header(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once(':')?;
    let (name, value) = (name.trim(), value.trim());
    let value_byte = |b: u8| b == b'\t' || (b >= 0x20 && b != 0x7f);
    (!name.is_empty() && name.bytes().all(http::is_token) && value.bytes().all(value_byte))
        .then(|| (name.to_string(), value.to_string()))
}

/// The GET. Host, User-Agent and Connection are tend's unless `headers` set them.
fn request(url: &Target, headers: &[(String, String)]) -> Vec<u8> {
    let given = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut text = format!("GET {} HTTP/1.1\r\n", url.path);
    if !given("host") {
        let _ = write!(text, "Host: {}\r\n", url.authority());
    }
    if !given("user-agent") {
        let _ = write!(text, "User-Agent: tend/{}\r\n", env!("CARGO_PKG_VERSION"));
    }
    if !given("connection") {
        text.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        let _ = write!(text, "{name}: {value}\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// A URL as a user wrote it, for the logs: `http://app:8080/health`, `tcp://db:5432`.
pub fn describe_url(url: &Target) -> String {
    match url.scheme {
        Scheme::Http => format!("http://{}{}", url.authority(), url.path),
        Scheme::Tcp => format!("tcp://{}", url.authority()),
    }
}

/// The one deadline that every step of the probe shares.
struct Clock {
    started: Instant,
    timeout: Duration,
}

impl Clock {
    /// Time left, or None once the deadline has passed.
    fn remaining(&self) -> Option<Duration> {
        self.timeout
            .checked_sub(self.started.elapsed())
            .filter(|d| !d.is_zero())
    }

    fn left_for(&self, doing: &dyn std::fmt::Display) -> Result<Duration, String> {
        self.remaining().ok_or_else(|| self.timed_out(doing))
    }

    fn timed_out(&self, doing: &dyn std::fmt::Display) -> String {
        format!(
            "timed out after {} while {doing}",
            show_duration(self.timeout)
        )
    }
}

/// Run `probe` here and now, under its deadline, except while a name is
/// resolved: getaddrinfo(3) has no timeout (a dead DNS server holds it for
/// 10 s and more), so a name's check runs in a forked copy (`runner`) that
/// is killed at the deadline. `meanwhile` is told, before that, the verdict
/// that then stands ("timed out … while resolving 'db'").
pub fn check(probe: &Probe, meanwhile: &mut dyn FnMut(&str)) -> Health {
    let clock = Clock {
        started: Instant::now(),
        timeout: probe.timeout,
    };
    let result = resolve(&probe.url, &clock, meanwhile)
        .and_then(|addrs| connect(&addrs, &clock))
        .and_then(|(stream, addr)| match probe.url.scheme {
            Scheme::Tcp => Ok(format!("TCP connect to {}", Shown(&addr))),
            Scheme::Http => exchange(stream, addr, probe, &clock),
        });
    match result {
        Ok(what) => Health::Healthy(format!(
            "{what} in {}",
            show_elapsed(clock.started.elapsed())
        )),
        Err(why) => Health::Unhealthy(why),
    }
}

/// A literal address as it is; a name through getaddrinfo(3), so /etc/hosts works.
fn resolve(
    url: &Target,
    clock: &Clock,
    meanwhile: &mut dyn FnMut(&str),
) -> Result<Vec<SocketAddr>, String> {
    let name = match &url.host {
        Host::V4(ip) => return Ok(vec![SocketAddr::from((*ip, url.port))]),
        Host::V6(ip) => return Ok(vec![SocketAddr::from((*ip, url.port))]),
        Host::Name(name) => name,
    };
    let doing = format!("resolving '{name}'");
    meanwhile(&clock.timed_out(&doing));
    let addrs = sys::lookup(name, url.port);
    // An answer that came after the deadline came too late.
    clock.left_for(&doing)?;
    // Past getaddrinfo: from here on the copy keeps its own deadline.
    meanwhile("");
    let why = match addrs {
        Ok(addrs) if !addrs.is_empty() => {
            debug!(name = name.as_str(), addresses = show_addrs(&addrs); "resolved");
            return Ok(addrs);
        }
        Ok(_) => "no addresses".to_string(),
        Err(Unresolved::Os(e)) => describe_io(&io::Error::from(e)),
        // As std words it, which tend's messages always said.
        Err(Unresolved::Resolver(words)) => {
            format!("failed to lookup address information: {words}")
        }
    };
    Err(format!("cannot resolve '{name}': {why}"))
}

/// `[127.0.0.1:8080, [::1]:8080]`: the addresses for the log.
fn show_addrs(addrs: &[SocketAddr]) -> String {
    let mut text = String::from("[");
    for (i, addr) in addrs.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{sep}{}", Shown(addr));
    }
    text.push(']');
    text
}

/// Each address in turn, as curl does: localhost may be ::1 first while the app listens on 127.0.0.1.
fn connect(addrs: &[SocketAddr], clock: &Clock) -> Result<(TcpStream, SocketAddr), String> {
    let mut failure = String::from("no address to connect to");
    for &addr in addrs {
        let shown = Shown(&addr);
        let doing = format!("connecting to {shown}");
        match TcpStream::connect_timeout(&addr, clock.left_for(&doing)?) {
            Ok(stream) => return Ok((stream, addr)),
            Err(e) if is_timeout(&e) => return Err(clock.timed_out(&doing)),
            Err(e) => {
                debug!(address = shown, error = describe_io(&e); "connect failed");
                failure = format!("{} ({shown})", describe_io(&e));
            }
        }
    }
    Err(failure)
}

/// Send the GET, then read just enough of the answer to judge it.
fn exchange(
    mut stream: TcpStream,
    addr: SocketAddr,
    probe: &Probe,
    clock: &Clock,
) -> Result<String, String> {
    let addr = Shown(&addr);
    let doing = "sending the request";
    let request = request(&probe.url, &probe.headers);
    stream
        .set_write_timeout(Some(clock.left_for(&doing)?))
        .and_then(|()| stream.write_all(&request))
        .map_err(|e| match is_timeout(&e) {
            true => clock.timed_out(&doing),
            false => format!("{} while {doing} ({addr})", describe_io(&e)),
        })?;

    let mut parser = Parser::new(probe.expect_body.is_some());
    let mut searched = 0;
    let mut buf = [0; 8192];
    loop {
        let phase = parser.phase();
        let read = stream
            .set_read_timeout(Some(clock.left_for(&phase)?))
            .and_then(|()| stream.read(&mut buf));
        let progress = match read {
            Ok(0) => parser.finish().map(|()| Progress::Done),
            Ok(n) => parser.feed(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => return Err(clock.timed_out(&phase)),
            Err(e) => return Err(format!("{} while {phase} ({addr})", describe_io(&e))),
        };
        // Judge what is known before any error further on in the same bytes.
        if let Some(status) = parser.status() {
            if !probe.expect_status.contains(status) {
                return Err(format!(
                    "status {status} not in {}",
                    probe.expect_status.text
                ));
            }
            let found = match &probe.expect_body {
                Some(needle) => find_from(parser.body(), needle.as_bytes(), &mut searched),
                None => true,
            };
            if found {
                return Ok(format!("HTTP {status} from {addr}"));
            }
        }
        match progress {
            Ok(Progress::More) => {}
            Ok(Progress::Done) => {
                let needle = probe.expect_body.as_deref().unwrap_or_default();
                let status = parser.status().unwrap_or_default();
                let size = match parser.truncated() {
                    true => format!("first {} KiB", BODY_LIMIT / 1024),
                    false => format!("{} bytes", parser.body().len()),
                };
                return Err(format!(
                    "body does not contain {} (HTTP {status}, {size})",
                    quote(needle)
                ));
            }
            Err(e) => return Err(format!("{e} ({addr})")),
        }
    }
}

/// Whether `needle` is in `haystack`, looking only at what was not searched
/// before (`searched` bytes, minus an overlap for a needle split across reads).
fn find_from(haystack: &[u8], needle: &[u8], searched: &mut usize) -> bool {
    let start = searched.saturating_sub(needle.len().saturating_sub(1));
    *searched = haystack.len();
    needle.is_empty()
        || haystack
            .get(start..)
            .unwrap_or_default()
            .windows(needle.len())
            .any(|w| w == needle)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// "Connection refused (os error 111)" → "connection refused". The C
/// library's and std's words begin in ASCII, so no Unicode case tables.
fn describe_io(e: &io::Error) -> String {
    let mut text = crate::error::describe(e);
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    text
}

/// `"text"`, with `"`, `\` and control characters escaped as Rust writes
/// them: `"a \"b\"\n"`.
fn quote(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => quoted.extend(['\\', c]),
            c if c.is_control() => quoted.extend(c.escape_default()),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Control characters escaped: messages quote what the user wrote, and the
/// health log must get exactly one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// `d` in whole microseconds: u64 holds 584,000 years of them, and
/// formats without u128's code.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A timeout as a user would write it: 5s, 1500ms, 250us. Integers only.
pub fn show_duration(d: Duration) -> String {
    let micros = micros(d);
    if micros.is_multiple_of(1_000_000) {
        format!("{}s", micros / 1_000_000)
    } else if micros.is_multiple_of(1000) {
        format!("{}ms", micros / 1000)
    } else {
        format!("{micros}us")
    }
}

/// Milliseconds with one decimal, two below 1 ms: 2.1 ms, 0.35 ms. Integers only.
fn show_elapsed(d: Duration) -> String {
    let micros = micros(d);
    if micros < 1000 {
        format!("0.{:02} ms", micros / 10)
    } else {
        format!("{}.{} ms", micros / 1000, micros % 1000 / 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Mode};
    use std::collections::HashMap;
    use std::ffi::OsString;

    /// `tend --probe ARGS`, through the one command-line parser.
    fn parse_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Probe, String> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let args: Vec<OsString> = std::iter::once("--probe")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        match cli::parse(&args, &|name| vars.get(name).cloned()) {
            Ok(Mode::Probe(_, probe, _)) => probe,
            other => panic!("{args:?} is no probe: {other:?}"),
        }
    }

    fn probe(args: &[&str], vars: &[(&str, &str)]) -> Probe {
        match parse_with(args, vars) {
            Ok(probe) => probe,
            Err(e) => panic!("{args:?} {vars:?}: {e}"),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let p = probe(&["http://127.0.0.1:8080/health"], &[]);
        assert_eq!(p.timeout, Duration::from_secs(5));
        assert_eq!(p.expect_status.text, "200-399");
        assert_eq!(p.expect_status.ranges, [(200, 399)]);
        assert_eq!(p.expect_body, None);
        assert!(p.headers.is_empty());
        assert_eq!(p.url.path, "/health");
    }

    #[test]
    fn flags_in_any_order_and_with_equals() {
        let p = probe(
            &[
                "--timeout=250ms",
                "--header",
                "X-A: 1",
                "http://a/",
                "--expect-status",
                "200,204",
                "--expect-body=ok",
                "--header=Authorization:  Bearer x ",
            ],
            &[],
        );
        assert_eq!(p.timeout, Duration::from_millis(250));
        assert_eq!(p.expect_status.ranges, [(200, 200), (204, 204)]);
        assert_eq!(p.expect_body.as_deref(), Some("ok"));
        assert_eq!(
            p.headers,
            pairs(&[("X-A", "1"), ("Authorization", "Bearer x")])
        );
    }

    #[test]
    fn environment_fills_what_flags_leave() {
        let env = [
            ("TEND_PROBE_URL", "http://env/"),
            ("TEND_PROBE_TIMEOUT", "2s"),
            ("TEND_PROBE_EXPECT_STATUS", "200-299,418"),
            ("TEND_PROBE_EXPECT_BODY", "up"),
            ("TEND_PROBE_HEADERS", "X-A: 1\r\n\n  X-B: two words\n"),
        ];
        let p = probe(&[], &env);
        assert_eq!(p.url.host, Host::Name("env".into()));
        assert_eq!(p.timeout, Duration::from_secs(2));
        assert_eq!(p.expect_status.ranges, [(200, 299), (418, 418)]);
        assert_eq!(p.expect_body.as_deref(), Some("up"));
        assert_eq!(p.headers, pairs(&[("X-A", "1"), ("X-B", "two words")]));

        let flags = probe(
            &["tcp://flag:1", "--timeout", "1s", "--expect-status", "204"],
            &[
                ("TEND_PROBE_URL", "http://env/"),
                ("TEND_PROBE_TIMEOUT", "2s"),
                ("TEND_PROBE_EXPECT_STATUS", "200"),
            ],
        );
        assert_eq!(flags.url.host, Host::Name("flag".into()));
        assert_eq!(flags.timeout, Duration::from_secs(1));
        assert_eq!(flags.expect_status.text, "204");

        // --header replaces the variable's list rather than adding to it.
        let p = probe(&["--header", "X-C: 3"], &env);
        assert_eq!(p.headers, pairs(&[("X-C", "3")]));
        assert_eq!(p.expect_body.as_deref(), Some("up"));

        // A tcp:// probe ignores the HTTP settings an image may set for all probes.
        let p = probe(&["tcp://db:5432"], &env);
        assert_eq!((p.expect_body, p.headers), (None, vec![]));

        // Empty means unset.
        let p = probe(
            &["http://a/"],
            &[("TEND_PROBE_TIMEOUT", ""), ("TEND_PROBE_EXPECT_BODY", "")],
        );
        assert_eq!((p.timeout, p.expect_body), (DEFAULT_TIMEOUT, None));
    }

    #[test]
    fn bad_input_says_what_and_where() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case; 17] = [
            (&[], &[], &["no URL", "TEND_PROBE_URL"]),
            (&["http://a/", "http://b/"], &[], &["more than one URL"]),
            (&["http://a/", "--frob"], &[], &["unknown", "--frob"]),
            (&["http://a/", "-t", "1"], &[], &["unknown option '-t'"]),
            (&["http://a/", "--timeout"], &[], &["--timeout", "needs"]),
            (
                &["http://a/", "--timeout", "soon"],
                &[],
                &["invalid value 'soon' for --timeout: expected a duration"],
            ),
            (
                &["http://a/", "--timeout", "0"],
                &[],
                &["'0' for --timeout"],
            ),
            (
                &["http://a/"],
                &[("TEND_PROBE_TIMEOUT", "1d")],
                &["invalid value '1d' for TEND_PROBE_TIMEOUT: expected a duration"],
            ),
            (
                &["http://a/", "--expect-status", "2xx"],
                &[],
                &["'2xx' for --expect-status"],
            ),
            (
                &["http://a/"],
                &[("TEND_PROBE_EXPECT_STATUS", "399-200")],
                &["TEND_PROBE_EXPECT_STATUS"],
            ),
            (
                &["http://a/", "--header", "NoColon"],
                &[],
                &["--header", "NoColon"],
            ),
            (
                &["http://a/", "--header", "X: a\r\nEvil: 1"],
                &[],
                &["--header"],
            ),
            (
                &["http://a/"],
                &[("TEND_PROBE_HEADERS", "Bad Name: 1")],
                &["TEND_PROBE_HEADERS", "Bad Name"],
            ),
            (&["https://a/"], &[], &["https is not supported", "TLS"]),
            (
                &["localhost:8080"],
                &[],
                &["invalid value 'localhost:8080' for URL: expected http://"],
            ),
            (
                &["tcp://a:1", "--expect-body", "x"],
                &[],
                &["tcp://", "--expect-body"],
            ),
            (
                &["tcp://a:1", "--header", "X-A: 1"],
                &[],
                &["tcp://", "--header"],
            ),
        ];
        for (args, vars, needles) in cases {
            let Err(text) = parse_with(args, vars) else {
                panic!("{args:?} {vars:?} should fail");
            };
            let text = one_line(&text);
            assert!(!text.contains(['\n', '\r']), "{text:?}");
            for needle in needles {
                assert!(text.contains(needle), "{args:?}: {text:?} lacks {needle:?}");
            }
        }
    }

    #[test]
    fn status_sets() {
        type Ranges<'a> = Option<&'a [(u16, u16)]>;
        let cases: [(&str, Ranges); 10] = [
            ("200-399", Some(&[(200, 399)])),
            ("200,204", Some(&[(200, 200), (204, 204)])),
            (" 200-299 , 418 ", Some(&[(200, 299), (418, 418)])),
            ("404", Some(&[(404, 404)])),
            ("", None),
            ("200,", None),
            ("2xx", None),
            ("99", None),
            ("300-200", None),
            ("200-", None),
        ];
        for (text, ranges) in cases {
            assert_eq!(
                parse_status_set(text).map(|s| s.ranges),
                ranges.map(<[_]>::to_vec),
                "{text:?}"
            );
        }
        let set =
            parse_status_set("200-299, 418").map(|s| (s.contains(418), s.contains(300), s.text));
        assert_eq!(set, Some((true, false, "200-299,418".to_string())));
    }

    #[test]
    fn headers() {
        let cases = [
            ("X-A: 1", Some(("X-A", "1"))),
            ("  Host :example.com  ", Some(("Host", "example.com"))),
            ("X-Empty:", Some(("X-Empty", ""))),
            ("X-Tab: a\tb", Some(("X-Tab", "a\tb"))),
            ("Bad Name: 1", None),
            (": 1", None),
            ("X: a\rb", None),
            ("X: a\nb", None),
            ("X: \x7f", None),
            ("no colon", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_header(text),
                want.map(|(n, v)| (n.to_string(), v.to_string())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn request_bytes() {
        let url = |text| match url::parse(text) {
            Ok(url) => url,
            Err(e) => panic!("{text}: {e:?}"),
        };
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            String::from_utf8_lossy(&request(&url("http://127.0.0.1:8080/health?x=1"), &[])),
            format!(
                "GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: tend/{version}\r\nConnection: close\r\n\r\n"
            )
        );
        assert_eq!(
            String::from_utf8_lossy(&request(
                &url("http://[::1]/"),
                &pairs(&[("host", "app.example"), ("X-A", "1")])
            )),
            format!(
                "GET / HTTP/1.1\r\nUser-Agent: tend/{version}\r\nConnection: close\r\nhost: app.example\r\nX-A: 1\r\n\r\n"
            )
        );
    }

    #[test]
    fn needle_search_only_looks_at_new_bytes_and_overlaps() {
        let mut searched = 0;
        let mut body = b"xxhe".to_vec();
        assert!(!find_from(&body, b"hello", &mut searched));
        body.extend_from_slice(b"llo");
        assert!(find_from(&body, b"hello", &mut searched));
        let mut searched = 0;
        assert!(find_from(b"", b"", &mut searched));
        assert!(!find_from(b"abc", b"abcd", &mut searched));
    }

    #[test]
    fn wording() {
        let durations = [
            (Duration::from_secs(5), "5s"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_micros(250), "250us"),
        ];
        for (d, text) in durations {
            assert_eq!(show_duration(d), text);
        }
        let elapsed = [
            (Duration::from_micros(2149), "2.1 ms"),
            (Duration::from_micros(350), "0.35 ms"),
            (Duration::from_micros(7), "0.00 ms"),
            (Duration::from_millis(1234), "1234.0 ms"),
        ];
        for (d, text) in elapsed {
            assert_eq!(show_elapsed(d), text);
        }
        assert_eq!(one_line("bad 'a\r\nb'\t"), "bad 'a\\r\\nb'\\t");
        // As std's Debug of a str said it, before the message wrote it by hand.
        for text in [
            "ok",
            "say \"hi\"",
            "a\\b",
            "tab\tnew\nline",
            "",
            "caf\u{e9}",
        ] {
            assert_eq!(quote(text), format!("{text:?}"));
        }
        // As std's Debug of the list said it, before the log wrote it by hand.
        let addrs = [
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 8080)),
        ];
        assert_eq!(show_addrs(&addrs), "[127.0.0.1:8080, [::1]:8080]");
        assert_eq!(show_addrs(&addrs), format!("{addrs:?}"));
        assert_eq!(show_addrs(&addrs[..1]), "[127.0.0.1:8080]");
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(describe_io(&refused), "connection refused");
    }
}
