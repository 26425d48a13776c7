//! The release as a user meets it: what `release/build.sh` puts in dist/
//! (byte-identical from two directories, checksummed, signed, with an SBOM
//! and its sizes printed), the size budgets, the small build's pinned
//! nightly, the aarch64 binaries at work under qemu-user, and the tend image
//! (which ships the small build) under podman.
//!
//! Two builds of every binary, stable and small, serve every test, each made
//! once per run (tests/common/release.rs): one in this checkout, signed with
//! a throwaway key, and one in a fresh clone of HEAD elsewhere, unsigned.
//! Tests that need root, qemu or podman fail loudly under CI instead of
//! skipping.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use common::release::{
    self, ARTIFACTS, BUILD_HANG, BUILD_TOOLS, MANIFEST_DIR, TendImage, VERSION, have, have_tools,
    podman, podman_ok,
};
use common::{HANG, Tend, fixture, reaped_lines, wait_for};
use serde_json::Value;

/// The most bytes dist/tend-x86_64, the stable x86_64 release binary, may
/// have: 720,000 again, the first budget (6 % over the 675,000 or so of
/// issues 9 to 14). Several programs (issue 19) and the dry run took it to
/// 773,128 B and the budget to 777,000 for a while; issue 21's size passes
/// brought it back to 674,808 B. Growth past it is a decision: change it
/// here, and only here, and say why in the commit.
const SIZE_BUDGET_X86_64: u64 = 720_000;
/// The most bytes dist/tend-x86_64-small, the small build the tend image
/// ships, may have: 1.5 % over the 285,800 B it has with every feature of
/// issues 18 to 20. Issue 21's goal is 270,000 B, which the build flags alone
/// met (261,208 B) before those features added about 100 KB; three size
/// passes took back 79 KB of it. The rest of the way needs what the project
/// chose not to do: an own DNS resolver in place of musl's (24 KB), or the
/// no_std core that issue 21 leaves for later. bench/RESULTS.md keeps the
/// goal in view as a target of its own.
const SIZE_BUDGET_X86_64_SMALL: u64 = 290_000;
/// The x86_64 binaries: static-pie, so that ASLR places them anew each run.
const X86_64: [&str; 2] = ["tend-x86_64", "tend-x86_64-small"];
/// The aarch64 binaries, run under qemu-user: the small one is what the
/// arm64 tend image ships, the other the stable-toolchain build.
const AARCH64: [&str; 2] = ["tend-aarch64", "tend-aarch64-small"];

