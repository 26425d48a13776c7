//! The entrypoint steps: what docker-entrypoint.sh did, done by tend before
//! the child starts, without a shell. main runs them in one documented
//! order (see the README, "Replacing docker-entrypoint.sh"): secrets, the
//! command's expansion and default program, the umask, templates, chown,
//! the wait for dependencies. Each fails before the spawn, with 125 and one
//! line that names the flag, the file or URL, and why. Pure where it can be.

pub mod chown;
pub mod expand;
pub mod render;
pub mod secrets;
pub mod wait;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::environ::Environ;
use crate::error::Error;
use crate::programs::words::Word;

/// The expansion's view of `env`.
pub fn lookup(env: &Environ) -> impl Fn(&str) -> Option<OsString> + '_ {
    |name| env.get(name).map(OsStr::to_os_string)
}

/// `--expand`: PROGRAM and each ARG through parameter expansion; an
/// argument `$@NAME` may become several, or none. `option` (`--expand` or
/// `TEND_EXPAND`) begins the errors.
pub fn expand_command(
    command: &[OsString],
    env: &Environ,
    option: &str,
) -> Result<Vec<OsString>, Error> {
    let lookup = lookup(env);
    let mut expanded = Vec::with_capacity(command.len());
    for (i, arg) in command.iter().enumerate() {
        let words = expand::argument(arg.as_bytes(), &lookup).map_err(|e| {
            let which = match i {
                0 => "PROGRAM".to_string(),
                i => format!("argument {i}"),
            };
            Error::Entry(format!("{option}: {which}: {e}"))
        })?;
        expanded.extend(words.into_iter().map(OsString::from_vec));
    }
    Ok(expanded)
}

/// `--expand` over the words of a command string (`--pre`, `--also`, a
/// Procfile line): each `Word::expandable` through `expand::argument`, so
/// that what was single-quoted or escaped stays literal and `$@NAME` may
/// become several words, or none. `option` (`--expand` or `TEND_EXPAND`)
/// and `what` (the command) begin the errors.
pub fn expand_words(
    words: &[Word],
    env: &Environ,
    option: &str,
    what: &str,
) -> Result<Vec<OsString>, Error> {
    let lookup = lookup(env);
    let mut expanded = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let out = expand::argument(&word.expandable, &lookup).map_err(|e| {
            let which = match i {
                0 => "PROGRAM".to_string(),
                i => format!("argument {i}"),
            };
            Error::Entry(format!("{option}: {what}: {which}: {e}"))
        })?;
        expanded.extend(out.into_iter().map(OsString::from_vec));
    }
    Ok(expanded)
}

/// `--default-program`: `program` in front of a command that is empty or
/// whose first word is an option, as the official images' entrypoints do
/// (`if [ "${1#-}" != "$1" ]; then set -- app "$@"; fi`).
pub fn with_default_program(mut command: Vec<OsString>, program: &OsStr) -> Vec<OsString> {
    let takes_it = command
        .first()
        .is_none_or(|first| first.as_bytes().starts_with(b"-"));
    if takes_it {
        command.insert(0, program.to_os_string());
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_default_program_goes_first_only_when_wanted() {
        let cases: [(&[&str], &[&str]); 5] = [
            (&[], &["/app"]),
            (&["--verbose"], &["/app", "--verbose"]),
            (&["-"], &["/app", "-"]),
            (&["/app", "--x"], &["/app", "--x"]),
            (&["sh", "-c", "x"], &["sh", "-c", "x"]),
        ];
        for (command, want) in cases {
            assert_eq!(
                with_default_program(os(command), OsStr::new("/app")),
                os(want),
                "{command:?}"
            );
        }
    }

    #[test]
    fn a_command_strings_words_expand_but_what_was_single_quoted() {
        let env = Environ::from_pairs(
            [("PORT", "8080"), ("OPTS", "-a  -b"), ("EMPTY", "")]
                .map(|(k, v)| (k.into(), v.into())),
        );
        let expand = |command: &str| {
            let words = crate::programs::words::split(command.as_bytes()).expect("splits");
            expand_words(&words, &env, "--expand", "web")
        };
        assert_eq!(
            expand("serve --port $PORT '$PORT' \\$PORT \"$PORT\"x $@OPTS $@EMPTY").ok(),
            Some(os(&[
                "serve", "--port", "8080", "$PORT", "$PORT", "8080x", "-a", "-b"
            ]))
        );
        let err = expand("serve $NOPE").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("--expand: web: argument 1: $NOPE is not set (no default given)")
        );
    }

    #[test]
    fn the_command_is_expanded_one_argument_at_a_time() {
        let env = Environ::from_pairs(
            [
                ("DIR", "/srv/"),
                ("PORT", "8080"),
                ("JAVA_OPTS", "-Xmx1g  -Dx=1"),
                ("EMPTY", ""),
            ]
            .map(|(k, v)| (k.into(), v.into())),
        );
        let command = os(&[
            "${DIR}${EMPTY}app",
            "--port",
            "$PORT",
            "$@JAVA_OPTS",
            "a b $$",
            "$@EMPTY",
        ]);
        let got = expand_command(&command, &env, "--expand");
        assert_eq!(
            got.ok(),
            Some(os(&[
                "/srv/app", "--port", "8080", "-Xmx1g", "-Dx=1", "a b $"
            ]))
        );
        let err = expand_command(&os(&["app", "$NOPE"]), &env, "--expand")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("--expand: argument 1: $NOPE is not set (no default given)")
        );
        let err = expand_command(&os(&["$(id)"]), &env, "TEND_EXPAND")
            .err()
            .map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.starts_with("TEND_EXPAND: PROGRAM: $(…) is command substitution"))
        );
    }
}
