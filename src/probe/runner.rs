//! A probe that runs beside the one who asked for it: in a forked copy of
//! tend (`spawn::fork_work`), which checks under the probe's deadline and
//! writes its verdict to a pipe. The asker polls the pipe with its other
//! events and never blocks on the network; at the deadline it kills the
//! copy. Invariant: a check never outlives its deadline by more than
//! `KILL_MARGIN`, never outlives tend (the kernel kills it when tend dies),
//! and leaves no process and no descriptor behind once `finish` has run.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use super::{Health, Probe, check};
use crate::spawn;
use crate::sys;

/// After its own deadline the copy has this long to say so before SIGKILL.
/// Its verdict then says what it was doing ("timed out … while connecting").
const KILL_MARGIN: Duration = Duration::from_millis(100);

/// A check in flight.
#[derive(Debug)]
pub struct Running {
    pub pid: Pid,
    pipe: OwnedFd,
    /// When the copy is killed if it has not answered.
    pub deadline: Instant,
    timeout: Duration,
    answer: Vec<u8>,
    /// Someone else's waitpid(-1) reaped it: its pid may be anyone's now.
    reaped: bool,
}

/// Start `probe` in a forked copy of tend.
pub fn start(probe: &Probe) -> Result<Running, Errno> {
    let (pid, pipe) = spawn::fork_work(|| {
        let (code, text) = match check(probe) {
            Health::Healthy(what) => (b'0', what),
            Health::Unhealthy(why) => (b'1', why),
        };
        let mut bytes = vec![code];
        bytes.extend_from_slice(text.as_bytes());
        bytes
    })?;
    Ok(Running {
        pid,
        pipe,
        deadline: Instant::now() + probe.timeout + KILL_MARGIN,
        timeout: probe.timeout,
        answer: Vec::new(),
        reaped: false,
    })
}

impl Running {
    /// The pipe, for poll(2).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.pipe.as_fd()
    }

    /// Read what has arrived; the verdict once the copy has closed the pipe
    /// (or the deadline has passed), with the copy reaped. None: not yet.
    pub fn progress(&mut self, now: Instant) -> Option<Health> {
        let mut buf = [0u8; 1024];
        loop {
            match nix::unistd::read(&self.pipe, &mut buf) {
                Ok(0) => return Some(self.finish()),
                // A verdict is one bounded line; anything past 4 KiB is not one.
                Ok(n) if self.answer.len() < 4096 => self.answer.extend_from_slice(&buf[..n]),
                Ok(_) => {}
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) if now >= self.deadline => return Some(self.finish()),
                Err(Errno::EAGAIN) => return None,
                Err(_) => return Some(self.finish()),
            }
        }
    }

    /// The supervisor's waitpid(-1) has reaped the copy: never signal its pid again.
    pub fn mark_reaped(&mut self) {
        self.reaped = true;
    }

    /// Kill the copy if it still runs, reap it, and say what it found.
    pub fn finish(&mut self) -> Health {
        if !self.reaped {
            // ESRCH: it has exited already, which is the usual case.
            let _ = sys::kill(self.pid.as_raw(), libc::SIGKILL);
            // Only our own copy, which SIGKILL ends at once; ECHILD if the supervisor got it first.
            let _ = waitpid(self.pid, None);
            self.reaped = true;
        }
        match self.answer.split_first() {
            Some((b'0', what)) => Health::Healthy(String::from_utf8_lossy(what).into_owned()),
            Some((_, why)) if !why.is_empty() => {
                Health::Unhealthy(String::from_utf8_lossy(why).into_owned())
            }
            _ => Health::Unhealthy(format!(
                "timed out after {}",
                super::show_duration(self.timeout)
            )),
        }
    }
}
