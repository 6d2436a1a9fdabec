//! wal-g's configuration as a typed value that renders its environment.

use std::collections::BTreeMap;

use client_core::Secret;

use crate::error::Result;
use crate::runner::EnvValue;
use crate::segment::WalSegmentSize;

/// Where wal-g keeps backups and WAL: exactly one storage prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// `WALG_S3_PREFIX`, `s3://bucket/path`.
    S3(String),
    /// `WALG_FILE_PREFIX`, an absolute local or NFS path.
    File(String),
    /// `WALG_GS_PREFIX`, `gs://bucket/path`.
    Gs(String),
    /// `WALG_AZ_PREFIX`, `azure://container/path`.
    Az(String),
    /// `WALG_SWIFT_PREFIX`, `swift://container/path`.
    Swift(String),
    /// `WALG_SSH_PREFIX`, `ssh://host/path`.
    Ssh(String),
}

/// The storage variables, with the URL scheme each expects (`None`: an absolute path).
const STORAGE_VARS: [(&str, Option<&str>); 7] = [
    ("WALG_S3_PREFIX", Some("s3://")),
    ("WALE_S3_PREFIX", Some("s3://")),
    ("WALG_FILE_PREFIX", None),
    ("WALG_GS_PREFIX", Some("gs://")),
    ("WALG_AZ_PREFIX", Some("azure://")),
    ("WALG_SWIFT_PREFIX", Some("swift://")),
    ("WALG_SSH_PREFIX", Some("ssh://")),
];

impl Storage {
    /// The variable wal-g reads and its value.
    #[must_use]
    pub fn var(&self) -> (&'static str, &str) {
        match self {
            Storage::S3(p) => ("WALG_S3_PREFIX", p),
            Storage::File(p) => ("WALG_FILE_PREFIX", p),
            Storage::Gs(p) => ("WALG_GS_PREFIX", p),
            Storage::Az(p) => ("WALG_AZ_PREFIX", p),
            Storage::Swift(p) => ("WALG_SWIFT_PREFIX", p),
            Storage::Ssh(p) => ("WALG_SSH_PREFIX", p),
        }
    }

    /// Builds the storage for a variable name (`WALE_S3_PREFIX` is the old name of the S3 one),
    /// checking the value's shape.
    pub fn from_var(name: &str, value: &str) -> Result<Self> {
        let Some((_, scheme)) = STORAGE_VARS.iter().find(|(n, _)| *n == name) else {
            return Err(client_core::Error::config(name, "is not a wal-g storage prefix variable").into());
        };
        let bad = |reason: String| client_core::Error::config(name, format!("{value:?} {reason}"));
        if value.contains('\0') || value.trim() != value || value.is_empty() {
            return Err(bad("must be a non-empty prefix without surrounding spaces or NUL".into()).into());
        }
        match scheme {
            Some(scheme) => {
                let rest = value.strip_prefix(scheme).unwrap_or_default();
                if rest.is_empty() || rest.starts_with('/') {
                    return Err(bad(format!("must look like {scheme}bucket/path")).into());
                }
            }
            None if !value.starts_with('/') || value.split('/').any(|s| s == "..") => {
                return Err(bad("must be an absolute path without `..`".into()).into());
            }
            None => {}
        }
        let v = value.to_owned();
        Ok(match name {
            "WALG_S3_PREFIX" | "WALE_S3_PREFIX" => Storage::S3(v),
            "WALG_FILE_PREFIX" => Storage::File(v),
            "WALG_GS_PREFIX" => Storage::Gs(v),
            "WALG_AZ_PREFIX" => Storage::Az(v),
            "WALG_SWIFT_PREFIX" => Storage::Swift(v),
            _ => Storage::Ssh(v),
        })
    }
}

/// True for variable names whose values are secrets (passwords, keys, tokens).
#[must_use]
pub fn is_secret_var(name: &str) -> bool {
    const EXACT: [&str; 6] = [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "PGPASSWORD",
        "WALG_LIBSODIUM_KEY",
        "WALG_PGP_KEY",
        "WALG_PGP_KEY_PASSPHRASE",
    ];
    const MARKERS: [&str; 5] = ["SECRET", "PASSWORD", "PASSPHRASE", "TOKEN", "_KEY"];
    EXACT.contains(&name)
        || (MARKERS.iter().any(|m| name.contains(m)) && !name.ends_with("_PATH") && !name.ends_with("_ID"))
}

/// PostgreSQL connection settings (the `PG*` variables wal-g reads, like libpq).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgSettings {
    /// `PGHOST`: host name or socket directory.
    pub host: Option<String>,
    /// `PGPORT`.
    pub port: Option<u16>,
    /// `PGUSER`.
    pub user: Option<String>,
    /// `PGPASSWORD`.
    pub password: Option<Secret>,
    /// `PGDATABASE`.
    pub database: Option<String>,
    /// `PGSSLMODE`.
    pub sslmode: Option<String>,
    /// `PGDATA`: the data directory.
    pub data_dir: Option<String>,
}

