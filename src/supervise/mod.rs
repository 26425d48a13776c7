//! Supervision: the one loop over every child tend runs (issue 19): steps
//! (`--pre`, a Procfile's `release`), programs beside (`--also`, a
//! Procfile's others) and the program after `--`. Wait for a signal or a
//! deadline → forward (`forward`) / reap (`reap`) / check (`watchdog`) /
//! start, stop and restart as `children` decides / drain → the exit status.
//!
//! This runs after the point of no return (catatonit: "after this point we
//! may no longer bail"). Nothing here returns an error once a child runs:
//! failures are logged and the loop goes on, and only the children's fate
//! ends it. The loop sleeps in read(2) on the signalfd, or in poll(2) while
//! a deadline is pending (`--grace`, `--stop-delay`, a restart's backoff,
//! the policy's kill deadline, or `--health`'s next check), so an idle tend
//! makes no system calls at all, however many children it runs. A health
//! check runs in a forked copy and only ever adds its pipe to that poll.
//!
//! A run of one program is the list of one, never a second path: it makes
//! the system calls and logs the records it always did (`name` is None,
//! and the logger leaves a None field out).

pub mod children;
mod forward;
mod reap;
mod watchdog;

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::Pid;

use crate::entry;
use crate::environ::Environ;
use crate::error::{Error, exit};
use crate::health;
use crate::iter::IntoVec;
use crate::logger::{debug, error, info, warn};
use crate::signals::{self, Action, SIGKILL};
use crate::spawn;
use crate::sys::{self, SigSet};
use children::{Children, Do, Exit, Meaning, Restart, Role, Status};
pub use forward::Forwarding;
use forward::Handoff;
use watchdog::Watchdog;

/// One child to run.
#[derive(Debug, Clone)]
pub struct Spec {
    /// What the log calls it (`programs::unique_names`); None when tend runs
    /// one program and nothing else, whose records name nothing, as always.
    pub name: Option<String>,
    /// PROGRAM and its arguments; never empty.
    pub command: Vec<OsString>,
    /// The `--file-env` variable whose value PROGRAM is, if it is one: the
    /// log and the error name it `$NAME`, never by its value.
    pub program_from: Option<String>,
    pub role: Role,
}

pub struct Supervisor {
    pub sigfd: OwnedFd,
    /// tend's pid as its own namespace sees it, to spot signals it raised itself.
    pub own_pid: u32,
    pub is_pid1: bool,
    pub warn_on_reap: bool,
    pub grace: Option<Duration>,
    /// `--stop-delay`: how long the first stop signal is held while the app runs on.
    pub stop_delay: Option<Duration>,
    pub forwarding: Forwarding,
    /// `--health`: the watchdog, when asked for.
    pub health: Option<health::Settings>,
    /// Every child, in the order they start: steps, programs beside, the program.
    pub children: Vec<Spec>,
    /// `--restart`, for the programs beside.
    pub restart: Restart,
    /// What every child runs with: its environment, the signal mask tend
    /// was started with, and how it is spawned (`foreground` is decided
    /// here, per child).
    pub env: Environ,
    pub mask: SigSet,
    pub how: spawn::How,
    /// `--file-env` or its variable, for an error about a PROGRAM that is a secret.
    pub file_env: &'static str,
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
    /// With this status (128+N for signal N, 137 when tend killed what
    /// outlived a stop), which `-e` remaps when it is the program's own.
    Child(Status),
    /// The watchdog stopped the app for being unhealthy (`--health`).
    Unhealthy,
}

