//! A private AWS emulator for one test: its own `moto_server` and test proxy
//! (`tests/support/cw_cbor_proxy.py`) on ports of their own, seeded with
//! `tests/support/seed.py`, which the test may kill (SIGKILL) and start again on the same
//! ports: an endpoint that dies mid-session and comes back. Or only a proxy of its own in
//! front of the shared, seeded moto ([`Emulator::proxy_for_shared`]): fault rules and a
//! request log of the test's own, whatever version of the proxy the shared emulator runs.
//!
//! It runs the binaries `scripts/aws-emulator.sh start` installs into `.venv-moto/` (the
//! shared emulator of `./scripts/test` has made it by the time the tests run).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::faults::http;
use super::Scratch;

/// How long moto or the proxy may take to answer after being started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_bin(name: &str) -> PathBuf {
    let p = repo().join(".venv-moto").join("bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run ./scripts/test (scripts/aws-emulator.sh start creates .venv-moto/)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// Wait until `GET url_path` on `base` answers 200; panics with `log`'s tail otherwise.
fn wait_ready(base: &str, path: &str, child: &mut Child, log: &Path) {
    let start = Instant::now();
    loop {
        if let Ok((200, _)) = http("GET", base, path, None) {
            return;
        }
        let exited = child.try_wait().ok().flatten();
        if exited.is_some() || start.elapsed() > START_TIMEOUT {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "{base}{path} did not answer (exit: {exited:?}); {}:\n{}",
                log.display(),
                tail.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Emulator {
    /// moto's port (the shared moto's, for [`Emulator::proxy_for_shared`]).
    pub moto_port: u16,
    pub proxy_port: u16,
    /// moto's request recording, which the proxy reads raw metric values from.
    recording: PathBuf,
    dir: Scratch,
    moto: Option<Child>,
    proxy: Option<Child>,
}

impl Emulator {
    /// Start moto and the proxy on fresh ports (scratch files under `opsdeck-{name}-{pid}`)
    /// and seed the account.
    pub fn start(name: &str) -> Emulator {
        let dir = Scratch::new(name);
        let mut e = Emulator {
            moto_port: free_port(),
            proxy_port: free_port(),
            recording: dir.0.join("moto-recording.jsonl"),
            dir,
            moto: None,
            proxy: None,
        };
        e.start_moto();
        e.seed();
        e.start_proxy();
        e
    }

    /// A proxy of this test's own in front of the shared, seeded moto of `./scripts/test`
    /// (`OPSDECK_TEST_MOTO`; its recording sits next to `OPSDECK_TEST_REQUEST_LOG`).
    pub fn proxy_for_shared(name: &str) -> Emulator {
        let moto = super::env("OPSDECK_TEST_MOTO");
        let moto_port = moto
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("OPSDECK_TEST_MOTO={moto}: no port"));
        let shared_log = PathBuf::from(super::env("OPSDECK_TEST_REQUEST_LOG"));
        let recording = shared_log
            .parent()
            .expect("the shared request log's directory")
            .join("moto-recording.jsonl");
        let mut e = Emulator {
            moto_port,
            proxy_port: free_port(),
            recording,
            dir: Scratch::new(name),
            moto: None,
            proxy: None,
        };
        e.start_proxy();
        e
    }

    /// The endpoint for every service (the proxy, which forwards what is not CloudWatch).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.proxy_port)
    }

    pub fn moto_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto_port)
    }

    /// The proxy's request log (one JSON line per request).
    pub fn request_log(&self) -> PathBuf {
        self.dir.0.join("requests.jsonl")
    }

    pub fn start_moto(&mut self) {
        assert!(self.moto.is_none(), "moto is already running");
        let log = self.dir.0.join("moto.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &self.moto_port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", &self.recording)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start moto_server");
        wait_ready(&self.moto_url(), "/moto-api/", &mut child, &log);
        self.moto = Some(child);
    }

    pub fn start_proxy(&mut self) {
        assert!(self.proxy.is_none(), "the proxy is already running");
        let log = self.dir.0.join("proxy.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(venv_bin("python"))
            .arg(repo().join("tests/support/cw_cbor_proxy.py"))
            .args(["--upstream", &self.moto_url()])
            .args(["--port", &self.proxy_port.to_string()])
            .arg("--request-log")
            .arg(self.request_log())
            .arg("--moto-recording")
            .arg(&self.recording)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start the test proxy");
        wait_ready(&self.endpoint(), "/__proxy/health", &mut child, &log);
        self.proxy = Some(child);
    }

    /// Reset moto and seed the known account (directly, not through the proxy).
    pub fn seed(&self) {
        let out = Command::new(venv_bin("python"))
            .arg(repo().join("tests/support/seed.py"))
            .args(["--endpoint", &self.moto_url()])
            .arg("--out")
            .arg(self.dir.0.join("seeded.json"))
            .stdout(Stdio::null())
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// SIGKILL moto: no chance to say goodbye.
    pub fn kill_moto(&mut self) {
        if let Some(mut c) = self.moto.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGKILL the proxy: the endpoint refuses connections.
    pub fn kill_proxy(&mut self) {
        if let Some(mut c) = self.proxy.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill_proxy();
        self.kill_moto();
    }
}
