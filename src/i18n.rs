//! The UI's own strings in English and Japanese.
//!
//! [`Lang`] is chosen by `--lang en|ja` or, without it, from the environment
//! ([`Lang::from_env`]: `LC_ALL`, then `LC_MESSAGES`, then `LANG`). Every string the panes
//! draw is a [`Msg`]; the catalogue below lists each message's English and Japanese text side
//! by side, so a message without a Japanese text does not compile (and the tests check that
//! none is empty and that both carry the same `{}` placeholders, filled by [`Msg::fill`]).
//!
//! Data is not translated: alarm names, runbook text, log lines, AWS resource names, metric
//! statistics (p95) and the alarm states `ALARM` / `OK` stay as AWS and the team write them.

use std::fmt::Display;

use crate::app::{Command, PaneId};
use crate::model::alarm::{AlarmState, Severity};
use crate::model::threshold::Level;

/// The UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// `en` or `ja` (case-insensitive; `ja_JP`, `ja-JP` and `japanese` are Japanese too).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "en" | "english" => Some(Lang::En),
            "ja" | "jp" | "japanese" => Some(Lang::Ja),
            _ if s.starts_with("ja_") || s.starts_with("ja-") => Some(Lang::Ja),
            _ if s.starts_with("en_") || s.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the environment asks for: the first of `LC_ALL`, `LC_MESSAGES` and `LANG`
    /// that is set and not empty decides (as in POSIX); `ja*` is Japanese, anything else English.
    pub fn from_env() -> Lang {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// [`from_env`](Self::from_env) over any variable lookup (for tests).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = get(key).filter(|v| !v.is_empty()) {
                return if v.to_ascii_lowercase().starts_with("ja") {
                    Lang::Ja
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

macro_rules! catalogue {
    ($($key:ident => $en:literal, $ja:literal;)*) => {
        /// A UI message. Its texts are in the catalogue in `i18n.rs`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($key),* }

        impl Msg {
            /// Every message, in catalogue order.
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];

            /// The text in `lang`.
            pub fn text(self, lang: Lang) -> &'static str {
                match lang {
                    Lang::En => match self { $(Msg::$key => $en),* },
                    Lang::Ja => match self { $(Msg::$key => $ja),* },
                }
            }
        }
    };
}

