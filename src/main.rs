//! tend: a tiny init and entrypoint for containers.
//!
//! argv → `cli` → block signals (done first of all, in `main`) → `logger` →
//! `privilege` → subreaper → `spawn` → point of no return → `supervise` →
//! the child's exit status. `--probe` is a mode of its own.
//!
//! `main` is ours (`no_main`) rather than std's, because std's runtime sets
//! SIGPIPE to ignored before any of our code runs, and the child must get
//! the disposition tend was started with, whatever it was.
// Unit tests keep libtest's main; everything reachable only from ours is then unused.
#![cfg_attr(not(test), no_main)]
#![cfg_attr(test, allow(dead_code))]
#![deny(unsafe_code)]

mod cli;
mod entry;
mod environ;
mod error;
mod health;
mod logger;
mod privilege;
mod probe;
mod programs;
mod signals;
mod spawn;
mod supervise;

mod sys;

use std::ffi::OsString;
#[cfg(not(test))]
use std::ffi::{c_char, c_int};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStringExt;

use log::{error, info, warn};
use nix::fcntl::OFlag;
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::stat::SFlag;
use nix::unistd::{getpid, getppid};

use crate::cli::{Config, Dialect, Mode};
use crate::environ::Environ;
use crate::error::{Error, exit};
use crate::programs::procfile;
use crate::programs::words::Word;
use crate::supervise::children::Role;
use crate::supervise::{Ended, Forwarding, Spec, Supervisor};

/// `tend -l`: the licence text shipped beside the binary, with its copyright notice.
const LICENSE: &str = include_str!("../LICENSE");

#[cfg(not(test))]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // The very first system call: from here on every signal waits for the signalfd.
    let mask = sys::set_mask(sys::ALL_SIGNALS).map_err(Error::setup("blocking signals"));
    // SAFETY: the C runtime passes main argc valid NUL-terminated strings.
    let args = unsafe { sys::args(argc, argv) };
    let code = run(&args, mask);
    // What a stalled stderr did not take in time, once more, without waiting.
    logger::flush();
    c_int::from(code)
}

fn run(argv: &[OsString], mask: Result<sys::SigSet, Error>) -> u8 {
    let env = |name: &str| std::env::var_os(name);
    let (name, args) = match argv.split_first() {
        Some((argv0, args)) => (program_name(argv0), args),
        None => ("tend", argv),
    };
    let mode = cli::parse_as(Dialect::of(name), args, &env).and_then(|mode| Ok((mode, mask?)));
    let (mode, mask) = match mode {
        Ok(ok) => ok,
        Err(Error::Peer { text, code }) => return say(&text, code),
        Err(e) => {
            let logging = cli::logging_from_env(&env);
            logger::init(logging.format, logging.level);
            error!("{e}");
            return e.exit_code();
        }
    };
    match mode {
        Mode::Help => print(&cli::usage()),
        Mode::Version => print(&version(name)),
        Mode::License => print(LICENSE),
        Mode::Print {
            text,
            stderr: false,
        } => print(&text),
        Mode::Print { text, stderr: true } => say(&text, 0),
        Mode::Probe(logging, probe) => {
            // A probe is an ordinary short-lived program: let Ctrl-C and timeouts reach it.
            let _ = sys::set_mask(mask);
            logger::init(logging.format, logging.level);
            probe::run(probe)
        }
        Mode::Supervise(config) => {
            logger::init(config.log_format, config.log_level);
            match supervise(&config, mask) {
                Ok(code) => code,
                // dumb-init's child reports its failed exec in its own words, and exits 2.
                Err(Error::Spawn { program, source }) if config.dumb_init => {
                    let why = source.to_string();
                    let why = why.split(" (os error").next().unwrap_or_default();
                    say(
                        &format!("[dumb-init] {program}: {why}\n"),
                        exit::DUMB_INIT_EXEC,
                    )
                }
                Err(e) => {
                    error!("{e}");
                    e.exit_code()
                }
            }
        }
    }
}

/// The last part of argv[0]: `docker-init` for `/sbin/docker-init`.
fn program_name(argv0: &OsString) -> &str {
    let text = argv0.to_str().unwrap_or("tend");
    text.rsplit('/').next().unwrap_or(text)
}

