//! The loop: wait for a signal or a deadline → forward / reap / drain → the
//! main child's exit status.
//!
//! This runs after the point of no return (catatonit: "after this point we
//! may no longer bail"). Nothing here returns an error: failures are logged
//! and the loop goes on, and only the main child's fate ends it. The loop
//! sleeps in read(2) on the signalfd, or in poll(2) while a deadline is
//! pending (`--grace`, `--stop-delay`, or `--health`'s next check), so an
//! idle tend makes no system calls at all. A health check runs in a forked
//! copy and only ever adds its pipe to that poll: the loop never waits on one.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::Pid;

use crate::error::exit;
use crate::health::{self, OnUnhealthy, Status, Watch};
use crate::probe::Health;
use crate::probe::runner::{self, Running};
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
    /// `--stop-delay`: how long the first stop signal is held while the app runs on.
    pub stop_delay: Option<Duration>,
    pub forwarding: Forwarding,
    /// `--health`: the watchdog, when asked for.
    pub health: Option<health::Settings>,
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
    /// Whether the health check's copy was among them.
    checker: bool,
    /// Whether any child of tend is still alive.
    others_remain: bool,
}

/// The grace of a stop the watchdog begins, when --grace gives none: Docker's stop timeout.
const WATCHDOG_GRACE: Duration = Duration::from_secs(10);

impl Watchdog {
    /// When the watchdog next needs the loop: a check's deadline, or the next check.
    fn deadline(&self) -> Option<Instant> {
        match &self.running {
            Some((running, _)) => Some(running.deadline),
            None => self.watch.due(),
        }
    }

    /// Kill and reap a check in flight; true if there was one.
    fn stop(mut self) -> bool {
        match self.running.take() {
            Some((mut running, _)) => {
                running.finish();
                true
            }
            None => false,
        }
    }
}

/// How supervising ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// With this status of the main child's (128+N for signal N, 137 when
    /// tend killed it after --grace), which `-e` may remap.
    Child(u8),
    /// The watchdog stopped the app for being unhealthy (`--health`).
    Unhealthy,
}

/// `--health` while it watches: the rules, and the check in flight.
struct Watchdog {
    settings: health::Settings,
    watch: Watch,
    /// The check running now, and when it began.
    running: Option<(Running, Instant)>,
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

    /// The watchdog's turn: take a finished check's verdict, start the next
    /// one when due, and stop the app when it turns unhealthy.
    fn watch(&self, run: &mut Run, now: Instant) {
        let Some(dog) = run.watchdog.as_mut() else {
            return;
        };
        let (began, verdict) = match dog.running.as_mut() {
            Some((running, began)) => {
                let Some(verdict) = running.progress(now) else {
                    return;
                };
                let began = *began;
                dog.running = None;
                (began, verdict)
            }
            None if dog.watch.due().is_some_and(|due| now >= due) => {
                dog.watch.begin();
                match runner::start(&dog.settings.probe) {
                    Ok(running) => {
                        dog.running = Some((running, now));
                        return;
                    }
                    // EAGAIN at the user's process limit, EMFILE: what a hung app
                    // causes. A failed check in every respect (issue 18 #11).
                    Err(e) => (now, Health::Unhealthy(start_failure(e))),
                }
            }
            None => return,
        };
        let (healthy, line) = match &verdict {
            Health::Healthy(what) => (true, what.as_str()),
            Health::Unhealthy(why) => (false, why.as_str()),
        };
        let judged = dog.watch.record(began, now, healthy);
        let settings = &dog.settings;
        if healthy {
            debug!(check = line; "health check passed");
        } else {
            // Expected while the app starts, and not counted: no reason to warn (issue 18 #14).
            let level = match judged.uncounted {
                true => log::Level::Info,
                false => log::Level::Warn,
            };
            log::log!(level, streak = judged.streak, retries = settings.retries, in_start_period = judged.uncounted, reason = line; "health check failed");
        }
        if let Some(from) = judged.changed_from {
            info!(from = from.name(), to = judged.status.name(), streak = judged.streak, reason = line; "health changed");
        }
        let stop = judged.changed_from.is_some()
            && judged.status == Status::Unhealthy
            && settings.on_unhealthy == OnUnhealthy::Exit;
        if stop {
            warn!(streak = judged.streak, reason = line, grace_ms = self.watchdog_grace().as_millis() as u64; "the app is unhealthy: stopping it as a SIGTERM would (--on-unhealthy exit)");
            run.stopped_unhealthy = true;
            // A stop in every respect, whatever --stop-signals lists: SIGCONT follows it,
            // and --drop-unhandled never drops it.
            self.forward(SIGTERM, true);
            self.begin_stop(run, Some(self.watchdog_grace()));
        }
    }