catalogue! {
    // Pane titles (the metric panes' English titles are `MetricPane::title`).
    PaneRequests => "Request rate", "リクエスト数";
    PaneErrors => "Error rate", "エラー率";
    PaneLatency => "Latency", "レイテンシ";
    PaneThrottles => "Lambda throttles", "Lambda スロットリング";
    PaneAurora => "Aurora connections", "Aurora 接続数";
    PaneDynamo => "DynamoDB capacity", "DynamoDB キャパシティ";
    PaneAlarms => "Alarms", "アラーム";
    PaneLogs => "Log tail", "ログ";
    PaneRunbook => "Runbook", "ランブック";
    // Levels and states.
    LevelNoData => "NO DATA", "データなし";
    LevelOk => "OK", "OK";
    LevelWarn => "WARN", "警告";
    LevelCrit => "CRIT", "危険";
    StateAlarm => "ALARM", "ALARM";
    StateOk => "OK", "OK";
    StateNoData => "NO DATA", "データ不足";
    SevCritical => "Critical", "緊急";
    SevHigh => "High", "高";
    SevMedium => "Medium", "中";
    SevLow => "Low", "低";
    // Shared words.
    NoData => "no data", "データなし";
    NoDataInRange => "no data in range", "この期間のデータなし";
    MoreRows => "+{} more", "他 {} 件";
    MoreRowsBad => " ({} WARN/CRIT)", "（うち警告/危険 {}）";
    TooSmall => "terminal too small: {}x{}, opsdeck needs at least {}x{}",
        "端末が小さすぎます: {}x{}（opsdeck には {}x{} 以上が必要）";
    StaleShort => " ⚠ stale {} ", " ⚠ 未更新 {} ";
    StaleSince => " ⚠ stale since {} ", " ⚠ {} から更新なし ";
    // Header and status bar.
    HeaderRange => "range {}", "期間 {}";
    HeaderNoFiring => "✓ no alarms firing", "✓ 発報中のアラームなし";
    HeaderAlarms => "ALARMS", "アラーム";
    HelpHint => "{} help ", "{} ヘルプ ";
    StatusZoom => " ZOOM", " 拡大";
    StatusLogPaused => "log PAUSED", "ログ 一時停止";
    StatusLogFollow => "log FOLLOW", "ログ 追従中";
    StatusFilter => "filter {}", "フィルタ {}";
    StatusFault => "⚠ {}: {} (since {})", "⚠ {}: {}（{} から）";
    StatusFaults => "⚠ {} parts failing: {}", "⚠ {} 件の取得に失敗: {}";
    StatusFaultsKey => "⚠ {} parts failing ({} says why): {}", "⚠ {} 件の取得に失敗（{} で理由）: {}";
    // Key-hint words.
    HintMove => "move", "移動";
    HintOpen => "open", "開く";
    HintFilter => "filter", "絞り込み";
    HintClose => "close", "閉じる";
    HintPinUnpin => "pin/unpin", "固定/解除";
    HintUnpinAll => "unpin all", "すべて解除";
    HintScroll => "scroll", "スクロール";
    HintQuit => "quit", "終了";
    HintFocus => "focus", "フォーカス";
    HintRunbook => "runbook", "ランブック";
    HintFollow => "follow", "追従";
    HintPause => "pause", "一時停止";
    HintLevel => "level", "レベル";
    HintClear => "clear", "解除";
    HintDone => "done", "完了";
    HintSkip => "skip", "スキップ";
    HintUndo => "undo", "戻す";
    HintNote => "note", "メモ";
    HintAct => "act", "実行";
    HintCopy => "copy", "コピー";
    HintChoose => "choose", "選択";
    HintBack => "back", "前へ";
    HintZoom => "zoom", "拡大";
    HintPick => "pick", "選ぶ";
    HintAddNote => "add note", "メモを追加";
    HintApplyFilter => "apply filter", "絞り込む";
    HintCancel => "cancel", "取消";
    HintMore => "more", "続き";
    HintPin => "pin", "固定";
    HintSections => "sections", "セクション";
    HintUnzoom => "unzoom", "拡大解除";
    HintHelp => "help", "ヘルプ";
    // Help screen and pickers.
    HelpTitle => " Help: keys from the active keymap ", " ヘルプ: 有効なキーマップのキー ";
    HelpRange => "{}-{} of {}", "{}-{} / {}";
    HelpNoKeys => "no key bindings are loaded", "キー割り当てが読み込まれていません";
    HelpFaults => "Failing now ({}): the last reason of each", "取得に失敗中（{} 件）: それぞれの直近の理由";
    HelpFaultSince => "since {}", "{} から";
    PickTitle => " Pick: {}", " 選択: {}";
    PickPinnedCount => " · {} pinned", " · {} 件固定";
    PickNoResources => "this pane lists no resources yet", "このペインにはまだリソースがありません";
    PickNoMatch => "no resource matches the filter", "条件に合うリソースはありません";
    PinnedNote => "pinned {}/{}", "固定 {}/{}";
    PinnedBadHidden => " · {} WARN/CRIT hidden", " · 警告/危険 {} 件非表示";
    SectionPickTitle => " Pick a runbook section", " ランブックのセクションを選択";
    SectionPickFor => " for {}", "（{}）";
    SectionNoRunbooks => "no runbooks are loaded", "ランブックが読み込まれていません";
    SectionNoMatch => "no section matches the filter", "条件に合うセクションはありません";
    FilterLabel => " filter: ", " 絞り込み: ";
    FilterChange => "  ({} to change)", "  （{} で変更）";
    FilterBy => " {} filter by {}", " {} で{}を絞り込み";
    FilterByName => "name", "名前";
    FilterByTitle => "title", "タイトル";
    CountOf => "{} of {}", "{} / {}";
    OneStep => "1 step · ", "1 手順 · ";
    NSteps => "{} steps · ", "{} 手順 · ";
    // Alarms pane.
    AlarmsFiring => "{} firing", "発報 {}";
    AlarmsNoneFiring => " 0 firing / {}", " 発報 0 / {}";
    AlarmsNone => "no alarms in the profile", "プロファイルにアラームがありません";
    AlarmSince => "since {}", "{} から";
    AlarmLeft => "{} left", "残り {}";
    AlarmOverdue => "OVERDUE {}", "期限超過 {}";
    // Logs pane.
    LogPaused => "PAUSED", "一時停止";
    LogNewSincePause => " +{} new", " 新着 {}";
    LogFollow => "FOLLOW", "追従中";
    LogNoLines => "no log lines yet", "ログはまだありません";
    LogNoMatch => "no lines match {}", "{} に一致する行はありません";
    // Metric panes.
    NoBaseline => "no baseline", "比較基準なし";
    Surge => "SURGE", "急増";
    Drop => "DROP", "急減";
    PossibleAttack => "possible attack", "攻撃の可能性";
    PossibleOutage => "possible outage", "障害の可能性";
    Yesterday => "yesterday {}", "前日 {}";
    NoAurora => "no Aurora instances", "Aurora インスタンスなし";
    NoDynamo => "no DynamoDB tables", "DynamoDB テーブルなし";
    NoLambda => "no Lambda functions", "Lambda 関数なし";
    Throttles => "throttles {}", "スロットル {}";
    ThrottlesPerMin => "{} throttles/min", "スロットル {}/min";
    Conn => "{} conn", "接続 {}";
    Read => "read", "読取";
    Write => "write", "書込";
    OfProvisioned => "{}% of provisioned", "プロビジョンド比 {}%";
    UnitsPerSec => "{} units/s", "{} units/s";
    // Runbook panel.
    RbStepsDone => "{}/{} done", "{}/{} 完了";
    RbSkipped => ", {} skipped", "、{} スキップ";
    RbSectionNotLoaded => "runbook section {} is not loaded", "ランブックのセクション {} は読み込まれていません";
    RbNoSection => "no runbook section for this alarm", "このアラームのランブックセクションはありません";
    RbPickHint => ": pick a section from the loaded runbooks", ": 読み込み済みのランブックからセクションを選ぶ";
    RbLinesAbove => "  ↑ {} lines above", "  ↑ 上に {} 行";
    RbSelectHint => "select an alarm and press {} to open its runbook",
        "アラームを選んで {} でランブックを開く";
    RbTopFiring => "top firing: ", "最優先の発報: ";
    RbStateFor => "{} for {}", "{}（{} 継続）";
    RbFiredAgo => " (fired {} ago)", "（{} 前に発報）";
    RbSection => "section: ", "セクション: ";
    RbEscalateMet => "escalate: {} — met since {}", "エスカレーション: {} — {} から該当";
    RbNow => "now {}", "現在 {}";
    RbHolding => ", holding {} of {}", "、{} / {} 継続";
    RbWatching => "watching: {}", "監視中: {}";
    RbConfirmByHand => "confirm by hand: {}", "手動で確認: {}";
    RbNoSteps => "this section lists no steps", "このセクションには手順がありません";
    RbEscalateWhen => "Escalate when:", "エスカレーション条件:";
    RbNote => "note: ", "メモ: ";
    RbCopyN => "copy a command ({}, again for the next)", "コマンドをコピー（{} 件、もう一度で次へ）";
    RbCopyOne => "copy the command", "コマンドをコピー";
    RbNextChoice => "next choice · {}: follow it", "次の選択肢 · {}: 進む";
    RbChoose => "choose", "選ぶ";
    RbWarning => "runbook {}", "ランブック {}";
    RbWarningAt => "runbook {}: line {}: {}", "ランブック {}: {} 行目: {}";
    // Deploy watch (gates row, deploy markers, since-deploy comparison).
    DeployNoGates => "no rollback gates", "ロールバック判定なし";
    DeployTitle => "Rollback gates", "ロールバック判定";
    DeployAt => "deploy {} UTC, {} ago", "デプロイ {} UTC（{} 前）";
    DeployNone => "no deploy known: {} marks one now, or start with --deploy-start TIME", "デプロイ不明: {} で今を記録、または --deploy-start TIME で起動";
    DeployRolledBack => "rolled back {}", "{} にロールバック済み";
    DeployDetectFailing => "deploy detection failing since {}", "デプロイ検出が {} から失敗中";
    DeployMarkedFlash => "deploy marked at {} UTC", "デプロイを {} UTC に記録";
    DeployCompareOn => "comparing since the deploy with the same span before it", "デプロイ後を直前の同じ長さと比較中";
    DeployCompareOff => "comparison off", "比較を終了";
    DeployCompareNoDeploy => "compare: no deploy known yet (mark one with mark-deploy)", "比較: デプロイ不明（mark-deploy で記録）";
    GateOk => "ok", "正常";
    GateNoData => "no data", "データなし";
    GateNoDataSince => "no data since {}", "{} 以降データなし";
    GateNoNormal => "no normal yet", "平常値なし";
    GateBreach => "breach {}", "超過 {}";
    GateRollbackIn => "rollback in {}", "ロールバックまで {}";
    GateRollbackExpected => "ROLLBACK EXPECTED", "ロールバック見込み";
    GateRollbackShort => "ROLLBACK", "ロールバック";
    GateLeftShort => "{} left", "残り {}";
    GateFor => "for {}", "{} 継続";
    GateWithin => "in {}", "{} 以内";
    GateTimesNormal => "{}× normal {}", "平常の {} 倍（{}）";
    GateWarnings => "manual rollback", "手動ロールバック";
    GateConsider => "consider rollback", "ロールバック検討";
    CompareSince => "since deploy {}", "デプロイ後 {}";
    CompareBefore => "before {}", "前 {}";
    CompareAfterShort => "after {}", "後 {}";
    // The daily check.
    CheckTitle => "Daily check", "日次チェック";
    CheckItemRequests => "Request trend", "リクエスト数の推移";
    CheckItemErrorRate => "Error-rate trend", "エラー率の推移";
    CheckItemLatency => "Latency trend (p95)", "レスポンス時間の推移 (p95)";
    CheckItemAlarms => "Alarms fired since yesterday", "昨日からのアラート発生";
    CheckItemPatterns => "New error-log patterns", "新規エラーログパターン";
    CheckWindow => "last 24 h to {} UTC against the 24 h before", "{} UTC までの 24 時間を前日と比較";
    CheckOverall => "overall {}", "総合 {}";
    CheckLooked => "{}/{} looked at", "確認済み {}/{}";
    CheckToday => "today", "今日";
    CheckYesterdayWord => "yesterday", "前日";
    CheckHintMark => "mark looked at", "確認済みにする";
    CheckNoBaseline => "no data yesterday: nothing to compare with", "前日のデータなし: 比較できません";
    CheckNoDataToday => "no data in the last 24 h", "直近 24 時間のデータなし";
    CheckNoDataEither => "no data for either day", "どちらの日もデータなし";
    CheckDaySurge => "{}x yesterday's total: possible attack (over {}x)",
        "前日合計の {} 倍: 攻撃の可能性（{} 倍超）";
    CheckDayDrop => "{}x yesterday's total: possible outage (under {}x)",
        "前日合計の {} 倍: 障害の可能性（{} 倍未満）";
    CheckDayChange => "{} against yesterday (beyond ±{}%)", "前日比 {}（±{}% 超）";
    CheckHourOutside => "the hour from {} UTC: {}x the same hour yesterday",
        "{} UTC からの 1 時間: 前日同時刻の {} 倍";
    CheckOverLine => "{} is past the {} line ({})", "{} が{}ライン（{}）を超過";
    CheckPeak => "peak {} at {} UTC is past the CRIT line", "ピーク {}（{} UTC）が危険ラインを超過";
    CheckRose => "{}x yesterday's ({} → {})", "前日の {} 倍（{} → {}）";
    CheckFiringNow => "in ALARM now: {}", "現在 ALARM: {}";
    CheckFired => "fired in the last 24 h: {}", "直近 24 時間に発報: {}";
    CheckNoneFired => "no alarm fired in the last 24 h", "直近 24 時間の発報なし";
    CheckAlarmFallback => "alarm history unavailable ({}): counted the alarms whose state changed in the last 24 h",
        "アラーム履歴を取得できません（{}）: 直近 24 時間に状態が変わったアラームで数えています";
    CheckNewPatterns => "{} new pattern(s) since yesterday", "前日にないパターン {} 件";
    CheckNewHot => "new and frequent: {} lines of \"{}\"", "新規かつ多発: {} 行の \"{}\"";
    CheckErrorLinesUp => "{}x yesterday's error lines", "エラー行が前日の {} 倍";
    CheckNoNewPatterns => "no new error pattern", "新規エラーパターンなし";
    CheckNothingToNote => "nothing to note", "特記事項なし";
    CheckLimitReached => "{}: the newest {} lines only (the query's limit)", "{}: 最新の {} 行のみ（クエリの上限）";
    CheckCouldNot => "could not check: {}", "確認できません: {}";
    CheckQueries => "Logs Insights", "Logs Insights";
    CheckQueryLine => "{}: {} · {} matched / {} scanned · {} scanned ≈ ${}",
        "{}: {} · 一致 {} / 走査 {} · 走査量 {} ≈ ${}";
    CheckQueryDemo => "demo: the query opsdeck sends to Logs Insights (not sent)",
        "デモ: opsdeck が Logs Insights に送るクエリ（送信していません）";
    CheckQueryNone => "no Logs Insights query (no log groups)", "Logs Insights クエリなし（ロググループなし）";
    CheckNewPatternsTitle => "New error patterns", "新規エラーパターン";
    CheckTopPatterns => "Top error patterns today", "今日の頻出エラーパターン";
    CheckAlarmEvents => "Alarm transitions to ALARM", "ALARM への遷移";
    // War room: presentation mode, banner, redaction, themes.
    WarRedacted => "redacted", "伏せ字";
    WarRedactOn => "redaction on: account IDs, emails, IPs, user IDs and tokens are masked",
        "伏せ字オン: アカウント ID・メール・IP・ユーザー ID・トークンを隠します";
    WarRedactOff => "redaction off: identifiers are shown", "伏せ字オフ: 識別子を表示します";
    WarTheme => "theme: {}", "テーマ: {}";
    WarProduction => "⚠ PRODUCTION", "⚠ 本番環境";
    WarNotProduction => "not production", "本番ではない";
    WarEnvUnset => "environment not set ([environment] in the profile)",
        "環境が未設定（プロファイルの [environment]）";
    WarAccount => "account {}", "アカウント {}";
    WarEndpoint => "⚠ endpoint {} (not AWS)", "⚠ エンドポイント {}（AWS ではない）";
    WarNotAws => "⚠ not AWS", "⚠ AWS ではない";
    WarLeave => "{} normal view", "{} 通常表示";
    WarStep => "step {} of {}", "手順 {}/{}";
    WarNoSection => "no runbook section opened for {}", "{} のランブックの節が開かれていません";
    WarRunbook => "Runbook step", "ランブックの手順";
    WarTileRequests => "Requests", "リクエスト";
    WarTileErrors => "Errors", "エラー率";
    WarTileP95 => "p95", "p95";
    WarTileThrottles => "Throttles", "スロットル";
    WarTileAurora => "Aurora", "Aurora";
    WarTileDynamo => "DynamoDB", "DynamoDB";
    // Replay.
    ReplayPlaying => "▶ REPLAY ×{}", "▶ リプレイ ×{}";
    ReplayPaused => "❚❚ PAUSED ×{}", "❚❚ 一時停止中 ×{}";
    ReplayEnded => "■ END OF RECORDING", "■ 録画の終わり";
    ReplayAt => "{} / {} · recorded {} UTC", "{} / {} · 録画 {} UTC";
    ReplayHintPause => "pause", "一時停止";
    ReplayHintPlay => "play", "再生";
    ReplayHintSpeed => "speed", "速度";
    ReplayHintSeek => "±1 min", "±1 分";
}

