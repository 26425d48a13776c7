//! `tend --probe URL`: one HTTP/1.1 GET or TCP connect under a deadline → healthy or not.
//!
//! Placeholder until the probe lands: it reports unhealthy, never healthy.

use std::ffi::OsString;

use crate::cli::Env;
use crate::error::exit;

pub fn run(_args: &[OsString], _env: Env) -> u8 {
    println!("unhealthy: --probe is not implemented yet");
    exit::UNHEALTHY
}
