use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{bail, eyre, Result, WrapErr};

use opsdeck::app::{self, Action};
use opsdeck::i18n::Lang;
use opsdeck::model::time::parse_duration;
use opsdeck::session::{self, Files};
use opsdeck::snapshot::{self, Format};
use opsdeck::source::demo::{self as demo, DemoSource};
use opsdeck::source::{Clock, Source};

/// A terminal operations console for services on Lambda, API Gateway, Aurora and DynamoDB.
#[derive(Parser, Debug)]
#[command(name = "opsdeck", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Run on the built-in demo instead of AWS. SCENARIO defaults to bad-deploy; see --list.
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = demo::DEFAULT_SCENARIO)]
    demo: Option<String>,
    /// With --demo: list the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Demo clock speed: 10 runs ten simulated minutes per real minute.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    speed: f64,
    /// Don't capture the mouse (lets the terminal select text).
    #[arg(long, global = true)]
    no_mouse: bool,
    /// Record every update and operator action to FILE (compressed JSON lines), to watch
    /// again with `opsdeck replay FILE`.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Where opsdeck writes its own log (never to the screen).
    #[arg(long, value_name = "FILE", global = true)]
    log_file: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Demo seed: the same seed and scenario give the same data.
    #[arg(long, default_value_t = demo::DEFAULT_SEED, global = true)]
    seed: u64,
    /// Keymap file (TOML) replacing the default keymap; see keymaps/.
    #[arg(long, value_name = "FILE", global = true)]
    keymap: Option<PathBuf>,
    /// User keymap overrides (default: keymap.toml in the opsdeck config directory).
    #[arg(long, value_name = "FILE", global = true)]
    user_keymap: Option<PathBuf>,
    /// Service profile (TOML): metrics, thresholds, alarms, log groups; see profiles/.
    /// Default: profile.toml in the opsdeck config directory, else a built-in one.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Runbook file or directory of Markdown runbooks. Default: the profile's, else the
    /// built-in runbooks.
    #[arg(long, value_name = "PATH", global = true)]
    runbooks: Option<PathBuf>,
    /// AWS: the named profile from ~/.aws/config (like the AWS CLI's --profile).
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
    /// AWS: the region (like the AWS CLI's --region); default from the environment/profile.
    #[arg(long, value_name = "REGION", global = true)]
    region: Option<String>,
    /// The UI language: en or ja. Default: from LC_ALL, LC_MESSAGES or LANG (ja* is Japanese).
    #[arg(long, value_name = "LANG", global = true, value_parser = parse_lang)]
    lang: Option<Lang>,
    /// Deploy watch: show the rollback gates row from the start.
    #[arg(long, global = true)]
    deploy: bool,
    /// Deploy watch: the deploy started at TIME (HH:MM or HH:MM:SS today in UTC, RFC 3339, or
    /// a duration ago such as 15m); marks it on every chart.
    #[arg(long, value_name = "TIME", global = true)]
    deploy_start: Option<String>,
    /// Presentation mode for a shared screen (turns redaction on).
    #[arg(long, global = true)]
    present: bool,
    /// Mask account IDs, ARNs, emails, IP addresses, user IDs and tokens in everything drawn
    /// (default: on in presentation mode, off otherwise).
    #[arg(long, global = true, overrides_with = "no_redact")]
    redact: bool,
    /// Show identifiers unmasked, even in presentation mode.
    #[arg(long, global = true, overrides_with = "redact")]
    no_redact: bool,
    /// Colour theme: dark, light, high-contrast, colour-blind, or a theme file (TOML); see
    /// themes/. NO_COLOR in the environment turns colour off.
    #[arg(long, value_name = "NAME|FILE", global = true)]
    theme: Option<String>,
}

fn parse_lang(s: &str) -> std::result::Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}: use en or ja"))
}

