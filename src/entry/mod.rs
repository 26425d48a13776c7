//! The entrypoint steps: what tend does to the command and the files before
//! the child starts (expansion now; secrets, templates and chown to come).
//! Each step is pure where it can be, and fails before the spawn, with 125.

// Until cli.rs parses --expand and --render, nothing outside the tests calls it.
#[allow(dead_code)]
pub mod expand;
