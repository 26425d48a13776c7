//! `--health`: the watchdog, while the app runs. A check runs in a forked
//! copy (probe::runner); the loop only polls its pipe and its deadline.
//! The invariant: the watchdog never blocks the loop, and a check that
//! cannot even start is a failed check in every respect (issue 18 #11).

use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::{Run, Supervisor};
use crate::health::{self, OnUnhealthy, Status, Watch};
use crate::logger::{debug, info, warn};
use crate::probe::Health;
use crate::probe::runner::{self, Running};
use crate::signals::SIGTERM;

/// The grace of a stop the watchdog begins, when --grace gives none: Docker's stop timeout.
const WATCHDOG_GRACE: Duration = Duration::from_secs(10);

impl Watchdog {
    /// Watch from `now`: the programs have just started (after the last
    /// step), so the interval and the start period count from here.
    pub(super) fn new(settings: health::Settings, now: Instant) -> Watchdog {
        Watchdog {
            watch: Watch::new(&settings, now),
            settings,
            running: None,
        }
    }

    /// When the watchdog next needs the loop: a check's deadline, or the next check.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.running {
            Some((running, _)) => Some(running.deadline),
            None => self.watch.due(),
        }
    }

    /// Kill and reap a check in flight; true if there was one.
    pub(super) fn stop(mut self) -> bool {
        match self.running.take() {
            Some((mut running, _)) => {
                running.finish();
                true
            }
            None => false,
        }
    }
}

/// `--health` while it watches: the rules, and the check in flight.
pub(super) struct Watchdog {
    settings: health::Settings,
    watch: Watch,
    /// The check running now, and when it began.
    pub running: Option<(Running, Instant)>,
}

impl Supervisor {
    /// The watchdog's turn: take a finished check's verdict, start the next
    /// one when due, and stop the app when it turns unhealthy.
    pub(super) fn watch(&self, run: &mut Run, now: Instant) {
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
                true => crate::logger::Level::Info,
                false => crate::logger::Level::Warn,
            };
            crate::logger::log!(level, streak = judged.streak, retries = settings.retries, in_start_period = judged.uncounted, reason = line; "health check failed");
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
            self.forward(run, SIGTERM, true);
            self.begin_stop(run, SIGTERM, Some(self.watchdog_grace()));
        }
    }

    /// --grace for a stop the watchdog begins, 10 s without one, as Docker's stop timeout.
    pub(super) fn watchdog_grace(&self) -> Duration {
        self.grace.unwrap_or(WATCHDOG_GRACE)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
