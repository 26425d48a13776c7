//! tend's own failures, and the only place where exit codes are numbers.
//!
//! Every variant says what tend was doing; `source()` says why. Before the
//! child is spawned, any of them ends tend with `exit::FAILURE` (125), or 126 /
//! 127 for a program that cannot be executed, as tini and the shells do.

use std::fmt;
use std::io;

/// The exit codes tend gives itself. Anything else is the child's.
pub mod exit {
    /// tend itself failed: a bad flag, a bad value, a setup step.
    pub const FAILURE: u8 = 125;
    /// PROGRAM was found but could not be executed.
    pub const NOT_EXECUTABLE: u8 = 126;
    /// PROGRAM was not found.
    pub const NOT_FOUND: u8 = 127;
    /// `--grace` ran out after a terminating signal: tend killed the child.
    pub const KILLED: u8 = 128 + 9;
    /// `--health --on-unhealthy exit`: the watchdog stopped the app for being
    /// unhealthy. sysexits' EX_UNAVAILABLE ("a service is unavailable"): not
    /// 0, not 125–127, not 128+N, and not remapped by `-e`, so a restart
    /// policy (`--restart on-failure`, restartPolicy) acts on it. An app may
    /// exit 69 itself; the log line that says why is the authority.
    pub const UNHEALTHY_APP: u8 = 69;
    /// Under dumb-init's name: a usage error, and a program that cannot be
    /// run (dumb-init's child exits 2 when exec fails, whatever the errno).
    pub const DUMB_INIT_USAGE: u8 = 1;
    pub const DUMB_INIT_EXEC: u8 = 2;
    /// `--probe`: healthy, or anything else. Docker reserves 2, so never more.
    pub const HEALTHY: u8 = 0;
    pub const UNHEALTHY: u8 = 1;

    /// The shell convention for a process that died of signal `signo`.
    pub fn for_signal(signo: i32) -> u8 {
        u8::try_from(128 + signo.clamp(0, 127)).unwrap_or(u8::MAX)
    }
}

/// An I/O error as strerror(3) words it: "No such file or directory",
/// without std's " (os error 2)".
pub fn describe(e: &io::Error) -> String {
    let mut text = e.to_string();
    // A byte search: the one `str` pattern search left in tend, and std's
    // searcher for patterns of many bytes is large.
    if let Some(at) = find(text.as_bytes(), b" (os error") {
        text.truncate(at);
    }
    text
}

/// An I/O error in tend's own words ("not a regular file (a FIFO)"), for
/// `describe` to show as they are. Not `io::Error::other(String)`: std
/// boxes a String as an error type of its own whose Debug escapes the text
/// through the Unicode tables: with `entry::open`, 4,416 B of the small
/// build that nothing runs (issue 21).
pub fn other(text: String) -> io::Error {
    io::Error::other(Words(text))
}

/// `other`'s text as an error: shown as it is, by Display and Debug alike.
struct Words(String);

impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Words {}

/// Where `needle` first occurs in `haystack` (an empty one: at 0).
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle.len() {
        0 => Some(0),
        n => haystack.windows(n).position(|w| w == needle),
    }
}

#[derive(Debug)]
pub enum Error {
    /// A bad command line or environment variable; the text names it.
    Usage(String),
    /// A system call needed to set tend up failed.
    Setup {
        doing: &'static str,
        source: nix::Error,
    },
    /// The program could not be started.
    Spawn { program: String, source: io::Error },
    /// The program could not be started, and saying so needs more than
    /// `Spawn`: `program` is PROGRAM, or where it came from when
    /// `detail.secret` (its value is a secret's: `PROGRAM (from
    /// $DB_PASSWORD, loaded by --file-env)`). Exit codes as `Spawn`'s.
    Exec {
        program: String,
        source: io::Error,
        detail: Box<Detail>,
    },
    /// `--user` could not be resolved or applied.
    Privilege(String, Option<io::Error>),
    /// An entrypoint step failed (secrets, expansion, templates, chown,
    /// dependencies); the text names the flag, the file or URL, and why.
    Entry(String),
    /// A stop signal came before the program started, `during` a set-up
    /// step or the wait for dependencies (`while waiting for the
    /// dependencies (--wait-for)`): tend ends at once, as the app would
    /// have, with 128+N.
    Stopped { signo: i32, during: String },
    /// A peer dialect's usage error (dumb-init's), in its own words and with its exit code.
    Peer { text: String, code: u8 },
}

/// The rest of an `Error::Exec`, boxed: a `Result<_, Error>` is then 40
/// bytes rather than 64, and every `?` moves that much less (issue 21).
#[derive(Debug)]
pub struct Detail {
    /// `program` names where PROGRAM came from, a secret, and is not quoted.
    pub secret: bool,
    /// What the kernel's error means here (for E2BIG, the largest
    /// variables), or nothing.
    pub text: String,
}

