//! `--render TEMPLATE:OUTPUT`: the expansion over a file, as the nginx
//! image's 20-envsubst-on-templates.sh does. Only the braced forms are
//! expanded (`${NAME}`, `${NAME:-word}`, …): configs are full of `$host`,
//! `$1` and `$$`.
//!
//! A render is two halves: `resolve` reads and expands, writing nothing,
//! and `write` writes; `--dry-run` runs `resolve`, then `plan`, which finds
//! what `write` would make and the errors it would meet, making nothing.
//!
//! The invariants: OUTPUT appears whole or not at all, never more than
//! `OUTPUT_LIMIT` bytes: a temporary file with an unpredictable name,
//! created exclusively in OUTPUT's directory, then renamed over it, both
//! relative to that directory's descriptor, reached (and its missing
//! directories made) through `path`, so no link the app's user planted is
//! followed; whatever fails or stops after the temporary file is made
//! removes it. OUTPUT has the template's permission bits less the umask,
//! and less the bits for others when it used a `--file-env` secret; it and
//! the directories made belong to the user the app runs as.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, openat, renameat};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::{UnlinkatFlags, unlinkat};

use super::path::{self, Create};
use super::stop::Watch;
use crate::environ::Environ;
use crate::error::{Error, describe};
use crate::logger::info;

/// The most a rendered file may hold: a config, with room to spare. A
/// template that multiplies a large value must fail, not exhaust memory.
pub const OUTPUT_LIMIT: usize = 4 << 20;
/// A bigger template could only render into a bigger file.
pub const TEMPLATE_LIMIT: u64 = OUTPUT_LIMIT as u64;
/// Names tried for the temporary file before giving up: a collision with
/// 64 random bits is a planted file or a broken random source, not chance.
const ATTEMPTS: usize = 8;

/// What a template renders to, before anything is written.
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// The template's permission bits, less those for others when it used
    /// a secret; the kernel applies the umask when the file is made.
    pub mode: u32,
    /// The names of `secrets` it used, in the order first used.
    pub secrets: Vec<String>,
    /// It used one, and the template let others read it: the output will not.
    pub hidden: bool,
}

/// The error for `template`:`output`: `--render T:O: why`.
fn failure<'a>(
    option: &'a str,
    template: &'a Path,
    output: &'a Path,
) -> impl Fn(String) -> Error + 'a {
    move |why| {
        Error::Entry(format!(
            "{option} {}:{}: {why}",
            template.display(),
            output.display()
        ))
    }
}

/// Render `template` with `env`, writing nothing; `secrets` are the names
/// `--file-env` loaded. `option` (`--render` or `TEND_RENDER`) begins the
/// errors. The first half of a render, which `--dry-run` runs alone.
pub fn resolve(
    template: &Path,
    output: &Path,
    env: &Environ,
    secrets: &[String],
    option: &str,
) -> Result<Rendered, Error> {
    let fail = failure(option, template, output);
    let (text, mode) =
        read(template).map_err(|e| fail(format!("reading the template: {}", describe(&e))))?;
    let used = RefCell::new(Vec::new());
    let lookup = super::recording(env, secrets, &used);
    let bytes =
        super::expand::template(&text, &lookup, OUTPUT_LIMIT).map_err(|e| fail(e.to_string()))?;
    drop(lookup);
    let secrets = used.into_inner();
    // A secret's value in a file others may read is a leak: issue 18.
    let hidden = !secrets.is_empty() && mode & 0o007 != 0;
    let mode = match secrets.is_empty() {
        true => mode,
        false => mode & !0o007,
    };
    Ok(Rendered {
        bytes,
        mode,
        secrets,
        hidden,
    })
}

/// Write what `resolve` gave into `output`; `owner` is (uid, gid) for the
/// output and the directories made for it, when tend is about to drop to
/// that user. The second half of a render.
pub fn write(
    rendered: &Rendered,
    template: &Path,
    output: &Path,
    owner: Option<(u32, u32)>,
    option: &str,
    watch: &mut Watch,
) -> Result<(), Error> {
    let fail = failure(option, template, output);
    let Rendered {
        bytes,
        mode,
        secrets,
        hidden,
    } = rendered;
    let create = Create {
        owner,
        dry_run: false,
    };
    let (reached, name) = path::parent(output, Some(create))
        .map_err(|e| fail(format!("reaching the output's directory: {e}")))?;
    for dir in &reached.created {
        info!(path = dir.display(), uid = owner.map(|o| o.0), gid = owner.map(|o| o.1); "created a directory for {option}");
    }
    let during = format!("while rendering {}", output.display());
    write_atomically(&reached.dir, &name, bytes, *mode, owner, watch, &during).map_err(
        |e| match e {
            Failure::Io(e) => fail(format!("writing the output: {}", describe(&e))),
            Failure::Stopped(e) => e,
        },
    )?;
    if *hidden {
        info!(template = template.display(), output = output.display(), variables = crate::text::join(secrets, ","), mode = format!("{mode:04o}"); "the output holds a secret loaded by --file-env: others may not read it");
    }
    Ok(())
}

