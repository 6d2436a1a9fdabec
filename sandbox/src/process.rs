//! Child processes the sandbox started: killed on drop, and watched by a
//! tiny shell watchdog so they die with the test process even when it is
//! killed or exits without running destructors (statics).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// A process started by the sandbox.
#[derive(Debug)]
pub struct ManagedProcess {
    name: String,
    child: Option<Child>,
    watchdog: Option<Child>,
}

impl ManagedProcess {
    /// Spawns `command` with stdout/stderr appended to `log`, and a watchdog
    /// that sends SIGTERM (then SIGKILL after `grace`) when this process dies.
    pub fn spawn(name: &str, mut command: Command, log: &Path, grace: Duration) -> Result<Self, Error> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::Io(format!("cannot open {}: {e}", log.display())))?;
        let err = out.try_clone().map_err(|e| Error::Io(e.to_string()))?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command.spawn().map_err(|e| Error::Start(format!("cannot start {name}: {e}")))?;
        let watchdog = spawn_watchdog(std::process::id(), child.id(), grace)?;
        Ok(Self { name: name.to_owned(), child: Some(child), watchdog: Some(watchdog) })
    }

    /// The operating-system process id.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "TERM");
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    /// Kills the process at once with SIGKILL (a crash, for failover tests).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    /// The name given at spawn.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
    }
}

/// Sends a signal by name with `kill(1)` (no unsafe code needed).
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn spawn_watchdog(parent: u32, child: u32, grace: Duration) -> Result<Child, Error> {
    let script = format!(
        "while kill -0 {parent} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; \
         if kill -0 {child} 2>/dev/null; then kill -TERM {child}; sleep {}; kill -KILL {child} 2>/dev/null; fi",
        grace.as_secs().max(1)
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Start(format!("cannot start watchdog: {e}")))
}
