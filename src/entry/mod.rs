//! The entrypoint steps: what docker-entrypoint.sh did, done by tend before
//! the child starts, without a shell. main runs them in one documented
//! order (docs/entrypoint.md, "The order, and why"): secrets, the
//! command's expansion and default program, the umask, templates, chown,
//! the wait for dependencies. Each fails before the spawn, with 125 and one
//! line that names the flag, the file or URL, and why; a stop signal during
//! any of them ends tend with 128+N (`stop`). They run as root on paths the
//! app's user may control, so a path is reached through `path` (no link the
//! app could have planted), a file read is refused unless it is regular
//! (never blocking on a FIFO), and no value from a secret is ever shown.
//! Pure where it can be.

pub mod chown;
pub mod expand;
pub mod path;
pub mod render;
pub mod secrets;
pub mod stop;
pub mod wait;

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};

use crate::environ::Environ;
use crate::error::{Detail, Error};
use crate::iter::IntoVec;
use crate::programs::words::Word;

/// The expansion's view of `env`.
pub fn lookup(env: &Environ) -> impl Fn(&str) -> Option<OsString> + '_ {
    |name| env.get(name).map(OsStr::to_os_string)
}

/// The expansion's view of `env`, noting each name of `secrets` it is
/// asked for in `used` (once): which secrets a result may hold.
pub fn recording<'a>(
    env: &'a Environ,
    secrets: &'a [String],
    used: &'a RefCell<Vec<String>>,
) -> impl Fn(&str) -> Option<OsString> + 'a {
    move |name| {
        if secrets.iter().any(|s| s == name) && !used.borrow().iter().any(|u| u == name) {
            used.borrow_mut().push(name.to_string());
        }
        env.get(name).map(OsStr::to_os_string)
    }
}

/// `--expand`: PROGRAM and each ARG through parameter expansion; an
/// argument `$@NAME` may become several, or none. `option` (`--expand` or
/// `TEND_EXPAND`) begins the errors. Returns the command, and the first of
/// `secrets` (the names `--file-env` loaded) that the new PROGRAM's
/// argument looked up, if any: then its value must never be shown.
pub fn expand_command(
    command: &[OsString],
    env: &Environ,
    option: &str,
    secrets: &[String],
) -> Result<(Vec<OsString>, Option<String>), Error> {
    let args = command.iter().map(|a| a.as_bytes()).into_vec();
    expand_all(&args, env, option, secrets)
}

/// The expansion of `args` in order, for `expand_command` and
/// `expand_words`: each through `expand::argument`, its error begun with
/// `prefix` and the argument's place, and the first of `secrets` that the
/// new PROGRAM's argument looked up.
fn expand_all(
    args: &[&[u8]],
    env: &Environ,
    prefix: &str,
    secrets: &[String],
) -> Result<(Vec<OsString>, Option<String>), Error> {
    let used = RefCell::new(Vec::new());
    let lookup = recording(env, secrets, &used);
    let mut expanded = Vec::with_capacity(args.len());
    let mut program_from = None;
    for (i, arg) in args.iter().enumerate() {
        used.borrow_mut().clear();
        let words = expand::argument(arg, &lookup)
            .map_err(|e| Error::Entry(format!("{prefix}: {}: {e}", argument_name(i))))?;
        if expanded.is_empty() && !words.is_empty() {
            program_from = used.borrow().first().cloned();
        }
        expanded.extend(words.into_iter().map(OsString::from_vec));
    }
    Ok((expanded, program_from))
}

/// How messages name the argument at `index` of a command: `PROGRAM`,
/// then `argument 1`, `argument 2`, …
pub fn argument_name(index: usize) -> String {
    match index {
        0 => "PROGRAM".to_string(),
        i => format!("argument {i}"),
    }
}