/// The directories `write` would make for `output`, found without making
/// them, and the errors it would meet on the way or at the output, as it
/// words them: what `--dry-run` reports. A directory that cannot be
/// written (a read-only file system) is found with access(2), not by trying.
pub fn plan(template: &Path, output: &Path, option: &str) -> Result<Vec<PathBuf>, Error> {
    let fail = failure(option, template, output);
    let (reached, name) = path::parent(output, Some(Create::NOTHING))
        .map_err(|e| fail(format!("reaching the output's directory: {e}")))?;
    if reached.created.is_empty() {
        let writable = path::writable(&reached.dir);
        let existing = crate::sys::statx(reached.dir.as_fd(), &name, libc::AT_SYMLINK_NOFOLLOW);
        let is_dir = existing.is_ok_and(|s| path::kind(s.mode) == SFlag::S_IFDIR);
        let why = match (writable, is_dir) {
            (Err(e), _) => Some(e),
            (Ok(()), true) => Some(Errno::EISDIR),
            (Ok(()), false) => None,
        };
        if let Some(e) = why {
            let e = io::Error::from(e);
            return Err(fail(format!("writing the output: {}", describe(&e))));
        }
    }
    Ok(reached.created)
}

/// The template's bytes and permission bits. Never blocks: a FIFO or any
/// other file that is not regular is refused before it is read.
fn read(template: &Path) -> io::Result<(Vec<u8>, u32)> {
    let too_big = |_| {
        format!(
            "larger than {}, the most tend renders into one file",
            super::expand::show_size(OUTPUT_LIMIT)
        )
    };
    let (text, meta) = super::read_regular(template, TEMPLATE_LIMIT as usize, &too_big)?;
    // Grown since the fstat: refused as a whole, never rendered cut short.
    if text.len() as u64 > TEMPLATE_LIMIT {
        return Err(crate::error::other(too_big(text.len() as u64)));
    }
    Ok((text, meta.permissions().mode() & 0o777))
}

enum Failure {
    Io(io::Error),
    Stopped(Error),
}

impl From<Errno> for Failure {
    fn from(e: Errno) -> Failure {
        Failure::Io(io::Error::from(e))
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// A temporary file in `dir`, filled, owned and synced, then renamed over
/// `name`; removed if anything fails or a stop signal comes before the
/// rename. The kernel applies the umask to `mode`, as for any new file.
fn write_atomically(
    dir: &OwnedFd,
    name: &CStr,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
    watch: &mut Watch,
    during: &str,
) -> Result<(), Failure> {
    let (temporary, file) = create_temporary(dir, name, mode)?;
    let mut file = File::from(file);
    let written = (|| -> Result<(), Failure> {
        file.write_all(bytes)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
        }
        file.sync_all()?;
        watch.check(during).map_err(Failure::Stopped)?;
        Ok(renameat(dir, temporary.as_c_str(), dir, name)?)
    })();
    if written.is_err() {
        // Only our own temporary file: created exclusively, by this name, in this directory.
        let _ = unlinkat(dir, temporary.as_c_str(), UnlinkatFlags::NoRemoveDir);
    }
    written
}

/// `.NAME.tend-` and 16 random hex digits, created with O_EXCL and
/// O_NOFOLLOW in `dir`: a file planted or left behind by any name is never
/// opened, only stepped around.
fn create_temporary(dir: &OwnedFd, name: &CStr, mode: u32) -> Result<(CString, OwnedFd), Failure> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    for _ in 0..ATTEMPTS {
        let temporary = temporary_name(name.to_bytes(), random()?);
        let temporary = CString::new(temporary).map_err(|_| Errno::EINVAL)?;
        let mode = Mode::from_bits_truncate(mode);
        match openat(dir, temporary.as_c_str(), flags, mode) {
            Ok(file) => return Ok((temporary, file)),
            Err(Errno::EEXIST) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Io(crate::error::other(format!(
        "{ATTEMPTS} temporary names in a row were taken"
    ))))
}

/// 64 bits from getrandom(2), or /dev/urandom on a kernel without it.
fn random() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    if crate::sys::random(&mut bytes).is_err() {
        super::open(Path::new("/dev/urandom"), OFlag::empty())?.read_exact(&mut bytes)?;
    }
    Ok(u64::from_ne_bytes(bytes))
}

/// The temporary file's name for the output `name`: `.NAME.tend-` and
/// `random` in hex, NAME cut so that the whole stays within the 255 bytes a
/// name may have. Pure.
fn temporary_name(name: &[u8], random: u64) -> Vec<u8> {
    let suffix = format!(".tend-{random:016x}");
    let room = 255 - 1 - suffix.len();
    let mut temporary = Vec::with_capacity(255);
    temporary.push(b'.');
    temporary.extend_from_slice(&name[..name.len().min(room)]);
    temporary.extend_from_slice(suffix.as_bytes());
    temporary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(bytes: Vec<u8>) -> String {
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn the_temporary_name_is_hidden_random_and_fits() {
        assert_eq!(
            shown(temporary_name(b"default.conf", 0x0123_4567_89ab_cdef)),
            ".default.conf.tend-0123456789abcdef"
        );
        assert_eq!(shown(temporary_name(b"x", 1)), ".x.tend-0000000000000001");
        let long = vec![b'n'; 255];
        let cut = temporary_name(&long, u64::MAX);
        assert_eq!(cut.len(), 255);
        assert!(shown(cut).ends_with("n.tend-ffffffffffffffff"));
        let a = random().ok();
        let b = random().ok();
        assert!(a.is_some() && a != b, "two draws: {a:?} {b:?}");
    }
}
