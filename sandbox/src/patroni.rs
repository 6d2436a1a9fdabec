//! Real Patroni clusters (PostgreSQL 15 + Patroni, Consul as DCS) on
//! loopback, one process per member so a scheduler or a test can start,
//! stop, crash and wipe members one by one.
//!
//! Each cluster lives in its own temporary directory (owned by the `postgres`
//! user, whom PostgreSQL requires) with free ports, so several clusters can
//! run in parallel in one process as long as their scopes differ.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Error;
use crate::ports::free_port;
use crate::postgres::{self, PostgresUser};
use crate::process::ManagedProcess;

/// Environment variable naming another `patroni` executable (for example a
/// Patroni 4.x virtualenv readable by `postgres`); default: `patroni` on PATH.
pub const PATRONI_BIN_ENV: &str = "SANDBOX_PATRONI_BIN";

/// How long a graceful member stop may take before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(40);

/// The namespace Patroni writes under in Consul KV (`service/<scope>/...`).
pub const NAMESPACE: &str = "/service/";

/// A Patroni cluster of `members` members on loopback.
#[derive(Debug)]
pub struct PatroniCluster {
    scope: String,
    consul_host_port: String,
    user: PostgresUser,
    patroni_bin: PathBuf,
    superuser_password: String,
    replication_password: String,
    restapi_auth: Option<(String, String)>,
    config_patches: Vec<Value>,
    members: Vec<Member>,
    janitor: Option<std::process::Child>,
    // Last field: dropped after `Drop::drop` stopped the members.
    dir: tempfile::TempDir,
}

#[derive(Debug)]
struct Member {
    name: String,
    api_port: u16,
    pg_port: u16,
    process: Option<ManagedProcess>,
}