/// What the loop keeps between wake-ups.
struct Run {
    children: Children,
    /// Each child's process group (its pid at its last start), by index:
    /// where `-g`, the drain and the final SIGKILL reach as well.
    groups: Vec<Option<Pid>>,
    /// A child has started: until then, one that cannot start is main's to report.
    started_any: bool,
    /// The first child could not start: run() hands this back.
    unstarted: Option<Error>,
    /// No child runs and none will: the status to end with (`Do::Finish`).
    finished: Option<Status>,
    /// A stop has begun, from outside or from the watchdog: the next stop signal goes at once.
    stopping: bool,
    /// --stop-delay: the stop signal held back, and when it goes.
    held: Option<(i32, Instant)>,
    /// The kill deadline (`Do::KillAfter`): --grace after a stop signal, or
    /// the exit policy's bound on the others' stop.
    kill_at: Option<Instant>,
    /// --grace, path 2: when orphans outliving the children get SIGKILL.
    drain_until: Option<Instant>,
    /// After the final SIGKILL: until when tend goes on killing what it
    /// adopts, and the status it will then exit with.
    killing: Option<(Instant, Status)>,
    handoff: Option<Handoff>,
    /// None until the programs start, and again once a stop has begun,
    /// whoever began it: shutdown wins.
    watchdog: Option<Watchdog>,
    /// The programs have started, and with them the watchdog, once.
    watching: bool,
    /// `--health`'s settings, until the watchdog takes them when the
    /// programs start: moved, not cloned (issue 21).
    health: Option<health::Settings>,
    /// The end stopped a check in flight: its copy is reaped, so look again at what is left.
    look_again: bool,
    /// The watchdog began the stop; this names tend's exit status.
    stopped_unhealthy: bool,
}

impl Supervisor {
    /// Run every child as `children::Children` says, until none runs and
    /// none will (and, with `--grace`, their orphans are gone too).
    ///
    /// Errors: only the first child's failure to start, before anything
    /// runs (main reports it as it always has); after that, a child that
    /// cannot start is logged and counts as an exit with 126 or 127.
    pub fn run(mut self) -> Result<Ended, Error> {
        let specs: Vec<(Role, Restart)> = self
            .children
            .iter()
            .map(|c| (c.role, self.restart))
            .into_vec();
        let mut children = Children::new(&specs, self.grace);
        let todo = children.begin();
        let mut run = Run {
            children,
            groups: vec![None; self.children.len()],
            started_any: false,
            unstarted: None,
            finished: None,
            stopping: false,
            held: None,
            kill_at: None,
            drain_until: None,
            killing: None,
            handoff: self.forwarding.handoff.then(Handoff::default),
            watchdog: None,
            watching: false,
            health: self.health.take(),
            look_again: false,
            stopped_unhealthy: false,
        };
        self.act(&mut run, todo);
        if let Some(e) = run.unstarted.take() {
            return Err(e);
        }
        loop {
            if let Some(status) = self.step(&mut run) {
                return Ok(match run.stopped_unhealthy {
                    true => Ended::Unhealthy,
                    false => Ended::Child(status),
                });
            }
        }
    }

