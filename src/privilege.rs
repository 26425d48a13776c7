//! `--user USER[:GROUP]`: who tend becomes, and the drop to it.
//!
//! Three layers, kept apart. `parse_*` are pure: they turn the flag and the
//! lines of /etc/passwd and /etc/group into values, and skip a bad line
//! rather than fail, as getpwnam does. `resolve` reads the two files
//! directly: a static binary in a distroless image has no NSS to ask.
//! `apply` makes the system calls, in s6-applyuidgid's order: setgroups,
//! setgid, setuid.
//!
//! Without root there is nothing to drop: main skips `--user` then, unless
//! `--user-required` asks for this module's error (issue 18 #15).
//!
//! The invariant: once `apply` has returned Ok, neither tend nor anything it
//! starts can get uid 0 back, unless uid 0 is what was asked for.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io;
use std::os::unix::ffi::OsStringExt;

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid, getresgid, getresuid};

use crate::environ::Environ;
use crate::error::Error;
use crate::logger::{info, warn};
use crate::sys;

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";

/// Who tend becomes, resolved before anything starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `--user 'SPEC'` (or `TEND_USER 'SPEC'`), to begin error messages.
    said: String,
    uid: u32,
    gid: u32,
    /// Sorted, without duplicates; empty for a uid that has no passwd entry.
    groups: Vec<u32>,
    /// The passwd entry's name, when there is an entry.
    name: Option<OsString>,
    /// The passwd entry's home, when it has a non-empty one.
    home: Option<OsString>,
}

impl Credentials {
    pub fn uid(&self) -> u32 {
        self.uid
    }

    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The supplementary groups, sorted.
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }

    /// The passwd entry's name, when there is an entry.
    pub fn name(&self) -> Option<&std::ffi::OsStr> {
        self.name.as_deref()
    }

    /// HOME, USER and LOGNAME for the child, over tend's own environment.
    /// Without a passwd entry HOME is `/`, as Docker does for a bare uid (a
    /// HOME left at /root would point the app at a directory it cannot
    /// use), and USER and LOGNAME are removed: a process running as uid 4242
    /// must not be told it is root.
    pub fn apply_env(&self, env: &mut Environ) {
        env.set(
            "HOME",
            self.home.clone().unwrap_or_else(|| OsString::from("/")),
        );
        for key in ["USER", "LOGNAME"] {
            match &self.name {
                Some(name) => env.set(key, name.clone()),
                None => env.remove(key),
            }
        }
    }
}

/// Whether tend runs as root, and so has privileges to drop.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether tend runs without root, as the user asked for already: Ok(true),
/// nothing to drop; Ok(false), tend is root; Err, tend is neither, and can
/// never become that user. Checked at resolve time too, so that the error
/// comes before --chown fails on it (issue 18 #15).
fn check_unprivileged(credentials: &Credentials) -> Result<bool, Error> {
    let Credentials { said, uid, gid, .. } = credentials;
    let fail = |why: &'static str| {
        move |e: nix::Error| Error::Privilege(format!("{said}: {why}"), Some(io::Error::from(e)))
    };
    let uids = getresuid().map_err(fail("reading tend's own uids"))?;
    let gids = getresgid().map_err(fail("reading tend's own gids"))?;
    if uids.effective.is_root() {
        return Ok(false);
    }
    // Without root there is nothing to drop, and nothing tend could switch
    // to: running as the asked-for user already is the only way to succeed.
    let same = [uids.real, uids.effective, uids.saved] == [Uid::from_raw(*uid); 3]
        && [gids.real, gids.effective, gids.saved] == [Gid::from_raw(*gid); 3];
    match same {
        true => Ok(true),
        false => Err(Error::Privilege(
            format!(
                "{said}: tend runs as uid {} gid {}, not as root, so it cannot become uid {uid} gid {gid}",
                uids.effective, gids.effective
            ),
            None,
        )),
    }
}

