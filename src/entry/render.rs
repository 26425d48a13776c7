//! `--render TEMPLATE:OUTPUT`: the expansion over a file, as the nginx
//! image's 20-envsubst-on-templates.sh does. Only the braced forms are
//! expanded (`${NAME}`, `${NAME:-word}`, …): configs are full of `$host`,
//! `$1` and `$$`. The invariant: OUTPUT appears whole or not at all (a
//! temporary file in its directory, then rename(2)), with the template's
//! permission bits less the umask, and owned by the user the app runs as.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::environ::Environ;
use crate::error::{Error, describe};

/// Templates are configuration files; a bigger one is a mistake, not a config.
pub const TEMPLATE_LIMIT: u64 = 16 * 1024 * 1024;

/// Render `template` into `output` with `env`; `owner` is (uid, gid) for
/// the output, when tend is about to drop to that user.
pub fn render(
    template: &Path,
    output: &Path,
    env: &Environ,
    owner: Option<(u32, u32)>,
    option: &str,
) -> Result<(), Error> {
    let fail = |why: String| {
        Error::Entry(format!(
            "{option} {}:{}: {why}",
            template.display(),
            output.display()
        ))
    };
    let (text, mode) =
        read(template).map_err(|e| fail(format!("reading the template: {}", describe(&e))))?;
    let rendered =
        super::expand::template(&text, &super::lookup(env)).map_err(|e| fail(e.to_string()))?;
    write_atomically(output, &rendered, mode, owner)
        .map_err(|e| fail(format!("writing the output: {}", describe(&e))))
}

/// The template's bytes and permission bits.
fn read(template: &Path) -> io::Result<(Vec<u8>, u32)> {
    let file = File::open(template)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if meta.len() > TEMPLATE_LIMIT {
        return Err(io::Error::other(format!(
            "larger than {} MiB",
            TEMPLATE_LIMIT >> 20
        )));
    }
    let mut text = Vec::new();
    file.take(TEMPLATE_LIMIT).read_to_end(&mut text)?;
    Ok((text, meta.permissions().mode() & 0o777))
}

/// A temporary file beside `output`, filled, synced and owned, then renamed
/// over it. The kernel applies the umask to `mode`, as for any new file.
fn write_atomically(
    output: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    let temporary = temporary_beside(output)?;
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
            }
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, output));
    if result.is_err() {
        // Only our own temporary file, if it was made at all.
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// `DIR/.NAME.tend-PID`, in the output's own directory so that rename(2)
/// stays on one filesystem (a tmpfs under a read-only root, say).
fn temporary_beside(output: &Path) -> io::Result<PathBuf> {
    let name = output
        .file_name()
        .ok_or_else(|| io::Error::other("the output has no file name"))?;
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        let what = match dir.exists() {
            true => "is not a directory",
            false => "does not exist",
        };
        return Err(io::Error::other(format!("{} {what}", dir.display())));
    }
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".tend-{}", std::process::id()));
    Ok(dir.join(temporary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_sits_beside_the_output() {
        let t = temporary_beside(Path::new("/tmp/x.conf")).ok();
        assert_eq!(
            t,
            Some(PathBuf::from(format!(
                "/tmp/.x.conf.tend-{}",
                std::process::id()
            )))
        );
        assert!(temporary_beside(Path::new("/")).is_err());
        assert!(temporary_beside(Path::new("/nonexistent-dir/x")).is_err());
    }
}
