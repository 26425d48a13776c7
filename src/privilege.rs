//! `--user USER[:GROUP]`: resolve it from /etc/passwd and /etc/group, then
//! drop tend itself (and so the child) to it.
//!
//! Placeholder until --user lands: any --user is refused.

use std::ffi::OsString;

use crate::error::Error;

/// Who tend becomes.
#[derive(Debug)]
pub struct Credentials;

impl Credentials {
    /// HOME, USER and LOGNAME for the child.
    pub fn env(&self) -> Vec<(String, OsString)> {
        Vec::new()
    }
}

/// Resolve `spec` ("user[:group]") against /etc/passwd and /etc/group.
pub fn resolve(spec: &str) -> Result<Credentials, Error> {
    Err(Error::Privilege(
        format!("--user {spec}: not implemented yet"),
        None,
    ))
}

/// Drop tend's own privileges: setgroups, setgid, setuid; then check that
/// root cannot be regained.
pub fn apply(_credentials: &Credentials) -> Result<(), Error> {
    Ok(())
}
