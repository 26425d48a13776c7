//! Starting the child: the one place where code runs between fork and exec.
//!
//! Everything the child needs is prepared before the fork; between fork and
//! exec the child makes only async-signal-safe calls on that data, in tini's
//! order: its own process group, the terminal's foreground (while SIGTTOU is
//! still blocked), then the signal mask tend itself was started with. Rust's
//! std does not reset the mask in children (rust-lang/rust#101077), and
//! tend's own mask is full, so this step is what lets the app see SIGTERM.
//! Last, execve along PATH as execvp(3) does, and for a file without a `#!`
//! line (ENOEXEC) `/bin/sh FILE ARGS…`, as POSIX says and glibc does, which
//! musl's execvp does not: a script that runs under tini runs under tend.
//! `find` foretells that search for `--dry-run`, executing nothing.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::unistd::{
    ForkResult, Pid, fork, getpgrp, getpid, getppid, isatty, pipe2, setpgid, setsid, tcgetpgrp,
    tcsetpgrp,
};

use crate::environ::Environ;
use crate::error::Error;
use crate::iter::IntoVec;
use crate::sys::{self, SigSet};

/// How the child is started, beyond its command and environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    /// A session of its own (setsid mode), not only a process group.
    pub setsid: bool,
    /// tend moves to `/` right after the fork, so that it holds no directory
    /// busy while the child still starts in tend's own (dumb-init does this).
    pub parent_to_root: bool,
    /// It takes the terminal's foreground when tend has it: steps and the
    /// program do; programs beside it (`--also`, a Procfile's) never do.
    pub foreground: bool,
}

