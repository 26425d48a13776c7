//! Reaching a path as root on a tree that the app's user may control:
//! `--chown`'s PATH and `--render`'s OUTPUT directory. Each component is
//! opened with O_NOFOLLOW relative to the descriptor of the directory before
//! it, from `/` or the working directory, never by its name from the root.
//!
//! The invariant: a symbolic link on the way is followed only when root owns
//! it and the directory that holds it (`/var/run -> /run` in images), since
//! only root could have put it there; any other ends the walk with an error
//! that names it (issue 18: a link planted between two starts must not hand
//! a root directory to the app). A tend that is not root may also follow
//! its own user's links: it can do nothing through them that its user
//! cannot. Its target is walked by the same rule, at
//! most `MAX_LINKS` links in all, as the kernel's own limit (ELOOP,
//! path_resolution(7)). `..` is the parent of the directory reached so far,
//! and `/`, `.` and a trailing `/` mean what they mean to the kernel.
//! For `--dry-run`, a walk that would make directories makes none and lists
//! them instead (`Create::dry_run`).

use std::ffi::{CStr, CString, OsStr};
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat, readlinkat};
use nix::sys::stat::{Mode, SFlag, mkdirat};
use nix::unistd::{AccessFlags, Gid, Uid, fchownat};

use crate::iter::IntoVec;
use crate::sys;

/// The most symbolic links one walk follows (the kernel's MAXSYMLINKS).
pub const MAX_LINKS: usize = 40;

/// One directory to go through on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Name(Vec<u8>),
    /// `..`: the parent of the directory reached so far.
    Parent,
}

/// A path as the walk takes it. Empty components and `.` are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// From `/`, or else from the working directory.
    pub absolute: bool,
    /// The directories to go through, in order.
    pub dirs: Vec<Step>,
    /// The final name, when the path ends in one; the walk does not resolve
    /// it. None when the path ends in `/`, `.` or `..` (or is `/`): it then
    /// names a directory, which `dirs` reach.
    pub last: Option<Vec<u8>>,
}

/// Split `path` into the walk's steps. Pure.
pub fn plan(path: &[u8]) -> Plan {
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').into_vec();
    let mut dirs: Vec<Step> = parts
        .iter()
        .filter_map(|part| match *part {
            b"" | b"." => None,
            b".." => Some(Step::Parent),
            name => Some(Step::Name(name.to_vec())),
        })
        .into_vec();
    let ends_in_a_name = parts
        .last()
        .is_some_and(|part| !matches!(*part, b"" | b"." | b".."));
    let last = match dirs.pop() {
        Some(Step::Name(name)) if ends_in_a_name => Some(name),
        Some(other) => {
            dirs.push(other);
            None
        }
        None => None,
    };
    Plan {
        absolute: path.first() == Some(&b'/'),
        dirs,
        last,
    }
}

/// Why a walk stopped. `at` is the path as given, up to the component
/// that failed (a link's target is not shown: the link is named instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A system call failed on `at`.
    Failed {
        at: PathBuf,
        doing: &'static str,
        errno: Errno,
    },
    /// `at` is a symbolic link that the app's user could have planted: not
    /// owned by root (`owner`), or in a directory not owned by root (`dir_owner`).
    Planted {
        at: PathBuf,
        owner: u32,
        dir_owner: u32,
    },
    /// More than `MAX_LINKS` links on the way to `at`.
    TooManyLinks { at: PathBuf },
    /// `at` is on the way but is neither a directory nor a link.
    NotADirectory { at: PathBuf },
    /// A file was asked for, and the path ends in `/`, `.` or `..`.
    NoName,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Failed { at, doing, errno } => {
                write!(f, "{doing} {}: {}", at.display(), errno.desc())
            }
            Refused::Planted {
                at,
                owner,
                dir_owner,
            } => write!(
                f,
                "{} is a symbolic link owned by uid {owner} in a directory owned by uid {dir_owner}: \
                 not followed, as the app's user could have put it there \
                 (tend follows a link on the way only when root owns it and its directory)",
                at.display()
            ),
            Refused::TooManyLinks { at } => write!(
                f,
                "{}: more than {MAX_LINKS} symbolic links on the way",
                at.display()
            ),
            Refused::NotADirectory { at } => write!(f, "{} is not a directory", at.display()),
            Refused::NoName => f.write_str("it names a directory, not a file"),
        }
    }
}

