//! The loop: wait for a signal or a deadline → forward / reap / drain → the
//! main child's exit status.
//!
//! This runs after the point of no return (catatonit: "after this point we
//! may no longer bail"). Nothing here returns an error: failures are logged
//! and the loop goes on, and only the main child's fate ends it. The loop
//! sleeps in read(2) on the signalfd, or in poll(2) while a `--grace`
//! deadline is pending, so an idle tend makes no system calls at all.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::Pid;

use crate::error::exit;
use crate::signals::{self, Action, SIGCONT, SIGKILL, SIGTERM};
use crate::sys::{self, Exit, Reap};

/// Who a signal is for. rustix's kill_process / kill_process_group, plus
/// kill(-1) for "everyone in the namespace", which only PID 1 may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Child(Pid),
    Group(Pid),
    All,
}

impl Target {
    pub fn send(self, signo: i32) -> Result<(), Errno> {
        match self {
            Target::Child(pid) => sys::kill(pid.as_raw(), signo),
            Target::Group(pgid) => sys::kill(-pgid.as_raw(), signo),
            Target::All => sys::kill(-1, signo),
        }
    }
}

pub struct Supervisor {
    pub sigfd: OwnedFd,
    /// tend's pid as its own namespace sees it, to spot signals it raised itself.
    pub own_pid: u32,
    pub child: Pid,
    pub is_pid1: bool,
    pub warn_on_reap: bool,
    pub grace: Option<Duration>,
    pub forwarding: Forwarding,
}

/// How a signal from outside reaches the processes tend supervises.
#[derive(Debug, Clone, Copy)]
pub struct Forwarding {
    /// `-g`: to the child's process group.
    pub group: bool,
    /// `--signal-all`: to every process tend supervises.
    pub all: bool,
    /// `--setsid`: job control (Ctrl-Z stops the session and tend), and a
    /// SIGTERM to the child's group when the child exits, as dumb-init does.
    pub setsid: bool,
    pub rewrite: signals::Rewrite,
    /// `--drop-unhandled`: drop what would kill the child only for want of a handler.
    pub drop_unhandled: bool,
    /// The signals that ask the app to stop: they start `grace`.
    pub stop_signals: signals::Set,
    /// Follow a stop signal with SIGCONT; dumb-init never did, so not under its name.
    pub continue_after_stop: bool,
    /// dumb-init's terminal hand-off: when tend, a session leader, let go of
    /// its terminal, the kernel sent its group SIGHUP and SIGCONT. The first
    /// of each is that, not a request, and is not forwarded.
    pub handoff: bool,
}

/// How long tend goes on killing and reaping after its final SIGKILL, for
/// processes it adopts only as their parents die. SIGKILL acts at once, so
/// only a process stuck in the kernel (state D) can outlast this.
const KILL_BOUND: Duration = Duration::from_secs(5);
/// How often tend looks for newly adopted processes while it kills: an
/// adoption sends no signal, so it has to look.
const KILL_POLL: Duration = Duration::from_millis(20);

/// What one drain of waitpid found.
struct Reaped {
    /// The main child's exit code (128+N for signal N), if it was among them.
    main: Option<u8>,
    /// Whether any child of tend is still alive.
    others_remain: bool,
}

