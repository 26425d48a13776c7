//! The system calls that nix does not offer safely for every signal number,
//! the two it does not offer at all (statx(2), getrandom(2)), the
//! credential calls without musl's every-thread machinery, and
//! getaddrinfo(3) without std's wrapper, and writes to fd 1 and 2 without
//! std's locked, buffered Stdout and Stderr.
//!
//! nix's `Signal` knows only signals 1..=31, and the C libraries hide 32..=34
//! from `sigfillset`. tend must block, read and forward all 64, so masks here
//! are the kernel's own 64-bit sets, passed straight to the system calls.
//! Every `unsafe` block in tend outside the pre-exec step lives here.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, OsString, c_char, c_int};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;

use nix::errno::Errno;

use crate::iter::IntoVec;

/// A kernel signal set: bit `n - 1` stands for signal `n`.
pub type SigSet = u64;

/// Every signal. The kernel silently leaves SIGKILL and SIGSTOP out.
pub const ALL_SIGNALS: SigSet = !0;

/// The size of the kernel's sigset_t, which is not libc's (128 bytes).
const KERNEL_SIGSET_BYTES: libc::size_t = 8;

/// Replace the thread's signal mask with `set`; returns the mask it had.
pub fn set_mask(set: SigSet) -> Result<SigSet, Errno> {
    let mut old: SigSet = 0;
    // SAFETY: both pointers are to live u64s, the size the kernel expects
    // for a sigset (KERNEL_SIGSET_BYTES). No memory is retained by the kernel.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &set as *const SigSet,
            &mut old as *mut SigSet,
            KERNEL_SIGSET_BYTES,
        )
    };
    Errno::result(rc).map(|_| old)
}

/// A signalfd for `set`, close-on-exec (the child must not inherit it) and
/// blocking: the supervisor sleeps in read(2) on it.
pub fn signalfd(set: SigSet) -> Result<OwnedFd, Errno> {
    // SAFETY: `set` is a live u64 of KERNEL_SIGSET_BYTES; fd -1 asks for a new fd.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1,
            &set as *const SigSet,
            KERNEL_SIGSET_BYTES,
            libc::SFD_CLOEXEC,
        )
    };
    let fd = Errno::result(fd)?;
    let fd = c_int::try_from(fd).map_err(|_| Errno::EBADF)?;
    // SAFETY: the kernel just returned this descriptor, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Give SIGCHLD its default disposition if it was inherited as ignored
/// (SIG_IGN, or SA_NOCLDWAIT). A parent can leave it so across exec, and then
/// the kernel reaps tend's children itself and sends no SIGCHLD: tend would
/// never learn that its app exited. Returns whether it had to change it.
/// The child inherits the default too (POSIX leaves it open whether an
/// ignored SIGCHLD survives exec): see docs/design.md, "The child".
pub fn default_sigchld() -> Result<bool, Errno> {
    // SAFETY: a zeroed sigaction is a valid out-parameter; a null new action only reads.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `old` is a live sigaction for the kernel to fill in.
    Errno::result(unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) })?;
    let ignored = old.sa_sigaction == libc::SIG_IGN || old.sa_flags & libc::SA_NOCLDWAIT != 0;
    if !ignored {
        return Ok(false);
    }
    // SAFETY: an all-zero sigaction is SIG_DFL with no flags and an empty mask.
    let default: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: installs no handler code, only the default disposition.
    Errno::result(unsafe { libc::sigaction(libc::SIGCHLD, &default, std::ptr::null_mut()) })?;
    Ok(true)
}

/// Let go of stdin's terminal if it is tend's controlling terminal
/// (TIOCNOTTY, tty_ioctl(4)), so that the child's new session can take it.
/// When tend leads its session, the kernel then sends SIGHUP and SIGCONT to
/// tend's foreground group. Err(ENOTTY) when there is no such terminal.
pub fn detach_terminal() -> Result<(), Errno> {
    // SAFETY: TIOCNOTTY takes no argument and touches no memory of ours.
    Errno::result(unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCNOTTY) }).map(drop)
}

/// kill(2) with a raw signal number, real-time ones included. `pid` follows
/// kill(2): > 0 a process, < -1 a process group, -1 every process we may signal.
pub fn kill(pid: libc::pid_t, signo: i32) -> Result<(), Errno> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    Errno::result(unsafe { libc::kill(pid, signo) }).map(drop)
}

/// setgroups(2), setgid(2) and setuid(2), as the kernel's own system calls:
/// musl's wrappers stop every thread to make each one take the change
/// (__synccall, which is most of their code), and tend has a single thread.
pub fn set_groups(gids: &[u32]) -> Result<(), Errno> {
    // SAFETY: the kernel reads `gids.len()` gid_t (u32) from a live slice.
    Errno::result(unsafe { libc::syscall(libc::SYS_setgroups, gids.len(), gids.as_ptr()) })
        .map(drop)
}