/// Resolve `spec` ("user[:group]") against /etc/passwd and /etc/group.
/// `name` is what set it, `--user` or `TEND_USER`, for the errors.
pub fn resolve(spec: &str, name: &str) -> Result<Credentials, Error> {
    let said = format!("{name} '{spec}'");
    let fail = |why: String, source| Error::Privilege(format!("{said}: {why}"), source);
    let parsed = parse_spec(spec).map_err(|why| fail(why.to_string(), None))?;
    let passwd = Table::read(PASSWD).map_err(|e| fail(format!("cannot read {PASSWD}"), Some(e)))?;
    let group = Table::read(GROUP).map_err(|e| fail(format!("cannot read {GROUP}"), Some(e)))?;
    let credentials =
        credentials(&said, &parsed, passwd.text(), group.text()).map_err(|unknown| {
            let (what, name, table) = match unknown {
                Unknown::User(name) => ("user", name, &passwd),
                Unknown::Group(name) => ("group", name, &group),
            };
            match table.bytes {
                Some(_) => fail(format!("no {what} '{name}' in {}", table.path), None),
                None => fail(
                    format!("no {what} '{name}': {} does not exist", table.path),
                    None,
                ),
            }
        })?;
    check_unprivileged(&credentials)?;
    Ok(credentials)
}

/// Drop tend's own privileges, which the child then inherits: setgroups,
/// setgid, setuid; then check that root cannot be regained.
pub fn apply(credentials: &Credentials) -> Result<(), Error> {
    let Credentials {
        said,
        uid,
        gid,
        groups,
        ..
    } = credentials;
    let fail = |why: String| {
        move |e: nix::Error| Error::Privilege(format!("{said}: {why}"), Some(io::Error::from(e)))
    };
    if check_unprivileged(credentials)? {
        // Supplementary groups cannot be changed without CAP_SETGID. Fewer
        // than asked is harmless; more is worth a word, since one of them
        // may be the very group 0 that --user was meant to shed. A failed
        // getgroups only costs that warning.
        let mut extra = sys::groups().unwrap_or_default();
        extra.retain(|g| g != gid && !groups.contains(g));
        if !extra.is_empty() {
            warn!(uid = uid, gid = gid, extra_groups = show_ids(&extra);
                "already running as the --user uid and gid, not as root: groups it does not list stay");
        }
        return Ok(());
    }

    // Groups first: after setuid, tend would no longer be allowed to change them.
    sys::set_groups(groups).map_err(fail(format!("setgroups({}) failed", show_ids(groups))))?;
    sys::set_gid(*gid).map_err(fail(format!("setgid({gid}) failed")))?;
    sys::set_uid(*uid).map_err(fail(format!("setuid({uid}) failed")))?;

    // setuid(2) from root clears the capability sets, unless whoever started
    // tend set SECBIT_NO_SETUID_FIXUP, which survives execve (KEEP_CAPS does
    // not): see capabilities(7). So check the outcome rather than trust the
    // order. A successful probe leaves tend as root again, which is fine
    // only because tend then refuses to go on.
    let regained = |what: &str| {
        Error::Privilege(
            format!("{said}: {what} still succeeds after the drop, refusing to run the program"),
            None,
        )
    };
    if *uid != 0 && sys::set_uid(0).is_ok() {
        return Err(regained("setuid(0)"));
    }
    if *gid != 0 && sys::set_gid(0).is_ok() {
        return Err(regained("setgid(0)"));
    }
    info!(uid = uid, gid = gid, groups = show_ids(groups); "dropped privileges");
    Ok(())
}

