//! The in-place database restore on a real Patroni cluster's leader.

use std::path::Path;
use std::sync::Arc;

use recipes::adapters::consul::ConsulScopeStore;
use recipes::adapters::postgres::PostgresServer;
use recipes::ports::{DatabaseServer, PgAddress};
use recipes::restore_database::{Capabilities, RestoreDatabase, RestoreDatabaseOptions};
use recipes::{Error, Progress};

use crate::real::{self, RealCluster};

fn server(c: &RealCluster) -> PostgresServer {
    PostgresServer::new("postgres", c.cluster.superuser_password())
}

fn address(c: &RealCluster) -> PgAddress {
    PgAddress { host: "127.0.0.1".into(), port: c.cluster.pg_port(c.leader) }
}

async fn connect(c: &RealCluster, db: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    connect_as(c.cluster.pg_port(c.leader), "postgres", c.cluster.superuser_password(), db).await
}

async fn connect_as(
    port: u16,
    user: &str,
    password: &str,
    db: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(port).user(user).password(password).dbname(db);
    let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// Whether `user` can open a session on `db`: `connected`, or `refused <SQLSTATE>: <message>`.
async fn try_connect(port: u16, user: &str, password: &str, db: &str) -> String {
    match connect_as(port, user, password, db).await {
        Ok(client) => {
            client.query_one("SELECT 1", &[]).await.unwrap();
            "connected".to_owned()
        }
        Err(e) => match e.as_db_error() {
            Some(d) => format!("refused {}: {}", d.code().code(), d.message()),
            None => format!("refused: {e}"),
        },
    }
}

/// Runs each `;`-separated statement on its own (CREATE DATABASE refuses a transaction block).
async fn sql(c: &RealCluster, db: &str, statements: &str) {
    let client = connect(c, db).await.unwrap();
    for statement in statements.split(';').filter(|s| !s.trim().is_empty()) {
        client.batch_execute(statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

async fn count(c: &RealCluster, db: &str, query: &str) -> i64 {
    connect(c, db).await.unwrap().query_one(query, &[]).await.unwrap().get(0)
}

async fn definition(c: &RealCluster, db: &str) -> (String, Option<String>, bool) {
    let row = connect(c, "postgres")
        .await
        .unwrap()
        .query_one(
            "SELECT r.rolname, d.datacl::text, d.datallowconn FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba \
             WHERE d.datname = $1",
            &[&db],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// The database's settings, its role settings, comment and connection limit, as the catalogs
/// show them (read independently of the adapter), one line each.
async fn settings(c: &RealCluster, db: &str) -> Vec<String> {
    let client = connect(c, "postgres").await.unwrap();
    let rows = client
        .query(
            "SELECT COALESCE(r.rolname, '(database)') || ': ' || array_to_string(s.setconfig, ' | ') \
             FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase \
             LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = $1 \
             UNION ALL SELECT 'comment: ' || COALESCE(shobj_description(oid, 'pg_database'), '-') || \
             ', limit ' || datconnlimit FROM pg_database WHERE datname = $1 ORDER BY 1",
            &[&db],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

fn recipe(c: &RealCluster, db: &str, dump: &Path, dir: &Path) -> RestoreDatabase {
    recipe_on(c, Arc::new(server(c)), db, dump, dir)
}

fn recipe_on(c: &RealCluster, server: Arc<dyn DatabaseServer>, db: &str, dump: &Path, dir: &Path) -> RestoreDatabase {
    let caps = Capabilities { scope_store: Arc::new(ConsulScopeStore::new(c.consul.clone())), server };
    let opts = RestoreDatabaseOptions::new(&c.namespace, db, dump).safety_dir(dir.join("safety"));
    RestoreDatabase::new(opts, caps).unwrap()
}

/// A database `db` owned by role `<db>_app` with `rows` rows in `items`, readable by
/// `<db>_reader`, whose CONNECT is revoked from PUBLIC.
async fn shop(c: &RealCluster, db: &str, rows: i32) {
    sql(
        c,
        "postgres",
        &format!(
            "CREATE ROLE {db}_app LOGIN PASSWORD 'app'; CREATE ROLE {db}_reader; CREATE DATABASE {db} OWNER {db}_app; \
             REVOKE CONNECT ON DATABASE {db} FROM PUBLIC; GRANT CONNECT ON DATABASE {db} TO {db}_reader;"
        ),
    )
    .await;
    sql(
        c,
        db,
        &format!(
            "SET ROLE {db}_app; CREATE TABLE items (id int PRIMARY KEY, name text); \
             INSERT INTO items SELECT i, repeat(md5(i::text), 20) FROM generate_series(1, {rows}) i; \
             GRANT SELECT ON items TO {db}_reader;"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_brings_back_rows_owner_and_privileges_and_cuts_other_connections() {
    let Some(c) = real::start("restoredb") else { return };
    let dir = tempfile::tempdir().unwrap();
    shop(&c, "shop", 500).await;
    // Settings that live outside the dump: the database's own, one role's in it (a list value
    // with a quoted element among them), its comment and connection limit.
    sql(
        &c,
        "postgres",
        "ALTER DATABASE shop SET work_mem = '8MB'; ALTER DATABASE shop SET search_path = \"$user\", public, \"Odd, Name\"; \
         ALTER ROLE shop_app IN DATABASE shop SET statement_timeout = '5s'; \
         ALTER ROLE shop_reader IN DATABASE shop SET work_mem = '2MB'; \
         COMMENT ON DATABASE shop IS 'the shop''s data'; ALTER DATABASE shop CONNECTION LIMIT 40;",
    )
    .await;
    let original = definition(&c, "shop").await;
    let saved = settings(&c, "shop").await;
    assert_eq!(saved.len(), 4, "{saved:?}");
    let dump = dir.path().join("shop.dump");
    server(&c).dump(&address(&c), "shop", &dump).await.unwrap();
    // What the restore must undo: rows lost, a stray table.
    sql(&c, "shop", "DELETE FROM items WHERE id > 100; CREATE TABLE stray (x int);").await;
    assert_eq!(count(&c, "shop", "SELECT count(*) FROM items").await, 100);

    let other = connect(&c, "shop").await.unwrap();
    other.query_one("SELECT 1", &[]).await.unwrap();

    let recipe = recipe(&c, "shop", &dump, dir.path());
    let plan = recipe.plan().await.unwrap();
    assert_eq!(plan.steps.len(), 9, "{plan:#?}");
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(
        report.report.done,
        [
            "keep applications out",
            "terminate backends",
            "safety dump",
            "block connections",
            "terminate remaining backends",
            "drop",
            "create",
            "restore",
            "allow connections"
        ]
    );
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(report.report.done, names, "the run does the plan's steps");
    assert!(report.backends_terminated >= 1, "{report:#?}");
    let safety = report.safety_dump.clone().unwrap();
    assert!(safety.exists() && report.safety_dump_bytes > 0, "{report:#?}");
    assert_eq!(report.step_millis.len(), 9);
    assert!(report.size_before_bytes > 0 && report.size_after_bytes > 0);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["database"], "shop");

    assert_eq!(count(&c, "shop", "SELECT count(*) FROM items").await, 500, "the dump's rows are back");
    assert_eq!(count(&c, "shop", "SELECT count(*) FROM pg_tables WHERE tablename = 'stray'").await, 0);
    assert_eq!(definition(&c, "shop").await, original, "same owner, privileges, connections allowed");
    assert_eq!(settings(&c, "shop").await, saved, "database and role settings, comment, limit are back");
    // And they take effect on new sessions: the database's for anyone, the role's at its login.
    let shown: String = connect(&c, "shop").await.unwrap().query_one("SHOW work_mem", &[]).await.unwrap().get(0);
    assert_eq!(shown, "8MB");
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(c.cluster.pg_port(c.leader)).user("shop_app").password("app").dbname("shop");
    let (app, conn) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let timeout: String = app.query_one("SHOW statement_timeout", &[]).await.unwrap().get(0);
    assert_eq!(timeout, "5s");
    let path: String = app.query_one("SHOW search_path", &[]).await.unwrap().get(0);
    assert_eq!(path, "\"$user\", public, \"Odd, Name\"");
    assert_eq!(original.0, "shop_app");
    let reads = "SELECT has_table_privilege('shop_reader', 'items', 'SELECT')::int::bigint";
    assert_eq!(count(&c, "shop", reads).await, 1, "table grants come back with the dump");
    // The other client was cut; a new connection works.
    assert!(other.query_one("SELECT 1", &[]).await.is_err(), "the old session was terminated");
    assert_eq!(count(&c, "shop", "SELECT 1::bigint").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_restore_puts_the_original_back_and_bad_inputs_are_refused() {
    let Some(c) = real::start("restorebad") else { return };
    let dir = tempfile::tempdir().unwrap();
    shop(&c, "depot", 5000).await;
    gated(&c, "depot", 7).await;
    let dump = dir.path().join("depot.dump");
    server(&c).dump(&address(&c), "depot", &dump).await.unwrap();
    // A dump cut in its data: pg_restore --list still reads its table of contents.
    let bytes = std::fs::read(&dump).unwrap();
    let cut = dir.path().join("cut.dump");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    sql(&c, "depot", "DELETE FROM items WHERE id > 1234;").await;
    let original = definition(&c, "depot").await;

    // Refusals: a system database, a missing one, a file pg_restore cannot read.
    let caps =
        Capabilities { scope_store: Arc::new(ConsulScopeStore::new(c.consul.clone())), server: Arc::new(server(&c)) };
    let system = RestoreDatabase::new(RestoreDatabaseOptions::new(&c.namespace, "template1", &dump), caps);
    assert!(matches!(system, Err(Error::InvalidInput { .. })), "{system:?}");
    let garbage = dir.path().join("garbage.dump");
    std::fs::write(&garbage, b"not a dump").unwrap();
    let err = recipe(&c, "nowhere", &garbage, dir.path()).plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains("database nowhere: does not exist"), "{reasons}");
    assert!(reasons.contains("pg_restore --list cannot read it"), "{reasons}");

    let probing = Arc::new(Probing::new(&c, "depot"));
    let err = recipe_on(&c, probing.clone(), "depot", &cut, dir.path()).run(Progress::none()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("was put back from the safety dump"), "{text}");
    assert!(text.contains("accepts connections again (connection limit 7)"), "{text}");
    assert!(text.contains("pg_restore"), "names what failed: {text}");
    assert_eq!(count(&c, "depot", "SELECT count(*) FROM items").await, 1234, "the original data is back");
    assert_eq!(definition(&c, "depot").await, original, "same owner and privileges, connections allowed");
    // Applications were kept out of both the failed restore and the put-back, and are let in
    // again with the limit the database had.
    probing.assert_kept_out(&["cut", "depot-"]);
    assert_eq!(limit(&c, "depot").await, 7);
    let port = c.cluster.pg_port(c.leader);
    assert_eq!(try_connect(port, "depot_client", "client", "depot").await, "connected");
}

/// A login role `<db>_client` (password `client`) with CONNECT on `db`, whose connection limit
/// becomes `limit`.
async fn gated(c: &RealCluster, db: &str, limit: i32) {
    let statements = format!(
        "CREATE ROLE {db}_client LOGIN PASSWORD 'client'; GRANT CONNECT ON DATABASE {db} TO {db}_client; \
         ALTER DATABASE {db} CONNECTION LIMIT {limit};"
    );
    sql(c, "postgres", &statements).await;
}

async fn limit(c: &RealCluster, db: &str) -> i64 {
    let query = format!("SELECT datconnlimit::bigint FROM pg_database WHERE datname = '{db}'");
    count(c, "postgres", &query).await
}

/// The real server, which around each pg_restore (before it starts and after it ends, the
/// database not yet opened) tries to connect to the database as its owner `<db>_app` and as
/// `<db>_client` (a plain role with CONNECT), as an application's pool would, and as the
/// superuser, recording each outcome.
struct Probing {
    inner: PostgresServer,
    port: u16,
    superuser_password: String,
    db: String,
    seen: std::sync::Mutex<Vec<(String, String, String)>>,
}

impl Probing {
    fn new(c: &RealCluster, db: &str) -> Self {
        Self {
            inner: server(c),
            port: c.cluster.pg_port(c.leader),
            superuser_password: c.cluster.superuser_password().to_owned(),
            db: db.to_owned(),
            seen: Default::default(),
        }
    }

    async fn probe(&self, when: String) {
        let (app, client) = (format!("{}_app", self.db), format!("{}_client", self.db));
        for (user, password) in
            [(app.as_str(), "app"), (client.as_str(), "client"), ("postgres", &self.superuser_password)]
        {
            let outcome = try_connect(self.port, user, password, &self.db).await;
            self.seen.lock().unwrap().push((when.clone(), user.to_owned(), outcome));
        }
    }

    /// One restore per prefix of the file names, in order, each probed before and after: the
    /// roles refused for the connection limit (SQLSTATE 53300), the superuser connected.
    fn assert_kept_out(&self, files: &[&str]) {
        let seen = self.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), files.len() * 6, "{seen:#?}");
        for (i, (when, user, outcome)) in seen.iter().enumerate() {
            let file = files[i / 6];
            let phase = if i % 6 < 3 { "before" } else { "after" };
            assert!(when.starts_with(&format!("{phase} {file}")), "probe {i}: {when} ({seen:#?})");
            if user == "postgres" {
                assert_eq!(outcome, "connected", "{when}: the restoring superuser connects");
            } else {
                let refused = format!("refused 53300: too many connections for database \"{}\"", self.db);
                assert_eq!(outcome, &refused, "{when}: {user} must be kept out");
            }
        }
    }
}

#[recipes::async_trait]
impl DatabaseServer for Probing {
    async fn database(&self, at: &PgAddress, name: &str) -> recipes::Result<Option<recipes::ports::DatabaseInfo>> {
        self.inner.database(at, name).await
    }
    async fn session_role(&self, at: &PgAddress) -> recipes::Result<recipes::ports::SessionRole> {
        self.inner.session_role(at).await
    }
    async fn allow_connections(&self, at: &PgAddress, name: &str, allow: bool) -> recipes::Result<()> {
        self.inner.allow_connections(at, name, allow).await
    }
    async fn open_database(&self, at: &PgAddress, name: &str, connection_limit: i32) -> recipes::Result<()> {
        self.inner.open_database(at, name, connection_limit).await
    }
    async fn limit_connections(&self, at: &PgAddress, name: &str, connection_limit: i32) -> recipes::Result<()> {
        self.inner.limit_connections(at, name, connection_limit).await
    }
    async fn terminate_backends(&self, at: &PgAddress, name: &str) -> recipes::Result<u64> {
        self.inner.terminate_backends(at, name).await
    }
    async fn drop_database(&self, at: &PgAddress, name: &str) -> recipes::Result<()> {
        self.inner.drop_database(at, name).await
    }
    async fn create_database(&self, at: &PgAddress, info: &recipes::ports::DatabaseInfo) -> recipes::Result<()> {
        self.inner.create_database(at, info).await
    }
    async fn dump(&self, at: &PgAddress, name: &str, file: &Path) -> recipes::Result<u64> {
        self.inner.dump(at, name, file).await
    }
    async fn restore(&self, at: &PgAddress, name: &str, file: &Path) -> recipes::Result<()> {
        let file_name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        self.probe(format!("before {file_name}")).await;
        let restored = self.inner.restore(at, name, file).await;
        self.probe(format!("after {file_name}")).await;
        restored
    }
    async fn list_dump(&self, file: &Path) -> recipes::Result<usize> {
        self.inner.list_dump(file).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_kept_out_while_pg_restore_runs_and_get_the_connection_limit_back() {
    let Some(c) = real::start("restoregate") else { return };
    let dir = tempfile::tempdir().unwrap();
    shop(&c, "ledger", 2000).await;
    gated(&c, "ledger", 7).await;
    assert_eq!(limit(&c, "ledger").await, 7);
    let port = c.cluster.pg_port(c.leader);
    assert_eq!(try_connect(port, "ledger_client", "client", "ledger").await, "connected");
    let dump = dir.path().join("ledger.dump");
    server(&c).dump(&address(&c), "ledger", &dump).await.unwrap();
    let original = definition(&c, "ledger").await;

    // Restoring as a role the connection limit holds (here the database's owner) is refused
    // before anything changes.
    let owner = Arc::new(PostgresServer::new("ledger_app", "app"));
    let err = recipe_on(&c, owner, "ledger", &dump, dir.path()).plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains("restoring role ledger_app: is not a superuser"), "{reasons}");
    assert_eq!(definition(&c, "ledger").await, original);

    let probing = Arc::new(Probing::new(&c, "ledger"));
    let recipe = recipe_on(&c, probing.clone(), "ledger", &dump, dir.path());
    let plan = recipe.plan().await.unwrap();
    let open = &plan.steps.last().unwrap().detail;
    assert!(open.starts_with("ALTER DATABASE \"ledger\" ALLOW_CONNECTIONS true CONNECTION LIMIT 7:"), "{open}");
    recipe.run(Progress::none()).await.unwrap();
    probing.assert_kept_out(&["ledger.dump"]);
    assert_eq!(limit(&c, "ledger").await, 7, "the limit it had before");
    assert_eq!(definition(&c, "ledger").await, original, "same owner and privileges, connections allowed");
    assert_eq!(try_connect(port, "ledger_client", "client", "ledger").await, "connected");
    assert_eq!(try_connect(port, "ledger_app", "app", "ledger").await, "connected");
    assert_eq!(count(&c, "ledger", "SELECT count(*) FROM items").await, 2000);
}

/// A server that records its calls and, when the safety dump is taken, lets another member
/// take the leader key (as a failover in the middle of the run would) unless told not to.
struct Failover {
    scope: Arc<crate::fakes::FakeScope>,
    scope_name: String,
    calls: std::sync::Mutex<Vec<String>>,
    /// The safety dump moves the leader key.
    fail_over: bool,
    /// The session's role is a superuser.
    superuser: bool,
    /// The database's connection limit.
    limit: i32,
    /// Restoring the given dump (not the safety dump) fails.
    bad_dump: bool,
    /// Restoring the safety dump fails too.
    bad_safety: bool,
    /// Taking the safety dump fails.
    dump_fails: bool,
    /// The database does not allow connections (`datallowconn = false`).
    blocked: bool,
    /// The database does not exist.
    missing: bool,
    /// The server's `server_version_num`.
    server_version_num: u32,
}

impl Failover {
    fn new(scope: &Arc<crate::fakes::FakeScope>, scope_name: &str) -> Self {
        Self {
            scope: Arc::clone(scope),
            scope_name: scope_name.to_owned(),
            calls: Default::default(),
            fail_over: true,
            superuser: true,
            limit: -1,
            bad_dump: false,
            bad_safety: false,
            dump_fails: false,
            blocked: false,
            missing: false,
            server_version_num: 150_018,
        }
    }

    fn call(&self, what: impl Into<String>) {
        self.calls.lock().unwrap().push(what.into());
    }
}

#[recipes::async_trait]
impl DatabaseServer for Failover {
    async fn database(&self, _at: &PgAddress, name: &str) -> recipes::Result<Option<recipes::ports::DatabaseInfo>> {
        if self.missing {
            return Ok(None);
        }
        Ok(Some(recipes::ports::DatabaseInfo {
            name: name.to_owned(),
            owner: "app".into(),
            encoding: "UTF8".into(),
            collate: "C".into(),
            ctype: "C".into(),
            acl: None,
            size_bytes: 1,
            allow_connections: !self.blocked,
            connection_limit: self.limit,
            ..Default::default()
        }))
    }
    async fn session_role(&self, _at: &PgAddress) -> recipes::Result<recipes::ports::SessionRole> {
        Ok(recipes::ports::SessionRole {
            name: "restorer".into(),
            superuser: self.superuser,
            server_version_num: self.server_version_num,
        })
    }
    async fn allow_connections(&self, _at: &PgAddress, name: &str, allow: bool) -> recipes::Result<()> {
        self.call(format!("allow {name} {allow}"));
        Ok(())
    }
    async fn open_database(&self, _at: &PgAddress, name: &str, connection_limit: i32) -> recipes::Result<()> {
        self.call(format!("open {name} limit {connection_limit}"));
        Ok(())
    }
    async fn limit_connections(&self, _at: &PgAddress, name: &str, connection_limit: i32) -> recipes::Result<()> {
        self.call(format!("limit {name} {connection_limit}"));
        Ok(())
    }
    async fn terminate_backends(&self, _at: &PgAddress, name: &str) -> recipes::Result<u64> {
        self.call(format!("terminate {name}"));
        Ok(0)
    }
    async fn drop_database(&self, _at: &PgAddress, name: &str) -> recipes::Result<()> {
        self.call(format!("drop {name}"));
        Ok(())
    }
    async fn create_database(&self, _at: &PgAddress, info: &recipes::ports::DatabaseInfo) -> recipes::Result<()> {
        self.call(format!("create {} limit {}", info.name, info.connection_limit));
        Ok(())
    }
    async fn dump(&self, _at: &PgAddress, name: &str, file: &Path) -> recipes::Result<u64> {
        self.call(format!("dump {name}"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, b"dump").unwrap();
        if self.dump_fails {
            return Err(recipes::Error::Conflict("pg_dump: no space left on device".into()));
        }
        if self.fail_over {
            let prefix = format!("service/{}/", self.scope_name);
            self.scope.put(&format!("{prefix}leader"), "dbHA2");
            self.scope.put(&format!("{prefix}members/dbHA2"), &leader_json(5433));
        }
        Ok(4)
    }
    async fn restore(&self, _at: &PgAddress, name: &str, file: &Path) -> recipes::Result<()> {
        let given = !file.to_string_lossy().contains("safety");
        self.call(format!("restore {name} from {}", if given { "the dump" } else { "the safety dump" }));
        if given && self.bad_dump {
            return Err(recipes::Error::Conflict("pg_restore: the dump is cut".into()));
        }
        if !given && self.bad_safety {
            return Err(recipes::Error::Conflict("pg_restore: could not connect".into()));
        }
        Ok(())
    }
    async fn list_dump(&self, _file: &Path) -> recipes::Result<usize> {
        Ok(3)
    }
}

fn leader_json(port: u16) -> String {
    serde_json::json!({"role": "primary", "state": "running", "xlog_location": 1, "timeline": 1,
        "conn_url": format!("postgres://127.0.0.1:{port}/postgres"), "api_url": "http://127.0.0.1:8008/patroni"})
    .to_string()
}

/// A recipe on [`Failover`] (leader dbHA1 of atala-testnet's scope), the server configured by
/// `configure`.
fn fake(dir: &Path, configure: impl FnOnce(&mut Failover)) -> (RestoreDatabase, Arc<Failover>) {
    let dump = dir.join("app.dump");
    std::fs::write(&dump, b"given").unwrap();
    let scope = Arc::new(crate::fakes::FakeScope::default());
    let scope_name = recipes::input::default_scope("atala-testnet");
    scope.put(&format!("service/{scope_name}/leader"), "dbHA1");
    scope.put(&format!("service/{scope_name}/members/dbHA1"), &leader_json(5432));
    let mut server = Failover::new(&scope, &scope_name);
    configure(&mut server);
    let server = Arc::new(server);
    let caps = Capabilities { scope_store: scope, server: server.clone() };
    let opts = RestoreDatabaseOptions::new("atala-testnet", "app", &dump).safety_dir(dir.join("safety"));
    (RestoreDatabase::new(opts, caps).unwrap(), server)
}

#[tokio::test]
async fn a_leader_change_during_the_run_stops_it_before_anything_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |_| {});
    let err = recipe.run(Progress::none()).await.unwrap_err();
    assert!(err.to_string().contains("changed during the restore: it was dbHA1, now dbHA2"), "{err}");
    assert!(err.to_string().contains("nothing was dropped"), "{err}");
    let calls = server.calls.lock().unwrap().clone();
    assert!(!calls.iter().any(|c| c.starts_with("drop") || c.starts_with("allow")), "{calls:?}");
    assert_eq!(
        calls,
        ["limit app 0", "terminate app", "dump app", "open app limit -1"],
        "applications kept out and cut, the safety dump, then the limit it had back with connections allowed"
    );
}

#[tokio::test]
async fn the_database_is_created_for_superusers_only_and_opened_with_its_limit_and_the_plan_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.limit = 7;
    });
    let plan = recipe.plan().await.unwrap();
    let detail = |step: &str| plan.steps.iter().find(|s| s.name == step).unwrap().detail.clone();
    let create = detail("create");
    assert!(create.contains("CONNECTION LIMIT 0") && create.contains("only superusers (restorer)"), "{create}");
    let open = detail("allow connections");
    assert!(open.starts_with("ALTER DATABASE \"app\" ALLOW_CONNECTIONS true CONNECTION LIMIT 7:"), "{open}");
    assert!(detail("restore").ends_with("as restorer"), "{plan:#?}");
    recipe.run(Progress::none()).await.unwrap();
    let calls = server.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            "limit app 0",
            "terminate app",
            "dump app",
            "allow app false",
            "terminate app",
            "drop app",
            "create app limit 0",
            "restore app from the dump",
            "open app limit 7"
        ]
    );
    let keep_out = detail("keep applications out");
    assert!(keep_out.starts_with("ALTER DATABASE \"app\" CONNECTION LIMIT 0:"), "{keep_out}");
    assert!(keep_out.contains("the limit it had (7) back"), "{keep_out}");

    // A failing pg_restore: the safety dump is put back the same way, and the limit with it.
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.bad_dump = true;
    });
    let err = recipe.run(Progress::none()).await.unwrap_err().to_string();
    assert!(err.contains("accepts connections again (connection limit -1 (none))"), "{err}");
    let calls = server.calls.lock().unwrap().clone();
    assert_eq!(
        calls[6..],
        [
            "create app limit 0",
            "restore app from the dump",
            "drop app",
            "create app limit 0",
            "restore app from the safety dump",
            "open app limit -1"
        ]
    );
}

#[tokio::test]
async fn when_the_put_back_fails_too_the_error_gives_every_command_to_finish_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.bad_dump = true;
        s.bad_safety = true;
        s.limit = 12;
    });
    let err = recipe.run(Progress::none()).await.unwrap_err().to_string();
    let calls = server.calls.lock().unwrap().clone();
    assert_eq!(calls.last().map(String::as_str), Some("restore app from the safety dump"), "{calls:?}");
    assert!(err.contains("pg_restore: the dump is cut") && err.contains("pg_restore: could not connect"), "{err}");
    // In order: remove the half-made database, re-create it from the safety dump, open it with its limit.
    let drop = err.find("`DROP DATABASE IF EXISTS \"app\"`").expect(&err);
    let restore = err.find("`pg_restore -C -d postgres ").expect(&err);
    let open = err.find("`ALTER DATABASE \"app\" ALLOW_CONNECTIONS true CONNECTION LIMIT 12`").expect(&err);
    assert!(drop < restore && restore < open, "{err}");
    assert!(err[restore..].contains("safety"), "the safety dump's path is named: {err}");
}

