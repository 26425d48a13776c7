//! Supervision: the one loop. Wait for a signal or a deadline → forward
//! (`forward`) / reap (`reap`) / check (`watchdog`) / drain → the main
//! child's exit status.
//!
//! This runs after the point of no return (catatonit: "after this point we
//! may no longer bail"). Nothing here returns an error: failures are logged
//! and the loop goes on, and only the main child's fate ends it. The loop
//! sleeps in read(2) on the signalfd, or in poll(2) while a deadline is
//! pending (`--grace`, `--stop-delay`, or `--health`'s next check), so an
//! idle tend makes no system calls at all. A health check runs in a forked
//! copy and only ever adds its pipe to that poll: the loop never waits on one.

// The loop drives this once issue 19 lands; until then it is only table-tested.
#[allow(dead_code)]
pub mod children;
mod forward;
mod reap;
mod watchdog;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::Pid;

use crate::error::exit;
use crate::health::{self, Watch};
use crate::signals::{self, Action, SIGKILL, SIGTERM};
use crate::sys;
pub use forward::Forwarding;
use forward::Handoff;
use watchdog::Watchdog;

pub struct Supervisor {
    pub sigfd: OwnedFd,
    /// tend's pid as its own namespace sees it, to spot signals it raised itself.
    pub own_pid: u32,
    pub child: Pid,
    pub is_pid1: bool,
    pub warn_on_reap: bool,
    pub grace: Option<Duration>,
    /// `--stop-delay`: how long the first stop signal is held while the app runs on.
    pub stop_delay: Option<Duration>,
    pub forwarding: Forwarding,
    /// `--health`: the watchdog, when asked for.
    pub health: Option<health::Settings>,
}

/// How long tend goes on killing and reaping after its final SIGKILL, for
/// processes it adopts only as their parents die. SIGKILL acts at once, so
/// only a process stuck in the kernel (state D) can outlast this.
const KILL_BOUND: Duration = Duration::from_secs(5);
/// How often tend looks for newly adopted processes while it kills: an
/// adoption sends no signal, so it has to look.
const KILL_POLL: Duration = Duration::from_millis(20);

/// How supervising ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// With this status of the main child's (128+N for signal N, 137 when
    /// tend killed it after --grace), which `-e` may remap.
    Child(u8),
    /// The watchdog stopped the app for being unhealthy (`--health`).
    Unhealthy,
}

/// What the loop keeps between wake-ups.
struct Run {
    main_status: Option<u8>,
    /// A stop has begun, from outside or from the watchdog: the next stop signal goes at once.
    stopping: bool,
    /// --stop-delay: the stop signal held back, and when it goes.
    held: Option<(i32, Instant)>,
    /// --grace, path 1: when a stop signal has gone unheeded too long.
    kill_at: Option<Instant>,
    /// --grace, path 2: when orphans outliving the main child get SIGKILL.
    drain_until: Option<Instant>,
    /// After the final SIGKILL: until when tend goes on killing what it
    /// adopts, and the status it will then exit with.
    killing: Option<(Instant, u8)>,
    handoff: Option<Handoff>,
    /// None once a stop has begun, whoever began it: shutdown wins.
    watchdog: Option<Watchdog>,
    /// The watchdog began the stop; this names tend's exit status.
    stopped_unhealthy: bool,
}

impl Supervisor {
    /// Supervise until the main child is gone (and, with `--grace`, its
    /// orphans too).
    pub fn run(self) -> Ended {
        let now = Instant::now();
        let mut run = Run {
            main_status: None,
            stopping: false,
            held: None,
            kill_at: None,
            drain_until: None,
            killing: None,
            handoff: self.forwarding.handoff.then(Handoff::default),
            watchdog: self.health.clone().map(|settings| Watchdog {
                watch: Watch::new(&settings, now),
                settings,
                running: None,
            }),
            stopped_unhealthy: false,
        };
        loop {
            if let Some(status) = self.step(&mut run) {
                return match run.stopped_unhealthy {
                    true => Ended::Unhealthy,
                    false => Ended::Child(status),
                };
            }
        }
    }