impl Supervisor {
    /// Supervise until the main child is gone (and, with `--grace`, its
    /// orphans too). Returns the main child's exit code before `-e`, or 137
    /// if the grace ran out and tend killed it.
    pub fn run(self) -> u8 {
        let mut main_status: Option<u8> = None;
        // --grace, path 1: when a forwarded stop signal has gone unheeded too long.
        let mut kill_at: Option<Instant> = None;
        // --grace, path 2: when orphans outliving the main child get SIGKILL.
        let mut drain_until: Option<Instant> = None;
        // After the final SIGKILL: until when tend goes on killing what it
        // adopts, and the status it will then exit with.
        let mut killing: Option<(Instant, u8)> = None;
        let mut handoff = self.forwarding.handoff.then(Handoff::default);
        loop {
            let deadline = match killing {
                Some(_) => Some(Instant::now() + KILL_POLL),
                None => kill_at.or(drain_until),
            };
            let mut reap = killing.is_some();
            for (signo, sender) in self.next_signals(deadline) {
                let action =
                    signals::classify(signo, sender == self.own_pid, self.forwarding.setsid);
                match action {
                    Action::Reap => reap = true,
                    Action::Ignore => debug!(signal = signals::name(signo); "ignored signal"),
                    Action::Forward | Action::JobControl if main_status.is_some() => {
                        debug!(signal = signals::name(signo); "signal after the child exited, not forwarded");
                    }
                    _ if handoff.as_mut().is_some_and(|h| h.take(signo)) => {
                        debug!(signal = signals::name(signo); "ignored the terminal hand-off's signal");
                    }
                    Action::Forward | Action::JobControl => {
                        let sent = self.forward(signo);
                        if action == Action::JobControl {
                            // Ctrl-Z: the session has been stopped, and tend stops with it (dumb-init).
                            debug!(signal = signals::name(signo); "stopping tend too, until SIGCONT");
                            let _ = sys::kill(self.own_host_pid(), signals::SIGSTOP);
                        }
                        if let (Some(grace), None, Some(sent)) = (self.grace, kill_at, sent)
                            && self.forwarding.stop_signals.contains(sent)
                        {
                            kill_at = Some(Instant::now() + grace);
                        }
                    }
                }
            }
            let mut others_remain = true;
            if reap {
                let reaped = self.reap_all();
                others_remain = reaped.others_remain;
                if main_status.is_none() && reaped.main.is_some() {
                    main_status = reaped.main;
                    // Nothing left to kill the child for; a stale deadline would only spin the loop.
                    kill_at = None;
                    if self.forwarding.setsid {
                        self.terminate_session();
                    }
                }
            }
            let now = Instant::now();
            if let Some((until, status)) = killing {
                // As PID 1, tend's exit ends the namespace, whatever is left in it.
                let done = main_status.is_some() && (self.is_pid1 || !others_remain);
                if done || now >= until {
                    if !done {
                        warn!(bound_ms = KILL_BOUND.as_millis() as u64; "processes outlived SIGKILL (stuck in the kernel?): exiting without them");
                    }
                    return status;
                }
                // Orphaned by the kill itself, and adopted since: they get it too.
                self.kill_everyone(SIGKILL);
                continue;
            }
            let Some(status) = main_status else {
                if kill_at.is_some_and(|t| now >= t) {
                    warn!(pid = self.child.as_raw(); "the child outlived --grace after a stop signal: sending SIGKILL to it and every process left");
                    self.kill_everyone(SIGKILL);
                    killing = Some((now + KILL_BOUND, exit::KILLED));
                    kill_at = None;
                }
                continue;
            };
            if self.grace.is_none() || !others_remain {
                return status;
            }
            match drain_until {
                None => {
                    info!("the child exited and other processes remain: sending them SIGTERM");
                    self.kill_everyone(SIGTERM);
                    drain_until = self.grace.map(|g| now + g);
                }
                Some(t) if now >= t => {
                    warn!("processes outlived --grace after the child exited: sending SIGKILL");
                    self.kill_everyone(SIGKILL);
                    killing = Some((now + KILL_BOUND, status));
                }
                Some(_) => {}
            }
        }
    }