const SIGHUP: i32 = 1;
const SIGUSR1: i32 = 10;
const SIGUSR2: i32 = 12;
const SIGTERM: i32 = 15;
const AARCH64_TARGET: &str = "aarch64-unknown-linux-musl";

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// `what ARGS` in `dir`: (exit code, stdout, stderr).
fn run_in(dir: &Path, what: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(what)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------
// dist/: reproducible, checksummed, signed, described

#[test]
fn two_builds_of_one_commit_in_two_directories_are_byte_identical() {
    let test = "two_builds_of_one_commit_in_two_directories_are_byte_identical";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let changes = release::changes_at_start();
    if !changes.is_empty() {
        // The clone builds HEAD; this checkout would build something else.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs on a clean clone, yet the checkout has changes:\n{changes}"
        );
        eprintln!(
            "skipping {test}: the checkout differs from HEAD; commit, then rerun:\n{changes}"
        );
        return;
    }
    let (here, there) = (release::here(), release::elsewhere());
    let mut expected: Vec<String> = ARTIFACTS.iter().map(|a| a.to_string()).collect();
    expected.extend(["SHA256SUMS", "tend.1", "tend.cdx.json"].map(String::from));
    expected.sort();
    assert_eq!(
        files_in(&there.dist),
        expected,
        "the unsigned build's dist/"
    );
    let mut differ = Vec::new();
    for name in &expected {
        let (a, b) = (here.artifact(name), there.artifact(name));
        let (x, y) = (
            fs::read(&a).expect("read the first build"),
            fs::read(&b).expect("read the second build"),
        );
        if x != y {
            let at = x.iter().zip(&y).position(|(p, q)| p != q);
            differ.push(format!(
                "{name}: {} B sha256 {} in {} against {} B sha256 {} in {}, first difference at byte {at:?}",
                x.len(),
                sha256_of(&a),
                here.checkout.display(),
                y.len(),
                sha256_of(&b),
                there.checkout.display()
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "one commit, two directories, different bytes:\n{}",
        differ.join("\n")
    );
}

#[test]
fn the_signed_checksums_verify_as_a_user_checks_them() {
    let test = "the_signed_checksums_verify_as_a_user_checks_them";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::here();
    let dist = &build.dist;
    let public = build.public_key.as_ref().expect("signed with a test key");
    // The documented way: the public key as a string, then the sums.
    let key_file = fs::read_to_string(public).expect("read the public key");
    let key = key_file.lines().last().expect("a key line").trim();
    let (code, stdout, stderr) = run_in(dist, "minisign", &["-Vm", "SHA256SUMS", "-P", key]);
    assert_eq!(code, Some(0), "minisign -V: {stdout}{stderr}");
    let head = release::git(Path::new(MANIFEST_DIR), &["rev-parse", "HEAD"]).expect("HEAD");
    let trusted = format!("Trusted comment: tend {VERSION}, commit ");
    assert!(
        stdout.contains(&trusted),
        "the signed comment names the release: {stdout}"
    );
    if release::changes_at_start().is_empty() {
        assert!(stdout.contains(&head), "and its commit {head}: {stdout}");
    }
    let (code, stdout, stderr) = run_in(dist, "sha256sum", &["-c", "SHA256SUMS"]);
    assert_eq!(code, Some(0), "sha256sum -c: {stdout}{stderr}");
    let checked: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": OK"))
        .collect();
    let mut want: Vec<&str> = ARTIFACTS.to_vec();
    want.extend(["tend.cdx.json", "tend.1"]);
    assert_eq!(checked, want, "every artifact is summed: {stdout}");

    // A changed binary fails the sums; changed sums fail the signature.
    let tampered = release::scratch().join("tampered");
    fs::create_dir_all(&tampered).expect("create the tampered dir");
    for name in files_in(dist) {
        fs::copy(dist.join(&name), tampered.join(&name)).expect("copy dist");
    }
    let binary = tampered.join("tend-aarch64");
    let mut bytes = fs::read(&binary).expect("read the copy");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&binary, bytes).expect("tamper");
    let (code, stdout, _) = run_in(&tampered, "sha256sum", &["-c", "SHA256SUMS"]);
    assert_ne!(code, Some(0), "a changed binary must fail: {stdout}");
    assert!(stdout.contains("tend-aarch64: FAILED"), "{stdout}");
    // Sums edited to match the changed binary pass sha256sum, not the signature.
    let sums = fs::read_to_string(tampered.join("SHA256SUMS")).expect("read the sums");
    let edited = sums.replacen(
        &sha256_of(&dist.join("tend-aarch64")),
        &sha256_of(&binary),
        1,
    );
    assert_ne!(edited, sums, "the edit changed the sums");
    fs::write(tampered.join("SHA256SUMS"), edited).expect("tamper");
    let (code, stdout, _) = run_in(&tampered, "sha256sum", &["-c", "SHA256SUMS"]);
    assert_eq!(
        code,
        Some(0),
        "the edited sums match the changed binary: {stdout}"
    );
    let (code, stdout, stderr) = run_in(&tampered, "minisign", &["-Vm", "SHA256SUMS", "-P", key]);
    assert_ne!(
        code,
        Some(0),
        "changed sums must fail the signature: {stdout}{stderr}"
    );
}

