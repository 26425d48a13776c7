//! Any bytes as an HTTP response, fed in pieces of any size: no panic, the
//! body stays within `BODY_LIMIT`, and the answer does not depend on how the
//! bytes were split into reads.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/probe/http.rs"]
mod http;

use libfuzzer_sys::fuzz_target;

use http::{BODY_LIMIT, Parser, Progress};

/// Status, body, truncation and result after feeding `pieces` and closing.
fn run<'a>(
    read_body: bool,
    pieces: impl Iterator<Item = &'a [u8]>,
) -> (Option<u16>, Vec<u8>, bool, Result<(), http::Error>) {
    let mut parser = Parser::new(read_body);
    let mut result = Ok(Progress::More);
    for piece in pieces {
        result = parser.feed(piece);
        assert!(parser.body().len() <= BODY_LIMIT);
        if result != Ok(Progress::More) {
            break;
        }
    }
    let result = match result {
        Ok(Progress::More) => parser.finish(),
        other => other.map(|_| ()),
    };
    (
        parser.status(),
        parser.body().to_vec(),
        parser.truncated(),
        result,
    )
}

fuzz_target!(|data: &[u8]| {
    // The first byte says whether to read the body, and how large each read is.
    let Some((&first, response)) = data.split_first() else {
        return;
    };
    let read_body = first & 1 == 1;
    let piece = usize::from(first >> 1) + 1;
    let whole = run(read_body, std::iter::once(response));
    let pieces = run(read_body, response.chunks(piece));
    assert_eq!(whole, pieces);
    assert!(read_body || whole.1.is_empty());
    if whole.3.is_ok() {
        assert!(whole.0.is_some());
    }
});