/// Make missing directories on the way, as `mkdir -p` does: mode 0755 less
/// the umask, and owned by `owner` (uid, gid) when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Create {
    pub owner: Option<(u32, u32)>,
    /// Make none: go as far as the path exists, and list what would be
    /// made, failing only where making them would (`--dry-run`).
    pub dry_run: bool,
}

impl Create {
    /// What `--dry-run` asks for.
    pub const NOTHING: Create = Create {
        owner: None,
        dry_run: true,
    };
}

/// A directory reached (an O_PATH descriptor: for the *at calls, not for
/// reading), and the directories made on the way, as paths for the log.
/// With `Create::dry_run`, `dir` is the last one that exists, and `created`
/// the directories that would be made below it.
#[derive(Debug)]
pub struct Reached {
    pub dir: OwnedFd,
    pub created: Vec<PathBuf>,
}

/// Whether tend could make a file in `dir` (an O_PATH descriptor), as
/// access(2) judges: a read-only file system, or a directory its user
/// cannot write, is an error. For `--dry-run`, which must not try.
pub fn writable(dir: &OwnedFd) -> Result<(), Errno> {
    nix::unistd::faccessat(dir, c".", AccessFlags::W_OK, AtFlags::empty())
}

/// What a path names, as `--chown` takes it.
#[derive(Debug)]
pub enum Top {
    /// The path ends in `/`, `.` or `..` (or is `/`): this directory.
    Dir(OwnedFd),
    /// The path ends in a name: that name in this directory, not resolved
    /// (a link there is the link itself).
    Entry { dir: OwnedFd, name: CString },
}

impl Top {
    /// What it names, as a directory and a name in it for the *at calls.
    pub fn entry(&self) -> (BorrowedFd<'_>, &CStr) {
        match self {
            // `/`, `a/..`: the directory itself, through its own descriptor.
            Top::Dir(dir) => (dir.as_fd(), c"."),
            Top::Entry { dir, name } => (dir.as_fd(), name),
        }
    }
}

/// What `path` names, reached safely: its directories walked, its final
/// name (if any) left for the caller.
pub fn top(path: &Path) -> Result<Top, Refused> {
    let plan = plan(path.as_os_str().as_bytes());
    let reached = walk(plan.absolute, plan.dirs, None)?;
    Ok(match plan.last {
        Some(name) => Top::Entry {
            dir: reached.dir,
            name: c_name(name, path)?,
        },
        None => Top::Dir(reached.dir),
    })
}

/// The directory that holds the file `path`, reached safely (and made,
/// with `create`), and the file's name in it.
pub fn parent(path: &Path, create: Option<Create>) -> Result<(Reached, CString), Refused> {
    let plan = plan(path.as_os_str().as_bytes());
    let name = plan.last.ok_or(Refused::NoName)?;
    let reached = walk(plan.absolute, plan.dirs, create)?;
    Ok((reached, c_name(name, path)?))
}

fn c_name(name: Vec<u8>, path: &Path) -> Result<CString, Refused> {
    CString::new(name).map_err(|_| Refused::Failed {
        at: path.to_path_buf(),
        doing: "naming",
        errno: Errno::EINVAL,
    })
}

