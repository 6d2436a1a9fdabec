//! `ops-bench-driver <contender> <n>`: n sequential KV GETs + decode against the bench's
//! local server, for callgrind (see `ops_benches::driver`; the `ops-benches` binary runs
//! the same code as `ops-benches driver <contender> <n>`).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ops_benches::driver::cli(&args)
}
