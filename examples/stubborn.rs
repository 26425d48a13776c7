//! stubborn: the control for the container tests. Like most programs, it
//! never installs a SIGTERM handler and leaves the default action in place.
//! Under tend that is fine: SIGTERM kills it. Run as PID 1 itself, it is
//! not: the kernel drops every signal a PID 1 leaves at its default action
//! (pid_namespaces(7)), so `podman stop` waits out its whole timeout and
//! then SIGKILLs it.

use std::io::Write;
use std::time::Duration;

fn main() {
    let mut out = std::io::stdout().lock();
    // Only a courtesy to whoever reads the logs.
    let _ = writeln!(
        out,
        r#"{{"level":"info","msg":"running, with default signal dispositions"}}"#
    )
    .and_then(|()| out.flush());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
