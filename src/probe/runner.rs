//! A probe that runs beside the one who asked for it: in a forked copy of
//! tend (`spawn::fork_work`), which checks under the probe's deadline and
//! writes its verdict to a pipe. The asker polls the pipe with its other
//! events and never blocks on the network; at the deadline it kills the
//! copy. Invariant: a check never outlives its deadline by more than
//! `KILL_MARGIN`, never outlives tend (the kernel kills it when tend dies),
//! and leaves no process and no descriptor behind once `finish` has run.
//!
//! What the copy writes: first, perhaps, the verdict that stands if it is
//! killed from then on (`MEANWHILE`, its text's length in 4 bytes, the
//! text: while getaddrinfo(3), which has no timeout, holds it), then its
//! verdict (`HEALTHY` or `UNHEALTHY`, the text), which ends at the pipe's end.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use super::{Health, Probe, check};
use crate::spawn;
use crate::sys;

/// After its own deadline the copy has this long to say so before SIGKILL.
/// Its verdict then says what it was doing ("timed out … while connecting").
const KILL_MARGIN: Duration = Duration::from_millis(100);

/// The first byte of what the copy writes: which verdict follows.
const HEALTHY: u8 = b'0';
const UNHEALTHY: u8 = b'1';
const MEANWHILE: u8 = b'2';

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
    let (pid, pipe) = spawn::fork_work(|send| {
        let health = check(probe, &mut |text| send(&meanwhile(text)));
        let (code, text) = match health {
            Health::Healthy(what) => (HEALTHY, what),
            Health::Unhealthy(why) => (UNHEALTHY, why),
        };
        let mut bytes = vec![code];
        bytes.extend_from_slice(text.as_bytes());
        send(&bytes);
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
        verdict(&self.answer).unwrap_or_else(|| {
            Health::Unhealthy(format!(
                "timed out after {}",
                super::show_duration(self.timeout)
            ))
        })
    }
}

/// What the copy writes for the verdict that stands if it is killed from now on.
fn meanwhile(text: &str) -> Vec<u8> {
    let mut bytes = vec![MEANWHILE];
    // A verdict is a line of text, far below 4 GiB.
    bytes.extend_from_slice(&(text.len() as u32).to_ne_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// What the copy said (see the module's doc), or None when it said nothing
/// that stands: it was killed before its verdict, and before that had
/// said nothing meanwhile, or said it was past that point (an empty text).
fn verdict(answer: &[u8]) -> Option<Health> {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (mut meanwhile, mut rest) = (&[][..], answer);
    while let [MEANWHILE, a, b, c, d, after @ ..] = rest {
        let len = u32::from_ne_bytes([*a, *b, *c, *d]) as usize;
        // Killed while it wrote that: what it said before stands.
        let Some((said, after)) = after.split_at_checked(len) else {
            break;
        };
        (meanwhile, rest) = (said, after);
    }
    match rest.split_first() {
        Some((&HEALTHY, what)) => Some(Health::Healthy(text(what))),
        Some((&UNHEALTHY, why)) if !why.is_empty() => Some(Health::Unhealthy(text(why))),
        _ if meanwhile.is_empty() => None,
        _ => Some(Health::Unhealthy(text(meanwhile))),
    }
}

/// Start `probe` in a copy and wait for its verdict: `tend --probe` with a
/// name to resolve, whose deadline getaddrinfo(3) could not stretch then.
/// Nothing else to watch meanwhile, so this blocks, in poll(2).
pub fn wait(probe: &Probe) -> Health {
    let mut running = match start(probe) {
        Ok(running) => running,
        Err(e) => return Health::Unhealthy(format!("cannot start the probe: {}", e.desc())),
    };
    loop {
        let now = Instant::now();
        if let Some(health) = running.progress(now) {
            return health;
        }
        // Rounded up, so that the wake-up comes at the deadline, not just before it.
        let left = running.deadline.saturating_duration_since(now) + Duration::from_nanos(999_999);
        let timeout = PollTimeout::try_from(left.as_millis()).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(running.fd(), PollFlags::POLLIN)];
        // Whatever poll says (EINTR included), `progress` reads and judges the time.
        let _ = poll(&mut fds, timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_that_stands() {
        let said = |parts: &[&[u8]]| parts.concat();
        let resolving = meanwhile("timed out after 1s while resolving 'db'");
        let cut = &resolving[..3];
        let cases: [(Vec<u8>, Option<Health>); 11] = [
            (
                said(&[b"0HTTP 200"]),
                Some(Health::Healthy("HTTP 200".into())),
            ),
            (
                said(&[b"1refused"]),
                Some(Health::Unhealthy("refused".into())),
            ),
            (said(&[]), None),
            (said(&[b"1"]), None),
            (
                said(&[&resolving]),
                Some(Health::Unhealthy(
                    "timed out after 1s while resolving 'db'".into(),
                )),
            ),
            (
                said(&[&resolving, b"1cannot resolve 'db'"]),
                Some(Health::Unhealthy("cannot resolve 'db'".into())),
            ),
            // Past the resolver, the copy keeps its own deadline again.
            (said(&[&resolving, &meanwhile("")]), None),
            (
                said(&[&resolving, &meanwhile(""), b"0TCP connect"]),
                Some(Health::Healthy("TCP connect".into())),
            ),
            // Killed while it wrote the next one: the one before stands.
            (
                said(&[&resolving, cut]),
                Some(Health::Unhealthy(
                    "timed out after 1s while resolving 'db'".into(),
                )),
            ),
            (said(&[&resolving[..resolving.len() - 1]]), None),
            (said(&[cut]), None),
        ];
        for (answer, want) in cases {
            assert_eq!(verdict(&answer), want, "{answer:?}");
        }
    }
}
