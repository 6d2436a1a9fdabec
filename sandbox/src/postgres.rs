//! PostgreSQL 15 as the sandbox uses it: where its binaries live, the
//! `postgres` OS user it must run as (it refuses root), and an immediate
//! stop for a server whose Patroni was killed.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Error;

/// Where Debian 12 installs the PostgreSQL 15 binaries.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// The `postgres` OS user's ids, which PostgreSQL and Patroni run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresUser {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

impl PostgresUser {
    /// Looks up the `postgres` user with `id(1)`.
    pub fn lookup() -> Result<Self, Error> {
        let id = |flag: &str| -> Result<u32, Error> {
            let out = Command::new("id")
                .args([flag, "postgres"])
                .output()
                .map_err(|e| Error::Missing(format!("id(1): {e}")))?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .map_err(|_| Error::Missing("the `postgres` OS user (run scripts/install-deps.sh as root)".into()))
        };
        Ok(Self { uid: id("-u")?, gid: id("-g")? })
    }

    /// A command that runs `program` as this user (set directly on the child,
    /// so its PID is the program's own: no `runuser` in between to orphan it).
    #[must_use]
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.uid(self.uid).gid(self.gid);
        cmd
    }

    /// Gives `path` and everything below it to this user.
    pub fn chown_tree(&self, path: &Path) -> Result<(), Error> {
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", self.uid, self.gid))
            .arg(path)
            .status()
            .map_err(|e| Error::Io(format!("chown {}: {e}", path.display())))?;
        if status.success() { Ok(()) } else { Err(Error::Io(format!("chown -R {} failed: {status}", path.display()))) }
    }
}

/// Path of a PostgreSQL 15 binary.
#[must_use]
pub fn bin(name: &str) -> PathBuf {
    Path::new(BIN_DIR).join(name)
}

/// Checks that PostgreSQL 15 is installed.
pub fn check_installed() -> Result<(), Error> {
    if bin("postgres").is_file() && bin("pg_ctl").is_file() {
        Ok(())
    } else {
        Err(Error::Missing(format!("PostgreSQL 15 in {BIN_DIR} (run scripts/install-deps.sh as root)")))
    }
}

/// True when `data_dir` holds a `postmaster.pid` whose process is alive.
#[must_use]
pub fn is_running(data_dir: &Path) -> bool {
    postmaster_pid(data_dir).is_some_and(|pid| {
        Command::new("kill").args(["-0", &pid.to_string()]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Stops the server in `data_dir` with `pg_ctl -m immediate` (as a crash
/// would leave it) when one is running there; does nothing otherwise.
pub fn stop_immediate(user: &PostgresUser, data_dir: &Path) {
    if !is_running(data_dir) {
        return;
    }
    let _ = user
        .command(bin("pg_ctl"))
        .arg("-D")
        .arg(data_dir)
        .args(["-m", "immediate", "-w", "-t", "20", "stop"])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    // pg_ctl may fail (half-written pid file, ...): the postmaster must still go.
    if let Some(pid) = postmaster_pid(data_dir).filter(|_| is_running(data_dir)) {
        crate::process::signal(pid, "KILL");
    }
}