/// `[1000, 2000]`, or for a long list its first few and the count:
/// `[10000, 10001, …] (70001 groups; the kernel allows 65536)`. A user in
/// thousands of groups must not turn one error into a megabyte of log.
fn show_ids(ids: &[u32]) -> String {
    const SHOWN: usize = 8;
    // Written in place: no list of strings to join (issue 21).
    let mut text = String::from("[");
    for (i, id) in ids.iter().take(SHOWN).enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{sep}{id}");
    }
    // Writing to a String cannot fail.
    let _ = match ids.len() {
        n if n <= SHOWN => text.write_str("]"),
        n if n > NGROUPS_MAX => write!(text, ", …] ({n} groups; the kernel allows {NGROUPS_MAX})"),
        n => write!(text, ", …] ({n} groups)"),
    };
    text
}

/// Linux's limit on supplementary groups (since 2.6.4).
const NGROUPS_MAX: usize = 65536;

/// One of the two files, as read; `None` when it does not exist.
struct Table {
    path: &'static str,
    bytes: Option<Vec<u8>>,
}

impl Table {
    /// A missing file is an empty table: a `FROM scratch` image has no
    /// /etc/passwd, and `--user 1000:1000` must still work there. A file
    /// that exists but cannot be read is an error.
    fn read(path: &'static str) -> io::Result<Table> {
        // std::fs::read's answers, through the one read loop tend has.
        let read = crate::entry::open(path.as_ref(), OFlag::empty())
            .and_then(|f| crate::entry::read_at_most(&f, usize::MAX));
        match read {
            Ok(bytes) => Ok(Table {
                path,
                bytes: Some(bytes),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Table { path, bytes: None }),
            Err(e) => Err(e),
        }
    }

    fn text(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or_default()
    }
}

/// A user or a group, as the flag names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id<'a> {
    Name(&'a str),
    Number(u32),
}

/// `USER[:GROUP]`, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec<'a> {
    user: Id<'a>,
    group: Option<Id<'a>>,
}

/// Parse `USER[:GROUP]`. All digits is a number; anything else is a name.
fn parse_spec(text: &str) -> Result<Spec<'_>, &'static str> {
    let (user, group) = match text.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (text, None),
    };
    let user = parse_id(user).map_err(|why| match why {
        IdError::Empty => "expected USER[:GROUP], the user is empty",
        IdError::Range => "the uid is out of range",
        IdError::Colon => "expected USER[:GROUP]",
    })?;
    let group = group
        .map(|group| {
            parse_id(group).map_err(|why| match why {
                IdError::Empty => "expected USER[:GROUP], the group is empty",
                IdError::Range => "the gid is out of range",
                IdError::Colon => "expected USER[:GROUP], found more than one ':'",
            })
        })
        .transpose()?;
    Ok(Spec { user, group })
}

enum IdError {
    Empty,
    Range,
    Colon,
}

fn parse_id(text: &str) -> Result<Id<'_>, IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.contains(':') {
        return Err(IdError::Colon);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number(text.as_bytes())
            .map(Id::Number)
            .ok_or(IdError::Range);
    }
    Ok(Id::Name(text))
}

/// A uid or gid: decimal digits only. (uid_t)-1 is refused, because the
/// set*id calls read it as "leave unchanged".
fn parse_number(field: &[u8]) -> Option<u32> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    crate::number::u32(std::str::from_utf8(field).ok()?).filter(|n| *n != u32::MAX)
}

/// `name:password:uid:gid:gecos:home:shell`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PasswdEntry<'a> {
    name: &'a [u8],
    uid: u32,
    gid: u32,
    home: &'a [u8],
}

/// `name:password:gid:member,member,...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GroupEntry<'a> {
    name: &'a [u8],
    gid: u32,
    members: &'a [u8],
}

impl GroupEntry<'_> {
    fn lists(&self, user: &[u8]) -> bool {
        self.members.split(|b| *b == b',').any(|m| m == user)
    }
}

/// The lines of a table worth parsing: no blank lines, no comments, and no
/// CR of a file edited on Windows.
fn lines(table: &[u8]) -> impl Iterator<Item = &[u8]> {
    table
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
}

