//! `--dry-run`, `TEND_DRY_RUN` (issue 20 #2): what a start would do, on
//! stdout, then exit 0; or the very error a start would end with.
//!
//! The invariants: the report is made from the real start's own resolution
//! (main's `resolve_user`, `prepare` and `resolve_urls`, and `spawn::find`),
//! which stops short of every step that acts (writes, makes, chowns, waits,
//! drops, spawns), so what it says and the errors it meets are a start's;
//! and no value of a `--file-env` secret is in it: any text that holds one
//! (a word of a command, a URL, a path) is shown as where it came from
//! instead. It is written as it is made (`Out`, pure), as one JSON object
//! or as aligned text, in the log format.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cli::options::{Group, HEADER, List, OPTIONS, Opt, Takes};
use crate::cli::{Applied, Config, LogFormat, Origin, values};
use crate::entry::{self, render::Rendered};
use crate::environ::Environ;
use crate::error::Error;
use crate::iter::IntoVec;
use crate::privilege::Credentials;
use crate::probe::url::Target;
use crate::probe::{describe_url, show_duration};
use crate::spawn::{self, Found, Who};
use crate::supervise::Spec;
use crate::supervise::children::Role;
use crate::sys::Stat;
use crate::{logger, programs::words};

/// What the set-up steps that act would have done, as `prepare` found it.
#[derive(Default)]
pub struct Report {
    /// The names `--file-env` loaded.
    secrets: Vec<String>,
    render: Vec<Render>,
    /// Each `--chown` PATH, and its owner now.
    chown: Vec<(PathBuf, (u32, u32))>,
}

/// One `--render`, resolved.
struct Render {
    template: PathBuf,
    output: PathBuf,
    bytes: usize,
    /// Before the umask.
    mode: u32,
    secrets: Vec<String>,
    /// The directories it would make.
    made: Vec<PathBuf>,
}

impl Report {
    pub fn loaded(&mut self, secrets: Vec<String>) {
        self.secrets = secrets;
    }

    pub fn render(
        &mut self,
        template: &Path,
        output: &Path,
        rendered: &Rendered,
        made: Vec<PathBuf>,
    ) {
        self.render.push(Render {
            template: template.to_path_buf(),
            output: output.to_path_buf(),
            bytes: rendered.bytes.len(),
            mode: rendered.mode,
            secrets: rendered.secrets.clone(),
            made,
        });
    }

    pub fn chown(&mut self, path: &Path, now: &Stat) {
        self.chown.push((path.to_path_buf(), (now.uid, now.gid)));
    }