/// `tend version X.Y.Z - git.HASH`. Docker reads its init's version only
/// after the literal `tini version `, so under the name docker-init (as
/// `docker run --init` starts it), and under tini's own names, which
/// scripts grep the same way, tend says `tini version X.Y.Z_tend`, as
/// catatonit says `tini version 0.1.7_catatonit`: docker info and docker
/// version then show tend's version and commit.
fn version(name: &str) -> String {
    let (version, hash) = (env!("CARGO_PKG_VERSION"), env!("TEND_GIT_HASH"));
    match name {
        "docker-init" | "tini" | "tini-static" => {
            format!("tini version {version}_tend - git.{hash}\n")
        }
        _ => format!("tend version {version} - git.{hash}\n"),
    }
}

/// The entrypoint steps that come before the wait: secrets into `env`, the
/// commands as they will run, the umask, templates and chown. Returns the
/// children to run, in order.
fn prepare(
    config: &Config,
    credentials: Option<&privilege::Credentials>,
    env: &mut Environ,
    procfile: Vec<procfile::Entry>,
) -> Result<Vec<Spec>, Error> {
    // A missing directory is found now, before anything is changed.
    if let Some(dir) = &config.chdir
        && !dir.is_dir()
    {
        return Err(Error::Entry(format!(
            "{} {}: {}",
            config.name("--chdir"),
            dir.display(),
            match dir.exists() {
                true => "not a directory",
                false => "no such directory",
            }
        )));
    }
    entry::secrets::load(&config.file_env, env, config.name("--file-env"))?;
    let children = children(config, procfile, env)?;
    if let Some(mask) = config.umask {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    }
    let owner = credentials.map(|c| (c.uid(), c.gid()));
    for (template, output) in &config.render {
        entry::render::render(template, output, env, owner, config.name("--render"))?;
        info!(template = template.display().to_string(), output = output.display().to_string(); "rendered");
    }
    if let Some((uid, gid)) = owner {
        for path in &config.chown {
            let started = std::time::Instant::now();
            let counts = entry::chown::chown_tree(path, uid, gid, config.name("--chown"))?;
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            info!(path = path.display().to_string(), entries = counts.entries, changed = counts.changed, uid = uid, gid = gid, ms = ms; "chowned");
        }
    }
    Ok(children)
}

