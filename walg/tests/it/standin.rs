//! A stand-in `wal-g` shell script that prints documented outputs, fails like wal-g, sleeps
//! past the timeout, and records its arguments and environment.

use std::path::PathBuf;
use std::time::Duration;

use client_core::Secret;
use walg::{LocalRunner, PgSettings, Storage, WalG, WalgConfig};

pub const AWS_SECRET: &str = "aws-secret-Zq81x";
pub const PG_PASSWORD: &str = "pg-password-Kw27y";

/// A temp dir holding the stand-in and what it records.
pub struct StandIn {
    dir: tempfile::TempDir,
}

const SCRIPT: &str = r#"#!/bin/sh
# Stand-in for wal-g: behaviour chosen by WALG_STANDIN_MODE and the sub-command.
printf '%s\n' "$@" > "@DIR@/args"
env > "@DIR@/env"
F="@FIXTURES@"
case "$WALG_STANDIN_MODE" in
  sleep) exec sleep 30 ;;
  leak) echo "ERROR: 2026/11/22 05:00:00.000001 AccessDenied for key $AWS_SECRET_ACCESS_KEY" >&2; exit 1 ;;
  empty) echo "INFO: 2026/11/22 05:00:00.000001 No backups found" >&2; exit 0 ;;
  garbage) echo "this is not json"; exit 0 ;;
esac
case "$1" in
  --version) printf 'wal-g version v3.0.0\t3a5b2c1\t2024.05.01_12:00:00\tPostgreSQL\n' ;;
  backup-list)
    case "$*" in
      *--detail*--json*) cat "$F/backup-list-detail.json" ;;
      *--json*) cat "$F/backup-list.json" ;;
      *--detail*) cat "$F/backup-list-v3-detail.txt" ;;
      *) cat "$F/backup-list-v2.txt" ;;
    esac ;;
  backup-push)
    echo "INFO: 2026/11/22 05:00:00.000001 Calling pg_start_backup()" >&2
    echo "INFO: 2026/11/22 05:00:09.000001 Wrote backup with name base_000000020000000000000009" >&2 ;;
  backup-fetch)
    if [ "$3" = "base_0000000200000000000000FF" ]; then
      echo "INFO: 2026/11/22 05:00:00.000001 Selecting the backup with name base_0000000200000000000000FF..." >&2
      echo "ERROR: 2026/11/22 05:00:00.000002 Backup 'base_0000000200000000000000FF' does not exist." >&2
      exit 1
    fi ;;
  wal-fetch) echo "ERROR: 2026/11/22 05:00:00.000001 Archive '00000003.history' does not exist." >&2; exit 74 ;;
  wal-show) cat "$F/wal-show.json" ;;
  wal-verify) cat "$F/wal-verify.json" ;;
  delete) echo "INFO: 2026/11/22 05:00:00.000001 Objects in folder:" >&2; echo "INFO: 2026/11/22 05:00:00.000002 will be deleted: basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json" >&2 ;;
  backup-mark) echo "INFO: 2026/11/22 05:00:00.000001 Marking backup as permanent" >&2 ;;
  *) echo "Error: unknown command \"$1\" for \"wal-g\""; echo "Error: unknown command \"$1\" for \"wal-g\"" >&2; exit 1 ;;
esac
"#;

/// Writes an executable script without this process ever holding it open for writing.
///
/// Tests run on many threads, and a thread that forks while another holds a write descriptor
/// to a script passes that descriptor to its child until the child execs; running the script
/// in that window fails with "Text file busy" (ETXTBSY). `install` writes the file in a child
/// process of its own, so no thread here can leak a write descriptor to it.
pub fn write_executable(path: &std::path::Path, script: &str) {
    let draft = path.with_extension("draft");
    std::fs::write(&draft, script).unwrap();
    let status = std::process::Command::new("install").arg("-m").arg("755").arg(&draft).arg(path).status().unwrap();
    assert!(status.success(), "install -m 755 {} {}: {status}", draft.display(), path.display());
    std::fs::remove_file(&draft).unwrap();
}

impl StandIn {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = crate::FIXTURES.path("walg");
        let script = SCRIPT
            .replace("@DIR@", &dir.path().display().to_string())
            .replace("@FIXTURES@", &fixtures.display().to_string());
        write_executable(&dir.path().join("wal-g"), &script);
        StandIn { dir }
    }

    pub fn program(&self) -> PathBuf {
        self.dir.path().join("wal-g")
    }

    /// The test configuration: S3 storage, AWS and PostgreSQL secrets, the stand-in's mode.
    pub fn config(mode: &str) -> WalgConfig {
        WalgConfig::new(Storage::from_var("WALG_S3_PREFIX", "s3://backups/dbHA").unwrap())
            .aws_credentials("AKIAEXAMPLE", AWS_SECRET)
            .pg(PgSettings {
                host: Some("/var/run/postgresql".into()),
                password: Some(Secret::new(PG_PASSWORD)),
                ..PgSettings::default()
            })
            .set("WALG_STANDIN_MODE", mode)
            .unwrap()
    }

    pub fn walg(&self, mode: &str) -> WalG {
        let config = Self::config(mode);
        WalG::new(LocalRunner::new(self.program()).timeout(Duration::from_secs(20)), config)
    }

    pub fn args(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("args")).unwrap().lines().map(str::to_owned).collect()
    }

    pub fn env(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("env")).unwrap()
    }
}