    /// The rest of a start, resolved (each program along PATH, whose errors
    /// are the start's: 127, 126), and the report printed on stdout in the
    /// log format: JSON unless `--log-format text` or stdout is a terminal.
    pub fn finish(
        self,
        config: &Config,
        credentials: Option<&Credentials>,
        env: &Environ,
        children: &[Spec],
        wait_for: &[Target],
        health: Option<&Target>,
    ) -> Result<u8, Error> {
        let file_env = config.name("--file-env");
        let who = who(credentials);
        // A start meets a later one only after running those before it; its line is the same.
        let mut found = Vec::with_capacity(children.len());
        for spec in children {
            let f = spawn::find(&spec.command, env, config.chdir.as_deref(), &who);
            let program = spec.program_from.as_deref();
            found.push(
                f.map_err(|e| entry::explain_exec(e, program, file_env, env, &spec.command))?,
            );
        }
        let before = Environ::from_process();
        let umask = current_umask();
        let owner = format!("{}:{}", who.uid, who.gid);
        let format = LogFormat::for_fd(config.log_format, crate::sys::stdout());
        let mut hide = Vec::new();
        for name in &self.secrets {
            if let Some(value) = env.get(name).filter(|v| !v.is_empty()) {
                let from = format!("<from ${name}, loaded by {file_env}>");
                hide.push((show(value).into_owned(), from));
            }
        }
        let mut out = Out::new(format, hide);

        out.key("settings");
        settings(&mut out, &config.applied);

        out.key("user");
        out.open(OBJECT);
        out.key("name");
        out.os(credentials.and_then(Credentials::name));
        out.key("uid");
        out.num(who.uid.into());
        out.key("gid");
        out.num(who.gid.into());
        out.key("groups");
        out.open(LIST);
        for &group in &who.groups {
            out.num(group.into());
        }
        out.close(LIST);
        out.key("home");
        out.os(env.get("HOME"));
        if let (Some(spec), None) = (&config.user, credentials) {
            out.key("skipped");
            out.text(&format!(
                "{} '{spec}': tend is not root",
                config.name("--user")
            ));
        }
        out.close(OBJECT);

        out.key("secrets");
        out.open(LIST);
        for name in &config.file_env {
            let file = format!("{name}_FILE");
            out.open(OBJECT);
            out.key("name");
            out.text(name);
            out.key("from");
            match env.get(name).filter(|_| self.secrets.contains(name)) {
                Some(value) => {
                    let path = show(before.get(&file).unwrap_or_default());
                    out.text(&format!("{file}={path}"));
                    out.key("bytes");
                    out.num(value.len() as u64);
                }
                None => out.text(&format!("nothing: {file} is not set")),
            }
            out.close(OBJECT);
        }
        out.close(LIST);

        out.key("environment");
        out.open(LIST);
        let (set, gone) = env.changes(&before);
        for (name, value) in set {
            let name = show(name);
            match self.secrets.iter().any(|s| *s == name) {
                true => out.text(&format!("{name}=<from {name}_FILE>")),
                false => out.text(&format!("{name}={}", show(value))),
            }
        }
        for name in gone {
            out.text(&format!("unset {}", show(name)));
        }
        out.close(LIST);

        out.key("umask");
        out.text(&format!("{umask:04o}"));

        out.key("render");
        out.open(LIST);
        for r in &self.render {
            out.open(OBJECT);
            out.key("template");
            out.os(Some(r.template.as_os_str()));
            out.key("output");
            out.os(Some(r.output.as_os_str()));
            out.key("bytes");
            out.num(r.bytes as u64);
            out.key("mode");
            out.text(&format!("{:04o}", r.mode & !umask));
            out.key("owner");
            out.text(&owner);
            out.key("make");
            out.open(LIST);
            for dir in &r.made {
                out.os(Some(dir.as_os_str()));
            }
            out.close(LIST);
            out.key("secrets");
            out.open(LIST);
            for name in &r.secrets {
                out.text(name);
            }
            out.close(LIST);
            out.close(OBJECT);
        }
        out.close(LIST);

        out.key("chown");
        out.open(LIST);
        for (path, (uid, gid)) in &self.chown {
            out.open(OBJECT);
            out.key("path");
            out.os(Some(path.as_os_str()));
            out.key("owner");
            out.text(&owner);
            out.key("now");
            out.text(&format!("{uid}:{gid}"));
            out.close(OBJECT);
        }
        out.close(LIST);

        out.key("wait_for");
        match wait_for.is_empty() {
            true => out.os(None),
            false => {
                out.open(OBJECT);
                out.key("urls");
                out.open(LIST);
                for target in wait_for {
                    out.text(&describe_url(target));
                }
                out.close(LIST);
                out.key("timeout");
                out.text(&show_duration(config.wait_timeout));
                out.close(OBJECT);
            }
        }
        out.key("health");
        match health {
            Some(target) => out.text(&describe_url(target)),
            None => out.os(None),
        }
        out.key("directory");
        match &config.chdir {
            Some(dir) => out.os(Some(dir.as_os_str())),
            None => out.os(std::env::current_dir().ok().as_deref().map(Path::as_os_str)),
        }

        // What runs, in the order it starts (issue 19): the steps, the programs beside, the program.
        for (key, role) in [("steps", Role::Step), ("beside", Role::Beside)] {
            out.key(key);
            out.open(LIST);
            for (spec, found) in children.iter().zip(&found).filter(|(s, _)| s.role == role) {
                out.open(OBJECT);
                out.key("name");
                out.os(spec.name.as_deref().map(OsStr::new));
                out.key("program");
                program(&mut out, found);
                out.key("argv");
                out.words(&spec.command);
                out.close(OBJECT);
            }
            out.close(LIST);
        }
        let main = children
            .iter()
            .zip(&found)
            .find(|(s, _)| s.role == Role::Main);
        out.key("program");
        match main {
            Some((_, found)) => program(&mut out, found),
            None => out.os(None),
        }
        out.key("argv");
        match main {
            Some((spec, _)) => out.words(&spec.command),
            None => out.os(None),
        }
        Ok(crate::print(&out.finish()))
    }
}

