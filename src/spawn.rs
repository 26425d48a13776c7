//! Starting the child: the one place where code runs between fork and exec.
//!
//! Everything the child needs is prepared before the fork; the pre-exec step
//! makes only async-signal-safe calls on plain integers, in tini's order:
//! its own process group, the terminal's foreground (while SIGTTOU is still
//! blocked), then the dispositions and the mask tend itself was started with.
//! Rust's std no longer resets the mask in children (rust-lang/rust#101077),
//! and it resets SIGPIPE to the default, so both are restored here.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::unistd::{Pid, getpgrp, getpid, isatty, setpgid, tcgetpgrp, tcsetpgrp};

use crate::error::Error;
use crate::signals::SIGPIPE;
use crate::sys::{self, SigSet};

/// What the child inherits, captured while tend is still as it was started.
#[derive(Debug, Clone, Copy)]
pub struct Inherited {
    /// The signal mask tend was started with.
    pub mask: SigSet,
    /// Whether tend was started with SIGPIPE ignored.
    pub sigpipe_ignored: bool,
}

impl Inherited {
    /// Call before anything changes a disposition. tend itself installs no
    /// handlers, and `main` is ours, so only std's SIGPIPE reset in the child
    /// would differ from what tend was given.
    pub fn capture(mask: SigSet) -> Inherited {
        Inherited {
            mask,
            sigpipe_ignored: sys::is_ignored(SIGPIPE),
        }
    }
}

/// Start `command` in its own process group; returns its pid once exec has
/// succeeded. `env` is set on top of tend's own environment.
pub fn spawn(
    command: &[OsString],
    env: &[(String, OsString)],
    inherited: Inherited,
) -> Result<Pid, Error> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Usage("no program to run".into()));
    };
    // The child takes the terminal only if tend has it: a tend started in
    // the background must not steal the foreground from the shell.
    let stdin = std::io::stdin();
    let foreground =
        isatty(&stdin).unwrap_or(false) && tcgetpgrp(&stdin).is_ok_and(|pgrp| pgrp == getpgrp());
    let Inherited {
        mask,
        sigpipe_ignored,
    } = inherited;

    let mut cmd = Command::new(program);
    cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    let pre_exec = move || -> io::Result<()> {
        setpgid(Pid::from_raw(0), Pid::from_raw(0)).map_err(io::Error::from)?;
        if foreground {
            // SAFETY: fd 0 is open (isatty said so before the fork) and stays open until exec.
            let tty = unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) };
            // Losing a race for the terminal is no reason not to run the program.
            let _ = tcsetpgrp(tty, getpid());
        }
        if sigpipe_ignored {
            sys::ignore(SIGPIPE).map_err(io::Error::from)?;
        }
        sys::set_mask(mask).map_err(io::Error::from)?;
        Ok(())
    };
    // SAFETY: the closure runs in the forked child of a single-threaded
    // process. It allocates nothing and calls only setpgid, getpid,
    // tcsetpgrp, signal and rt_sigprocmask, all async-signal-safe, on
    // integers copied before the fork.
    unsafe { cmd.pre_exec(pre_exec) };

    let child = cmd.spawn().map_err(|source| Error::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    })?;
    let pid = i32::try_from(child.id()).map_err(|_| Error::Spawn {
        program: program.to_string_lossy().into_owned(),
        source: io::Error::from_raw_os_error(libc::EOVERFLOW),
    })?;
    // Dropping std's Child neither waits nor kills: the supervisor reaps it.
    Ok(Pid::from_raw(pid))
}