/// What exec's failure needs said beyond `Spawn`'s words: PROGRAM named by
/// where it came from when it is a secret's value (`program_from`: the
/// variable; `file_env`: `--file-env` or its variable), and for E2BIG, that
/// the environment and arguments are more than the kernel takes, with the
/// largest variables (names and sizes, never values). Any other error
/// passes as it is.
pub fn explain_exec(
    e: Error,
    program_from: Option<&str>,
    file_env: &str,
    env: &Environ,
    command: &[OsString],
) -> Error {
    let Error::Spawn { program, source } = e else {
        return e;
    };
    let too_big = source.raw_os_error() == Some(libc::E2BIG);
    let program = match program_from {
        Some(name) => format!("PROGRAM (from ${name}, loaded by {file_env})"),
        None if too_big => program,
        None => return Error::Spawn { program, source },
    };
    let detail = match too_big {
        true => too_big_for_exec(env, command),
        false => String::new(),
    };
    Error::Exec {
        program,
        source,
        detail: Box::new(Detail {
            secret: program_from.is_some(),
            text: detail,
        }),
    }
}

/// E2BIG, in words: how much the environment and the arguments take, the
/// kernel's limits, and the three largest variables. Pure.
fn too_big_for_exec(env: &Environ, command: &[OsString]) -> String {
    let pointer = std::mem::size_of::<usize>();
    let args: usize = command.iter().map(|a| a.len() + 1 + pointer).sum();
    let mut text = format!(
        ": the environment and the arguments take {} ({} of it the arguments), more than the \
         kernel passes to a program (a quarter of the stack limit, 2 MiB under the usual \
         8 MiB, and 128 KiB for any one variable); the largest variables: ",
        about(env.exec_bytes() + args),
        about(args),
    );
    // Written in place: no list of strings to join (issue 21).
    for (i, (name, size)) in env.largest(3).into_iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{sep}{} ({})", name.to_string_lossy(), about(size));
    }
    text
}

/// `1.5 MiB`, `12 KiB`, `80 bytes`: a size, rounded, without floating point. Pure.
fn about(bytes: usize) -> String {
    const MIB: usize = 1 << 20;
    match bytes {
        b if b >= MIB => {
            let tenths = (b * 10 + MIB / 2) / MIB;
            format!("{}.{} MiB", tenths / 10, tenths % 10)
        }
        b if b >= 1024 => format!("{} KiB", (b + 512) / 1024),
        b => format!("{b} bytes"),
    }
}

/// Open `path` to read it, following links, without blocking on a FIFO
/// (O_NONBLOCK) and without taking a terminal (O_NOCTTY), and refuse
/// anything but a regular file, naming what it is (issue 18: a FIFO as a
/// secret or a template held set-up in open(2) for good).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let opened = open(path, OFlag::O_NONBLOCK | OFlag::O_NOCTTY);
    let file = match opened {
        Ok(file) => file,
        // A socket cannot be opened at all: say what it is, not "No such device or address".
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            let mode = std::fs::metadata(path).map_err(|_| e)?.mode();
            return Err(not_regular(mode));
        }
        Err(e) => return Err(e),
    };
    let mode = file.metadata()?.mode();
    match path::kind(mode) {
        SFlag::S_IFREG => Ok(file),
        _ => Err(not_regular(mode)),
    }
}

