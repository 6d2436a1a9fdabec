//! Records the versions of the crates under comparison (read from the workspace
//! Cargo.lock) so every report names exactly what was measured.

use std::path::Path;

const CRATES: [(&str, &str); 6] = [
    ("reqwest", "OPS_BENCH_REQWEST"),
    ("rs-consul", "OPS_BENCH_RS_CONSUL"),
    ("consulrs", "OPS_BENCH_CONSULRS"),
    ("serde_json", "OPS_BENCH_SERDE_JSON"),
    ("hyper", "OPS_BENCH_HYPER"),
    ("tokio", "OPS_BENCH_TOKIO"),
];

fn main() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    for (name, var) in CRATES {
        println!("cargo:rustc-env={var}={}", locked_version(&text, name).unwrap_or_else(|| "unknown".to_owned()));
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned());
    println!("cargo:rustc-env=OPS_BENCH_RUSTC={version}");
}

/// The highest locked version of `name` (several majors may be locked at once).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let header = format!("name = \"{name}\"\nversion = \"");
    lock.match_indices(&header)
        .filter_map(|(at, _)| {
            let rest = &lock[at + header.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .max_by_key(|v| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>())
}
