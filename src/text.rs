//! Text searched and joined by plain loops. Pure.
//!
//! std's `str` searches with a `char` pattern (`rsplit('/')`) link a
//! searcher per direction and pattern, and its `join` a tuned copy loop
//! per type: about 600 and 640 bytes of the small build for what a loop
//! does (issue 21). The invariant: each function answers as the std
//! expression its comment names.

/// What follows the last `/` (all of `path` without one; empty after a
/// trailing one): `path.rsplit('/').next().unwrap_or(path)`.
pub fn after_last_slash(path: &str) -> &str {
    let start = path.bytes().rposition(|b| b == b'/').map_or(0, |at| at + 1);
    path.get(start..).unwrap_or(path)
}

/// The last `/` component that is not empty (`/usr/sbin/nginx/` →
/// `nginx`), None when there is none: `path.rsplit('/').find(|p| !p.is_empty())`.
pub fn last_component(path: &str) -> Option<&str> {
    let end = path.bytes().rposition(|b| b != b'/')? + 1;
    after_last_slash(path.get(..end)?).into()
}

/// `items.join(sep)`, by one loop of pushes: std's join is a copy loop
/// tuned for speed, 270 to 380 bytes for each type of item (issue 21).
pub fn join<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    let mut joined = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            joined.push_str(sep);
        }
        joined.push_str(item.as_ref());
    }
    joined
}

/// Whether two paths name the same thing as std's `Path` equality says:
/// the same components (`a//b/` and `a/./b` are `a/b`; a leading `.` and
/// `..` count). Not std's, which compares components from the end and
/// costs about 400 bytes of the small build for one comparison (issue 21).
pub fn same_path(a: &str, b: &str) -> bool {
    components(a) == components(b)
}

/// `path`'s components as std's `Path::components` gives them on Unix: the
/// root, then the parts between slashes, without empty ones and without
/// `.` except a leading one.
fn components(path: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    if path.starts_with('/') {
        parts.push("/");
    }
    for (i, part) in path.split('/').enumerate() {
        match part {
            "" => {}
            "." if i > 0 => {}
            _ => parts.push(part),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn paths_are_the_same_when_std_says_so(a in "[/.ab]{0,8}", b in "[/.ab]{0,8}") {
            let std = std::path::Path::new(&a) == std::path::Path::new(&b);
            prop_assert_eq!(same_path(&a, &b), std);
            prop_assert!(same_path(&a, &a));
        }
    }

    #[test]
    fn the_same_path_as_std_says() {
        let pairs = [
            ("a/b", "a//b", true),
            ("a/b", "a/./b", true),
            ("a/b/", "a/b", true),
            ("./a", "a", false),
            ("././a", "./a", true),
            ("/.", "/", true),
            ("//a", "/a", true),
            ("a/../b", "b", false),
            ("/a", "a", false),
            (".", "", false),
            ("./", ".", true),
            ("/tmp/t.conf", "/tmp/t.conf/.", true),
        ];
        for (a, b, same) in pairs {
            let std = std::path::Path::new(a) == std::path::Path::new(b);
            assert_eq!(std, same, "std: {a:?} {b:?}");
            assert_eq!(same_path(a, b), same, "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_answers_of_rsplit() {
        let paths = [
            "",
            "/",
            "//",
            "a",
            "/a",
            "a/",
            "/a/",
            "a//",
            "/usr/sbin/nginx",
            "/usr/sbin/nginx/",
            "./run.sh",
            "a/b//",
            "//a//b",
            "caf\u{e9}/\u{e9}t\u{e9}",
            "\u{e9}/",
        ];
        for path in paths {
            let after = path.rsplit('/').next().unwrap_or(path);
            assert_eq!(after_last_slash(path), after, "{path:?}");
            let last = path.rsplit('/').find(|p| !p.is_empty());
            assert_eq!(last_component(path), last, "{path:?}");
        }
    }

    #[test]
    fn the_answers_of_join() {
        let lists: [&[&str]; 5] = [&[], &[""], &["a"], &["a", "b", "c"], &["", "", "x"]];
        for items in lists {
            for sep in ["", ", ", "\n"] {
                assert_eq!(join(items, sep), items.join(sep), "{items:?} {sep:?}");
                let owned: Vec<String> = items.iter().map(|s| s.to_string()).collect();
                assert_eq!(join(&owned, sep), owned.join(sep), "{items:?} {sep:?}");
            }
        }
    }
}
