//! What to run beside and before the program (issue 19): the command
//! strings of `--pre` and `--also` (`words`), the Procfile (`procfile`),
//! the order they run in and the names the log gives each (`plan`). Pure:
//! the supervisor, in `supervise/`, runs what this describes.
//!
//! Invariant: nothing here touches the system; every input is bytes or
//! text handed in, and every failure is a value with a one-line Display.

pub mod procfile;
pub mod words;

use std::ffi::OsString;

use crate::iter::IntoVec;

/// One command to run, and what the log calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// What the log calls it: a Procfile's NAME, else its PROGRAM's file
    /// name, made unique by `plan`.
    pub name: String,
    /// PROGRAM and its arguments.
    pub command: Vec<OsString>,
    /// The `--file-env` variable whose value PROGRAM is, if it is one: then
    /// the log says `$NAME`, never the value.
    pub secret: Option<String>,
}

impl Planned {
    /// `command`, named after its PROGRAM, or `$NAME` when PROGRAM is the
    /// value of the secret `NAME`.
    pub fn new(command: Vec<OsString>, secret: Option<String>) -> Planned {
        let name = match &secret {
            Some(variable) => format!("${variable}"),
            None => command
                .first()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        Planned {
            name,
            command,
            secret,
        }
    }
}

/// What tend runs, in the order it starts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// `--pre` in the order given, then the Procfile's `release`: one after the other.
    pub steps: Vec<Planned>,
    /// `--also` in the order given, then the Procfile's other entries in file order.
    pub beside: Vec<Planned>,
    /// The program after `--`, whose status is the container's.
    pub program: Option<Planned>,
}

/// The plan for `pre` (`--pre`), `procfile` (its entries in file order,
/// each named by its NAME), `also` (`--also`) and `program`: the steps,
/// the programs beside and the program, each named by `unique_names` in
/// that order, from its name as given.
pub fn plan(
    pre: Vec<Planned>,
    procfile: Vec<Planned>,
    also: Vec<Planned>,
    program: Option<Planned>,
) -> Plan {
    // Loops rather than partition and chained iterators: the same order,
    // and much less code for a struct this size.
    let (mut steps, mut beside) = (pre, also);
    for entry in procfile {
        match entry.name == procfile::RELEASE {
            true => steps.push(entry),
            false => beside.push(entry),
        }
    }
    let mut program: Vec<Planned> = program.into_iter().into_vec();
    let mut given: Vec<&str> = Vec::with_capacity(steps.len() + beside.len() + 1);
    for list in [&steps, &beside, &program] {
        for planned in list {
            given.push(&planned.name);
        }
    }
    let mut names = unique_names(&given).into_iter();
    for list in [&mut steps, &mut beside, &mut program] {
        for planned in list {
            planned.name = names.next().unwrap_or_default();
        }
    }
    Plan {
        steps,
        beside,
        program: program.pop(),
    }
}

