//! Probe URLs, `http://HOST[:PORT][/PATH[?QUERY]]` and `tcp://HOST:PORT`, → a `Target`. Pure.
//!
//! Invariant: a parsed target can go into a request line and a Host header
//! as it is: its host and path hold no whitespace, no control bytes and no
//! non-ASCII, so a URL can never smuggle a header into the request. A URL
//! with `${…}` forms is parsed only once they are expanded, and the same
//! checks apply to what they expanded to.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::entry::expand::{self, Lookup};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Tcp,
}

/// A literal address is used as it is; only a name goes to the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: Host,
    pub port: u16,
    /// The request target: `/`, `/health`, `/health?deep=1`. Empty for tcp://.
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// `https://`: refused on purpose, not malformed.
    Https,
    Invalid(&'static str),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::V4(ip) => write_v4(f, ip),
            Host::V6(ip) => {
                f.write_str("[")?;
                write_v6(f, ip)?;
                f.write_str("]")
            }
        }
    }
}

/// An address as std's Display writes it: `127.0.0.1:8080`, `[::1]:8080`,
/// `[fe80::1%2]:80`. tend's own, as are `write_v4` and `write_v6`: std's
/// Display of addresses is about 1.5 KB of the small build for the same
/// text (issue 21).
pub struct Shown<'a>(pub &'a SocketAddr);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(addr) => write_v4(f, addr.ip())?,
            SocketAddr::V6(addr) => {
                f.write_str("[")?;
                write_v6(f, addr.ip())?;
                if addr.scope_id() != 0 {
                    write!(f, "%{}", addr.scope_id())?;
                }
                f.write_str("]")?;
            }
        }
        write!(f, ":{}", self.0.port())
    }
}

impl crate::logger::ToField for Shown<'_> {
    fn field(&self) -> crate::logger::Field<'_> {
        crate::logger::Field::Display(self)
    }
}

/// `192.0.2.1`.
fn write_v4(f: &mut fmt::Formatter<'_>, ip: &Ipv4Addr) -> fmt::Result {
    let [a, b, c, d] = ip.octets();
    write!(f, "{a}.{b}.{c}.{d}")
}

/// RFC 5952's text, as std writes it: groups in lower-case hex without
/// leading zeros, the longest run of two or more zero groups (the first of
/// equal runs) as `::`, and an IPv4-mapped address as `::ffff:192.0.2.1`.
fn write_v6(f: &mut fmt::Formatter<'_>, ip: &Ipv6Addr) -> fmt::Result {
    if let Some(v4) = ip.to_ipv4_mapped() {
        f.write_str("::ffff:")?;
        return write_v4(f, &v4);
    }
    let groups = ip.segments();
    // (start, length) of the longest run of zero groups, and of the current one.
    let (mut zeros, mut run) = ((0, 0), (0, 0));
    for (i, &group) in groups.iter().enumerate() {
        if group != 0 {
            run = (i + 1, 0);
            continue;
        }
        run.1 += 1;
        if run.1 > zeros.1 {
            zeros = run;
        }
    }
    let (gap, after) = match zeros.1 {
        0 | 1 => (usize::MAX, usize::MAX),
        n => (zeros.0, zeros.0 + n),
    };
    let mut i = 0;
    while let Some(group) = groups.get(i) {
        if i == gap {
            f.write_str("::")?;
            i = after;
            continue;
        }
        if i > 0 && i != after {
            f.write_str(":")?;
        }
        write!(f, "{:x}", u32::from(*group))?;
        i += 1;
    }
    Ok(())
}

