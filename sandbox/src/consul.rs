//! A real Consul dev agent on loopback ports of its own.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Error;
use crate::ports::free_port;
use crate::process::ManagedProcess;

/// A running `consul agent -dev` bound to 127.0.0.1.
pub struct Consul {
    process: ManagedProcess,
    http_port: u16,
    serf_lan_port: u16,
    dir: tempfile::TempDir,
    node_name: String,
    acl_master: Option<String>,
}

impl std::fmt::Debug for Consul {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The management token stays out of test output.
        f.debug_struct("Consul")
            .field("http_port", &self.http_port)
            .field("node_name", &self.node_name)
            .field("acl", &self.acl_master.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Consul {
    /// Starts a dev agent on free ports in a temporary directory and waits
    /// until it has elected itself leader (about 3 s).
    pub fn start() -> Result<Self, Error> {
        Self::start_inner(None)
    }

    /// Starts a dev agent with ACLs enabled (`default_policy = "deny"`) and
    /// `master_token` as the initial management token (Consul 1.8's
    /// `acl.tokens.master`), for tests that need a real, valid token.
    pub fn start_with_acl(master_token: &str) -> Result<Self, Error> {
        Self::start_inner(Some(master_token.to_owned()))
    }

    /// Starts a dev agent with ACLs enabled (`default_policy = "deny"`) and
    /// no initial token, so `PUT /v1/acl/bootstrap` succeeds once.
    pub fn start_with_acl_bootstrappable() -> Result<Self, Error> {
        Self::start_with(&ConsulOptions { acl: Some(AclSetup::Bootstrappable), ..ConsulOptions::default() })
    }

    /// Starts a dev agent with gossip encryption: `key` is the initial
    /// keyring key (16 or 32 random bytes, base64, as `consul keygen` prints).
    pub fn start_encrypted(key: &str) -> Result<Self, Error> {
        Self::start_with(&ConsulOptions { encrypt: Some(key.to_owned()), ..ConsulOptions::default() })
    }

    /// Starts a dev agent with `options`.
    pub fn start_with(options: &ConsulOptions) -> Result<Self, Error> {
        let master = match &options.acl {
            Some(AclSetup::Master(token)) => Some(token.clone()),
            _ => None,
        };
        Self::start_configured(master, options)
    }

    fn start_inner(acl_master: Option<String>) -> Result<Self, Error> {
        let acl = acl_master.clone().map(AclSetup::Master);
        Self::start_configured(acl_master, &ConsulOptions { acl, ..ConsulOptions::default() })
    }

    fn start_configured(acl_master: Option<String>, options: &ConsulOptions) -> Result<Self, Error> {
        let dir = tempfile::Builder::new().prefix("sandbox-consul-").tempdir().map_err(|e| Error::Io(e.to_string()))?;
        let write = |name: &str, config: serde_json::Value| {
            std::fs::write(dir.path().join(name), config.to_string()).map_err(|e| Error::Io(e.to_string()))
        };
        match &options.acl {
            Some(AclSetup::Master(token)) => write(
                "acl.json",
                serde_json::json!({
                    "primary_datacenter": "dc1",
                    "acl": {"enabled": true, "default_policy": "deny", "down_policy": "extend-cache",
                            "tokens": {"master": token, "agent": token}}
                }),
            )?,
            Some(AclSetup::Bootstrappable) => write(
                "acl.json",
                serde_json::json!({
                    "primary_datacenter": "dc1",
                    "acl": {"enabled": true, "default_policy": "deny", "down_policy": "extend-cache"}
                }),
            )?,
            None => {}
        }
        if let Some(key) = &options.encrypt {
            write("encrypt.json", serde_json::json!({"encrypt": key}))?;
        }
        let http_port = free_port();
        let serf_lan_port = free_port();
        let node_name = format!("sandbox-{http_port}");
        let process = Self::start_on(http_port, serf_lan_port, &node_name, dir.path())?;
        let mut consul = Self { process, http_port, serf_lan_port, dir, node_name, acl_master };
        consul.wait_ready(Duration::from_secs(30))?;
        Ok(consul)
    }

    /// The management token of an agent started with [`Consul::start_with_acl`].
    #[must_use]
    pub fn acl_master_token(&self) -> Option<&str> {
        self.acl_master.as_deref()
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.process.is_running() {
                return Err(Error::Start(format!("consul exited early; log:\n{}", self.log_tail())));
            }
            if let Ok((200, body)) = crate::http::get(self.http_port, "/v1/status/leader") {
                if body.trim().len() > 2 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(Error::Start(format!("consul did not elect a leader within {timeout:?}; log:\n{}", self.log_tail())))
    }

    /// The HTTP address, e.g. `http://127.0.0.1:41234`.
    #[must_use]
    pub fn http_addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// `host:port` of the HTTP API (what Patroni's `consul.host` wants).
    #[must_use]
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.http_port)
    }

    /// The HTTP port.
    #[must_use]
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The Serf LAN port (for members/force-leave tests).
    #[must_use]
    pub fn serf_lan_port(&self) -> u16 {
        self.serf_lan_port
    }

    /// The agent's node name.
    #[must_use]
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The directory holding data and log.
    #[must_use]
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Restarts the agent on the same ports (dev mode: state is lost).
    pub fn restart(&mut self) -> Result<(), Error> {
        self.process.stop(Duration::from_secs(5));
        let fresh = Self::start_on(self.http_port, self.serf_lan_port, &self.node_name, self.dir.path())?;
        self.process = fresh;
        self.wait_ready(Duration::from_secs(30))
    }

    /// Spawns the agent on the given ports, with its data and log in `dir`
    /// (a restart reuses the same ports, node name and directory).
    fn start_on(
        http_port: u16,
        serf_lan_port: u16,
        node: &str,
        dir: &std::path::Path,
    ) -> Result<ManagedProcess, Error> {
        let binary =
            which("consul").ok_or_else(|| Error::Missing("consul (run scripts/install-deps.sh as root)".into()))?;
        let mut cmd = Command::new(binary);
        cmd.args(["agent", "-dev", "-client", "127.0.0.1", "-bind", "127.0.0.1", "-log-level", "warn"])
            .arg(format!("-node={node}"))
            .arg(format!("-http-port={http_port}"))
            .arg(format!("-serf-lan-port={serf_lan_port}"))
            .arg(format!("-serf-wan-port={}", free_port()))
            .arg(format!("-server-port={}", free_port()))
            .arg("-dns-port=-1")
            .arg("-grpc-port=-1")
            .arg(format!("-data-dir={}", dir.join("data").display()));
        let acl = dir.join("acl.json");
        if acl.is_file() {
            cmd.arg(format!("-config-file={}", acl.display()));
        }
        let encrypt = dir.join("encrypt.json");
        if encrypt.is_file() {
            cmd.arg(format!("-config-file={}", encrypt.display()));
        }
        ManagedProcess::spawn("consul", cmd, &dir.join("consul.log"), Duration::from_secs(5))
    }

    /// Stops the agent.
    pub fn stop(&mut self) {
        self.process.stop(Duration::from_secs(5));
    }

    /// The last lines of the agent's log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        crate::tail_file(&self.dir.path().join("consul.log"), 30)
    }
}

/// How a sandbox agent's ACL system starts.
#[derive(Clone)]
pub enum AclSetup {
    /// ACLs on (`default_policy = "deny"`) with this management token.
    Master(String),
    /// ACLs on (`default_policy = "deny"`), no token yet: bootstrap allowed once.
    Bootstrappable,
}

impl std::fmt::Debug for AclSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Master(_) => f.write_str("Master(<redacted>)"),
            Self::Bootstrappable => f.write_str("Bootstrappable"),
        }
    }
}

/// What a sandbox agent starts with ([`Consul::start_with`]); the default is
/// what [`Consul::start`] starts.
#[derive(Debug, Clone, Default)]
pub struct ConsulOptions {
    /// ACLs, if any.
    pub acl: Option<AclSetup>,
    /// Gossip encryption key (`-encrypt`), if any.
    pub encrypt: Option<String>,
}

/// Finds an executable on PATH.
#[must_use]
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|p| p.join(name)).find(|p| p.is_file())
}
