//! The app that runs under each init while it is measured. One mode per figure:
//!
//! - `pause`: print `ready`, then sleep in pause(2) with every signal at its
//!   default action, so a forwarded SIGTERM ends it at once.
//! - `sigrecv`: block SIGUSR1, print `ready`, then for each SIGUSR1 that
//!   arrives print `<count> <CLOCK_MONOTONIC ns>`, the moment it was taken.
//! - `orphans N`: hand N zombies to the init at once and time their reaping:
//!   prints `reaped <N> <ns> <left>`.
//!
//! Output goes straight to fd 1 with write(2): no buffering between the
//! moment a line is made and the moment the driver can read it.

use std::time::Duration;

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn say(line: &str) {
    let bytes = line.as_bytes();
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: the pointer and length describe the live slice.
        let n = unsafe { libc::write(1, bytes[done..].as_ptr().cast(), bytes.len() - done) };
        if n <= 0 {
            // The driver is gone: nobody to tell.
            std::process::exit(2);
        }
        done += n as usize;
    }
}

fn pause() -> ! {
    say("ready\n");
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    }
}

fn sigrecv() -> ! {
    // SAFETY: plain sigset manipulation on a local set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    say("ready\n");
    let mut count: u64 = 0;
    loop {
        // SAFETY: set is initialised; a null siginfo is allowed.
        let sig = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
        let t = now_ns();
        if sig == libc::SIGUSR1 {
            count += 1;
            say(&format!("{count} {t}\n"));
        }
    }
}

/// An intermediate child makes N children that exit at once (each is a zombie
/// before the next is made), then exits itself, so the kernel hands
/// all N zombies to PID 1 together. We time from just before that exit until
/// every one of the N pids is gone (kill(pid, 0) fails with ESRCH).
fn orphans(n: usize) -> ! {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        eprintln!("bench-child: pipe failed");
        std::process::exit(3);
    }
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: this process is single-threaded, so the child may do anything.
    let inter = unsafe { libc::fork() };
    if inter < 0 {
        eprintln!("bench-child: fork failed");
        std::process::exit(3);
    }
    if inter == 0 {
        // SAFETY: closing our copy of the read end.
        unsafe { libc::close(rd) };
        let mut pids: Vec<i32> = Vec::with_capacity(n);
        // clone(CLONE_VM | CLONE_VFORK) on a stack of its own: each child
        // exits before clone returns, so it is a zombie before the next one
        // is made, and making 20,000 costs little.
        let mut stack = vec![0u8; 64 * 1024];
        extern "C" fn exit_now(_: *mut libc::c_void) -> libc::c_int {
            // SAFETY: _exit is async-signal-safe and touches no shared state.
            unsafe { libc::_exit(0) }
        }
        for _ in 0..n {
            // SAFETY: the stack is ours and outlives the child, which only
            // calls _exit; CLONE_VFORK suspends us until it has.
            let pid = unsafe {
                let top = stack.as_mut_ptr().add(stack.len()).cast::<libc::c_void>();
                libc::clone(
                    exit_now,
                    top,
                    libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                    std::ptr::null_mut(),
                )
            };
            if pid < 0 {
                break;
            }
            pids.push(pid);
        }
        let mut msg: Vec<u8> = Vec::with_capacity(8 + pids.len() * 4 + 8);
        msg.extend_from_slice(&(pids.len() as u64).to_le_bytes());
        for p in &pids {
            msg.extend_from_slice(&p.to_le_bytes());
        }
        write_all(wr, &msg);
        let t0 = now_ns();
        write_all(wr, &t0.to_le_bytes());
        // SAFETY: leave now; the zombies go to PID 1.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: closing our copy of the write end, so EOF comes when inter exits.
    unsafe { libc::close(wr) };
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        // SAFETY: chunk is a valid buffer of its length.
        let r = unsafe { libc::read(rd, chunk.as_mut_ptr().cast(), chunk.len()) };
        if r <= 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..r as usize]);
    }
    if buf.len() < 16 {
        eprintln!("bench-child: short message from the intermediate");
        std::process::exit(3);
    }
    let made = u64::from_le_bytes(buf[..8].try_into().unwrap()) as usize;
    let pids: Vec<i32> = (0..made)
        .map(|i| i32::from_le_bytes(buf[8 + 4 * i..12 + 4 * i].try_into().unwrap()))
        .collect();
    let t0 = u64::from_le_bytes(buf[8 + 4 * made..16 + 4 * made].try_into().unwrap());
    let deadline = t0 + 20_000_000_000;
    let mut timed_out = false;
    for &pid in &pids {
        // SAFETY: signal 0 only checks that the pid exists.
        while unsafe { libc::kill(pid, 0) } == 0 {
            if now_ns() > deadline {
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        if timed_out {
            break;
        }
    }
    let t1 = now_ns();
    // SAFETY: as above.
    let left = pids
        .iter()
        .filter(|&&p| unsafe { libc::kill(p, 0) } == 0)
        .count();
    // SAFETY: reap the intermediate, our own child.
    unsafe { libc::waitpid(inter, std::ptr::null_mut(), 0) };
    say(&format!("reaped {made} {} {left}\n", t1 - t0));
    std::process::exit(0);
}

fn write_all(fd: i32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe the live slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("pause") => pause(),
        Some("sigrecv") => sigrecv(),
        Some("orphans") => orphans(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000)),
        _ => {
            eprintln!("usage: bench-child pause | sigrecv | orphans N");
            std::process::exit(2);
        }
    }
}
