//! The children tend supervises, and the exit policy over them (issue 19):
//! one state per child, and for each event one pure step that says what
//! happens next. The loop (`supervise::Supervisor`) spawns, signals and
//! reaps, tells `Children` what happened and when, and does what it is
//! told, in order. Nothing here makes a system call.
//!
//! The words are Erlang/OTP's supervisor's where they fit. Steps (`--pre`,
//! the Procfile's `release`) run one at a time before anything else, as
//! Kubernetes init containers do. Then every program starts: `--also`
//! programs, the Procfile's, and last the program after `--`, whose status
//! is the container's. `--restart never` (the default) is OTP's
//! `one_for_all` with no restart allowed: the first exit stops all the
//! others, as multirun does. `on-failure` is `transient` (restart what
//! failed), `always` is `permanent`; the backoff plays the part of OTP's
//! restart intensity. The program after `--` is never restarted: its exit
//! is the container's, and the engine's restart policy is the place for it.
//!
//! Invariants: once a stop has begun (a stop signal from outside, the
//! watchdog, or the policy itself) nothing starts again; `Do::Finish` comes
//! exactly once, when no child runs and none will; and a run of one program
//! and no steps is today's single-child run: its exit finishes the run with
//! its status, and nothing else is ever asked of the loop but `KillAfter`
//! for `--grace`.

use std::time::{Duration, Instant};

use crate::iter::IntoVec;

/// The first restart waits this long; each next one twice the last, up to `BACKOFF_MAX`.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A program that ran this long before it exited starts again from `BACKOFF_FIRST`.
pub const BACKOFF_RESET: Duration = Duration::from_secs(60);
/// How long the others get to stop once one has ended, without `--grace`: Docker's stop timeout.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// `--restart`: what happens when an `--also` or Procfile program exits
/// (Docker's words; OTP's temporary, transient and permanent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Restart {
    /// Any exit ends the run: the others are stopped.
    #[default]
    Never,
    /// A non-zero exit or a death by signal restarts it; an exit 0 leaves it down.
    OnFailure,
    /// Every exit restarts it.
    Always,
}

/// What a child is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `--pre`, or the Procfile's `release`: must exit 0 before the next starts.
    Step,
    /// `--also`, or a Procfile program: runs beside the program.
    Beside,
    /// The program after `--`: its status is the container's, remapped by `-e`.
    Main,
}

/// How a child ended: its exit code, or 128+N with N for a death by signal N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub code: u8,
    pub signal: Option<i32>,
}

impl Exit {
    /// Exit code 0, not a signal: what `&&` and `--restart on-failure` call success.
    pub fn succeeded(self) -> bool {
        self.code == 0 && self.signal.is_none()
    }
}

/// Where one child is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started yet: a later step, or any program while steps run.
    Pending,
    Running {
        pid: i32,
        since: Instant,
    },
    /// Exited, and starts again at `until` (`--restart`).
    Backoff {
        until: Instant,
    },
    /// Done for good: how it exited, or None if it never will run (again).
    Down(Option<Exit>),
}

/// One child: what it is for, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub role: Role,
    pub restart: Restart,
    pub state: State,
    /// How many times it has been started again.
    pub restarts: u32,
    /// The wait before its last restart; zero before the first.
    backoff: Duration,
    /// It has been asked to stop (a stop signal forwarded, or the policy's own).
    asked_to_stop: bool,
}

/// The status tend ends with, before `-e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub code: u8,
    /// It is the program's own status (after `--`), which `-e` remaps.
    pub main: bool,
}

/// What the loop must do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Start child `i`, then report `started` or `cannot_start`.
    Start(usize),
    /// Ask child `i` to stop, as a SIGTERM from outside would.
    Stop(usize),
    /// Arm the kill deadline this long from now, unless one is armed already.
    KillAfter(Duration),
    /// No child runs and none will: end with this status.
    Finish(Status),
}

/// What one exit meant, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// A step exited 0: the next step, or the programs, start.
    StepDone,
    /// A step failed: nothing else starts, and this is the status.
    StepFailed,
    /// It starts again at `at`; this is its `count`-th restart.
    Restart { at: Instant, count: u32 },
    /// `--restart on-failure` and an exit 0: it stays down and the others go on.
    StaysDown,
    /// The first exit that is not restarted: the others are stopped.
    Ends,
    /// Part of a stop already under way.
    Stopped,
}

