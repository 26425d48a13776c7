//! docs/tend.1, the man page, generated from the same declarations as
//! --help (`OPTIONS`, and the texts of `help.rs`). Compiled only into the
//! tests, so the binary carries none of it; the page is committed, and a
//! test fails when the committed page is not what the declarations make
//! (issue 20 #4). Regenerate with `TEND_WRITE_MAN=1 cargo test --bin tend man_page`.

use std::fmt::Write as _;

use super::help::{DESCRIPTION, EXAMPLES, EXIT_STATUSES, SYNOPSIS};
use super::options::{Group, OPTIONS, Opt, Takes};
use crate::iter::IntoVec;

/// Where the page lives, from the crate's root.
const PATH: &str = "docs/tend.1";

/// Text for a roff text line: backslashes, minus signs and anything past
/// ASCII escaped, and a leading `.` or `'` kept from reading as a request.
fn roff(text: &str) -> String {
    let mut out = String::new();
    if text.starts_with(['.', '\'']) {
        out.push_str("\\&");
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "\\[u{:04X}]", u32::from(c));
            }
        }
    }
    out
}

/// `\fB\-e\fR, \fB\-\-long\fR \fIVALUE\fR`: the names bold, the value italic.
fn spec(opt: &Opt) -> String {
    let mut names: Vec<String> = Vec::new();
    if let Some(c) = opt.short {
        names.push(format!("\\fB\\-{c}\\fR"));
    }
    if let Some(long) = opt.long {
        names.push(format!("\\fB{}\\fR", roff(&format!("--{long}"))));
    }
    let mut spec = names.join(", ");
    match opt.takes {
        Takes::Nothing | Takes::Count => {}
        Takes::Value(v) if spec.is_empty() => spec = format!("\\fI{}\\fR", roff(v)),
        Takes::Value(v) => {
            let _ = write!(spec, " \\fI{}\\fR", roff(v));
        }
        Takes::Inline(v) => {
            let _ = write!(spec, "[=\\fI{}\\fR]", roff(v));
        }
    }
    spec
}

/// The page, in the man(7) macros.
pub fn man_page() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut page = format!(
        ".\\\" Generated from src/cli/options.rs by src/cli/man.rs: do not edit.\n\
         .TH TEND 1 \"\" \"tend {version}\" \"User Commands\"\n\
         .SH NAME\n\
         tend \\- a tiny init and entrypoint for containers\n\
         .SH SYNOPSIS\n"
    );
    for (i, line) in SYNOPSIS.iter().enumerate() {
        if i > 0 {
            page.push_str(".br\n");
        }
        let _ = writeln!(page, "{}", roff(line));
    }
    let _ = write!(
        page,
        ".SH DESCRIPTION\n{}\n.SH OPTIONS\n",
        roff(DESCRIPTION)
    );
    for group in Group::ALL {
        let _ = writeln!(page, ".SS \"{}\"", roff(group.title()));
        for opt in OPTIONS.iter().filter(|o| o.group == group) {
            let repeats = if opt.repeats() { " (repeatable)" } else { "" };
            let _ = write!(page, ".TP\n{}\n{}{repeats}.\n", spec(opt), roff(opt.help));
            let vars: Vec<String> = opt
                .vars
                .iter()
                .map(|v| format!("\\fB{}\\fR", roff(v.name)))
                .into_vec();
            if !vars.is_empty() {
                let _ = writeln!(page, ".br\nEnvironment: {}.", vars.join(", "));
            }
        }
    }
    page.push_str(".SH \"EXIT STATUS\"\n");
    for (status, meaning) in EXIT_STATUSES {
        let _ = write!(page, ".TP\n.B {}\n{}.\n", roff(status), roff(meaning));
    }
    page.push_str(".SH EXAMPLES\n");
    for (what, lines) in EXAMPLES {
        let _ = write!(page, ".PP\n{}\n.PP\n.nf\n", roff(what));
        for line in lines {
            let _ = writeln!(page, "{}", roff(line));
        }
        page.push_str(".fi\n");
    }
    page.push_str(
        ".SH \"SEE ALSO\"\n\
         .BR tini (1),\n\
         .BR dumb\\-init (1),\n\
         .BR gosu (1),\n\
         .BR signal (7),\n\
         .BR pid_namespaces (7)\n",
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_escapes_what_would_be_markup() {
        let cases = [
            ("--grace", "\\-\\-grace"),
            ("a\\b", "a\\eb"),
            (".TH x", "\\&.TH x"),
            ("'quote", "\\&'quote"),
            ("a … b", "a \\[u2026] b"),
        ];
        for (text, want) in cases {
            assert_eq!(roff(text), want, "{text:?}");
        }
    }

    #[test]
    fn the_committed_man_page_is_what_the_declarations_generate() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let page = man_page();
        if std::env::var_os("TEND_WRITE_MAN").is_some() {
            std::fs::write(&path, &page).unwrap_or_else(|e| panic!("{PATH}: {e}"));
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == page,
            "{PATH} is not what src/cli/options.rs generates: regenerate it with \
             `TEND_WRITE_MAN=1 cargo test --bin tend man_page` and commit it"
        );
        for opt in OPTIONS {
            assert!(page.contains(&spec(opt)), "{} missing", opt.spec());
        }
    }
}