/// The file a program would be executed from.
fn program(out: &mut Out, found: &Found) {
    match found.by_shell {
        false => out.os(Some(&found.path)),
        true => out.text(&format!(
            "{} (no #! line: /bin/sh runs it)",
            show(&found.path)
        )),
    }
}

/// Who the program runs as: `--user`'s user, or tend's own.
fn who(credentials: Option<&Credentials>) -> Who {
    match credentials {
        Some(c) => Who {
            uid: c.uid(),
            gid: c.gid(),
            groups: c.groups().to_vec(),
        },
        None => Who {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            // Without the list, the groups shown are only fewer.
            groups: crate::sys::groups().unwrap_or_default(),
        },
    }
}

/// tend's umask, which `prepare` has set from `--umask`: read by setting it
/// and putting it back, the only way umask(2) tells.
fn current_umask() -> u32 {
    use nix::sys::stat::{Mode, umask};
    let mask = umask(Mode::empty());
    umask(mask);
    mask.bits()
}

/// Text that is not always UTF-8, as the report shows it.
fn show(text: &OsStr) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(text.as_bytes())
}

/// Every option of supervise mode, in the order of its declarations, with
/// its value and where that came from (`flag --grace`, `variable
/// TEND_GRACE`, `default`); then any other that was applied (dumb-init's
/// own flags under its name). A list's value is written as its variable
/// takes it (`143,130`; a line each for `--render`). A header's value
/// shows only its name, as a credential may follow.
fn settings(out: &mut Out, applied: &[Applied]) {
    let mut options: Vec<&'static Opt> = Vec::new();
    for opt in OPTIONS {
        if opt.modes.allows(false) && opt.group != Group::Info {
            options.push(opt);
        }
    }
    for a in applied {
        if !options.iter().any(|o| std::ptr::eq(*o, a.opt)) {
            options.push(a.opt);
        }
    }
    out.open(LIST);
    for opt in options {
        let mut source = "default".to_string();
        let mut texts: Vec<String> = Vec::new();
        for a in applied.iter().filter(|a| std::ptr::eq(a.opt, opt)) {
            if texts.is_empty() {
                source = match &a.origin {
                    Origin::Flag(written) => format!("flag {written}"),
                    Origin::Var(name) => format!("variable {name}"),
                    Origin::Dialect => "the name dumb-init".to_string(),
                };
            }
            texts.push(match opt.takes {
                Takes::Value(HEADER) => {
                    format!("{}: …", a.text.split(':').next().unwrap_or_default())
                }
                _ => a.text.clone(),
            });
        }
        let value = match (opt.takes, texts.as_slice()) {
            (Takes::Nothing, []) => "off".to_string(),
            (Takes::Nothing, [text, ..]) => {
                let on = text.is_empty() || values::switch(text).unwrap_or(true);
                if on { "on" } else { "off" }.to_string()
            }
            // Flags count; tini's variable is a number already.
            (Takes::Count, [text]) if !text.is_empty() => text.clone(),
            (Takes::Count, texts) => texts.len().to_string(),
            (_, []) => opt.default.to_string(),
            (_, texts) => match opt.list {
                Some(List::Lines) => crate::text::join(texts, "\n"),
                Some(_) => crate::text::join(texts, ","),
                None => texts.last().cloned().unwrap_or_default(),
            },
        };
        out.row(
            &opt.name(),
            Some(value.as_str()).filter(|v| !v.is_empty()),
            &source,
        );
    }
    out.close(LIST);
}

const LIST: bool = true;
const OBJECT: bool = false;

/// Where a section's value starts on its line, in text.
const COLUMN: usize = 13;
/// Where the settings' second and third columns start, in text.
const STOPS: [usize; 2] = [24, 40];

