//! Any text as a probe URL: no panic, and a URL that parses keeps url.rs's
//! invariant: its host, path and Host header hold no whitespace, no control
//! bytes and no non-ASCII, so nothing can be smuggled into the request.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/probe/url.rs"]
mod url;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(target) = url::parse(text) else {
        return;
    };
    let clean = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
    assert!(clean(&target.path), "{text:?}");
    assert!(clean(&target.authority()), "{text:?}");
    assert!(clean(&target.host.to_string()), "{text:?}");
    assert!(target.port != 0);
    match target.scheme {
        url::Scheme::Http => assert!(target.path.starts_with('/'), "{text:?}"),
        url::Scheme::Tcp => assert!(target.path.is_empty(), "{text:?}"),
    }
});
