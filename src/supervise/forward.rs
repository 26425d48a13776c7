//! Signals out: who a signal from outside reaches, and how (`--rewrite`,
//! `-g`, `--signal-all`, `--drop-unhandled`, the SIGCONT after a stop); the
//! exit policy's stop of one child; and the final TERM and KILL to everyone
//! left. The invariant: every signal tend sends goes through `Target::send`,
//! to a pid, a process group, or (as PID 1 only) everyone; never a negative
//! pid built by hand.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::Pid;

use super::{Run, Supervisor};
use crate::iter::IntoVec;
use crate::logger::{debug, info, warn};
use crate::signals::{self, SIGCONT, SIGTERM};
use crate::sys;

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

    /// As a debug record has always named it, `Child(Pid(7))`, `Group(Pid(7))`
    /// or `All`, written without `Debug`, whose machinery costs 900 bytes for
    /// this record alone (issue 21).
    fn shown(self) -> String {
        match self {
            Target::Child(pid) => format!("Child(Pid({}))", pid.as_raw()),
            Target::Group(pgid) => format!("Group(Pid({}))", pgid.as_raw()),
            Target::All => String::from("All"),
        }
    }
}

/// How a signal from outside reaches the processes tend supervises.
#[derive(Debug, Clone, Copy)]
pub struct Forwarding {
    /// `-g`: to the child's process group.
    pub group: bool,
    /// `--signal-all`: to every process tend supervises.
    pub all: bool,
    /// `--setsid`: a SIGTERM to the child's group when the child exits, as dumb-init does.
    pub setsid: bool,
    /// TSTP, TTIN and TTOU are forwarded, then tend stops itself, so Ctrl-Z
    /// works: in setsid mode, and always under dumb-init's name.
    pub job_control: bool,
    /// `--stop-signals` seen through `--rewrite`: what each signal is sent
    /// as, and which ones ask the app to stop (they start `grace`).
    pub stops: signals::Stops,
    /// `--drop-unhandled`: drop what would kill the child only for want of a handler.
    pub drop_unhandled: bool,
    /// Follow a stop signal with SIGCONT; dumb-init never did, so not under its name.
    pub continue_after_stop: bool,
    /// dumb-init's terminal hand-off: when tend, a session leader, let go of
    /// its terminal, the kernel sent its group SIGHUP and SIGCONT. The first
    /// of each is that, not a request, and is not forwarded.
    pub handoff: bool,
}

impl Supervisor {
    /// Pass `received` on, as `--rewrite` says, to each running child (its
    /// group with `-g`), or once to everyone with `--signal-all`. A `stop`
    /// (`Stops::contains`, or the watchdog's) is followed by SIGCONT, as
    /// systemd does (systemd.kill(5)): a stopped app, after Ctrl-Z or a
    /// SIGSTOP, would never act on it otherwise; and --drop-unhandled never
    /// drops it. --drop-unhandled judges each child by its own handlers.
    pub(super) fn forward(&self, run: &Run, received: i32, stop: bool) {
        let how = &self.forwarding;
        let signo = how.stops.rewrite.apply(received);
        let name = signals::name(signo);
        if signo == 0 {
            info!(signal = signals::name(received); "dropped signal (--rewrite to 0)");
            return;
        }
        if signo != received {
            debug!(received = signals::name(received), signal = name; "rewrote signal");
        }
        let running: Vec<(usize, Pid)> = run
            .children
            .running()
            .map(|(i, pid)| (i, Pid::from_raw(pid)))
            .into_vec();
        // The kernel's protection of PID 1, minus the stop signals that docker stop needs.
        // Racy by nature: a handler installed after the read misses this signal.
        let unprotected = |pid: Pid| {
            how.drop_unhandled && !stop && signals::ends_by_default(signo) && !handles(pid, signo)
        };
        if how.all {
            // One signal reaches everyone: dropped if it would end any of them.
            if let Some(&(i, pid)) = running.iter().find(|&&(_, pid)| unprotected(pid)) {
                let pid = pid.as_raw();
                info!(signal = name, pid = pid, name = self.name(i); "dropped signal: it would end the child, which neither handles nor ignores it (--drop-unhandled)");
                return;
            }
            for target in self.everyone(run) {
                // ESRCH is expected: a process may be gone already.
                let _ = target.send(signo);
                if stop && how.continue_after_stop {
                    let _ = target.send(SIGCONT);
                }
            }
            // The one child, when one runs: with several, the signal went to them all alike.
            let (pid, child) = match running.as_slice() {
                [(i, pid)] => (Some(pid.as_raw()), self.name(*i)),
                _ => (None, None),
            };
            info!(signal = name, pid = pid, name = child, all = true; "forwarded signal");
            return;
        }
        if running.is_empty() {
            debug!(signal = name; "no child runs: signal not forwarded");
        }
        for (i, pid) in running {
            if unprotected(pid) {
                let pid = pid.as_raw();
                info!(signal = name, pid = pid, name = self.name(i); "dropped signal: it would end the child, which neither handles nor ignores it (--drop-unhandled)");
                continue;
            }
            self.deliver(i, pid, signo, stop, "forwarded signal");
        }
    }