#[tokio::test]
async fn a_database_marked_invalid_by_an_interrupted_drop_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.limit = -2;
    });
    let err = recipe.plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains("database app: is marked invalid (connection limit -2"), "{reasons}");
    assert!(reasons.contains("`DROP DATABASE IF EXISTS \"app\"`"), "{reasons}");
    assert!(recipe.run(Progress::none()).await.is_err());
    assert!(server.calls.lock().unwrap().is_empty(), "nothing was dumped, blocked or dropped");
}

#[tokio::test]
async fn a_server_older_than_14_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.server_version_num = 130_011;
    });
    let reasons = recipe.plan().await.unwrap_err().refusal_reasons().join("\n");
    assert!(
        reasons.contains("is version 13.11 (server_version_num 130011): the recipe needs 14 or newer"),
        "{reasons}"
    );
    assert!(recipe.run(Progress::none()).await.is_err());
    assert!(server.calls.lock().unwrap().is_empty(), "nothing was changed");
}

#[tokio::test]
async fn a_restoring_role_that_is_not_a_superuser_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.superuser = false;
    });
    let err = recipe.plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains("restoring role restorer: is not a superuser"), "{reasons}");
    assert!(recipe.run(Progress::none()).await.is_err());
    assert!(server.calls.lock().unwrap().is_empty(), "nothing was dumped, blocked or dropped");
}