/// Start `command` in its own process group, with exactly `env` as its
/// environment; returns its pid once exec has succeeded. `mask` is the
/// signal mask tend was started with.
///
/// A hand-rolled fork and exec rather than std's Command, which costs about
/// 50 KB of binary for features tend does not use. Failures in the child
/// come back through a close-on-exec pipe: nothing read means exec worked.
pub fn spawn(command: &[OsString], env: &Environ, mask: SigSet, how: How) -> Result<Pid, Error> {
    let How {
        setsid,
        parent_to_root,
        foreground,
    } = how;
    let Some(program) = command.first() else {
        return Err(Error::Usage("no program to run".into()));
    };
    let name = program.to_string_lossy().into_owned();
    let invalid = || Error::Spawn {
        program: name.clone(),
        source: io::Error::from_raw_os_error(libc::EINVAL),
    };
    // Loops rather than collect::<Result<Vec<_>, _>>(), whose adapters cost
    // more code than these.
    let mut argv: Vec<CString> = Vec::with_capacity(command.len());
    for arg in command {
        argv.push(CString::new(arg.as_bytes()).map_err(|_| invalid())?);
    }
    let envp = env.to_c_strings().map_err(|_| invalid())?;
    let mut paths = Vec::new();
    for path in candidates(program.as_bytes(), env.get("PATH").map(OsStrExt::as_bytes)) {
        paths.push(CString::new(path).map_err(|_| invalid())?);
    }
    let argv_ptrs = null_terminated(&argv);
    let envp_ptrs = null_terminated(&envp);
    // POSIX execvp on ENOEXEC: `/bin/sh FILE ARGS…`. Slot 1 is filled in the child.
    let mut sh_argv: Vec<*const libc::c_char> = vec![SH_NAME.as_ptr(), std::ptr::null()];
    sh_argv.extend(argv_ptrs.iter().skip(1));
    let exec = Exec {
        candidates: &paths,
        argv: &argv_ptrs,
        envp: &envp_ptrs,
        sh_argv,
        setsid,
    };

    // The child takes the terminal only if tend has it: a tend started in
    // the background must not steal the foreground from the shell.
    let stdin = stdin();
    let terminal = match foreground && isatty(stdin).unwrap_or(false) {
        false => Terminal::None,
        true if setsid => Terminal::Controlling,
        true if tcgetpgrp(stdin).is_ok_and(|pgrp| pgrp == getpgrp()) => Terminal::Foreground,
        true => Terminal::None,
    };
    let (report_rx, report_tx) =
        pipe2(OFlag::O_CLOEXEC).map_err(Error::setup("making the exec-status pipe"))?;

    // SAFETY: tend is single-threaded, so the child is a faithful copy; it
    // only runs `child_steps`, which is async-signal-safe, and never returns.
    match unsafe { fork() }.map_err(Error::setup("forking the child"))? {
        ForkResult::Child => {
            let (stage, errno) = child_steps(terminal, mask, exec);
            let mut report = [stage, 0, 0, 0, 0];
            report[1..].copy_from_slice(&errno.to_ne_bytes());
            // If the report cannot be written the parent sees a clean exec and then a 127 exit.
            let _ = nix::unistd::write(&report_tx, &report);
            // SAFETY: _exit is async-signal-safe and skips tend's atexit handlers and destructors.
            unsafe { libc::_exit(127) }
        }
        ForkResult::Parent { child } => {
            drop(report_tx);
            if parent_to_root {
                // Nothing depends on tend's own directory; a failure leaves it where it was.
                let _ = nix::unistd::chdir("/");
            }
            let mut report = [0u8; 5];
            let mut got = 0;
            while got < report.len() {
                match nix::unistd::read(&report_rx, &mut report[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(Errno::EINTR) => continue,
                    Err(_) => break,
                }
            }
            if got < report.len() {
                return Ok(child); // exec closed the pipe: the program runs
            }
            // The child exits at once after its report; reap it so no zombie is left.
            let _ = nix::sys::wait::waitpid(child, None);
            let errno = i32::from_ne_bytes([report[1], report[2], report[3], report[4]]);
            match report[0] {
                STAGE_EXEC => Err(Error::Spawn {
                    program: name,
                    source: io::Error::from_raw_os_error(errno),
                }),
                _ => Err(Error::setup("preparing the child before exec")(
                    Errno::from_raw(errno),
                )),
            }
        }
    }
}

/// After a step that had the terminal's foreground has exited, tend takes
/// it back for its own group, so that the next step or the program finds
/// tend in the foreground and takes it in turn, as a shell does between
/// the commands of `a && b`. Nothing happens when another group holds it.
/// tend's SIGTTOU is blocked, so tcsetpgrp(3) from its group just works.
pub fn take_back_terminal(from: Pid) {
    let stdin = stdin();
    if isatty(stdin).unwrap_or(false) && tcgetpgrp(stdin).is_ok_and(|pgrp| pgrp == from) {
        // A terminal that went away meanwhile leaves nothing to take back.
        let _ = tcsetpgrp(stdin, getpgrp());
    }
}

/// The shell that runs a script without a `#!` line, as POSIX execvp does.
const SH: &CStr = c"/bin/sh";
const SH_NAME: &CStr = c"sh";
/// The search path when the environment has no PATH: musl's, as before.
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Where execvp(3) would look for `program`, in order: the program itself
/// when it names a path (has a `/`), else each PATH entry joined with it,
/// an empty entry meaning the current directory. Pure.
fn candidates(program: &[u8], path: Option<&[u8]>) -> Vec<Vec<u8>> {
    if program.contains(&b'/') || program.is_empty() {
        return vec![program.to_vec()];
    }
    path.filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PATH)
        .split(|b| *b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let mut full = dir.to_vec();
            if !full.ends_with(b"/") {
                full.push(b'/');
            }
            full.extend_from_slice(program);
            full
        })
        .into_vec()
}

/// Who a program runs as, for `find`'s judgement of the execute bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

/// The file a start would execute, as `find` judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The candidate that would run: PROGRAM itself, or PROGRAM along PATH.
    pub path: OsString,
    /// It has no `#!` line and is no binary: `/bin/sh` would run it.
    pub by_shell: bool,
}

