//! A real point-in-time restore with PostgreSQL 15: archive WAL, take a base backup, plan a
//! restore to a moment between two commits, perform it exactly as planned, and check that the
//! restored server has the first commit and not the second; then plan on the new timeline from
//! the real history file the promotion archived.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sandbox::postgres::{self, PostgresUser};
use walg::{ArchiveState, LocalArchive, RestoreTarget, WalSegmentSize, parse_timestamp};

/// One PostgreSQL server on a unix socket in the test's directory; stopped on drop.
struct Server {
    user: PostgresUser,
    data: PathBuf,
    sock: PathBuf,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        postgres::stop_immediate(&self.user, &self.data);
    }
}

fn run(mut cmd: Command) -> String {
    let out = cmd.current_dir("/").output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Server {
    fn start(&self) {
        let mut cmd = self.user.command(postgres::bin("pg_ctl"));
        cmd.arg("-D").arg(&self.data).arg("-l").arg(self.data.with_extension("log")).args(["-w", "-t", "60", "start"]);
        run(cmd);
    }

    fn sql(&self, query: &str) -> String {
        let mut cmd = self.user.command(postgres::bin("psql"));
        cmd.arg("-h").arg(&self.sock).args([
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atqc",
            query,
        ]);
        run(cmd)
    }

    fn now(&self) -> String {
        self.sql("select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    }

    /// Switches to a new WAL segment and waits until the archiver has copied the old one.
    fn switch_and_archive(&self) {
        // pg_switch_wal does nothing without WAL since the last switch: write a record first.
        self.sql("select pg_logical_emit_message(false, 'walg-test', 'switch')");
        let wal = self.sql("select pg_walfile_name(pg_switch_wal())");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.sql("select coalesce(last_archived_wal, '') from pg_stat_archiver") < wal {
            assert!(Instant::now() < deadline, "segment {wal} was not archived");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

#[test]
fn real_point_in_time_restore_follows_the_plan() {
    if let Err(e) = postgres::check_installed() {
        return sandbox::unavailable("PostgreSQL 15", &e);
    }
    let user = match PostgresUser::lookup() {
        Ok(u) => u,
        Err(e) => return sandbox::unavailable("the postgres OS user", &e),
    };
    let dir = tempfile::tempdir().unwrap();
    let (archive, sock) = (dir.path().join("archive"), dir.path().join("sock"));
    std::fs::create_dir(&archive).unwrap();
    std::fs::create_dir(&sock).unwrap();
    user.chown_tree(dir.path()).unwrap();

    let primary =
        Server { user, data: dir.path().join("primary"), sock: sock.clone(), port: sandbox::ports::free_port() };
    let mut initdb = user.command(postgres::bin("initdb"));
    initdb.arg("-D").arg(&primary.data).args(["-U", "postgres", "--auth=trust", "--no-sync"]);
    run(initdb);
    let archive_command = format!("test ! -f {0}/%f && cp %p {0}/%f", archive.display());
    append(
        &primary.data.join("postgresql.conf"),
        &format!(
            "port = {}\nlisten_addresses = ''\nunix_socket_directories = '{}'\nwal_level = replica\narchive_mode = on\narchive_command = '{archive_command}'\nfsync = off\n",
            primary.port,
            sock.display()
        ),
    );
    primary.start();
    primary.sql("create table t (id int, at timestamptz default now())");

    let base = dir.path().join("base");
    let mut basebackup = user.command(postgres::bin("pg_basebackup"));
    basebackup
        .arg("-h")
        .arg(&sock)
        .args(["-p", &primary.port.to_string(), "-U", "postgres", "-X", "none", "-c", "fast", "-D"])
        .arg(&base);
    run(basebackup);
    primary.switch_and_archive();

    primary.sql("insert into t (id) select generate_series(1, 10)");
    std::thread::sleep(Duration::from_millis(1100));
    let target_text = primary.now();
    std::thread::sleep(Duration::from_millis(1100));
    primary.sql("insert into t (id) select generate_series(11, 15)");
    primary.switch_and_archive();

    // Plan from the archive directory alone.
    let state = ArchiveState::from_local(LocalArchive::read(&archive).unwrap(), WalSegmentSize::default());
    assert_eq!(state.backups.len(), 1, "pg_basebackup archived one .backup file");
    let target = RestoreTarget::timeline(1).at(parse_timestamp(&target_text).unwrap());
    let plan = state.plan(&target).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(plan.wal.len(), 1);
    assert_eq!(plan.wal[0].first, plan.backup.start_segment);
    // A target after everything archived is refused with the reason.
    let too_late = RestoreTarget::timeline(1).at(parse_timestamp("2999-01-01T00:00:00Z").unwrap());
    let refused = state.plan(&too_late).unwrap_err();
    assert!(refused.to_string().contains("is after the last archived WAL of timeline 1"), "{refused}");

    // Restore exactly as planned: the base backup plus the recovery settings of the plan.
    let restored = Server { user, data: base, sock, port: sandbox::ports::free_port() };
    let mut conf = format!("port = {}\nrestore_command = 'cp {}/%f %p'\n", restored.port, archive.display());
    for (k, v) in plan.recovery_settings() {
        conf.push_str(&format!("{k} = '{v}'\n"));
    }
    append(&restored.data.join("postgresql.auto.conf"), &conf);
    std::fs::write(restored.data.join("recovery.signal"), "").unwrap();
    user.chown_tree(&restored.data).unwrap();
    restored.start();
    let deadline = Instant::now() + Duration::from_secs(60);
    while restored.sql("select pg_is_in_recovery()") != "f" {
        assert!(Instant::now() < deadline, "the restored server did not promote");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(restored.sql("select count(*) from t"), "10", "restored to between the two commits");
    assert_eq!(restored.sql("select timeline_id from pg_control_checkpoint()"), "2");

    // The promotion archived a real 00000002.history; once timeline 2 has WAL, it is plannable.
    restored.switch_and_archive();
    let state = ArchiveState::from_local(LocalArchive::read(&archive).unwrap(), WalSegmentSize::default());
    let history = state.timelines.history(2).expect("00000002.history archived by the promotion");
    assert_eq!(history.entries[0].parent, 1);
    assert!(history.entries[0].reason.starts_with("before "), "{:?}", history.entries[0].reason);
    let plan = state.plan(&RestoreTarget::latest()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(plan.timeline, 2);
    assert_eq!(plan.wal.iter().map(|r| r.timeline).collect::<Vec<_>>(), [1, 2]);
}