/// What an application writing to `<db>.writes` as the non-superuser `<db>_app` saw: the ids
/// whose INSERT returned success (committed), and the error that ended its loop.
struct Writer {
    committed: Arc<std::sync::Mutex<Vec<i64>>>,
    task: tokio::task::JoinHandle<String>,
}

/// Starts an application inserting one row per statement (autocommit) into `writes` in a loop
/// until its connection fails; returns once it has committed `warm` rows.
async fn writer(c: &RealCluster, db: &str, warm: usize) -> Writer {
    sql(
        c,
        db,
        &format!("SET ROLE {db}_app; CREATE TABLE writes (id bigint PRIMARY KEY, at timestamptz DEFAULT now())"),
    )
    .await;
    let app = connect_as(c.cluster.pg_port(c.leader), &format!("{db}_app"), "app", db).await.unwrap();
    let committed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&committed);
    let task = tokio::spawn(async move {
        let insert = app.prepare("INSERT INTO writes (id) VALUES ($1)").await.unwrap();
        for id in 1_i64.. {
            match app.execute(&insert, &[&id]).await {
                Ok(1) => seen.lock().unwrap().push(id),
                Ok(n) => return format!("INSERT {id} touched {n} rows"),
                Err(e) => return format!("INSERT {id}: {e}"),
            }
        }
        unreachable!()
    });
    while committed.lock().unwrap().len() < warm {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Writer { committed, task }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_an_application_committed_before_its_connection_was_cut_is_in_the_safety_dump() {
    let Some(c) = real::start("restorerace") else { return };
    let dir = tempfile::tempdir().unwrap();
    shop(&c, "till", 3000).await;
    gated(&c, "till", 7).await;
    let dump = dir.path().join("till.dump");
    server(&c).dump(&address(&c), "till", &dump).await.unwrap();

    // The application writes while the recipe runs, until the recipe cuts its connection.
    let app = writer(&c, "till", 50).await;
    let recipe = recipe(&c, "till", &dump, dir.path());
    let plan = recipe.plan().await.unwrap();
    let report = recipe.run(Progress::none()).await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(report.report.done, names, "the run does the plan's steps in the plan's order");
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), app.task).await.unwrap().unwrap();
    assert!(ended.contains("INSERT"), "the application's connection was cut: {ended}");
    let committed = app.committed.lock().unwrap().clone();
    assert!(committed.len() > 50, "{} rows committed", committed.len());

    // The safety dump, restored into a scratch database, holds every one of them.
    let safety = report.safety_dump.clone().unwrap();
    sql(&c, "postgres", "CREATE DATABASE till_scratch").await;
    server(&c).restore(&address(&c), "till_scratch", &safety).await.unwrap();
    let client = connect(&c, "till_scratch").await.unwrap();
    let rows = client.query("SELECT id FROM writes ORDER BY id", &[]).await.unwrap();
    let dumped: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.get(0)).collect();
    let lost: Vec<i64> = committed.iter().copied().filter(|id| !dumped.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} committed rows are in no backup (first {:?}); the safety dump has {}",
        lost.len(),
        committed.len(),
        lost.first(),
        dumped.len()
    );
    // The restored database is the given dump (no writes table) and is open with its limit.
    assert_eq!(count(&c, "till", "SELECT count(*) FROM pg_tables WHERE tablename = 'writes'").await, 0);
    assert_eq!(count(&c, "till", "SELECT count(*) FROM items").await, 3000);
    assert_eq!(limit(&c, "till").await, 7);
}