/// The configuration wal-g gets through its environment.
///
/// Exactly one storage is required; everything else is optional. Values of secret variables
/// (`AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, `WALG_LIBSODIUM_KEY`, ...) are kept as [`Secret`] and
/// only ever reach the process environment.
///
/// ```
/// use walg::{Storage, WalgConfig};
/// let cfg = WalgConfig::new(Storage::from_var("WALG_S3_PREFIX", "s3://backups/db").unwrap())
///     .aws_credentials("AKIA1", "very-secret")
///     .set("AWS_REGION", "eu-west-1").unwrap();
/// let env = cfg.render();
/// assert!(env.iter().any(|(k, v)| k == "WALG_S3_PREFIX" && v.expose() == "s3://backups/db"));
/// assert!(!format!("{cfg:?}").contains("very-secret"));
///
/// let err = WalgConfig::from_vars([("WALG_S3_PREFIX", "s3://a/b"), ("WALG_FILE_PREFIX", "/backups")]).unwrap_err();
/// assert!(err.to_string().contains("exactly one"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalgConfig {
    storage: Storage,
    vars: BTreeMap<String, EnvValue>,
}

impl WalgConfig {
    /// A configuration with only a storage.
    #[must_use]
    pub fn new(storage: Storage) -> Self {
        WalgConfig { storage, vars: BTreeMap::new() }
    }