    /// One wake-up: signals, reaping, the watchdog, restarts, deadlines. Some(status) when done.
    fn step(&self, run: &mut Run) -> Option<Status> {
        let watched = run.watchdog.as_ref().filter(|_| run.finished.is_none());
        let deadline = match run.killing {
            Some(_) => Some(Instant::now() + KILL_POLL),
            None => [
                run.held.map(|(_, until)| until),
                run.kill_at,
                run.drain_until,
                watched.and_then(Watchdog::deadline),
                run.children.deadline(),
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
                Action::Forward | Action::JobControl if run.finished.is_some() => {
                    debug!(signal = signals::name(signo); "signal after the child exited, not forwarded");
                }
                Action::Forward | Action::JobControl => {
                    // What arrived decides, as well as what --rewrite makes of it (issue 18 #12).
                    let stop = self.forwarding.stops.contains(signo);
                    if stop && self.hold(run, signo) {
                        continue;
                    }
                    self.forward(run, signo, stop);
                    if action == Action::JobControl {
                        // Ctrl-Z: the session has been stopped, and tend stops with it (dumb-init).
                        debug!(signal = signals::name(signo); "stopping tend too, until SIGCONT");
                        let _ = sys::kill(self.own_host_pid(), signals::SIGSTOP);
                    }
                    if stop {
                        self.begin_stop(run, signo, self.grace);
                    }
                }
            }
        }
        let mut others_remain = true;
        if reap {
            others_remain = self.reap(run);
        }
        if std::mem::take(&mut run.look_again) {
            others_remain = self.reap(run);
        }
        let now = Instant::now();
        if run.finished.is_none() {
            self.watch(run, now);
            let todo = run.children.due(now);
            self.act(run, todo);
        }
        if let Some((until, status)) = run.killing {
            // As PID 1, tend's exit ends the namespace, whatever is left in it.
            let done = run.finished.is_some() && (self.is_pid1 || !others_remain);
            if done || now >= until {
                if !done {
                    warn!(bound_ms = KILL_BOUND.as_millis() as u64; "processes outlived SIGKILL (stuck in the kernel?): exiting without them");
                }
                return Some(status);
            }
            // Orphaned by the kill itself, and adopted since: they get it too.
            self.kill_everyone(run, SIGKILL);
            return None;
        }
        if run.finished.is_none() {
            if let Some((signo, _)) = run.held.filter(|&(_, until)| now >= until) {
                run.held = None;
                self.forward(run, signo, true);
                self.begin_stop(run, signo, self.grace);
            }
            if run.kill_at.is_some_and(|t| now >= t) {
                self.kill_the_rest(run, now);
                return None;
            }
        }
        // A stop can finish the run at once (nothing was running): then on to the drain.
        let status = run.finished?;
        if self.grace.is_none() || !others_remain {
            return Some(status);
        }
        match run.drain_until {
            None => {
                match self.several() {
                    false => {
                        info!("the child exited and other processes remain: sending them SIGTERM")
                    }
                    true => info!(
                        "the children exited and other processes remain: sending them SIGTERM"
                    ),
                }
                self.kill_everyone(run, signals::SIGTERM);
                run.drain_until = self.grace.map(|g| now + g);
            }
            Some(t) if now >= t => {
                warn!("processes outlived --grace after the child exited: sending SIGKILL");
                self.kill_everyone(run, SIGKILL);
                run.killing = Some((now + KILL_BOUND, status));
            }
            Some(_) => {}
        }
        None
    }

    /// Do what `Children` asks, in order, and what that leads to.
    fn act(&self, run: &mut Run, todo: Vec<Do>) {
        // First in, first out, by a cursor over one Vec: no VecDeque's code for a short list.
        let mut todo = todo;
        let mut at = 0;
        while let Some(&next) = todo.get(at) {
            at += 1;
            match next {
                Do::Start(i) => todo.extend(self.start(run, i)),
                Do::Stop(i) => self.stop_child(run, i),
                Do::KillAfter(within) => {
                    run.kill_at.get_or_insert(Instant::now() + within);
                }
                Do::Finish(status) => {
                    run.finished = Some(status);
                    // Nothing left to kill or stop a child for; a stale deadline would only spin the loop.
                    run.kill_at = None;
                    run.held = None;
                    if self.forwarding.setsid
                        && let Some(Some(group)) = run.groups.first()
                    {
                        self.terminate_session(*group);
                    }
                    // No more checks: the app is gone. One in flight must not hold up the exit.
                    run.look_again |= run.watchdog.take().is_some_and(Watchdog::stop);
                }
            }
        }
    }

