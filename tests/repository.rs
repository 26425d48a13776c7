//! The repository as an adopter sees it: what a build produces and installs,
//! the files that must ship with it, and documentation that leads somewhere:
//! the README's code blocks name only what exists or what its commands make,
//! and every relative link resolves. No root needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The package's targets, as `cargo metadata` reports them: (kind, name).
fn targets() -> Vec<(String, String)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(MANIFEST_DIR)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata: {out:?}");
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let package = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "tend"))
        .expect("the tend package");
    package["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .flat_map(|t| {
            let name = t["name"].as_str().unwrap_or_default().to_string();
            t["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .map(move |k| (k.to_string(), name.clone()))
        })
        .collect()
}

#[test]
fn a_release_build_and_cargo_install_produce_tend_alone() {
    // `cargo build --release` and `cargo install` build every [[bin]] and nothing else.
    let bins: Vec<String> = targets()
        .into_iter()
        .filter(|(kind, _)| kind == "bin")
        .map(|(_, name)| name)
        .collect();
    assert_eq!(bins, ["tend"], "binaries a user would build and install");
    // The fixture is still there for the tests, as an example.
    assert!(
        targets().contains(&("example".into(), "tend-fixture".into())),
        "{:?}",
        targets()
    );
}

/// Every crate linked into the binary is named, with its reason, in the
/// README's "What is inside", and the README names no crate the binary
/// does not have: each costs bytes, and users should know why it is there.
#[test]
fn the_readme_says_why_each_dependency_is_there() {
    let root = Path::new(MANIFEST_DIR);
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let mut crates: Vec<&str> = manifest
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect();
    assert!(!crates.is_empty(), "no [dependencies] in Cargo.toml");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let inside = readme
        .split("**What is inside:**")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a '**What is inside:**' paragraph in the README");
    let mut named: Vec<&str> = inside.split('`').skip(1).step_by(2).collect();
    crates.sort_unstable();
    named.sort_unstable();
    assert_eq!(
        named, crates,
        "the README's crates (left) against Cargo.toml's [dependencies] (right)"
    );
}

#[test]
fn the_licence_ships_with_a_copyright_notice() {
    let licence = std::fs::read_to_string(Path::new(MANIFEST_DIR).join("LICENSE"))
        .expect("a LICENSE file at the top of the repository");
    assert!(licence.starts_with("MIT License"), "{licence}");
    assert!(
        licence
            .lines()
            .any(|l| l.starts_with("Copyright (c) ") && l.len() > "Copyright (c) ".len()),
        "a copyright line: {licence}"
    );
}

#[test]
fn nothing_points_outside_the_repository() {
    // The repository must stand alone: no file may refer to a sibling checkout.
    let out = Command::new("git")
        .current_dir(MANIFEST_DIR)
        .args(["grep", "-n", "-I", "-e", "\\.\\./shared", "--", "."])
        .output()
        .expect("run git grep");
    let hits = String::from_utf8_lossy(&out.stdout);
    let hits: Vec<&str> = hits
        .lines()
        .filter(|l| !l.starts_with("tests/repository.rs:"))
        .collect();
    assert!(
        hits.is_empty(),
        "references outside the repository: {hits:?}"
    );
}

// ---------------------------------------------------------------------------
// The README's code blocks: every image, file, script, flag and variable they
// name exists, or is made by a command the README has already run.
//
// How strict, and why: the commands are the `bash SCRIPT` lines of the code
// blocks, run in reading order. What they make comes from the scripts
// themselves (release/build.sh's artifact lists, release/image.sh's image name
// and archive names, each script's `dist=${TEND_DIST:-dist}`), so a renamed
// output shows up here. Then, in every block:
// - an image under `localhost/` must be one an earlier command made (or the
//   command on the same line: "…/image.sh   # makes localhost/tend:0.1.0");
// - `FROM X` must be `scratch`, a stage of the same block, or an image with a
//   registry in its name (`gcr.io/…`), which anyone can pull; `COPY --from=X`
//   may also name a bare stage (`build`), the reader's own, left out of the
//   snippet for brevity;
// - a relative path whose first part is a directory or file of the repository
//   (`examples/…`, `Dockerfile.example`), or the FILE of `docker build -f
//   FILE`, must exist; one under `dist/` or `target/` must have been made by
//   an earlier command. Comments are checked for images only;
// - after a `tend` word (`/tend`, `"/tend"`, `tend`), every option up to `--`
//   or, outside probe mode, the first argument that is not an option, must be
//   one `tend --help` lists, skipping the values of options that take one;
// - a `TEND_…` or `TINI_…` variable must be one `tend --help` lists or one that
//   a repository script reads (release/build.sh's `TEND_DIST`).
// Prose and inline code are not checked (the tables have their own test in
// src/cli/mod.rs); docs/*.md code blocks get the option and variable checks
// and the `bash SCRIPT` check only, since their snippets build on what the
// README made and show keys and files a reader creates (`release/minisign.pub`).