/// The file that `spawn` would execute for `command`, found by the same
/// search (execvp(3)'s, `candidates`) without executing anything: what
/// `--dry-run` reports, and its errors are `spawn`'s (127, 126). `dir` is
/// where the program starts (`--chdir`), for a relative path; `who` is
/// the user it runs as. The kernel's verdict is foretold from each file's
/// type, mode and owner and its first bytes (a missing `#!` interpreter is
/// ENOENT, no binary and no `#!` goes to `/bin/sh`); a noexec mount, an
/// ACL or a binary for another machine are not seen.
pub fn find(
    command: &[OsString],
    env: &Environ,
    dir: Option<&Path>,
    who: &Who,
) -> Result<Found, Error> {
    let Some(program) = command.first() else {
        return Err(Error::Usage("no program to run".into()));
    };
    let fail = |errno| Error::Spawn {
        program: program.to_string_lossy().into_owned(),
        source: io::Error::from_raw_os_error(errno),
    };
    // No NUL to refuse, as `spawn` does: argv, the environment and what
    // expands from them all came as C strings, and a secret holding one is refused.
    let path = env.get("PATH").map(OsStrExt::as_bytes);
    let candidates = candidates(program.as_bytes(), path);
    let at = |file: &[u8]| match (dir, file.first()) {
        (Some(dir), Some(&first)) if first != b'/' => dir.join(OsStr::from_bytes(file)),
        _ => PathBuf::from(OsStr::from_bytes(file)),
    };
    let mut denied = false;
    let mut last = libc::ENOENT;
    for candidate in candidates {
        let start = judge(&at(&candidate), who).and_then(|start| match start {
            Start::Interpreter(interpreter) => judge(&at(&interpreter), who).map(|_| Start::Binary),
            start => Ok(start),
        });
        let by_shell = match start {
            Ok(Start::Binary | Start::Interpreter(_)) => false,
            // POSIX execvp on ENOEXEC: `/bin/sh FILE ARGS…`, or ENOEXEC itself without one.
            Ok(Start::Unknown) => match judge(Path::new("/bin/sh"), who) {
                Ok(_) => true,
                Err(_) => return Err(fail(libc::ENOEXEC)),
            },
            Err(errno) => {
                last = errno;
                match errno {
                    libc::EACCES => denied = true,
                    libc::ENOENT
                    | libc::ENOTDIR
                    | libc::ESTALE
                    | libc::ENODEV
                    | libc::ETIMEDOUT => {}
                    _ => return Err(fail(errno)),
                }
                continue;
            }
        };
        return Ok(Found {
            path: OsString::from_vec(candidate),
            by_shell,
        });
    }
    Err(fail(if denied { libc::EACCES } else { last }))
}

/// How a file that may be executed starts, from its first bytes. Pure.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Start {
    /// An ELF binary.
    Binary,
    /// `#!INTERPRETER …`: the kernel runs INTERPRETER, which must exist.
    Interpreter(Vec<u8>),
    /// Neither: execve fails with ENOEXEC.
    Unknown,
}

fn start_of(head: &[u8]) -> Start {
    if head.starts_with(b"\x7fELF") {
        return Start::Binary;
    }
    let Some(line) = head.strip_prefix(b"#!") else {
        return Start::Unknown;
    };
    let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = line
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty());
    match words.next() {
        Some(interpreter) => Start::Interpreter(interpreter.to_vec()),
        None => Start::Unknown,
    }
}

/// What execve(2) would say of `path` run as `who`: how it starts, or the errno.
fn judge(path: &Path, who: &Who) -> Result<Start, i32> {
    let errno = |e: io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    // Each directory on the way must be searchable by `who`, from the top down.
    let bytes = path.as_os_str().as_bytes();
    for end in (1..bytes.len()).filter(|&i| bytes[i] == b'/') {
        let meta = std::fs::metadata(OsStr::from_bytes(&bytes[..end])).map_err(errno)?;
        if !meta.is_dir() {
            return Err(libc::ENOTDIR);
        }
        if !may_execute(meta.mode(), meta.uid(), meta.gid(), who, true) {
            return Err(libc::EACCES);
        }
    }
    let meta = std::fs::metadata(path).map_err(errno)?;
    if !meta.is_file() || !may_execute(meta.mode(), meta.uid(), meta.gid(), who, false) {
        return Err(libc::EACCES);
    }
    // A file its user may execute but not read still runs when it is a binary.
    let Ok(file) = crate::entry::open_regular(path) else {
        return Ok(Start::Binary);
    };
    // As above: unreadable now, it is judged by its mode alone.
    match crate::entry::read_at_most(&file, HEAD) {
        Ok(head) => Ok(start_of(&head)),
        Err(_) => Ok(Start::Binary),
    }
}

/// The most of a `#!` line the kernel reads (BINPRM_BUF_SIZE).
const HEAD: usize = 256;

/// Whether `who` may execute a regular file (or search a directory, `dir`)
/// of `mode` owned by `uid`:`gid`, as the kernel decides without ACLs:
/// root any directory, and a file when any execute bit is set; anyone else
/// by the owner's, the group's or the others' bits, the first class that
/// fits. Pure.
fn may_execute(mode: u32, uid: u32, gid: u32, who: &Who, dir: bool) -> bool {
    let bits = match who {
        Who { uid: 0, .. } if dir => return true,
        Who { uid: 0, .. } => 0o111,
        Who { uid: me, .. } if *me == uid => 0o100,
        Who {
            gid: group, groups, ..
        } if *group == gid || groups.contains(&gid) => 0o010,
        _ => 0o001,
    };
    mode & bits != 0
}

