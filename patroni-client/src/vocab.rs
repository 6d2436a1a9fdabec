//! Patroni's role and state words, across versions: 3.x says `master` where
//! 4.x says `primary`, `/cluster` says `leader`, and new states appear in
//! new releases. Every word maps to one enum variant; a word this crate does
//! not know becomes `Unknown(word)` so decoding never fails on it
//! ([`client_core::string_enum!`], the SDK's one vocabulary macro).

client_core::string_enum! {
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

client_core::string_enum! {
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

client_core::string_enum! {
    /// A WAL sender's state on a primary (`pg_stat_replication.state`, in
    /// `/patroni`'s `replication[]`).
    WalSenderState {
        /// The sender is starting.
        Startup => "startup",
        /// The replica catches up with the primary.
        Catchup => "catchup",
        /// The replica receives WAL as it is written.
        Streaming => "streaming",
        /// A base backup is being sent.
        Backup => "backup",
        /// The sender is stopping.
        Stopping => "stopping",
    }
}

client_core::string_enum! {
    /// How a WAL sender's replica counts for synchronous commit
    /// (`pg_stat_replication.sync_state`).
    SenderSyncState {
        /// Not synchronous.
        Async => "async",
        /// Becomes synchronous if a synchronous one fails.
        Potential => "potential",
        /// Synchronous.
        Sync => "sync",
        /// A candidate of quorum-based synchronous commit.
        Quorum => "quorum",
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

    #[test]
    fn wal_sender_words_map_to_variants() {
        assert_eq!(WalSenderState::from("streaming"), WalSenderState::Streaming);
        assert_eq!(WalSenderState::from("catchup").to_string(), "catchup");
        assert_eq!(SenderSyncState::from("quorum"), SenderSyncState::Quorum);
        assert_eq!(SenderSyncState::from("later"), SenderSyncState::Unknown("later".into()));
    }
}