    /// --grace for a stop the watchdog begins, 10 s without one, as Docker's stop timeout.
    fn watchdog_grace(&self) -> Duration {
        self.grace.unwrap_or(WATCHDOG_GRACE)
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

    /// Pass `received` on, as `--rewrite` says, to the child, its group with
    /// `-g`, or everyone with `--signal-all`. A `stop` (`Stops::contains`,
    /// or the watchdog's) is followed by SIGCONT, as systemd does
    /// (systemd.kill(5)): a stopped app, after Ctrl-Z or a SIGSTOP, would
    /// never act on it otherwise; and --drop-unhandled never drops it.
    fn forward(&self, received: i32, stop: bool) {
        let how = &self.forwarding;
        let signo = how.stops.rewrite.apply(received);
        let name = signals::name(signo);
        let pid = self.child.as_raw();
        if signo == 0 {
            info!(signal = signals::name(received); "dropped signal (--rewrite to 0)");
            return;
        }
        if signo != received {
            debug!(received = signals::name(received), signal = name.as_str(); "rewrote signal");
        }
        // The kernel's protection of PID 1, minus the stop signals that docker stop needs.
        // Racy by nature: a handler installed after the read misses this signal.
        if how.drop_unhandled
            && !stop
            && signals::ends_by_default(signo)
            && !handles(self.child, signo)
        {
            info!(signal = name, pid = pid; "dropped signal: it would end the child, which neither handles nor ignores it (--drop-unhandled)");
            return;
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
            return;
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
    }

    /// setsid mode, once the child has exited: SIGTERM (as rewritten) to
    /// what is left of its session's group, as dumb-init does.
    fn terminate_session(&self) {
        let signo = self.forwarding.stops.rewrite.apply(SIGTERM);
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
    fn reap_all(&self, checker: Option<Pid>) -> Reaped {
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

/// Why a check could not start: fork(2) and pipe(2)'s errnos by name. (nix's
/// Display names every errno, at 8 KB of binary.)
fn start_failure(e: Errno) -> String {
    let name = match e {
        Errno::EAGAIN => "EAGAIN",
        Errno::ENOMEM => "ENOMEM",
        Errno::EMFILE => "EMFILE",
        Errno::ENFILE => "ENFILE",
        _ => return format!("cannot start the check: {} (errno {})", e.desc(), e as i32),
    };
    format!("cannot start the check: {name}: {}", e.desc())
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
    fn a_check_that_cannot_start_names_the_errno() {
        assert_eq!(
            start_failure(Errno::EAGAIN),
            "cannot start the check: EAGAIN: Try again"
        );
        assert_eq!(
            start_failure(Errno::EMFILE),
            "cannot start the check: EMFILE: Too many open files"
        );
        assert_eq!(
            start_failure(Errno::EPERM),
            "cannot start the check: Operation not permitted (errno 1)"
        );
    }

    #[test]
    fn the_handoff_drops_one_hup_and_one_cont() {
        let mut h = Handoff::default();
        assert!(h.take(signals::SIGHUP) && h.take(SIGCONT));
        assert!(!h.take(signals::SIGHUP) && !h.take(SIGCONT) && !h.take(SIGTERM));
    }
}