#[test]
fn without_a_key_the_build_says_it_did_not_sign() {
    let test = "without_a_key_the_build_says_it_did_not_sign";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::elsewhere();
    assert!(
        build
            .output
            .contains("NOT SIGNED: TEND_MINISIGN_KEY is not set"),
        "{}",
        build.output
    );
    assert!(!build.artifact("SHA256SUMS.minisig").exists());
}

#[test]
fn a_key_inside_the_repository_is_refused_before_building() {
    let dist = release::scratch().join("refused-dist");
    let key = release::scratch().join("inside.key");
    fs::write(&key, "not a real key\n").expect("write the decoy key");
    let mut cmd = Command::new("bash");
    cmd.current_dir(MANIFEST_DIR)
        .args(["release/build.sh", "tend-x86_64"])
        .env("TEND_DIST", &dist)
        .env("TEND_MINISIGN_KEY", &key);
    let out = release::run(cmd, BUILD_HANG);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is inside the repository"),
        "says why: {stderr}"
    );
    assert!(!dist.exists(), "nothing was built");
}

/// `NAME=VALUE` lines of release/nightly.sh: what it pins.
fn nightly_pin(name: &str) -> String {
    let text = fs::read_to_string(Path::new(MANIFEST_DIR).join("release/nightly.sh"))
        .expect("read release/nightly.sh");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
        .map(|value| value.trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("no {name}= in release/nightly.sh"))
}

#[test]
fn the_small_build_is_refused_before_building_without_the_pinned_nightly() {
    let test = "the_small_build_is_refused_before_building_without_the_pinned_nightly";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let pinned = nightly_pin("NIGHTLY_RUSTC");
    // A toolchain that is not there, and one that is but is not the pin.
    for (toolchain, found) in [
        (
            "no-such-toolchain",
            "no-such-toolchain: not installed".to_string(),
        ),
        ("stable", "stable: rustc 1.".to_string()),
    ] {
        let dist = release::scratch().join(format!("refused-{toolchain}-dist"));
        let mut cmd = Command::new("bash");
        cmd.current_dir(MANIFEST_DIR)
            .args(["release/build.sh", "tend-x86_64", "tend-x86_64-small"])
            .env("TEND_DIST", &dist)
            .env("TEND_NIGHTLY", toolchain)
            .env_remove("TEND_MINISIGN_KEY");
        let out = release::run(cmd, BUILD_HANG);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "TEND_NIGHTLY={toolchain}: {out:?}"
        );
        for says in [
            format!("tend-x86_64-small is built only with the pinned nightly, {pinned}"),
            found,
            format!(
                "rustup toolchain install {}",
                nightly_pin("NIGHTLY_TOOLCHAIN")
            ),
        ] {
            assert!(
                stderr.contains(&says),
                "TEND_NIGHTLY={toolchain}: {says:?} in {stderr}"
            );
        }
        assert!(
            !dist.exists(),
            "TEND_NIGHTLY={toolchain}: nothing was built"
        );
    }
}

#[test]
fn the_small_binaries_are_built_by_the_pinned_nightly() {
    let test = "the_small_binaries_are_built_by_the_pinned_nightly";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::here();
    let pinned = nightly_pin("NIGHTLY_RUSTC");
    for name in ARTIFACTS.iter().filter(|a| a.ends_with("-small")) {
        let line = build
            .output
            .lines()
            .find(|l| l.starts_with(&format!("release: building {name} (")))
            .unwrap_or_else(|| panic!("no building line for {name}:\n{}", build.output));
        assert!(line.ends_with(&format!(", {pinned})")), "{line}");
    }
}

/// (name, version) of every package in Cargo.lock.
fn locked_packages() -> BTreeMap<String, String> {
    let lock = fs::read_to_string(Path::new(MANIFEST_DIR).join("Cargo.lock")).expect("Cargo.lock");
    let mut packages = BTreeMap::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            packages.insert(n, v.trim_matches('"').to_string());
        }
    }
    packages
}