impl Msg {
    /// The text in `lang` with each `{}` replaced by the next argument, in order.
    pub fn fill(self, lang: Lang, args: &[&dyn Display]) -> String {
        fill(self.text(lang), args)
    }
}

/// Replace each `{}` in `template` with the next argument; extra `{}` stay empty.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        if let Some(a) = args.next() {
            out.push_str(&a.to_string());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// A pane's title.
pub fn pane_title(pane: PaneId, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return pane.title();
    }
    match pane {
        PaneId::Requests => Msg::PaneRequests,
        PaneId::Errors => Msg::PaneErrors,
        PaneId::Latency => Msg::PaneLatency,
        PaneId::Throttles => Msg::PaneThrottles,
        PaneId::Aurora => Msg::PaneAurora,
        PaneId::Dynamo => Msg::PaneDynamo,
        PaneId::Alarms => Msg::PaneAlarms,
        PaneId::Logs => Msg::PaneLogs,
        PaneId::Runbook => Msg::PaneRunbook,
    }
    .text(lang)
}

/// A threshold level's word (`OK`, `WARN`, `CRIT`, `NO DATA`).
pub fn level_word(level: Level, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return level.word();
    }
    match level {
        Level::NoData => Msg::LevelNoData,
        Level::Ok => Msg::LevelOk,
        Level::Warn => Msg::LevelWarn,
        Level::Crit => Msg::LevelCrit,
    }
    .text(lang)
}