/// A fenced code block: its info string (`sh`, `dockerfile`), its logical
/// lines (a trailing `\` joins the next line), and the file line each starts on.
#[derive(Debug)]
struct Block {
    lang: String,
    lines: Vec<(usize, String)>,
}

/// The fenced code blocks of a Markdown text, in order.
fn code_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut continued: Option<(usize, String)> = None;
    for (index, raw) in markdown.lines().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            match current.take() {
                Some(mut block) => {
                    block.lines.extend(continued.take());
                    blocks.push(block);
                }
                None => {
                    current = Some(Block {
                        lang: trimmed.trim_start_matches('`').trim().to_string(),
                        lines: Vec::new(),
                    })
                }
            }
            continue;
        }
        let Some(block) = current.as_mut() else {
            continue;
        };
        let (start, mut text) = continued.take().unwrap_or((number, String::new()));
        text.push_str(raw);
        if let Some(head) = text.strip_suffix('\\') {
            continued = Some((start, format!("{head} ")));
        } else {
            block.lines.push((start, text));
        }
    }
    blocks
}

/// A line split into words as a reader would: quotes group, and in a JSON
/// array (`["/tend", "--"]`) brackets and commas separate too. A word that
/// starts with `#` outside quotes starts a comment, which is kept as one word.
fn words(line: &str) -> Vec<String> {
    let json = line.contains("[\"");
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && word.is_empty() => {
                words.push(std::iter::once(c).chain(chars.by_ref()).collect());
                break;
            }
            None if c.is_whitespace() || (json && matches!(c, '[' | ']' | ',')) => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// tend's options as `tend --help` lists them: name → whether it takes a
/// separate value (`--grace DURATION`: yes; `--probe[=URL]`, `-h`: no), and
/// every variable it names.
struct Declared {
    options: Vec<(String, bool)>,
    variables: BTreeSet<String>,
}

fn declared() -> Declared {
    let out = Command::new(env!("CARGO_BIN_EXE_tend"))
        .arg("--help")
        .output()
        .expect("run tend --help");
    assert!(out.status.success(), "tend --help: {out:?}");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut options = Vec::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        // The spec ends where the help text starts, two spaces on.
        let spec = line.split("  ").next().unwrap_or(line);
        let names: Vec<&str> = spec.split(", ").collect();
        for (i, name) in names.iter().enumerate() {
            let mut parts = name.splitn(2, ' ');
            let flag = parts.next().unwrap_or_default();
            let value = i + 1 == names.len() && parts.next().is_some();
            let flag = flag.split('[').next().unwrap_or(flag);
            options.push((flag.to_string(), value));
        }
    }
    let variables = help
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.starts_with("TEND_") || w.starts_with("TINI_"))
        .map(str::to_string)
        .collect();
    Declared { options, variables }
}

/// What the README's commands have made so far.
#[derive(Default, Debug)]
struct Made {
    files: BTreeSet<String>,
    images: BTreeSet<String>,
}

impl Made {
    /// A made file, or a directory that holds one.
    fn has_path(&self, path: &str) -> bool {
        let dir = format!("{}/", path.trim_end_matches('/'));
        self.files.iter().any(|f| f == path || f.starts_with(&dir))
    }
}

/// The repository as the check sees it: its top-level names, its scripts, and
/// tend's declared options.
struct Repository {
    root: PathBuf,
    top: BTreeSet<String>,
    declared: Declared,
    script_variables: BTreeSet<String>,
}

