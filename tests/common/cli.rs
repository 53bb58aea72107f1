//! The built binary run from the command line with a home of its own, so no user keymap,
//! profile or saved progress from the machine running the tests is read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `opsdeck-{tag}-home-{pid}` under the temp directory, made if missing.
pub fn home(tag: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("opsdeck-{tag}-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// The binary with `home` as HOME (its config directory under it), in English whatever the
/// machine's locale (a Japanese one would switch the UI); no arguments yet.
pub fn command(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    c
}

/// The binary run with `args`, no log file, and the environment variables `vars` on top.
pub fn run(home: &Path, args: &[&str], vars: &[(&str, String)]) -> Output {
    let mut c = command(home);
    c.args(args).args(["--log-file", "/dev/null"]);
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().expect("run opsdeck")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
