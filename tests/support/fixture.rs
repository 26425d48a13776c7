//! tend-fixture: a child with scripted behaviour, for the integration tests.
//!
//! Each mode prints `ready` (flushed) before the test may send anything, and
//! reports what it sees as lines on stdout. Never part of an image.
//!
//!   exit CODE            exit with CODE at once
//!   wait                 default dispositions, pause until a signal ends it
//!   signals [N]          print `got SIGNO` for every signal, exit 0 after N of them
//!   ignore SIGNO...      ignore the signals, then wait forever
//!   status               print the Sig* and identity lines of /proc/self/status
//!   group                fork a grandchild (same process group), ignore SIGTERM, report the grandchild's end
//!   orphans N            leave N orphans that exit at once; print `orphaned N`; then wait
//!   linger SECONDS [ignore-term] [wait]
//!                        leave one orphan alive for SECONDS (ignoring SIGTERM if asked), then
//!                        exit 0, or with `wait` ignore SIGTERM too and wait for another signal
//!   env                  print the environment, one VAR=value per line
//!   argv ARGS...         print each argument on a line of its own, as `arg: ARG`
//!   where                print `cwd: DIR` and `umask: MASK` (from /proc/self/status)
//!   try-root             report whether setuid(0) succeeds
//!   ignoring SIGNO[,SIGNO…] PROGRAM ARGS…
//!                        set the signals to ignored, then exec PROGRAM: a parent that leaves them so
//!   leave-group          move to the process group of a helper child, so that the group tend
//!                        made for it is empty; then wait with default dispositions
//!   handle SIGNO...      install a handler for each that prints `got SIGNO`; every other
//!                        signal at its default; wait forever
//!   daemon               leave a daemon in a session of its own, adopted by the init, that
//!                        prints `daemon got SIGNO` for SIGUSR1 and SIGTERM; print `main got SIGNO`
//!                        for the same; `ready` once both are set up
//!   session-orphan       leave an orphan that ignores SIGTERM, whose own child leads a new
//!                        session and ignores SIGTERM too; print `grandchild PID`, `ready`, exit 0
//!   await PATH CODE      default dispositions; print `ready`, then exit with CODE once PATH
//!                        exists (looked for every 10 ms): an exit the test decides the moment of
#![allow(unsafe_code)]

use std::io::Write;
use std::process::exit;
use std::time::Duration;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // The test reads these lines; if nobody listens, there is nothing to do.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn arg(args: &[String], i: usize) -> i32 {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        eprintln!("tend-fixture: argument {i} missing or not a number: {args:?}");
        exit(2)
    })
}

fn pause_forever() -> ! {
    loop {
        // SAFETY: pause(2) has no arguments and only returns after a signal handler ran.
        unsafe { libc::pause() };
    }
}

fn fork() -> libc::pid_t {
    // SAFETY: the fixture is single-threaded when it forks, and the child
    // only calls async-signal-safe functions (_exit, pause, signal) or execs.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        eprintln!("tend-fixture: fork failed");
        exit(2);
    }
    pid
}

fn set_disposition(signo: i32, handler: libc::sighandler_t) {
    // SAFETY: only SIG_IGN / SIG_DFL are installed; no handler code runs.
    unsafe { libc::signal(signo, handler) };
}

/// Write `PREFIXgot SIGNO` with write(2) alone: async-signal-safe, no allocation.
fn write_signal(prefix: &[u8], signo: libc::c_int) {
    let mut line = [0u8; 32];
    let mut n = 0;
    for &b in prefix.iter().chain(b"got ") {
        line[n] = b;
        n += 1;
    }
    let digits = [signo / 10, signo % 10];
    for (i, d) in digits.iter().enumerate() {
        if i == 0 && *d == 0 {
            continue;
        }
        line[n] = b'0' + *d as u8;
        n += 1;
    }
    line[n] = b'\n';
    // SAFETY: write(2) on stdout from a valid buffer is async-signal-safe.
    unsafe { libc::write(1, line.as_ptr().cast(), n + 1) };
}

extern "C" fn report_signal(signo: libc::c_int) {
    write_signal(b"", signo);
}

extern "C" fn report_main_signal(signo: libc::c_int) {
    write_signal(b"main ", signo);
}

extern "C" fn report_daemon_signal(signo: libc::c_int) {
    write_signal(b"daemon ", signo);
}

fn set_handler(signo: i32, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: the handler only calls write(2), which is async-signal-safe.
    unsafe { libc::signal(signo, handler as libc::sighandler_t) };
}

fn unblock_all() {
    // SAFETY: an empty set on the stack, applied to this thread's mask.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
}