fn repository() -> Repository {
    let root = PathBuf::from(MANIFEST_DIR);
    let out = Command::new("git")
        .current_dir(&root)
        .args(["ls-files", "-z"])
        .output()
        .expect("run git ls-files");
    assert!(out.status.success(), "git ls-files: {out:?}");
    let files: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    let top = files
        .iter()
        .filter_map(|f| f.split('/').next())
        .map(str::to_string)
        .collect();
    // Variables that the repository's own scripts read (TEND_DIST, …).
    let script_variables = files
        .iter()
        .filter(|f| f.ends_with(".sh") || f.starts_with(".ci/"))
        .filter_map(|f| std::fs::read_to_string(root.join(f)).ok())
        .flat_map(|text| {
            text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .filter(|w| w.starts_with("TEND_") || w.starts_with("TINI_"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    Repository {
        root,
        top,
        declared: declared(),
        script_variables,
    }
}

impl Repository {
    fn script(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The words of a script's `NAME=(A:B C:D)` array, each cut at its colon.
    fn array(&self, script: &str, name: &str) -> Vec<String> {
        let text = self.script(script);
        let prefix = format!("{name}=(");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{script} has no {name}=(…) line"));
        line.trim_end_matches(')')
            .split_whitespace()
            .map(|w| w.split(':').next().unwrap_or(w).to_string())
            .collect()
    }

    /// The output directory a script writes to: TEND_DIST, else its default,
    /// which the script must spell as `dist=${TEND_DIST:-dist}`.
    fn dist(&self, script: &str, env: &[(String, String)]) -> String {
        assert!(
            self.script(script).contains("dist=${TEND_DIST:-dist}"),
            "{script} no longer says dist=${{TEND_DIST:-dist}}: update this model"
        );
        env.iter()
            .find(|(k, _)| k == "TEND_DIST")
            .map(|(_, v)| v.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "dist".into())
    }

    /// Runs (in the model) `bash SCRIPT ARGS` with `env` in front: records
    /// what it makes in `made`, and returns what is wrong with the command.
    fn run(
        &self,
        script: &str,
        args: &[String],
        env: &[(String, String)],
        made: &mut Made,
    ) -> Vec<String> {
        let version = env!("CARGO_PKG_VERSION");
        let mut wrong = Vec::new();
        if !self.root.join(script).is_file() {
            return vec![format!(
                "`bash {script}`: there is no {script} in the repository"
            )];
        }
        match script {
            "release/build.sh" => {
                let dist = self.dist(script, env);
                let mut known = self.array(script, "STABLE");
                known.extend(self.array(script, "SMALL"));
                let wanted: Vec<String> = if args.is_empty() {
                    known.clone()
                } else {
                    args.to_vec()
                };
                for name in &wanted {
                    if known.contains(name) {
                        made.files.insert(format!("{dist}/{name}"));
                    } else {
                        wrong.push(format!("`bash {script} {name}`: {script} knows no artifact {name} (it knows {known:?})"));
                    }
                }
                // What it always writes: every "$dist/NAME" it spells out.
                let text = self.script(script);
                for piece in text.split("\"$dist/").skip(1) {
                    let name = piece.split('"').next().unwrap_or_default();
                    if !name.is_empty() && !name.contains('$') {
                        made.files.insert(format!("{dist}/{name}"));
                    }
                }
            }
            "release/image.sh" => {
                let dist = self.dist(script, env);
                let text = self.script(script);
                let pairs: Vec<(String, String)> = text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("pairs=("))
                    .unwrap_or_else(|| panic!("{script} has no `pairs=(ARCH:BINARY…)` line"))
                    .split(')')
                    .next()
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| p.split_once(':'))
                    .map(|(arch, binary)| (arch.to_string(), binary.to_string()))
                    .collect();
                for (_, binary) in &pairs {
                    let input = format!("{dist}/{binary}");
                    if !made.files.contains(&input) {
                        wrong.push(format!(
                            "`bash {script}` reads {input}, which no command before it makes (bash release/build.sh does)"
                        ));
                    }
                }
                let default = text
                    .lines()
                    .find_map(|l| l.strip_prefix("name="))
                    .unwrap_or_else(|| panic!("{script} has no name=DEFAULT line"));
                assert!(
                    text.contains("tag=$name:$version"),
                    "{script}: update this model of its tag"
                );
                let mut name = default.to_string();
                let mut save = None;
                let mut rest = args.iter();
                while let Some(arg) = rest.next() {
                    match arg.as_str() {
                        "--name" => name = rest.next().cloned().unwrap_or_default(),
                        "--save" => save = rest.next().cloned(),
                        other => wrong.push(format!("`bash {script}`: it takes no {other}")),
                    }
                }
                made.images.insert(format!("{name}:{version}"));
                if let Some(save) = save {
                    let archive = text
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("archive=$save/"))
                        .unwrap_or_else(|| panic!("{script} has no archive=$save/… line"));
                    for (arch, _) in &pairs {
                        let file = archive.replace("$version", version).replace("$arch", arch);
                        made.files
                            .insert(format!("{}/{file}", save.trim_end_matches('/')));
                    }
                }
            }
            // Other scripts (the demo, the tests, the bench) make nothing a
            // code block may use.
            _ => {}
        }
        wrong
    }

    /// Is `word` a relative path into the repository, a made one (`dist/`,
    /// `target/`), or neither? Returns the path to check.
    fn path_in(&self, word: &str) -> Option<String> {
        let word = word.rsplit('=').next().unwrap_or(word);
        let word = word.trim_matches(|c: char| matches!(c, ',' | ';' | ')' | '(' | '`' | ':'));
        let word = word.strip_prefix("./").unwrap_or(word);
        let first = word.split('/').next().unwrap_or_default();
        if first.is_empty() || word.contains('$') || word.contains('…') {
            return None;
        }
        (self.top.contains(first) || first == "dist" || first == "target").then(|| word.to_string())
    }

    /// Every problem with the code blocks of `markdown` (named `file` in the
    /// messages), given what earlier commands made. `full`: the README's
    /// checks; otherwise only scripts, options and variables.
    fn check(&self, file: &str, markdown: &str, made: &mut Made, full: bool) -> Vec<String> {
        let mut wrong = Vec::new();
        for block in code_blocks(markdown) {
            let dockerfile = block.lang.eq_ignore_ascii_case("dockerfile");
            let mut stages = BTreeSet::new();
            for (number, line) in &block.lines {
                let words = words(line);
                let mut found = self.run_commands(&words, made);
                found.extend(self.check_tend(&words));
                if dockerfile && trailing_comment(line) {
                    found.push(
                        "a comment after an instruction: a Dockerfile takes `#` only at the \
                         start of a line, so a pasted build fails"
                            .to_string(),
                    );
                }
                if full {
                    found.extend(check_images(&words, dockerfile, &mut stages, made));
                    found.extend(self.check_paths(&words, made));
                }
                wrong.extend(found.into_iter().map(|w| format!("{file}:{number}: {w}")));
            }
        }
        wrong
    }

    /// Runs (in the model) the `bash SCRIPT` commands of one line, in order.
    fn run_commands(&self, words: &[String], made: &mut Made) -> Vec<String> {
        let mut wrong = Vec::new();
        for command in words.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|")) {
            let mut command = command.iter().take_while(|w| !w.starts_with('#'));
            // `NAME=value` in front: that command's environment.
            let mut env = Vec::new();
            let mut program = None;
            for w in command.by_ref() {
                match w.split_once('=') {
                    Some((k, v))
                        if !k.is_empty()
                            && k.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
                    {
                        env.push((k.to_string(), v.to_string()))
                    }
                    _ => {
                        program = Some(w);
                        break;
                    }
                }
            }
            if program.map(String::as_str) != Some("bash") {
                continue;
            }
            let mut rest = command.filter(|w| !w.starts_with('>'));
            let Some(script) = rest.next() else { continue };
            let args: Vec<String> = rest.cloned().collect();
            let script = script.strip_prefix("./").unwrap_or(script);
            wrong.extend(self.run(script, &args, &env, made));
        }
        wrong
    }

    /// Paths into the repository must exist, and made ones have been made.
    /// The file of a `docker build -f FILE` counts too: it is run in the checkout.
    fn check_paths(&self, words: &[String], made: &Made) -> Vec<String> {
        let mut wrong = Vec::new();
        let build = words.iter().any(|w| w == "build");
        for (i, w) in words.iter().enumerate() {
            let build_file = build && i > 0 && matches!(words[i - 1].as_str(), "-f" | "--file");
            let Some(path) = self.path_in(w).or_else(|| build_file.then(|| w.clone())) else {
                continue;
            };
            let first = path.split('/').next().unwrap_or_default();
            if first == "dist" || first == "target" {
                if !made.has_path(&path) {
                    wrong.push(format!("{path}: no command before it makes it"));
                }
            } else if !self.root.join(&path).exists() {
                wrong.push(format!("{path}: not in the repository"));
            }
        }
        wrong
    }

    /// What is wrong with tend's options and the variables on one line.
    fn check_tend(&self, words: &[String]) -> Vec<String> {
        let mut wrong = Vec::new();
        let options = &self.declared.options;
        let takes = |name: &str| options.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        for w in words {
            let name: String = w
                .chars()
                .skip_while(|c| !c.is_ascii_uppercase())
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if (name.starts_with("TEND_") || name.starts_with("TINI_"))
                && !self.declared.variables.contains(&name)
                && !self.script_variables.contains(&name)
            {
                wrong.push(format!(
                    "{name}: tend --help lists no such variable, and no script reads it"
                ));
            }
        }
        let mut i = 0;
        while i < words.len() {
            let is_tend = words[i].rsplit('/').next() == Some("tend");
            i += 1;
            if !is_tend {
                continue;
            }
            let mut probe = false;
            while let Some(w) = words.get(i) {
                i += 1;
                if w == "--" || w.starts_with('#') || matches!(w.as_str(), "&&" | "||" | "|" | ";")
                {
                    break;
                }
                // Program output quoted in a block names an option as prose does: `--dry-run:`.
                if let Some(long) = w.strip_prefix("--").map(|l| l.trim_end_matches([':', ','])) {
                    let (name, inline) = match long.split_once('=') {
                        Some((name, _)) => (format!("--{name}"), true),
                        None => (format!("--{long}"), false),
                    };
                    match takes(&name) {
                        None => {
                            wrong.push(format!("tend {name}: tend --help lists no such option"))
                        }
                        Some(value) => i += usize::from(value && !inline),
                    }
                    probe |= name == "--probe";
                } else if w.len() > 1 && w.starts_with('-') {
                    for (at, c) in w.char_indices().skip(1) {
                        match takes(&format!("-{c}")) {
                            None => {
                                wrong.push(format!(
                                    "tend -{c} (in {w}): tend --help lists no such option"
                                ));
                                break;
                            }
                            Some(true) => {
                                i += usize::from(at + c.len_utf8() == w.len());
                                break;
                            }
                            Some(false) => {}
                        }
                    }
                } else if !probe {
                    // PROGRAM: tend's options end here.
                    break;
                }
            }
        }
        wrong
    }
}

/// Images on one line: a `localhost/` one must have been made; `FROM` and
/// `COPY --from=` must name `scratch`, a stage of the block (`stages`, which
/// this adds to), an image in a registry, or (`--from` only) a bare stage
/// name, the reader's own build stage left out of the snippet.
/// Whether a Dockerfile line holds `#` after an instruction, outside quotes:
/// a comment there is the instruction's argument, which a build refuses.
fn trailing_comment(line: &str) -> bool {
    if line.trim_start().starts_with('#') {
        return false;
    }
    let (mut quoted, mut escaped, mut blank) = (false, false, false);
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted && blank => return true,
            _ => {}
        }
        blank = c.is_whitespace();
    }
    false
}