/// Why the run is ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// A stop signal from outside, as it arrived, or the watchdog's.
    Stop(i32),
    /// A child's exit ended it (the policy), or a step failed, or one could not start.
    Exit,
}

/// Every child tend supervises, steps first, in the order they start.
#[derive(Debug, Clone)]
pub struct Children {
    list: Vec<Child>,
    grace: Option<Duration>,
    ending: Option<Ending>,
    status: Option<Status>,
    /// The last exit seen, for a run whose children all stayed down.
    last: Option<Exit>,
    /// `Do::KillAfter` was asked for: the first deadline is the one that holds.
    kill_armed: bool,
    finished: bool,
}

impl Children {
    /// `children` in the order they start: steps, then `--also` and Procfile
    /// programs, then the program. `grace` is `--grace`.
    pub fn new(children: &[(Role, Restart)], grace: Option<Duration>) -> Children {
        let list = children
            .iter()
            .map(|&(role, restart)| Child {
                role,
                // Steps and the program are never restarted, whatever --restart says.
                restart: match role {
                    Role::Beside => restart,
                    Role::Step | Role::Main => Restart::Never,
                },
                state: State::Pending,
                restarts: 0,
                backoff: Duration::ZERO,
                asked_to_stop: false,
            })
            .into_vec();
        Children {
            list,
            grace,
            ending: None,
            status: None,
            last: None,
            kill_armed: false,
            finished: false,
        }
    }