fn block_all() -> libc::sigset_t {
    // SAFETY: plain sigset manipulation on a local variable.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn next_signal(set: &libc::sigset_t) -> i32 {
    loop {
        // SAFETY: `set` is a valid sigset; a null siginfo pointer is allowed.
        let signo = unsafe { libc::sigwaitinfo(set, std::ptr::null_mut()) };
        if signo > 0 {
            return signo;
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // No core files from the signal tests. Lowering a limit is always allowed.
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: a valid rlimit struct on the stack.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
    match args.first().map(String::as_str) {
        Some("exit") => exit(arg(&args, 1)),
        Some("wait") => {
            // Die of whatever comes: undo std's SIGSEGV/SIGBUS handlers and SIGPIPE ignore,
            // and anything inherited (a background job starts with SIGINT/SIGQUIT ignored).
            for signo in 1..=64 {
                set_disposition(signo, libc::SIG_DFL);
            }
            // SAFETY: an empty set on the stack, applied to this thread's mask.
            unsafe {
                let mut none: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut none);
                libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            }
            say("ready");
            pause_forever();
        }
        Some("signals") => {
            let limit = args
                .get(1)
                .and_then(|a| a.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            let set = block_all();
            say("ready");
            for _ in 0..limit {
                say(&format!("got {}", next_signal(&set)));
            }
        }
        Some("ignore") => {
            for i in 1..args.len() {
                set_disposition(arg(&args, i), libc::SIG_IGN);
            }
            say("ready");
            pause_forever();
        }
        Some("status") => {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            for line in status.lines() {
                let keep = ["Sig", "Shd", "Uid", "Gid", "Groups", "Cap", "NoNewPrivs"];
                if keep.iter().any(|k| line.starts_with(k)) {
                    say(line);
                }
            }
        }
        Some("group") => {
            let grandchild = fork();
            if grandchild == 0 {
                pause_forever();
            }
            set_disposition(libc::SIGTERM, libc::SIG_IGN);
            say(&format!("ready {grandchild}"));
            let mut status = 0;
            // SAFETY: waiting for our own child with a valid out-pointer.
            unsafe { libc::waitpid(grandchild, &mut status, 0) };
            if libc::WIFSIGNALED(status) {
                say(&format!("grandchild died of {}", libc::WTERMSIG(status)));
            }
            exit(7);
        }
        Some("orphans") => {
            let count = arg(&args, 1);
            // Every orphan holds the pipe's write end: EOF means all of them have exited.
            let mut fds = [0; 2];
            // SAFETY: a valid two-int array for pipe(2).
            unsafe { libc::pipe(fds.as_mut_ptr()) };
            let parent = fork();
            if parent == 0 {
                for _ in 0..count {
                    if fork() == 0 {
                        // SAFETY: _exit is async-signal-safe and skips atexit handlers.
                        unsafe { libc::_exit(0) };
                    }
                }
                // SAFETY: as above; the orphans are now reparented to the init.
                unsafe { libc::_exit(0) };
            }
            let mut status = 0;
            let mut byte = [0u8; 1];
            // SAFETY: our own child, our own pipe, valid buffers.
            unsafe {
                libc::waitpid(parent, &mut status, 0);
                libc::close(fds[1]);
                while libc::read(fds[0], byte.as_mut_ptr().cast(), 1) > 0 {}
            }
            say(&format!("orphaned {count}"));
            pause_forever();
        }
        Some("linger") => {
            let seconds = arg(&args, 1);
            let ignore_term = args.get(2).is_some_and(|a| a == "ignore-term");
            let wait = args.get(3).is_some_and(|a| a == "wait");
            // Set before the fork, so the orphan has it from its first instant:
            // a sleep for it to set its own would be a race on a loaded machine.
            if ignore_term {
                set_disposition(libc::SIGTERM, libc::SIG_IGN);
            }
            if fork() == 0 {
                std::thread::sleep(Duration::from_secs(seconds as u64));
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(0) };
            }
            // Every disposition is in place before `ready`, after which the test may signal.
            if wait {
                set_disposition(libc::SIGTERM, libc::SIG_IGN);
                set_disposition(libc::SIGUSR1, libc::SIG_DFL);
            } else {
                set_disposition(libc::SIGTERM, libc::SIG_DFL);
            }
            say("ready");
            if wait {
                pause_forever();
            }
        }
        Some("argv") => {
            for a in std::env::args_os().skip(2) {
                say(&format!("arg: {}", a.to_string_lossy()));
            }
        }
        Some("where") => {
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            say(&format!("cwd: {cwd}"));
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let umask = status
                .lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .unwrap_or("?")
                .trim();
            say(&format!("umask: {umask}"));
        }
        Some("env") => {
            for (key, value) in std::env::vars_os() {
                say(&format!(
                    "{}={}",
                    key.to_string_lossy(),
                    value.to_string_lossy()
                ));
            }
        }
        Some("try-root") => {
            // SAFETY: setuid takes an integer; failure is the expected answer.
            let rc = unsafe { libc::setuid(0) };
            say(if rc == 0 {
                "setuid(0) succeeded"
            } else {
                "setuid(0) failed"
            });
        }
        Some("ignoring") => {
            let signals = args.get(1).map(String::as_str).unwrap_or_default();
            for signo in signals.split(',').filter_map(|s| s.parse().ok()) {
                set_disposition(signo, libc::SIG_IGN);
            }
            let Some(program) = args.get(2) else {
                eprintln!("tend-fixture: ignoring SIGNOS PROGRAM ARGS...");
                exit(2);
            };
            let error = std::os::unix::process::CommandExt::exec(
                std::process::Command::new(program).args(&args[3..]),
            );
            eprintln!("tend-fixture: exec {program}: {error}");
            exit(2);
        }
        Some("leave-group") => {
            let helper = fork();
            if helper == 0 {
                pause_forever();
            }
            // SAFETY: setpgid takes plain integers. The parent may move its own child,
            // so the helper's group exists before this process joins it.
            unsafe {
                libc::setpgid(helper, helper);
                if libc::setpgid(0, helper) != 0 {
                    eprintln!("tend-fixture: setpgid failed");
                    exit(2);
                }
            }
            for signo in 1..=64 {
                set_disposition(signo, libc::SIG_DFL);
            }
            // SAFETY: getpgrp has no arguments and cannot fail.
            say(&format!("ready {}", unsafe { libc::getpgrp() }));
            pause_forever();
        }
        Some("session-orphan") => {
            // Two pipes, so each step waits for the one before: the grandchild
            // has left the session, then the orphan has said so, then `ready`.
            let (mut set_up, mut said) = ([0; 2], [0; 2]);
            // SAFETY: valid two-int arrays for pipe(2).
            unsafe {
                libc::pipe(set_up.as_mut_ptr());
                libc::pipe(said.as_mut_ptr());
            }
            let mut byte = [0u8; 1];
            if fork() == 0 {
                set_disposition(libc::SIGTERM, libc::SIG_IGN);
                let grandchild = fork();
                if grandchild == 0 {
                    // SAFETY: setsid and write take plain arguments; the byte says "done".
                    unsafe {
                        libc::setsid();
                        libc::write(set_up[1], b"x".as_ptr().cast(), 1);
                    }
                    pause_forever();
                }
                // SAFETY: our own pipes, a valid buffer.
                unsafe { libc::read(set_up[0], byte.as_mut_ptr().cast(), 1) };
                say(&format!("grandchild {grandchild}"));
                // SAFETY: as above.
                unsafe { libc::write(said[1], b"x".as_ptr().cast(), 1) };
                pause_forever();
            }
            // SAFETY: as above.
            unsafe { libc::read(said[0], byte.as_mut_ptr().cast(), 1) };
            say("ready");
        }
        Some("handle") => {
            for signo in 1..=64 {
                set_disposition(signo, libc::SIG_DFL);
            }
            for i in 1..args.len() {
                set_handler(arg(&args, i), report_signal);
            }
            unblock_all();
            say("ready");
            pause_forever();
        }
        Some("daemon") => {
            let mut fds = [0; 2];
            // SAFETY: a valid two-int array for pipe(2).
            unsafe { libc::pipe(fds.as_mut_ptr()) };
            if fork() == 0 {
                if fork() == 0 {
                    // SAFETY: setsid takes no arguments; the daemon leaves our session.
                    unsafe { libc::setsid() };
                    for signo in [libc::SIGUSR1, libc::SIGTERM] {
                        set_handler(signo, report_daemon_signal);
                    }
                    unblock_all();
                    // SAFETY: our own pipe; the byte says "set up".
                    unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) };
                    pause_forever();
                }
                // SAFETY: _exit is async-signal-safe; the daemon is orphaned and adopted.
                unsafe { libc::_exit(0) };
            }
            for signo in [libc::SIGUSR1, libc::SIGTERM] {
                set_handler(signo, report_main_signal);
            }
            unblock_all();
            let mut byte = [0u8; 1];
            // SAFETY: our own pipe, a valid buffer.
            unsafe { libc::read(fds[0], byte.as_mut_ptr().cast(), 1) };
            say("ready");
            pause_forever();
        }
        Some("await") => {
            for signo in 1..=64 {
                set_disposition(signo, libc::SIG_DFL);
            }
            unblock_all();
            let path = args.get(1).cloned().unwrap_or_default();
            let code = arg(&args, 2);
            say("ready");
            while !std::path::Path::new(&path).exists() {
                std::thread::sleep(Duration::from_millis(10));
            }
            exit(code);
        }
        _ => {
            eprintln!("tend-fixture: unknown mode {args:?}");
            exit(2);
        }
    }
}