    /// Sleep until signals arrive or `deadline` passes; returns (signal
    /// number, sender's pid) for each signal read.
    ///
    /// The signalfd is blocking: with no deadline, one read(2) is the whole
    /// wait, one system call per wake-up as in catatonit. poll(2) comes in
    /// only while a `--grace` deadline is pending. More than a buffer's worth
    /// of signals simply makes the next read return at once.
    fn next_signals(&self, deadline: Option<Instant>) -> Vec<(i32, u32)> {
        if let Some(t) = deadline {
            // Round up, so the loop never wakes a millisecond early and spins.
            let left = t.saturating_duration_since(Instant::now()) + Duration::from_micros(999);
            let timeout = PollTimeout::try_from(left.as_millis()).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(self.sigfd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) => return Vec::new(),
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

    /// Pass `signo` on, as `--rewrite` says, to the child, its group with
    /// `-g`, or everyone with `--signal-all`. Returns the signal sent, if any.
    /// A stop signal is followed by SIGCONT, as systemd does (systemd.kill(5)):
    /// a stopped app, after Ctrl-Z or a SIGSTOP, would never act on it otherwise.
    fn forward(&self, received: i32) -> Option<i32> {
        let how = &self.forwarding;
        let signo = how.rewrite.apply(received);
        let name = signals::name(signo);
        let pid = self.child.as_raw();
        if signo == 0 {
            info!(signal = signals::name(received); "dropped signal (--rewrite to 0)");
            return None;
        }
        if signo != received {
            debug!(received = signals::name(received), signal = name.as_str(); "rewrote signal");
        }
        let stop = how.stop_signals.contains(signo);
        // The kernel's protection of PID 1, minus the stop signals that docker stop needs.
        // Racy by nature: a handler installed after the read misses this signal.
        if how.drop_unhandled
            && !stop
            && signals::ends_by_default(signo)
            && !handles(self.child, signo)
        {
            info!(signal = name, pid = pid; "dropped signal: it would end the child, which neither handles nor ignores it (--drop-unhandled)");
            return None;
        }
        if how.all {
            for target in self.everyone() {
                // ESRCH is expected: a process may be gone already.
                let _ = target.send(signo);
                if stop && how.continue_after_stop {
                    let _ = target.send(SIGCONT);
                }
            }
            info!(signal = name, pid = pid, all = true; "forwarded signal");
            return Some(signo);
        }
        let mut target = match how.group {
            true => Target::Group(self.child),
            false => Target::Child(self.child),
        };
        let mut sent = target.send(signo);
        if sent == Err(Errno::ESRCH) && target == Target::Group(self.child) {
            // The child moved to another process group, and none is left in its own.
            warn!(signal = name, pid = pid; "the child has left its process group (-g): forwarding to the child alone");
            target = Target::Child(self.child);
            sent = target.send(signo);
        }
        match sent {
            Ok(()) => {
                info!(signal = name, pid = pid, group = target != Target::Child(self.child); "forwarded signal");
                if stop
                    && how.continue_after_stop
                    && let Err(e) = target.send(SIGCONT)
                {
                    warn!(signal = "SIGCONT", pid = pid, error = e.desc(); "could not continue the child after a stop signal");
                }
            }
            Err(e) if stop => {
                warn!(signal = name, pid = pid, error = e.desc(); "could not forward a stop signal");
            }
            Err(e) => info!(signal = name, pid = pid, error = e.desc(); "could not forward signal"),
        }
        Some(signo)
    }

    /// setsid mode, once the child has exited: SIGTERM (as rewritten) to
    /// what is left of its session's group, as dumb-init does.
    fn terminate_session(&self) {
        let signo = self.forwarding.rewrite.apply(SIGTERM);
        if signo != 0 {
            // ESRCH: nothing is left in the group, which is the usual case.
            let _ = Target::Group(self.child).send(signo);
            debug!(signal = signals::name(signo); "sent the child's group the end of its session");
        }
    }

    /// tend's pid in the namespace its own signals are sent in.
    fn own_host_pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.own_pid).unwrap_or(0)
    }