#[tokio::test]
async fn a_failing_safety_dump_gives_the_database_its_limit_back_and_drops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.dump_fails = true;
        s.limit = 7;
    });
    let err = recipe.run(Progress::none()).await.unwrap_err().to_string();
    let calls = server.calls.lock().unwrap().clone();
    assert_eq!(calls, ["limit app 0", "terminate app", "dump app", "open app limit 7"]);
    assert!(err.contains("pg_dump: no space left on device"), "names what failed: {err}");
    assert!(err.contains("nothing was dropped"), "{err}");
    assert!(err.contains("put back as it was (connections allowed, connection limit 7)"), "{err}");
    assert!(err.contains("no safety dump was completed"), "{err}");
}

#[tokio::test]
async fn a_re_run_after_a_stop_says_what_it_finds_and_what_to_do() {
    // Stopped between blocking connections and the drop: datallowconn false, limit 0.
    let dir = tempfile::tempdir().unwrap();
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.blocked = true;
        s.limit = 0;
    });
    let reasons = recipe.plan().await.unwrap_err().refusal_reasons().join("\n");
    assert!(reasons.contains("database app: does not allow connections (datallowconn = false"), "{reasons}");
    assert!(reasons.contains("`ALTER DATABASE \"app\" ALLOW_CONNECTIONS true CONNECTION LIMIT <n>`"), "{reasons}");
    assert!(recipe.run(Progress::none()).await.is_err());
    assert!(server.calls.lock().unwrap().is_empty(), "nothing was changed");

    // Stopped at limit 0 (before or after the drop): a passed check that says both cases,
    // naming the newest safety dump of this database (not another database's).
    let dir = tempfile::tempdir().unwrap();
    let (recipe, _) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.limit = 0;
    });
    let safety = dir.path().join("safety");
    std::fs::create_dir_all(&safety).unwrap();
    for name in ["app-20261201T101010.000Z.dump", "app-20261201T111111.111Z.dump", "app-x-20261201T121212.000Z.dump"] {
        std::fs::write(safety.join(name), b"dump").unwrap();
    }
    let plan = recipe.plan().await.unwrap();
    let check = plan.checks.iter().find(|c| c.name == "database app").unwrap();
    let recipes::report::Outcome::Passed(text) = &check.outcome else { panic!("{check:?}") };
    assert!(text.contains("`ALTER DATABASE \"app\" CONNECTION LIMIT <n>`"), "{text}");
    assert!(text.contains("app-20261201T111111.111Z.dump"), "the newest of app's: {text}");
    assert!(!text.contains("app-x-"), "{text}");
    assert!(text.contains("`pg_restore -C -d postgres "), "{text}");

    // Stopped after the drop: the database is gone, the plan refuses and names the safety dump
    // to put back; not resumable.
    let (recipe, server) = fake(dir.path(), |s| {
        s.fail_over = false;
        s.missing = true;
    });
    let reasons = recipe.plan().await.unwrap_err().refusal_reasons().join("\n");
    let newest = safety.join("app-20261201T111111.111Z.dump").display().to_string();
    assert!(reasons.contains("database app: does not exist"), "{reasons}");
    assert!(reasons.contains(&format!("`pg_restore -C -d postgres {newest}`")), "{reasons}");
    assert!(reasons.contains("CONNECTION LIMIT <n>`"), "{reasons}");
    assert!(server.calls.lock().unwrap().is_empty());
    let empty = tempfile::tempdir().unwrap();
    let (recipe, _) = fake(empty.path(), |s| {
        s.fail_over = false;
        s.missing = true;
    });
    let reasons = recipe.plan().await.unwrap_err().refusal_reasons().join("\n");
    assert!(reasons.contains("there is no safety dump of app in"), "{reasons}");
}