impl Common {
    /// The UI language: `--lang`, else the environment's.
    fn ui_lang(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_env)
    }

    /// `--redact` / `--no-redact`, when given.
    fn redaction(&self) -> Option<bool> {
        if self.redact {
            Some(true)
        } else if self.no_redact {
            Some(false)
        } else {
            None
        }
    }

    /// Apply the view options (language, deploy watch, presentation, redaction, theme).
    fn apply_views(&self, state: &mut app::AppState) -> Result<()> {
        state.lang = self.ui_lang();
        opsdeck::deploy::apply_cli(state, self.deploy, self.deploy_start.as_deref())
            .map_err(|e| eyre!("--deploy-start: {e}"))?;
        opsdeck::warroom::apply_cli(state, self.present, self.redaction(), self.theme.as_deref())
            .map_err(|e| eyre!("--theme: {e}"))?;
        Ok(())
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render one frame headlessly, exactly as the console would show it. Headless runs
    /// never write the incident journal.
    Snapshot(SnapshotArgs),
    /// The incident journal: list incidents, export an incident report.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// The daily 10-minute check: the last 24 hours against the day before. With --report,
    /// print it without a TUI and exit 0 / 1 / 2 for OK / WARN / CRIT (3: could not check).
    Check(CheckArgs),
    /// Play back a recording made with --record: pause, speed and seek.
    Replay(ReplayArgs),
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Print the check instead of opening the view, and exit 0 / 1 / 2 for OK / WARN / CRIT
    /// (3: could not check).
    #[arg(long)]
    report: bool,
    /// With --report: Markdown (for people and chat) or JSON (for bots).
    #[arg(long, value_enum, default_value_t = CheckFormat::Md)]
    format: CheckFormat,
    /// With --report: write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Check the built-in demo instead of AWS. SCENARIO defaults to bad-deploy.
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = demo::DEFAULT_SCENARIO)]
    demo: Option<String>,
    /// With --demo: the moment of the scenario the check ends at (the default is after every
    /// scenario's story).
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    at: String,
    /// Logs Insights queries of opsdeck's running at once (the account has 30 for everyone).
    #[arg(long, default_value_t = opsdeck::source::aws::insights::DEFAULT_MAX_RUNNING, value_name = "N")]
    max_queries: usize,
    /// A Logs Insights query still running after this long is stopped (StopQuery).
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    query_timeout: String,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    Md,
    Json,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// The recording (written by --record).
    file: PathBuf,
    /// Start at this point: a duration into the recording (5m30s) or a time of the
    /// console's clock (HH:MM:SS UTC).
    #[arg(long, value_name = "T")]
    at: Option<String>,
    /// Start paused.
    #[arg(long)]
    paused: bool,
}

/// `opsdeck check`: the exit code says OK / WARN / CRIT, and 3 when it could not check
/// (every error is caught here and said on stderr).
fn check_cmd(args: CheckArgs, cli: &Cli) -> Result<ExitCode> {
    match check_run(args, cli) {
        Ok(code) => Ok(code),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "opsdeck check: could not check: {e:#}");
            Ok(ExitCode::from(3))
        }
    }
}

