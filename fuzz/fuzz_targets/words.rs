//! Any bytes as a command string: no panic, and the invariants of
//! `programs::words` hold: words are bytes of the command, quote∘split
//! gives the same words back, `--expand` finds nothing to expand in what
//! `quote` wrote, a word without `$` is the same to `--expand`, and an
//! error is one bounded line with its column in the command.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/entry/expand.rs"]
mod expand;
#[allow(dead_code)]
#[path = "../../src/programs/words.rs"]
mod words;

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|command: &[u8]| {
    let words = match words::split(command) {
        Ok(words) => words,
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains(['\n', '\r']), "{message}");
            assert!(message.len() <= 400, "{message}");
            let characters = command.iter().filter(|&&b| b & 0xC0 != 0x80).count();
            assert!(e.column >= 1 && e.column <= characters.max(1), "{e:?}");
            return;
        }
    };
    assert!(!words.is_empty());
    let texts: Vec<&[u8]> = words.iter().map(|w| &w.text[..]).collect();
    assert!(texts.iter().map(|t| t.len()).sum::<usize>() <= command.len());

    let some = |name: &str| match name {
        "A" => Some(OsString::from("a b")),
        "B" => Some(OsString::new()),
        _ => None,
    };
    for word in &words {
        if !word.text.contains(&b'$') {
            assert_eq!(word.expandable, word.text);
        }
        // Expansion may fail (an unset name, an unsupported form), never panic.
        let _ = expand::argument(&word.expandable, &some);
    }

    let quoted = words::quote(&texts);
    let again = words::split(&quoted).expect("split reads what quote wrote");
    let none = |_: &str| None;
    for (word, text) in again.iter().zip(&texts) {
        assert_eq!(&word.text[..], *text);
        let expanded = expand::argument(&word.expandable, &none);
        assert_eq!(expanded, Ok(vec![word.text.clone()]));
    }
    assert_eq!(again.len(), texts.len());
});
