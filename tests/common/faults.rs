//! Fault injection through the test proxy (`tests/support/cw_cbor_proxy.py`, see its
//! docstring): rules that fault only the requests signed with one access key, so a test that
//! gives its session a key of its own breaks nothing for the tests sharing the proxy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

/// One HTTP/1.1 request to `base` (`http://host:port`) with `Connection: close`: the status
/// and the body. `Err` when the server cannot be reached.
pub fn http(
    method: &str,
    base: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(host)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The faults set on one proxy for one access key; they are all removed on drop, so a
/// failed test leaves no fault behind.
pub struct Faults {
    pub proxy: String,
    pub key: String,
}

impl Faults {
    pub fn new(proxy: &str, key: &str) -> Faults {
        Faults {
            proxy: proxy.trim_end_matches('/').to_string(),
            key: key.to_string(),
        }
    }

    /// Add a rule (`mode`: throttle, deny, delay, truncate, malformed; `service`: a signing
    /// name such as monitoring, logs, lambda, rds, dynamodb, sts, or "*"), with `extra`
    /// fields (`seconds`, `count`, `operation`, `variant`) merged in.
    pub fn set(&self, mode: &str, service: &str, extra: Value) -> Value {
        let mut rule = json!({"key": self.key, "mode": mode, "service": service});
        if let (Some(r), Some(e)) = (rule.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        let (status, body) = http(
            "POST",
            &self.proxy,
            "/__proxy/faults",
            Some(&rule.to_string()),
        )
        .unwrap_or_else(|e| panic!("set a fault on the proxy {}: {e}", self.proxy));
        assert_eq!(status, 200, "the proxy refused the fault {rule}: {body}");
        serde_json::from_str(&body).expect("the proxy answers the rule as JSON")
    }

    /// Remove every rule of this key.
    pub fn clear(&self) {
        let path = format!("/__proxy/faults?key={}", self.key);
        let (status, body) = http("DELETE", &self.proxy, &path, None)
            .unwrap_or_else(|e| panic!("clear the faults on the proxy {}: {e}", self.proxy));
        assert_eq!(status, 200, "{body}");
    }

    /// The rules in force for this key.
    pub fn active(&self) -> Vec<Value> {
        let (_, body) = http("GET", &self.proxy, "/__proxy/faults", None).unwrap();
        let all: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
        all.into_iter().filter(|r| r["key"] == self.key).collect()
    }
}

impl Drop for Faults {
    fn drop(&mut self) {
        let path = format!("/__proxy/faults?key={}", self.key);
        let _ = http("DELETE", &self.proxy, &path, None);
    }
}