#[test]
fn the_sbom_lists_what_the_binary_is_built_from() {
    let test = "the_sbom_lists_what_the_binary_is_built_from";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::here();
    let text = fs::read_to_string(build.artifact("tend.cdx.json")).expect("read the SBOM");
    let sbom: Value = serde_json::from_str(&text).expect("the SBOM is JSON");
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let component = &sbom["metadata"]["component"];
    assert_eq!(component["name"], "tend", "{component}");
    assert_eq!(component["version"], VERSION, "{component}");
    let listed: BTreeMap<String, String> = sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (field("name"), field("version"))
        })
        .collect();
    let locked = locked_packages();
    for (name, version) in &listed {
        assert_eq!(
            locked.get(name),
            Some(version),
            "{name} {version} in the SBOM is not what Cargo.lock pins"
        );
    }
    // The binary's dependencies are there; the tests' (serde_json) are not.
    for name in ["libc", "nix"] {
        assert!(listed.contains_key(name), "{name} missing: {listed:?}");
    }
    assert!(!listed.contains_key("serde_json"), "{listed:?}");
    assert!(
        !text.contains(MANIFEST_DIR),
        "the SBOM names the build directory {MANIFEST_DIR}"
    );
}

#[test]
fn the_build_prints_every_artifact_with_its_size_and_the_binaries_are_static() {
    let test = "the_build_prints_every_artifact_with_its_size_and_the_binaries_are_static";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::here();
    for name in files_in(&build.dist) {
        let bytes = fs::metadata(build.artifact(&name)).expect("stat").len();
        let grouped = group_thousands(bytes);
        let line = build
            .output
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&name))
            .unwrap_or_else(|| panic!("no size line for {name}:\n{}", build.output));
        assert!(
            line.contains(&format!("{grouped} B")),
            "{name} is {grouped} B: {line}"
        );
        if X86_64.contains(&name.as_str()) {
            assert!(line.contains("static-pie linked"), "{line}");
        } else if ARTIFACTS.contains(&name.as_str()) {
            // Rust's aarch64 musl target makes no static-pie.
            assert!(line.contains("statically linked"), "{line}");
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[test]
fn the_x86_64_release_binaries_fit_their_size_budgets() {
    let test = "the_x86_64_release_binaries_fit_their_size_budgets";
    if !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    for (name, budget, constant) in [
        ("tend-x86_64", SIZE_BUDGET_X86_64, "SIZE_BUDGET_X86_64"),
        (
            "tend-x86_64-small",
            SIZE_BUDGET_X86_64_SMALL,
            "SIZE_BUDGET_X86_64_SMALL",
        ),
    ] {
        let binary = release::here().artifact(name);
        let measured = fs::metadata(&binary).expect("stat the binary").len();
        eprintln!("dist/{name}: {measured} B, budget {budget} B");
        assert!(
            measured <= budget,
            "dist/{name} is {measured} B, over the budget of {budget} B by {} B \
             ({constant} in tests/release.rs)",
            measured - budget
        );
    }
}

// ---------------------------------------------------------------------------
// aarch64 under qemu-user

#[test]
fn unit_tests_pass_on_aarch64_under_qemu() {
    let test = "unit_tests_pass_on_aarch64_under_qemu";
    if !have_tools(test, &["qemu-aarch64-static"]) {
        return;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(MANIFEST_DIR)
        .args(["test", "--target", AARCH64_TARGET, "--bins"])
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER", "rust-lld")
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER",
            "qemu-aarch64-static",
        );
    let out = release::run(cmd, BUILD_HANG);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let passed: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test result: ok. "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no passing test result:\n{stdout}"));
    assert!(passed > 0, "no unit test ran under qemu:\n{stdout}");
    eprintln!("{passed} unit tests passed on aarch64 under qemu");
}

