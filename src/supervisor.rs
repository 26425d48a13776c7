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
    pub signal_group: bool,
    pub warn_on_reap: bool,
    pub grace: Option<Duration>,
    /// The signals that ask the app to stop: they start `grace` and are followed by SIGCONT.
    pub stop_signals: signals::Set,
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
        loop {
            let deadline = match killing {
                Some(_) => Some(Instant::now() + KILL_POLL),
                None => kill_at.or(drain_until),
            };
            let mut reap = killing.is_some();
            for (signo, sender) in self.next_signals(deadline) {
                match signals::classify(signo, sender == self.own_pid) {
                    Action::Reap => reap = true,
                    Action::Ignore => debug!(signal = signals::name(signo); "ignored signal"),
                    Action::Forward if main_status.is_some() => {
                        debug!(signal = signals::name(signo); "signal after the child exited, not forwarded");
                    }
                    Action::Forward => {
                        self.forward(signo);
                        if let (Some(grace), None) = (self.grace, kill_at)
                            && self.stop_signals.contains(signo)
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
        // struct signalfd_siginfo: ssi_signo (u32) at 0, ssi_pid (u32) at 12; 128 bytes each.
        const SIGINFO_BYTES: usize = 128;
        let mut buf = [0u8; SIGINFO_BYTES * 16];
        match nix::unistd::read(&self.sigfd, &mut buf) {
            Ok(n) => buf[..n]
                .chunks_exact(SIGINFO_BYTES)
                .map(|info| {
                    let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                    let sender = u32::from_ne_bytes([info[12], info[13], info[14], info[15]]);
                    (i32::try_from(signo).unwrap_or(0), sender)
                })
                .collect(),
            Err(Errno::EINTR) => Vec::new(),
            Err(e) => {
                error!(error = e.desc(); "reading the signalfd failed");
                Vec::new()
            }
        }
    }

    /// Pass `signo` on to the child, or to its group with `-g`. A stop
    /// signal is followed by SIGCONT, as systemd does (systemd.kill(5)): a
    /// stopped app, after Ctrl-Z or a SIGSTOP, would never act on it otherwise.
    fn forward(&self, signo: i32) {
        let name = signals::name(signo);
        let stop = self.stop_signals.contains(signo);
        let pid = self.child.as_raw();
        let mut target = match self.signal_group {
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
                if stop && let Err(e) = target.send(SIGCONT) {
                    warn!(signal = "SIGCONT", pid = pid, error = e.desc(); "could not continue the child after a stop signal");
                }
            }
            Err(e) if stop => {
                warn!(signal = name, pid = pid, error = e.desc(); "could not forward a stop signal");
            }
            Err(e) => info!(signal = name, pid = pid, error = e.desc(); "could not forward signal"),
        }
    }

    /// Signal everything that is left: the whole namespace when tend is
    /// PID 1; otherwise the child's group, the child, and tend's other
    /// children. SIGTERM is followed by SIGCONT, so stopped processes act on it.
    fn kill_everyone(&self, signo: i32) {
        let targets: Vec<Target> = if self.is_pid1 {
            vec![Target::All]
        } else {
            // The child may have left its group; direct_children() names it, while it lives.
            let children = direct_children().into_iter().map(Target::Child);
            std::iter::once(Target::Group(self.child))
                .chain(children)
                .collect()
        };
        for target in targets {
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

/// tend's own children, from /proc (empty when /proc is not mounted).
fn direct_children() -> Vec<Pid> {
    let path = format!("/proc/self/task/{}/children", std::process::id());
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok().map(Pid::from_raw))
        .collect()
}