fn check_images(
    words: &[String],
    dockerfile: bool,
    stages: &mut BTreeSet<String>,
    made: &Made,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if let Some(at) = w.find("localhost/") {
            // A comment is one word: the image ends where its characters do.
            let image: String = w[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(*c))
                .collect();
            let image = image.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
            if !made.images.contains(image) {
                wrong.push(format!(
                    "image {image}: no command before it makes it (made so far: {:?})",
                    made.images
                ));
            }
            continue;
        }
        let from = if dockerfile && i == 0 && w.eq_ignore_ascii_case("FROM") {
            words.get(1).map(|image| (image.as_str(), false))
        } else {
            w.strip_prefix("--from=").map(|image| (image, true))
        };
        let Some((image, copy)) = from else { continue };
        let registry = image
            .split_once('/')
            .is_some_and(|(host, _)| host.contains('.') || host.contains(':'));
        let bare_stage = copy && !image.contains(['/', ':', '.', '@']);
        if !(image == "scratch" || stages.contains(image) || registry || bare_stage) {
            wrong.push(format!(
                "image {image}: neither a stage of this block, nor made by a command before it, nor in a registry"
            ));
        }
    }
    if let (true, Some(from), Some(as_), Some(stage)) =
        (dockerfile, words.first(), words.get(2), words.get(3))
        && from.eq_ignore_ascii_case("FROM")
        && as_.eq_ignore_ascii_case("AS")
    {
        stages.insert(stage.clone());
    }
    wrong
}

