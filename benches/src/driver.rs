//! The small program callgrind runs: `ops-bench-driver <contender> <n>` does `n`
//! sequential KV GETs + decode of [`overhead::KEY`] against the fixed-answer local server
//! (its own thread and runtime), in a task spawned on a one-worker client runtime, and
//! exits. The `ops-benches` binary is the same driver when its first argument is
//! [`SUBCOMMAND`], so a `cargo run` of the bench never counts a stale driver binary.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::overhead::{self, Contender, Kind};

/// The first argument that turns the `ops-benches` binary into the driver.
pub const SUBCOMMAND: &str = "driver";

/// GETs before the counted ones: connection set-up and first-use costs land in both runs
/// (and cancel in their difference) rather than depending on `n`.
const WARM_UP: usize = 10;

/// Runs `n` GETs by `kind` after `WARM_UP` warm-up calls and returns the value bytes read.
pub fn run(kind: Kind, n: usize) -> anyhow::Result<usize> {
    let server = overhead::local_server()?;
    let base = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let read = rt.block_on(async move {
        let client = Contender::build(kind, &base)?;
        tokio::spawn(async move {
            let mut read = 0;
            for _ in 0..WARM_UP + n {
                read += client.get().await?;
            }
            anyhow::Ok(read)
        })
        .await?
    })?;
    drop(rt);
    drop(server);
    Ok(read)
}

/// The command line: `<contender> <n>` (`args` without the program name).
pub fn cli(args: &[String]) -> ExitCode {
    let parsed = match args {
        [kind, n] => Kind::parse(kind)
            .with_context(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.slug()).collect();
                format!("unknown contender {kind:?}: expected one of {}", known.join(", "))
            })
            .and_then(|kind| Ok((kind, n.parse::<usize>().with_context(|| format!("bad request count {n:?}"))?))),
        _ => Err(anyhow::anyhow!("usage: ops-bench-driver <contender> <requests>")),
    };
    match parsed.and_then(|(kind, n)| run(kind, n).map(|read| (kind, n, read))) {
        Ok((kind, n, read)) => {
            println!("{}: {n} requests (+{WARM_UP} warm-up), {read} value bytes read", kind.name());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ops-bench-driver: {e:#}");
            ExitCode::FAILURE
        }
    }
}
