//! HTTP/1.x responses, parsed incrementally from whatever bytes arrive. Pure.
//!
//! A state machine over bytes: it is fed each read as it comes, in pieces of
//! any size, and says when the response is complete. Invariant: memory stays
//! bounded whatever the peer sends. The status line, headers and chunked
//! trailers together are limited to `HEAD_LIMIT`, a chunk-size line to
//! `CHUNK_LINE_LIMIT`, and at most `BODY_LIMIT` bytes of body are kept; the
//! parser stops there and says so.

use std::fmt;

pub const HEAD_LIMIT: usize = 16 * 1024;
pub const BODY_LIMIT: usize = 64 * 1024;
const CHUNK_LINE_LIMIT: usize = 1024;

/// Where in the response the parser is, for "timed out while ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Head,
    Body,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    More,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The first bytes are not `HTTP/`: another protocol, or garbage.
    NotHttp,
    BadStatusLine,
    BadHeader,
    HeadTooLarge,
    BadContentLength,
    BadChunk,
    /// The peer closed the connection before the response was complete.
    Closed(Phase),
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Head => "reading headers",
            Phase::Body => "reading the body",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotHttp => f.write_str("not an HTTP response"),
            Error::BadStatusLine => f.write_str("malformed status line"),
            Error::BadHeader => f.write_str("malformed header line"),
            Error::HeadTooLarge => write!(f, "headers larger than {} KiB", HEAD_LIMIT / 1024),
            Error::BadContentLength => f.write_str("malformed Content-Length"),
            Error::BadChunk => f.write_str("malformed chunked encoding"),
            Error::Closed(Phase::Head) => f.write_str("connection closed before the headers ended"),
            Error::Closed(Phase::Body) => f.write_str("connection closed before the body ended"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StatusLine,
    Headers,
    /// This many body bytes are still to come (Content-Length).
    Length(u64),
    /// The body ends when the connection does.
    UntilClose,
    ChunkSize,
    ChunkData(u64),
    /// The CRLF after a chunk's data; `true` once the CR is seen.
    ChunkEnd(bool),
    Trailers,
    Done,
    Failed(Error),
}

/// What the headers of the response being read said so far.
#[derive(Debug, Clone, Copy, Default)]
struct Framing {
    status: u16,
    length: Option<u64>,
    /// Transfer-Encoding seen: `Some(true)` when its last coding is chunked.
    chunked: Option<bool>,
}

#[derive(Debug)]
pub struct Parser {
    read_body: bool,
    state: State,
    /// The line being assembled: status line, header, chunk size or trailer.
    line: Vec<u8>,
    /// Bytes of status lines, headers and trailers consumed so far.
    head_bytes: usize,
    framing: Framing,
    /// The final (non-1xx) status, once its headers have ended.
    status: Option<u16>,
    body: Vec<u8>,
    truncated: bool,
}

impl Parser {
    /// `read_body`: read the body after the headers, or stop at their end.
    pub fn new(read_body: bool) -> Parser {
        Parser {
            read_body,
            state: State::StatusLine,
            line: Vec::new(),
            head_bytes: 0,
            framing: Framing::default(),
            status: None,
            body: Vec::new(),
            truncated: false,
        }
    }