    /// One wake-up: signals, reaping, the watchdog, deadlines. Some(status) when done.
    fn step(&self, run: &mut Run) -> Option<u8> {
        let watched = run.watchdog.as_ref().filter(|_| run.main_status.is_none());
        let deadline = match run.killing {
            Some(_) => Some(Instant::now() + KILL_POLL),
            None => [
                run.held.map(|(_, until)| until),
                run.kill_at,
                run.drain_until,
                watched.and_then(Watchdog::deadline),
            ]
            .into_iter()
            .flatten()
            .min(),
        };
        let pipe = watched
            .and_then(|w| w.running.as_ref())
            .map(|(r, _)| r.fd());
        let mut reap = run.killing.is_some();
        for (signo, sender) in self.next_signals(deadline, pipe) {
            let action =
                signals::classify(signo, sender == self.own_pid, self.forwarding.job_control);
            match action {
                // First, whoever sent it: the kernel's hand-off signals name tend as their
                // sender, and skipping them as self-raised would leave the next real one to this.
                _ if run.handoff.as_mut().is_some_and(|h| h.take(signo)) => {
                    debug!(signal = signals::name(signo); "ignored the terminal hand-off's signal");
                }
                Action::Reap => reap = true,
                Action::Ignore => debug!(signal = signals::name(signo); "ignored signal"),
                Action::Forward | Action::JobControl if run.main_status.is_some() => {
                    debug!(signal = signals::name(signo); "signal after the child exited, not forwarded");
                }
                Action::Forward | Action::JobControl => {
                    // What arrived decides, as well as what --rewrite makes of it (issue 18 #12).
                    let stop = self.forwarding.stops.contains(signo);
                    if stop && self.hold(run, signo) {
                        continue;
                    }
                    self.forward(signo, stop);
                    if action == Action::JobControl {
                        // Ctrl-Z: the session has been stopped, and tend stops with it (dumb-init).
                        debug!(signal = signals::name(signo); "stopping tend too, until SIGCONT");
                        let _ = sys::kill(self.own_host_pid(), signals::SIGSTOP);
                    }
                    if stop {
                        self.begin_stop(run, self.grace);
                    }
                }
            }
        }
        let checker = run
            .watchdog
            .as_ref()
            .and_then(|w| w.running.as_ref())
            .map(|(r, _)| r.pid);
        let mut others_remain = true;
        if reap {
            let reaped = self.reap_all(checker);
            others_remain = reaped.others_remain;
            if reaped.checker
                && let Some((running, _)) = run.watchdog.as_mut().and_then(|w| w.running.as_mut())
            {
                running.mark_reaped();
            }
            if run.main_status.is_none() && reaped.main.is_some() {
                run.main_status = reaped.main;
                // Nothing left to kill or stop the child for; a stale deadline would only spin the loop.
                run.kill_at = None;
                run.held = None;
                if self.forwarding.setsid {
                    self.terminate_session();
                }
                // No more checks: the app is gone. One in flight must not hold up the exit.
                if run.watchdog.take().is_some_and(Watchdog::stop) {
                    others_remain = self.reap_all(None).others_remain;
                }
            }
        }
        let now = Instant::now();
        if run.main_status.is_none() {
            self.watch(run, now);
        }
        if let Some((until, status)) = run.killing {
            // As PID 1, tend's exit ends the namespace, whatever is left in it.
            let done = run.main_status.is_some() && (self.is_pid1 || !others_remain);
            if done || now >= until {
                if !done {
                    warn!(bound_ms = KILL_BOUND.as_millis() as u64; "processes outlived SIGKILL (stuck in the kernel?): exiting without them");
                }
                return Some(status);
            }
            // Orphaned by the kill itself, and adopted since: they get it too.
            self.kill_everyone(SIGKILL);
            return None;
        }
        let Some(status) = run.main_status else {
            if let Some((signo, _)) = run.held.filter(|&(_, until)| now >= until) {
                run.held = None;
                self.forward(signo, true);
                self.begin_stop(run, self.grace);
            }
            if run.kill_at.is_some_and(|t| now >= t) {
                warn!(pid = self.child.as_raw(); "the child outlived --grace after a stop signal: sending SIGKILL to it and every process left");
                self.kill_everyone(SIGKILL);
                run.killing = Some((now + KILL_BOUND, exit::KILLED));
                run.kill_at = None;
            }
            return None;
        };
        if self.grace.is_none() || !others_remain {
            return Some(status);
        }
        match run.drain_until {
            None => {
                info!("the child exited and other processes remain: sending them SIGTERM");
                self.kill_everyone(SIGTERM);
                run.drain_until = self.grace.map(|g| now + g);
            }
            Some(t) if now >= t => {
                warn!("processes outlived --grace after the child exited: sending SIGKILL");
                self.kill_everyone(SIGKILL);
                run.killing = Some((now + KILL_BOUND, status));
            }
            Some(_) => {}
        }
        None
    }

