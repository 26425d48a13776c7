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
    /// A child changed state: drain `waitpid`.
    Reap,
    /// Drop it: job-control noise, or a signal tend raised on itself.
    Ignore,
}

pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
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
/// full file) with its own pid as sender, and that is not the child's business.
pub fn classify(signo: i32, from_self: bool) -> Action {
    match signo {
        SIGCHLD => Action::Reap,
        // tend keeps them blocked, so a terminal never stops it; tini ignores them too.
        SIGTTIN | SIGTTOU => Action::Ignore,
        _ if from_self => Action::Ignore,
        _ => Action::Forward,
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

/// The signals that ask the app to stop, unless `--stop-signals` says
/// otherwise: only these start `--grace`'s countdown and are followed by a
/// SIGCONT. SIGHUP means "reload" to nginx, Prometheus and HAProxy, and SIGQUIT
/// asks a JVM for a thread dump, so neither is one by default.
pub const DEFAULT_STOP: Set = Set::of(&[SIGTERM, SIGINT]);

/// "SIGTERM", "SIGRTMIN+3", "SIG33".
pub fn name(signo: i32) -> String {
    match signo {
        1..=31 => NAMES[signo as usize].to_string(),
        RTMIN => "SIGRTMIN".to_string(),
        MAX => "SIGRTMAX".to_string(),
        35..=63 => format!("SIGRTMIN+{}", signo - RTMIN),
        _ => format!("SIG{signo}"),
    }
}

/// Parse "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1". None if it is no signal.
pub fn parse(text: &str) -> Option<i32> {
    if let Ok(n) = text.parse::<i32>() {
        return (1..=MAX).contains(&n).then_some(n);
    }
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(i) = NAMES.iter().position(|n| n.len() > 3 && &n[3..] == bare) {
        return i32::try_from(i).ok();
    }
    let offset = |rest: &str, sign: char| -> Option<i32> {
        match rest {
            "" => Some(0),
            _ => rest.strip_prefix(sign)?.parse::<i32>().ok(),
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
            let n = name(signo);
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
                classify(signo, from_self),
                want,
                "{} {from_self}",
                name(signo)
            );
        }
    }

    #[test]
    fn stop_signals_are_term_and_int_by_default() {
        let members = |set: Set| (1..=MAX).filter(|&s| set.contains(s)).collect::<Vec<_>>();
        assert_eq!(members(DEFAULT_STOP), [SIGINT, SIGTERM]);
        let set = Set::of(&[1, 64, 0, 65, -3]);
        assert_eq!(members(set), [1, 64]);
        assert!(!set.contains(0) && !set.contains(65));
    }
}