/// The report, written as it is made: one JSON object on one line, or text
/// a section a line, each item of a section's list on a line of its own,
/// an object as a text record's fields (`key=value`, its first bare when it
/// is text: its name). Pure.
pub struct Out {
    json: bool,
    out: String,
    /// For each object or list open, whether it is a list and how many
    /// items it has had; the report's own object first.
    open: Vec<(bool, usize)>,
    /// The key of the next value, in an object.
    key: &'static str,
    /// Secrets' values, and what to show for a text that holds one.
    hide: Vec<(String, String)>,
}

impl Out {
    pub fn new(format: LogFormat, hide: Vec<(String, String)>) -> Out {
        let json = format == LogFormat::Json;
        Out {
            json,
            out: String::from(match json {
                true => "{",
                false => "tend --dry-run: what a start would do; nothing was started or changed",
            }),
            open: vec![(OBJECT, 0)],
            key: "",
            hide,
        }
    }

    pub fn key(&mut self, key: &'static str) {
        self.key = key;
    }

    /// Begin a value: its separator and its key. `bare`: text, which in
    /// text goes without its key when it is an object's first.
    fn item(&mut self, bare: bool) {
        let depth = self.open.len();
        let Some((list, count)) = self.open.last_mut() else {
            return;
        };
        *count += 1;
        let (list, first) = (*list, *count == 1);
        if self.json {
            if !first {
                self.out.push(',');
            }
            if !list {
                logger::push_json_str(&mut self.out, self.key);
                self.out.push(':');
            }
            return;
        }
        match (depth, list) {
            (1, _) => {
                self.out.push('\n');
                self.out.push_str(self.key);
                let pad = COLUMN.saturating_sub(self.key.len()).max(1);
                self.out.extend(std::iter::repeat_n(' ', pad));
            }
            (2, LIST) if !first => {
                self.out.push('\n');
                self.out.extend(std::iter::repeat_n(' ', COLUMN));
            }
            (_, LIST) if !first => self.out.push(','),
            (_, LIST) => {}
            (_, OBJECT) => {
                if !first {
                    self.out.push(' ');
                }
                if !(first && bare) {
                    self.out.push_str(self.key);
                    self.out.push('=');
                }
            }
        }
    }

    /// `text`, or where the secret it holds came from.
    fn shown<'a>(&'a self, text: &'a str) -> &'a str {
        // A plain search: std's substring search is kilobytes of code for a few short texts.
        let holds = |value: &str| {
            let value = value.as_bytes();
            text.as_bytes().windows(value.len()).any(|w| w == value)
        };
        let hidden = self.hide.iter().find(|(value, _)| holds(value));
        hidden.map_or(text, |(_, from)| from.as_str())
    }

    pub fn text(&mut self, text: &str) {
        self.item(true);
        let text = &self.shown(text).to_string();
        match self.json {
            true => logger::push_json_str(&mut self.out, text),
            false => {
                // An object's field, after its name: `home="/home/my app"`.
                let field = self.open.len() > 1
                    && self.open.last().is_some_and(|(list, n)| !*list && *n > 1);
                let quote =
                    field && (text.is_empty() || text.bytes().any(|b| b == b' ' || b == b'"'));
                logger::push_text_str(&mut self.out, text, quote);
            }
        }
    }

    /// Text that may not be UTF-8; None is null (`-` in text).
    pub fn os(&mut self, text: Option<&OsStr>) {
        match text {
            Some(text) => self.text(&show(text)),
            None => {
                self.item(false);
                self.out.push_str(if self.json { "null" } else { "-" });
            }
        }
    }

    pub fn num(&mut self, n: u64) {
        self.item(false);
        self.out.push_str(&n.to_string());
    }

    pub fn open(&mut self, list: bool) {
        self.item(false);
        if self.json {
            self.out.push(if list { '[' } else { '{' });
        }
        self.open.push((list, 0));
    }

    pub fn close(&mut self, list: bool) {
        let count = self.open.pop().map_or(0, |(_, n)| n);
        match self.json {
            true => self.out.push(if list { ']' } else { '}' }),
            false if count == 0 => self.out.push('-'),
            false => {}
        }
    }

