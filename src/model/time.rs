//! Time as the model sees it: whole seconds since the Unix epoch, UTC.
//!
//! The demo runs on a simulated clock and the AWS source on the wall clock; the model only ever
//! sees `Ts` values and never asks the system for the time itself.

/// Seconds since the Unix epoch (UTC).
pub type Ts = i64;

/// One CloudWatch-style period: one minute.
pub const MINUTE: Ts = 60;
pub const HOUR: Ts = 3600;
pub const DAY: Ts = 86_400;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS` (UTC) of a timestamp.
pub fn hms(ts: Ts) -> String {
    let s = ts.rem_euclid(DAY);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `HH:MM` (UTC) of a timestamp.
pub fn hm(ts: Ts) -> String {
    let s = ts.rem_euclid(DAY);
    format!("{:02}:{:02}", s / 3600, (s / 60) % 60)
}

/// A duration in seconds as a short human string: `45s`, `12m05s`, `3h07m`, `2d04h`.
/// Negative durations get a leading `-`.
pub fn short_duration(secs: i64) -> String {
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h{:02}m", s / 3600, (s / 60) % 60)
    } else {
        format!("{}d{:02}h", s / 86_400, (s / 3600) % 24)
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// Floor a timestamp to the start of its period.
pub fn align(ts: Ts, period: Ts) -> Ts {
    ts - ts.rem_euclid(period)
}

/// Parse a duration such as `90s`, `15m`, `2h`, `1h30m`, `1d` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Ts, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty duration (expected e.g. 90s, 15m, 2h, 1h30m)".into());
    }
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("`{t}`: unknown unit `{c}` (expected s, m, h or d)")),
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{t}`: expected a number before `{c}`"))?;
        total += n * unit;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!(
            "`{t}`: a number without a unit at the end (expected s, m, h or d)"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(hms(3600 * 10 + 42 * 60 + 7), "10:42:07");
        assert_eq!(short_duration(45), "45s");
        assert_eq!(short_duration(725), "12m05s");
        assert_eq!(short_duration(-725), "-12m05s");
        assert_eq!(short_duration(3 * 3600 + 7 * 60), "3h07m");
        assert_eq!(align(125, 60), 120);
        assert_eq!(align(-5, 60), -60);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("120").unwrap(), 120);
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("5m3").is_err());
    }
}