/// Exactly `N` colon-separated fields, or None.
fn fields<const N: usize>(line: &[u8]) -> Option<[&[u8]; N]> {
    let mut parts = line.split(|b| *b == b':');
    let fields: [&[u8]; N] = std::array::from_fn(|_| parts.next().unwrap_or_default());
    // Too few fields left the tail empty-filled, so count them separately.
    let count = line.iter().filter(|b| **b == b':').count() + 1;
    (count == N).then_some(fields)
}

/// One passwd line; None for anything malformed. A NIS `+`/`-` line has no
/// numeric uid, so it is skipped too.
fn parse_passwd_line(line: &[u8]) -> Option<PasswdEntry<'_>> {
    let [name, _password, uid, gid, _gecos, home, _shell] = fields::<7>(line)?;
    if name.is_empty() {
        return None;
    }
    Some(PasswdEntry {
        name,
        uid: parse_number(uid)?,
        gid: parse_number(gid)?,
        home,
    })
}

/// One group line; None for anything malformed.
fn parse_group_line(line: &[u8]) -> Option<GroupEntry<'_>> {
    let [name, _password, gid, members] = fields::<4>(line)?;
    if name.is_empty() {
        return None;
    }
    Some(GroupEntry {
        name,
        gid: parse_number(gid)?,
        members,
    })
}

fn passwd_entries(table: &[u8]) -> impl Iterator<Item = PasswdEntry<'_>> {
    lines(table).filter_map(parse_passwd_line)
}

fn group_entries(table: &[u8]) -> impl Iterator<Item = GroupEntry<'_>> {
    lines(table).filter_map(parse_group_line)
}