    /// Start child `i`: what follows from its start, or from its failure to.
    fn start(&self, run: &mut Run, i: usize) -> Vec<Do> {
        let Some(spec) = self.children.get(i) else {
            return Vec::new();
        };
        let how = spawn::How {
            foreground: spec.role != Role::Beside,
            ..self.how
        };
        match spawn::spawn(&spec.command, &self.env, self.mask, how) {
            Ok(pid) => {
                let now = Instant::now();
                // A secret's value is never logged: such a PROGRAM is named by its variable.
                let program = match &spec.program_from {
                    Some(name) => format!("${name}").into(),
                    None => spec
                        .command
                        .first()
                        .map(|p| p.to_string_lossy())
                        .unwrap_or_default(),
                };
                info!(pid = pid.as_raw(), program = program, name = spec.name.as_deref(); "child started");
                run.started_any = true;
                if let Some(group) = run.groups.get_mut(i) {
                    *group = Some(pid);
                }
                // The watchdog watches the programs, from their start: not the steps.
                if spec.role != Role::Step && !run.watching {
                    run.watching = true;
                    run.watchdog = run.health.take().map(|s| Watchdog::new(s, now));
                }
                run.children.started(i, pid.as_raw(), now)
            }
            Err(e) => {
                // Worded as main always worded it: a secret PROGRAM by its variable, E2BIG explained.
                let program = spec.program_from.as_deref();
                let e = entry::explain_exec(e, program, self.file_env, &self.env, &spec.command);
                if !run.started_any && spec.name.is_none() {
                    // One program, and nothing runs yet: main reports it, as it always has.
                    run.unstarted = Some(e);
                    return Vec::new();
                }
                // With several, the record names which one could not run,
                // the first step included (issue 19 #6).
                error!(name = spec.name.as_deref(); "{e}");
                let code = e.exit_code();
                let (meaning, todo) = run.children.cannot_start(i, code, Instant::now());
                let exit = Exit { code, signal: None };
                self.tell(i, exit, meaning, &todo);
                todo
            }
        }
    }

    /// Reap everything there is, and act on what each exit means. Returns
    /// whether any child of tend's is still alive.
    fn reap(&self, run: &mut Run) -> bool {
        let checker = run
            .watchdog
            .as_ref()
            .and_then(|w| w.running.as_ref())
            .map(|(r, _)| r.pid);
        reap::reap_all(|pid, ended| {
            if Some(pid) == checker {
                // The health check's own copy: its verdict is in its pipe, not its status.
                if let Some((running, _)) = run.watchdog.as_mut().and_then(|w| w.running.as_mut()) {
                    running.mark_reaped();
                }
                return;
            }
            self.reaped(run, pid, ended);
        })
    }

    /// `pid` has exited: a child of ours, whose exit `children` judges, or an orphan.
    fn reaped(&self, run: &mut Run, pid: Pid, ended: Exit) {
        let signal = ended.signal.map(signals::name);
        let raw = pid.as_raw();
        let Some((i, meaning, todo)) = run.children.reaped(raw, ended, Instant::now()) else {
            // -w: tini's warning; otherwise a debug record, with the signal as "child exited" has.
            let level = match self.warn_on_reap {
                true => crate::logger::Level::Warn,
                false => crate::logger::Level::Debug,
            };
            crate::logger::log!(level, pid = raw, exit_code = ended.code, signal = signal; "Reaped zombie process with pid={pid}");
            return;
        };
        info!(pid = raw, exit_code = ended.code, signal = signal, name = self.name(i); "child exited");
        if meaning == Meaning::StepDone {
            // The step had the terminal's foreground: tend takes it back for the next.
            spawn::take_back_terminal(pid);
        }
        self.tell(i, ended, meaning, &todo);
        self.act(run, todo);
    }

    /// The log's account of what child `i`'s exit meant.
    fn tell(&self, i: usize, ended: Exit, meaning: Meaning, todo: &[Do]) {
        let name = self.name(i);
        let signal = ended.signal.map(signals::name);
        match meaning {
            Meaning::StepDone => info!(name = name; "step done"),
            Meaning::StepFailed => {
                error!(name = name, exit_code = ended.code, signal = signal; "step failed")
            }
            Meaning::Restart { at, count } => {
                let in_ms = at.saturating_duration_since(Instant::now()).as_millis() as u64;
                warn!(name = name, count = count, in_ms = in_ms, exit_code = ended.code, signal = signal; "restarting");
            }
            Meaning::StaysDown => info!(name = name; "stays down"),
            Meaning::Ends => {
                let stopping: Vec<&str> = todo
                    .iter()
                    .filter_map(|d| match d {
                        Do::Stop(j) => self.name(*j),
                        _ => None,
                    })
                    .into_vec();
                // Only when it stops something: a single program's exit logs as it always has.
                // At warn when it failed, the one line at the default level that
                // explains why the container stopped (as --health's stop has);
                // at info, as issue 19 says, when it exited 0.
                let level = match ended.code == 0 && ended.signal.is_none() {
                    true => crate::logger::Level::Info,
                    false => crate::logger::Level::Warn,
                };
                if !stopping.is_empty() {
                    crate::logger::log!(level, name = name, exit_code = ended.code, signal = signal, stopping = crate::text::join(&stopping, ", "); "program ended: stopping the others");
                }
            }
            Meaning::Stopped => {}
        }
    }

