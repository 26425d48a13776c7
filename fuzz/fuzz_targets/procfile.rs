//! Any bytes as a Procfile: no panic, and the invariants of
//! `programs::procfile` hold: entries in the file's order with distinct,
//! valid names and words, that read back the same when written out again
//! with `words::quote`, and an error is one bounded line.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/programs/words.rs"]
mod words;
#[allow(dead_code)]
#[path = "../../src/programs/procfile.rs"]
mod procfile;

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &[u8]| {
    let entries = match procfile::parse(text) {
        Ok(entries) => entries,
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains(['\n', '\r']), "{message}");
            assert!(message.len() <= 400, "{message}");
            return;
        }
    };
    let lines = 1 + text.iter().filter(|&&b| b == b'\n').count();
    let mut names = HashSet::new();
    let mut last = 0;
    for entry in &entries {
        assert!(entry.line > last && entry.line <= lines);
        last = entry.line;
        assert!(names.insert(entry.name.clone()), "{}", entry.name);
        let valid = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        assert!(!entry.name.is_empty() && entry.name.bytes().all(valid));
        assert!(!entry.words.is_empty());
    }

    let mut written = Vec::new();
    for entry in &entries {
        let texts: Vec<&[u8]> = entry.words.iter().map(|w| &w.text[..]).collect();
        written.extend_from_slice(entry.name.as_bytes());
        written.extend_from_slice(b": ");
        written.extend_from_slice(&words::quote(&texts));
        written.push(b'\n');
    }
    let again = procfile::parse(&written).expect("a written Procfile reads back");
    assert_eq!(again.len(), entries.len());
    for (i, (a, b)) in again.iter().zip(&entries).enumerate() {
        assert_eq!((&a.name, a.line), (&b.name, i + 1));
        let texts = |e: &procfile::Entry| -> Vec<Vec<u8>> {
            e.words.iter().map(|w| w.text.clone()).collect()
        };
        assert_eq!(texts(a), texts(b));
    }
});