/// The check's report and the state of its view.
fn check_session(
    args: &CheckArgs,
    common: &Common,
    rt: &tokio::runtime::Runtime,
) -> Result<(app::AppState, opsdeck::keymap::Keymap)> {
    let (mut state, keymap) = match &args.demo {
        Some(scenario) => {
            let at = parse_duration(&args.at).map_err(|e| eyre!("--at {e}"))?;
            if at < 0 {
                bail!("--at must not be negative");
            }
            opsdeck::check::demo_session(scenario, common.seed, at, &files(common))?
        }
        None => {
            use opsdeck::source::aws::insights::{self, CheckOptions, QueueOptions};
            let timeout =
                parse_duration(&args.query_timeout).map_err(|e| eyre!("--query-timeout {e}"))?;
            if !(1..=30).contains(&args.max_queries) {
                bail!(
                    "--max-queries must be 1..=30 (the account's limit), got {}",
                    args.max_queries
                );
            }
            let files = files(common);
            let service = session::aws_service(&files)?;
            let runbooks = session::load_runbooks(&files, &service.runbooks)?;
            let keymap = session::load_keymap(&files).wrap_err("loading the keymap")?;
            let opts = CheckOptions {
                queue: QueueOptions {
                    max_running: args.max_queries,
                    timeout: std::time::Duration::from_secs(timeout.max(1) as u64),
                    ..QueueOptions::default()
                },
                limit: None,
            };
            let lang = common.ui_lang();
            let input = rt.block_on(async {
                let clients = opsdeck::source::aws::source::connect(
                    common.profile.as_deref(),
                    common.region.as_deref(),
                )
                .await
                .map_err(|e| eyre!("{e}"))?;
                let end = opsdeck::source::aws::source::wall_now();
                // On a terminal, each query's progress when its status changes (or every
                // tenth poll while it runs); nothing in cron mail.
                let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
                let last = std::sync::Mutex::new(std::collections::BTreeMap::new());
                let progress = move |q: &opsdeck::check::QueryInfo| {
                    let Ok(mut last) = last.lock() else { return };
                    let (status, polls) = last.entry(q.label.clone()).or_insert((String::new(), 0));
                    *polls += 1;
                    if tty && (*status != q.status || *polls % 10 == 0) {
                        *status = q.status.clone();
                        let _ = writeln!(
                            std::io::stderr(),
                            "opsdeck check: {}",
                            opsdeck::check::query_line(q, lang)
                        );
                    }
                };
                let run = insights::daily_check(&clients, &service.aws, end, &opts, &progress);
                tokio::select! {
                    input = run => Ok::<_, color_eyre::Report>(input),
                    _ = tokio::signal::ctrl_c() => {
                        // The dropped queries stop themselves (StopQuery): give them a moment.
                        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                        bail!("interrupted")
                    }
                }
            })?;
            let model = opsdeck::model::Model::new(
                service.profile.clone(),
                input.end,
                opsdeck::model::log::DEFAULT_LOG_CAPACITY,
            );
            let label = input.source.clone();
            let mut state = app::AppState::new(model, runbooks, keymap.help_lines(), label);
            let report = opsdeck::check::evaluate(input, &service.profile);
            opsdeck::check::open(&mut state, report);
            (state, keymap)
        }
    };
    state.lang = common.ui_lang();
    Ok((state, keymap))
}