    /// Reads a set of variables (an env file, a Vault secret, the process environment): exactly
    /// one storage prefix must be set; `WALG_*`, `WALE_*`, `AWS_*`, `PG*`, `GOOGLE_*`, `AZURE_*`,
    /// `OS_*` and `SSH_*` variables are kept, others ignored.
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let mut storages = Vec::new();
        let mut rest = Vec::new();
        for (k, v) in vars {
            let (k, v) = (k.as_ref(), v.as_ref());
            if STORAGE_VARS.iter().any(|(n, _)| *n == k) {
                storages.push(Storage::from_var(k, v)?);
            } else {
                rest.push((k.to_owned(), v.to_owned()));
            }
        }
        let names: Vec<&str> = storages.iter().map(|s| s.var().0).collect();
        let storage = match storages.len() {
            1 => storages.remove(0),
            0 => {
                return Err(client_core::Error::config(
                    "storage",
                    "no storage prefix is set; set exactly one of WALG_S3_PREFIX, WALG_FILE_PREFIX, WALG_GS_PREFIX, WALG_AZ_PREFIX, WALG_SWIFT_PREFIX, WALG_SSH_PREFIX",
                )
                .into());
            }
            _ => {
                return Err(client_core::Error::config(
                    "storage",
                    format!("{} are all set; set exactly one storage prefix", names.join(", ")),
                )
                .into());
            }
        };
        let mut cfg = WalgConfig::new(storage);
        const KEPT: [&str; 8] = ["WALG_", "WALE_", "AWS_", "PG", "GOOGLE_", "AZURE_", "OS_", "SSH_"];
        for (k, v) in rest {
            if KEPT.iter().any(|p| k.starts_with(p)) {
                cfg = cfg.set(&k, v)?;
            }
        }
        Ok(cfg)
    }

    /// The storage.
    #[must_use]
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Sets a variable; values of secret variables ([`is_secret_var`]) are stored as secrets.
    /// Rejects malformed names and storage prefixes (the storage is set once, in [`WalgConfig::new`]).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Result<Self> {
        let valid = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(client_core::Error::invalid(
                "environment variable name",
                name,
                "expected upper-case letters, digits and `_`",
            )
            .into());
        }
        if STORAGE_VARS.iter().any(|(n, _)| *n == name) {
            return Err(client_core::Error::invalid(
                "environment variable name",
                name,
                "the storage prefix is given once, to WalgConfig::new; a second one would be ambiguous",
            )
            .into());
        }
        let value = value.into();
        let value = if is_secret_var(name) { EnvValue::Secret(Secret::new(value)) } else { EnvValue::Plain(value) };
        self.vars.insert(name.to_owned(), value);
        Ok(self)
    }

    /// Sets a variable whose value is a secret whatever its name.
    pub fn set_secret(mut self, name: &str, value: Secret) -> Result<Self> {
        self = self.set(name, String::new())?;
        self.vars.insert(name.to_owned(), EnvValue::Secret(value));
        Ok(self)
    }

    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    #[must_use]
    pub fn aws_credentials(mut self, access_key_id: &str, secret_access_key: impl Into<Secret>) -> Self {
        self.vars.insert("AWS_ACCESS_KEY_ID".into(), EnvValue::Plain(access_key_id.to_owned()));
        self.vars.insert("AWS_SECRET_ACCESS_KEY".into(), EnvValue::Secret(secret_access_key.into()));
        self
    }

    /// The PostgreSQL connection (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
    /// `PGSSLMODE`, `PGDATA`); unset fields leave their variables alone.
    #[must_use]
    pub fn pg(mut self, pg: PgSettings) -> Self {
        let mut put = |k: &str, v: Option<EnvValue>| {
            if let Some(v) = v {
                self.vars.insert(k.to_owned(), v);
            }
        };
        put("PGHOST", pg.host.map(EnvValue::Plain));
        put("PGPORT", pg.port.map(|p| EnvValue::Plain(p.to_string())));
        put("PGUSER", pg.user.map(EnvValue::Plain));
        put("PGPASSWORD", pg.password.map(EnvValue::Secret));
        put("PGDATABASE", pg.database.map(EnvValue::Plain));
        put("PGSSLMODE", pg.sslmode.map(EnvValue::Plain));
        put("PGDATA", pg.data_dir.map(EnvValue::Plain));
        self
    }

    /// `WALG_PG_WAL_SIZE` (in MiB).
    #[must_use]
    pub fn segment_size(mut self, size: WalSegmentSize) -> Self {
        self.vars.insert("WALG_PG_WAL_SIZE".into(), EnvValue::Plain(size.mib().to_string()));
        self
    }

    /// The segment size configured with `WALG_PG_WAL_SIZE`, or the default 16 MiB.
    pub fn wal_segment_size(&self) -> Result<WalSegmentSize> {
        match self.vars.get("WALG_PG_WAL_SIZE") {
            None => Ok(WalSegmentSize::default()),
            Some(v) => {
                let mib = v.expose().parse::<u64>().map_err(|_| {
                    client_core::Error::config("WALG_PG_WAL_SIZE", format!("{:?} is not a number of MiB", v.expose()))
                })?;
                WalSegmentSize::from_mib(mib)
            }
        }
    }

    /// The value of a variable (secrets included: only pass it on to wal-g).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&EnvValue> {
        self.vars.get(name)
    }

    /// The environment to give wal-g: the storage prefix first, then every variable by name.
    #[must_use]
    pub fn render(&self) -> Vec<(String, EnvValue)> {
        let (k, v) = self.storage.var();
        std::iter::once((k.to_owned(), EnvValue::Plain(v.to_owned())))
            .chain(self.vars.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect()
    }

    /// Every secret value, for redacting text that might echo one.
    #[must_use]
    pub fn secrets(&self) -> Vec<&Secret> {
        self.vars.values().filter_map(EnvValue::as_secret).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_prefixes_are_checked() {
        assert!(Storage::from_var("WALG_FILE_PREFIX", "/backups/db").is_ok());
        assert_eq!(Storage::from_var("WALE_S3_PREFIX", "s3://b/p").unwrap().var().0, "WALG_S3_PREFIX");
        for (name, value) in [
            ("WALG_S3_PREFIX", "bucket/path"),
            ("WALG_S3_PREFIX", "s3://"),
            ("WALG_FILE_PREFIX", "relative/dir"),
            ("WALG_FILE_PREFIX", "/a/../b"),
            ("WALG_GS_PREFIX", ""),
            ("WALG_FILE_PREFIX", "/a\0b"),
            ("PGHOST", "x"),
        ] {
            let e = Storage::from_var(name, value).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn exactly_one_storage() {
        let none = WalgConfig::from_vars([("PGHOST", "/tmp")]).unwrap_err().to_string();
        assert!(none.contains("no storage prefix is set"), "{none}");
        let two = WalgConfig::from_vars([("WALG_S3_PREFIX", "s3://a/b"), ("WALG_GS_PREFIX", "gs://a/b")]).unwrap_err();
        assert!(two.to_string().contains("WALG_S3_PREFIX, WALG_GS_PREFIX are all set"), "{two}");
        let cfg = WalgConfig::from_vars([
            ("WALG_FILE_PREFIX", "/backups"),
            ("PGPASSWORD", "pw-123456"),
            ("WALG_LIBSODIUM_KEY", "k-123456"),
            ("WALG_LIBSODIUM_KEY_PATH", "/etc/key"),
            ("HOME", "/root"),
        ])
        .unwrap();
        assert_eq!(cfg.secrets().len(), 2);
        assert!(cfg.get("HOME").is_none());
        assert!(matches!(cfg.get("WALG_LIBSODIUM_KEY_PATH"), Some(EnvValue::Plain(_))));
        assert!(!format!("{cfg:?}").contains("123456"));
    }

    #[test]
    fn names_and_sizes() {
        let cfg = WalgConfig::new(Storage::File("/b".into()));
        assert!(cfg.clone().set("lower", "x").is_err());
        assert!(cfg.clone().set("WALG_S3_PREFIX", "s3://x/y").is_err());
        assert_eq!(cfg.wal_segment_size().unwrap(), WalSegmentSize::default());
        let cfg = cfg.segment_size(WalSegmentSize::from_mib(64).unwrap());
        assert_eq!(cfg.wal_segment_size().unwrap().mib(), 64);
        let bad = WalgConfig::new(Storage::File("/b".into())).set("WALG_PG_WAL_SIZE", "abc").unwrap();
        assert!(bad.wal_segment_size().unwrap_err().to_string().contains("WALG_PG_WAL_SIZE"));
    }
}