    /// A command's words: in JSON a list, in text quoted as a shell reads them.
    pub fn words(&mut self, words: &[OsString]) {
        let words: Vec<String> = words
            .iter()
            .map(|w| self.shown(&show(w)).to_string())
            .into_vec();
        match self.json {
            true => {
                self.open(LIST);
                for word in &words {
                    self.text(word);
                }
                self.close(LIST);
            }
            false => self.text(&String::from_utf8_lossy(&words::quote(&words))),
        }
    }

    /// A row of the settings: in JSON an object, in text aligned columns.
    pub fn row(&mut self, option: &str, value: Option<&str>, source: &str) {
        if self.json {
            self.open(OBJECT);
            self.key("option");
            self.text(option);
            self.key("value");
            self.os(value.map(OsStr::new));
            self.key("source");
            self.text(source);
            self.close(OBJECT);
            return;
        }
        let mut line = String::new();
        for (cell, stop) in [option, value.unwrap_or("-")].iter().zip(STOPS) {
            logger::push_text_str(&mut line, self.shown(cell), false);
            let pad = stop.saturating_sub(line.chars().count()).max(2);
            line.extend(std::iter::repeat_n(' ', pad));
        }
        self.item(true);
        self.out.push_str(&line);
        logger::push_text_str(&mut self.out, source, false);
    }

    /// The report, whole, with its newline.
    pub fn finish(mut self) -> String {
        if self.json {
            self.out.push('}');
        }
        self.out.push('\n');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Mode};
    use std::ffi::OsString;

    /// A report of every shape, written in `format`.
    fn sample(format: LogFormat) -> String {
        let hide = vec![(
            "s3cret".to_string(),
            "<from $PW, loaded by --file-env>".to_string(),
        )];
        let mut out = Out::new(format, hide);
        out.key("settings");
        out.open(LIST);
        out.row("-s", Some("off"), "default");
        out.row("--grace", Some("10s"), "variable TEND_GRACE");
        out.row("--health-expect-status", None, "default");
        out.close(LIST);
        out.key("user");
        out.open(OBJECT);
        out.key("name");
        out.text("app");
        out.key("uid");
        out.num(1000);
        out.key("groups");
        out.open(LIST);
        out.num(1000);
        out.num(27);
        out.close(LIST);
        out.key("home");
        out.text("/home/my app");
        out.key("shell");
        out.os(None);
        out.close(OBJECT);
        out.key("environment");
        out.open(LIST);
        out.text("HOME=/home/app");
        out.text("unset X_FILE");
        out.close(LIST);
        out.key("chown");
        out.open(LIST);
        out.close(LIST);
        out.key("render");
        out.open(LIST);
        out.open(OBJECT);
        out.key("uid");
        out.num(1);
        out.key("make");
        out.open(LIST);
        out.close(LIST);
        out.close(OBJECT);
        out.close(LIST);
        out.key("health");
        out.os(None);
        out.key("program");
        out.text("/bin/app\u{1b}[31m");
        out.key("url");
        out.text("http://u:s3cret@db/");
        out.key("argv");
        let words = ["app", "a b", "it's", "--pw=s3cret"].map(OsString::from);
        out.words(&words);
        out.finish()
    }

    #[test]
    fn json_is_one_object_on_one_line() {
        let text = sample(LogFormat::Json);
        assert_eq!(
            text,
            concat!(
                r#"{"settings":[{"option":"-s","value":"off","source":"default"},"#,
                r#"{"option":"--grace","value":"10s","source":"variable TEND_GRACE"},"#,
                r#"{"option":"--health-expect-status","value":null,"source":"default"}],"#,
                r#""user":{"name":"app","uid":1000,"groups":[1000,27],"home":"/home/my app","shell":null},"#,
                r#""environment":["HOME=/home/app","unset X_FILE"],"chown":[],"#,
                r#""render":[{"uid":1,"make":[]}],"health":null,"#,
                r#""program":"/bin/app\u001b[31m","url":"<from $PW, loaded by --file-env>","#,
                r#""argv":["app","a b","it's","<from $PW, loaded by --file-env>"]}"#,
                "\n"
            )
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(parsed["argv"][1], "a b");
    }

    #[test]
    fn text_is_aligned_lines_a_person_reads() {
        let text = sample(LogFormat::Text);
        let want = [
            "tend --dry-run: what a start would do; nothing was started or changed",
            "settings     -s                      off             default",
            "             --grace                 10s             variable TEND_GRACE",
            "             --health-expect-status  -               default",
            "user         app uid=1000 groups=1000,27 home=\"/home/my app\" shell=-",
            "environment  HOME=/home/app",
            "             unset X_FILE",
            "chown        -",
            "render       uid=1 make=-",
            "health       -",
            "program      /bin/app\\u{1b}[31m",
            "url          <from $PW, loaded by --file-env>",
            "argv         app 'a b' 'it'\\''s' '<from $PW, loaded by --file-env>'",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), want, "{text}");
    }