    /// The exit policy's stop of child `i` (`Do::Stop`): as a SIGTERM from
    /// outside would stop it, through `--rewrite`, to it (its group with
    /// `-g`) and then SIGCONT; never to everyone, even with `--signal-all`.
    pub(super) fn stop_child(&self, run: &Run, i: usize) {
        let Some(pid) = run
            .children
            .running()
            .find(|&(j, _)| j == i)
            .map(|(_, pid)| Pid::from_raw(pid))
        else {
            return;
        };
        let signo = self.forwarding.stops.rewrite.apply(SIGTERM);
        if signo == 0 {
            info!(signal = "SIGTERM", pid = pid.as_raw(), name = self.name(i); "dropped the stop (--rewrite to 0): only the kill deadline stops the child");
            return;
        }
        self.deliver(i, pid, signo, true, "stopping child");
    }

    /// `signo` to child `i` (`pid`), or its group with `-g`, then SIGCONT
    /// after a `stop`; logged at info as `what`.
    fn deliver(&self, i: usize, child: Pid, signo: i32, stop: bool, what: &str) {
        let how = &self.forwarding;
        let name = signals::name(signo);
        let pid = child.as_raw();
        let mut target = match how.group {
            true => Target::Group(child),
            false => Target::Child(child),
        };
        let mut sent = target.send(signo);
        if sent == Err(Errno::ESRCH) && target == Target::Group(child) {
            // The child moved to another process group, and none is left in its own.
            warn!(signal = name, pid = pid, name = self.name(i); "the child has left its process group (-g): forwarding to the child alone");
            target = Target::Child(child);
            sent = target.send(signo);
        }
        match sent {
            Ok(()) => {
                info!(signal = name, pid = pid, group = target != Target::Child(child), name = self.name(i); "{what}");
                if stop
                    && how.continue_after_stop
                    && let Err(e) = target.send(SIGCONT)
                {
                    warn!(signal = "SIGCONT", pid = pid, error = e.desc(), name = self.name(i); "could not continue the child after a stop signal");
                }
            }
            Err(e) if stop => {
                warn!(signal = name, pid = pid, error = e.desc(), name = self.name(i); "could not forward a stop signal");
            }
            Err(e) => {
                info!(signal = name, pid = pid, error = e.desc(), name = self.name(i); "could not forward signal")
            }
        }
    }

    /// setsid mode, once the child has exited: SIGTERM (as rewritten) to
    /// what is left of its session's group, as dumb-init does.
    pub(super) fn terminate_session(&self, child: Pid) {
        let signo = self.forwarding.stops.rewrite.apply(SIGTERM);
        if signo != 0 {
            // ESRCH: nothing is left in the group, which is the usual case.
            let _ = Target::Group(child).send(signo);
            debug!(signal = signals::name(signo); "sent the child's group the end of its session");
        }
    }

    /// Everything that is left: the whole namespace when tend is PID 1;
    /// otherwise each child's group (as of its last start), and tend's
    /// other children outside those groups, each once.
    pub(super) fn everyone(&self, run: &Run) -> Vec<Target> {
        if self.is_pid1 {
            return vec![Target::All];
        }
        // A child may have left its group; direct_children() names it, while it
        // lives. Those still in a group get the group's signal, and no second one.
        let groups: Vec<Pid> = run.groups.iter().flatten().copied().into_vec();
        let mut targets: Vec<Target> = groups.iter().map(|&group| Target::Group(group)).into_vec();
        for pid in direct_children() {
            if !nix::unistd::getpgid(Some(pid)).is_ok_and(|group| groups.contains(&group)) {
                targets.push(Target::Child(pid));
            }
        }
        targets
    }

    /// Signal everyone; SIGTERM is followed by SIGCONT, so stopped processes act on it.
    pub(super) fn kill_everyone(&self, run: &Run, signo: i32) {
        for target in self.everyone(run) {
            let sent = target.send(signo);
            if sent.is_ok() && signo == SIGTERM {
                // Best effort, as the SIGTERM itself: a failure here has the same cause.
                let _ = target.send(SIGCONT);
            }
            if let Err(e) = sent {
                // ESRCH is expected: the group or the process may be gone already.
                debug!(signal = signals::name(signo), error = e.desc(); "could not signal {}", target.shown());
            }
        }
    }
}

/// The first SIGHUP and SIGCONT after the terminal hand-off, not yet seen.
#[derive(Debug)]
pub(super) struct Handoff {
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
    pub(super) fn take(&mut self, signo: i32) -> bool {
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
    read_proc(&format!("/proc/{}/status", pid.as_raw()))
        .and_then(|status| handled_mask(&status))
        .is_none_or(|mask| mask & 1u64.checked_shl((signo - 1) as u32).unwrap_or(0) != 0)
}

/// A /proc file's text, None when it cannot be read or is not UTF-8 (as
/// `std::fs::read_to_string` answers, with less code).
fn read_proc(path: &str) -> Option<String> {
    let file = crate::entry::open(path.as_ref(), OFlag::empty()).ok()?;
    String::from_utf8(crate::entry::read_at_most(&file, usize::MAX).ok()?).ok()
}

/// SigCgt | SigIgn of a /proc/PID/status text.
fn handled_mask(status: &str) -> Option<u64> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|hex| crate::number::u64_radix(hex.trim(), 16))
    };
    Some(field("SigCgt:")? | field("SigIgn:")?)
}

/// tend's own children, from /proc (empty when /proc is not mounted).
fn direct_children() -> Vec<Pid> {
    let path = format!("/proc/self/task/{}/children", std::process::id());
    read_proc(&path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| crate::number::i32(pid).map(Pid::from_raw))
        .into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_shown_as_it_always_was() {
        for target in [
            Target::Child(Pid::from_raw(7)),
            Target::Group(Pid::from_raw(8)),
            Target::All,
        ] {
            assert_eq!(target.shown(), format!("{target:?}"));
        }
    }

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
