//! `--chown PATH`: give a tree to the user the app will run as, while tend
//! is still root, as `find PATH \! -user app -exec chown app {} +` does in
//! the official images. The invariants: a symbolic link is changed itself
//! and never followed, at the top or below, so nothing outside PATH is
//! touched, even if the tree changes under tend (each directory is opened
//! with O_NOFOLLOW relative to its parent's descriptor, never by name from
//! the root); and an entry already owned right is left alone, so a
//! read-only volume that is right already works.

use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstatat};
use nix::unistd::{Gid, Uid, fchownat};

use crate::error::Error;

/// What one tree took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub entries: u64,
    pub changed: u64,
}

/// Give `root` and everything under it to `uid`:`gid`. `option` (`--chown`
/// or `TEND_CHOWN`) begins the errors.
pub fn chown_tree(root: &Path, uid: u32, gid: u32, option: &str) -> Result<Counts, Error> {
    let mut counts = Counts::default();
    let owner = (Uid::from_raw(uid), Gid::from_raw(gid));
    let fail = |path: &Path, doing: &str, e: Errno| {
        Error::Entry(format!(
            "{option} {}: {doing} {}: {}",
            root.display(),
            path.display(),
            e.desc()
        ))
    };
    // The top: resolved by its name, as given (a link at the top is the link itself).
    let parent = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = root.file_name().map_or(OsStr::new("."), |n| n);
    let dir = nix::fcntl::open(
        parent,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| fail(parent, "opening", e))?;
    visit(&dir, name, root.to_path_buf(), owner, &mut counts)
        .map_err(|(path, doing, e)| fail(&path, doing, e))?;
    Ok(counts)
}

type Failure = (PathBuf, &'static str, Errno);

/// `name` in the directory `dir`: change it if it needs it, and if it is a
/// directory (not a link to one), everything in it.
fn visit(
    dir: &OwnedFd,
    name: &OsStr,
    path: PathBuf,
    owner: (Uid, Gid),
    counts: &mut Counts,
) -> Result<(), Failure> {
    let c_name =
        CString::new(name.as_bytes()).map_err(|_| (path.clone(), "naming", Errno::EINVAL))?;
    let stat = fstatat(dir.as_fd(), c_name.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
        .map_err(|e| (path.clone(), "reading", e))?;
    counts.entries += 1;
    if needs_change(&stat, owner) {
        fchownat(
            dir.as_fd(),
            c_name.as_c_str(),
            Some(owner.0),
            Some(owner.1),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| (path.clone(), "changing the owner of", e))?;
        counts.changed += 1;
    }
    if SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits()) != SFlag::S_IFDIR {
        return Ok(());
    }
    // O_NOFOLLOW: a directory swapped for a link since the fstatat is refused, not followed.
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let inner = openat(dir.as_fd(), c_name.as_c_str(), flags, Mode::empty())
        .map_err(|e| (path.clone(), "opening", e))?;
    let names = entries(&inner).map_err(|e| (path.clone(), "listing", e))?;
    for entry in names {
        let child = OsStr::from_bytes(entry.to_bytes());
        visit(&inner, child, path.join(child), owner, counts)?;
    }
    Ok(())
}

fn needs_change(stat: &FileStat, (uid, gid): (Uid, Gid)) -> bool {
    stat.st_uid != uid.as_raw() || stat.st_gid != gid.as_raw()
}

/// The names in a directory, without `.` and `..`, read before any is visited.
fn entries(dir: &OwnedFd) -> Result<Vec<CString>, Errno> {
    let copy = dir
        .try_clone()
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)))?;
    let mut listing = Dir::from_fd(copy)?;
    let mut names = Vec::new();
    for entry in listing.iter() {
        let entry = entry?;
        let name: &CStr = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}