impl Target {
    /// The Host header's value: the port is left out when it is http's 80 (RFC 9110 §7.2).
    pub fn authority(&self) -> String {
        if self.scheme == Scheme::Http && self.port == 80 {
            self.host.to_string()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A URL as an option gave it. One that holds `${` waits for the
/// environment it expands from (issue 18 #16): the program's for
/// `--wait-for` and `--health`, tend's own for `--probe`. Any other is
/// parsed, and refused, at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Url {
    Parsed(Target),
    /// The text, with `${NAME}`, `${NAME:-word}`, … still in it.
    Template(String),
}

impl Url {
    pub fn new(text: &str) -> Result<Url, UrlError> {
        match text.as_bytes().windows(2).any(|w| w == b"${") {
            true => Ok(Url::Template(text.to_string())),
            false => parse(text).map(Url::Parsed),
        }
    }

    /// The target: as parsed, or the template with its braced forms
    /// expanded from `env` as `--render` expands them, then parsed. Err is
    /// "invalid value 'TEMPLATE' for NAME: why": an unset variable without
    /// a default, by name, or what is wrong with the result and which
    /// variables made it (never a value). `name` is the option that gave it.
    pub fn resolve(&self, env: Lookup, name: &str) -> Result<Target, String> {
        let text = match self {
            Url::Parsed(target) => return Ok(target.clone()),
            Url::Template(text) => text,
        };
        expanded(text, env).map_err(|why| format!("invalid value '{text}' for {name}: {why}"))
    }
}

/// `text` with its braced forms expanded, parsed.
/// A URL is one short line: an expansion longer than this is a mistake, not a URL.
const URL_LIMIT: usize = 8192;

fn expanded(text: &str, env: Lookup) -> Result<Target, String> {
    let names = RefCell::new(Vec::<String>::new());
    let lookup = |name: &str| {
        let mut names = names.borrow_mut();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        env(name)
    };
    // No position: a URL is one short line, and the message quotes it.
    let expanded = expand::template(text.as_bytes(), &lookup, URL_LIMIT)
        .map_err(|e| expand::Error { at: None, ..e }.to_string())?;
    parse(&String::from_utf8_lossy(&expanded)).map_err(|e| match names.take() {
        names if names.is_empty() => describe(e).to_string(),
        names => {
            // Written in place: no list of strings to join (issue 21).
            let mut text = format!("{} (after expanding ", describe(e));
            for (i, name) in names.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(text, "{sep}${{{name}}}");
            }
            text.push(')');
            text
        }
    })
}

/// What is wrong with a URL, for "invalid value 'X' for NAME: …".
pub fn describe(e: UrlError) -> &'static str {
    match e {
        UrlError::Https => {
            "https is not supported: a probe talks to its own container or its \
             neighbours, so TLS would only multiply tend's size; probe the \
             plain-HTTP port or use tcp://"
        }
        UrlError::Invalid(why) => why,
    }
}

pub fn parse(text: &str) -> Result<Target, UrlError> {
    use UrlError::Invalid;
    let at = crate::error::find(text.as_bytes(), b"://").ok_or(Invalid(
        "expected http://HOST[:PORT][/PATH] or tcp://HOST:PORT",
    ))?;
    let (scheme, rest) = text.split_at(at);
    let rest = rest.get(3..).unwrap_or_default();
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "tcp" => Scheme::Tcp,
        "https" => return Err(UrlError::Https),
        _ => return Err(Invalid("the scheme must be http:// or tcp://")),
    };
    // The fragment is the client's own business and never goes on the wire.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(Invalid(
            "credentials in the URL are not supported: send them with --header",
        ));
    }
    let (host, port) = split_host_port(authority)?;
    let host = parse_host(host)?;
    let port = match (port, scheme) {
        (Some(port), _) if !port.is_empty() => parse_port(port)?,
        (_, Scheme::Http) => 80,
        (_, Scheme::Tcp) => return Err(Invalid("a tcp:// URL needs a port: tcp://HOST:PORT")),
    };
    let path = match scheme {
        Scheme::Tcp if path.is_empty() || path == "/" => String::new(),
        Scheme::Tcp => return Err(Invalid("a tcp:// URL has no path")),
        Scheme::Http => parse_path(path)?,
    };
    Ok(Target {
        scheme,
        host,
        port,
        path,
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or(UrlError::Invalid("an IPv6 address lacks its closing ']'"))?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((authority.get(..inside.len() + 2).unwrap_or(""), Some(port))),
            None if after.is_empty() => Ok((authority, None)),
            None => Err(UrlError::Invalid("only :PORT may follow an IPv6 address")),
        };
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => Err(UrlError::Invalid(
            "an IPv6 address must be in brackets: http://[::1]:8080/",
        )),
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

fn parse_host(host: &str) -> Result<Host, UrlError> {
    if host.is_empty() {
        return Err(UrlError::Invalid("the URL has no host"));
    }
    if let Some(inside) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inside
            .parse()
            .map(Host::V6)
            .map_err(|_| UrlError::Invalid("not an IPv6 address between '[' and ']'"));
    }
    if let Ok(ip) = host.parse() {
        return Ok(Host::V4(ip));
    }
    let name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
    if host.len() > 253 || !host.bytes().all(name_byte) {
        return Err(UrlError::Invalid(
            "the host is not a name, an IPv4 address or a bracketed IPv6 address",
        ));
    }
    Ok(Host::Name(host.to_string()))
}