#[test]
fn the_readme_refers_only_to_what_its_commands_make() {
    let repo = repository();
    let readme = std::fs::read_to_string(repo.root.join("README.md")).expect("README.md");
    let mut made = Made::default();
    let mut wrong = repo.check("README.md", &readme, &mut made, true);
    // The docs build on what the README made.
    for page in markdown_pages(&repo.root)
        .into_iter()
        .filter(|p| p.starts_with("docs/"))
    {
        let text = std::fs::read_to_string(repo.root.join(&page)).expect("a docs page");
        wrong.extend(repo.check(&page, &text, &mut made, false));
    }
    assert!(
        wrong.is_empty(),
        "code blocks that refer to what does not exist:\n{}",
        wrong.join("\n")
    );
}

/// The check against snippets that are wrong, each for one reason, and the
/// shapes it must accept. The first is the README before this test: the two
/// commands of "Try it" make no tend image, yet the snippet after them
/// copies from one.
#[test]
fn the_readme_check_finds_what_does_not_exist() {
    let repo = repository();
    let version = env!("CARGO_PKG_VERSION");
    let three = "```sh\nbash examples/demo.sh\nbash tests/run.sh\n\
                 bash release/build.sh tend-x86_64-small tend-aarch64-small && bash release/image.sh   # localhost/tend:VERSION\n```\n";
    let wrong_cases: &[(&str, &str)] = &[
        (
            "```dockerfile\nFROM scratch\nCOPY app /app     # the app\n```\n",
            "a comment after an instruction",
        ),
        (
            "```sh\nbash examples/demo.sh     # build\nbash tests/run.sh         # every test\n```\n\n\
             ```dockerfile\nCOPY --from=localhost/tend:VERSION /tend /tend\nENTRYPOINT [\"/tend\", \"--\"]\n```\n",
            "image localhost/tend:VERSION",
        ),
        (
            "```sh\nbash release/image.sh\n```\n",
            "reads dist/tend-x86_64-small",
        ),
        (
            "```sh\nbash release/build.sh tend-x86_64-small && bash release/image.sh\n```\n",
            "reads dist/tend-aarch64-small",
        ),
        // A variable in front of a command is that command's alone.
        (
            "```sh\nTEND_DIST=out bash release/build.sh && bash release/image.sh\n```\n",
            "reads dist/tend-x86_64-small",
        ),
        (
            "```sh\nbash release/build.sh tend-riscv\n```\n",
            "no artifact tend-riscv",
        ),
        (
            "```sh\nbash examples/missing.sh\n```\n",
            "no examples/missing.sh",
        ),
        (
            "THREE```sh\ndocker load -i dist/images/tend-VERSION-amd64.docker.tar\n```\n",
            "dist/images/tend-VERSION-amd64.docker.tar: no command",
        ),
        (
            "THREE```dockerfile\nCOPY --from=localhost/tend:0.0.9 /tend /tend\n```\n",
            "image localhost/tend:0.0.9",
        ),
        (
            "```sh\ndocker run IMAGE   # with localhost/tend:VERSION, as built above\n```\n",
            "image localhost/tend:VERSION:",
        ),
        (
            "```dockerfile\nFROM tend:VERSION\n```\n",
            "image tend:VERSION",
        ),
        (
            "```dockerfile\nCOPY --from=tend:VERSION /tend /tend\n```\n",
            "image tend:VERSION",
        ),
        (
            "```dockerfile\nENTRYPOINT [\"/tend\", \"--wait-fro\", \"tcp://db:5432\", \"--\"]\n```\n",
            "tend --wait-fro",
        ),
        ("```sh\ntend -vx -- app\n```\n", "tend -x (in -vx)"),
        (
            "```dockerfile\nHEALTHCHECK CMD [\"/tend\", \"--probe\", \"http://127.0.0.1/\", \"--timeuot\", \"3s\"]\n```\n",
            "tend --timeuot",
        ),
        (
            "```dockerfile\nENV TEND_WAIT_TIMEOUTS=3s\n```\n",
            "TEND_WAIT_TIMEOUTS",
        ),
        (
            "```sh\ndocker build -f Dockerfile.exemple .\n```\n",
            "Dockerfile.exemple: not in the repository",
        ),
        (
            "```sh\ncp target/x86_64-unknown-linux-musl/release/tend /tmp\n```\n",
            "target/x86_64",
        ),
    ];
    for (snippet, expected) in wrong_cases {
        let snippet = snippet.replace("THREE", three).replace("VERSION", version);
        let expected = expected.replace("VERSION", version);
        let wrong = repo.check("snippet", &snippet, &mut Made::default(), true);
        assert!(
            wrong.iter().any(|w| w.contains(&expected)),
            "expected a problem with {expected:?} in\n{snippet}\ngot {wrong:?}"
        );
    }
    let right_cases: &[&str] = &[
        "THREE```dockerfile\nCOPY --from=localhost/tend:VERSION /tend /tend\n```\n",
        "THREE```sh\nbash release/image.sh --save dist/images\n\
         docker load -i dist/images/tend-VERSION-arm64.docker.tar    # tagged localhost/tend:VERSION\n```\n",
        // Blocks run one after the other.
        "```sh\nTEND_DIST=out bash release/build.sh\n```\n```sh\nTEND_DIST=out bash release/image.sh\n```\n",
        "```dockerfile\nFROM docker.io/library/rust:1.95.0-slim-bookworm AS build\n\
         FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /app /app\n\
         ENTRYPOINT [\"/tend\", \"--file-env\", \"DB_PASSWORD\", \"--chown\", \"/data\", \\\n\
         \"--user\", \"nonroot\", \"--\"]\nCMD [\"--port\", \"$PORT\"]\n\
         HEALTHCHECK CMD [\"/tend\", \"--probe\", \"http://127.0.0.1:8080/\", \"--timeout\", \"3s\", \"--header\", \"Host: a b\"]\n```\n",
        "```sh\ntend sh -c 'exit 3'\ntend -vvg -e143 -p KILL -- app --weird-flag\n\
         tend --probe=http://x/ --expect-status 200,204\ninstall -m 0755 tend /usr/local/bin/tend\n\
         docker build -f Dockerfile.example -t app:0.1.0 .\n```\n",
    ];
    for snippet in right_cases {
        let snippet = snippet.replace("THREE", three).replace("VERSION", version);
        let wrong = repo.check("snippet", &snippet, &mut Made::default(), true);
        assert!(
            wrong.is_empty(),
            "no problem expected in\n{snippet}\ngot {wrong:?}"
        );
    }
    // A docs page: options, variables and scripts only, so a file the reader
    // creates passes and a misspelt option does not.
    let page =
        "```sh\nminisign -G -p release/minisign.pub\ntend --wait-fro tcp://db:5432 -- app\n```\n";
    let wrong = repo.check("page", page, &mut Made::default(), false);
    assert!(
        wrong.len() == 1 && wrong[0].contains("tend --wait-fro"),
        "{wrong:?}"
    );
}

