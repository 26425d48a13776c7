//! The child's environment: tend's own as it started, with each set-up
//! step's changes (`--user`'s HOME, USER and LOGNAME, later the secrets).
//!
//! Pure. The order of the variables is kept, a variable set again keeps its
//! place, and no name appears twice, so the child sees one value for each.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::iter::IntoVec;

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
        self.put(name.into(), value.into());
    }

    /// `set`'s work, in one copy whatever its callers pass.
    fn put(&mut self, name: OsString, value: OsString) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn remove(&mut self, name: impl AsRef<OsStr>) {
        let name = name.as_ref();
        self.0.retain(|(n, _)| n != name);
    }

    /// What execve(2) copies of this environment, in bytes: each
    /// `NAME=value` with its NUL, and a pointer to it. The kernel refuses
    /// the exec (E2BIG) when this and the arguments pass its limit.
    pub fn exec_bytes(&self) -> usize {
        self.0.iter().map(|(n, v)| exec_size(n, v)).sum()
    }

    /// The `n` largest variables, largest first, with what each takes in
    /// execve(2)'s copy (`NAME=value`, its NUL and its pointer). Names only:
    /// for an error that must never show a value.
    pub fn largest(&self, n: usize) -> Vec<(&OsStr, usize)> {
        // A pass that keeps the n largest: no sort to carry in the binary for
        // one error. Among equals, the first set comes first.
        let mut largest: Vec<(&OsStr, usize)> = Vec::with_capacity(n + 1);
        for (name, value) in &self.0 {
            let size = exec_size(name, value);
            let at = largest.iter().position(|&(_, s)| size > s);
            let at = at.unwrap_or(largest.len());
            if at < n {
                largest.insert(at, (name.as_os_str(), size));
                largest.truncate(n);
            }
        }
        largest
    }

    /// What this environment changed from `before`: the variables it sets
    /// anew or to another value, in its order, then those it no longer has,
    /// in theirs. For `--dry-run`.
    pub fn changes<'a>(
        &'a self,
        before: &'a Environ,
    ) -> (Vec<(&'a OsStr, &'a OsStr)>, Vec<&'a OsStr>) {
        let set = self
            .0
            .iter()
            .filter(|(n, v)| before.get(n) != Some(v.as_os_str()))
            .map(|(n, v)| (n.as_os_str(), v.as_os_str()))
            .into_vec();
        let gone = before
            .0
            .iter()
            .filter(|(n, _)| self.get(n).is_none())
            .map(|(n, _)| n.as_os_str())
            .into_vec();
        (set, gone)
    }

    /// `NAME=value` strings for execve(2); Err(name) for a variable that
    /// holds a NUL byte, which no C string can.
    pub fn to_c_strings(&self) -> Result<Vec<CString>, OsString> {
        let mut pairs = Vec::with_capacity(self.0.len());
        for (name, value) in &self.0 {
            let mut pair = name.as_bytes().to_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            pairs.push(CString::new(pair).map_err(|_| name.clone())?);
        }
        Ok(pairs)
    }
}

/// `NAME=value`, its NUL, and the pointer to it.
fn exec_size(name: &OsStr, value: &OsStr) -> usize {
    name.len() + 1 + value.len() + 1 + std::mem::size_of::<usize>()
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

    #[test]
    fn changes_are_what_is_set_anew_then_what_is_gone() {
        let before = env(&[
            ("HOME", "/root"),
            ("A_FILE", "/s"),
            ("USER", "root"),
            ("X", "1"),
        ]);
        let mut after = before.clone();
        after.set("HOME", "/home/app");
        after.set("A", "s3cret");
        after.remove("A_FILE");
        after.remove("USER");
        after.set("X", "1");
        let (set, gone) = after.changes(&before);
        let os = OsStr::new;
        assert_eq!(
            set,
            [(os("HOME"), os("/home/app")), (os("A"), os("s3cret"))]
        );
        assert_eq!(gone, [os("A_FILE"), os("USER")]);
        assert_eq!(before.changes(&before), (vec![], vec![]));
    }

    #[test]
    fn sizes_are_what_exec_copies_and_the_largest_come_first() {
        let big = "x".repeat(1000);
        let e = env(&[
            ("A", "1"),
            ("CERT", &big),
            ("B", "22"),
            ("C", "22"),
            ("E", ""),
        ]);
        let p = std::mem::size_of::<usize>();
        // "A=1\0" and a pointer.
        assert_eq!(env(&[("A", "1")]).exec_bytes(), 4 + p);
        assert_eq!(e.exec_bytes(), 4 + 1006 + 5 + 5 + 3 + 5 * p);
        let largest: Vec<(&str, usize)> = e
            .largest(3)
            .into_iter()
            .map(|(n, size)| (n.to_str().unwrap_or("?"), size))
            .collect();
        assert_eq!(largest, [("CERT", 1006 + p), ("B", 5 + p), ("C", 5 + p)]);
        assert_eq!(Environ::default().largest(3), []);
    }
}
