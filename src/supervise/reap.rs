//! Reaping: every exit waitpid(2) has for tend, drained at once. The
//! invariant: one SIGCHLD may stand for any number of exits, so a drain
//! goes on until nothing is left, never stopping at a child tend waits for.
//! What each exit means is the loop's business (`children`), not this one's.

use nix::errno::Errno;
use nix::unistd::Pid;

use super::children::Exit;
use crate::error::exit;
use crate::logger::error;
use crate::sys::{self, Reap};

/// waitpid(-1, WNOHANG) until nothing is left to reap, handing `each`
/// every process reaped, and how it ended, as soon as it is reaped: its
/// record is written between one waitpid and the next, as it always was,
/// so a stalled stderr or a burst of thousands of exits changes nothing.
/// Returns whether any child of tend is still alive. One SIGCHLD can stand
/// for any number of exits, so never stop at the first.
pub(super) fn reap_all(mut each: impl FnMut(Pid, Exit)) -> bool {
    loop {
        let (pid, ended) = match sys::reap_one() {
            Ok(Reap::Ended(pid, sys::Exit::Code(code))) => (
                pid,
                Exit {
                    code: u8::try_from(code).unwrap_or(u8::MAX),
                    signal: None,
                },
            ),
            Ok(Reap::Ended(pid, sys::Exit::Signal(signo))) => (
                pid,
                Exit {
                    code: exit::for_signal(signo),
                    signal: Some(signo),
                },
            ),
            Ok(Reap::Alive) => return true,
            Ok(Reap::None) => return false,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                error!(error = e.desc(); "waitpid failed");
                return true;
            }
        };
        each(Pid::from_raw(pid), ended);
    }
}