// ---------------------------------------------------------------------------
// Links: every relative link of README.md and docs/*.md points at a file of
// the repository and, with a #fragment, at a heading of that file.

/// README.md and every docs/*.md, as paths relative to the repository.
fn markdown_pages(root: &Path) -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".md"))
                .map(|name| format!("docs/{name}"))
                .collect()
        })
        .unwrap_or_default();
    docs.sort();
    pages.extend(docs);
    pages
}

/// A Markdown text without its fenced code blocks and inline code spans,
/// line by line, so that neither links nor headings are found inside code.
fn prose_lines(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    markdown
        .lines()
        .filter_map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return None;
            }
            (!fenced).then(|| line.to_string())
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_`
/// dropped, each space a hyphen; a repeated one gets `-1`, `-2`, ….
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose_lines(markdown) {
        let Some(text) = line.strip_prefix('#').map(|t| t.trim_start_matches('#')) else {
            continue;
        };
        if !text.starts_with(' ') {
            continue;
        }
        let slug: String = text
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The targets of the inline links `[text](target)` of a Markdown text,
/// with the line each is on; code is left out.
fn links(markdown: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Outside inline code: the even pieces between backticks.
        for piece in line.split('`').step_by(2) {
            for after in piece.split("](").skip(1) {
                if let Some(target) = after.split(')').next() {
                    found.push((index + 1, target.to_string()));
                }
            }
        }
    }
    found
}