/// The names the log gives programs, in their order (issue 19, item 6):
/// each is its file name (the last `/` component: `/usr/sbin/nginx` →
/// `nginx`; a Procfile name has none), and the second and later of the
/// same name get `#2`, `#3`, … in order, the first keeping the bare name.
/// A number is skipped when another program already has that name (a
/// program `/bin/a#2` keeps it), so the names are always distinct.
pub fn unique_names(names: &[&str]) -> Vec<String> {
    let base = |name: &'_ str| -> String {
        let file = crate::text::last_component(name);
        file.unwrap_or(name).to_string()
    };
    let bases: Vec<String> = names.iter().map(|name| base(name)).into_vec();
    // A numbered name is taken only if it is one of these: `a#3` made for
    // `a` is never made for another name (a name ends before its last `#`),
    // nor twice for `a`, whose count only grows. So the sorted bases and a
    // binary search do what a hash set did, without std's hashing code;
    // (name, place) pairs, as `procfile` sorts, so the two share one sort.
    let mut sorted: Vec<(&str, usize)> = bases.iter().map(String::as_str).zip(0..).into_vec();
    sorted.sort_unstable();
    let first = |name: &str| sorted.partition_point(|(other, _)| *other < name);
    // How many of each name have been seen, at the name's first place in
    // `sorted`: the next number to try.
    let mut seen = vec![0usize; sorted.len()];
    let mut unique = Vec::with_capacity(bases.len());
    for name in &bases {
        // Every name is in `sorted`: its place is always in bounds.
        let Some(count) = seen.get_mut(first(name)) else {
            unique.push(name.clone());
            continue;
        };
        *count += 1;
        if *count == 1 {
            unique.push(name.clone());
            continue;
        }
        let numbered = loop {
            let candidate = format!("{name}#{count}");
            let taken = sorted
                .get(first(&candidate))
                .is_some_and(|(n, _)| *n == candidate);
            if !taken {
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

    fn command(words: &str) -> Planned {
        Planned::new(words.split(' ').map(OsString::from).collect(), None)
    }

    fn entry(name: &str, words: &str) -> Planned {
        Planned {
            name: name.to_string(),
            ..command(words)
        }
    }

    fn listed(planned: &[Planned]) -> Vec<(&str, String)> {
        planned
            .iter()
            .map(|p| {
                let words: Vec<String> = p
                    .command
                    .iter()
                    .map(|w| w.to_string_lossy().into_owned())
                    .collect();
                (p.name.as_str(), words.join(" "))
            })
            .collect()
    }

    #[test]
    fn the_plan_runs_steps_then_also_then_the_procfile_then_the_program() {
        let got = plan(
            vec![command("/app/manage migrate"), command("warm")],
            vec![
                entry("web", "/app/serve --port 80"),
                entry("release", "/app/manage check"),
                entry("worker", "/app/work"),
            ],
            vec![command("/usr/sbin/nginx -g x"), command("nginx")],
            Some(command("/app/serve")),
        );
        assert_eq!(
            listed(&got.steps),
            [
                ("manage", "/app/manage migrate".to_string()),
                ("warm", "warm".into()),
                ("release", "/app/manage check".into()),
            ]
        );
        assert_eq!(
            listed(&got.beside),
            [
                ("nginx", "/usr/sbin/nginx -g x".to_string()),
                ("nginx#2", "nginx".into()),
                ("web", "/app/serve --port 80".into()),
                ("worker", "/app/work".into()),
            ]
        );
        assert_eq!(got.program.as_ref().map(|p| p.name.as_str()), Some("serve"));
        // A Procfile alone: no program; a program alone: the plan of one.
        let alone = plan(vec![], vec![entry("web", "serve")], vec![], None);
        assert_eq!(
            (alone.steps.len(), alone.beside.len(), alone.program),
            (0, 1, None)
        );
        let one = plan(vec![], vec![], vec![], Some(command("/bin/app x")));
        assert_eq!(one.program.map(|p| p.name), Some("app".to_string()));
        // A Procfile name that a program's file name takes as well: the Procfile's comes later.
        let same = plan(
            vec![command("/bin/web")],
            vec![entry("web", "x")],
            vec![],
            None,
        );
        assert_eq!(
            (same.steps[0].name.as_str(), same.beside[0].name.as_str()),
            ("web", "web#2")
        );
        // A PROGRAM that is a secret's value is named by its variable, never by the value.
        let secret = Planned::new(vec!["/s3cret/path".into()], Some("APP".into()));
        let named = plan(vec![], vec![], vec![secret], Some(command("/bin/app")));
        assert_eq!(named.beside[0].name, "$APP");
        assert_eq!(named.beside[0].secret.as_deref(), Some("APP"));
    }

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

    /// `unique_names` as it was written first, with a set of the names taken.
    fn with_a_set(names: &[&str]) -> Vec<String> {
        use std::collections::{HashMap, HashSet};
        let bases: Vec<String> = names
            .iter()
            .map(|n| {
                n.rsplit('/')
                    .find(|p| !p.is_empty())
                    .unwrap_or(n)
                    .to_string()
            })
            .collect();
        let mut taken: HashSet<String> = bases.iter().cloned().collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut unique = Vec::new();
        for name in &bases {
            let count = seen.entry(name).or_insert(0);
            *count += 1;
            if *count == 1 {
                unique.push(name.clone());
                continue;
            }
            loop {
                let candidate = format!("{name}#{count}");
                if taken.insert(candidate.clone()) {
                    unique.push(candidate);
                    break;
                }
                *count += 1;
            }
        }
        unique
    }

    proptest! {
        #[test]
        fn the_names_are_those_a_set_of_taken_names_gives(
            names in vec("(/?[ab]{0,2}){1,3}(#[1-4](#[1-3])?)?", 0..16),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            prop_assert_eq!(unique_names(&names), with_a_set(&names));
        }

        #[test]
        fn names_are_distinct_and_the_first_keeps_its_own(
            names in vec("(/?[ab]{0,2}){1,3}(#[1-3])?", 0..12),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let unique = unique_names(&names);
            prop_assert_eq!(unique.len(), names.len());
            let distinct: std::collections::HashSet<&String> = unique.iter().collect();
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
