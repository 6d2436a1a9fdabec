//! Helpers shared by the test modules.

use std::path::PathBuf;

/// Path of a file under `tests/fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// The text of a fixture file.
pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixture_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Every fixture file of a kind (`patroni`, `cluster`, ...) across versions.
pub fn fixtures_of(kind: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for version in ["3.0.2", "4.1.5"] {
        let dir = fixture_path(version);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("{kind}.")))
            .collect();
        names.sort();
        for name in names {
            let rel = format!("{version}/{name}");
            out.push((rel.clone(), fixture(&rel)));
        }
    }
    assert!(out.len() >= 4, "expected fixtures of {kind} for both versions, found {}", out.len());
    out
}