/// What is wrong with the relative links of `page` (a path in `root`).
fn broken_links(root: &Path, page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
    let dir = Path::new(page).parent().unwrap_or(Path::new(""));
    let mut wrong = Vec::new();
    for (number, target) in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, fragment) = match target.split_once('#') {
            Some((file, fragment)) => (file, Some(fragment)),
            None => (target.as_str(), None),
        };
        let path = if file.is_empty() {
            root.join(page)
        } else {
            root.join(dir).join(file)
        };
        // Normalised, so that ../ cannot leave the repository unnoticed.
        let Ok(path) = path.canonicalize() else {
            wrong.push(format!("{page}:{number}: ({target}): no such file"));
            continue;
        };
        let Ok(root) = root.canonicalize() else {
            continue;
        };
        if !path.starts_with(&root) {
            wrong.push(format!(
                "{page}:{number}: ({target}): outside the repository"
            ));
            continue;
        }
        let Some(fragment) = fragment else { continue };
        let Ok(linked) = std::fs::read_to_string(&path) else {
            wrong.push(format!(
                "{page}:{number}: ({target}): #{fragment} in a file that is not text"
            ));
            continue;
        };
        let anchors = anchors(&linked);
        if !anchors.contains(fragment) {
            wrong.push(format!(
                "{page}:{number}: ({target}): no heading #{fragment} there (there are {anchors:?})"
            ));
        }
    }
    wrong
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let root = Path::new(MANIFEST_DIR);
    let pages = markdown_pages(root);
    assert!(pages.len() > 1, "the docs pages: {pages:?}");
    let wrong: Vec<String> = pages
        .iter()
        .flat_map(|page| broken_links(root, page))
        .collect();
    assert!(wrong.is_empty(), "broken links:\n{}", wrong.join("\n"));
}