/// `unshare … qemu-aarch64-static dist/BINARY ARGS`: the emulated tend is
/// PID 1 of a fresh PID namespace. The children it starts are native
/// (there is no binfmt_misc entry), so the fixture is the x86_64 one.
fn qemu_pid1(binary: &str, args: &[&str]) -> Tend {
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        "qemu-aarch64-static",
    ])
    .arg(release::here().artifact(binary))
    .args(args);
    Tend::spawn(cmd, true)
}

fn have_qemu_and_root(test: &str) -> bool {
    have(test, &["qemu-aarch64-static", "unshare"]) && have_tools(test, &BUILD_TOOLS)
}

#[test]
fn aarch64_tend_passes_exit_codes_through_under_qemu() {
    if !have_qemu_and_root("aarch64_tend_passes_exit_codes_through_under_qemu") {
        return;
    }
    for binary in AARCH64 {
        for code in [0, 1, 2, 42, 125, 128, 255] {
            let out = qemu_pid1(binary, &["--", fixture(), "exit", &code.to_string()]).wait();
            assert_eq!(out.code, Some(code), "{binary}, exit {code}: {out:?}");
        }
        let remapped = qemu_pid1(binary, &["-e", "3", "--", fixture(), "exit", "3"]).wait();
        assert_eq!(remapped.code, Some(0), "{binary}: {remapped:?}");
        let missing = qemu_pid1(binary, &["--", "/nonexistent/program"]).wait();
        assert_eq!(missing.code, Some(127), "{binary}: {missing:?}");
    }
}

#[test]
fn aarch64_tend_forwards_signals_under_qemu() {
    if !have_qemu_and_root("aarch64_tend_forwards_signals_under_qemu") {
        return;
    }
    for binary in AARCH64 {
        let mut tend = qemu_pid1(binary, &["--", fixture(), "wait"]);
        tend.expect_line("ready");
        tend.signal(SIGTERM);
        let out = tend.wait();
        assert_eq!(out.code, Some(128 + SIGTERM), "{binary}, SIGTERM: {out:?}");

        let mut tend = qemu_pid1(binary, &["--", fixture(), "signals", "3"]);
        tend.expect_line("ready");
        for signo in [SIGHUP, SIGUSR1, SIGUSR2] {
            tend.signal(signo);
            tend.expect_line(&format!("got {signo}"));
        }
        let out = tend.wait();
        assert_eq!(out.code, Some(0), "{binary}: {out:?}");
    }
}

#[test]
fn aarch64_tend_reaps_orphans_as_pid1_under_qemu() {
    if !have_qemu_and_root("aarch64_tend_reaps_orphans_as_pid1_under_qemu") {
        return;
    }
    for binary in AARCH64 {
        let mut tend = qemu_pid1(binary, &["-w", "--", fixture(), "orphans", "20"]);
        tend.expect_line("orphaned 20");
        wait_for(&format!("the emulated {binary} to reap 20 orphans"), || {
            (reaped_lines(&tend.stderr()) >= 20).then_some(())
        });
        tend.signal(SIGTERM);
        let out = tend.wait();
        assert_eq!(out.code, Some(128 + SIGTERM), "{binary}: {out:?}");
        assert_eq!(reaped_lines(&out.stderr), 20, "{binary}: {}", out.stderr);
    }
}

