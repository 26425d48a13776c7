//! `--chown PATH`: give a tree to the user the app will run as, while tend
//! is still root, as `find PATH -xdev \! -user app -exec chown app {} +`
//! does in the official images. The invariants:
//!
//! - PATH is reached through `path`, so no link the app's user could have
//!   planted above it is followed; a link at PATH itself is changed, not
//!   followed, and so is every link below it;
//! - below PATH, each directory is opened with O_NOFOLLOW relative to its
//!   parent's descriptor, and each change is made through a descriptor of
//!   the very file that was checked, so nothing outside PATH is touched even
//!   if the tree changes under tend;
//! - mount points below PATH (another filesystem, or a bind mount of the
//!   same one: a host path in a volume) are neither entered nor changed, and
//!   a regular file with more than one link is left alone unless it is owned
//!   right already (its other names may be outside PATH: issue 18);
//! - the walk is a loop over an explicit stack of directory descriptors, so
//!   no depth overflows tend's stack; it holds one descriptor per level, and
//!   a tree deeper than the descriptors allow ends with 125 and one line;
//! - an entry already owned right is left alone, so a read-only volume that
//!   is right already works.
//!
//! `--dry-run` only `reach`es PATH, as the walk does, and changes nothing.

use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::{Gid, Uid, fchownat};

use super::path;
use super::stop::Watch;
use crate::error::Error;
use crate::logger::{info, warn};
use crate::sys::{self, Stat};

/// What one tree took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Entries looked at, PATH included.
    pub entries: u64,
    pub changed: u64,
    /// Regular files with more than one link, not owned right: left alone.
    pub hard_links: u64,
    /// The first of them, for the warning.
    pub first_hard_link: Option<PathBuf>,
    /// Mount points below PATH: neither entered nor changed.
    pub mounts: u64,
}

/// Give `root` and everything under it to `uid`:`gid`. `option` (`--chown`
/// or `TEND_CHOWN`) begins the errors; `watch` ends the walk on a stop signal.
pub fn chown_tree(
    root: &Path,
    uid: u32,
    gid: u32,
    option: &str,
    watch: &mut Watch,
) -> Result<Counts, Error> {
    let fail = failure(option, root);
    let during = format!("while changing owners ({option} {})", root.display());
    watch.check(&during)?;
    let top = path::top(root).map_err(|e| fail(e.to_string()))?;
    let mut walk = Walk {
        owner: (Uid::from_raw(uid), Gid::from_raw(gid)),
        dev: None,
        counts: Counts::default(),
    };
    let (dir, name) = top.entry();
    let first = walk.visit(dir, name);
    let mut stack: Vec<Frame> = Vec::new();
    let first =
        first.map_err(|(doing, e)| fail(format!("{doing} {}: {}", root.display(), e.desc())));
    match first? {
        Visited::Enter(frame) => stack.push(frame),
        Visited::Done | Visited::HardLink | Visited::Mount => {}
    }
    if walk.counts.hard_links > 0 {
        walk.counts.first_hard_link = Some(root.to_path_buf());
    }
    drop(top);
    // The names from PATH down to the entry being visited.
    let mut trail: Vec<CString> = Vec::new();
    while let Some(frame) = stack.last_mut() {
        let Some(name) = frame.names.pop() else {
            stack.pop();
            continue;
        };
        watch.tick(&during)?;
        let level = frame.level + 1;
        trail.truncate(frame.level);
        trail.push(name);
        let name = trail.last().map_or(c"", CString::as_c_str);
        let here = || below(root, &trail);
        match walk.visit(frame.dir.as_fd(), name) {
            Ok(Visited::Enter(mut child)) => {
                child.level = level;
                stack.push(child);
            }
            Ok(Visited::Done) => {}
            Ok(Visited::HardLink) => {
                if walk.counts.first_hard_link.is_none() {
                    walk.counts.first_hard_link = Some(here());
                }
            }
            Ok(Visited::Mount) => {
                info!(path = here().display(); "{option}: a mount point below PATH: neither entered nor changed");
            }
            Err((doing, e)) => {
                let hint = match e {
                    Errno::EMFILE | Errno::ENFILE => {
                        "; tend holds a descriptor for each level it goes down: raise the limit (ulimit -n, docker run --ulimit nofile=…)"
                    }
                    _ => "",
                };
                let levels = match level {
                    1 => "1 level".to_string(),
                    n => format!("{n} levels"),
                };
                return Err(fail(format!(
                    "{doing} {} ({levels} down): {}{hint}",
                    shorten(&here()),
                    e.desc()
                )));
            }
        }
    }
    if let Some(first) = &walk.counts.first_hard_link {
        warn!(path = root.display(), skipped = walk.counts.hard_links, first = first.display(); "{option}: regular files with more than one link left alone, as their other names may be outside PATH");
    }
    Ok(walk.counts)
}

/// PATH as `chown_tree` reaches it, and as it is now, changing nothing: what
/// `--dry-run` reports, with the errors `chown_tree` would give on the way.
pub fn reach(root: &Path, option: &str) -> Result<Stat, Error> {
    let fail = failure(option, root);
    let top = path::top(root).map_err(|e| fail(e.to_string()))?;
    let (dir, name) = top.entry();
    sys::statx(dir, name, libc::AT_SYMLINK_NOFOLLOW)
        .map_err(|e| fail(format!("reading {}: {}", root.display(), e.desc())))
}

/// The error for PATH: `--chown PATH: why`.
fn failure<'a>(option: &'a str, root: &'a Path) -> impl Fn(String) -> Error + 'a {
    move |why| Error::Entry(format!("{option} {}: {why}", root.display()))
}