fn parse_port(port: &str) -> Result<u16, UrlError> {
    port.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| crate::number::u32(port))
        .flatten()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|&p| p != 0)
        .ok_or(UrlError::Invalid(
            "the port must be a number from 1 to 65535",
        ))
}

fn parse_path(path: &str) -> Result<String, UrlError> {
    // Printable ASCII only: a space or CR/LF would end the request line early.
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UrlError::Invalid(
            "the path must be printable ASCII: percent-encode spaces and other bytes (%20)",
        ));
    }
    Ok(match path.strip_prefix('?') {
        _ if path.is_empty() => "/".to_string(),
        Some(_) => format!("/{path}"),
        None => path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddrV4, SocketAddrV6};

    /// Addresses shown in the words std's Display has always given them,
    /// which tend's messages and log records said.
    #[test]
    fn addresses_are_shown_as_std_shows_them() {
        let v6: [[u16; 8]; 17] = [
            [0; 8],
            [0, 0, 0, 0, 0, 0, 0, 1],
            [1, 0, 0, 0, 0, 0, 0, 0],
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1],
            [0x2001, 0xdb8, 0, 1, 0, 0, 0, 1],
            [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1],
            [0x2001, 0, 0, 1, 0, 0, 0, 0],
            [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1],
            [0xfe80, 0, 0, 0, 0xabcd, 0xef, 0x12, 0x3400],
            [1, 2, 3, 4, 5, 6, 7, 8],
            [0xffff; 8],
            [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201],
            [0, 0, 0, 0, 0, 0, 0xc000, 0x0201],
            [0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x0201],
            [0, 1, 0, 1, 0, 1, 0, 1],
            [0, 0, 1, 0, 0, 1, 0, 0],
            [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201],
        ];
        let v4: [[u8; 4]; 4] = [[127, 0, 0, 1], [0; 4], [255; 4], [10, 200, 3, 45]];
        let mut addrs = Vec::new();
        for groups in v6 {
            let ip = Ipv6Addr::from(groups);
            for (port, scope) in [(80, 0), (8080, 2), (65535, u32::MAX)] {
                addrs.push(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)));
            }
            let host = Host::V6(ip);
            assert_eq!(host.to_string(), format!("[{ip}]"));
        }
        for octets in v4 {
            let ip = Ipv4Addr::from(octets);
            addrs.push(SocketAddr::V4(SocketAddrV4::new(ip, 0)));
            addrs.push(SocketAddr::V4(SocketAddrV4::new(ip, 443)));
            assert_eq!(Host::V4(ip).to_string(), ip.to_string());
        }
        for addr in addrs {
            assert_eq!(Shown(&addr).to_string(), addr.to_string());
        }
        let addr = SocketAddr::from((Ipv6Addr::LOCALHOST, 8080));
        assert_eq!(Shown(&addr).to_string(), "[::1]:8080");
    }

    proptest::proptest! {
        /// Every address, zero runs of any length and place included (each
        /// group is 0 half of the time), as std shows it.
        #[test]
        fn any_address_is_shown_as_std_shows_it(
            groups in proptest::array::uniform8(proptest::prop_oneof![proptest::strategy::Just(0u16), proptest::num::u16::ANY]),
            port: u16,
            scope: u32,
        ) {
            let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(groups), port, 0, scope));
            proptest::prop_assert_eq!(Shown(&addr).to_string(), addr.to_string());
        }
    }

    fn http(host: Host, port: u16, path: &str) -> Target {
        Target {
            scheme: Scheme::Http,
            host,
            port,
            path: path.to_string(),
        }
    }

    fn name(n: &str) -> Host {
        Host::Name(n.to_string())
    }

    #[test]
    fn good_urls() {
        let v4 = |a, b, c, d| Host::V4(Ipv4Addr::new(a, b, c, d));
        let cases = [
            (
                "http://127.0.0.1:8080/health",
                http(v4(127, 0, 0, 1), 8080, "/health"),
            ),
            ("http://localhost", http(name("localhost"), 80, "/")),
            ("HTTP://app:81/", http(name("app"), 81, "/")),
            ("http://app:/x", http(name("app"), 80, "/x")),
            ("http://app?ready", http(name("app"), 80, "/?ready")),
            (
                "http://app/h?deep=1&x=%20#frag",
                http(name("app"), 80, "/h?deep=1&x=%20"),
            ),
            (
                "http://[::1]:9000/h",
                http(Host::V6(Ipv6Addr::LOCALHOST), 9000, "/h"),
            ),
            ("http://[::1]", http(Host::V6(Ipv6Addr::LOCALHOST), 80, "/")),
            (
                "http://my_svc.ns-1.local",
                http(name("my_svc.ns-1.local"), 80, "/"),
            ),
            (
                "tcp://db:5432",
                Target {
                    scheme: Scheme::Tcp,
                    host: name("db"),
                    port: 5432,
                    path: String::new(),
                },
            ),
            (
                "tcp://[::1]:1/",
                Target {
                    scheme: Scheme::Tcp,
                    host: Host::V6(Ipv6Addr::LOCALHOST),
                    port: 1,
                    path: String::new(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases = [
            ("https://127.0.0.1/", None),
            ("HTTPS://x", None),
            ("127.0.0.1:8080/health", Some("expected http://")),
            ("ftp://x/", Some("scheme")),
            ("http://", Some("no host")),
            ("http:///path", Some("no host")),
            ("http://:80/", Some("no host")),
            ("http://user:pw@app/", Some("credentials")),
            ("http://app:0/", Some("port")),
            ("http://app:65536/", Some("port")),
            ("http://app:+80/", Some("port")),
            ("http://app:8o/", Some("port")),
            ("http://::1/", Some("brackets")),
            ("http://[::1/", Some("closing")),
            ("http://[::1]x/", Some("only :PORT")),
            ("http://[127.0.0.1]/", Some("IPv6")),
            ("http://[fe80::1%eth0]/", Some("IPv6")),
            ("http://a b/", Some("host")),
            ("http://app\r\nX-Evil: 1/", Some("host")),
            ("http://app/a b", Some("percent-encode")),
            ("http://app/a\r\nX-Evil:1", Some("percent-encode")),
            ("http://app/caf\u{e9}", Some("percent-encode")),
            ("tcp://db", Some("needs a port")),
            ("tcp://db:", Some("needs a port")),
            ("tcp://db:1/x", Some("no path")),
            ("", Some("expected")),
        ];
        for (text, needle) in cases {
            match (parse(text), needle) {
                (Err(UrlError::Https), None) => {}
                (Err(UrlError::Invalid(why)), Some(needle)) if why.contains(needle) => {}
                (other, _) => panic!("{text:?} gave {other:?}, wanted {needle:?}"),
            }
        }
    }

    #[test]
    fn templates_wait_for_their_environment() {
        let env = |name: &str| match name {
            "PORT" => Some("9000".into()),
            "HOST" => Some("x y".into()),
            "EMPTY" => Some("".into()),
            _ => None,
        };
        let resolve = |text: &str| Url::new(text).map(|url| url.resolve(&env, "--health"));
        let port = |text: &str| resolve(text).map(|r| r.map(|t| t.port));
        assert_eq!(port("http://127.0.0.1:${PORT}/"), Ok(Ok(9000)));
        assert_eq!(port("http://127.0.0.1:${NOPE:-8080}/h"), Ok(Ok(8080)));
        assert_eq!(port("tcp://db:${EMPTY:-5432}"), Ok(Ok(5432)));
        // Without ${, parsed (and refused) at once, as before.
        assert_eq!(
            Url::new("http://::1/"),
            Err(UrlError::Invalid(
                "an IPv6 address must be in brackets: http://[::1]:8080/"
            ))
        );
        assert!(matches!(Url::new("http://a/"), Ok(Url::Parsed(_))));
        let error = |text: &str| match resolve(text) {
            Ok(Err(why)) => why,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            error("http://127.0.0.1:${NOPE}/"),
            "invalid value 'http://127.0.0.1:${NOPE}/' for --health: \
             ${NOPE} is not set (no default given)"
        );
        // Names, never values.
        let bad_host = error("http://${HOST}:${PORT}/");
        assert!(
            bad_host.ends_with("(after expanding ${HOST}, ${PORT})") && !bad_host.contains("x y"),
            "{bad_host}"
        );
        assert!(error("https://${HOST}/").contains("https is not supported"));
    }

    #[test]
    fn authority_is_the_host_header() {
        let cases = [
            ("http://app/", "app"),
            ("http://app:80/", "app"),
            ("http://app:8080/", "app:8080"),
            ("http://[::1]:8080/", "[::1]:8080"),
            ("http://[::1]/", "[::1]"),
            ("http://10.0.0.1:81/", "10.0.0.1:81"),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).map(|t| t.authority()), Ok(want.to_string()));
        }
    }
}