    /// The children that run now, as (index, pid).
    pub fn running(&self) -> impl Iterator<Item = (usize, i32)> + '_ {
        self.list
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c.state {
                State::Running { pid, .. } => Some((i, pid)),
                _ => None,
            })
    }

    /// The child that runs as `pid`, if one does.
    pub fn find(&self, pid: i32) -> Option<usize> {
        self.running().find(|&(_, p)| p == pid).map(|(i, _)| i)
    }

    /// When the next restart is due, if one waits.
    pub fn deadline(&self) -> Option<Instant> {
        self.list
            .iter()
            .filter_map(|c| match c.state {
                State::Backoff { until } => Some(until),
                _ => None,
            })
            .min()
    }

    /// Whether a step runs now (the programs have not started): `--stop-delay`
    /// holds nothing then, since no load balancer sends a step traffic.
    pub fn stepping(&self) -> bool {
        self.running().any(|(i, _)| self.list[i].role == Role::Step)
    }

    /// Whether a stop or the end has begun.
    pub fn ending(&self) -> bool {
        self.ending.is_some()
    }

    /// The first thing to do: the first step, or the first program.
    pub fn begin(&mut self) -> Vec<Do> {
        match self.list.first() {
            Some(_) => vec![Do::Start(0)],
            None => self.settle(),
        }
    }

    /// Child `i` runs as `pid` since `now`. While the programs start, the next one follows.
    pub fn started(&mut self, i: usize, pid: i32, now: Instant) -> Vec<Do> {
        let Some(child) = self.list.get_mut(i) else {
            return Vec::new();
        };
        let first_start = child.state == State::Pending;
        child.state = State::Running { pid, since: now };
        if !first_start || child.role == Role::Step {
            return Vec::new();
        }
        self.next_pending(i + 1)
            .map(Do::Start)
            .into_iter()
            .into_vec()
    }

    /// Child `i` could not be started: `code` is 126 or 127 (or 125). At the
    /// first start this ends the run with `code`, as the program's own would,
    /// once what already runs has stopped; a restart that cannot start
    /// counts as an exit with `code`, and the policy decides as for any exit.
    pub fn cannot_start(&mut self, i: usize, code: u8, now: Instant) -> (Meaning, Vec<Do>) {
        let exit = Exit { code, signal: None };
        let first_start = self.list.get(i).is_some_and(|c| c.state == State::Pending);
        if !first_start {
            return self.exited(i, exit, Duration::ZERO, now);
        }
        if let Some(child) = self.list.get_mut(i) {
            child.state = State::Down(Some(exit));
        }
        self.last = Some(exit);
        let mut todo = Vec::new();
        if self.ending.is_none() {
            self.ending = Some(Ending::Exit);
            // tend's own status for a program it could not run: not the program's, so never remapped.
            self.status = Some(Status { code, main: false });
            todo = self.stop_the_rest(self.grace.unwrap_or(STOP_TIMEOUT));
        }
        todo.extend(self.settle());
        (Meaning::Ends, todo)
    }

    /// The child that ran as `pid` has exited at `now`. None if `pid` is no
    /// child of ours (an orphan, or a check's copy).
    pub fn reaped(
        &mut self,
        pid: i32,
        exit: Exit,
        now: Instant,
    ) -> Option<(usize, Meaning, Vec<Do>)> {
        let i = self.find(pid)?;
        let ran = match self.list[i].state {
            State::Running { since, .. } => now.saturating_duration_since(since),
            _ => Duration::ZERO,
        };
        let (meaning, todo) = self.exited(i, exit, ran, now);
        Some((i, meaning, todo))
    }

    /// A stop has begun from outside: stop signal `received` (as it arrived;
    /// the loop forwards it itself), or the watchdog's. `kill_after` arms the
    /// kill deadline (`--grace`; the watchdog's default without it).
    pub fn stop(&mut self, received: i32, kill_after: Option<Duration>) -> Vec<Do> {
        if self.ending.is_none() {
            self.ending = Some(Ending::Stop(received));
        }
        for child in &mut self.list {
            match child.state {
                // Each got the signal the loop forwards: a second request would be a second signal.
                State::Running { .. } => child.asked_to_stop = true,
                State::Pending | State::Backoff { .. } => child.state = State::Down(None),
                State::Down(_) => {}
            }
        }
        let mut todo = Vec::new();
        if let Some(within) = kill_after.filter(|_| !self.kill_armed) {
            self.kill_armed = true;
            todo.push(Do::KillAfter(within));
        }
        todo.extend(self.settle());
        todo
    }

    /// The restarts that are due at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Do> {
        if self.ending.is_some() {
            return Vec::new();
        }
        self.list
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.state, State::Backoff { until } if until <= now))
            .map(|(i, _)| Do::Start(i))
            .into_vec()
    }

    /// Child `i` exited with `exit` at `now`, after a run of `ran`: what
    /// that means, and what follows.
    fn exited(&mut self, i: usize, exit: Exit, ran: Duration, now: Instant) -> (Meaning, Vec<Do>) {
        self.last = Some(exit);
        let Some(child) = self.list.get_mut(i) else {
            return (Meaning::Stopped, Vec::new());
        };
        child.state = State::Down(Some(exit));
        let role = child.role;
        let mut todo = Vec::new();
        let meaning = match (self.ending, role) {
            (Some(Ending::Stop(signo)), Role::Step) => {
                // A stop during a step: tend leaves as the signal asked, starting nothing more.
                self.status.get_or_insert(Status {
                    code: crate::error::exit::for_signal(signo),
                    main: false,
                });
                Meaning::Stopped
            }
            (Some(ending), _) => {
                let is_main = role == Role::Main;
                // After a stop from outside the program's status is the run's; with
                // no program (a Procfile alone), the first exit after the signal.
                let decides = match ending {
                    Ending::Stop(_) => is_main || (self.status.is_none() && !self.has_main()),
                    Ending::Exit => false,
                };
                if decides {
                    self.status = Some(Status {
                        code: exit.code,
                        main: is_main,
                    });
                }
                todo = self.stop_the_rest(self.grace.unwrap_or(STOP_TIMEOUT));
                Meaning::Stopped
            }
            (None, Role::Step) if exit.succeeded() => {
                todo.extend(self.next_pending(i + 1).map(Do::Start));
                Meaning::StepDone
            }
            (None, Role::Step) => {
                self.ending = Some(Ending::Exit);
                self.status = Some(Status {
                    code: exit.code,
                    main: false,
                });
                todo = self.stop_the_rest(self.grace.unwrap_or(STOP_TIMEOUT));
                Meaning::StepFailed
            }
            (None, Role::Main | Role::Beside) => {
                let restart = self.list[i].restart;
                match restart {
                    Restart::OnFailure if exit.succeeded() => Meaning::StaysDown,
                    Restart::OnFailure | Restart::Always => {
                        let child = &mut self.list[i];
                        child.backoff = next_backoff(child.backoff, ran);
                        child.restarts = child.restarts.saturating_add(1);
                        let at = now + child.backoff;
                        child.state = State::Backoff { until: at };
                        Meaning::Restart {
                            at,
                            count: child.restarts,
                        }
                    }
                    Restart::Never => {
                        self.ending = Some(Ending::Exit);
                        self.status = Some(Status {
                            code: exit.code,
                            main: role == Role::Main,
                        });
                        todo = self.stop_the_rest(self.grace.unwrap_or(STOP_TIMEOUT));
                        Meaning::Ends
                    }
                }
            }
        };
        todo.extend(self.settle());
        (meaning, todo)
    }

    /// Ask every running child that has not been asked yet to stop, and
    /// bound how long they may take; what has not started never will.
    fn stop_the_rest(&mut self, within: Duration) -> Vec<Do> {
        let mut todo = Vec::new();
        for (i, child) in self.list.iter_mut().enumerate() {
            match child.state {
                State::Running { .. } if !child.asked_to_stop => {
                    child.asked_to_stop = true;
                    todo.push(Do::Stop(i));
                }
                State::Pending | State::Backoff { .. } => child.state = State::Down(None),
                _ => {}
            }
        }
        if !self.kill_armed && self.running().next().is_some() {
            self.kill_armed = true;
            todo.push(Do::KillAfter(within));
        }
        todo
    }

    /// Finish, once, when no child runs, waits to restart or is about to start.
    fn settle(&mut self) -> Vec<Do> {
        let busy = self.list.iter().any(|c| !matches!(c.state, State::Down(_)));
        if busy || self.finished {
            return Vec::new();
        }
        self.finished = true;
        let status = self.status.unwrap_or(match (self.ending, self.last) {
            (Some(Ending::Stop(signo)), _) => Status {
                code: crate::error::exit::for_signal(signo),
                main: false,
            },
            (_, last) => Status {
                code: last.map_or(0, |e| e.code),
                main: false,
            },
        });
        vec![Do::Finish(status)]
    }

    /// The first child at or after `from` that has not started yet.
    fn next_pending(&self, from: usize) -> Option<usize> {
        (from..self.list.len()).find(|&j| self.list[j].state == State::Pending)
    }

    fn has_main(&self) -> bool {
        self.list.iter().any(|c| c.role == Role::Main)
    }
}

