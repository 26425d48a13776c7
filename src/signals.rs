//! Signal names, and what tend does with each signal it reads.
//!
//! Pure: no system calls. Numbers are the kernel's, 1..=64. Real-time signals
//! are named from SIGRTMIN = 34, the convention of glibc, Docker and
//! `kill -l`; 32 and 33 are reserved by the C libraries and have no name.

/// What the supervisor does with a signal read from the signalfd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pass it on to the child (or its group, or everyone).
    Forward,
    /// Pass it on, then stop tend itself: Ctrl-Z in setsid mode, as dumb-init does.
    JobControl,
    /// A child changed state: drain `waitpid`.
    Reap,
    /// Drop it: job-control noise, or a signal tend raised on itself.
    Ignore,
}

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const RTMIN: i32 = 34;
pub const MAX: i32 = 64;

const NAMES: [&str; 32] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Decide what to do with signal `signo`. `from_self` says tend raised it
/// on itself: a write to a closed stderr sends tend SIGPIPE (SIGXFSZ for a
/// full file) with its own pid as sender, and that is not the child's
/// business. `job_control` is setsid mode, where a terminal's TSTP, TTIN and
/// TTOU suspend the child's session and tend with it.
pub fn classify(signo: i32, from_self: bool, job_control: bool) -> Action {
    match signo {
        SIGCHLD => Action::Reap,
        SIGTSTP | SIGTTIN | SIGTTOU if job_control => Action::JobControl,
        // tend keeps them blocked, so a terminal never stops it; tini ignores them too.
        SIGTTIN | SIGTTOU => Action::Ignore,
        _ if from_self => Action::Ignore,
        _ => Action::Forward,
    }
}

/// Whether a process that neither handles nor ignores `signo` dies of it
/// (signal(7): the Term and Core actions). CHLD, CONT, URG and WINCH are
/// ignored by default, and STOP, TSTP, TTIN and TTOU stop; every real-time
/// signal terminates.
pub fn ends_by_default(signo: i32) -> bool {
    !matches!(signo, 17..=23 | 28) && (1..=MAX).contains(&signo)
}

/// `--rewrite FROM:TO`: each signal becomes another before it is forwarded;
/// 0 drops it. Signals not mentioned pass as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite([u8; 65]);

impl Default for Rewrite {
    fn default() -> Rewrite {
        let mut map = [0u8; 65];
        for (signo, slot) in map.iter_mut().enumerate() {
            *slot = signo as u8;
        }
        Rewrite(map)
    }
}

impl Rewrite {
    /// `from` becomes `to` (0: dropped). Numbers out of 1..=64 change nothing.
    pub fn set(&mut self, from: i32, to: i32) {
        if let (Ok(from), Ok(to)) = (usize::try_from(from), u8::try_from(to))
            && (1..=64).contains(&from)
            && to <= 64
        {
            self.0[from] = to;
        }
    }

    /// Whether `from` was given a rule of its own.
    pub fn is_set(&self, from: i32) -> bool {
        self.apply(from) != from
    }

    /// What `signo` becomes; 0 means drop it.
    pub fn apply(&self, signo: i32) -> i32 {
        usize::try_from(signo)
            .ok()
            .and_then(|i| self.0.get(i))
            .map_or(signo, |&to| i32::from(to))
    }
}

/// A set of signal numbers 1..=64, as the kernel's 64-bit mask: bit `n - 1` is signal `n`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Set(u64);

impl Set {
    pub const fn of(signals: &[i32]) -> Set {
        let mut bits = 0u64;
        let mut i = 0;
        while i < signals.len() {
            if signals[i] >= 1 && signals[i] <= MAX {
                bits |= 1 << (signals[i] - 1);
            }
            i += 1;
        }
        Set(bits)
    }

    pub fn contains(self, signo: i32) -> bool {
        (1..=MAX).contains(&signo) && self.0 & (1 << (signo - 1)) != 0
    }
}

/// What asks the app to stop: `--stop-signals`, seen through `--rewrite`.
/// A signal is a stop signal when what arrived is one, or when what
/// `--rewrite` makes of it is one (issue 18: `--rewrite TERM:QUIT` with the
/// default set, or `--stop-signals QUIT` with it, both stop on TERM), before
/// the program starts and after. A signal rewritten to 0 is dropped, and a
/// dropped signal asks for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stops {
    pub set: Set,
    pub rewrite: Rewrite,
}

impl Stops {
    /// Whether `received`, as it arrived, asks the app to stop.
    pub fn contains(&self, received: i32) -> bool {
        match self.rewrite.apply(received) {
            0 => false,
            became => self.set.contains(received) || self.set.contains(became),
        }
    }
}

/// The signals that ask the app to stop, unless `--stop-signals` says
/// otherwise: only these start `--grace`'s countdown and are followed by a
/// SIGCONT. SIGHUP means "reload" to nginx, Prometheus and HAProxy, and SIGQUIT
/// asks a JVM for a thread dump, so neither is one by default.
pub const DEFAULT_STOP: Set = Set::of(&[SIGTERM, SIGINT]);

/// "SIGTERM", "SIGRTMIN+3", "SIG33", written when shown: a log record
/// that names a signal allocates nothing for it.
pub fn name(signo: i32) -> Name {
    Name(signo)
}

/// A signal's name: see `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name(i32);

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signo = self.0;
        match signo {
            1..=31 => f.write_str(NAMES.get(signo as usize).copied().unwrap_or_default()),
            RTMIN => f.write_str("SIGRTMIN"),
            MAX => f.write_str("SIGRTMAX"),
            35..=63 => write!(f, "SIGRTMIN+{}", signo - RTMIN),
            _ => write!(f, "SIG{signo}"),
        }
    }
}

