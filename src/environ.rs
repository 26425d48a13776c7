//! The child's environment: tend's own as it started, with each set-up
//! step's changes (`--user`'s HOME, USER and LOGNAME, later the secrets).
//!
//! Pure. The order of the variables is kept, a variable set again keeps its
//! place, and no name appears twice, so the child sees one value for each.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environ(Vec<(OsString, OsString)>);

impl Environ {
    /// tend's own environment.
    pub fn from_process() -> Environ {
        Environ::from_pairs(std::env::vars_os())
    }

    /// From `(name, value)` pairs; a later duplicate replaces an earlier one.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (OsString, OsString)>) -> Environ {
        let mut env = Environ::default();
        for (name, value) in pairs {
            env.set(name, value);
        }
        env
    }

    /// The value of `name`, empty or not; None when it is not set.
    pub fn get(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        let name = name.as_ref();
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_os_str())
    }

    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        let (name, value) = (name.into(), value.into());
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn remove(&mut self, name: impl AsRef<OsStr>) {
        let name = name.as_ref();
        self.0.retain(|(n, _)| n != name);
    }

    /// `NAME=value` strings for execve(2); Err(name) for a variable that
    /// holds a NUL byte, which no C string can.
    pub fn to_c_strings(&self) -> Result<Vec<CString>, OsString> {
        self.0
            .iter()
            .map(|(name, value)| {
                let mut pair = name.as_bytes().to_vec();
                pair.push(b'=');
                pair.extend_from_slice(value.as_bytes());
                CString::new(pair).map_err(|_| name.clone())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn env(pairs: &[(&str, &str)]) -> Environ {
        Environ::from_pairs(pairs.iter().map(|(n, v)| (n.into(), v.into())))
    }

    #[test]
    fn set_keeps_the_place_and_remove_removes_every_trace() {
        let mut e = env(&[("A", "1"), ("B", "2"), ("A", "3")]);
        assert_eq!(e.get("A"), Some(OsStr::new("3")));
        e.set("B", "");
        e.set("C", "4");
        assert_eq!(e.get("B"), Some(OsStr::new("")), "empty is still set here");
        e.remove("A");
        assert_eq!(e.get("A"), None);
        let c: Vec<_> = e.to_c_strings().expect("no NUL");
        assert_eq!(
            c,
            [
                CString::new("B=").expect("c"),
                CString::new("C=4").expect("c")
            ]
        );
        e.set("BAD", OsString::from_vec(b"a\0b".to_vec()));
        assert_eq!(e.to_c_strings(), Err(OsString::from("BAD")));
    }
}