/// The wait before a restart, after a wait of `last` (zero before the first
/// restart) and a run of `ran`: 1 s, then twice the last, at most 30 s; a
/// program that ran a minute or more starts again from 1 s.
pub fn next_backoff(last: Duration, ran: Duration) -> Duration {
    if last.is_zero() || ran >= BACKOFF_RESET {
        BACKOFF_FIRST
    } else {
        (last * 2).min(BACKOFF_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Do::*;

    const S: Duration = Duration::from_secs(1);

    fn code(code: u8) -> Exit {
        Exit { code, signal: None }
    }

    fn killed(signo: i32) -> Exit {
        Exit {
            code: crate::error::exit::for_signal(signo),
            signal: Some(signo),
        }
    }

    fn finish(code: u8, main: bool) -> Do {
        Finish(Status { code, main })
    }

    /// Start everything `begin` asks for, with pids 100, 101, … by index.
    fn start_all(c: &mut Children, t: Instant) -> Vec<Do> {
        let mut todo = c.begin();
        let mut done = Vec::new();
        while let Some(next) = todo.first().copied() {
            todo.remove(0);
            match next {
                Start(i) => todo.extend(c.started(i, 100 + i as i32, t)),
                other => done.push(other),
            }
        }
        done
    }

    fn states(c: &Children) -> Vec<State> {
        c.list.iter().map(|c| c.state).collect()
    }

    #[test]
    fn one_program_is_todays_single_child() {
        let t = Instant::now();
        for grace in [None, Some(2 * S)] {
            let mut c = Children::new(&[(Role::Main, Restart::Always)], grace);
            assert_eq!(c.begin(), [Start(0)]);
            assert_eq!(c.started(0, 7, t), []);
            assert_eq!(c.reaped(8, code(0), t), None, "an orphan is not ours");
            let (i, meaning, todo) = c.reaped(7, killed(15), t + S).expect("ours");
            assert_eq!((i, meaning), (0, Meaning::Ends));
            assert_eq!(
                todo,
                [finish(143, true)],
                "no stop, no kill: just its status"
            );
        }
        // A stop signal from outside: --grace arms the kill, the exit finishes with its status.
        let mut c = Children::new(&[(Role::Main, Restart::Never)], Some(2 * S));
        start_all(&mut c, t);
        assert_eq!(c.stop(15, Some(2 * S)), [KillAfter(2 * S)]);
        assert_eq!(c.stop(2, Some(2 * S)), [], "the first deadline holds");
        let (_, meaning, todo) = c.reaped(100, code(0), t).expect("ours");
        assert_eq!((meaning, todo), (Meaning::Stopped, vec![finish(0, true)]));
        // Without --grace, no deadline at all, as today.
        let mut c = Children::new(&[(Role::Main, Restart::Never)], None);
        start_all(&mut c, t);
        assert_eq!(c.stop(15, None), []);
    }

    #[test]
    fn steps_run_one_after_the_other_then_the_programs_in_order() {
        let t = Instant::now();
        let mut c = Children::new(
            &[
                (Role::Step, Restart::Never),
                (Role::Step, Restart::Never),
                (Role::Beside, Restart::Never),
                (Role::Main, Restart::Never),
            ],
            None,
        );
        assert!(!c.stepping(), "nothing runs yet");
        assert_eq!(c.begin(), [Start(0)]);
        assert_eq!(c.started(0, 10, t), [], "nothing beside a step");
        assert!(c.stepping());
        let (_, m, todo) = c.reaped(10, code(0), t).expect("step 0");
        assert_eq!((m, todo), (Meaning::StepDone, vec![Start(1)]));
        assert_eq!(c.started(1, 11, t), []);
        let (_, m, todo) = c.reaped(11, code(0), t).expect("step 1");
        assert_eq!((m, todo), (Meaning::StepDone, vec![Start(2)]));
        assert_eq!(
            c.started(2, 12, t),
            [Start(3)],
            "the program after the --also"
        );
        assert_eq!(c.started(3, 13, t), []);
        assert_eq!(c.running().collect::<Vec<_>>(), [(2, 12), (3, 13)]);
        assert!(!c.stepping(), "the programs run");
    }

    #[test]
    fn a_failed_step_ends_the_run_with_its_status_and_nothing_starts() {
        let t = Instant::now();
        for (exit, status) in [(code(3), 3), (killed(9), 137)] {
            let mut c = Children::new(
                &[
                    (Role::Step, Restart::Never),
                    (Role::Step, Restart::Never),
                    (Role::Main, Restart::Never),
                ],
                Some(S),
            );
            c.begin();
            c.started(0, 10, t);
            let (_, m, todo) = c.reaped(10, exit, t).expect("step");
            assert_eq!(
                (m, todo),
                (Meaning::StepFailed, vec![finish(status, false)])
            );
            assert_eq!(states(&c)[1..], [State::Down(None), State::Down(None)]);
        }
    }

    #[test]
    fn a_stop_during_a_step_ends_with_128_plus_the_signal_whatever_the_step_did() {
        let t = Instant::now();
        for exit in [code(0), code(1), killed(15)] {
            let mut c = Children::new(
                &[(Role::Step, Restart::Never), (Role::Main, Restart::Never)],
                Some(5 * S),
            );
            c.begin();
            c.started(0, 10, t);
            assert_eq!(c.stop(2, Some(5 * S)), [KillAfter(5 * S)]);
            let (_, m, todo) = c.reaped(10, exit, t).expect("step");
            assert_eq!(
                (m, todo),
                (Meaning::Stopped, vec![finish(130, false)]),
                "{exit:?}"
            );
        }
    }

    #[test]
    fn the_first_exit_stops_the_others_and_decides_the_status() {
        let t = Instant::now();
        let three = [
            (Role::Beside, Restart::Never),
            (Role::Beside, Restart::Never),
            (Role::Main, Restart::Never),
        ];
        // An --also program ends first: its status, not remapped.
        let mut c = Children::new(&three, None);
        start_all(&mut c, t);
        let (_, m, todo) = c.reaped(101, code(4), t).expect("ours");
        assert_eq!(
            (m, todo),
            (
                Meaning::Ends,
                vec![Stop(0), Stop(2), KillAfter(STOP_TIMEOUT)]
            )
        );
        let (_, m, todo) = c.reaped(100, killed(15), t).expect("ours");
        assert_eq!((m, todo), (Meaning::Stopped, vec![]));
        let (_, _, todo) = c.reaped(102, killed(15), t).expect("ours");
        assert_eq!(todo, [finish(4, false)]);
        // The program ends first: its status, which -e may remap; --grace bounds the rest.
        let mut c = Children::new(&three, Some(3 * S));
        start_all(&mut c, t);
        let (_, _, todo) = c.reaped(102, code(0), t).expect("ours");
        assert_eq!(todo, [Stop(0), Stop(1), KillAfter(3 * S)]);
        c.reaped(100, code(0), t);
        let (_, _, todo) = c.reaped(101, code(1), t).expect("ours");
        assert_eq!(todo, [finish(0, true)]);
    }

    #[test]
    fn a_program_that_cannot_start_ends_the_run_after_stopping_what_started() {
        let t = Instant::now();
        let three = [
            (Role::Beside, Restart::Always),
            (Role::Beside, Restart::Never),
            (Role::Main, Restart::Never),
        ];
        let mut c = Children::new(&three, None);
        assert_eq!(c.begin(), [Start(0)]);
        assert_eq!(c.started(0, 100, t), [Start(1)]);
        let (m, todo) = c.cannot_start(1, 127, t);
        assert_eq!(
            (m, todo),
            (Meaning::Ends, vec![Stop(0), KillAfter(STOP_TIMEOUT)])
        );
        assert_eq!(states(&c)[2], State::Down(None), "the program never starts");
        let (_, m, todo) = c.reaped(100, killed(15), t).expect("ours");
        assert_eq!((m, todo), (Meaning::Stopped, vec![finish(127, false)]));
        // The first program or step itself: nothing to stop, tend ends at once.
        let mut c = Children::new(
            &[(Role::Step, Restart::Never), (Role::Main, Restart::Never)],
            None,
        );
        c.begin();
        assert_eq!(
            c.cannot_start(0, 126, t),
            (Meaning::Ends, vec![finish(126, false)])
        );
    }

    #[test]
    fn on_failure_restarts_failures_with_a_doubling_backoff_and_leaves_an_exit_0_down() {
        let t = Instant::now();
        let mut c = Children::new(
            &[
                (Role::Beside, Restart::OnFailure),
                (Role::Main, Restart::Never),
            ],
            None,
        );
        start_all(&mut c, t);
        let mut now = t;
        let mut pid = 100;
        for (count, wait) in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 30), (7, 30)] {
            let (_, m, todo) = c.reaped(pid, code(1), now).expect("ours");
            let at = now + wait * S;
            assert_eq!(
                (m, todo),
                (Meaning::Restart { at, count }, vec![]),
                "restart {count}"
            );
            assert_eq!(c.deadline(), Some(at));
            assert_eq!(c.due(at - Duration::from_millis(1)), []);
            assert_eq!(c.due(at), [Start(0)]);
            pid += 10;
            assert_eq!(c.started(0, pid, at), [], "a restart starts nothing else");
            now = at + S;
        }
        // A death by signal is a failure too; a run of a minute resets the backoff.
        let (_, m, _) = c
            .reaped(pid, killed(11), now + BACKOFF_RESET)
            .expect("ours");
        assert_eq!(
            m,
            Meaning::Restart {
                at: now + BACKOFF_RESET + S,
                count: 8
            }
        );
        let at = now + BACKOFF_RESET + S;
        c.due(at);
        c.started(0, 999, at);
        // Exit 0 stays down; the program goes on; its exit then ends the run.
        let (_, m, todo) = c.reaped(999, code(0), at).expect("ours");
        assert_eq!((m, todo), (Meaning::StaysDown, vec![]));
        assert_eq!(c.running().collect::<Vec<_>>(), [(1, 101)]);
        let (_, m, todo) = c.reaped(101, code(2), at).expect("ours");
        assert_eq!((m, todo), (Meaning::Ends, vec![finish(2, true)]));
    }

    #[test]
    fn always_restarts_an_exit_0_and_a_restart_that_cannot_start_is_an_exit() {
        let t = Instant::now();
        let mut c = Children::new(
            &[
                (Role::Beside, Restart::Always),
                (Role::Main, Restart::Never),
            ],
            None,
        );
        start_all(&mut c, t);
        let (_, m, _) = c.reaped(100, code(0), t).expect("ours");
        assert_eq!(
            m,
            Meaning::Restart {
                at: t + S,
                count: 1
            }
        );
        assert_eq!(c.due(t + S), [Start(0)]);
        let (m, todo) = c.cannot_start(0, 127, t + S);
        assert_eq!(
            (m, todo),
            (
                Meaning::Restart {
                    at: t + 3 * S,
                    count: 2
                },
                vec![]
            )
        );
    }

    #[test]
    fn nothing_restarts_once_a_stop_has_begun() {
        let t = Instant::now();
        let mut c = Children::new(
            &[
                (Role::Beside, Restart::Always),
                (Role::Beside, Restart::Always),
                (Role::Main, Restart::Never),
            ],
            Some(5 * S),
        );
        start_all(&mut c, t);
        c.reaped(100, code(1), t);
        assert!(matches!(states(&c)[0], State::Backoff { .. }));
        assert_eq!(c.stop(15, Some(5 * S)), [KillAfter(5 * S)]);
        assert_eq!(
            states(&c)[0],
            State::Down(None),
            "the one in backoff stays down"
        );
        assert_eq!(c.due(t + 60 * S), []);
        // Exits after the stop: no restart, no second TERM to what got the forwarded one.
        let (_, m, todo) = c.reaped(101, code(0), t).expect("ours");
        assert_eq!(
            (m, todo),
            (Meaning::Stopped, vec![]),
            "--grace is armed already"
        );
        let (_, _, todo) = c.reaped(102, killed(15), t).expect("ours");
        assert_eq!(
            todo,
            [finish(143, true)],
            "the program's status after a stop from outside"
        );
    }

    #[test]
    fn after_a_stop_a_procfile_alone_ends_with_the_first_exit_after_the_signal() {
        let t = Instant::now();
        let two = [
            (Role::Beside, Restart::Never),
            (Role::Beside, Restart::Never),
        ];
        let mut c = Children::new(&two, None);
        start_all(&mut c, t);
        assert_eq!(c.stop(15, None), []);
        let (_, _, todo) = c.reaped(101, code(0), t).expect("ours");
        assert_eq!(
            todo,
            [KillAfter(STOP_TIMEOUT)],
            "the rest is bounded even without --grace"
        );
        let (_, _, todo) = c.reaped(100, killed(9), t).expect("ours");
        assert_eq!(todo, [finish(0, false)]);
        // Everything waiting out a backoff when the stop comes: nothing runs, 128+N.
        let mut c = Children::new(&[(Role::Beside, Restart::OnFailure)], None);
        start_all(&mut c, t);
        c.reaped(100, code(1), t);
        assert_eq!(c.stop(15, None), [finish(143, false)]);
    }

    #[test]
    fn a_procfile_alone_whose_programs_all_exit_0_under_on_failure_ends_with_0() {
        let t = Instant::now();
        let mut c = Children::new(
            &[
                (Role::Beside, Restart::OnFailure),
                (Role::Beside, Restart::OnFailure),
            ],
            None,
        );
        start_all(&mut c, t);
        assert_eq!(c.reaped(100, code(0), t).map(|r| r.2), Some(vec![]));
        assert_eq!(
            c.reaped(101, code(0), t).map(|r| r.2),
            Some(vec![finish(0, false)])
        );
    }

    #[test]
    fn finish_comes_once() {
        let t = Instant::now();
        let mut c = Children::new(&[(Role::Main, Restart::Never)], None);
        start_all(&mut c, t);
        assert_eq!(
            c.reaped(100, code(0), t).map(|r| r.2),
            Some(vec![finish(0, true)])
        );
        assert_eq!(c.stop(15, None), []);
        assert_eq!(c.reaped(100, code(0), t), None);
    }

    #[test]
    fn backoff_doubles_to_30s_and_resets_after_a_minute() {
        let cases = [
            (0, 0, 1),
            (1, 0, 2),
            (2, 5, 4),
            (16, 59, 30),
            (30, 1, 30),
            (30, 60, 1),
            (8, 3600, 1),
        ];
        for (last, ran, want) in cases {
            assert_eq!(
                next_backoff(last * S, ran * S),
                want * S,
                "last {last}s, ran {ran}s"
            );
        }
    }
}