#[test]
fn the_link_check_finds_a_missing_file_and_a_missing_heading() {
    let dir = std::env::temp_dir().join(format!("tend-links-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("docs")).expect("a scratch directory");
    std::fs::write(
        dir.join("README.md"),
        "# tend\n\n## Getting tend: `--probe`\n\n```sh\n# not a heading\n```\n\
         [a](docs/a.md#why-an-init) [b](docs/gone.md) [c](#getting-tend---probe) [d](#not-a-heading)\n\
         [e](docs/a.md#nope) `[f](docs/in-code.md)` [g](https://example.invalid/x) [h](../../outside.md)\n",
    )
    .expect("write README.md");
    std::fs::write(
        dir.join("docs/a.md"),
        "# A\n\n## Why an init\n\n[back](../README.md#tend)\n",
    )
    .expect("write a.md");
    let mut wrong = broken_links(&dir, "README.md");
    wrong.extend(broken_links(&dir, "docs/a.md"));
    let _ = std::fs::remove_dir_all(&dir);
    let expected = [
        "(docs/gone.md)",
        "(#not-a-heading)",
        "(docs/a.md#nope)",
        "(../../outside.md)",
    ];
    for e in expected {
        assert!(
            wrong.iter().any(|w| w.contains(e)),
            "expected {e} among {wrong:?}"
        );
    }
    assert_eq!(wrong.len(), expected.len(), "only those: {wrong:?}");
}