/// fd 0, for the terminal checks: borrowed as std's own `stdin().as_fd()`
/// borrows it, without the buffered reader that std's Stdin sets up on first
/// use and tend never reads with.
fn stdin() -> BorrowedFd<'static> {
    // SAFETY: fd 0 is only queried (isatty, tcgetpgrp, tcsetpgrp); if it is
    // closed, those fail harmlessly with EBADF, as through std's Stdin.
    unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) }
}

/// What the child does with the terminal on stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminal {
    /// Leave it alone.
    None,
    /// Make its own group the terminal's foreground group (tcsetpgrp).
    Foreground,
    /// setsid mode: make it the new session's controlling terminal (TIOCSCTTY).
    Controlling,
}

/// What exec needs, all prepared before the fork.
struct Exec<'a> {
    candidates: &'a [CString],
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    /// `sh`, a null slot for the script's path, then argv[1..] and the null.
    sh_argv: Vec<*const libc::c_char>,
    /// A session of its own rather than only a process group.
    setsid: bool,
}

/// Run `work` in a forked copy of tend and hand back its pid and the read
/// end of a pipe that gets what `work` sends (through the function it is
/// given, as often as it likes); the copy then exits. For the probes that
/// `--wait-for`, `--health` and `--probe` run: a probe that hangs hangs
/// only the copy, which the caller kills at its deadline. The read end is
/// close-on-exec and non-blocking.
///
/// tend never starts a thread, so the copy is a faithful one and may run
/// ordinary code, allocation included (fork(2) in a single-threaded
/// process). It keeps tend's signal mask (all blocked while tend
/// supervises: then only SIGKILL ends it), and the kernel sends it SIGKILL
/// when tend dies (PR_SET_PDEATHSIG), so a SIGKILLed tend leaves no copy
/// holding a check open (issue 18 #13).
pub fn fork_work(work: impl FnOnce(&mut dyn FnMut(&[u8]))) -> Result<(Pid, OwnedFd), Errno> {
    let parent = getpid();
    let (rx, tx) = pipe2(OFlag::O_CLOEXEC)?;
    // SAFETY: tend is single-threaded here (see above); the child runs
    // `work`, writes, and leaves with _exit, never returning into tend.
    match unsafe { fork() }? {
        ForkResult::Child => {
            // First of all; then a tend that died before the kernel was told
            // (the copy has a new parent by now) has nobody to answer: leave.
            if prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent {
                // SAFETY: as below; nothing of tend's may run in the copy.
                unsafe { libc::_exit(1) }
            }
            drop(rx);
            work(&mut |bytes| {
                let mut written = 0;
                while written < bytes.len() {
                    match nix::unistd::write(&tx, &bytes[written..]) {
                        Ok(n) if n > 0 => written += n,
                        Err(Errno::EINTR) => {}
                        // The parent is gone or stopped listening: nobody wants the answer.
                        _ => break,
                    }
                }
            });
            // SAFETY: _exit skips tend's destructors and atexit handlers, which belong to the parent.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(tx);
            nix::fcntl::fcntl(&rx, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
            Ok((child, rx))
        }
    }
}

const STAGE_SETUP: u8 = 0;
const STAGE_EXEC: u8 = 1;

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .into_vec()
}

