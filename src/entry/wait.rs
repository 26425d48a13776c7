//! `--wait-for URL`: before the child starts, every dependency must answer
//! as `--probe` would call healthy (tcp:// connects, http:// gives a status
//! in 200-399), retried with a backoff from 100 ms to 3 s, all at once,
//! within `--wait-timeout`. The invariant: tend is PID 1 while it waits, so
//! it never blocks on a dependency: each attempt runs in a forked copy
//! (`probe::runner`) and tend sleeps in poll(2) on its signalfd and their
//! pipes. A stop signal ends the wait at once with 128+N, and nothing is
//! left behind; other signals are logged and dropped, as there is no app yet.

use std::fmt::Write as _;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::error::Error;
use crate::iter::IntoVec;
use crate::logger::{debug, info, warn};
use crate::probe::runner::{self, Running};
use crate::probe::url::Target;
use crate::probe::{self, Health, Probe};
use crate::signals;
use crate::sys::{self, Reap};

/// The first retry comes this soon after a failure; each wait doubles, up to `BACKOFF_MAX`.
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(3);
/// One attempt never takes longer, nor past the deadline.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// How often a wait that goes on says so.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// What tend knows about one dependency.
struct Dependency {
    url: String,
    probe: Probe,
    running: Option<Running>,
    /// When the next attempt may start.
    next: Instant,
    backoff: Duration,
    ready: bool,
    /// The last failure's reason.
    last: Option<String>,
}

/// Wait until every one of `urls` answers, or `timeout` passes (125), or a
/// stop signal comes (128+N; `stops`, through `--rewrite`). `option` (`--wait-for` or
/// `TEND_WAIT_FOR`) begins the errors.
pub fn wait(
    option: &str,
    urls: &[Target],
    timeout: Duration,
    sigfd: &OwnedFd,
    own_pid: u32,
    stops: signals::Stops,
) -> Result<(), Error> {
    if urls.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let deadline = started + timeout;
    let mut deps: Vec<Dependency> = urls
        .iter()
        .map(|url| Dependency {
            url: probe::describe_url(url),
            probe: Probe::dependency(url.clone(), ATTEMPT_TIMEOUT),
            running: None,
            next: started,
            backoff: BACKOFF_START,
            ready: false,
            last: None,
        })
        .into_vec();
    let mut next_warning = started + WARN_EVERY;
    let result = loop {
        let now = Instant::now();
        if deps.iter().all(|d| d.ready) {
            info!(dependencies = deps.len(), after_ms = millis(started.elapsed()); "every dependency is ready");
            break Ok(());
        }
        if now >= deadline {
            break Err(Error::Entry(format!(
                "{option}: not ready after {}: {}",
                probe::show_duration(timeout),
                waiting(&deps)
            )));
        }
        for dep in deps
            .iter_mut()
            .filter(|d| !d.ready && d.running.is_none() && now >= d.next)
        {
            dep.probe.timeout = ATTEMPT_TIMEOUT.min(deadline - now);
            let running = runner::start(&dep.probe).map_err(|e| {
                Error::Entry(format!(
                    "{option} {}: cannot start a check: {}",
                    dep.url,
                    e.desc()
                ))
            })?;
            dep.running = Some(running);
        }
        if now >= next_warning {
            warn!(waited_ms = millis(started.elapsed()), waiting = waiting(&deps); "still waiting for dependencies");
            next_warning += WARN_EVERY;
        }
        let wake = deps
            .iter()
            .filter(|d| !d.ready)
            .map(|d| d.running.as_ref().map_or(d.next, |r| r.deadline))
            .chain([deadline, next_warning])
            .min()
            .unwrap_or(deadline);
        if let Some(signo) = sleep_until(wake, sigfd, own_pid, stops, &mut deps) {
            break Err(Error::Stopped {
                signo,
                during: format!("while waiting for the dependencies ({option})"),
            });
        }
        let now = Instant::now();
        for dep in deps.iter_mut() {
            let Some(health) = dep.running.as_mut().and_then(|r| r.progress(now)) else {
                continue;
            };
            dep.running = None;
            match health {
                Health::Healthy(what) => {
                    dep.ready = true;
                    info!(url = dep.url.as_str(), after_ms = millis(started.elapsed()), check = what; "dependency ready");
                }
                Health::Unhealthy(why) => {
                    if dep.last.is_none() {
                        info!(url = dep.url.as_str(), reason = why.as_str(); "dependency not ready yet: waiting");
                    } else {
                        debug!(url = dep.url.as_str(), reason = why.as_str(); "dependency still not ready");
                    }
                    dep.last = Some(why);
                    dep.next = now + dep.backoff;
                    dep.backoff = (dep.backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    };
    // Whatever ended the wait, no check outlives it.
    for running in deps.iter_mut().filter_map(|d| d.running.as_mut()) {
        running.finish();
    }
    result
}

/// Sleep in poll(2) until `wake`, a signal, or a check's answer. Returns the
/// stop signal that ends the wait, if one came.
fn sleep_until(
    wake: Instant,
    sigfd: &OwnedFd,
    own_pid: u32,
    stops: signals::Stops,
    deps: &mut [Dependency],
) -> Option<i32> {
    let left = wake.saturating_duration_since(Instant::now()) + Duration::from_micros(999);
    let timeout = PollTimeout::try_from(left.as_millis()).unwrap_or(PollTimeout::MAX);
    let mut fds = vec![PollFd::new(sigfd.as_fd(), PollFlags::POLLIN)];
    fds.extend(
        deps.iter()
            .filter_map(|d| d.running.as_ref())
            .map(|r| PollFd::new(r.fd(), PollFlags::POLLIN)),
    );
    let signalled = match poll(&mut fds, timeout) {
        Ok(_) => fds[0].any().unwrap_or(false),
        // EINTR cannot happen with every signal blocked; either way, the loop comes back.
        Err(_) => false,
    };
    drop(fds);
    if !signalled {
        return None;
    }
    let received = sys::read_signals(sigfd).unwrap_or_default();
    let stop = super::stop::sort(&received, own_pid, stops, &mut || reap(deps));
    if let Some(signo) = stop {
        info!(signal = signals::name(signo); "stop signal while waiting for dependencies: exiting before the program starts");
    }
    stop
}

/// Reap whatever has ended: a check's copy (whose answer is in its pipe),
/// or, as PID 1, an orphan some `docker exec` left.
fn reap(deps: &mut [Dependency]) {
    while let Ok(Reap::Ended(pid, _)) = sys::reap_one() {
        for running in deps.iter_mut().filter_map(|d| d.running.as_mut()) {
            if running.pid.as_raw() == pid {
                running.mark_reaped();
            }
        }
    }
}

/// `tcp://db:5432 (connection refused), http://cache/ (not tried yet)`.
fn waiting(deps: &[Dependency]) -> String {
    let mut text = String::new();
    for dep in deps.iter().filter(|d| !d.ready) {
        let sep = if text.is_empty() { "" } else { ", " };
        let last = dep.last.as_deref().unwrap_or("no answer yet");
        let _ = write!(text, "{sep}{} ({last})", dep.url);
    }
    text
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