    /// A stop has begun, from outside or from the watchdog: arm the kill
    /// deadline once (a second stop signal starts no second countdown), and
    /// stop watching the app's health, since shutdown wins.
    fn begin_stop(&self, run: &mut Run, grace: Option<Duration>) {
        run.stopping = true;
        if let (Some(grace), None) = (grace, run.kill_at) {
            run.kill_at = Some(Instant::now() + grace);
        }
        if let Some(dog) = run.watchdog.take() {
            // A check in flight is killed and reaped; its verdict no longer matters.
            dog.stop();
        }
    }

    /// --stop-delay, for stop signal `signo`: true when it is held rather than
    /// forwarded now. The first stop signal is held, the app running on (a
    /// load balancer takes it out of rotation meanwhile), and the watchdog
    /// stops at once, as in any stop; a stop signal while one is held
    /// releases it: the new one is forwarded now, in its place, and --grace
    /// counts from there. (issue 18 #17; Kubernetes' preStop `sleep`.)
    fn hold(&self, run: &mut Run, signo: i32) -> bool {
        if run.held.take().is_some() {
            info!(signal = signals::name(signo); "a second stop signal: forwarding it now, before --stop-delay has passed");
            return false;
        }
        let Some(delay) = self.stop_delay.filter(|_| !run.stopping) else {
            return false;
        };
        info!(signal = signals::name(signo), delay_ms = delay.as_millis() as u64; "stop signal held for --stop-delay: the app runs on until then");
        run.held = Some((signo, Instant::now() + delay));
        self.begin_stop(run, None);
        true
    }

    /// Sleep until signals arrive, `pipe` (a check's) has news, or
    /// `deadline` passes; returns (signal number, sender's pid) for each
    /// signal read.
    ///
    /// The signalfd is blocking: with no deadline and no check, one read(2)
    /// is the whole wait, one system call per wake-up as in catatonit.
    /// poll(2) comes in only while a deadline is pending. More than a
    /// buffer's worth of signals simply makes the next read return at once.
    fn next_signals(&self, deadline: Option<Instant>, pipe: Option<BorrowedFd>) -> Vec<(i32, u32)> {
        if deadline.is_some() || pipe.is_some() {
            // Round up, so the loop never wakes a millisecond early and spins.
            let timeout = match deadline {
                Some(t) => {
                    let left =
                        t.saturating_duration_since(Instant::now()) + Duration::from_micros(999);
                    PollTimeout::try_from(left.as_millis()).unwrap_or(PollTimeout::MAX)
                }
                None => PollTimeout::NONE,
            };
            let mut fds = vec![PollFd::new(self.sigfd.as_fd(), PollFlags::POLLIN)];
            fds.extend(pipe.map(|fd| PollFd::new(fd, PollFlags::POLLIN)));
            match poll(&mut fds, timeout) {
                Ok(0) => return Vec::new(),
                Ok(_) if !fds[0].any().unwrap_or(false) => return Vec::new(),
                Ok(_) => {}
                // EINTR cannot happen with every signal blocked; either way, the loop comes back.
                Err(e) => {
                    if e != Errno::EINTR {
                        error!(error = e.desc(); "poll on the signalfd failed");
                    }
                    return Vec::new();
                }
            }
        }
        match sys::read_signals(&self.sigfd) {
            Ok(signals) => signals,
            Err(e) => {
                error!(error = e.desc(); "reading the signalfd failed");
                Vec::new()
            }
        }
    }

    /// tend's pid in the namespace its own signals are sent in.
    fn own_host_pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.own_pid).unwrap_or(0)
    }
}