/// A directory being gone through: its descriptor, the names in it still to
/// visit, and how many levels below PATH it is.
struct Frame {
    dir: OwnedFd,
    names: Vec<CString>,
    level: usize,
}

enum Visited {
    Done,
    /// A directory to go through next.
    Enter(Frame),
    HardLink,
    Mount,
}

struct Walk {
    owner: (Uid, Gid),
    /// PATH's filesystem; None until PATH is visited.
    dev: Option<(u32, u32)>,
    counts: Counts,
}

impl Walk {
    /// `name` in the directory `dir`: change it if it needs it, and if it
    /// is a directory (not a link to one), list it to be gone through.
    fn visit(&mut self, dir: BorrowedFd, name: &CStr) -> Result<Visited, (&'static str, Errno)> {
        let seen = sys::statx(dir, name, libc::AT_SYMLINK_NOFOLLOW).map_err(|e| ("reading", e))?;
        self.counts.entries += 1;
        // PATH itself is often a mount (a volume): only what is below it is checked.
        let below = self.dev.is_some();
        if below && self.is_mount(&seen) {
            self.counts.mounts += 1;
            return Ok(Visited::Mount);
        }
        let is_dir = path::kind(seen.mode) == SFlag::S_IFDIR;
        if !is_dir && !self.needs_change(&seen) {
            return Ok(Visited::Done);
        }
        // From here on, the file itself: what is changed and entered is what is checked.
        let flags = match is_dir {
            true => OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            false => OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        };
        let file = openat(dir, name, flags, Mode::empty()).map_err(|e| ("opening", e))?;
        let stat =
            sys::statx(file.as_fd(), c"", libc::AT_EMPTY_PATH).map_err(|e| ("reading", e))?;
        if !below {
            self.dev = Some(stat.dev);
        } else if self.is_mount(&stat) {
            self.counts.mounts += 1;
            return Ok(Visited::Mount);
        }
        if self.needs_change(&stat) {
            if path::kind(stat.mode) == SFlag::S_IFREG && stat.nlink > 1 {
                self.counts.hard_links += 1;
                return Ok(Visited::HardLink);
            }
            let (uid, gid) = self.owner;
            fchownat(&file, c"", Some(uid), Some(gid), AtFlags::AT_EMPTY_PATH)
                .map_err(|e| ("changing the owner of", e))?;
            self.counts.changed += 1;
        }
        if !is_dir {
            return Ok(Visited::Done);
        }
        let names = entries(&file).map_err(|e| ("listing", e))?;
        Ok(Visited::Enter(Frame {
            dir: file,
            names,
            level: 0,
        }))
    }

    /// Below PATH, on another filesystem or at the root of a mount (a bind
    /// mount of PATH's own filesystem has its device, but not its mount).
    fn is_mount(&self, stat: &Stat) -> bool {
        match self.dev {
            None => false,
            Some(dev) => stat.dev != dev || stat.mount_root == Some(true),
        }
    }

    fn needs_change(&self, stat: &Stat) -> bool {
        let (uid, gid) = self.owner;
        stat.uid != uid.as_raw() || stat.gid != gid.as_raw()
    }
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

/// `root` joined with the names of `trail`, for a message.
fn below(root: &Path, trail: &[CString]) -> PathBuf {
    let mut path = root.to_path_buf();
    for name in trail {
        path.push(OsStr::from_bytes(name.to_bytes()));
    }
    path
}

/// A path for one line of log: its start and its end when it is long (a
/// walk 19,500 levels down has a path of 39,000 bytes).
fn shorten(path: &Path) -> String {
    const KEEP: usize = 80;
    let text = path.display().to_string();
    if text.len() <= 2 * KEEP + 1 {
        return text;
    }
    let head = text.char_indices().nth(KEEP).map_or(KEEP, |(i, _)| i);
    let tail_chars = text.chars().count().saturating_sub(KEEP);
    let tail = text.char_indices().nth(tail_chars).map_or(0, |(i, _)| i);
    format!("{}…{}", &text[..head], &text[tail..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_keep_their_start_and_end() {
        assert_eq!(shorten(Path::new("/data/a/b")), "/data/a/b");
        let deep = format!("/data{}", "/d".repeat(19_500));
        let short = shorten(Path::new(&deep));
        assert_eq!(short.chars().count(), 161);
        assert!(
            short.starts_with("/data/d/d") && short.ends_with("/d/d"),
            "{short}"
        );
        let wide = format!("/{}", "é".repeat(200));
        assert_eq!(shorten(Path::new(&wide)).chars().count(), 161);
        let trail = [c"a".to_owned(), c"b".to_owned()];
        assert_eq!(below(Path::new("/x"), &trail), PathBuf::from("/x/a/b"));
    }

    #[test]
    fn mounts_are_another_device_or_a_mount_root() {
        let stat = |dev: (u32, u32), mount_root: Option<bool>| Stat {
            mode: libc::S_IFDIR | 0o755,
            uid: 0,
            gid: 0,
            nlink: 2,
            dev,
            ino: 1,
            mount_root,
        };
        let mut walk = Walk {
            owner: (Uid::from_raw(1), Gid::from_raw(1)),
            dev: None,
            counts: Counts::default(),
        };
        assert!(
            !walk.is_mount(&stat((8, 1), Some(true))),
            "PATH itself may be a mount"
        );
        walk.dev = Some((8, 1));
        let cases = [
            ((8, 1), Some(false), false),
            ((8, 1), None, false),
            ((8, 1), Some(true), true),
            ((0, 42), Some(false), true),
            ((0, 42), None, true),
        ];
        for (dev, root, want) in cases {
            assert_eq!(walk.is_mount(&stat(dev, root)), want, "{dev:?} {root:?}");
        }
    }
}