impl PatroniCluster {
    /// Prepares (starts nothing) a cluster named `scope` of `members` members
    /// using the Consul agent at `consul_host_port` (`127.0.0.1:8500`).
    pub fn new(consul_host_port: &str, scope: &str, members: usize) -> Result<Self, Error> {
        if scope.is_empty() || scope.contains(['/', ' ', '\0']) {
            return Err(Error::Start(format!("invalid Patroni scope {scope:?}: use a non-empty name without '/'")));
        }
        if members == 0 {
            return Err(Error::Start("a Patroni cluster needs at least one member".into()));
        }
        postgres::check_installed()?;
        let patroni_bin = match std::env::var_os(PATRONI_BIN_ENV) {
            Some(p) => PathBuf::from(p),
            None => crate::consul::which("patroni")
                .ok_or_else(|| Error::Missing("patroni (run scripts/install-deps.sh as root)".into()))?,
        };
        let user = PostgresUser::lookup()?;
        let dir =
            tempfile::Builder::new().prefix("sandbox-patroni-").tempdir().map_err(|e| Error::Io(e.to_string()))?;
        let members = (1..=members)
            .map(|n| Member { name: format!("dbHA{n}"), api_port: free_port(), pg_port: free_port(), process: None })
            .collect();
        let secret = crate::unique_suffix();
        let mut cluster = Self {
            scope: scope.to_owned(),
            consul_host_port: consul_host_port.to_owned(),
            user,
            patroni_bin,
            superuser_password: format!("su-{secret}"),
            replication_password: format!("rep-{secret}"),
            restapi_auth: None,
            config_patches: Vec::new(),
            members,
            janitor: None,
            dir,
        };
        for dir in [cluster.archive_dir(), cluster.socket_dir()] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::Io(format!("mkdir {}: {e}", dir.display())))?;
        }
        for i in 0..cluster.members.len() {
            let dir = cluster.member_dir(i);
            std::fs::create_dir_all(&dir).map_err(|e| Error::Io(format!("mkdir {}: {e}", dir.display())))?;
        }
        cluster.user.chown_tree(cluster.dir.path())?;
        cluster.janitor = Some(spawn_janitor(cluster.dir.path())?);
        Ok(cluster)
    }

    /// Runs members started afterwards with another `patroni` executable (e.g. a Patroni 4.x
    /// virtualenv), so one test process can drive clusters of both versions.
    pub fn set_patroni_bin(&mut self, bin: impl Into<PathBuf>) {
        self.patroni_bin = bin.into();
    }

    /// Protects Patroni's unsafe REST endpoints with basic auth (takes effect
    /// for members started afterwards).
    pub fn set_restapi_auth(&mut self, username: &str, password: &str) {
        self.restapi_auth = Some((username.to_owned(), password.to_owned()));
    }

    /// Merges `patch` (a JSON object, merged recursively; `null` deletes a
    /// key) into every member's configuration, for members started
    /// afterwards — e.g. a custom `bootstrap.method` for a restore, or
    /// `tags`. The sandbox's own settings are what `patch` does not name.
    pub fn merge_config(&mut self, patch: Value) {
        self.config_patches.push(patch);
    }

    /// The member's Patroni configuration file (written at start).
    #[must_use]
    pub fn config_file(&self, i: usize) -> PathBuf {
        self.member_dir(i).join("patroni.yml")
    }

    /// The scope (cluster name).
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: a cluster has at least one member.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The Consul `host:port` the members use as DCS.
    #[must_use]
    pub fn consul_host_port(&self) -> &str {
        &self.consul_host_port
    }

    /// The member's name: `dbHA1`, `dbHA2`, ...
    ///
    /// # Panics
    /// When `i` is not a member index (as every per-member accessor).
    #[must_use]
    pub fn member_name(&self, i: usize) -> &str {
        &self.members[i].name
    }

    /// The member's REST API base URL, e.g. `http://127.0.0.1:41234`.
    #[must_use]
    pub fn api_url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.members[i].api_port)
    }

    /// The member's REST API port.
    #[must_use]
    pub fn api_port(&self, i: usize) -> u16 {
        self.members[i].api_port
    }

    /// The member's PostgreSQL port on 127.0.0.1.
    #[must_use]
    pub fn pg_port(&self, i: usize) -> u16 {
        self.members[i].pg_port
    }

    /// The member's PostgreSQL data directory.
    #[must_use]
    pub fn data_dir(&self, i: usize) -> PathBuf {
        self.member_dir(i).join("data")
    }

    /// The member's Patroni log file.
    #[must_use]
    pub fn log_file(&self, i: usize) -> PathBuf {
        self.member_dir(i).join("patroni.log")
    }

    /// The last lines of the member's Patroni log.
    #[must_use]
    pub fn log_tail(&self, i: usize) -> String {
        crate::tail_file(&self.log_file(i), 40)
    }

    /// The WAL archive directory shared by all members (`archive_command`
    /// copies every finished segment here).
    #[must_use]
    pub fn archive_dir(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    /// The password of the `postgres` superuser.
    #[must_use]
    pub fn superuser_password(&self) -> &str {
        &self.superuser_password
    }

    /// The PID of the member's Patroni process, while it runs (fault tests kill it, or its
    /// children such as `initdb`, at a chosen moment).
    #[must_use]
    pub fn patroni_pid(&self, i: usize) -> Option<u32> {
        self.members[i].process.as_ref().and_then(ManagedProcess::pid)
    }

    /// True while the member's Patroni process runs.
    pub fn is_running(&mut self, i: usize) -> bool {
        self.members[i].process.as_mut().is_some_and(ManagedProcess::is_running)
    }

    /// Starts the member's Patroni (no-op when it runs).
    pub fn start_member(&mut self, i: usize) -> Result<(), Error> {
        if self.is_running(i) {
            return Ok(());
        }
        let mut config = self.member_config(i);
        for patch in &self.config_patches {
            merge(&mut config, patch.clone());
        }
        let dir = self.member_dir(i);
        let yml = self.config_file(i);
        // JSON is valid YAML, and serde_json is all the sandbox needs.
        let text = serde_json::to_string_pretty(&config).map_err(|e| Error::Io(e.to_string()))?;
        std::fs::write(&yml, text).map_err(|e| Error::Io(format!("write {}: {e}", yml.display())))?;
        self.user.chown_tree(&dir)?;
        let mut cmd = self.user.command(&self.patroni_bin);
        cmd.arg(&yml).current_dir(&dir).env("HOME", &dir);
        let process = ManagedProcess::spawn(&self.members[i].name, cmd, &self.log_file(i), STOP_GRACE)?;
        self.members[i].process = Some(process);
        Ok(())
    }

    /// Stops the member gracefully (SIGTERM: Patroni stops PostgreSQL and
    /// releases its keys), and makes sure PostgreSQL is gone.
    pub fn stop_member(&mut self, i: usize) {
        if let Some(mut p) = self.members[i].process.take() {
            p.stop(STOP_GRACE);
        }
        postgres::stop_immediate(&self.user, &self.data_dir(i));
    }

    /// Crashes the member: SIGKILL to Patroni, then PostgreSQL is stopped
    /// with `pg_ctl -m immediate`, as if the machine had died. The member's
    /// keys in Consul stay until its session expires (about `ttl`).
    pub fn kill_member(&mut self, i: usize) {
        if let Some(mut p) = self.members[i].process.take() {
            p.kill();
        }
        postgres::stop_immediate(&self.user, &self.data_dir(i));
    }

    /// Deletes the member's data directory (the member must be stopped), so
    /// that it is re-created as a fresh replica or bootstrap on next start.
    pub fn wipe_member_data(&mut self, i: usize) -> Result<(), Error> {
        if self.is_running(i) {
            return Err(Error::Start(format!("member {} runs: stop it before wiping its data", self.members[i].name)));
        }
        let data = self.data_dir(i);
        match std::fs::remove_dir_all(&data) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io(format!("cannot remove {}: {e}", data.display()))),
        }
    }

    /// GET `path` on the member's REST API: (status, parsed JSON body or
    /// `Null`). `None` when the member does not answer.
    #[must_use]
    pub fn get_json(&self, i: usize, path: &str) -> Option<(u16, Value)> {
        let (status, body) = crate::http::get(self.members[i].api_port, path).ok()?;
        Some((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
    }

    /// Starts every member and waits until one holds the leader lock and
    /// runs as primary; returns its index.
    pub fn start_all_and_wait_leader(&mut self, timeout: Duration) -> Result<usize, Error> {
        for i in 0..self.members.len() {
            self.start_member(i)?;
        }
        self.wait_leader(timeout)
    }

    /// Waits until a running member answers 200 on `/leader` and reports
    /// state `running`; returns its index.
    pub fn wait_leader(&mut self, timeout: Duration) -> Result<usize, Error> {
        self.wait_for(timeout, "a leader", |c| {
            (0..c.members.len()).find(|&i| {
                c.members[i].process.is_some()
                    && c.get_json(i, "/leader").is_some_and(|(s, v)| s == 200 && v["state"] == "running")
            })
        })
    }

    /// Waits until the leader reports at least `replicas` streaming
    /// replication connections and as many other members report themselves
    /// running replicas; returns the leader's index.
    pub fn wait_streaming(&mut self, replicas: usize, timeout: Duration) -> Result<usize, Error> {
        self.wait_for(timeout, &format!("a leader with {replicas} streaming replica(s)"), |c| {
            let leader = (0..c.members.len()).find(|&i| {
                c.members[i].process.is_some()
                    && c.get_json(i, "/leader").is_some_and(|(s, v)| {
                        let streaming = v["replication"]
                            .as_array()
                            .map_or(0, |r| r.iter().filter(|c| c["state"] == "streaming").count());
                        s == 200 && streaming >= replicas
                    })
            })?;
            let running_replicas = (0..c.members.len())
                .filter(|&i| i != leader && c.members[i].process.is_some())
                .filter(|&i| {
                    c.get_json(i, "/patroni").is_some_and(|(_, v)| v["role"] == "replica" && v["state"] == "running")
                })
                .count();
            (running_replicas >= replicas).then_some(leader)
        })
    }

    fn wait_for<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> Result<T, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = probe(self) {
                return Ok(found);
            }
            for i in 0..self.members.len() {
                let started = self.members[i].process.is_some();
                if started && !self.is_running(i) {
                    return Err(Error::Start(format!(
                        "Patroni member {} of scope {} exited while waiting for {what}; log:\n{}",
                        self.members[i].name,
                        self.scope,
                        self.log_tail(i)
                    )));
                }
            }
            if Instant::now() >= deadline {
                let logs: Vec<String> = (0..self.members.len())
                    .map(|i| format!("--- {}:\n{}", self.members[i].name, self.log_tail(i)))
                    .collect();
                return Err(Error::Start(format!(
                    "scope {} has no {what} after {timeout:?}; logs:\n{}",
                    self.scope,
                    logs.join("\n")
                )));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn member_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(&self.members[i].name)
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn member_config(&self, i: usize) -> Value {
        let m = &self.members[i];
        let api = format!("127.0.0.1:{}", m.api_port);
        let pg = format!("127.0.0.1:{}", m.pg_port);
        let archive = shell_quote(&self.archive_dir());
        let mut restapi = json!({ "listen": api, "connect_address": api });
        if let Some((username, password)) = &self.restapi_auth {
            restapi["authentication"] = json!({ "username": username, "password": password });
        }
        json!({
            "scope": self.scope,
            "namespace": NAMESPACE,
            "name": m.name,
            "restapi": restapi,
            "consul": { "host": self.consul_host_port, "register_service": true },
            "bootstrap": {
                "dcs": {
                    "ttl": 30,
                    "loop_wait": 2,
                    "retry_timeout": 10,
                    "maximum_lag_on_failover": 1_048_576,
                    "postgresql": {
                        "use_pg_rewind": true,
                        "parameters": {
                            "wal_level": "replica",
                            "wal_log_hints": "on",
                            "archive_mode": "on",
                            "archive_timeout": "60s",
                            "archive_command": format!("test ! -f {archive}/%f && cp %p {archive}/%f"),
                        }
                    }
                },
                "initdb": [{ "encoding": "UTF8" }, "data-checksums"],
            },
            "postgresql": {
                "listen": pg,
                "connect_address": pg,
                "data_dir": self.data_dir(i),
                "bin_dir": postgres::BIN_DIR,
                "pgpass": self.member_dir(i).join("pgpass"),
                "authentication": {
                    "replication": { "username": "replicator", "password": self.replication_password },
                    "superuser": { "username": "postgres", "password": self.superuser_password },
                },
                "parameters": {
                    "unix_socket_directories": self.socket_dir(),
                    "shared_buffers": "16MB",
                    "max_connections": 20,
                },
                "pg_hba": [
                    "local all all trust",
                    "host replication replicator 127.0.0.1/32 md5",
                    "host all all 127.0.0.1/32 md5",
                ],
            },
        })
    }
}

impl Drop for PatroniCluster {
    fn drop(&mut self) {
        // Ask every member at once so shutdowns overlap, then wait for each.
        for m in &self.members {
            if let Some(pid) = m.process.as_ref().and_then(ManagedProcess::pid) {
                crate::process::signal(pid, "TERM");
            }
        }
        for i in 0..self.members.len() {
            self.stop_member(i);
        }
        if let Some(mut janitor) = self.janitor.take() {
            let _ = janitor.kill();
            let _ = janitor.wait();
        }
    }
}

/// Cleans the cluster's directory when the test process dies without
/// dropping the cluster (e.g. one kept in a `static` and shared by tests):
/// waits for the process to go, gives the members' watchdogs time to stop
/// Patroni (which stops PostgreSQL), stops any PostgreSQL left, removes the
/// directory.
fn spawn_janitor(dir: &Path) -> Result<std::process::Child, Error> {
    let dir = shell_quote(dir);
    let pg_ctl = shell_quote(&postgres::bin("pg_ctl"));
    let script = format!(
        r#"while kill -0 {parent} 2>/dev/null; do sleep 1; done
alive() {{ [ -f "$1/postmaster.pid" ] && kill -0 "$(head -n 1 "$1/postmaster.pid")" 2>/dev/null; }}
i=0
while [ $i -lt {grace} ]; do
  busy=0; for d in {dir}/*/data; do alive "$d" && busy=1; done
  [ $busy = 0 ] && break
  sleep 1; i=$((i+1))
done
for d in {dir}/*/data; do alive "$d" && runuser -u postgres -- {pg_ctl} -D "$d" -m immediate -w stop; done
sleep 1
rm -rf {dir}"#,
        parent = std::process::id(),
        grace = STOP_GRACE.as_secs() + 5,
    );
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Error::Start(format!("cannot start the cluster directory's janitor: {e}")))
}

/// Merges `patch` into `target` recursively (JSON merge patch semantics).
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

/// Single-quotes a path for `sh -c` (archive_command runs through a shell).
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