fn check_run(args: CheckArgs, cli: &Cli) -> Result<ExitCode> {
    let rt = runtime()?;
    let (mut state, keymap) = check_session(&args, &cli.common, &rt)?;
    let Some(check) = state.check.as_ref() else {
        bail!("no check");
    };
    if args.report {
        let report = &check.report;
        let text = match args.format {
            CheckFormat::Md => opsdeck::check::markdown(report, state.lang),
            CheckFormat::Json => {
                let mut t = serde_json::to_string_pretty(&opsdeck::check::json(report))?;
                t.push('\n');
                t
            }
        };
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .wrap_err_with(|| format!("writing {}", path.display()))?,
            None => std::io::stdout().write_all(text.as_bytes())?,
        }
        if report.exit_code() == 3 {
            let why = report
                .items
                .iter()
                .flat_map(|i| i.notes.first())
                .map(|n| n.text(opsdeck::check::ValueUnit::Lines, opsdeck::i18n::Lang::En))
                .next()
                .unwrap_or_default();
            let _ = writeln!(
                std::io::stderr(),
                "opsdeck check: could not check any item ({why})"
            );
        }
        return Ok(ExitCode::from(report.exit_code()));
    }
    cli.common.apply_views(&mut state)?;
    let end = state.model.now;
    let source = opsdeck::check::Idle::new(state.source_label.clone());
    let opts = opsdeck::tui::RunOptions {
        mouse: !cli.no_mouse,
        ..Default::default()
    };
    // The check is a picture of one moment: the clock stands still at its end.
    rt.block_on(opsdeck::tui::run(
        state,
        Box::new(source),
        Clock::simulated(end, 0.0),
        keymap,
        opts,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Read a recording and stand a player at its start; warnings (a cut-off end) go to stderr.
fn open_recording(file: &std::path::Path, common: &Common) -> Result<opsdeck::replay::Player> {
    let rec = opsdeck::record::read(file).map_err(|e| eyre!("{e}"))?;
    for w in &rec.warnings {
        eprintln!("opsdeck: warning: {w}");
        tracing::warn!("{w}");
    }
    let mut player =
        opsdeck::replay::Player::new(rec).map_err(|e| eyre!("{}: {e}", file.display()))?;
    if let Some(lang) = common.lang {
        player.state_mut().lang = lang;
    }
    Ok(player)
}

/// `opsdeck replay FILE`: the recording in the TUI, at its recorded pace.
fn replay_cmd(args: ReplayArgs, cli: &Cli) -> Result<()> {
    let mut player = open_recording(&args.file, &cli.common)?;
    let keymap = session::load_keymap(&files(&cli.common)).wrap_err("loading the keymap")?;
    if let Some(at) = &args.at {
        let ms = player.position_of(at).map_err(|e| eyre!("--at {e}"))?;
        player.jump(0, ms);
    }
    if args.paused {
        player.control(app::Command::ReplayPause, 0);
    }
    let rt = runtime()?;
    rt.block_on(opsdeck::tui::replay(player, keymap, !cli.no_mouse))?;
    Ok(())
}

/// `--record FILE`: start recording `state`'s session (`builtin`: the built-in profile in use
/// when no profile file is, `demo` or `aws`). Refused before the screen is touched.
fn start_recording(
    cli: &Cli,
    builtin: &str,
    state: &app::AppState,
) -> Result<Option<opsdeck::record::Recorder>> {
    let Some(path) = &cli.record else {
        return Ok(None);
    };
    let c = &cli.common;
    let views = opsdeck::record::Views {
        deploy: c.deploy,
        deploy_start: c.deploy_start.clone(),
        present: c.present,
        redact: c.redaction(),
        theme: c.theme.clone(),
        theme_text: None,
    };
    let header = opsdeck::record::Header::capture(&files(c), builtin, views, state)
        .map_err(|e| eyre!("--record: {e}"))?;
    let rec =
        opsdeck::record::Recorder::create(path, &header).map_err(|e| eyre!("--record: {e}"))?;
    Ok(Some(rec))
}

#[derive(Subcommand, Debug)]
enum IncidentCommand {
    /// List the recorded incidents, oldest first.
    List {
        /// Journal directory (default: <data dir>/opsdeck/incidents).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Export an incident's report as Markdown.
    Report {
        /// Incident id, or a unique part of it (default: the newest incident).
        id: Option<String>,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Journal directory (default: <data dir>/opsdeck/incidents).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct SnapshotArgs {
    /// Demo scenario to render. Without it, the AWS account (see --profile, --region) is read
    /// once and rendered.
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = demo::DEFAULT_SCENARIO)]
    demo: Option<String>,
    /// Render a frame of a recording made with --record (see --at).
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    replay: Option<PathBuf>,
    /// Render the daily check's view (`opsdeck check`) instead of the console.
    #[arg(long, conflicts_with = "replay")]
    check: bool,
    /// With --demo: point of the scenario to render, e.g. 8m, 1h30m (default 0s; with
    /// --check, 1h). With --replay: a duration into the recording (5m30s) or a time of the
    /// console's clock (HH:MM:SS UTC).
    #[arg(long, value_name = "DURATION")]
    at: Option<String>,
    /// Terminal size (default 200x60; with --replay, the recorded size at that moment).
    #[arg(long, value_name = "COLSxROWS")]
    size: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Txt)]
    format: Format,
    /// Keys to press before rendering, as in the keymap, separated by spaces (e.g. "a enter d").
    #[arg(long, value_name = "KEYS")]
    press: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// AWS: how long to wait for the first reads before rendering what arrived.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    wait: String,
}

fn files(c: &Common) -> Files {
    Files {
        profile: c.config.clone(),
        runbooks: c.runbooks.clone(),
        keymap: c.keymap.clone(),
        user_keymap: c.user_keymap.clone(),
        user_config: true,
        log_capacity: None,
    }
}

fn list_scenarios() {
    println!("Demo scenarios (opsdeck --demo NAME):");
    for (name, what) in demo::SCENARIOS {
        let default = if *name == demo::DEFAULT_SCENARIO {
            " (default)"
        } else {
            ""
        };
        println!("  {name:<20} {what}{default}");
    }
}

fn init_tracing(path: Option<PathBuf>) {
    let path = path.or_else(|| {
        dirs::state_dir()
            .or_else(dirs::cache_dir)
            .map(|d| d.join("opsdeck").join("opsdeck.log"))
    });
    let Some(path) = path else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .try_init();
}

/// `snapshot --replay FILE --at T`: the recorded frame at T, as the session drew it.
fn snapshot_replay(args: &SnapshotArgs, file: &std::path::Path, common: &Common) -> Result<()> {
    let player = open_recording(file, common)?;
    let mut player = player.follow_size(true);
    let ms = player
        .position_of(args.at.as_deref().unwrap_or("0s"))
        .map_err(|e| eyre!("--at {e}"))?;
    player.seek_to(ms);
    let (cols, rows) = match &args.size {
        Some(size) => snapshot::parse_size(size).map_err(|e| eyre!("--size {e}"))?,
        None => player.state().ui.size,
    };
    let keymap = session::load_keymap(&files(common)).wrap_err("loading the keymap")?;
    if let Some(keys) = &args.press {
        for word in keys.split_whitespace() {
            let command = keymap
                .command_for_key_name(word)
                .map_err(|e| eyre!("--press: {e}"))?;
            player.viewer(Action::Command(command));
        }
    }
    let buf = snapshot::render(player.state_mut(), cols, rows);
    let text = snapshot::write(&buf, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).wrap_err_with(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

fn snapshot_cmd(args: SnapshotArgs, common: &Common) -> Result<()> {
    if let Some(file) = &args.replay {
        return snapshot_replay(&args, file, common);
    }
    let size = args.size.as_deref().unwrap_or("200x60");
    let (cols, rows) = snapshot::parse_size(size).map_err(|e| eyre!("--size {e}"))?;
    let (mut state, keymap) = match &args.demo {
        _ if args.check => {
            let check = CheckArgs {
                report: false,
                format: CheckFormat::Md,
                output: None,
                demo: args.demo.clone(),
                at: args.at.clone().unwrap_or_else(|| "1h".into()),
                max_queries: opsdeck::source::aws::insights::DEFAULT_MAX_RUNNING,
                query_timeout: "2m".into(),
            };
            let (mut state, keymap) = check_session(&check, common, &runtime()?)?;
            state.ui.size = (cols, rows);
            (state, keymap)
        }
        Some(scenario) => {
            let at = args.at.as_deref().unwrap_or("0s");
            let at = parse_duration(at).map_err(|e| eyre!("--at {e}"))?;
            if at < 0 {
                bail!("--at must not be negative");
            }
            let (mut state, mut source, keymap) =
                session::demo(scenario, common.seed, &files(common))?;
            state.ui.size = (cols, rows);
            session::advance(&mut state, &mut source, DemoSource::epoch() + at);
            (state, keymap)
        }
        None => {
            let wait = parse_duration(&args.wait).map_err(|e| eyre!("--wait {e}"))?;
            let rt = runtime()?;
            rt.block_on(async {
                let (mut state, mut source, keymap) = session::aws(
                    common.profile.as_deref(),
                    common.region.as_deref(),
                    &files(common),
                )
                .await?;
                state.ui.size = (cols, rows);
                if !source
                    .first_round(std::time::Duration::from_secs(wait.max(1) as u64))
                    .await
                {
                    tracing::warn!(
                        "snapshot: not every read finished within --wait {}",
                        args.wait
                    );
                }
                session::advance(&mut state, &mut source, Clock::wall().now());
                Ok::<_, color_eyre::Report>((state, keymap))
            })?
        }
    };
    common.apply_views(&mut state)?;
    if let Some(keys) = &args.press {
        for word in keys.split_whitespace() {
            let command = keymap
                .command_for_key_name(word)
                .map_err(|e| eyre!("--press: {e}"))?;
            app::update(&mut state, Action::Command(command));
        }
    }
    let buf = snapshot::render(&mut state, cols, rows);
    let text = snapshot::write(&buf, args.format);
    match args.output {
        Some(path) => {
            std::fs::write(&path, text).wrap_err_with(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

fn journal_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    dir.or_else(opsdeck::journal::default_dir)
        .ok_or_else(|| eyre!("no data directory (set HOME or XDG_DATA_HOME, or pass --dir)"))
}

fn incident_cmd(cmd: IncidentCommand) -> Result<()> {
    use opsdeck::journal;
    use opsdeck::model::time::short_duration;
    match cmd {
        IncidentCommand::List { dir } => {
            let dir = journal_dir(dir)?;
            let all = journal::list(&dir).wrap_err_with(|| format!("reading {}", dir.display()))?;
            if all.is_empty() {
                println!("No incidents recorded in {}.", dir.display());
                return Ok(());
            }
            let idw = all.iter().map(|s| s.id.len()).max().unwrap_or(2).max(2);
            let aw = all.iter().map(|s| s.alarm.len()).max().unwrap_or(5).max(5);
            let mut out = String::new();
            out.push_str(&format!(
                "{:<idw$}  {:<19}  {:<aw$}  {:<8}  {:>8}  {:<6}  {:>7}\n",
                "ID", "OPENED (UTC)", "ALARM", "SEVERITY", "DURATION", "STATE", "ENTRIES"
            ));
            for s in &all {
                out.push_str(&format!(
                    "{:<idw$}  {:<19}  {:<aw$}  {:<8}  {:>8}  {:<6}  {:>7}{}\n",
                    s.id,
                    s.opened
                        .map(journal::date_time)
                        .unwrap_or_else(|| "-".into()),
                    s.alarm,
                    s.severity.map(|v| v.word()).unwrap_or("-"),
                    s.duration()
                        .map(short_duration)
                        .unwrap_or_else(|| "-".into()),
                    if s.is_open() { "open" } else { "closed" },
                    s.entries,
                    if s.torn || s.bad_lines > 0 {
                        "  (damaged tail dropped)"
                    } else {
                        ""
                    }
                ));
            }
            std::io::stdout().write_all(out.as_bytes())?;
            Ok(())
        }
        IncidentCommand::Report { id, output, dir } => {
            let dir = journal_dir(dir)?;
            let all = journal::list(&dir).wrap_err_with(|| format!("reading {}", dir.display()))?;
            let found = journal::find(&all, id.as_deref())
                .map_err(|e| eyre!("{e} in {}", dir.display()))?;
            let log = journal::read_file(&found.path)
                .wrap_err_with(|| format!("reading {}", found.path.display()))?;
            let text = opsdeck::report::render(&found.id, &log);
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .wrap_err_with(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote the report of {} to {}", found.id, path.display());
                }
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(())
        }
    }
}

/// Open the incident journal for this session and resume an open incident's walk. A journal
/// that cannot be opened is logged and the session runs without one.
fn open_journal(state: &mut opsdeck::app::AppState) -> Option<opsdeck::journal::Journal> {
    let dir = opsdeck::journal::default_dir()?;
    let service = state.model.profile.name.clone();
    match opsdeck::journal::Journal::open_or_resume(&dir, &state.source_label, &service) {
        Ok((journal, resumed)) => {
            if let Some((id, entries)) = &resumed.incident {
                opsdeck::journal::restore(entries, state);
                tracing::info!(
                    "resumed open incident {id} ({} entries{})",
                    entries.len(),
                    if resumed.torn {
                        ", a torn last line dropped"
                    } else {
                        ""
                    }
                );
            }
            Some(journal)
        }
        Err(e) => {
            tracing::error!("incident journal in {}: {e}", dir.display());
            None
        }
    }
}

/// The runtime the console runs on: the UI loop and the AWS source's tasks.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Restore runbook progress saved for this source (it survives restarts and crashes).
fn restore_progress(state: &mut opsdeck::app::AppState) -> Result<Option<PathBuf>> {
    let progress = opsdeck::progress::path_for(&state.source_label);
    if let Some(path) = &progress {
        opsdeck::progress::load(path)
            .map_err(|e| eyre!("{e}"))?
            .restore(state);
    }
    Ok(progress)
}

fn run_aws(cli: &Cli) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let (mut state, source, keymap) = session::aws(
            cli.common.profile.as_deref(),
            cli.common.region.as_deref(),
            &files(&cli.common),
        )
        .await?;
        cli.common.apply_views(&mut state)?;
        let progress = restore_progress(&mut state)?;
        let journal = open_journal(&mut state);
        let record = start_recording(cli, "aws", &state)?;
        let opts = opsdeck::tui::RunOptions {
            mouse: !cli.no_mouse,
            progress,
            journal,
            record,
            ..Default::default()
        };
        opsdeck::tui::run(state, Box::new(source), Clock::wall(), keymap, opts).await?;
        Ok(())
    })
}

fn run_demo(cli: &Cli, scenario: &str) -> Result<()> {
    if !(cli.speed > 0.0 && cli.speed <= 3600.0) {
        bail!(
            "--speed must be above 0 and at most 3600, got {}",
            cli.speed
        );
    }
    let (mut state, source, keymap) =
        session::demo(scenario, cli.common.seed, &files(&cli.common))?;
    cli.common.apply_views(&mut state)?;
    let clock = Clock::simulated(DemoSource::epoch(), cli.speed);
    let progress = restore_progress(&mut state)?;
    let journal = open_journal(&mut state);
    if cli.speed != 1.0 {
        state.source_label = format!("{} ×{}", source.label(), cli.speed);
    }
    let record = start_recording(cli, "demo", &state)?;
    let source: Box<dyn Source> = Box::new(source);
    let rt = runtime()?;
    let opts = opsdeck::tui::RunOptions {
        mouse: !cli.no_mouse,
        progress,
        journal,
        record,
        ..Default::default()
    };
    rt.block_on(opsdeck::tui::run(state, source, clock, keymap, opts))?;
    Ok(())
}

fn real_main() -> Result<ExitCode> {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // `check` is read by cron and chat bots, where 2 means CRIT: a command line it
            // could not read is "could not check" (3) there. Help and --version exit 0.
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ if std::env::args().skip(1).any(|a| a == "check") => 3,
                _ => 2,
            };
            return Ok(ExitCode::from(code));
        }
    };
    opsdeck::tui::install_hooks()?;
    init_tracing(cli.log_file.clone());
    match cli.command.take() {
        Some(Command::Snapshot(args)) => {
            let common = cli.common.clone();
            snapshot_cmd(args, &common)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Incident(cmd)) => {
            incident_cmd(cmd)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Check(args)) => return check_cmd(args, &cli),
        Some(Command::Replay(args)) => {
            replay_cmd(args, &cli)?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    if cli.list {
        list_scenarios();
        return Ok(ExitCode::SUCCESS);
    }
    match &cli.demo {
        Some(s) => {
            // Validate before touching the terminal, so a typo gets a plain message.
            DemoSource::new(s, cli.common.seed).map_err(|e| eyre!("{e}"))?;
            run_demo(&cli, s)?;
        }
        None => run_aws(&cli)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            // stderr may be gone with the terminal (SIGHUP): never panic over a message.
            let _ = writeln!(std::io::stderr(), "opsdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}
