//! Starting the child: the one place where code runs between fork and exec.
//!
//! Everything the child needs is prepared before the fork; between fork and
//! exec the child makes only async-signal-safe calls on that data, in tini's
//! order: its own process group, the terminal's foreground (while SIGTTOU is
//! still blocked), then the signal mask tend itself was started with. Rust's
//! std does not reset the mask in children (rust-lang/rust#101077), and
//! tend's own mask is full, so this step is what lets the app see SIGTERM.
#![allow(unsafe_code)]

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{
    ForkResult, Pid, fork, getpgrp, getpid, isatty, pipe2, setpgid, tcgetpgrp, tcsetpgrp,
};

use crate::error::Error;
use crate::sys::{self, SigSet};

/// Start `command` in its own process group; returns its pid once exec has
/// succeeded. `env` is set on top of tend's own environment, and `mask` is
/// the signal mask tend was started with.
///
/// A hand-rolled fork and exec rather than std's Command, which costs about
/// 50 KB of binary for features tend does not use. Failures in the child
/// come back through a close-on-exec pipe: nothing read means exec worked.
pub fn spawn(command: &[OsString], env: &[(String, OsString)], mask: SigSet) -> Result<Pid, Error> {
    let Some(program) = command.first() else {
        return Err(Error::Usage("no program to run".into()));
    };
    let name = program.to_string_lossy().into_owned();
    let not_c = |_| Error::Spawn {
        program: name.clone(),
        source: io::Error::from_raw_os_error(libc::EINVAL),
    };
    let argv: Vec<CString> = command
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(not_c)?;
    let envp: Option<Vec<CString>> = if env.is_empty() {
        None
    } else {
        let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| !env.iter().any(|(e, _)| k == e.as_str()))
            .collect();
        vars.extend(env.iter().map(|(k, v)| (OsString::from(k), v.clone())));
        let joined = vars.into_iter().map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            CString::new(kv)
        });
        Some(joined.collect::<Result<_, _>>().map_err(not_c)?)
    };
    let argv_ptrs = null_terminated(&argv);
    let envp_ptrs = envp.as_deref().map(null_terminated);

    // The child takes the terminal only if tend has it: a tend started in
    // the background must not steal the foreground from the shell.
    let stdin = std::io::stdin();
    let foreground =
        isatty(&stdin).unwrap_or(false) && tcgetpgrp(&stdin).is_ok_and(|pgrp| pgrp == getpgrp());
    let (report_rx, report_tx) =
        pipe2(OFlag::O_CLOEXEC).map_err(Error::setup("making the exec-status pipe"))?;

    // SAFETY: tend is single-threaded, so the child is a faithful copy; it
    // only runs `child_steps`, which is async-signal-safe, and never returns.
    match unsafe { fork() }.map_err(Error::setup("forking the child"))? {
        ForkResult::Child => {
            let (stage, errno) = child_steps(foreground, mask, &argv_ptrs, envp_ptrs.as_deref());
            let mut report = [stage, 0, 0, 0, 0];
            report[1..].copy_from_slice(&errno.to_ne_bytes());
            // If the report cannot be written the parent sees a clean exec and then a 127 exit.
            let _ = nix::unistd::write(&report_tx, &report);
            // SAFETY: _exit is async-signal-safe and skips tend's atexit handlers and destructors.
            unsafe { libc::_exit(127) }
        }
        ForkResult::Parent { child } => {
            drop(report_tx);
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

const STAGE_SETUP: u8 = 0;
const STAGE_EXEC: u8 = 1;

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// Between fork and exec: returns only on failure, with the stage and errno.
fn child_steps(
    foreground: bool,
    mask: SigSet,
    argv: &[*const libc::c_char],
    envp: Option<&[*const libc::c_char]>,
) -> (u8, i32) {
    if let Err(e) = setpgid(Pid::from_raw(0), Pid::from_raw(0)) {
        return (STAGE_SETUP, e as i32);
    }
    if foreground {
        // SAFETY: fd 0 is open (isatty said so before the fork) and stays open until exec.
        let tty = unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) };
        // Losing a race for the terminal is no reason not to run the program.
        let _ = tcsetpgrp(tty, getpid());
    }
    // Dispositions need no restoring: tend installs no handlers, and as its
    // main is its own, std never set SIGPIPE to ignored either.
    if let Err(e) = sys::set_mask(mask) {
        return (STAGE_SETUP, e as i32);
    }
    // SAFETY: argv and envp are NUL-terminated arrays of pointers to live
    // C strings, built before the fork; exec only returns on failure.
    unsafe {
        match envp {
            Some(envp) => libc::execvpe(argv[0], argv.as_ptr(), envp.as_ptr()),
            None => libc::execvp(argv[0], argv.as_ptr()),
        };
    }
    (STAGE_EXEC, Errno::last_raw())
}
