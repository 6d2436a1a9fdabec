//! Runs every benchmark in quick mode end to end so the bench never rots. No timing
//! assertion: only that each benchmark ran and produced finite figures.

use ops_benches::{Bench, Options, Sizes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_mode_produces_every_figure() {
    let consul_benches = [Bench::Overhead, Bench::Watch, Bench::Ghost, Bench::Wait];
    // In CI Consul must be there (a missing one fails the run below); elsewhere its
    // benchmarks are skipped when the binary is missing.
    let can_run_consul = sandbox::in_ci() || sandbox::consul::which("consul").is_some();
    if !can_run_consul {
        eprintln!("consul is not installed: skipping the benchmarks that need a real Consul");
    }
    let benches: Vec<Bench> =
        Bench::ALL.into_iter().filter(|b| can_run_consul || !consul_benches.contains(b)).collect();
    let report = ops_benches::run(&benches, &Sizes::quick(), &Options::default()).await;
    println!("{}", report.table());
    assert_eq!(report.errors(), Vec::<String>::new(), "benchmarks failed");
    assert_eq!(report.sections.len(), benches.len());
    for section in &report.sections {
        assert!(!section.figures.is_empty(), "{} produced no figure", section.name);
        assert!(!section.ratios.is_empty(), "{} produced no headline ratio", section.name);
    }
    if can_run_consul {
        assert!(report.machine.consul.is_some(), "the Consul version is reported");
    }
    // Instructions per request need valgrind: scripts/install-deps.sh installs it, so CI
    // has it; elsewhere the overhead section says it is missing instead.
    if let Some(overhead) = report.sections.iter().find(|s| s.name == "overhead") {
        let counted = overhead.figures.iter().filter(|f| f.name.starts_with("instructions per request")).count();
        if sandbox::in_ci() || ops_benches::callgrind::valgrind_version().is_some() {
            assert_eq!(counted, ops_benches::callgrind::KINDS.len(), "every contender's instructions per request");
        } else {
            assert!(overhead.notes.iter().any(|n| n.contains("valgrind is not installed")));
        }
    }
    let json = serde_json::to_value(&report).expect("the report serialises");
    assert_eq!(json["sections"].as_array().map(Vec::len), Some(benches.len()));
}