/// Between fork and exec: returns only on failure, with the stage and errno.
fn child_steps(terminal: Terminal, mask: SigSet, mut exec: Exec) -> (u8, i32) {
    let own = match terminal {
        // A session of its own, which is a process group of its own too.
        Terminal::Controlling => setsid().map(drop),
        Terminal::None | Terminal::Foreground if exec.setsid => setsid().map(drop),
        Terminal::None | Terminal::Foreground => setpgid(Pid::from_raw(0), Pid::from_raw(0)),
    };
    if let Err(e) = own {
        return (STAGE_SETUP, e as i32);
    }
    match terminal {
        Terminal::None => {}
        Terminal::Foreground => {
            // SAFETY: fd 0 is open (isatty said so before the fork) and stays open until exec.
            let tty = unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) };
            // Losing a race for the terminal is no reason not to run the program.
            let _ = tcsetpgrp(tty, getpid());
        }
        Terminal::Controlling => {
            // SAFETY: an ioctl on fd 0 with an integer argument; it fails harmlessly
            // when the terminal is another session's, and then the child runs without one.
            let _ = unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCSCTTY, 0) };
        }
    }
    // Dispositions need no restoring: tend installs no handlers, and as its
    // main is its own, std never set SIGPIPE to ignored either.
    if let Err(e) = sys::set_mask(mask) {
        return (STAGE_SETUP, e as i32);
    }
    // execvp(3)'s search, by hand: musl's does not fall back to the shell.
    let mut denied = false;
    let mut last = libc::ENOENT;
    for path in exec.candidates {
        // SAFETY: path, argv and envp are NUL-terminated, built before the
        // fork and alive until exec; execve only returns on failure.
        unsafe { libc::execve(path.as_ptr(), exec.argv.as_ptr(), exec.envp.as_ptr()) };
        last = Errno::last_raw();
        match last {
            libc::ENOEXEC => {
                exec.sh_argv[1] = path.as_ptr();
                // SAFETY: as above; sh_argv holds pointers into the same live strings.
                unsafe { libc::execve(SH.as_ptr(), exec.sh_argv.as_ptr(), exec.envp.as_ptr()) };
                // No shell to run it: the program's own error is the one to report.
                return (STAGE_EXEC, libc::ENOEXEC);
            }
            libc::EACCES => denied = true,
            // Not here: go on along PATH, as glibc does.
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return (STAGE_EXEC, last),
        }
    }
    (STAGE_EXEC, if denied { libc::EACCES } else { last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_bits_are_judged_as_the_kernel_judges_them() {
        let app = Who {
            uid: 1000,
            gid: 1000,
            groups: vec![27],
        };
        let root = Who {
            uid: 0,
            gid: 0,
            groups: vec![],
        };
        // (mode, owner, group, who, a directory?) → may execute or search
        let cases = [
            (0o755, 0, 0, &app, false, true),
            (0o750, 0, 0, &app, false, false),
            (0o750, 0, 27, &app, false, true),
            (0o750, 0, 1000, &app, false, true),
            // The owner's bits alone count for the owner, even when others' would allow.
            (0o071, 1000, 0, &app, false, false),
            (0o701, 0, 1000, &app, false, false),
            (0o700, 1000, 1000, &app, false, true),
            (0o644, 0, 0, &root, false, false),
            (0o001, 5, 5, &root, false, true),
            (0o700, 0, 0, &app, true, false),
            (0o000, 5, 5, &root, true, true),
        ];
        for (mode, uid, gid, who, dir, want) in cases {
            assert_eq!(
                may_execute(mode, uid, gid, who, dir),
                want,
                "{mode:o} {uid}:{gid} {who:?} dir {dir}"
            );
        }
    }

    #[test]
    fn a_file_starts_as_a_binary_a_script_or_neither() {
        let cases: [(&[u8], Start); 7] = [
            (b"\x7fELF\x02\x01", Start::Binary),
            (
                b"#!/bin/sh\nexit 0\n",
                Start::Interpreter(b"/bin/sh".to_vec()),
            ),
            (
                b"#! /usr/bin/env python3 -u\n",
                Start::Interpreter(b"/usr/bin/env".to_vec()),
            ),
            (b"#!\t/bin/bash", Start::Interpreter(b"/bin/bash".to_vec())),
            (b"#!\n", Start::Unknown),
            (b"echo hi\n", Start::Unknown),
            (b"", Start::Unknown),
        ];
        for (head, want) in cases {
            assert_eq!(start_of(head), want, "{:?}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn candidates_follow_execvp() {
        let list = |program: &str, path: Option<&str>| -> Vec<String> {
            candidates(program.as_bytes(), path.map(str::as_bytes))
                .into_iter()
                .map(|c| String::from_utf8_lossy(&c).into_owned())
                .collect()
        };
        assert_eq!(list("/bin/true", Some("/x")), ["/bin/true"]);
        assert_eq!(list("./run", Some("/x")), ["./run"]);
        assert_eq!(list("a/b", None), ["a/b"]);
        assert_eq!(
            list("app", Some("/usr/bin:/bin/")),
            ["/usr/bin/app", "/bin/app"]
        );
        assert_eq!(list("app", Some("/x::/y")), ["/x/app", "./app", "/y/app"]);
        assert_eq!(
            list("app", None),
            ["/usr/local/bin/app", "/bin/app", "/usr/bin/app"]
        );
        assert_eq!(
            list("app", Some("")),
            list("app", None),
            "empty PATH is unset"
        );
    }
}
