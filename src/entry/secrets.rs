//! `--file-env NAME`: NAME's value from the file that NAME_FILE names, as
//! the official images' `file_env` does, for Docker and Kubernetes secrets.
//! The invariant: a value read here is never logged, not even at trace;
//! messages name the variable and the file, never what is in it. A secret
//! file must be a regular file, checked without blocking (a FIFO is refused,
//! not waited on).

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use super::stop::Watch;
use crate::environ::Environ;
use crate::error::{Error, describe};
use crate::logger::{info, warn};

/// The kernel refuses one environment string, `NAME=value` and its NUL,
/// longer than this (MAX_ARG_STRLEN, execve(2)): E2BIG, after the fork.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// For each NAME: if NAME_FILE is set, NAME gets the file's contents (less
/// trailing newlines) and NAME_FILE goes. NAME and NAME_FILE both set is an
/// error, as in the official images; an empty one counts as unset. Returns
/// the names loaded, whose values later steps must not show.
///
/// `option` is what asked for it, `--file-env` or `TEND_FILE_ENV`, for the
/// errors. A stop signal before a file is read ends the loading (`watch`).
pub fn load(
    names: &[String],
    env: &mut Environ,
    option: &str,
    watch: &mut Watch,
) -> Result<Vec<String>, Error> {
    let mut loaded = Vec::new();
    for name in names {
        let file_var = format!("{name}_FILE");
        let Some(path) = env.get(&file_var).filter(|p| !p.is_empty()) else {
            let name_set = env.get(name).is_some_and(|v| !v.is_empty());
            match not_loaded(name, name_set, option) {
                (true, why) => warn!(variable = file_var.as_str(); "{why}"),
                (false, why) => info!(variable = file_var.as_str(); "{why}"),
            }
            continue;
        };
        let path = path.to_os_string();
        let fail = |why: String| {
            Error::Entry(format!(
                "{option} {name}: {file_var}={}: {why}",
                Path::new(&path).display()
            ))
        };
        watch.check(&format!("while reading secrets ({option})"))?;
        if env.get(name).is_some_and(|v| !v.is_empty()) {
            return Err(fail(format!(
                "{name} is set too; set one of {name} and {file_var}, not both"
            )));
        }
        let bytes = read(Path::new(&path), name).map_err(|e| fail(describe(&e)))?;
        let value = value_of(name, bytes).map_err(|why| fail(why.to_string()))?;
        env.set(name.as_str(), value);
        env.remove(&file_var);
        loaded.push(name.clone());
    }
    Ok(loaded)
}

/// What the log says when NAME_FILE is not set, and whether it is a
/// warning. Pure. A NAME that ends in `_FILE` is one: `--file-env
/// DB_PASSWORD_FILE` looks for DB_PASSWORD_FILE_FILE, and the secret that
/// DB_PASSWORD_FILE names is never read. Otherwise it is news (info), as
/// a start without the secret is normal where NAME is set directly.
fn not_loaded(name: &str, name_set: bool, option: &str) -> (bool, String) {
    if let Some(stem) = name.strip_suffix("_FILE").filter(|s| !s.is_empty()) {
        return (
            true,
            format!(
                "{option} {name}: {name}_FILE is not set, so nothing is loaded: \
                 {option} names the variable to fill, so write {option} {stem} \
                 to load {stem} from the file that {name} names"
            ),
        );
    }
    let left = match name_set {
        true => "keeps its own value",
        false => "stays unset",
    };
    (
        false,
        format!("{option} {name}: {name}_FILE is not set, so {name} {left}"),
    )
}

/// The file's bytes, refused before they are read if they cannot fit one
/// environment string. The file must be a regular file once symlinks are
/// followed (Kubernetes mounts each secret as a symlink).
fn read(path: &Path, name: &str) -> io::Result<Vec<u8>> {
    let room = room_for(name);
    // A file that grew since the stat still fails, in `value_of`.
    super::read_regular(path, room, &|len| too_big(len, room)).map(|(bytes, _)| bytes)
}

/// The most bytes a value of `name` can have in one environment string.
fn room_for(name: &str) -> usize {
    MAX_ARG_STRLEN.saturating_sub(name.len() + 2)
}

fn too_big(len: u64, room: usize) -> String {
    format!(
        "{len} bytes is more than one environment variable can hold ({room} bytes: the kernel's MAX_ARG_STRLEN is 128 KiB); mount it as a file for the app to read instead"
    )
}

/// What the variable gets: the contents without trailing newlines, as `$(cat file)`. Pure.
fn value_of(name: &str, mut bytes: Vec<u8>) -> Result<OsString, String> {
    while bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    if bytes.contains(&0) {
        return Err("it holds a NUL byte, which no environment variable can".into());
    }
    let room = room_for(name);
    if bytes.len() > room {
        return Err(too_big(bytes.len() as u64, room));
    }
    Ok(OsString::from_vec(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_ending_in_file_warns_and_names_the_stem() {
        let (warns, why) = not_loaded("DB_PASSWORD_FILE", true, "--file-env");
        assert!(warns);
        assert_eq!(
            why,
            "--file-env DB_PASSWORD_FILE: DB_PASSWORD_FILE_FILE is not set, so nothing is \
             loaded: --file-env names the variable to fill, so write --file-env DB_PASSWORD \
             to load DB_PASSWORD from the file that DB_PASSWORD_FILE names"
        );
        let said = |name, set| not_loaded(name, set, "TEND_FILE_ENV");
        assert_eq!(
            said("DB_PASSWORD", true),
            (false, "TEND_FILE_ENV DB_PASSWORD: DB_PASSWORD_FILE is not set, so DB_PASSWORD keeps its own value".into())
        );
        assert_eq!(
            said("DB_PASSWORD", false),
            (false, "TEND_FILE_ENV DB_PASSWORD: DB_PASSWORD_FILE is not set, so DB_PASSWORD stays unset".into())
        );
        // `_FILE` alone is a name like any other.
        assert!(!said("_FILE", false).0);
    }

    #[test]
    fn values_lose_trailing_newlines_only_and_must_fit() {
        let value = |bytes: &[u8]| value_of("DB_PASSWORD", bytes.to_vec());
        assert_eq!(value(b"s3cret\n\n"), Ok(OsString::from("s3cret")));
        assert_eq!(
            value(b" two\nlines \r\n"),
            Ok(OsString::from(" two\nlines \r"))
        );
        assert_eq!(value(b""), Ok(OsString::new()));
        assert!(value(b"a\0b").is_err_and(|e| e.contains("NUL")));
        let room = room_for("DB_PASSWORD");
        assert!(value(&vec![b'x'; room]).is_ok());
        let over = value(&vec![b'x'; room + 1]).err().unwrap_or_default();
        assert!(
            over.contains("MAX_ARG_STRLEN") && !over.contains("xxx"),
            "{over}"
        );
        // "NAME=" + value + NUL is exactly the kernel's limit.
        assert_eq!("DB_PASSWORD".len() + 1 + room + 1, MAX_ARG_STRLEN);
    }
}
