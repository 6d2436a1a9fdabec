//! The database restore's run: safety dump, block, terminate, drop, create (superusers only),
//! restore, allow with the connection limit it had; the safety dump put back the same way when
//! anything fails after the drop.

use std::future::Future;
use std::path::Path;
use std::time::Instant;

use super::plan::{
    RESTORING_LIMIT, Survey, drop_statement, leader_address, leader_changed, limit_text, open_statement,
};
use super::{DatabaseRestoreReport, RestoreDatabase};
use crate::ports::DatabaseInfo;
use crate::progress::Progress;
use crate::run::Runner;
use crate::{Error, Result};

impl RestoreDatabase {
    /// Executes the plan (after re-checking it) on the leader; see the [module
    /// docs](super) for the steps and what happens on failure.
    pub async fn run(&self, progress: Progress) -> Result<DatabaseRestoreReport> {
        let o = &self.opts;
        let (plan, survey) = self.survey().await?;
        let s = survey.ok_or_else(|| Error::Conflict(format!("{} has no leader holding {}", o.scope, o.database)))?;
        let mut runner = Runner::new(&plan, progress);
        let mut times = Vec::new();
        let (at, db, srv) = (&s.address, &o.database, &self.caps.server);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let safety = o.safety_dir.join(format!("{db}-{stamp}.dump"));

        self.same_leader(&s).await?;
        let safety_bytes = timed(&mut runner, &mut times, "safety dump", srv.dump(at, db, &safety)).await?;
        runner.report.backups.push(safety.clone());
        let before_drop = async {
            self.same_leader(&s).await?;
            timed(&mut runner, &mut times, "block connections", srv.allow_connections(at, db, false)).await?;
            self.same_leader(&s).await?;
            let cut = timed(&mut runner, &mut times, "terminate backends", srv.terminate_backends(at, db)).await?;
            self.same_leader(&s).await?;
            timed(&mut runner, &mut times, "drop", srv.drop_database(at, db)).await?;
            Ok::<_, Error>(cut)
        }
        .await;
        let terminated = match before_drop {
            Ok(n) => n,
            Err(e) => {
                // Nothing was dropped: the database only needs its connections back.
                if let Err(undo) = srv.allow_connections(at, db, true).await {
                    runner.warn(format!("could not allow connections to {db} again: {}", undo.with_causes()));
                }
                return Err(e);
            }
        };
        // Created with connection limit 0, which holds every role but a superuser (the role
        // `plan` checked, whose pg_restore connects): applications reconnecting while pg_restore
        // runs are refused until the limit it had is set back with the connections allowed.
        let closed = closed(&s.info);
        let limit = s.info.connection_limit;
        let after_drop = async {
            self.same_leader(&s).await?;
            timed(&mut runner, &mut times, "create", srv.create_database(at, &closed)).await?;
            self.same_leader(&s).await?;
            timed(&mut runner, &mut times, "restore", srv.restore(at, db, &o.dump)).await?;
            timed(&mut runner, &mut times, "allow connections", srv.open_database(at, db, limit)).await
        }
        .await;
        if let Err(e) = after_drop {
            return Err(self.put_back(&s, &safety, &e).await);
        }
        let size_after = srv.database(at, db).await?.map_or(0, |i| i.size_bytes);
        Ok(DatabaseRestoreReport {
            report: runner.report,
            leader: s.leader.clone(),
            database: db.clone(),
            safety_dump: Some(safety),
            safety_dump_bytes: safety_bytes,
            dump_bytes: s.dump_bytes,
            size_before_bytes: s.info.size_bytes,
            size_after_bytes: size_after,
            backends_terminated: terminated,
            step_millis: times,
        })
    }

    /// Fails when the leader is no longer the one the restore began on.
    async fn same_leader(&self, s: &Survey) -> Result<()> {
        let snapshot = self.caps.scope_store.snapshot(&self.opts.scope).await?;
        match leader_address(&snapshot) {
            Ok((name, address)) if name == s.leader && address == s.address => Ok(()),
            Ok((name, _)) => Err(leader_changed(&self.opts.scope, &s.leader, &name)),
            Err(reason) => Err(leader_changed(&self.opts.scope, &s.leader, &format!("none ({reason})"))),
        }
    }

    /// After a failure past the drop: the database again from the safety dump, held to
    /// superusers as in the run, then connections allowed with the limit it had; the error says
    /// what failed and what was put back.
    async fn put_back(&self, s: &Survey, safety: &Path, failure: &Error) -> Error {
        let (at, db, srv) = (&s.address, &self.opts.database, &self.caps.server);
        let limit = s.info.connection_limit;
        let undo = async {
            srv.drop_database(at, db).await?;
            srv.create_database(at, &closed(&s.info)).await?;
            srv.restore(at, db, safety).await?;
            srv.open_database(at, db, limit).await
        }
        .await;
        let dump = self.opts.dump.display();
        match undo {
            Ok(()) => Error::Conflict(format!(
                "restoring {dump} into {db} on {} failed: {}; {db} was put back from the safety dump {} and accepts \
                 connections again (connection limit {})",
                s.leader,
                failure.with_causes(),
                safety.display(),
                limit_text(limit)
            )),
            Err(e) => Error::Conflict(format!(
                "restoring {dump} into {db} on {} failed: {}; putting back the safety dump {} failed too: {}. Restore \
                 it by hand on the leader: `{}` (what is left of it may be half made), `pg_restore -C -d postgres \
                 {}`, then `{}` (connections allowed, and the connection limit it had)",
                s.leader,
                failure.with_causes(),
                safety.display(),
                e.with_causes(),
                drop_statement(db),
                safety.display(),
                open_statement(db, limit)
            )),
        }
    }
}

/// `info` with the connection limit that lets only superusers in while the database is restored.
fn closed(info: &DatabaseInfo) -> DatabaseInfo {
    DatabaseInfo { connection_limit: RESTORING_LIMIT, ..info.clone() }
}

/// Runs one step through the runner and records its time.
async fn timed<T, F: Future<Output = Result<T>>>(
    runner: &mut Runner,
    times: &mut Vec<(String, u64)>,
    step: &str,
    f: F,
) -> Result<T> {
    let started = Instant::now();
    let out = runner.step(step, f).await?;
    times.push((step.to_owned(), u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)));
    Ok(out)
}
