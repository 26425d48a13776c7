//! What to run beside and before the program (issue 19): the command
//! strings of `--pre` and `--also` (`words`), the Procfile (`procfile`),
//! and the names the log gives each program. Pure: the supervisor, in
//! `supervise/`, runs what this describes.
//!
//! Invariant: nothing here touches the system; every input is bytes or
//! text handed in, and every failure is a value with a one-line Display.

// Nothing calls this module until the supervisor (issue 19) wires it in.
#![allow(dead_code)]

pub mod procfile;
pub mod words;

use std::collections::{HashMap, HashSet};

/// The names the log gives programs, in their order (issue 19, item 6):
/// each is its file name (the last `/` component: `/usr/sbin/nginx` →
/// `nginx`; a Procfile name has none), and the second and later of the
/// same name get `#2`, `#3`, … in order, the first keeping the bare name.
/// A number is skipped when another program already has that name (a
/// program `/bin/a#2` keeps it), so the names are always distinct.
pub fn unique_names(names: &[&str]) -> Vec<String> {
    let base = |name: &'_ str| -> String {
        let file = name.rsplit('/').find(|part| !part.is_empty());
        file.unwrap_or(name).to_string()
    };
    let bases: Vec<String> = names.iter().map(|name| base(name)).collect();
    let mut taken: HashSet<String> = bases.iter().cloned().collect();
    // How many of each name have been seen: the next number to try.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut unique = Vec::with_capacity(bases.len());
    for name in &bases {
        let count = seen.entry(name).or_insert(0);
        *count += 1;
        if *count == 1 {
            unique.push(name.clone());
            continue;
        }
        let numbered = loop {
            let candidate = format!("{name}#{count}");
            if taken.insert(candidate.clone()) {
                break candidate;
            }
            *count += 1;
        };
        unique.push(numbered);
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_names_numbered_when_the_same() {
        let cases: &[(&[&str], &[&str])] = &[
            (&[], &[]),
            (&["web"], &["web"]),
            (&["/usr/sbin/nginx", "php-fpm"], &["nginx", "php-fpm"]),
            (
                &["worker", "worker", "/bin/worker"],
                &["worker", "worker#2", "worker#3"],
            ),
            (&["./app", "app", "bin/app"], &["app", "app#2", "app#3"]),
            (&["a", "b", "a", "b", "a"], &["a", "b", "a#2", "b#2", "a#3"]),
            // A name that already has a number keeps it; the count steps over it.
            (&["a", "a", "/x/a#2"], &["a", "a#3", "a#2"]),
            (&["a#2", "a", "a", "a"], &["a#2", "a", "a#3", "a#4"]),
            // A path that ends in `/` names its last directory; none at all stays as given.
            (&["/srv/app/", "/", ""], &["app", "/", ""]),
            (&["", ""], &["", "#2"]),
        ];
        for (names, want) in cases {
            assert_eq!(unique_names(names), *want, "{names:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn names_are_distinct_and_the_first_keeps_its_own(
            names in vec("(/?[ab]{0,2}){1,3}(#[1-3])?", 0..12),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let unique = unique_names(&names);
            prop_assert_eq!(unique.len(), names.len());
            let distinct: HashSet<&String> = unique.iter().collect();
            prop_assert_eq!(distinct.len(), unique.len(), "{:?} → {:?}", names, unique);
            let bases: Vec<&str> = names
                .iter()
                .map(|n| n.rsplit('/').find(|p| !p.is_empty()).unwrap_or(n))
                .collect();
            for (i, (name, base)) in unique.iter().zip(&bases).enumerate() {
                if !bases[..i].contains(base) {
                    prop_assert_eq!(name, base);
                } else {
                    let number = name.strip_prefix(&format!("{base}#"));
                    let number = number.and_then(|n| n.parse::<usize>().ok());
                    prop_assert!(number.is_some_and(|n| n >= 2), "{} for {}", name, base);
                }
            }
        }
    }
}
