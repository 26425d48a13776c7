//! Signals before the program starts. tend reads secrets, renders and
//! chowns with every signal blocked; a `docker stop` meanwhile must not wait
//! for SIGKILL (issue 18). The invariant: between set-up steps, between
//! files, and between the entries of a walk, a stop signal that has arrived
//! (`signals::Stops`: as it came or as `--rewrite` makes it) ends set-up
//! with 128+N; any other is logged and dropped, as there is no program yet
//! to forward it to, and SIGCHLD reaps. A run with no set-up step never
//! looks, so its signals reach the program as before.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::error::Error;
use crate::logger::{debug, info};
use crate::signals::{self, Action, Stops};
use crate::sys::{self, Reap};

/// A walk looks at most this often: a poll(2) per entry would double its system calls.
const EVERY: Duration = Duration::from_millis(10);

/// The signalfd, watched between set-up steps.
pub struct Watch<'a> {
    sigfd: &'a OwnedFd,
    own_pid: u32,
    stops: Stops,
    last: Instant,
}

impl<'a> Watch<'a> {
    pub fn new(sigfd: &'a OwnedFd, own_pid: u32, stops: Stops) -> Watch<'a> {
        Watch {
            sigfd,
            own_pid,
            stops,
            last: Instant::now(),
        }
    }

    /// Err(`Error::Stopped`) if a stop signal has arrived; `during` says
    /// what tend was doing ("while changing owners (--chown /data)").
    /// Never waits.
    pub fn check(&mut self, during: &str) -> Result<(), Error> {
        self.last = Instant::now();
        let mut fds = [PollFd::new(self.sigfd.as_fd(), PollFlags::POLLIN)];
        // EINTR cannot happen with every signal blocked; an error means nothing is known to wait.
        if !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0) {
            return Ok(());
        }
        // Readable, so this read returns at once.
        let received = sys::read_signals(self.sigfd).unwrap_or_default();
        match sort(&received, self.own_pid, self.stops, &mut reap_orphans) {
            Some(signo) => Err(Error::Stopped {
                signo,
                during: during.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// As `check`, but at most every 10 ms: for each entry of a walk.
    pub fn tick(&mut self, during: &str) -> Result<(), Error> {
        match self.last.elapsed() < EVERY {
            true => Ok(()),
            false => self.check(during),
        }
    }
}

/// What signals read before the program starts ask for: the first stop
/// signal among `received` ((signal, sender) pairs), if there is one. The
/// others are logged and dropped; a SIGCHLD calls `reap`.
pub fn sort(
    received: &[(i32, u32)],
    own_pid: u32,
    stops: Stops,
    reap: &mut dyn FnMut(),
) -> Option<i32> {
    for &(signo, sender) in received {
        match signals::classify(signo, sender == own_pid, false) {
            Action::Reap => reap(),
            Action::Forward | Action::JobControl if stops.contains(signo) => return Some(signo),
            Action::Forward | Action::JobControl => {
                info!(signal = signals::name(signo); "dropped signal: there is no program yet to forward it to");
            }
            Action::Ignore => debug!(signal = signals::name(signo); "ignored signal"),
        }
    }
    None
}

/// As PID 1, orphans that some `docker exec` left may end during set-up.
fn reap_orphans() {
    while let Ok(Reap::Ended(..)) = sys::reap_one() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::{DEFAULT_STOP, Rewrite, SIGCHLD, SIGHUP, SIGINT, SIGTERM};

    #[test]
    fn the_first_stop_signal_ends_set_up_and_the_others_are_dropped() {
        let stops = Stops {
            set: DEFAULT_STOP,
            rewrite: Rewrite::default(),
        };
        let mut quit = Rewrite::default();
        quit.set(SIGTERM, 3);
        let rewritten = Stops {
            set: signals::Set::of(&[3]),
            rewrite: quit,
        };
        // What arrived, the stop set, the stop found, and how many reaps.
        type Case<'a> = (&'a [(i32, u32)], Stops, Option<i32>, usize);
        let cases: [Case; 7] = [
            (&[], stops, None, 0),
            (&[(SIGHUP, 7)], stops, None, 0),
            (&[(SIGCHLD, 7), (SIGHUP, 7)], stops, None, 1),
            (
                &[(SIGHUP, 7), (SIGTERM, 7), (SIGINT, 7)],
                stops,
                Some(SIGTERM),
                0,
            ),
            (&[(SIGCHLD, 7), (SIGINT, 7)], stops, Some(SIGINT), 1),
            // A signal tend raised on itself (a closed stderr's SIGPIPE) is nobody's stop.
            (&[(SIGTERM, 1)], stops, None, 0),
            // TERM, rewritten to QUIT under --stop-signals QUIT, still stops.
            (&[(SIGTERM, 7)], rewritten, Some(SIGTERM), 0),
        ];
        for (received, stops, want, reaps) in cases {
            let mut reaped = 0;
            assert_eq!(
                sort(received, 1, stops, &mut || reaped += 1),
                want,
                "{received:?}"
            );
            assert_eq!(reaped, reaps, "{received:?}");
        }
    }
}
