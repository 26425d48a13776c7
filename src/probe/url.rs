//! Probe URLs, `http://HOST[:PORT][/PATH[?QUERY]]` and `tcp://HOST:PORT`, → a `Target`. Pure.
//!
//! Invariant: a parsed target can go into a request line and a Host header
//! as it is: its host and path hold no whitespace, no control bytes and no
//! non-ASCII, so a URL can never smuggle a header into the request.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

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
            Host::V4(ip) => write!(f, "{ip}"),
            Host::V6(ip) => write!(f, "[{ip}]"),
        }
    }
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

pub fn parse(text: &str) -> Result<Target, UrlError> {
    use UrlError::Invalid;
    let (scheme, rest) = text.split_once("://").ok_or(Invalid(
        "expected http://HOST[:PORT][/PATH] or tcp://HOST:PORT",
    ))?;
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
        .then(|| port.parse::<u16>().ok())
        .flatten()
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