/// Go through `dirs` from `/` (`absolute`) or the working directory.
fn walk(absolute: bool, dirs: Vec<Step>, create: Option<Create>) -> Result<Reached, Refused> {
    let start = if absolute { "/" } else { "." };
    let mut shown = PathBuf::from(if absolute { "/" } else { "" });
    let mut cur = open_dir(start)?;
    let mut created = Vec::new();
    // The steps still to take, the next one last, each with whether it belongs
    // to the path as given (shown in errors) or to a link's target (the error
    // names the link).
    let mut todo: Vec<(Step, bool)> = dirs.into_iter().rev().map(|step| (step, true)).into_vec();
    let mut links = 0;
    // With `dry_run`, how many levels below `cur` the walk is, in directories that would be made.
    let mut missing = 0;
    while let Some((step, show)) = todo.pop() {
        let name = match step {
            Step::Name(name) => name,
            Step::Parent => b"..".to_vec(),
        };
        if show {
            shown.push(OsStr::from_bytes(&name));
        }
        if missing > 0 {
            match name == b".." {
                true => missing -= 1,
                false => {
                    missing += 1;
                    created.push(shown.clone());
                }
            }
            continue;
        }
        let failed = |doing: &'static str, at: &Path| {
            let at = at.to_path_buf();
            move |errno| Refused::Failed { at, doing, errno }
        };
        let name = CString::new(name).map_err(|_| failed("naming", &shown)(Errno::EINVAL))?;
        let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let (fd, made) = match openat(&cur, name.as_c_str(), flags, Mode::empty()) {
            Ok(fd) => (fd, false),
            Err(Errno::ENOENT) if create.is_some_and(|c| c.dry_run) && name.as_bytes() != b".." => {
                writable(&cur).map_err(failed("making the directory", &shown))?;
                missing = 1;
                created.push(shown.clone());
                continue;
            }
            Err(Errno::ENOENT) if create.is_some() && name.as_bytes() != b".." => {
                // EEXIST: made by someone else since; it is judged below like any other.
                let made = match mkdirat(&cur, name.as_c_str(), Mode::from_bits_truncate(0o755)) {
                    Ok(()) => true,
                    Err(Errno::EEXIST) => false,
                    Err(e) => return Err(failed("making the directory", &shown)(e)),
                };
                let fd = openat(&cur, name.as_c_str(), flags, Mode::empty())
                    .map_err(failed("opening", &shown))?;
                (fd, made)
            }
            Err(e) => return Err(failed("opening", &shown)(e)),
        };
        let stat =
            sys::statx(fd.as_fd(), c"", libc::AT_EMPTY_PATH).map_err(failed("reading", &shown))?;
        match kind(stat.mode) {
            SFlag::S_IFDIR => {
                if made {
                    if let Some((uid, gid)) = create.and_then(|c| c.owner) {
                        let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(gid));
                        fchownat(&fd, c"", Some(uid), Some(gid), AtFlags::AT_EMPTY_PATH)
                            .map_err(failed("changing the owner of", &shown))?;
                    }
                    created.push(shown.clone());
                }
                cur = fd;
            }
            SFlag::S_IFLNK => {
                let dir = sys::statx(cur.as_fd(), c"", libc::AT_EMPTY_PATH)
                    .map_err(failed("reading the directory of", &shown))?;
                if !trusted(stat.uid, dir.uid, nix::unistd::geteuid().as_raw()) {
                    return Err(Refused::Planted {
                        at: shown,
                        owner: stat.uid,
                        dir_owner: dir.uid,
                    });
                }
                links += 1;
                if links > MAX_LINKS {
                    return Err(Refused::TooManyLinks { at: shown });
                }
                // Read through the descriptor: the very link whose owner was checked.
                let target = readlinkat(&fd, c"").map_err(failed("reading the link", &shown))?;
                let target = plan(target.as_bytes());
                if target.absolute {
                    cur = open_dir("/")?;
                }
                let steps = target.dirs.into_iter().chain(target.last.map(Step::Name));
                todo.extend(steps.rev().map(|step| (step, false)));
            }
            _ => return Err(Refused::NotADirectory { at: shown }),
        }
    }
    Ok(Reached { dir: cur, created })
}