    /// The final status, known once the headers are complete.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The decoded body so far, at most `BODY_LIMIT` bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// True when the body went on past `BODY_LIMIT` and the parser stopped.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    pub fn phase(&self) -> Phase {
        if self.status.is_some() {
            Phase::Body
        } else {
            Phase::Head
        }
    }

    /// Consume the next bytes from the connection. Bytes after the end of the
    /// response are ignored; so is everything after an error, which sticks.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<Progress, Error> {
        while !input.is_empty() && !matches!(self.state, State::Done | State::Failed(_)) {
            match self.step(input) {
                Ok(used) => input = input.get(used..).unwrap_or_default(),
                Err(e) => self.state = State::Failed(e),
            }
        }
        match self.state {
            State::Done => Ok(Progress::Done),
            State::Failed(e) => Err(e),
            _ => Ok(Progress::More),
        }
    }

    /// The connection closed: complete only if the body was delimited by that.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.state = match self.state {
            State::Done | State::UntilClose => State::Done,
            State::Failed(e) => State::Failed(e),
            _ => State::Failed(Error::Closed(self.phase())),
        };
        match self.state {
            State::Failed(e) => Err(e),
            _ => Ok(()),
        }
    }

    /// One move of the machine on the front of `input`; returns the bytes used.
    fn step(&mut self, input: &[u8]) -> Result<usize, Error> {
        match self.state {
            State::StatusLine | State::Headers | State::Trailers => self.head_line(input),
            State::ChunkSize => self.chunk_size_line(input),
            State::ChunkEnd(seen_cr) => {
                self.state = match (seen_cr, input.first()) {
                    (false, Some(b'\r')) => State::ChunkEnd(true),
                    (_, Some(b'\n')) => State::ChunkSize,
                    _ => return Err(Error::BadChunk),
                };
                Ok(1)
            }
            State::Length(left) | State::ChunkData(left) => {
                let used = usize::try_from(left).map_or(input.len(), |l| l.min(input.len()));
                let all_kept = self.keep(input.get(..used).unwrap_or_default());
                let left = left - used as u64;
                let full = self.body.len() >= BODY_LIMIT;
                self.state = match self.state {
                    _ if !all_kept || (full && left > 0) => self.stop_truncated(),
                    State::Length(_) if left == 0 => State::Done,
                    State::Length(_) => State::Length(left),
                    _ if left == 0 => State::ChunkEnd(false),
                    _ => State::ChunkData(left),
                };
                Ok(used)
            }
            State::UntilClose => {
                // Full means "unknown": one more byte would not fit either.
                if !self.keep(input) || self.body.len() >= BODY_LIMIT {
                    self.state = self.stop_truncated();
                }
                Ok(input.len())
            }
            State::Done | State::Failed(_) => Ok(input.len()),
        }
    }

    fn stop_truncated(&mut self) -> State {
        self.truncated = true;
        State::Done
    }

    /// Append what fits under `BODY_LIMIT`; false if some of `bytes` did not.
    fn keep(&mut self, bytes: &[u8]) -> bool {
        let room = BODY_LIMIT.saturating_sub(self.body.len()).min(bytes.len());
        self.body
            .extend_from_slice(bytes.get(..room).unwrap_or_default());
        room == bytes.len()
    }

    /// Move bytes up to and including the next LF into `line`, unless that
    /// takes more than `room` bytes. Returns the bytes used and whether the
    /// line is complete.
    fn take_line(&mut self, input: &[u8], room: usize) -> Option<(usize, bool)> {
        let (used, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (input.len(), false),
        };
        if used > room {
            return None;
        }
        self.line
            .extend_from_slice(input.get(..used).unwrap_or_default());
        Some((used, complete))
    }

    fn head_line(&mut self, input: &[u8]) -> Result<usize, Error> {
        // Fail on the first bytes, not after 16 KiB of garbage without a newline.
        if self.state == State::StatusLine {
            let expected = b"HTTP/".get(self.line.len()..).unwrap_or_default();
            let n = expected.len().min(input.len());
            if input.get(..n) != expected.get(..n) {
                return Err(Error::NotHttp);
            }
        }
        let room = HEAD_LIMIT.saturating_sub(self.head_bytes);
        let (used, complete) = self.take_line(input, room).ok_or(Error::HeadTooLarge)?;
        self.head_bytes += used;
        if complete {
            let line = std::mem::take(&mut self.line);
            let result = self.end_head_line(trim_eol(&line));
            self.line = line;
            self.line.clear();
            result?;
        }
        Ok(used)
    }

    fn end_head_line(&mut self, line: &[u8]) -> Result<(), Error> {
        match self.state {
            State::StatusLine => {
                let status = parse_status_line(line).ok_or(Error::BadStatusLine)?;
                self.framing = Framing {
                    status,
                    ..Framing::default()
                };
                self.state = State::Headers;
            }
            State::Headers if line.is_empty() => self.state = self.end_head(),
            // obs-fold (RFC 9112 §5.2): a continuation of the previous header; none we read.
            State::Headers if line.starts_with(b" ") || line.starts_with(b"\t") => {}
            State::Headers => self.header(line)?,
            State::Trailers if line.is_empty() => self.state = State::Done,
            _ => {}
        }
        Ok(())
    }

    fn header(&mut self, line: &[u8]) -> Result<(), Error> {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::BadHeader)?;
        let (name, value) = line.split_at(colon);
        let value = trim(value.get(1..).unwrap_or_default());
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Error::BadHeader);
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let length = parse_decimal(value).ok_or(Error::BadContentLength)?;
            // Two different lengths: a smuggling attempt or a broken proxy (RFC 9112 §6.3).
            if self.framing.length.is_some_and(|l| l != length) {
                return Err(Error::BadContentLength);
            }
            self.framing.length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            self.framing.chunked = Some(trim(last).eq_ignore_ascii_case(b"chunked"));
        }
        Ok(())
    }

    /// The headers are over: an interim 1xx starts again, a final status
    /// picks how the body is delimited (RFC 9112 §6.3).
    fn end_head(&mut self) -> State {
        let Framing {
            status,
            length,
            chunked,
        } = self.framing;
        // 101 would switch protocols; we never ask for it, so it is an answer.
        if (100..200).contains(&status) && status != 101 {
            return State::StatusLine;
        }
        self.status = Some(status);
        if !self.read_body || status < 200 || status == 204 || status == 304 {
            return State::Done;
        }
        match (chunked, length) {
            (Some(true), _) => State::ChunkSize,
            // A Transfer-Encoding other than chunked: only the close ends it.
            (Some(false), _) | (None, None) => State::UntilClose,
            (None, Some(0)) => State::Done,
            (None, Some(length)) => State::Length(length),
        }
    }

    fn chunk_size_line(&mut self, input: &[u8]) -> Result<usize, Error> {
        let (used, complete) = self
            .take_line(input, CHUNK_LINE_LIMIT.saturating_sub(self.line.len()))
            .ok_or(Error::BadChunk)?;
        if complete {
            let size = parse_chunk_size(trim_eol(&self.line)).ok_or(Error::BadChunk)?;
            self.line.clear();
            self.state = match size {
                0 => State::Trailers,
                _ if self.body.len() >= BODY_LIMIT => self.stop_truncated(),
                _ => State::ChunkData(size),
            };
        }
        Ok(used)
    }
}