/// A loopback server that answers every connection with `response`, until
/// the test process ends. Its port.
fn serve(response: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.set_read_timeout(Some(HANG));
            let mut request = [0u8; 4096];
            // One read is enough for a probe's small GET; the answer does not depend on it.
            let _ = stream.read(&mut request);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

fn qemu_probe(binary: &str, url: &str) -> common::Outcome {
    let mut cmd = Command::new("qemu-aarch64-static");
    cmd.arg(release::here().artifact(binary))
        .args(["--probe", url, "--timeout", "20s"]);
    Tend::spawn(cmd, false).wait()
}

#[test]
fn aarch64_tend_probes_a_loopback_server_under_qemu() {
    let test = "aarch64_tend_probes_a_loopback_server_under_qemu";
    if !have_tools(test, &["qemu-aarch64-static"]) || !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let up = serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    let down = serve("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    let verdict = |out: &common::Outcome| out.stdout.first().cloned().unwrap_or_default();

    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    for binary in AARCH64 {
        let out = qemu_probe(binary, &format!("http://127.0.0.1:{up}/health"));
        assert_eq!(out.code, Some(0), "{binary}: {out:?}");
        assert!(
            verdict(&out).starts_with("healthy: HTTP 200"),
            "{binary}: {out:?}"
        );
        // A name: the resolver runs on a thread of tend's own, under emulation too.
        let out = qemu_probe(binary, &format!("http://localhost:{up}/health"));
        assert_eq!(out.code, Some(0), "{binary}: {out:?}");
        let out = qemu_probe(binary, &format!("http://127.0.0.1:{down}/health"));
        assert_eq!(out.code, Some(1), "{binary}: {out:?}");
        assert!(
            verdict(&out).starts_with("unhealthy: status 503"),
            "{binary}: {out:?}"
        );
        let out = qemu_probe(binary, &format!("tcp://127.0.0.1:{closed}"));
        assert_eq!(out.code, Some(1), "{binary}: {out:?}");
        assert!(
            verdict(&out).starts_with("unhealthy: connection refused"),
            "{binary}: {out:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// The tend image, under podman + runc

/// An image or container of this test, removed on drop.
struct Podman {
    kind: &'static str,
    name: String,
}

impl Drop for Podman {
    fn drop(&mut self) {
        // Best effort: a leftover is untidy, not wrong.
        let _ = match self.kind {
            "container" => podman(&["rm", "-f", "-t", "0", &self.name]),
            _ => podman(&["rmi", "-f", &self.name]),
        };
    }
}

/// The files under `root`, as (path from root, permission bits), sorted.
fn tree(root: &Path) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).expect("read the image's files") {
            let path = entry.expect("an entry").path();
            let meta = fs::symlink_metadata(&path).expect("lstat");
            if meta.is_dir() {
                todo.push(path.clone());
            }
            let relative = path.strip_prefix(root).expect("under root");
            found.push((
                relative.to_string_lossy().into_owned(),
                meta.permissions().mode() & 0o7777,
            ));
        }
    }
    found.sort();
    found
}

/// A file of a docker-archive tarball.
fn from_archive(archive: &Path, member: &str) -> Vec<u8> {
    let out = Command::new("tar")
        .arg("-xOf")
        .arg(archive)
        .arg(member)
        .output()
        .expect("run tar");
    assert!(
        out.status.success(),
        "tar -xOf {} {member}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_tend_image_holds_tend_for_both_architectures_and_serves_copy_from() {
    let test = "the_tend_image_holds_tend_for_both_architectures_and_serves_copy_from";
    if !have(test, &["podman", "runc"]) || !have_tools(test, &BUILD_TOOLS) {
        return;
    }
    let build = release::here();
    let name = format!("localhost/tend-release-test-{}", std::process::id());
    let image = TendImage::build(&name, build);
    assert_eq!(
        image.tag,
        format!("{name}:{VERSION}"),
        "tagged with Cargo.toml's version"
    );

    // The manifest list: one image per architecture.
    let list: Value = serde_json::from_str(&podman_ok(&["manifest", "inspect", &image.tag]))
        .expect("the manifest list is JSON");
    let mut platforms: Vec<String> = list["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            let field = |k: &str| m["platform"][k].as_str().unwrap_or("?").to_string();
            format!("{}/{}", field("os"), field("architecture"))
        })
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "{list}");

    // Each image holds /tend, the small build, and /LICENSE, nothing else.
    let licence = fs::read(Path::new(MANIFEST_DIR).join("LICENSE")).expect("LICENSE");
    for (arch, binary) in [
        ("amd64", "tend-x86_64-small"),
        ("arm64", "tend-aarch64-small"),
    ] {
        let per_arch = format!("{}-{arch}", image.tag);
        let inspected = podman_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}",
            &per_arch,
        ]);
        assert_eq!(inspected.trim(), format!("linux/{arch}"));
        let root = PathBuf::from(podman_ok(&["image", "mount", &per_arch]).trim());
        let files = tree(&root);
        let tend = fs::read(root.join("tend"));
        let licence_in = fs::read(root.join("LICENSE"));
        podman_ok(&["image", "unmount", &per_arch]);
        assert_eq!(
            files,
            [("LICENSE".to_string(), 0o644), ("tend".to_string(), 0o755)],
            "{per_arch} holds"
        );
        assert!(
            tend.expect("read /tend") == fs::read(build.artifact(binary)).expect("read dist"),
            "{per_arch}'s /tend is dist/{binary}"
        );
        assert!(
            licence_in.expect("read /LICENSE") == licence,
            "{per_arch}'s /LICENSE"
        );
    }

    // An app image takes /tend with COPY --from, and tend runs as its PID 1.
    let stubborn = common::musl_release().join("examples/stubborn");
    let context = release::scratch().join("app-context");
    fs::create_dir_all(&context).expect("create the app's context");
    fs::copy(&stubborn, context.join("stubborn")).expect("copy stubborn");
    fs::write(
        context.join("Containerfile"),
        format!(
            "FROM scratch\nCOPY --from={} /tend /tend\nCOPY stubborn /stubborn\n\
             ENTRYPOINT [\"/tend\", \"--\"]\nCMD [\"/stubborn\"]\n",
            image.tag
        ),
    )
    .expect("write the Containerfile");
    let app = Podman {
        kind: "image",
        name: format!("localhost/tend-release-app-{}", std::process::id()),
    };
    podman_ok(&[
        "build",
        "--format",
        "docker",
        "--layers=false",
        "-t",
        &app.name,
        &context.to_string_lossy(),
    ]);
    let version = podman_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &app.name,
        "/tend",
        "--version",
    ]);
    let native = Command::new(build.artifact("tend-x86_64-small"))
        .arg("--version")
        .output()
        .expect("run dist/tend-x86_64-small --version");
    assert_eq!(
        version,
        String::from_utf8_lossy(&native.stdout),
        "/tend -- /tend --version"
    );

    let container = Podman {
        kind: "container",
        name: format!("tend-release-app-{}", std::process::id()),
    };
    podman_ok(&[
        "run",
        "-d",
        "--name",
        &container.name,
        "--network",
        "none",
        &app.name,
    ]);
    let pid = podman_ok(&["inspect", "--format", "{{.State.Pid}}", &container.name]);
    let cmdline = fs::read(format!("/proc/{}/cmdline", pid.trim())).expect("PID 1's cmdline");
    assert_eq!(
        String::from_utf8_lossy(&cmdline),
        "/tend\0--\0/stubborn\0",
        "the container's PID 1 (host pid {})",
        pid.trim()
    );
    wait_for("stubborn to start", || {
        let logs = podman(&["logs", &container.name]);
        String::from_utf8_lossy(&logs.stdout)
            .contains("running")
            .then_some(())
    });
    // stubborn leaves SIGTERM at its default: only a forwarded one ends it (143);
    // the stop timeout's SIGKILL would give 137.
    podman_ok(&["stop", "-t", "60", &container.name]);
    let code = podman_ok(&[
        "inspect",
        "--format",
        "{{.State.ExitCode}}",
        &container.name,
    ]);
    assert_eq!(
        code.trim(),
        "143",
        "podman stop: tend forwards SIGTERM to stubborn"
    );

    // The docker-archive tarballs, for `docker load`: tagged NAME:VERSION, one architecture each.
    for (arch, archive) in &image.archives {
        let manifest: Value = serde_json::from_slice(&from_archive(archive, "manifest.json"))
            .expect("manifest.json is JSON");
        let entry = &manifest[0];
        let tags: Vec<&str> = entry["RepoTags"]
            .as_array()
            .expect("RepoTags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            tags.contains(&image.tag.as_str()),
            "{}: {tags:?}",
            archive.display()
        );
        let config_name = entry["Config"].as_str().expect("Config");
        let config: Value = serde_json::from_slice(&from_archive(archive, config_name))
            .expect("the image config is JSON");
        assert_eq!(
            config["architecture"],
            arch.as_str(),
            "{}",
            archive.display()
        );
    }
}