    /// Everything that is left: the whole namespace when tend is PID 1;
    /// otherwise the child's group, the child, and tend's other children.
    fn everyone(&self) -> Vec<Target> {
        if self.is_pid1 {
            return vec![Target::All];
        }
        // The child may have left its group; direct_children() names it, while it
        // lives. Those still in the group get the group's signal, and no second one.
        let group = Some(self.child);
        let outside = direct_children()
            .into_iter()
            .filter(|&pid| nix::unistd::getpgid(Some(pid)).ok() != group)
            .map(Target::Child);
        std::iter::once(Target::Group(self.child))
            .chain(outside)
            .collect()
    }

    /// Signal everyone; SIGTERM is followed by SIGCONT, so stopped processes act on it.
    fn kill_everyone(&self, signo: i32) {
        for target in self.everyone() {
            let sent = target.send(signo);
            if sent.is_ok() && signo == SIGTERM {
                // Best effort, as the SIGTERM itself: a failure here has the same cause.
                let _ = target.send(SIGCONT);
            }
            if let Err(e) = sent {
                // ESRCH is expected: the group or the process may be gone already.
                debug!(signal = signals::name(signo), error = e.desc(); "could not signal {target:?}");
            }
        }
    }

    /// waitpid(-1, WNOHANG) until nothing is left to reap. One SIGCHLD can
    /// stand for any number of exits, so never stop at the first.
    fn reap_all(&self) -> Reaped {
        let mut reaped = Reaped {
            main: None,
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
            } else if self.warn_on_reap {
                warn!(pid = pid.as_raw(), exit_code = code; "Reaped zombie process with pid={pid}");
            } else {
                debug!(pid = pid.as_raw(), exit_code = code; "Reaped zombie process with pid={pid}");
            }
        }
    }
}

/// The first SIGHUP and SIGCONT after the terminal hand-off, not yet seen.
#[derive(Debug)]
struct Handoff {
    hup: bool,
    cont: bool,
}

impl Default for Handoff {
    fn default() -> Handoff {
        Handoff {
            hup: true,
            cont: true,
        }
    }
}

impl Handoff {
    /// Whether `signo` is the hand-off's own, to be dropped (once each).
    fn take(&mut self, signo: i32) -> bool {
        let slot = match signo {
            signals::SIGHUP => &mut self.hup,
            SIGCONT => &mut self.cont,
            _ => return false,
        };
        std::mem::replace(slot, false)
    }
}

/// Whether `pid` catches or ignores `signo`, from its /proc status
/// (SigCgt, SigIgn). When that cannot be read, the answer is yes: better a
/// signal forwarded than one dropped on a guess.
fn handles(pid: Pid, signo: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{}/status", pid.as_raw()))
        .ok()
        .and_then(|status| handled_mask(&status))
        .is_none_or(|mask| mask & 1u64.checked_shl((signo - 1) as u32).unwrap_or(0) != 0)
}

/// SigCgt | SigIgn of a /proc/PID/status text.
fn handled_mask(status: &str) -> Option<u64> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
    };
    Some(field("SigCgt:")? | field("SigIgn:")?)
}

/// tend's own children, from /proc (empty when /proc is not mounted).
fn direct_children() -> Vec<Pid> {
    let path = format!("/proc/self/task/{}/children", std::process::id());
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok().map(Pid::from_raw))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handled_signals_come_from_sigcgt_and_sigign() {
        let status = "Name:\tapp\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000000202\n";
        let mask = handled_mask(status).unwrap_or_default();
        let handled: Vec<i32> = (1..=64).filter(|s| mask & (1 << (s - 1)) != 0).collect();
        assert_eq!(handled, [2, 10, 13], "INT and USR1 caught, PIPE ignored");
        assert_eq!(handled_mask("Name:\tapp\n"), None);
    }

    #[test]
    fn the_handoff_drops_one_hup_and_one_cont() {
        let mut h = Handoff::default();
        assert!(h.take(signals::SIGHUP) && h.take(SIGCONT));
        assert!(!h.take(signals::SIGHUP) && !h.take(SIGCONT) && !h.take(SIGTERM));
    }
}
