//! The operator's runbook progress, saved on every change so that nothing entered is lost: not
//! on quit, not on a crash, not on `kill -9`. One JSON file per data source, written to a
//! temporary file, flushed to disk and renamed over the old one, so a file on disk is always
//! whole. (The full incident journal comes later; this keeps the walk itself safe.)

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::{AppState, Opened};
use crate::model::runbook::Walk;

/// What is saved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub walks: BTreeMap<String, Walk>,
    /// The alarm whose runbook was open: (alarm, section, why).
    pub opened: Option<(String, Option<String>, String)>,
    /// The operator's notes by section (absent in files saved before notes existed).
    #[serde(default)]
    pub notes: BTreeMap<String, Vec<crate::model::runbook::StepNote>>,
}

impl Saved {
    pub fn of(state: &AppState) -> Saved {
        Saved {
            walks: state.walks.clone(),
            opened: state
                .opened
                .as_ref()
                .map(|o| (o.alarm.clone(), o.section.clone(), o.why.clone())),
            notes: state.notes.clone(),
        }
    }

    /// Put saved progress back into a fresh state. Walks whose section no longer exists or
    /// whose step count changed (the runbook was edited) are kept as they are; the panel
    /// copes with a walk shorter or longer than its section.
    pub fn restore(self, state: &mut AppState) {
        state.walks = self.walks;
        state.notes = self.notes;
        state.opened = self.opened.map(|(alarm, section, why)| Opened {
            alarm,
            section,
            why,
        });
        state.progress_rev += 1;
    }
}

/// Where progress for a source is kept: `<data dir>/opsdeck/progress/<source>.json`.
pub fn path_for(source_label: &str) -> Option<PathBuf> {
    let slug = crate::journal::words_slug(source_label);
    dirs::data_dir().map(|d| {
        d.join("opsdeck")
            .join("progress")
            .join(format!("{slug}.json"))
    })
}

/// Load saved progress; a missing file is no progress. A damaged file is an error naming it.
pub fn load(path: &Path) -> Result<Saved, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}, line {}: saved runbook progress is damaged ({e}); move the file away to start afresh",
                path.display(),
                e.line()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(e) => Err(format!("{}: cannot read saved runbook progress: {e}", path.display())),
    }
}

/// Save atomically: write a temporary file beside it, fsync, rename, fsync the directory.
pub fn save(path: &Path, saved: &Saved) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("json.tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(
            serde_json::to_string_pretty(saved)
                .map_err(std::io::Error::other)?
                .as_bytes(),
        )?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::runbook::StepMark;

    #[test]
    fn round_trip_and_damage() {
        let dir = std::env::temp_dir().join(format!("opsdeck-progress-{}", std::process::id()));
        let path = dir.join("p.json");
        assert_eq!(load(&path).unwrap(), Saved::default());
        let mut saved = Saved::default();
        saved.walks.insert(
            "rb#s".into(),
            Walk {
                section: "rb#s".into(),
                marks: vec![StepMark::Done, StepMark::Todo],
                cursor: 1,
                started: 5,
                marked_at: vec![Some(7), None],
            },
        );
        saved.opened = Some(("Alarm".into(), Some("rb#s".into()), "why".into()));
        save(&path, &saved).unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, "{\n  \"walks\": [\n").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.contains("p.json") && err.contains("line"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn notes_are_saved_and_old_files_still_load() {
        let mut saved = Saved::default();
        saved.notes.insert(
            "rb#s".into(),
            vec![crate::model::runbook::StepNote {
                step: 1,
                ts: 60,
                text: "deploy 41 の直後".into(),
            }],
        );
        let json = serde_json::to_string(&saved).unwrap();
        let back: Saved = serde_json::from_str(&json).unwrap();
        assert_eq!(back, saved);
        let old: Saved = serde_json::from_str(r#"{"walks":{},"opened":null}"#).unwrap();
        assert!(old.notes.is_empty());
    }

    #[test]
    fn path_is_per_source() {
        let p = path_for("demo: bad-deploy ×10").unwrap();
        assert!(
            p.ends_with("opsdeck/progress/demo-bad-deploy-10.json"),
            "{p:?}"
        );
    }
}