/// A name the flag gave that a table lacks.
#[derive(Debug, PartialEq, Eq)]
enum Unknown<'a> {
    User(&'a str),
    Group(&'a str),
}

/// The pure heart of `resolve`: `spec` against the two tables' contents.
/// The first matching line wins, as with getpwnam.
fn credentials<'a>(
    said: &str,
    spec: &Spec<'a>,
    passwd: &[u8],
    group: &[u8],
) -> Result<Credentials, Unknown<'a>> {
    let entry = match spec.user {
        Id::Name(name) => Some(
            passwd_entries(passwd)
                .find(|e| e.name == name.as_bytes())
                .ok_or(Unknown::User(name))?,
        ),
        Id::Number(uid) => passwd_entries(passwd).find(|e| e.uid == uid),
    };
    let uid = match (entry, spec.user) {
        (Some(e), _) => e.uid,
        (None, Id::Number(uid)) => uid,
        // A name without an entry has already failed above.
        (None, Id::Name(name)) => return Err(Unknown::User(name)),
    };
    let gid = match (spec.group, entry) {
        (Some(Id::Number(gid)), _) => gid,
        (Some(Id::Name(name)), _) => group_entries(group)
            .find(|g| g.name == name.as_bytes())
            .map(|g| g.gid)
            .ok_or(Unknown::Group(name))?,
        (None, Some(e)) => e.gid,
        // gosu and su-exec keep gid 0 here; a bare uid gets its own number.
        (None, None) => uid,
    };
    // initgroups(3)'s list: the groups naming the user, plus the passwd
    // primary group. `:GROUP` changes the gid, not this list, as newgrp does.
    // Sorted and without repeats, kept so as it is built: less code than
    // collecting, sorting and deduplicating (issue 21).
    let mut groups: Vec<u32> = Vec::new();
    if let Some(e) = entry {
        let mut add = |gid: u32| {
            if let Err(at) = groups.binary_search(&gid) {
                groups.insert(at, gid);
            }
        };
        add(e.gid);
        for g in group_entries(group).filter(|g| g.lists(e.name)) {
            add(g.gid);
        }
    }
    Ok(Credentials {
        said: said.to_string(),
        uid,
        gid,
        groups,
        name: entry.map(|e| OsString::from_vec(e.name.to_vec())),
        home: entry
            .map(|e| e.home)
            .filter(|home| !home.is_empty())
            .map(|home| OsString::from_vec(home.to_vec())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        use Id::{Name, Number};
        let ok = |user, group| Ok(Spec { user, group });
        let cases: [(&str, Result<Spec, &str>); 16] = [
            ("app", ok(Name("app"), None)),
            ("1000", ok(Number(1000), None)),
            ("0", ok(Number(0), None)),
            ("007", ok(Number(7), None)),
            ("app:staff", ok(Name("app"), Some(Name("staff")))),
            ("65532:65532", ok(Number(65532), Some(Number(65532)))),
            ("app:0", ok(Name("app"), Some(Number(0)))),
            ("4294967294", ok(Number(4_294_967_294), None)),
            ("1e3", ok(Name("1e3"), None)),
            ("", Err("the user is empty")),
            (":staff", Err("the user is empty")),
            ("app:", Err("the group is empty")),
            ("a:b:c", Err("more than one ':'")),
            ("4294967295", Err("uid is out of range")),
            ("99999999999", Err("uid is out of range")),
            ("app:4294967295", Err("gid is out of range")),
        ];
        for (text, want) in cases {
            match (parse_spec(text), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text:?}"),
                (Err(got), Err(needle)) => assert!(got.contains(needle), "{text:?}: {got:?}"),
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    fn long(n: usize) -> String {
        "x".repeat(n)
    }

    #[test]
    fn passwd_lines() {
        let entry = |name: &'static str, uid, gid, home: &'static str| {
            Some(PasswdEntry {
                name: name.as_bytes(),
                uid,
                gid,
                home: home.as_bytes(),
            })
        };
        let long_gecos = format!("app:x:1000:1000:{}:/home/app:/bin/sh", long(100_000));
        let long_garbage = long(1_000_000);
        let cases: Vec<(&str, Option<PasswdEntry>)> = vec![
            (
                "root:x:0:0:root:/root:/bin/sh",
                entry("root", 0, 0, "/root"),
            ),
            (
                "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin",
                entry("nonroot", 65532, 65532, "/home/nonroot"),
            ),
            ("app::1000:1000:::", entry("app", 1000, 1000, "")),
            (
                "app:x:1000:1000::/home/app:/bin/sh\r",
                entry("app", 1000, 1000, "/home/app"),
            ),
            (&long_gecos, entry("app", 1000, 1000, "/home/app")),
            (&long_garbage, None),
            ("# app:x:1000:1000::/home/app:/bin/sh", None),
            ("", None),
            ("app:x:1000:1000::/home/app", None),
            ("app:x:1000:1000::/home/app:/bin/sh:extra", None),
            ("app:x:1000", None),
            ("app", None),
            (":x:1000:1000::/home/app:/bin/sh", None),
            ("app:x::1000::/home/app:/bin/sh", None),
            ("app:x:1000:::/home/app:/bin/sh", None),
            ("app:x:-1:1000::/home/app:/bin/sh", None),
            ("app:x:+1:1000::/home/app:/bin/sh", None),
            ("app:x: 1000:1000::/home/app:/bin/sh", None),
            ("app:x:1000:abc::/home/app:/bin/sh", None),
            ("app:x:4294967295:1000::/home/app:/bin/sh", None),
            ("app:x:4294967296:1000::/home/app:/bin/sh", None),
            ("+::::::", None),
            ("+app::::::", None),
            ("::::::", None),
        ];
        for (line, want) in cases {
            let shown: String = line.chars().take(60).collect();
            assert_eq!(passwd_entries(line.as_bytes()).next(), want, "{shown:?}");
        }
        // Bytes that are not UTF-8 stay what they were.
        let latin1 = b"jos\xe9:x:1001:1001:Jos\xe9:/home/jos\xe9:/bin/sh";
        let parsed = parse_passwd_line(latin1).map(|e| (e.name, e.home));
        assert_eq!(parsed, Some((&b"jos\xe9"[..], &b"/home/jos\xe9"[..])));
    }

    #[test]
    fn group_lines() {
        let entry = |name: &'static str, gid, members: &'static str| {
            Some(GroupEntry {
                name: name.as_bytes(),
                gid,
                members: members.as_bytes(),
            })
        };
        let long_members = format!("big:x:3000:{}", vec!["m"; 50_000].join(","));
        let cases: Vec<(&str, Option<GroupEntry>)> = vec![
            ("root:x:0:", entry("root", 0, "")),
            ("staff:x:50:app,other", entry("staff", 50, "app,other")),
            ("staff::50:app", entry("staff", 50, "app")),
            ("staff:x:50:app\r", entry("staff", 50, "app")),
            ("#staff:x:50:app", None),
            ("staff:x:50", None),
            ("staff:x:50:app:extra", None),
            (":x:50:app", None),
            ("staff:x::app", None),
            ("staff:x:fifty:app", None),
            ("staff:x:4294967295:app", None),
            ("", None),
            ("+:::", None),
        ];
        for (line, want) in cases {
            assert_eq!(group_entries(line.as_bytes()).next(), want, "{line:?}");
        }
        let big = parse_group_line(long_members.as_bytes());
        assert!(big.is_some_and(|g| g.gid == 3000 && g.lists(b"m") && !g.lists(b"app")));
    }

    #[test]
    fn membership_is_by_whole_name() {
        let g = GroupEntry {
            name: b"g",
            gid: 1,
            members: b"app2,,xapp, app,app",
        };
        assert!(g.lists(b"app") && g.lists(b"app2"));
        assert!(!g.lists(b"ap") && !g.lists(b"x") && !g.lists(b" ap"));
        let empty = GroupEntry {
            name: b"g",
            gid: 1,
            members: b"",
        };
        assert!(!empty.lists(b"app"));
    }

    #[test]
    fn garbage_never_panics() {
        // A small deterministic generator over the bytes that matter to the parsers.
        let alphabet = b"::::,,#\r\n0123456789-+ ax\xff";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut table = Vec::new();
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            table.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let _ = passwd_entries(&table).count();
        let _ = group_entries(&table).count();
        for spec in ["a", "0", "a:0"] {
            let parsed = parse_spec(spec).ok();
            if let Some(parsed) = parsed {
                let _ = credentials(spec, &parsed, &table, &table);
            }
        }
    }

    const PASSWD_TEXT: &str = "\
# a comment, then a blank line

root:x:0:0:root:/root:/bin/sh
broken line
app:x:1000:1000:App:/home/app:/bin/sh
app:x:1999:1999:a second app is never seen:/nowhere:/bin/sh
nohome:x:1500:1500:::/bin/sh
short:x:1600:1600
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
";

    const GROUP_TEXT: &str = "\
root:x:0:
app:x:1000:
extra:x:2000:other,app
more:x:2001:app
also-1000:x:1000:app
not-app:x:2002:apple,xapp
wheel:x:10
shared:x:3000:
nonroot:x:65532:
";

    type Want =
        Result<(u32, u32, &'static [u32], Option<&'static str>, &'static str), Unknown<'static>>;

    #[test]
    fn resolving_against_tables() {
        let cases: [(&str, Want); 16] = [
            (
                "app",
                Ok((1000, 1000, &[1000, 2000, 2001], Some("app"), "/home/app")),
            ),
            (
                "1000",
                Ok((1000, 1000, &[1000, 2000, 2001], Some("app"), "/home/app")),
            ),
            (
                "app:shared",
                Ok((1000, 3000, &[1000, 2000, 2001], Some("app"), "/home/app")),
            ),
            (
                "app:4242",
                Ok((1000, 4242, &[1000, 2000, 2001], Some("app"), "/home/app")),
            ),
            (
                "app:0",
                Ok((1000, 0, &[1000, 2000, 2001], Some("app"), "/home/app")),
            ),
            ("root", Ok((0, 0, &[0], Some("root"), "/root"))),
            (
                "nonroot",
                Ok((65532, 65532, &[65532], Some("nonroot"), "/home/nonroot")),
            ),
            ("nohome", Ok((1500, 1500, &[1500], Some("nohome"), "/"))),
            // No entry: the gid is the uid, never 0, and there are no groups.
            ("4321", Ok((4321, 4321, &[], None, "/"))),
            ("4321:shared", Ok((4321, 3000, &[], None, "/"))),
            ("4321:77", Ok((4321, 77, &[], None, "/"))),
            // Only well-formed lines count.
            ("1600", Ok((1600, 1600, &[], None, "/"))),
            ("short", Err(Unknown::User("short"))),
            ("ghost", Err(Unknown::User("ghost"))),
            ("app:ghosts", Err(Unknown::Group("ghosts"))),
            ("app:wheel", Err(Unknown::Group("wheel"))),
        ];
        for (text, want) in cases {
            let spec = parse_spec(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let got = credentials(text, &spec, PASSWD_TEXT.as_bytes(), GROUP_TEXT.as_bytes());
            let want = want.map(|(uid, gid, groups, name, home)| Credentials {
                said: text.to_string(),
                uid,
                gid,
                groups: groups.to_vec(),
                name: name.map(OsString::from),
                home: (home != "/").then(|| OsString::from(home)),
            });
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn missing_tables_still_allow_numbers() {
        let spec = parse_spec("1000:1000").unwrap_or_else(|e| panic!("{e}"));
        let got = credentials("1000:1000", &spec, b"", b"").map(|c| (c.uid, c.gid, c.groups));
        assert_eq!(got, Ok((1000, 1000, vec![])));
        let spec = parse_spec("app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            credentials("app", &spec, b"", b""),
            Err(Unknown::User("app"))
        );
    }

    #[test]
    fn long_group_lists_are_shown_short() {
        assert_eq!(show_ids(&[]), "[]");
        assert_eq!(show_ids(&[1000, 2000]), "[1000, 2000]");
        assert_eq!(
            show_ids(&[1, 2, 3, 4, 5, 6, 7, 8]),
            "[1, 2, 3, 4, 5, 6, 7, 8]"
        );
        assert_eq!(
            show_ids(&[1, 2, 3, 4, 5, 6, 7, 8, 9]),
            "[1, 2, 3, 4, 5, 6, 7, 8, …] (9 groups)"
        );
        let many: Vec<u32> = (10_000..80_001).collect();
        let text = show_ids(&many);
        assert_eq!(
            text,
            "[10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007, …] \
             (70001 groups; the kernel allows 65536)"
        );
    }

    #[test]
    fn environment() {
        let env = |pairs: &[(&str, &str)]| -> Environ {
            Environ::from_pairs(pairs.iter().map(|(k, v)| (k.into(), v.into())))
        };
        let started = env(&[
            ("PATH", "/bin"),
            ("HOME", "/root"),
            ("USER", "root"),
            ("LOGNAME", "root"),
        ]);
        let applied = |c: &Credentials| {
            let mut e = started.clone();
            c.apply_env(&mut e);
            e
        };
        let mut c = Credentials {
            said: "app".into(),
            uid: 1000,
            gid: 1000,
            groups: vec![1000],
            name: Some("app".into()),
            home: Some("/home/app".into()),
        };
        let want = [
            ("PATH", "/bin"),
            ("HOME", "/home/app"),
            ("USER", "app"),
            ("LOGNAME", "app"),
        ];
        assert_eq!(applied(&c), env(&want));
        c.home = None;
        let want = [
            ("PATH", "/bin"),
            ("HOME", "/"),
            ("USER", "app"),
            ("LOGNAME", "app"),
        ];
        assert_eq!(applied(&c), env(&want));
        // A bare uid is nobody by name: root's USER and LOGNAME must not reach it.
        c.name = None;
        assert_eq!(applied(&c), env(&[("PATH", "/bin"), ("HOME", "/")]));
    }
}
