//! The real binary in a real pseudo-terminal, driven by keys, its screen read back through a
//! terminal emulator (vt100) and every byte it wrote kept.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

use super::Scratch;

pub struct Session {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    _dir: Option<Scratch>,
}

/// The binary with `args`, `home` as HOME and working directory (config and data directories
/// live under it) and its log in `home/opsdeck.log`.
pub fn command(home: &Path, args: &[&str]) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(args);
    cmd.arg("--log-file");
    cmd.arg(home.join("opsdeck.log"));
    cmd.env("TERM", "xterm-256color");
    // No user keymap, profile or saved progress from the machine running the tests.
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_STATE_HOME", home.join("state"));
    // English whatever the machine's locale (a Japanese one would switch the UI).
    cmd.env("LANG", "C.UTF-8");
    cmd.env_remove("LC_ALL");
    cmd.env_remove("LC_MESSAGES");
    cmd.cwd(home);
    cmd
}

impl Session {
    /// Start in a scratch home (see [`Scratch`]) that goes with the session.
    pub fn start(name: &str, args: &[&str], cols: u16, rows: u16) -> Session {
        let dir = Scratch::new(name);
        let mut s = Session::start_in(&dir.0, args, cols, rows);
        s._dir = Some(dir);
        s
    }

    /// Start with `home` as HOME (see [`command`]).
    pub fn start_in(home: &Path, args: &[&str], cols: u16, rows: u16) -> Session {
        Session::spawn(command(home, args), cols, rows)
    }

    /// Run `cmd` in a `cols`×`rows` pseudo-terminal.
    pub fn spawn(cmd: CommandBuilder, cols: u16, rows: u16) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("spawn opsdeck");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s2, r2) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s2.lock().unwrap().process(&buf[..n]);
                r2.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session {
            child,
            master: pair.master,
            writer,
            screen,
            raw,
            _dir: None,
        }
    }

    pub fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Wait until the screen satisfies `pred`; panics with the screen on timeout.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if pred(&t) {
                return t;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{t}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // let the reader drain the last bytes
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("opsdeck did not exit; screen:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every byte the binary wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }
}

impl Drop for Session {
    /// A failed test must not leave a console running behind it.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `needle` occurs in `hay` (raw terminal output).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The terminal was put back: alternate screen left, cursor shown, mouse released, after the
/// last time they were switched on.
pub fn assert_restored(raw: &[u8]) {
    let left = rfind(raw, b"\x1b[?1049l").expect("left the alternate screen");
    let entered = rfind(raw, b"\x1b[?1049h").expect("entered the alternate screen");
    assert!(
        left > entered,
        "the alternate screen was left after it was entered"
    );
    let shown = rfind(raw, b"\x1b[?25h").expect("cursor shown again");
    assert!(shown > entered);
    if let Some(mouse_on) = rfind(raw, b"\x1b[?1000h") {
        let mouse_off = rfind(raw, b"\x1b[?1000l").expect("mouse capture released");
        assert!(mouse_off > mouse_on);
    }
}
