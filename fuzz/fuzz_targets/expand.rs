//! Any bytes, as an argument and as a template: no panic, no overflow, and
//! the invariants of `entry::expand` hold: output bounded by the input plus
//! the values handed out, split words are words, errors are one bounded line
//! that never shows a value, a template's error has a position in it, and
//! a template's output never passes its cap.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/entry/expand.rs"]
mod expand;

use std::cell::Cell;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;

/// A marker in every value: a message that shows it leaked a value.
const SECRET: &[u8] = b"s3cr3t";

fuzz_target!(|text: &[u8]| {
    let given = Cell::new(0usize);
    let env = |name: &str| {
        let value: &[u8] = match name {
            "A" => b"a s3cr3t\tb\n$B ${A} $(x)",
            "B" => b"",
            "C" => b"s3cr3t",
            "D" => b" \t\n",
            _ => return None,
        };
        given.set(given.get() + value.len());
        Some(OsString::from_vec(value.to_vec()))
    };
    let shows_secret = |message: &str| {
        let quoted = text.windows(SECRET.len()).any(|w| w == SECRET);
        !quoted && message.contains("s3cr3t")
    };

    match expand::argument(text, &env) {
        Ok(args) => {
            let bytes: usize = args.iter().map(Vec::len).sum();
            assert!(bytes <= text.len() + given.get());
            let split = text.starts_with(b"$@")
                && text
                    .get(2)
                    .is_some_and(|&b| b == b'{' || b == b'_' || b.is_ascii_alphabetic());
            if split {
                for word in &args {
                    assert!(!word.is_empty());
                    assert!(!word.iter().any(|b| matches!(b, b' ' | b'\t' | b'\n')));
                }
            } else {
                assert_eq!(args.len(), 1);
            }
        }
        Err(e) => {
            assert!(e.at.is_none());
            let message = e.to_string();
            assert!(!message.contains(['\n', '\r']), "{message}");
            assert!(message.len() <= 400, "{message}");
            assert!(!shows_secret(&message), "{message}");
        }
    }

    given.set(0);
    // A cap that inputs with a few values in them pass: the output never does.
    let limit = text.len() / 2 + 16;
    match expand::template(text, &env, limit) {
        Ok(out) => assert!(out.len() <= (text.len() + given.get()).min(limit)),
        Err(e) => {
            let at = e.at.expect("a template error has a position");
            let lines = 1 + text.iter().filter(|&&b| b == b'\n').count();
            assert!(at.line >= 1 && at.line <= lines && at.column >= 1);
            let message = e.to_string();
            assert!(!message.contains(['\n', '\r']), "{message}");
            assert!(message.len() <= 400, "{message}");
            assert!(!shows_secret(&message), "{message}");
        }
    }
});