#[test]
fn the_tend_image_is_refused_without_the_small_build() {
    // A dist/ with the stable binaries only: their bytes do not matter, the
    // refusal comes first.
    let dist = release::scratch().join("stable-only-dist");
    fs::create_dir_all(&dist).expect("create the dist");
    for name in ["tend-x86_64", "tend-aarch64"] {
        fs::write(dist.join(name), b"").expect("write a stand-in");
        fs::set_permissions(dist.join(name), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let name = format!("localhost/tend-release-refused-{}", std::process::id());
    let mut cmd = Command::new("bash");
    cmd.current_dir(MANIFEST_DIR)
        .args(["release/image.sh", "--name", &name])
        .env("TEND_DIST", &dist)
        .env("CONTAINERS_CONF", release::containers_conf());
    let out = release::run(cmd, BUILD_HANG);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr.contains("tend-x86_64-small is missing: the tend image ships the small build"),
        "{stderr}"
    );
    if have_tools(
        "the_tend_image_is_refused_without_the_small_build",
        &["podman"],
    ) {
        let exists = podman(&["image", "exists", &format!("{name}:{VERSION}-amd64")]);
        assert!(!exists.status.success(), "no image was built");
    }
}

#[test]
fn the_tend_image_serves_copy_from_under_docker_too() {
    let test = "the_tend_image_serves_copy_from_under_docker_too";
    let docker = &common::engine::DOCKER;
    if !docker.available(test)
        || !have(test, &["podman", "runc"])
        || !have_tools(test, &BUILD_TOOLS)
    {
        return;
    }
    let build = release::here();
    let name = format!("localhost/tend-release-docker-{}", std::process::id());
    let image = TendImage::build(&name, build);
    let (_, archive) = image
        .archives
        .iter()
        .find(|(arch, _)| arch == "amd64")
        .expect("the amd64 archive");
    docker.ok(&["load", "-i", &archive.to_string_lossy()]);
    let app = format!("{name}-app");
    let context = release::scratch().join("docker-app-context");
    fs::create_dir_all(&context).expect("create the app's context");
    fs::copy(
        common::musl_release().join("examples/stubborn"),
        context.join("stubborn"),
    )
    .expect("copy stubborn");
    fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM scratch\nCOPY --from={} /tend /tend\nCOPY stubborn /stubborn\n\
             ENTRYPOINT [\"/tend\", \"--\"]\nCMD [\"/stubborn\"]\n",
            image.tag
        ),
    )
    .expect("write the Dockerfile");
    let built = docker.output(&["build", "-t", &app, &context.to_string_lossy()]);
    let version = docker.output(&[
        "run",
        "--rm",
        "--network",
        "none",
        &app,
        "/tend",
        "--version",
    ]);
    // Clean-up before the asserts: the images are ours alone.
    let _ = docker.output(&["rmi", "-f", &app, &image.tag]);
    assert!(
        built.status.success(),
        "docker build with COPY --from: {built:?}"
    );
    let native = Command::new(build.artifact("tend-x86_64-small"))
        .arg("--version")
        .output()
        .expect("run dist/tend-x86_64-small --version");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        String::from_utf8_lossy(&native.stdout),
        "docker run APP /tend --version: {version:?}"
    );
}