/// open(2) of `path` to read it, with O_CLOEXEC and `flags`, as std's
/// `File::open` does (EINTR retried). Not std's `OpenOptions`, whose checks
/// of the access mode box a String as an error, and with it an escaping
/// Debug and the Unicode tables it reads: with `error::other`, 4,416 B of
/// the small build (issue 21).
pub fn open(path: &Path, flags: OFlag) -> io::Result<File> {
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | flags;
    loop {
        match nix::fcntl::open(path, flags, Mode::empty()) {
            Ok(fd) => return Ok(File::from(fd)),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The bytes of a file tend reads whole as root (a secret, a template, the
/// Procfile), and its metadata: a regular file (`open_regular`: links
/// followed, never blocking), refused with `too_big(size)` when fstat says
/// it holds more than `limit` bytes, and read up to `limit + 1` bytes, so
/// that the caller's own check still fails a file that grew since.
pub fn read_regular(
    path: &Path,
    limit: usize,
    too_big: &dyn Fn(u64) -> String,
) -> io::Result<(Vec<u8>, std::fs::Metadata)> {
    let file = open_regular(path)?;
    let meta = file.metadata()?;
    if meta.len() > limit as u64 {
        return Err(crate::error::other(too_big(meta.len())));
    }
    Ok((read_at_most(&file, limit + 1)?, meta))
}

/// `file` from where it stands to its end, but never more than `limit`
/// bytes: a file that grows while it is read cannot grow tend's memory.
/// One loop of read(2) rather than std's `Take` and `read_to_end`, whose
/// code is twice as large for this.
pub fn read_at_most(mut file: &File, limit: usize) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    while bytes.len() < limit {
        let room = buf.len().min(limit - bytes.len());
        match file.read(&mut buf[..room]) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(bytes)
}

fn not_regular(mode: u32) -> io::Error {
    crate::error::other(format!("not a regular file ({})", kind_of(mode)))
}

/// "a FIFO", "a socket", …: the file type of `mode`, in words. Pure.
pub fn kind_of(mode: u32) -> &'static str {
    match path::kind(mode) {
        SFlag::S_IFREG => "a regular file",
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        SFlag::S_IFLNK => "a symbolic link",
        _ => "of an unknown type",
    }
}

/// `--expand` over the words of a command string (`--pre`, `--also`, a
/// Procfile line): each `Word::expandable` through `expand::argument`, so
/// that what was single-quoted or escaped stays literal and `$@NAME` may
/// become several words, or none. `option` (`--expand` or `TEND_EXPAND`)
/// and `what` (the command) begin the errors. Returns the words, and the
/// first of `secrets` that the new PROGRAM's word looked up, as
/// `expand_command` does.
pub fn expand_words(
    words: &[Word],
    env: &Environ,
    option: &str,
    what: &str,
    secrets: &[String],
) -> Result<(Vec<OsString>, Option<String>), Error> {
    let args = words.iter().map(|w| w.expandable.as_slice()).into_vec();
    expand_all(&args, env, &format!("{option}: {what}"), secrets)
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
            [
                ("PORT", "8080"),
                ("OPTS", "-a  -b"),
                ("EMPTY", ""),
                ("APP", "/s3cret"),
            ]
            .map(|(k, v)| (k.into(), v.into())),
        );
        let secrets = ["APP".to_string()];
        let expand = |command: &str| {
            let words = crate::programs::words::split(command.as_bytes()).expect("splits");
            expand_words(&words, &env, "--expand", "web", &secrets)
        };
        assert_eq!(
            expand("serve --port $PORT '$PORT' \\$PORT \"$PORT\"x $@OPTS $@EMPTY").ok(),
            Some((
                os(&[
                    "serve", "--port", "8080", "$PORT", "$PORT", "8080x", "-a", "-b"
                ]),
                None
            ))
        );
        // A PROGRAM that is a secret's value: which one, so that it is never shown.
        assert_eq!(
            expand("$APP --port $APP").ok(),
            Some((
                os(&["/s3cret", "--port", "/s3cret"]),
                Some("APP".to_string())
            ))
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
        let got = expand_command(&command, &env, "--expand", &[]);
        assert_eq!(
            got.ok(),
            Some((
                os(&["/srv/app", "--port", "8080", "-Xmx1g", "-Dx=1", "a b $"]),
                None
            ))
        );
        let err = expand_command(&os(&["app", "$NOPE"]), &env, "--expand", &[])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("--expand: argument 1: $NOPE is not set (no default given)")
        );
        let err = expand_command(&os(&["$(id)"]), &env, "TEND_EXPAND", &[])
            .err()
            .map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.starts_with("TEND_EXPAND: PROGRAM: $(…) is command substitution"))
        );
    }

    #[test]
    fn a_program_from_a_secret_is_known_by_its_variable() {
        let env = Environ::from_pairs(
            [("DB_PASSWORD", "s3cret"), ("DIR", "/srv"), ("EMPTY", "")]
                .map(|(k, v)| (k.into(), v.into())),
        );
        let secrets = ["DB_PASSWORD".to_string(), "EMPTY".to_string()];
        let cases: [(&[&str], Option<&str>); 7] = [
            (&["$DB_PASSWORD"], Some("DB_PASSWORD")),
            (&["${DIR}/${DB_PASSWORD}"], Some("DB_PASSWORD")),
            (&["${DB_PASSWORD:+/bin/true}"], Some("DB_PASSWORD")),
            (&["$DIR/app", "$DB_PASSWORD"], None),
            // An empty split gives no word: PROGRAM comes from the next argument.
            (&["$@EMPTY", "$DB_PASSWORD"], Some("DB_PASSWORD")),
            (&["$@EMPTY", "/app", "$DB_PASSWORD"], None),
            (&["/app"], None),
        ];
        for (command, want) in cases {
            let got = expand_command(&os(command), &env, "--expand", &secrets)
                .ok()
                .map(|(_, from)| from);
            assert_eq!(got, Some(want.map(str::to_string)), "{command:?}");
        }
    }

    #[test]
    fn exec_errors_name_the_secret_and_the_largest_variables_never_a_value() {
        let env = Environ::from_pairs(
            [
                ("SMALL", "x".to_string()),
                ("DB_PASSWORD", "s3cret".repeat(20_000)),
                ("CERT", "c".repeat(5_000)),
                ("PATH", "/bin".to_string()),
            ]
            .map(|(k, v)| (k.into(), v.into())),
        );
        let command = os(&["s3cret-prog", "--x"]);
        let spawn = |errno| Error::Spawn {
            program: "s3cret-prog".into(),
            source: io::Error::from_raw_os_error(errno),
        };
        let secret = explain_exec(
            spawn(libc::ENOENT),
            Some("DB_PASSWORD"),
            "--file-env",
            &env,
            &command,
        );
        assert_eq!(
            secret.to_string(),
            "cannot run PROGRAM (from $DB_PASSWORD, loaded by --file-env): No such file or directory (os error 2)"
        );
        assert_eq!(secret.exit_code(), 127);
        let big = explain_exec(spawn(libc::E2BIG), None, "--file-env", &env, &command).to_string();
        assert!(
            big.starts_with("cannot run 's3cret-prog': Argument list too long (os error 7): the environment and the arguments take 122 KiB (32 bytes of it the arguments), more than the kernel passes"),
            "{big}"
        );
        assert!(
            big.ends_with(
                "the largest variables: DB_PASSWORD (117 KiB), CERT (5 KiB), PATH (18 bytes)"
            ),
            "{big}"
        );
        let both = explain_exec(
            spawn(libc::E2BIG),
            Some("DB_PASSWORD"),
            "TEND_FILE_ENV",
            &env,
            &command,
        )
        .to_string();
        assert!(both.starts_with("cannot run PROGRAM (from $DB_PASSWORD, loaded by TEND_FILE_ENV): Argument list too long"), "{both}");
        assert!(!both.contains("s3cret"), "{both}");
        // Anything else is Spawn's own, word for word.
        let plain = explain_exec(spawn(libc::EACCES), None, "--file-env", &env, &command);
        assert!(matches!(plain, Error::Spawn { .. }), "{plain:?}");
        assert_eq!(about(1 << 20), "1.0 MiB");
        assert_eq!(about(3 * (1 << 20) / 2), "1.5 MiB");
        assert_eq!(about(1023), "1023 bytes");
        assert_eq!(about(1536), "2 KiB");
    }

    #[test]
    fn file_types_in_words() {
        let cases = [
            (libc::S_IFIFO, "a FIFO"),
            (libc::S_IFSOCK, "a socket"),
            (libc::S_IFDIR, "a directory"),
            (libc::S_IFCHR, "a character device"),
            (libc::S_IFBLK, "a block device"),
            (libc::S_IFREG, "a regular file"),
        ];
        for (mode, want) in cases {
            assert_eq!(kind_of(mode | 0o644), want);
        }
    }
}
