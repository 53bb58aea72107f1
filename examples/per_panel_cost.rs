//! The per-panel way of reading CloudWatch, for the API-cost benchmark
//! (`scripts/bench-api-cost.sh`, `bench/api_cost.py`): what a CloudWatch dashboard (or a
//! Grafana dashboard on the CloudWatch data source) with one widget per opsdeck pane does —
//! one GetMetricData call per pane per refresh, over the pane's whole window.
//!
//! The metrics are exactly opsdeck's: the profile is loaded, the account discovered and the
//! plan built with the same code the console uses (`inventory::fetch`, `apply_settings`,
//! `cloudwatch::discover`, `cloudwatch::plan_for`); then the plan's series are grouped by the
//! pane that shows them, and each pane is read with `cloudwatch::subplan` + `fetch_window`
//! over the last WINDOW seconds at 1-minute periods (one call; a query that two panes need,
//! such as API requests for the request rate and for the error rate, is requested by both,
//! as two widgets would). REFRESHES rounds, back to back.
//!
//!     per_panel_cost --config PROFILE [--refreshes N] [--window SECONDS]
//!
//! Prints the plan (queries per pane, opsdeck's queries per refresh) and the calls and metrics
//! requested per round (counted by the SDK side here; the benchmark counts them again in the
//! emulator's request log).

use std::collections::BTreeMap;

use opsdeck::config::AwsSettings;
use opsdeck::model::metrics::Inventory;
use opsdeck::source::aws::{cloudwatch, inventory};

/// The pane a series key is shown in (the first segment of the key), as a dashboard widget.
fn pane(key: &str) -> &str {
    match key.split('/').next().unwrap_or(key) {
        "requests" => "Request rate",
        "errors" => "Error rate",
        "latency" => "Latency",
        "lambda" => "Lambda throttles",
        "aurora" => "Aurora connections",
        "dynamo" => "DynamoDB capacity",
        other => other,
    }
}

async fn run(profile: &str, refreshes: usize, window: i64) -> color_eyre::Result<()> {
    let service = opsdeck::config::load_service_file(std::path::Path::new(profile))
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let settings: AwsSettings = service.aws;
    let clients = opsdeck::source::aws::source::connect(None, None)
        .await
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let result = inventory::fetch(&clients).await;
    let mut inv = result.merged(&Inventory::default());
    inventory::apply_settings(&mut inv, &settings);
    let plan = match cloudwatch::discover(&clients).await {
        Ok(mut found) => {
            found
                .apis
                .retain(|a| opsdeck::config::name_selected(&settings.apis, a));
            cloudwatch::plan_for(&found.select(&inv), &found.apis, &settings)
        }
        Err(_) => cloudwatch::plan_for(&inv, &[], &settings),
    };
    let mut panes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in &plan.outputs {
        panes
            .entry(pane(o.key.as_str()))
            .or_default()
            .push(o.key.as_str());
    }
    let subplans: Vec<(&str, cloudwatch::Plan)> = panes
        .iter()
        .map(|(p, keys)| (*p, cloudwatch::subplan(&plan, keys, cloudwatch::PERIOD)))
        .collect();
    println!(
        "opsdeck plan: {} queries in {} call(s) per refresh, {} series",
        plan.queries.len(),
        plan.calls_per_fetch(),
        plan.outputs.len()
    );
    let mut per_round = 0;
    for (p, sub) in &subplans {
        println!(
            "  pane {p:<20} {:>3} series, {:>3} queries",
            sub.outputs.len(),
            sub.queries.len()
        );
        per_round += sub.queries.len();
    }
    println!(
        "per-panel: {} calls and {per_round} queries per refresh",
        subplans.len()
    );
    for round in 1..=refreshes {
        let end = opsdeck::source::aws::source::wall_now();
        let (mut calls, mut metrics) = (0, 0);
        for (p, sub) in &subplans {
            match cloudwatch::fetch_window(&clients, sub, end - window, end).await {
                Ok((_, stats)) => {
                    calls += stats.calls;
                    metrics += stats.metrics_requested;
                }
                Err(e) => eprintln!("pane {p}: {e:?}"),
            }
        }
        println!("round {round}: {calls} GetMetricData calls, {metrics} metrics requested");
    }
    Ok(())
}

fn main() -> color_eyre::Result<()> {
    let mut profile = None;
    let mut refreshes = 3;
    let mut window = 3600;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| color_eyre::eyre::eyre!("{what} needs a value"))
        };
        match a.as_str() {
            "--config" => profile = Some(value("--config")?),
            "--refreshes" => refreshes = value("--refreshes")?.parse()?,
            "--window" => window = value("--window")?.parse()?,
            other => color_eyre::eyre::bail!(
                "unknown argument {other:?}: use --config FILE, --refreshes N, --window SECONDS"
            ),
        }
    }
    let profile = profile.ok_or_else(|| color_eyre::eyre::eyre!("--config PROFILE is needed"))?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(&profile, refreshes, window))
}
