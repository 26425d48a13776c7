//! The repository as an adopter sees it: what a build produces and installs,
//! and the files that must ship with it. No root needed.

use std::path::Path;
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
