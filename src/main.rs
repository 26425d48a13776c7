//! tend: a tiny init and entrypoint for containers.
//!
//! argv → `cli` → block signals (done first of all, in `main`) → `logger` →
//! `privilege` → set-up steps → subreaper → point of no return →
//! `supervise` (which spawns) → the children's exit status. `--probe` is a
//! mode of its own; `--dry-run` (`dry_run`) leaves the line once the set-up
//! steps have resolved what they would do, having done none of it.
//!
//! `main` is ours (`no_main`) rather than std's, because std's runtime sets
//! SIGPIPE to ignored before any of our code runs, and the child must get
//! the disposition tend was started with, whatever it was.
// Unit tests keep libtest's main; everything reachable only from ours is then unused.
#![cfg_attr(not(test), no_main)]
#![cfg_attr(test, allow(dead_code))]
#![deny(unsafe_code)]

mod cli;
mod dry_run;
mod entry;
mod environ;
mod error;
mod health;
mod iter;
mod logger;
mod number;
mod privilege;
mod probe;
mod programs;
mod signals;
mod spawn;
mod supervise;
mod sys;
mod text;

use std::ffi::OsString;
#[cfg(not(test))]
use std::ffi::{c_char, c_int};
use std::os::unix::ffi::OsStringExt;

use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::unistd::{getpid, getppid};

