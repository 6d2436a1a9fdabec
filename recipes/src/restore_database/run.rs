//! The database restore's run: applications kept out (connection limit 0) and cut, safety dump,
//! block, terminate again, drop, create (superusers only), restore, allow with the connection
//! limit it had; before the drop a failure puts the limit back, after it the safety dump is put
//! back the same way.

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

        // Applications are kept out and cut before the safety dump, so that it holds exactly what
        // the drop destroys: nothing but a superuser can write to the database after its snapshot.
        // Until the drop, any failure puts the connection limit and datallowconn back.
        self.same_leader(&s).await?;
        let (mut safety_bytes, mut dropping) = (None, false);
        let before_drop = async {
            let keep_out = srv.limit_connections(at, db, RESTORING_LIMIT);
            timed(&mut runner, &mut times, "keep applications out", keep_out).await?;
            self.same_leader(&s).await?;
            let mut cut = timed(&mut runner, &mut times, "terminate backends", srv.terminate_backends(at, db)).await?;
            self.same_leader(&s).await?;
            safety_bytes = Some(timed(&mut runner, &mut times, "safety dump", srv.dump(at, db, &safety)).await?);
            runner.report.backups.push(safety.clone());
            self.same_leader(&s).await?;
            timed(&mut runner, &mut times, "block connections", srv.allow_connections(at, db, false)).await?;
            self.same_leader(&s).await?;
            let again = srv.terminate_backends(at, db);
            cut += timed(&mut runner, &mut times, "terminate remaining backends", again).await?;
            self.same_leader(&s).await?;
            dropping = true;
            timed(&mut runner, &mut times, "drop", srv.drop_database(at, db)).await?;
            Ok::<_, Error>(cut)
        }
        .await;
        let terminated = match before_drop {
            Ok(n) => n,
            Err(e) => return Err(self.reopen(&s, &safety, safety_bytes.is_some(), dropping, &e).await),
        };
        let safety_bytes = safety_bytes.unwrap_or_default();
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

    /// After a failure before the drop (the database is still there, unless it was the drop that
    /// failed half way): the connection limit it had and connections allowed again (the plan
    /// refuses a database that does not allow them); the error says what failed and what was put
    /// back, or what to run.
    async fn reopen(&self, s: &Survey, safety: &Path, dumped: bool, dropping: bool, failure: &Error) -> Error {
        let (at, db, srv) = (&s.address, &self.opts.database, &self.caps.server);
        let limit = s.info.connection_limit;
        let dump = self.opts.dump.display();
        let kept = if dumped {
            format!("the safety dump {} was kept", safety.display())
        } else {
            format!("no safety dump was completed (remove {} if a part of it is there)", safety.display())
        };
        let when = if dropping { "at the drop" } else { "before the drop" };
        let stopped = format!("restoring {dump} into {db} on {} stopped {when}: {}", s.leader, failure.with_causes());
        match srv.open_database(at, db, limit).await {
            Ok(()) => Error::Conflict(format!(
                "{stopped}; nothing was dropped, {db} was put back as it was (connections allowed, connection limit \
                 {}) and {kept}",
                limit_text(limit)
            )),
            Err(e) if dropping => Error::Conflict(format!(
                "{stopped}; the DROP DATABASE failed and opening {db} again failed too: {}. If {db} is gone or marked \
                 invalid, put the safety dump back by hand on the leader: `{}`, `pg_restore -C -d postgres {}`, then \
                 `{}`; {kept}",
                e.with_causes(),
                drop_statement(db),
                safety.display(),
                open_statement(db, limit)
            )),
            Err(e) => Error::Conflict(format!(
                "{stopped}; nothing was dropped, but putting back its connections failed too: {}. {db} may still \
                 refuse applications: run `{}` on the leader; {kept}",
                e.with_causes(),
                open_statement(db, limit)
            )),
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