/// Parse "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1". None if it is no signal.
pub fn parse(text: &str) -> Option<i32> {
    if let Some(n) = crate::number::i32(text) {
        // 32 and 33 belong to the C libraries' threads: no program's signal.
        return ((1..=MAX).contains(&n) && !(32..=33).contains(&n)).then_some(n);
    }
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(i) = NAMES.iter().position(|n| n.len() > 3 && &n[3..] == bare) {
        return i32::try_from(i).ok();
    }
    let offset = |rest: &str, sign: char| -> Option<i32> {
        match rest {
            "" => Some(0),
            _ => crate::number::i32(rest.strip_prefix(sign)?),
        }
    };
    let n = if let Some(rest) = bare.strip_prefix("RTMIN") {
        RTMIN + offset(rest, '+')?
    } else if let Some(rest) = bare.strip_prefix("RTMAX") {
        MAX - offset(rest, '-')?
    } else {
        return None;
    };
    (RTMIN..=MAX).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for signo in 1..=MAX {
            let n = name(signo).to_string();
            if signo == 32 || signo == 33 {
                assert_eq!(n, format!("SIG{signo}"));
                continue;
            }
            assert_eq!(parse(&n), Some(signo), "{n}");
        }
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("SIGKILL", Some(9)),
            ("KILL", Some(9)),
            ("kill", Some(9)),
            ("9", Some(9)),
            ("SIGTERM", Some(15)),
            ("usr1", Some(10)),
            ("RTMIN", Some(34)),
            ("SIGRTMIN+3", Some(37)),
            ("RTMAX-1", Some(63)),
            ("RTMAX", Some(64)),
            ("64", Some(64)),
            ("32", None),
            ("33", None),
            ("0", None),
            ("65", None),
            ("-9", None),
            ("RTMIN+31", None),
            ("RTMIN-1", None),
            ("RTMIN3", None),
            ("FOO", None),
            ("SIG", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn classify_table() {
        let (other, itself) = (false, true);
        for job in [SIGTSTP, SIGTTIN, SIGTTOU] {
            assert_eq!(classify(job, other, true), Action::JobControl, "{job}");
        }
        assert_eq!(classify(SIGTSTP, other, false), Action::Forward);
        assert_eq!(classify(SIGCHLD, other, true), Action::Reap);
        let cases = [
            (SIGCHLD, other, Action::Reap),
            (SIGCHLD, itself, Action::Reap),
            (SIGTTIN, other, Action::Ignore),
            (SIGTTOU, other, Action::Ignore),
            (13, itself, Action::Ignore),
            (13, other, Action::Forward),
            (25, itself, Action::Ignore),
            (SIGTERM, other, Action::Forward),
            (SIGINT, other, Action::Forward),
            (6, other, Action::Forward),
            (11, other, Action::Forward),
            (RTMIN + 1, other, Action::Forward),
        ];
        for (signo, from_self, want) in cases {
            assert_eq!(
                classify(signo, from_self, false),
                want,
                "{} {from_self}",
                name(signo)
            );
        }
    }

    #[test]
    fn default_actions_follow_signal_7() {
        let survivors: Vec<i32> = (1..=MAX).filter(|&s| !ends_by_default(s)).collect();
        assert_eq!(survivors, [17, 18, 19, 20, 21, 22, 23, 28]);
        assert!(!ends_by_default(0) && !ends_by_default(65));
    }

    #[test]
    fn rewrites_map_and_drop() {
        let mut r = Rewrite::default();
        assert!((0..=64).all(|s| r.apply(s) == s) && !r.is_set(15));
        r.set(15, 3);
        r.set(10, 0);
        r.set(RTMIN, MAX);
        r.set(0, 9);
        r.set(65, 1);
        assert_eq!(
            (r.apply(15), r.apply(10), r.apply(RTMIN), r.apply(3)),
            (3, 0, MAX, 3)
        );
        assert!(r.is_set(15) && r.is_set(10) && !r.is_set(3));
        assert_eq!(r.apply(70), 70);
    }

    #[test]
    fn stop_signals_are_term_and_int_by_default() {
        let members = |set: Set| (1..=MAX).filter(|&s| set.contains(s)).collect::<Vec<_>>();
        assert_eq!(members(DEFAULT_STOP), [SIGINT, SIGTERM]);
        let set = Set::of(&[1, 64, 0, 65, -3]);
        assert_eq!(members(set), [1, 64]);
        assert!(!set.contains(0) && !set.contains(65));
    }

    #[test]
    fn a_stop_signal_is_one_as_it_arrived_or_as_it_became() {
        let mut rewrite = Rewrite::default();
        rewrite.set(SIGTERM, 3);
        rewrite.set(SIGINT, 0);
        let stops = |set| Stops { set, rewrite };
        // --rewrite TERM:QUIT with the default set: TERM still stops.
        assert!(stops(DEFAULT_STOP).contains(SIGTERM));
        // --stop-signals QUIT: the TERM that becomes QUIT stops, and QUIT itself.
        assert!(stops(Set::of(&[3])).contains(SIGTERM) && stops(Set::of(&[3])).contains(3));
        // Dropped (TO 0): no stop; unrelated signals: no stop.
        assert!(!stops(DEFAULT_STOP).contains(SIGINT) && !stops(DEFAULT_STOP).contains(SIGHUP));
    }
}