/// What will run, in order (issue 19): the steps, the programs beside, the
/// program; each with the words it runs with: a command string's split
/// words, expanded with `--expand` as ARGS are (what was single-quoted
/// stays literal), and the program's command as ever.
fn children(
    config: &Config,
    procfile: Vec<procfile::Entry>,
    env: &Environ,
) -> Result<Vec<Spec>, Error> {
    let expand = config.name("--expand");
    let command = |words: &[Word], what: String| -> Result<Vec<OsString>, Error> {
        let command = match config.expand {
            true => entry::expand_words(words, env, expand, &what)?,
            false => words
                .iter()
                .map(|w| OsString::from_vec(w.text.clone()))
                .collect(),
        };
        match command.is_empty() {
            true => Err(Error::Entry(format!(
                "{expand}: {what}: the command expanded to nothing"
            ))),
            false => Ok(command),
        }
    };
    let quoted = |words: &[Word]| {
        let texts: Vec<&[u8]> = words.iter().map(|w| w.text.as_slice()).collect();
        String::from_utf8_lossy(&programs::words::quote(&texts)).into_owned()
    };
    let each = |list: &[Vec<Word>], flag: &'static str| {
        list.iter()
            .map(|words| command(words, format!("{} '{}'", config.name(flag), quoted(words))))
            .collect::<Result<Vec<_>, _>>()
    };
    let pre = each(&config.pre, "--pre")?;
    let also = each(&config.also, "--also")?;
    let file = config.name("--procfile");
    let entries = procfile
        .into_iter()
        .map(|e| {
            let what = format!("{file} line {} ({})", e.line, e.name);
            Ok((e.name, command(&e.words, what)?))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut program = config.command.clone();
    if config.expand {
        program = entry::expand_command(&program, env, expand)?;
    }
    if let Some(default) = &config.default_program {
        program = entry::with_default_program(program, default);
    }
    // No PROGRAM at all is a Procfile's run; one that expanded to nothing is a mistake.
    if program.is_empty() && !config.command.is_empty() {
        return Err(Error::Usage(
            "no program to run: the command expanded to nothing".into(),
        ));
    }
    let program = Some(program).filter(|p| !p.is_empty());
    let plan = programs::plan(pre, entries, also, program);
    // One program and nothing else logs as it always has: no names.
    let several = config.several();
    let spec = |role: Role| {
        move |planned: programs::Planned| Spec {
            name: several.then_some(planned.name),
            command: planned.command,
            role,
        }
    };
    let steps = plan.steps.into_iter().map(spec(Role::Step));
    let beside = plan.beside.into_iter().map(spec(Role::Beside));
    let program = plan.program.into_iter().map(spec(Role::Main));
    Ok(steps.chain(beside).chain(program).collect())
}

/// `--procfile FILE`'s entries, read before anything is set up, so that
/// its errors (125: the file, the line and why) come before anything
/// starts. Opened without blocking (a FIFO planted there must not hang
/// tend), and only a regular file of at most `procfile::MAX_SIZE` bytes is
/// read. A Procfile with nothing but `release`, and no PROGRAM either,
/// leaves nothing to run: an error too.
fn read_procfile(config: &Config) -> Result<Vec<procfile::Entry>, Error> {
    let Some(path) = &config.procfile else {
        return Ok(Vec::new());
    };
    let fail = |why: String| {
        Error::Entry(format!(
            "{} {}: {why}",
            config.name("--procfile"),
            path.display()
        ))
    };
    let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(path.as_path(), flags, nix::sys::stat::Mode::empty())
        .map_err(|e| fail(e.desc().into()))?;
    let stat = nix::sys::stat::fstat(&fd).map_err(|e| fail(e.desc().into()))?;
    let kind = SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits());
    if kind != SFlag::S_IFREG {
        return Err(fail("not a regular file".into()));
    }
    let size = usize::try_from(stat.st_size).unwrap_or(usize::MAX);
    if size > procfile::MAX_SIZE {
        return Err(fail(procfile::ProcfileError::TooLarge { size }.to_string()));
    }
    let mut text = Vec::with_capacity(size);
    // One byte more than a Procfile may hold: a file that grew since the fstat still fails.
    std::fs::File::from(fd)
        .take(procfile::MAX_SIZE as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| fail(error::describe(&e)))?;
    let entries = procfile::parse(&text).map_err(|e| fail(e.to_string()))?;
    let runs_something = !config.command.is_empty() || config.default_program.is_some();
    if !runs_something && entries.iter().all(procfile::Entry::is_release) {
        return Err(fail(match entries.is_empty() {
            true => "no program to run: the file has no entry, and no PROGRAM follows --".into(),
            false => {
                "no program to run: the file has only release, a step, and no PROGRAM follows --"
                    .into()
            }
        }));
    }
    Ok(entries)
}

/// A peer dialect's own words on stderr, then `code`. Before any child runs,
/// so a plain (blocking) write is fine here.
fn say(text: &str, code: u8) -> u8 {
    // Nowhere else to report a failing stderr; the exit code still tells.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    code
}

fn print(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => exit::FAILURE,
    }
}