use crate::cli::{Config, Dialect, Mode};
use crate::environ::Environ;
use crate::error::{Error, exit};
use crate::iter::IntoVec;
use crate::logger::{error, info, warn};
use crate::probe::url::Target;
use crate::programs::words::Word;
use crate::programs::{Planned, procfile};
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
        Mode::Probe(logging, probe, warnings) => {
            // A probe is an ordinary short-lived program: let Ctrl-C and timeouts reach it.
            let _ = sys::set_mask(mask);
            logger::init(logging.format, logging.level);
            warnings.iter().for_each(|w| warn!("{w}"));
            probe::run(probe)
        }
        Mode::Supervise(config) => {
            logger::init(config.log_format, config.log_level);
            config.warnings.iter().for_each(|w| warn!("{w}"));
            match supervise(&config, mask) {
                Ok(code) => code,
                // dumb-init's child reports its failed exec in its own words, and exits 2.
                Err(
                    Error::Spawn { program, source }
                    | Error::Exec {
                        program, source, ..
                    },
                ) if config.dumb_init => {
                    let why = error::describe(&source);
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
    crate::text::after_last_slash(text)
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
/// commands as they will run, the umask, templates and chown. A stop signal
/// between steps, files or entries ends them (`watch`). Returns the
/// children to run, in order. With `dry_run`, each step that acts (a
/// render's write, a chown) only resolves what it would do, with the same
/// errors, into the report.
fn prepare(
    config: &Config,
    credentials: Option<&privilege::Credentials>,
    env: &mut Environ,
    procfile: Vec<procfile::Entry>,
    watch: &mut entry::stop::Watch,
    mut dry_run: Option<&mut dry_run::Report>,
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
    let secrets = entry::secrets::load(&config.file_env, env, config.name("--file-env"), watch)?;
    let children = children(config, procfile, env, &secrets)?;
    if let Some(report) = dry_run.as_deref_mut() {
        report.loaded(secrets.clone());
    }
    if let Some(mask) = config.umask {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    }
    let owner = credentials.map(|c| (c.uid(), c.gid()));
    let option = config.name("--render");
    for (template, output) in &config.render {
        watch.check(&format!("while rendering templates ({option})"))?;
        let rendered = entry::render::resolve(template, output, env, &secrets, option)?;
        if let Some(report) = dry_run.as_deref_mut() {
            let made = entry::render::plan(template, output, option)?;
            report.render(template, output, &rendered, made);
            continue;
        }
        entry::render::write(&rendered, template, output, owner, option, watch)?;
        info!(template = template.display(), output = output.display(); "rendered");
    }
    if let Some((uid, gid)) = owner {
        let option = config.name("--chown");
        for path in &config.chown {
            if let Some(report) = dry_run.as_deref_mut() {
                report.chown(path, &entry::chown::reach(path, option)?);
                continue;
            }
            let started = std::time::Instant::now();
            let counts = entry::chown::chown_tree(path, uid, gid, option, watch)?;
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            info!(path = path.display(), entries = counts.entries, changed = counts.changed, hard_links = counts.hard_links, mounts = counts.mounts, uid = uid, gid = gid, ms = ms; "chowned");
        }
    }
    Ok(children)
}

/// What will run, in order (issue 19): the steps, the programs beside, the
/// program; each with the words it runs with: a command string's split
/// words, expanded with `--expand` as ARGS are (what was single-quoted
/// stays literal), and the program's command as ever. A PROGRAM that is a
/// `--file-env` secret's value is named by its variable, in the log's
/// names too.
fn children(
    config: &Config,
    procfile: Vec<procfile::Entry>,
    env: &Environ,
    secrets: &[String],
) -> Result<Vec<Spec>, Error> {
    let expand = config.name("--expand");
    let lookup = entry::lookup(env);
    let command = |words: &[Word], what: String| -> Result<Planned, Error> {
        if !config.expand
            && let Some(said) = cli::unexpanded_words(words, &lookup, &what)
        {
            warn!("{said}");
        }
        let (argv, from) = match config.expand {
            true => entry::expand_words(words, env, expand, &what, secrets)?,
            false => (
                words
                    .iter()
                    .map(|w| OsString::from_vec(w.text.clone()))
                    .into_vec(),
                None,
            ),
        };
        match argv.is_empty() {
            true => Err(Error::Entry(format!(
                "{expand}: {what}: the command expanded to nothing"
            ))),
            false => Ok(Planned::new(argv, from)),
        }
    };
    let quoted = |words: &[Word]| {
        let texts: Vec<&[u8]> = words.iter().map(|w| w.text.as_slice()).into_vec();
        String::from_utf8_lossy(&programs::words::quote(&texts)).into_owned()
    };
    // Loops rather than collect::<Result<Vec<_>, _>>(), whose adapters cost
    // a kilobyte a use here.
    let each = |list: &[Vec<Word>], flag: &'static str| {
        let mut planned = Vec::with_capacity(list.len());
        for words in list {
            planned.push(command(
                words,
                format!("{} '{}'", config.name(flag), quoted(words)),
            )?);
        }
        Ok::<_, Error>(planned)
    };
    let pre = each(&config.pre, "--pre")?;
    let also = each(&config.also, "--also")?;
    let file = config.name("--procfile");
    let mut entries = Vec::with_capacity(procfile.len());
    for e in procfile {
        let what = format!("{file} line {} ({})", e.line, e.name);
        let command = command(&e.words, what)?;
        entries.push(Planned {
            name: e.name,
            ..command
        });
    }
    let mut program = config.command.clone();
    let mut program_from = None;
    if config.expand {
        (program, program_from) = entry::expand_command(&program, env, expand, secrets)?;
    }
    if let Some(default) = &config.default_program {
        let before = program.len();
        program = entry::with_default_program(program, default);
        if program.len() != before {
            program_from = None;
        }
    }
    // No PROGRAM at all is a Procfile's run; one that expanded to nothing is a mistake.
    if program.is_empty() && !config.command.is_empty() {
        return Err(Error::Usage(
            "no program to run: the command expanded to nothing".into(),
        ));
    }
    let program = Some(program)
        .filter(|p| !p.is_empty())
        .map(|p| Planned::new(p, program_from));
    let plan = programs::plan(pre, entries, also, program);
    // One program and nothing else logs as it always has: no names.
    let several = config.several();
    let spec = |planned: Planned, role: Role| Spec {
        name: several.then_some(planned.name),
        command: planned.command,
        program_from: planned.secret,
        role,
    };
    // Loops, not chained iterators collected: the same order, less code.
    let mut specs = Vec::with_capacity(plan.steps.len() + plan.beside.len() + 1);
    for planned in plan.steps {
        specs.push(spec(planned, Role::Step));
    }
    for planned in plan.beside {
        specs.push(spec(planned, Role::Beside));
    }
    if let Some(planned) = plan.program {
        specs.push(spec(planned, Role::Main));
    }
    Ok(specs)
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
    let too_big = |size: u64| {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        procfile::ProcfileError::TooLarge { size }.to_string()
    };
    // A file that grew since the fstat still fails, in `procfile::parse`.
    let (text, _) = entry::read_regular(path, procfile::MAX_SIZE, &too_big)
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

/// Who `--user` makes the program, resolved before anything starts: a bad
/// --user must leave nothing behind. None without --user, and when tend is
/// not root and --user-required is not given: `docker run --user 1001`,
/// Kubernetes' runAsUser and OpenShift's random uid start an image made
/// for `--user app` as another user, and there is nothing left to drop, as
/// the official images' entrypoints skip gosu then (issue 18 #15).
fn resolve_user(config: &Config) -> Result<Option<privilege::Credentials>, Error> {
    let Some(spec) = config.user.as_deref() else {
        return Ok(None);
    };
    let name = config.name("--user");
    if config.user_required || privilege::is_root() {
        return privilege::resolve(spec, name).map(Some);
    }
    let (uid, gid) = (nix::unistd::geteuid(), nix::unistd::getegid());
    let chown = match config.chown.is_empty() {
        true => String::new(),
        false => format!(" and {}", config.name("--chown")),
    };
    info!(uid = uid.as_raw(), gid = gid.as_raw();
        "tend is not root: {name} '{spec}'{chown} skipped, the program runs as uid {uid} gid {gid}");
    Ok(None)
}

/// The URLs of --wait-for and --health, with their `${…}` forms expanded
/// from the environment the program gets (after --file-env and --user's
/// HOME, as --expand sees it): `http://127.0.0.1:${PORT:-8080}/health`
/// (issue 18 #16).
fn resolve_urls(
    config: &Config,
    env: &Environ,
) -> Result<(Vec<Target>, Option<health::Settings>), Error> {
    let lookup = entry::lookup(env);
    let mut wait_for = Vec::with_capacity(config.wait_for.len());
    for url in &config.wait_for {
        wait_for.push(
            url.resolve(&lookup, config.name("--wait-for"))
                .map_err(Error::Entry)?,
        );
    }
    let health = config.health.as_ref().map(|h| h.settings(&lookup));
    Ok((wait_for, health.transpose().map_err(Error::Entry)?))
}

/// A peer dialect's own words on stderr, then `code`. Before any child runs,
/// so a plain (blocking) write is fine here.
fn say(text: &str, code: u8) -> u8 {
    // Nowhere else to report a failing stderr; the exit code still tells.
    let _ = sys::write_all(sys::stderr(), text.as_bytes());
    code
}

fn print(text: &str) -> u8 {
    match sys::write_all(sys::stdout(), text.as_bytes()) {
        Ok(()) => 0,
        Err(_) => exit::FAILURE,
    }
}

/// Set up, start the child, and supervise it. Errors before the spawn end
/// tend with 125 (or 126/127); after it, only the child's status is returned.
///
/// The set-up order is docs/entrypoint.md's ("The order, and why"):
/// resolve --user; secrets; the command (expansion, default program); the
/// umask; templates; chown; the wait for dependencies; the drop of root;
/// the directory; the spawn. Secrets, templates and chown need root, so
/// they come before the drop; the wait comes last of the steps, so a
/// mistake in the others fails at once rather than after a minute of it.
fn supervise(config: &Config, mask: sys::SigSet) -> Result<u8, Error> {
    let parent = getppid();
    if sys::default_sigchld().map_err(Error::setup("restoring SIGCHLD's default disposition"))? {
        info!("SIGCHLD was inherited as ignored: restored to the default, for tend and the child");
    }
    // Before the set-up steps, so that a stop signal during one ends tend (issue 18).
    let sigfd = sys::signalfd(sys::ALL_SIGNALS).map_err(Error::setup("creating a signalfd"))?;
    let own_pid = std::process::id();
    let mut watch = entry::stop::Watch::new(&sigfd, own_pid, config.stops());
    let credentials = resolve_user(config)?;
    // Read before anything changes: its errors must leave nothing behind either.
    let procfile = read_procfile(config)?;
    let mut env = Environ::from_process();
    if let Some(credentials) = &credentials {
        credentials.apply_env(&mut env);
    }
    // --dry-run: the same steps, resolved and reported, and nothing done (issue 20 #2).
    let mut report = config.dry_run.then(dry_run::Report::default);
    let children = prepare(
        config,
        credentials.as_ref(),
        &mut env,
        procfile,
        &mut watch,
        report.as_mut(),
    )?;
    let (wait_for, health) = resolve_urls(config, &env)?;
    if let Some(report) = report {
        let health = health.as_ref().map(|h| &h.probe.url);
        let credentials = credentials.as_ref();
        return report.finish(config, credentials, &env, &children, &wait_for, health);
    }
    entry::wait::wait(
        config.name("--wait-for"),
        &wait_for,
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
        health,
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
        file_env: config.name("--file-env"),
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
