//! `--health`: the app's health as Docker's HEALTHCHECK judges it, watched
//! by PID 1 itself. Pure: the supervisor runs the checks (in forked copies,
//! `probe::runner`) and tells the `Watch` what they found and when; the
//! `Watch` says when the next check is due and what changed.
//!
//! The rules are Docker's (moby daemon/health.go): the first check starts
//! one interval after the app, the next one interval after the previous one
//! ended, so checks never overlap; a success makes the app healthy and ends
//! the start period; a failure counts towards `retries` unless the app is
//! still starting within its start period; `retries` failures in a row make
//! it unhealthy.

use std::time::{Duration, Instant};

use crate::probe::Probe;

/// The health watch's settings, from `--health` and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub probe: Probe,
    pub interval: Duration,
    pub retries: u32,
    pub start_period: Duration,
    pub on_unhealthy: OnUnhealthy,
}

/// `--on-unhealthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnhealthy {
    /// Report only.
    Log,
    /// Stop the app as a SIGTERM from outside would, and exit with `exit::UNHEALTHY_APP`.
    Exit,
}

/// Docker's three health states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Starting,
    Healthy,
    Unhealthy,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Healthy => "healthy",
            Status::Unhealthy => "unhealthy",
        }
    }
}

/// What one check's result did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    /// The status before, when it changed.
    pub changed_from: Option<Status>,
    pub status: Status,
    /// Failures in a row that counted.
    pub streak: u32,
    /// A failure inside the start period, which does not count.
    pub uncounted: bool,
}

#[derive(Debug)]
pub struct Watch {
    started: Instant,
    interval: Duration,
    retries: u32,
    start_period: Duration,
    status: Status,
    streak: u32,
    /// When the next check is due; None while one runs.
    due: Option<Instant>,
}

impl Watch {
    /// A watch over an app that started at `started`.
    pub fn new(settings: &Settings, started: Instant) -> Watch {
        Watch {
            started,
            interval: settings.interval,
            retries: settings.retries.max(1),
            start_period: settings.start_period,
            status: Status::Starting,
            streak: 0,
            due: Some(started + settings.interval),
        }
    }

    /// When the next check should start, if none is running.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// A check has started: no other until it ends.
    pub fn begin(&mut self) {
        self.due = None;
    }

    /// A check that started at `began` ended at `ended` with `healthy`.
    pub fn record(&mut self, began: Instant, ended: Instant, healthy: bool) -> Judged {
        self.due = Some(ended + self.interval);
        let before = self.status;
        let mut uncounted = false;
        if healthy {
            self.streak = 0;
            self.status = Status::Healthy;
        } else if self.status == Status::Starting
            && began.saturating_duration_since(self.started) < self.start_period
        {
            uncounted = true;
        } else {
            self.streak = self.streak.saturating_add(1);
            if self.streak >= self.retries {
                self.status = Status::Unhealthy;
            }
        }
        Judged {
            changed_from: (before != self.status).then_some(before),
            status: self.status,
            streak: self.streak,
            uncounted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::url;

    fn settings(interval_ms: u64, retries: u32, start_period_ms: u64) -> Settings {
        let url = url::parse("tcp://127.0.0.1:1").unwrap_or_else(|e| panic!("{e:?}"));
        Settings {
            probe: Probe::dependency(url, Duration::from_secs(1)),
            interval: Duration::from_millis(interval_ms),
            retries,
            start_period: Duration::from_millis(start_period_ms),
            on_unhealthy: OnUnhealthy::Exit,
        }
    }

    /// Run checks that each take 10 ms, one interval apart, with these results.
    fn run(watch: &mut Watch, t0: Instant, results: &[bool]) -> Vec<(Status, u32, bool)> {
        results
            .iter()
            .map(|&healthy| {
                let began = watch.due().unwrap_or(t0);
                watch.begin();
                assert_eq!(watch.due(), None, "checks never overlap");
                let judged = watch.record(began, began + Duration::from_millis(10), healthy);
                (judged.status, judged.streak, judged.uncounted)
            })
            .collect()
    }

    #[test]
    fn the_first_check_comes_one_interval_after_the_app_then_one_after_each_end() {
        let t0 = Instant::now();
        let mut watch = Watch::new(&settings(1000, 3, 0), t0);
        assert_eq!(watch.due(), Some(t0 + Duration::from_secs(1)));
        watch.begin();
        let ended = t0 + Duration::from_millis(1300);
        watch.record(t0 + Duration::from_secs(1), ended, true);
        assert_eq!(watch.due(), Some(ended + Duration::from_secs(1)));
    }

    #[test]
    fn retries_failures_in_a_row_make_it_unhealthy_and_a_success_heals() {
        use Status::*;
        let t0 = Instant::now();
        let mut watch = Watch::new(&settings(100, 3, 0), t0);
        let got = run(
            &mut watch,
            t0,
            &[false, false, true, false, false, false, false, true],
        );
        assert_eq!(
            got,
            [
                (Starting, 1, false),
                (Starting, 2, false),
                (Healthy, 0, false),
                (Healthy, 1, false),
                (Healthy, 2, false),
                (Unhealthy, 3, false),
                (Unhealthy, 4, false),
                (Healthy, 0, false),
            ]
        );
    }

    #[test]
    fn failures_in_the_start_period_do_not_count_until_a_success_ends_it() {
        use Status::*;
        let t0 = Instant::now();
        // Checks at 100, 210, 320, …; the start period lasts 500 ms.
        let mut watch = Watch::new(&settings(100, 1, 500), t0);
        let got = run(&mut watch, t0, &[false, false, false, false, false]);
        assert_eq!(
            got,
            [
                (Starting, 0, true),
                (Starting, 0, true),
                (Starting, 0, true),
                (Starting, 0, true),
                (Unhealthy, 1, false),
            ],
            "the fifth check starts at 540 ms, after the start period"
        );
        // A success inside the period ends it: the next failure counts at once.
        let mut watch = Watch::new(&settings(100, 1, 10_000), t0);
        let got = run(&mut watch, t0, &[false, true, false]);
        assert_eq!(
            got,
            [
                (Starting, 0, true),
                (Healthy, 0, false),
                (Unhealthy, 1, false)
            ]
        );
    }

    #[test]
    fn retries_is_at_least_one() {
        let t0 = Instant::now();
        let mut watch = Watch::new(&settings(100, 0, 0), t0);
        assert_eq!(
            run(&mut watch, t0, &[false]),
            [(Status::Unhealthy, 1, false)]
        );
    }
}
