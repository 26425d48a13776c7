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
use crate::signals::{self, Action, SIGKILL, SIGTERM};
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
}

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
        // --grace, path 1: when a forwarded TERM/INT/QUIT/HUP has gone unheeded too long.
        let mut kill_at: Option<Instant> = None;
        // --grace, path 2: when orphans outliving the main child get SIGKILL.
        let mut drain_until: Option<Instant> = None;
        let mut killed = false;
        loop {
            let mut reap = false;
            for (signo, sender) in self.next_signals(kill_at.or(drain_until)) {
                match signals::classify(signo, sender == self.own_pid) {
                    Action::Reap => reap = true,
                    Action::Ignore => debug!(signal = signals::name(signo); "ignored signal"),
                    Action::Forward if main_status.is_some() => {
                        debug!(signal = signals::name(signo); "signal after the child exited, not forwarded");
                    }
                    Action::Forward => {
                        self.forward(signo);
                        if let (Some(grace), None) = (self.grace, kill_at)
                            && signals::is_terminating(signo)
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
            let Some(status) = main_status else {
                if kill_at.is_some_and(|t| now >= t) {
                    warn!(pid = self.child.as_raw(); "the child outlived --grace after a terminating signal: sending SIGKILL");
                    self.kill_everyone(SIGKILL);
                    killed = true;
                    kill_at = None;
                }
                continue;
            };
            let status = if killed { exit::KILLED } else { status };
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
                    return status;
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

    fn forward(&self, signo: i32) {
        let target = if self.signal_group {
            Target::Group(self.child)
        } else {
            Target::Child(self.child)
        };
        match target.send(signo) {
            Ok(()) => {
                info!(signal = signals::name(signo), pid = self.child.as_raw(), group = self.signal_group; "forwarded signal")
            }
            // ESRCH: the child is exiting; its SIGCHLD is on the way.
            Err(e) => {
                debug!(signal = signals::name(signo), error = e.desc(); "could not forward signal")
            }
        }
    }

    /// Signal everything that is left: the whole namespace when tend is
    /// PID 1; otherwise the child's group and tend's remaining children.
    fn kill_everyone(&self, signo: i32) {
        let targets: Vec<Target> = if self.is_pid1 {
            vec![Target::All]
        } else {
            let children = direct_children().into_iter().map(Target::Child);
            std::iter::once(Target::Group(self.child))
                .chain(children)
                .collect()
        };
        for target in targets {
            if let Err(e) = target.send(signo) {
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