/// Whether a link owned by `link` in a directory owned by `dir` may be
/// followed by a tend running as `me`: only root, or tend's own user,
/// could have put it there. Pure.
fn trusted(link: u32, dir: u32, me: u32) -> bool {
    let ours = |uid: u32| uid == 0 || uid == me;
    ours(link) && ours(dir)
}

fn open_dir(path: &str) -> Result<OwnedFd, Refused> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    open(path, flags, Mode::empty()).map_err(|errno| Refused::Failed {
        at: PathBuf::from(path),
        doing: "opening",
        errno,
    })
}

/// The file type bits of `mode`.
pub fn kind(mode: u32) -> SFlag {
    SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Step {
        Step::Name(n.as_bytes().to_vec())
    }

    #[test]
    fn a_path_is_planned_as_the_kernel_reads_it() {
        use Step::Parent;
        let cases: Vec<(&str, bool, Vec<Step>, Option<&str>)> = vec![
            // `/` is the root itself, a directory: nothing to go through, no name.
            ("/", true, vec![], None),
            ("//", true, vec![], None),
            ("/vol/data", true, vec![name("vol")], Some("data")),
            ("//vol//data", true, vec![name("vol")], Some("data")),
            ("/vol/./data/", true, vec![name("vol"), name("data")], None),
            ("/vol/data/.", true, vec![name("vol"), name("data")], None),
            // `a/..` is a's parent, reached through a.
            ("a/..", false, vec![name("a"), Parent], None),
            ("/a/b/..", true, vec![name("a"), name("b"), Parent], None),
            (
                "a/b/../c",
                false,
                vec![name("a"), name("b"), Parent],
                Some("c"),
            ),
            ("..", false, vec![Parent], None),
            ("../x", false, vec![Parent], Some("x")),
            (".", false, vec![], None),
            ("./a", false, vec![], Some("a")),
            ("a", false, vec![], Some("a")),
            ("a/", false, vec![name("a")], None),
            ("...", false, vec![], Some("...")),
            ("a/.hidden", false, vec![name("a")], Some(".hidden")),
        ];
        for (path, absolute, dirs, last) in cases {
            let want = Plan {
                absolute,
                dirs,
                last: last.map(|l| l.as_bytes().to_vec()),
            };
            assert_eq!(plan(path.as_bytes()), want, "{path}");
        }
    }

    #[test]
    fn only_links_root_or_tend_itself_could_have_made_are_followed() {
        let cases = [
            // (link's owner, its directory's owner, tend's uid) → followed
            ((0, 0, 0), true),
            ((65532, 0, 0), false),
            ((0, 65532, 0), false),
            ((65532, 65532, 0), false),
            // Not root: its own user's links give it nothing it did not have.
            ((1000, 1000, 1000), true),
            ((0, 1000, 1000), true),
            ((2000, 1000, 1000), false),
            ((1000, 2000, 1000), false),
        ];
        for ((link, dir, me), want) in cases {
            assert_eq!(trusted(link, dir, me), want, "{link} {dir} {me}");
        }
    }

    #[test]
    fn refusals_name_the_link_and_the_rule() {
        let planted = Refused::Planted {
            at: PathBuf::from("/vol/data/sub"),
            owner: 65532,
            dir_owner: 65532,
        };
        let text = planted.to_string();
        assert!(
            text.starts_with("/vol/data/sub is a symbolic link owned by uid 65532 in a directory owned by uid 65532: not followed"),
            "{text}"
        );
        let failed = Refused::Failed {
            at: PathBuf::from("/x"),
            doing: "opening",
            errno: Errno::EACCES,
        };
        assert_eq!(failed.to_string(), "opening /x: Permission denied");
        assert_eq!(
            Refused::TooManyLinks {
                at: PathBuf::from("/l")
            }
            .to_string(),
            "/l: more than 40 symbolic links on the way"
        );
    }
}