/// See `set_groups`.
pub fn set_gid(gid: u32) -> Result<(), Errno> {
    // SAFETY: an integer argument only.
    Errno::result(unsafe { libc::syscall(libc::SYS_setgid, libc::c_long::from(gid)) }).map(drop)
}

/// See `set_groups`.
pub fn set_uid(uid: u32) -> Result<(), Errno> {
    // SAFETY: an integer argument only.
    Errno::result(unsafe { libc::syscall(libc::SYS_setuid, libc::c_long::from(uid)) }).map(drop)
}

/// fd 1, borrowed as std's own `stdout().as_fd()` borrows it, without the
/// lock and the line buffer that std's Stdout sets up on first use.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: fd 1 is only written to and queried; if it is closed, those
    // fail harmlessly with EBADF, as through std's Stdout.
    unsafe { BorrowedFd::borrow_raw(libc::STDOUT_FILENO) }
}

/// fd 2, as `stdout` borrows fd 1.
pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: as for fd 1 in `stdout`.
    unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) }
}

/// All of `bytes` to `fd`, waiting as a blocking write does, on through
/// short writes and EINTR: std's `write_all`. A closed fd (EBADF) takes
/// everything, as std's Stdout and Stderr pretend it does.
pub fn write_all(fd: BorrowedFd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match nix::unistd::write(fd, bytes) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(Errno::EINTR) => {}
            Err(Errno::EBADF) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// getgroups(2): the supplementary groups tend runs with.
pub fn groups() -> Result<Vec<u32>, Errno> {
    loop {
        // SAFETY: a size of 0 asks only for the count, and writes nothing.
        let count = Errno::result(unsafe { libc::getgroups(0, std::ptr::null_mut()) })?;
        let mut gids = vec![0; usize::try_from(count).unwrap_or(0)];
        // SAFETY: `gids` has room for `count` gid_t (u32), which the kernel fills.
        match Errno::result(unsafe { libc::getgroups(count, gids.as_mut_ptr()) }) {
            Ok(got) => {
                gids.truncate(usize::try_from(got).unwrap_or(0));
                return Ok(gids);
            }
            // The list grew in between: ask again.
            Err(Errno::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Read what signals are waiting in `sigfd`: (signal number, sender's pid)
/// for each. A blocking signalfd waits for one; a non-blocking one returns
/// at once, empty when there is none (EAGAIN).
pub fn read_signals(sigfd: &OwnedFd) -> Result<Vec<(i32, u32)>, Errno> {
    // struct signalfd_siginfo: ssi_signo (u32) at 0, ssi_pid (u32) at 12; 128 bytes each.
    const SIGINFO_BYTES: usize = 128;
    let mut buf = [0u8; SIGINFO_BYTES * 16];
    match nix::unistd::read(sigfd, &mut buf) {
        Ok(n) => Ok(buf[..n]
            .chunks_exact(SIGINFO_BYTES)
            .map(|info| {
                let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                let sender = u32::from_ne_bytes([info[12], info[13], info[14], info[15]]);
                (i32::try_from(signo).unwrap_or(0), sender)
            })
            .into_vec()),
        Err(Errno::EAGAIN | Errno::EINTR) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// How a child ended, with the raw signal number (nix's WaitStatus cannot
/// hold a real-time signal, and its waitpid fails after reaping such a child).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// What one waitpid(-1, WNOHANG) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reap {
    /// A child ended.
    Ended(libc::pid_t, Exit),
    /// Children remain, none has ended.
    Alive,
    /// No children at all (ECHILD).
    None,
}

/// waitpid(-1, &status, WNOHANG), once.
pub fn reap_one() -> Result<Reap, Errno> {
    let mut status: c_int = 0;
    // SAFETY: `status` is a live c_int for the kernel to fill in.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    match pid {
        0 => Ok(Reap::Alive),
        -1 if Errno::last() == Errno::ECHILD => Ok(Reap::None),
        -1 => Err(Errno::last()),
        pid if libc::WIFSIGNALED(status) => {
            Ok(Reap::Ended(pid, Exit::Signal(libc::WTERMSIG(status))))
        }
        pid => Ok(Reap::Ended(pid, Exit::Code(libc::WEXITSTATUS(status)))),
    }
}

/// The C runtime's argv, argv[0] included.
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings, as the C runtime
/// passes them to `main`.
pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .map(|i| {
            // SAFETY: i < argc, and the caller promises argv[i] is a valid C string.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsString::from_vec(arg.to_bytes().to_vec())
        })
        .into_vec()
}

/// What statx(2) says about one file: as much as `--chown` and the safe
/// walk need. `mount_root` is whether the file is the root of a mount, bind
/// mounts of the same filesystem included (STATX_ATTR_MOUNT_ROOT); None
/// where the kernel does not say (before Linux 5.8, or without statx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The type and permission bits, as st_mode.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    /// The filesystem's device, (major, minor).
    pub dev: (u32, u32),
    pub ino: u64,
    pub mount_root: Option<bool>,
}

/// statx(2) on `name` in the directory `dirfd`, with `flags`
/// (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH with an empty name for `dirfd`
/// itself). Falls back to fstatat(2) on a kernel without statx (ENOSYS).
pub fn statx(dirfd: BorrowedFd<'_>, name: &CStr, flags: c_int) -> Result<Stat, Errno> {
    use std::os::fd::AsRawFd;
    const WANTED: libc::c_uint = libc::STATX_TYPE
        | libc::STATX_MODE
        | libc::STATX_NLINK
        | libc::STATX_UID
        | libc::STATX_GID
        | libc::STATX_INO;
    // SAFETY: an all-zero statx is a valid out-parameter (plain integers).
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is a NUL-terminated string that outlives the call, and
    // `buf` is a live statx for the kernel to fill in; nothing is retained.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_statx,
            dirfd.as_raw_fd(),
            name.as_ptr(),
            flags,
            WANTED,
            &mut buf as *mut libc::statx,
        )
    };
    match Errno::result(rc) {
        Ok(_) => {
            let root = libc::STATX_ATTR_MOUNT_ROOT as u64;
            Ok(Stat {
                mode: u32::from(buf.stx_mode),
                uid: buf.stx_uid,
                gid: buf.stx_gid,
                nlink: buf.stx_nlink,
                dev: (buf.stx_dev_major, buf.stx_dev_minor),
                ino: buf.stx_ino,
                mount_root: (buf.stx_attributes_mask & root != 0)
                    .then_some(buf.stx_attributes & root != 0),
            })
        }
        Err(Errno::ENOSYS) => {
            let at = nix::fcntl::AtFlags::from_bits_truncate(flags);
            let st = nix::sys::stat::fstatat(dirfd, name, at)?;
            Ok(Stat {
                mode: st.st_mode,
                uid: st.st_uid,
                gid: st.st_gid,
                nlink: u32::try_from(st.st_nlink).unwrap_or(u32::MAX),
                dev: (libc::major(st.st_dev), libc::minor(st.st_dev)),
                ino: st.st_ino,
                mount_root: None,
            })
        }
        Err(e) => Err(e),
    }
}

/// Fill `buf` from the kernel's random source (getrandom(2), which waits
/// only until the pool is first seeded at boot).
pub fn random(buf: &mut [u8]) -> Result<(), Errno> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: `rest` is live, writable memory of exactly `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        match Errno::result(n) {
            Ok(n) => filled += usize::try_from(n).unwrap_or(0),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Why getaddrinfo(3) found no address.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// EAI_SYSTEM: a system call failed, with this error.
    Os(Errno),
    /// Any other failure, in the resolver's own words (gai_strerror(3)):
    /// "Name does not resolve", "Try again".
    Resolver(String),
}

/// getaddrinfo(3) for a TCP connection to `name`: its IPv4 and IPv6
/// addresses in the resolver's order (RFC 6724's), each with `port`. The
/// question std's `ToSocketAddrs` asks (SOCK_STREAM, any family), without
/// its wrapper. `name` is a host name, never an address literal.
pub fn lookup(name: &str, port: u16) -> Result<Vec<SocketAddr>, Unresolved> {
    let name = CString::new(name).map_err(|_| Unresolved::Os(Errno::EINVAL))?;
    // SAFETY: all-zero is a valid addrinfo: no flags, any family and protocol.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: `name` and `hints` are live for the call, which on success
    // stores in `list` a list that only freeaddrinfo below frees.
    let rc = unsafe { libc::getaddrinfo(name.as_ptr(), std::ptr::null(), &hints, &mut list) };
    if rc == libc::EAI_SYSTEM {
        return Err(Unresolved::Os(Errno::last()));
    }
    if rc != 0 {
        // SAFETY: gai_strerror returns a static NUL-terminated text for any code.
        let words = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) };
        return Err(Unresolved::Resolver(words.to_string_lossy().into_owned()));
    }
    let mut addrs = Vec::new();
    let mut entry = list;
    // SAFETY: a successful getaddrinfo gives a NULL-terminated list whose
    // entries' ai_addr point to ai_addrlen bytes of a sockaddr of the family
    // it names (read unaligned, as copies); the list is freed once, after.
    unsafe {
        while let Some(this) = entry.as_ref() {
            let len = this.ai_addrlen as usize;
            let addr = this.ai_addr;
            let family = if addr.is_null() {
                -1
            } else {
                c_int::from((*addr).sa_family)
            };
            if family == libc::AF_INET && len >= size_of::<libc::sockaddr_in>() {
                let sin = std::ptr::read_unaligned(addr.cast::<libc::sockaddr_in>());
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                addrs.push(SocketAddr::V4(SocketAddrV4::new(ip, port)));
            } else if family == libc::AF_INET6 && len >= size_of::<libc::sockaddr_in6>() {
                let sin6 = std::ptr::read_unaligned(addr.cast::<libc::sockaddr_in6>());
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                let v6 = SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id);
                addrs.push(SocketAddr::V6(v6));
            }
            entry = this.ai_next;
        }
        libc::freeaddrinfo(list);
    }
    Ok(addrs)
}