/// `HTTP/1.x NNN[ reason]` → NNN, a status from 100 to 999.
fn parse_status_line(line: &[u8]) -> Option<u16> {
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let (minor, rest) = rest.split_first()?;
    let rest = rest.strip_prefix(b" ")?;
    let code = rest.get(..3)?;
    let reason_follows = matches!(rest.get(3), None | Some(b' '));
    if !minor.is_ascii_digit() || !reason_follows || code.first() == Some(&b'0') {
        return None;
    }
    u16::try_from(parse_decimal(code)?).ok()
}

/// Hex digits, then optional `;extensions` (RFC 9112 §7.1.1).
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let digits = trim(line.split(|&b| b == b';').next().unwrap_or_default());
    // 15 hex digits already exceed any body; more could overflow.
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    crate::number::u64_radix(std::str::from_utf8(digits).ok()?, 16)
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// RFC 9110 §5.6.2 tchar.
pub fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a whole exchange came to: the status, the body, and how it ended.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        status: Option<u16>,
        body: Vec<u8>,
        truncated: bool,
        result: Result<(), Error>,
    }

    /// Feed `pieces` until the parser is done, then close if it is not.
    fn run<'a>(read_body: bool, pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
        let mut parser = Parser::new(read_body);
        let mut result = Ok(Progress::More);
        for piece in pieces {
            result = parser.feed(piece);
            if result != Ok(Progress::More) {
                break;
            }
        }
        let result = match result {
            Ok(Progress::More) => parser.finish(),
            other => other.map(|_| ()),
        };
        Outcome {
            status: parser.status(),
            body: parser.body().to_vec(),
            truncated: parser.truncated(),
            result,
        }
    }

    fn whole(read_body: bool, bytes: &[u8]) -> Outcome {
        run(read_body, [bytes])
    }

    fn bytewise(read_body: bool, bytes: &[u8]) -> Outcome {
        run(read_body, bytes.chunks(1))
    }

    #[test]
    fn responses_with_and_without_bodies() {
        type Case<'a> = (&'a [u8], bool, Option<u16>, &'a [u8], Result<(), Error>);
        let cases: [Case; 18] = [
            (b"HTTP/1.1 200 OK\r\n\r\n", false, Some(200), b"", Ok(())),
            (b"HTTP/1.0 503\r\n\r\n", false, Some(503), b"", Ok(())),
            (b"HTTP/1.1 301 Moved\nLocation: /x\n\n", false, Some(301), b"", Ok(())),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more",
                true,
                Some(200),
                b"hello",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-length: 0\r\n\r\n",
                true,
                Some(200),
                b"",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
                true,
                Some(200),
                b"abc0123456789",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 99\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                true,
                Some(200),
                b"ok",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\n\r\nuntil the end",
                true,
                Some(200),
                b"until the end",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nall of it",
                true,
                Some(200),
                b"all of it",
                Ok(()),
            ),
            (
                b"HTTP/1.1 204 No Content\r\n\r\n",
                true,
                Some(204),
                b"",
                Ok(()),
            ),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                true,
                Some(200),
                b"ok",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\n\r\n",
                false,
                Some(200),
                b"",
                Ok(()),
            ),
            (b"", false, None, b"", Err(Error::Closed(Phase::Head))),
            (
                b"HTTP/1.1 200 OK\r\nServer: x\r\n",
                false,
                None,
                b"",
                Err(Error::Closed(Phase::Head)),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                true,
                Some(200),
                b"short",
                Err(Error::Closed(Phase::Body)),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                true,
                Some(200),
                b"ab",
                Err(Error::Closed(Phase::Body)),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                true,
                Some(200),
                b"abc",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                false,
                Some(200),
                b"",
                Ok(()),
            ),
        ];
        for (input, read_body, status, body, result) in cases {
            let want = Outcome {
                status,
                body: body.to_vec(),
                truncated: false,
                result,
            };
            let text = String::from_utf8_lossy(input);
            assert_eq!(whole(read_body, input), want, "{text:?}");
            assert_eq!(bytewise(read_body, input), want, "{text:?} byte by byte");
        }
    }

    #[test]
    fn malformed_responses_fail_with_a_reason() {
        let cases: [(&[u8], Error); 17] = [
            (b"SSH-2.0-OpenSSH_9.2\r\n", Error::NotHttp),
            (b"\x16\x03\x01\x02\x00", Error::NotHttp),
            (b"http/1.1 200 OK\r\n\r\n", Error::NotHttp),
            (b"HTTP/2 200\r\n\r\n", Error::BadStatusLine),
            (b"HTTP/1.1 20 OK\r\n\r\n", Error::BadStatusLine),
            (b"HTTP/1.1 2000 OK\r\n\r\n", Error::BadStatusLine),
            (b"HTTP/1.1 099 OK\r\n\r\n", Error::BadStatusLine),
            (b"HTTP/1.1  200 OK\r\n\r\n", Error::BadStatusLine),
            (
                b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                Error::BadHeader,
            ),
            (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", Error::BadHeader),
            (b"HTTP/1.1 200 OK\r\n: x\r\n\r\n", Error::BadHeader),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                Error::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                Error::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n",
                Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
                Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
                Error::BadChunk,
            ),
        ];
        for (input, error) in cases {
            let text = String::from_utf8_lossy(input);
            assert_eq!(whole(true, input).result, Err(error), "{text:?}");
            assert_eq!(
                bytewise(true, input).result,
                Err(error),
                "{text:?} bytewise"
            );
        }
    }

    #[test]
    fn garbage_fails_on_its_first_bytes() {
        let mut parser = Parser::new(false);
        assert_eq!(parser.feed(b"HTT"), Ok(Progress::More));
        assert_eq!(parser.feed(b"x"), Err(Error::NotHttp));
        // The error sticks.
        assert_eq!(parser.feed(b"P/1.1 200 OK\r\n\r\n"), Err(Error::NotHttp));
        assert_eq!(parser.finish(), Err(Error::NotHttp));
    }

    #[test]
    fn headers_stop_at_the_limit() {
        let mut fits = b"HTTP/1.1 200 OK\r\n".to_vec();
        let filler = HEAD_LIMIT - fits.len() - b"X: \r\n\r\n".len();
        fits.extend_from_slice(format!("X: {}\r\n\r\n", "a".repeat(filler)).as_bytes());
        assert_eq!(fits.len(), HEAD_LIMIT);
        assert_eq!(whole(false, &fits).result, Ok(()));
        assert_eq!(bytewise(false, &fits).result, Ok(()));

        let mut over = fits.clone();
        over.insert(20, b'a');
        assert_eq!(whole(false, &over).result, Err(Error::HeadTooLarge));
        assert_eq!(bytewise(false, &over).result, Err(Error::HeadTooLarge));

        // Many small headers count, not just one long line; so do 1xx heads.
        let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "A: b\r\n".repeat(3000));
        assert_eq!(
            whole(false, many.as_bytes()).result,
            Err(Error::HeadTooLarge)
        );
        let interims = "HTTP/1.1 100 Continue\r\n\r\n".repeat(1000);
        assert_eq!(
            whole(false, interims.as_bytes()).result,
            Err(Error::HeadTooLarge)
        );
    }

    #[test]
    fn bodies_stop_at_the_limit() {
        let exact = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {BODY_LIMIT}\r\n\r\n{}",
            "b".repeat(BODY_LIMIT)
        );
        let outcome = whole(true, exact.as_bytes());
        assert_eq!((outcome.result, outcome.truncated), (Ok(()), false));
        assert_eq!(outcome.body.len(), BODY_LIMIT);

        let huge = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n{}",
            "b".repeat(BODY_LIMIT + 10)
        );
        for outcome in [
            whole(true, huge.as_bytes()),
            bytewise(true, huge.as_bytes()),
        ] {
            assert_eq!((outcome.result, outcome.truncated), (Ok(()), true));
            assert_eq!(outcome.body.len(), BODY_LIMIT);
        }

        let chunk = format!("400\r\n{}\r\n", "c".repeat(0x400));
        let chunked = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            chunk.repeat(100)
        );
        let outcome = whole(true, chunked.as_bytes());
        assert_eq!((outcome.result, outcome.truncated), (Ok(()), true));
        assert_eq!(outcome.body.len(), BODY_LIMIT);

        let endless = format!("HTTP/1.1 200 OK\r\n\r\n{}", "d".repeat(BODY_LIMIT * 2));
        let outcome = whole(true, endless.as_bytes());
        assert_eq!((outcome.result, outcome.truncated), (Ok(()), true));
    }

    #[test]
    fn phase_follows_the_headers() {
        let mut parser = Parser::new(true);
        assert_eq!(parser.phase(), Phase::Head);
        let _ = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n");
        assert_eq!(parser.phase(), Phase::Head);
        let _ = parser.feed(b"\r\nab");
        assert_eq!((parser.phase(), parser.status()), (Phase::Body, Some(200)));
        assert_eq!(parser.finish(), Err(Error::Closed(Phase::Body)));
    }

    /// xorshift64*: a deterministic generator, so a failure replays exactly.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const SEEDS: &[&[u8]] = &[
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n\r\nbusy",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\nFFFFFFFF\r\n",
    ];

    /// A random input: noise, or a valid response mutated a few times.
    fn input(rng: &mut Rng) -> Vec<u8> {
        if rng.below(4) == 0 {
            let len = rng.below(300);
            return (0..len).map(|_| rng.next() as u8).collect();
        }
        let mut bytes = SEEDS[rng.below(SEEDS.len())].to_vec();
        for _ in 0..rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            let interesting = b"\r\n:;0 Hf-\x00\xff";
            let byte = interesting[rng.below(interesting.len())];
            match rng.below(6) {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => bytes[at] = rng.next() as u8,
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                3 => bytes.truncate(at),
                4 => {
                    // Repeat a slice many times: long lines, many headers, big chunks.
                    let end = (at + 1 + rng.below(16)).min(bytes.len());
                    let slice = bytes[at.min(end)..end].to_vec();
                    let times = 1 + rng.below(3000);
                    let tail = bytes.split_off(end);
                    for _ in 0..times {
                        bytes.extend_from_slice(&slice);
                    }
                    bytes.extend_from_slice(&tail);
                }
                _ => bytes.insert(at, byte),
            }
        }
        bytes
    }

    /// Split at random points, as reads would.
    fn pieces<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at(1 + rng.below(rest.len().min(40)));
            out.push(piece);
            rest = tail;
        }
        out
    }

    #[test]
    fn any_bytes_any_split_give_one_bounded_answer() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..20_000 {
            let bytes = input(&mut rng);
            let read_body = rng.below(2) == 0;
            let split = pieces(&mut rng, &bytes);
            let mut parser = Parser::new(read_body);
            for piece in &split {
                if parser.feed(piece) != Ok(Progress::More) {
                    break;
                }
                assert!(parser.line.len() <= HEAD_LIMIT.max(CHUNK_LINE_LIMIT));
                assert!(parser.head_bytes <= HEAD_LIMIT, "case {case}");
            }
            assert!(parser.body().len() <= BODY_LIMIT, "case {case}");
            assert!(read_body || parser.body().is_empty(), "case {case}");
            // However the bytes were split, the answer is the same.
            let at_once = whole(read_body, &bytes);
            let in_pieces = run(read_body, split.iter().copied());
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
            assert_eq!(
                at_once,
                in_pieces,
                "case {case}: {} bytes: {start:?}",
                bytes.len()
            );
            if at_once.result.is_ok() {
                assert!(at_once.status.is_some(), "case {case}");
            }
        }
    }
}