    /// A stop has begun, from outside (`received`, as it arrived) or from
    /// the watchdog: nothing starts or restarts from now on, the kill
    /// deadline is armed once (`kill_after`; a second stop signal starts no
    /// second countdown), and the watchdog stops, since shutdown wins.
    fn begin_stop(&self, run: &mut Run, received: i32, kill_after: Option<Duration>) {
        self.stop_watching(run);
        let todo = run.children.stop(received, kill_after);
        self.act(run, todo);
    }

    /// No more checks: a stop has begun or is held.
    fn stop_watching(&self, run: &mut Run) {
        run.stopping = true;
        if let Some(dog) = run.watchdog.take() {
            // A check in flight is killed and reaped; its verdict no longer matters.
            dog.stop();
        }
    }

    /// The kill deadline has passed with children still running: SIGKILL
    /// them and everything left, and end with 137 (the program's own, which
    /// `-e` may remap, when it was among them).
    fn kill_the_rest(&self, run: &mut Run, now: Instant) {
        let left: Vec<(usize, i32)> = run.children.running().into_vec();
        let main = left
            .iter()
            .any(|&(i, _)| self.children.get(i).is_some_and(|c| c.role == Role::Main));
        match left.as_slice() {
            [(_, pid)] if !self.several() => {
                warn!(pid = *pid; "the child outlived --grace after a stop signal: sending SIGKILL to it and every process left");
            }
            _ => {
                let names: Vec<&str> = left.iter().filter_map(|&(i, _)| self.name(i)).into_vec();
                warn!(left = crate::text::join(&names, ", "); "children outlived their stop: sending SIGKILL to them and every process left");
            }
        }
        self.kill_everyone(run, SIGKILL);
        let status = Status {
            code: exit::KILLED,
            main,
        };
        run.killing = Some((now + KILL_BOUND, status));
        run.kill_at = None;
    }

    /// --stop-delay, for stop signal `signo`: true when it is held rather than
    /// forwarded now. The first stop signal is held, the app running on (a
    /// load balancer takes it out of rotation meanwhile), and the watchdog
    /// stops at once, as in any stop; a stop signal while one is held
    /// releases it: the new one is forwarded now, in its place, and --grace
    /// counts from there. (issue 18 #17; Kubernetes' preStop `sleep`.) While
    /// a step runs nothing is held: no traffic reaches a step. Until the
    /// signal goes, the children go on as they would, restarts included.
    fn hold(&self, run: &mut Run, signo: i32) -> bool {
        if run.held.take().is_some() {
            info!(signal = signals::name(signo); "a second stop signal: forwarding it now, before --stop-delay has passed");
            return false;
        }
        let Some(delay) = self
            .stop_delay
            .filter(|_| !run.stopping && !run.children.ending() && !run.children.stepping())
        else {
            return false;
        };
        info!(signal = signals::name(signo), delay_ms = delay.as_millis() as u64; "stop signal held for --stop-delay: the app runs on until then");
        run.held = Some((signo, Instant::now() + delay));
        self.stop_watching(run);
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

    /// What the log calls child `i`: None when tend runs one program alone.
    fn name(&self, i: usize) -> Option<&str> {
        self.children.get(i).and_then(|c| c.name.as_deref())
    }

    /// Whether the children have names: any of `--pre`, `--also`, `--procfile`.
    fn several(&self) -> bool {
        self.children.iter().any(|c| c.name.is_some())
    }

    /// tend's pid in the namespace its own signals are sent in.
    fn own_host_pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.own_pid).unwrap_or(0)
    }
}