/// An alarm state's word (`ALARM` and `OK` stay as AWS writes them).
pub fn state_word(state: AlarmState, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return state.word();
    }
    match state {
        AlarmState::Alarm => Msg::StateAlarm,
        AlarmState::Ok => Msg::StateOk,
        AlarmState::InsufficientData => Msg::StateNoData,
    }
    .text(lang)
}

/// A severity's word (`Critical` ...).
pub fn severity_word(sev: Severity, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return sev.word();
    }
    match sev {
        Severity::Critical => Msg::SevCritical,
        Severity::High => Msg::SevHigh,
        Severity::Medium => Msg::SevMedium,
        Severity::Low => Msg::SevLow,
    }
    .text(lang)
}

/// What a command does, for the help screen. English is `Command::TABLE`'s text; the
/// Japanese match is exhaustive, so a new command without a Japanese text does not compile.
pub fn command_text(c: Command, lang: Lang) -> &'static str {
    match lang {
        Lang::En => c.description(),
        Lang::Ja => match c {
            Command::Quit => "opsdeck を終了",
            Command::FocusNext => "次のペインへ",
            Command::FocusPrev => "前のペインへ",
            Command::FocusAlarms => "アラームペインへ",
            Command::FocusLogs => "ログへ",
            Command::FocusRunbook => "ランブックへ",
            Command::Up => "上へ / さかのぼる",
            Command::Down => "下へ / 先へ進む",
            Command::PageUp => "前のページ",
            Command::PageDown => "次のページ",
            Command::Top => "先頭の項目 / 最も古いログ行へ",
            Command::Bottom => "最後の項目へ / ログを追従",
            Command::Select => {
                "選択中のアラームのランブックを開く / 手順を完了にする / ピッカーで固定"
            }
            Command::Back => "ヘルプやピッカーを閉じる、拡大を戻す、入力を取り消す",
            Command::Zoom => "フォーカス中のペインを全画面に拡大 / 戻す",
            Command::Help => "このヘルプを表示",
            Command::FilterLog => "ログ（またはピッカー）を文字列で絞り込む",
            Command::CycleLevel => "ログレベルの絞り込み: すべて → WARN 以上 → ERROR",
            Command::ClearFilter => "ログの絞り込みを解除（ピッカーではすべて固定解除）",
            Command::PauseLog => "ログの追従を一時停止 / 再開",
            Command::Range1h => "グラフを直近 1 時間に",
            Command::Range3h => "グラフを直近 3 時間に",
            Command::Range24h => "グラフを直近 24 時間に",
            Command::StepDone => "ランブック: 現在の手順を完了にする",
            Command::StepSkip => "ランブック: 現在の手順をスキップ",
            Command::StepUndo => "ランブック: 現在の手順を未実施に戻す",
            Command::Pick => "ペインに表示するリソース（関数、DB インスタンス、テーブル）を選ぶ",
            Command::PickSection => {
                "ランブック: 読み込み済みの全ランブックから進めるセクションを選ぶ"
            }
            Command::Note => "ランブック: 現在の手順にメモを追加",
            Command::Act => {
                "ランブック: 手順の対象を開く（メトリクスペインへ移動、ログを絞り込む）"
            }
            Command::Copy => "ランブック: 手順のコマンドをクリップボードにコピー（もう一度で次）",
            Command::Choose => {
                "ランブック: 手順の分岐やリンクを選ぶ（もう一度で次、select で進む）"
            }
            Command::BackSection => "ランブック: 前のセクションに戻る",
            Command::DeployView => "デプロイ監視: ロールバック判定を表示 / 隠す",
            Command::MarkDeploy => "デプロイ監視: 今をデプロイ時刻として記録",
            Command::Compare => "デプロイ監視: 各ペインをデプロイ後と直前の同じ長さで比較",
            Command::Present => "画面共有用の表示モード / 戻す",
            Command::Redact => {
                "アカウント ID、ARN、メール、IP、ユーザー ID、トークンを伏せる / 表示する"
            }
            Command::Theme => "次の配色テーマ",
            Command::CheckMark => "日次チェック: 選択中の項目を確認済みにする",
            Command::ReplayPause => "リプレイ: 一時停止 / 再開",
            Command::ReplayFaster => "リプレイ: 速く",
            Command::ReplaySlower => "リプレイ: 遅く",
            Command::ReplayForward => "リプレイ: 1 分進める",
            Command::ReplayBack => "リプレイ: 1 分戻す",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn placeholders(s: &str) -> usize {
        s.matches("{}").count()
    }

    #[test]
    fn every_message_has_both_texts_with_the_same_placeholders() {
        for m in Msg::ALL {
            let en = m.text(Lang::En);
            let ja = m.text(Lang::Ja);
            assert!(!en.trim().is_empty(), "{m:?}: empty English text");
            assert!(!ja.trim().is_empty(), "{m:?}: empty Japanese text");
            assert_eq!(
                placeholders(en),
                placeholders(ja),
                "{m:?}: {en:?} and {ja:?} take different arguments"
            );
        }
        for (_, c, en) in Command::TABLE {
            assert_eq!(command_text(c, Lang::En), en);
            assert!(!command_text(c, Lang::Ja).trim().is_empty(), "{c:?}");
        }
    }

    #[test]
    fn english_words_are_the_models_words() {
        for p in PaneId::ALL {
            assert_eq!(pane_title(p, Lang::En), p.title());
            assert!(!pane_title(p, Lang::Ja).is_empty());
        }
        for l in [Level::NoData, Level::Ok, Level::Warn, Level::Crit] {
            assert_eq!(level_word(l, Lang::En), l.word());
        }
        assert_eq!(pane_title(PaneId::Errors, Lang::Ja), "エラー率");
        // AWS's own alarm states stay as the console shows them.
        assert_eq!(state_word(AlarmState::Alarm, Lang::Ja), "ALARM");
        assert_eq!(state_word(AlarmState::Ok, Lang::Ja), "OK");
        // The catalogue's English pane titles are the panes' own.
        assert_eq!(Msg::PaneErrors.text(Lang::En), PaneId::Errors.title());
        assert_eq!(Msg::PaneLogs.text(Lang::En), PaneId::Logs.title());
    }

    #[test]
    fn fill_replaces_in_order() {
        assert_eq!(
            Msg::TooSmall.fill(Lang::En, &[&60, &20, &80, &24]),
            "terminal too small: 60x20, opsdeck needs at least 80x24"
        );
        assert_eq!(fill("{} and {}", &[&1]), "1 and ");
        assert_eq!(fill("no args", &[&1]), "no args");
        assert_eq!(
            Msg::RbSelectHint.fill(Lang::Ja, &[&"Enter"]),
            "アラームを選んで Enter でランブックを開く"
        );
    }

    #[test]
    fn lang_from_env_table() {
        let cases: &[(&[(&str, &str)], Lang)] = &[
            (&[], Lang::En),
            (&[("LANG", "ja_JP.UTF-8")], Lang::Ja),
            (&[("LANG", "C.UTF-8")], Lang::En),
            (&[("LANG", "en_US.UTF-8")], Lang::En),
            (&[("LANG", "ja")], Lang::Ja),
            (&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "C")], Lang::Ja),
            (&[("LC_MESSAGES", "C"), ("LANG", "ja_JP.UTF-8")], Lang::En),
            (&[("LC_ALL", "ja_JP.UTF-8"), ("LANG", "C")], Lang::Ja),
            (
                &[("LC_ALL", "en_US.UTF-8"), ("LC_MESSAGES", "ja_JP.UTF-8")],
                Lang::En,
            ),
            // An empty variable does not count.
            (&[("LC_ALL", ""), ("LANG", "ja_JP.eucJP")], Lang::Ja),
            (&[("LANG", "POSIX")], Lang::En),
        ];
        for (vars, want) in cases {
            let map: HashMap<&str, &str> = vars.iter().copied().collect();
            let got = Lang::from_vars(|k| map.get(k).map(|v| v.to_string()));
            assert_eq!(got, *want, "{vars:?}");
        }
    }

    #[test]
    fn parse_lang() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("ja"), Some(Lang::Ja));
        assert_eq!(Lang::parse("JA"), Some(Lang::Ja));
        assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
    }
}