    /// The settings of a command line, as (option, value, source).
    fn rows(list: &[&str], vars: &[(&str, &str)]) -> Vec<(String, Value, String)> {
        let args: Vec<OsString> = list.iter().map(OsString::from).collect();
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        };
        let Ok(Mode::Supervise(config)) = cli::parse(&args, &env) else {
            panic!("{list:?} did not parse");
        };
        let mut out = Out::new(LogFormat::Json, Vec::new());
        out.key("settings");
        settings(&mut out, &config.applied);
        let report: serde_json::Value = serde_json::from_str(&out.finish()).expect("JSON");
        let rows = report["settings"].as_array().cloned().unwrap_or_default();
        rows.iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (text("option"), r["value"].clone(), text("source"))
            })
            .collect()
    }

    type Value = serde_json::Value;

    #[test]
    fn every_setting_has_its_value_and_where_it_came_from() {
        let got = rows(
            &[
                "--dry-run",
                "-e",
                "143,130",
                "-vv",
                "--file-env",
                "A",
                "--render",
                "a:b",
                "--render",
                "c:d",
                "--health-header",
                "Authorization: Bearer s3cret",
                "--health",
                "http://a/",
                "--grace",
                "1s",
                "--grace",
                "2s",
                "app",
            ],
            &[
                ("TEND_STOP_DELAY", "10s"),
                ("TEND_FILE_ENV", "B,C"),
                ("TEND_SETSID", "0"),
                ("TINI_SUBREAPER", ""),
            ],
        );
        let row = |name: &str| {
            got.iter()
                .find(|r| r.0 == name)
                .map(|(_, v, s)| (v.clone(), s.as_str()))
                .unwrap_or_else(|| panic!("no row for {name}: {got:?}"))
        };
        let cases = [
            ("--stop-delay", "10s".into(), "variable TEND_STOP_DELAY"),
            ("--grace", "2s".into(), "flag --grace"),
            ("-e", "143,130".into(), "flag -e"),
            ("--render", "a:b\nc:d".into(), "flag --render"),
            ("-v", "2".into(), "flag -v"),
            // The flags replace the variable's list.
            ("--file-env", "A".into(), "flag --file-env"),
            ("--setsid", "off".into(), "variable TEND_SETSID"),
            // tini's rule: set at all is on.
            ("-s", "on".into(), "variable TINI_SUBREAPER"),
            (
                "--health-header",
                "Authorization: …".into(),
                "flag --health-header",
            ),
            ("--wait-timeout", "60s".into(), "default"),
            ("--stop-signals", "TERM,INT".into(), "default"),
            ("--chdir", Value::Null, "default"),
            ("--no-new-privs", "off".into(), "default"),
            ("--dry-run", "on".into(), "flag --dry-run"),
        ];
        for (name, value, source) in cases {
            assert_eq!(row(name), (value, source), "{name}");
        }
        // Every option of supervise mode, once, in the declarations' order; none of the probe's.
        let names: Vec<&str> = got.iter().map(|r| r.0.as_str()).collect();
        let declared: Vec<String> = OPTIONS
            .iter()
            .filter(|o| o.modes.allows(false) && o.group != Group::Info)
            .map(Opt::name)
            .collect();
        assert_eq!(names, declared);
        assert!(!names.contains(&"--timeout") && !names.contains(&"--help"));
        assert!(!format!("{got:?}").contains("s3cret"));
    }
}
