//! Reaping: every exit waitpid(2) has for tend, drained at once. The
//! invariant: one SIGCHLD may stand for any number of exits, so a drain
//! goes on until nothing is left, never stopping at the child tend waits for.

use log::{error, info};
use nix::errno::Errno;
use nix::unistd::Pid;

use super::Supervisor;
use crate::error::exit;
use crate::signals;
use crate::sys::{self, Exit, Reap};

/// What one drain of waitpid found.
pub(super) struct Reaped {
    /// The main child's exit code (128+N for signal N), if it was among them.
    pub main: Option<u8>,
    /// Whether the health check's copy was among them.
    pub checker: bool,
    /// Whether any child of tend is still alive.
    pub others_remain: bool,
}

impl Supervisor {
    /// waitpid(-1, WNOHANG) until nothing is left to reap. One SIGCHLD can
    /// stand for any number of exits, so never stop at the first.
    pub(super) fn reap_all(&self, checker: Option<Pid>) -> Reaped {
        let mut reaped = Reaped {
            main: None,
            checker: false,
            others_remain: false,
        };
        loop {
            let (pid, code, signal) = match sys::reap_one() {
                Ok(Reap::Ended(pid, Exit::Code(code))) => {
                    (pid, u8::try_from(code).unwrap_or(u8::MAX), None)
                }
                Ok(Reap::Ended(pid, Exit::Signal(signo))) => {
                    (pid, exit::for_signal(signo), Some(signals::name(signo)))
                }
                Ok(Reap::Alive) => {
                    reaped.others_remain = true;
                    return reaped;
                }
                Ok(Reap::None) => return reaped,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    error!(error = e.desc(); "waitpid failed");
                    reaped.others_remain = true;
                    return reaped;
                }
            };
            let pid = Pid::from_raw(pid);
            if pid == self.child {
                match signal {
                    Some(signal) => {
                        info!(pid = pid.as_raw(), exit_code = code, signal = signal; "child exited")
                    }
                    None => info!(pid = pid.as_raw(), exit_code = code; "child exited"),
                }
                reaped.main = Some(code);
            } else if Some(pid) == checker {
                // The health check's own copy: its verdict is in its pipe, not its status.
                reaped.checker = true;
            } else {
                // -w: tini's warning; otherwise a debug record, with the signal as "child exited" has.
                let level = match self.warn_on_reap {
                    true => log::Level::Warn,
                    false => log::Level::Debug,
                };
                match signal {
                    Some(signal) => {
                        log::log!(level, pid = pid.as_raw(), exit_code = code, signal = signal; "Reaped zombie process with pid={pid}")
                    }
                    None => {
                        log::log!(level, pid = pid.as_raw(), exit_code = code; "Reaped zombie process with pid={pid}")
                    }
                }
            }
        }
    }
}