impl Error {
    pub fn setup(doing: &'static str) -> impl FnOnce(nix::Error) -> Error {
        move |source| Error::Setup { doing, source }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Peer { code, .. } => *code,
            Error::Stopped { signo, .. } => exit::for_signal(*signo),
            Error::Spawn { source, .. } | Error::Exec { source, .. } => match source.raw_os_error()
            {
                Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP | libc::ENAMETOOLONG) => {
                    exit::NOT_FOUND
                }
                Some(libc::EACCES | libc::ENOEXEC | libc::EISDIR | libc::ETXTBSY | libc::EPERM) => {
                    exit::NOT_EXECUTABLE
                }
                _ => exit::FAILURE,
            },
            _ => exit::FAILURE,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(text) => write!(f, "{text} (see tend --help)"),
            Error::Setup { doing, source } => write!(f, "{doing}: {}", source.desc()),
            Error::Spawn { program, source } if source.raw_os_error() == Some(libc::ENOEXEC) => {
                write!(
                    f,
                    "cannot run '{program}': {source}: not a binary for this machine, or a script with no #! line and no /bin/sh to run it"
                )
            }
            Error::Spawn { program, source } => write!(f, "cannot run '{program}': {source}"),
            Error::Exec {
                program,
                source,
                detail,
            } => match detail.secret {
                true => write!(f, "cannot run {program}: {source}{}", detail.text),
                false => write!(f, "cannot run '{program}': {source}{}", detail.text),
            },
            Error::Privilege(text, Some(source)) => write!(f, "{text}: {source}"),
            Error::Privilege(text, None) => f.write_str(text),
            Error::Peer { text, .. } => f.write_str(text.trim_end()),
            Error::Entry(text) => f.write_str(text),
            Error::Stopped { signo, during } => write!(
                f,
                "{} {during}: exiting before the program starts",
                crate::signals::name(*signo)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Setup { source, .. } => Some(source),
            Error::Spawn { source, .. }
            | Error::Exec { source, .. }
            | Error::Privilege(_, Some(source)) => Some(source),
            Error::Usage(_)
            | Error::Privilege(_, None)
            | Error::Peer { .. }
            | Error::Entry(_)
            | Error::Stopped { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_errors_map_like_a_shell() {
        let cases = [
            (libc::ENOENT, 127),
            (libc::ENOTDIR, 127),
            (libc::EACCES, 126),
            (libc::ENOEXEC, 126),
            (libc::EISDIR, 126),
            (libc::E2BIG, 125),
            (libc::ENOMEM, 125),
        ];
        for (errno, code) in cases {
            let err = Error::Spawn {
                program: "x".into(),
                source: io::Error::from_raw_os_error(errno),
            };
            assert_eq!(err.exit_code(), code, "errno {errno}");
        }
    }

    #[test]
    fn own_failures_are_125() {
        assert_eq!(Error::Usage("bad".into()).exit_code(), 125);
        let setup = Error::setup("making a signalfd")(nix::Error::EMFILE);
        assert_eq!(setup.exit_code(), 125);
        assert_eq!(setup.to_string(), "making a signalfd: Too many open files");
        assert_eq!(
            Error::Privilege("no such user".into(), None).exit_code(),
            125
        );
    }

    #[test]
    fn io_errors_in_strerror_words() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(describe(&e), "No such file or directory");
        assert_eq!(
            describe(&other("not a regular file".into())),
            "not a regular file"
        );
        let cases: [(&[u8], &[u8], Option<usize>); 6] = [
            (b"abc", b"", Some(0)),
            (b"a://b://", b"://", Some(1)),
            (b"abc", b"abc", Some(0)),
            (b"ab", b"abc", None),
            (b"", b"x", None),
            (b"x (os error 2) (os error 3)", b" (os error", Some(1)),
        ];
        for (haystack, needle, at) in cases {
            assert_eq!(find(haystack, needle), at, "{haystack:?}");
        }
    }

    #[test]
    fn a_program_from_a_secret_is_named_by_where_it_came_from() {
        let err = Error::Exec {
            program: "PROGRAM (from $DB_PASSWORD, loaded by --file-env)".into(),
            source: io::Error::from_raw_os_error(libc::ENOENT),
            detail: Box::new(Detail {
                secret: true,
                text: String::new(),
            }),
        };
        assert_eq!(err.exit_code(), 127);
        assert_eq!(
            err.to_string(),
            "cannot run PROGRAM (from $DB_PASSWORD, loaded by --file-env): No such file or directory (os error 2)"
        );
        let stopped = Error::Stopped {
            signo: 15,
            during: "while changing owners (--chown /data)".into(),
        };
        assert_eq!(stopped.exit_code(), 143);
        assert_eq!(
            stopped.to_string(),
            "SIGTERM while changing owners (--chown /data): exiting before the program starts"
        );
    }

    /// Every `?` on a `Result<_, Error>` moves this much: Exec's rarely
    /// used parts stay boxed (issue 21).
    #[test]
    fn an_error_is_five_words() {
        assert!(std::mem::size_of::<Error>() <= 5 * std::mem::size_of::<usize>());
    }

    #[test]
    fn signal_deaths_are_128_plus_n() {
        assert_eq!(exit::for_signal(15), 143);
        assert_eq!(exit::for_signal(9), exit::KILLED);
        assert_eq!(exit::for_signal(64), 192);
    }
}