/// Set up, start the child, and supervise it. Errors before the spawn end
/// tend with 125 (or 126/127); after it, only the child's status is returned.
///
/// The set-up order is the README's ("Replacing docker-entrypoint.sh"):
/// resolve --user; secrets; the command (expansion, default program); the
/// umask; templates; chown; the wait for dependencies; the drop of root;
/// the directory; the spawn. Secrets, templates and chown need root, so
/// they come before the drop; the wait comes last of the steps, so a
/// mistake in the others fails at once rather than after a minute of it.
fn supervise(config: &Config, mask: sys::SigSet) -> Result<u8, Error> {
    let parent = getppid();
    // Resolve before anything starts: a bad --user must leave nothing behind.
    let credentials = config
        .user
        .as_deref()
        .map(|spec| privilege::resolve(spec, config.name("--user")))
        .transpose()?;
    // Read before anything changes: its errors must leave nothing behind either.
    let procfile = read_procfile(config)?;
    let mut env = Environ::from_process();
    if let Some(credentials) = &credentials {
        credentials.apply_env(&mut env);
    }
    let children = prepare(config, credentials.as_ref(), &mut env, procfile)?;
    if sys::default_sigchld().map_err(Error::setup("restoring SIGCHLD's default disposition"))? {
        info!("SIGCHLD was inherited as ignored: restored to the default, for tend and the child");
    }
    let sigfd = sys::signalfd(sys::ALL_SIGNALS).map_err(Error::setup("creating a signalfd"))?;
    let own_pid = std::process::id();
    entry::wait::wait(
        config.name("--wait-for"),
        &config.wait_for,
        config.wait_timeout,
        &sigfd,
        own_pid,
        config.stops(),
    )?;
    if let Some(credentials) = &credentials {
        privilege::apply(credentials)?;
    }
    if config.no_new_privs {
        prctl::set_no_new_privs().map_err(Error::setup("setting no_new_privs"))?;
    }
    let is_pid1 = getpid().as_raw() == 1;
    if !is_pid1 || config.subreaper {
        // PID 1 inherits orphans anyway; anywhere else, tend must ask for them.
        if let Err(e) = prctl::set_child_subreaper(true) {
            if config.subreaper {
                return Err(Error::setup("registering as child subreaper (-s)")(e));
            }
            warn!(error = e.desc(); "tend is not PID 1 and could not register as child subreaper: zombie reaping won't work");
        }
    }
    // After the drop: the kernel clears the parent-death signal when credentials change.
    if let Some(signo) = config.pdeathsig {
        let signal =
            Signal::try_from(signo).map_err(Error::setup("setting the parent-death signal"))?;
        prctl::set_pdeathsig(signal)
            .map_err(Error::setup("setting the parent-death signal (-p)"))?;
        // A parent that died before the kernel was told will never send it: stop here instead.
        if getppid() != parent {
            return Err(Error::setup(
                "setting the parent-death signal (-p): the parent is gone already",
            )(nix::Error::ESRCH));
        }
    }
    // After the drop, so that the directory is checked with the child's permissions.
    if let Some(dir) = &config.chdir {
        nix::unistd::chdir(dir.as_path()).map_err(|e| {
            let name = config.name("--chdir");
            Error::Entry(format!("{name} {}: {}", dir.display(), e.desc()))
        })?;
    }
    // setsid mode: the child's new session takes the terminal, so tend lets go of it.
    let handoff = config.setsid
        && sys::detach_terminal().is_ok()
        && nix::unistd::getsid(None).is_ok_and(|sid| sid == getpid());
    // The point of no return, once the first child runs: from there on,
    // tend only ever exits with the children's status.
    let supervisor = Supervisor {
        sigfd,
        own_pid,
        is_pid1,
        warn_on_reap: config.warn_on_reap,
        grace: config.grace,
        stop_delay: config.stop_delay,
        forwarding: Forwarding {
            group: config.signal_group || config.setsid,
            all: config.signal_all,
            setsid: config.setsid,
            job_control: config.setsid || config.dumb_init,
            stops: config.stops(),
            drop_unhandled: config.drop_unhandled,
            continue_after_stop: !config.dumb_init,
            handoff,
        },
        health: config.health.clone(),
        children,
        restart: config.restart,
        env,
        mask,
        how: spawn::How {
            setsid: config.setsid,
            // As dumb-init: hold no directory busy; the child keeps the one it was started in.
            parent_to_root: config.dumb_init,
            foreground: true,
        },
    };
    let code = match supervisor.run()? {
        Ended::Child(status) => {
            // -e remaps the program's own status, never another's nor tend's.
            let code = match status.main {
                true => config.remap(status.code),
                false => status.code,
            };
            info!(exit_code = code; "tend exiting");
            code
        }
        // Not the child's status: -e does not remap it, so a restart policy sees it.
        Ended::Unhealthy => {
            let code = exit::UNHEALTHY_APP;
            // At the default level: the one line that explains a restart in `docker logs`.
            warn!(exit_code = code, reason = "the app turned unhealthy (--health, --on-unhealthy exit)"; "tend exiting");
            code
        }
    };
    Ok(code)
}
