//! Patroni's role and state words, across versions: 3.x says `master` where
//! 4.x says `primary`, `/cluster` says `leader`, and new states appear in
//! new releases. Every word maps to one enum variant; a word this crate does
//! not know becomes `Unknown(word)` so decoding never fails on it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines a string enum with known spellings, a canonical spelling per
/// variant, an `Unknown(String)` catch-all and serde as plain strings.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A word this crate does not know (kept verbatim).
            Unknown(String),
        }

        impl $name {
            /// The canonical spelling (the newest Patroni's word).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $canonical, )+
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(word: &str) -> Self {
                match word {
                    $( $canonical $(| $alias)* => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = String::deserialize(deserializer)?;
                Ok(Self::from(word.as_str()))
            }
        }
    };
}

string_enum! {
    /// A member's role, as `/patroni`, `/cluster` and the DCS report it.
    Role {
        /// The read-write primary (`primary` in 4.x, `master` in 3.x).
        Primary => "primary" | "master",
        /// The leader as `/cluster` names it (primary or, in a standby
        /// cluster, see [`Role::StandbyLeader`]).
        Leader => "leader",
        /// The leader of a standby cluster (replicates from elsewhere).
        StandbyLeader => "standby_leader",
        /// A synchronous standby (`/cluster`).
        SyncStandby => "sync_standby",
        /// A quorum-commit standby (`/cluster`, Patroni 4.0+).
        QuorumStandby => "quorum_standby",
        /// An asynchronous replica.
        Replica => "replica",
        /// Transient: the former primary while it demotes.
        Demoted => "demoted",
        /// Transient: a replica while it is promoted.
        Promoted => "promoted",
        /// PostgreSQL is not set up yet on this member.
        Uninitialized => "uninitialized",
    }
}

impl Role {
    /// True for roles that hold the leader lock: primary (`master`),
    /// `leader` and `standby_leader`.
    #[must_use]
    pub fn is_leader(&self) -> bool {
        matches!(self, Self::Primary | Self::Leader | Self::StandbyLeader)
    }

    /// True for roles that replicate from a leader.
    #[must_use]
    pub fn is_replica(&self) -> bool {
        matches!(self, Self::Replica | Self::SyncStandby | Self::QuorumStandby)
    }
}

string_enum! {
    /// PostgreSQL's state as Patroni reports it; `/cluster` also reports a
    /// replica's replication state (`streaming`, `in archive recovery`) here.
    State {
        /// PostgreSQL runs.
        Running => "running",
        /// A replica streams WAL from its leader (`/cluster`, 4.x).
        Streaming => "streaming",
        /// A replica replays WAL from the archive.
        InArchiveRecovery => "in archive recovery",
        /// PostgreSQL is stopped.
        Stopped => "stopped",
        /// PostgreSQL is starting.
        Starting => "starting",
        /// PostgreSQL is stopping.
        Stopping => "stopping",
        /// PostgreSQL is restarting.
        Restarting => "restarting",
        /// PostgreSQL crashed.
        Crashed => "crashed",
        /// The member is being created as a replica (base backup).
        CreatingReplica => "creating replica",
        /// `initdb` runs for a new cluster.
        InitializingNewCluster => "initializing new cluster",
        /// `initdb` failed.
        InitdbFailed => "initdb failed",
        /// A custom bootstrap script runs (e.g. a restore).
        RunningCustomBootstrapScript => "running custom bootstrap script",
        /// The custom bootstrap script failed.
        CustomBootstrapFailed => "custom bootstrap failed",
        /// PostgreSQL starts after a custom bootstrap (4.1+).
        StartingAfterCustomBootstrap => "starting after custom bootstrap",
        /// PostgreSQL failed to start.
        StartFailed => "start failed",
        /// A restart failed.
        RestartFailed => "restart failed",
        /// A stop failed.
        StopFailed => "stop failed",
    }
}

impl State {
    /// True when PostgreSQL serves: `running`, `streaming` or `in archive recovery`.
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running | Self::Streaming | Self::InArchiveRecovery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_spell_roles_differently() {
        assert_eq!(Role::from("master"), Role::Primary);
        assert_eq!(Role::from("primary"), Role::Primary);
        assert_eq!(Role::Primary.as_str(), "primary");
        assert!(Role::from("leader").is_leader());
        assert!(Role::from("standby_leader").is_leader());
        assert!(Role::from("quorum_standby").is_replica());
        assert_eq!(Role::from("witness"), Role::Unknown("witness".into()));
        assert_eq!(Role::from("witness").to_string(), "witness");
    }

    #[test]
    fn states_round_trip_through_serde() {
        let s: State = serde_json::from_str("\"in archive recovery\"").unwrap();
        assert_eq!(s, State::InArchiveRecovery);
        assert!(s.is_running());
        let new: State = serde_json::from_str("\"sleeping\"").unwrap();
        assert_eq!(new, State::Unknown("sleeping".into()));
        assert_eq!(serde_json::to_string(&new).unwrap(), "\"sleeping\"");
        assert_eq!(serde_json::to_string(&State::CreatingReplica).unwrap(), "\"creating replica\"");
    }
}
