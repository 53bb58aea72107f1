//! Redaction: masking account IDs, ARNs' account part, emails, IP addresses, user IDs, tokens
//! and keys in text before it is drawn. Pure, no I/O.
//!
//! Masking is character for character: every masked character becomes [`MASK`] (`•`), one per
//! display cell, so a redacted line is exactly as wide as the original and columns stay put.
//! What keeps a masked value readable is left in place: the `@` of an email and its first
//! letter, the dots of an IPv4 address, the colons of an IPv6 address, the `AKIA` of an access
//! key ID, the `eyJ` and dots of a JWT, the key of a `password=` pair, everything of an ARN but
//! its account.
//!
//! | what | example | shown as |
//! |---|---|---|
//! | account ID (12 digits, or `1234-5678-9012`) | `123456789012` | `••••••••••••` |
//! | ARN account part (not `aws`) | `arn:aws:sqs:us-east-1:123456789012:q` | `arn:aws:sqs:us-east-1:••••••••••••:q` |
//! | email | `alice@example.com` | `a••••@•••••••••••` |
//! | IPv4 (and `ip-10-0-0-1` host names) | `10.0.12.34` | `••.•.••.••` |
//! | IPv6 | `fe80::1ff:fe23:4567:890a` | `••••::•••:••••:••••:••••` |
//! | AWS access key ID (`AKIA`, `ASIA`, `AROA`, ...) | `AKIAIOSFODNN7EXAMPLE` | `AKIA••••••••••••••••` |
//! | secret-looking base64 (32+ chars, upper, lower, digits) | an AWS secret key | all `•` |
//! | JWT and base64 JSON (`eyJ...`) | `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc` | `eyJ•••••••••••••••••.•••••••••••••••.•••` |
//! | bearer token | `Bearer abc.def-123` | `Bearer •••••••••••` |
//! | URL credentials | `https://bob:pw@db.example.com` | `https://••••••@••••••••••••••` |
//! | secret values (`password`, `secret`, `token`, `api_key`, `authorization`, `cookie`, `signature`, `credential`, `*_token`...) | `password=hunter2` | `password=•••••••` |
//! | user values (`user`, `user_id`, `userId`, `username`, `sub`, `principalId`, `identityId`, `account_id`, `email`, `source_ip`, `session_id`...) | `"sub":"7d0c…"` | `"sub":"••••…"` |
//!
//! User keys count only in `key=value` form or as a quoted (JSON) key, so prose such as
//! `user: login failed` is left alone; secret keys count in every form (`password: x` too).
//! UUIDs on their own (Lambda request IDs, trace IDs) are kept: an incident needs them to
//! correlate lines, and they say nothing about a person. A UUID is masked when it is the value
//! of a user key (a Cognito `sub`, a `userId`). Timestamps, durations, percentages, version
//! numbers, epoch seconds and milliseconds and git commit hashes are never masked.

use std::borrow::Cow;
use std::ops::Range;

use unicode_width::UnicodeWidthChar;

/// What a masked character is drawn as.
pub const MASK: char = '•';

/// The kind of a sensitive stretch of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AccountId,
    ArnAccount,
    Email,
    Ipv4,
    Ipv6,
    AccessKey,
    Secret,
    Jwt,
    Bearer,
    UrlCredentials,
    /// The value of a secret key (`password=`, `token=`...).
    SecretValue,
    /// The value of a user key (`user_id=`, `"sub":`...).
    UserValue,
}

/// One sensitive stretch: its kind and its range in characters (not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub range: Range<usize>,
}

impl Kind {
    /// Characters of a match left visible: `i` is the position in the match.
    fn keeps(self, i: usize, c: char) -> bool {
        match self {
            Kind::AccountId => c == '-',
            Kind::Email => i == 0 || c == '@',
            Kind::Ipv4 => c == '.' || c == '-',
            Kind::Ipv6 => c == ':' || c == '.',
            Kind::AccessKey => i < 4,
            Kind::Jwt => i < 3 || c == '.',
            _ => false,
        }
    }
}

/// `text` with everything sensitive masked (borrowed when nothing is).
pub fn redact(text: &str) -> Cow<'_, str> {
    if !worth_scanning(text) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mask = mask_chars(&chars);
    if !mask.iter().any(|m| *m) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for (c, m) in chars.iter().zip(&mask) {
        if *m {
            // One mask per display cell: the line keeps its width.
            for _ in 0..UnicodeWidthChar::width(*c).unwrap_or(0) {
                out.push(MASK);
            }
        } else {
            out.push(*c);
        }
    }
    Cow::Owned(out)
}

/// `text` masked when `on`, else as it is.
pub fn redact_if(on: bool, text: &str) -> Cow<'_, str> {
    if on {
        redact(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether anything in `text` would be masked.
pub fn is_sensitive(text: &str) -> bool {
    matches!(redact(text), Cow::Owned(_))
}

/// Which characters of `chars` to mask.
pub fn mask_chars(chars: &[char]) -> Vec<bool> {
    let mut mask = vec![false; chars.len()];
    for f in find_chars(chars) {
        for i in f.range.clone() {
            if let (Some(m), Some(c)) = (mask.get_mut(i), chars.get(i)) {
                if !f.kind.keeps(i - f.range.start, *c) {
                    *m = true;
                }
            }
        }
    }
    mask
}

/// Every sensitive stretch of `text`, by kind (ranges in characters; they may overlap).
pub fn find(text: &str) -> Vec<Found> {
    let chars: Vec<char> = text.chars().collect();
    find_chars(&chars)
}

/// [`find`] over characters.
pub fn find_chars(cs: &[char]) -> Vec<Found> {
    let mut out = Vec::new();
    if cs.len() < 3 {
        return out;
    }
    account_ids(cs, &mut out);
    arns(cs, &mut out);
    url_credentials(cs, &mut out);
    emails(cs, &mut out);
    ipv4(cs, &mut out);
    ipv6(cs, &mut out);
    access_keys(cs, &mut out);
    long_secrets(cs, &mut out);
    jwts(cs, &mut out);
    bearer(cs, &mut out);
    key_values(cs, &mut out);
    out
}

/// Anything that could match has a digit, `@`, `=` or `:` (keys and URLs), or is long.
fn worth_scanning(text: &str) -> bool {
    text.len() >= 3
        && (text.len() >= 20
            || text
                .bytes()
                .any(|b| b.is_ascii_digit() || matches!(b, b'@' | b'=' | b':')))
}

// ---------------------------------------------------------------------------------------------
// Character classes and small helpers

fn at(cs: &[char], i: usize) -> Option<char> {
    cs.get(i).copied()
}

fn is_digit(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}

fn is_alnum(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The character before `i` (none at the start).
fn before(cs: &[char], i: usize) -> Option<char> {
    i.checked_sub(1).and_then(|j| at(cs, j))
}

/// The end of the run of characters from `i` on that satisfy `f`.
fn run_end(cs: &[char], i: usize, f: impl Fn(char) -> bool) -> usize {
    let mut e = i;
    while e < cs.len() && f(cs[e]) {
        e += 1;
    }
    e
}

/// Does `cs[i..]` start with `word` (ASCII, case-insensitive)?
fn starts_with_ci(cs: &[char], i: usize, word: &str) -> bool {
    let n = word.chars().count();
    i + n <= cs.len()
        && cs[i..i + n]
            .iter()
            .zip(word.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

fn push(out: &mut Vec<Found>, kind: Kind, range: Range<usize>) {
    if range.start < range.end {
        out.push(Found { kind, range });
    }
}

// ---------------------------------------------------------------------------------------------
// The rules

/// Is `i..e` part of a hex ID such as a UUID (`...-bc4e-738811753005`) or an X-Ray trace ID:
/// a word of hex digits and dashes, with a hex letter, between non-alphanumerics?
fn in_hex_id(cs: &[char], i: usize, e: usize) -> bool {
    let hexish = |c: char| c.is_ascii_hexdigit() || c == '-';
    let mut s = i;
    while s > 0 && hexish(cs[s - 1]) {
        s -= 1;
    }
    let e = run_end(cs, e, hexish);
    e - s > 12
        && cs[s..e].iter().any(|c| c.is_ascii_alphabetic())
        && !is_alnum(before(cs, s))
        && !is_alnum(at(cs, e))
}

/// Exactly 12 digits between non-digits (not inside a hex ID), or `1234-5678-9012`.
fn account_ids(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < cs.len() {
        if !cs[i].is_ascii_digit() || is_digit(before(cs, i)) {
            i += 1;
            continue;
        }
        let e = run_end(cs, i, |c| c.is_ascii_digit());
        if e - i == 12 && !in_hex_id(cs, i, e) {
            push(out, Kind::AccountId, i..e);
        } else if e - i == 4 {
            // 1234-5678-9012
            let e2 = run_end(cs, e + 1, |c| c.is_ascii_digit());
            let e3 = run_end(cs, e2 + 1, |c| c.is_ascii_digit());
            if at(cs, e) == Some('-') && e2 == e + 5 && at(cs, e2) == Some('-') && e3 == e2 + 5 {
                push(out, Kind::AccountId, i..e3);
                i = e3;
                continue;
            }
        }
        i = e;
    }
}

/// Characters that end an ARN field.
fn arn_stop(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '<' | '>' | '`' | '|')
}

/// `arn:aws...:service:region:ACCOUNT:...`: the account field, unless it is `aws`.
fn arns(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 4 < cs.len() {
        if !starts_with_ci(cs, i, "arn:aws") || is_alnum(before(cs, i)) {
            i += 1;
            continue;
        }
        // Skip partition, service and region.
        let mut p = i + 4;
        let mut ok = true;
        for _ in 0..3 {
            match (p..cs.len()).find(|&j| cs[j] == ':' || arn_stop(cs[j])) {
                Some(j) if cs[j] == ':' => p = j + 1,
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            let e = run_end(cs, p, |c| c != ':' && c != '/' && !arn_stop(c));
            let account: String = cs[p..e].iter().collect();
            if account != "aws" {
                push(out, Kind::ArnAccount, p..e);
            }
            i = e.max(i + 1);
        } else {
            i += 4;
        }
    }
}

/// `scheme://user:password@host`: the user and password.
fn url_credentials(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 3 < cs.len() {
        if cs[i] == ':' && cs[i + 1] == '/' && cs[i + 2] == '/' && is_alnum(before(cs, i)) {
            let s = i + 3;
            let e = run_end(cs, s, |c| {
                !(c.is_whitespace() || matches!(c, '/' | '@' | '"' | '\'' | '<' | '>' | '?' | '#'))
            });
            if at(cs, e) == Some('@') && e > s {
                push(out, Kind::UrlCredentials, s..e);
            }
            i = e.max(s);
        } else {
            i += 1;
        }
    }
}

fn email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn email_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// `local@domain.tld` (the domain has a dot and ends in two or more letters).
fn emails(cs: &[char], out: &mut Vec<Found>) {
    for (i, &c) in cs.iter().enumerate() {
        if c != '@' {
            continue;
        }
        let mut s = i;
        while s > 0 && email_local(cs[s - 1]) {
            s -= 1;
        }
        while s < i && cs[s] == '.' {
            s += 1;
        }
        if s == i {
            continue;
        }
        let mut e = run_end(cs, i + 1, email_domain);
        while e > i + 1 && matches!(cs[e - 1], '.' | '-') {
            e -= 1;
        }
        let domain = &cs[i + 1..e];
        let Some(dot) = domain.iter().rposition(|c| *c == '.') else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if dot == 0 || tld.len() < 2 || !tld.iter().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        push(out, Kind::Email, s..e);
    }
}

/// Four octets 0..=255 separated by `sep` from `i`: the end, if so.
fn octets(cs: &[char], i: usize, sep: char) -> Option<usize> {
    let mut p = i;
    for k in 0..4 {
        if k > 0 {
            if at(cs, p) != Some(sep) {
                return None;
            }
            p += 1;
        }
        let e = run_end(cs, p, |c| c.is_ascii_digit());
        if e == p || e - p > 3 {
            return None;
        }
        let v: u32 = cs[p..e].iter().collect::<String>().parse().ok()?;
        if v > 255 {
            return None;
        }
        p = e;
    }
    Some(p)
}

/// Dotted IPv4 addresses (not a version such as `v1.2.3.4`, not part of a longer dotted
/// number), and EC2 host names `ip-10-0-0-1`.
fn ipv4(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < cs.len() {
        let prev = before(cs, i);
        if !cs[i].is_ascii_digit() || is_digit(prev) {
            i += 1;
            continue;
        }
        let dotted_ok = prev != Some('.') && !matches!(prev, Some('v' | 'V'));
        if dotted_ok {
            if let Some(e) = octets(cs, i, '.') {
                let more = at(cs, e) == Some('.') && is_digit(at(cs, e + 1));
                if !is_digit(at(cs, e)) && !more {
                    push(out, Kind::Ipv4, i..e);
                    i = e;
                    continue;
                }
            }
        }
        if i >= 3 && starts_with_ci(cs, i - 3, "ip-") && !is_alnum(before(cs, i - 3)) {
            if let Some(e) = octets(cs, i, '-') {
                if !is_digit(at(cs, e)) {
                    push(out, Kind::Ipv4, i..e);
                    i = e;
                    continue;
                }
            }
        }
        i += 1;
    }
}

fn ipv6_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == ':' || c == '.'
}

/// Is `s` an IPv6 address (`::` at most once, 1-4 hex digits a group, eight groups or fewer
/// with `::`, an IPv4 address allowed as the last two)?
fn valid_ipv6(s: &[char]) -> bool {
    let text: String = s.iter().collect();
    let halves: Vec<&str> = text.split("::").collect();
    if halves.len() > 2 || text.contains(":::") {
        return false;
    }
    let mut groups = 0;
    let n_halves = halves.len();
    for (h, half) in halves.iter().enumerate() {
        if half.is_empty() {
            continue;
        }
        let parts: Vec<&str> = half.split(':').collect();
        for (k, p) in parts.iter().enumerate() {
            let last = h == n_halves - 1 && k == parts.len() - 1;
            if p.contains('.') {
                let pc: Vec<char> = p.chars().collect();
                if !last || octets(&pc, 0, '.') != Some(pc.len()) {
                    return false;
                }
                groups += 2;
            } else if p.is_empty() || p.len() > 4 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
                return false;
            } else {
                groups += 1;
            }
        }
    }
    if n_halves == 2 {
        (1..=7).contains(&groups)
    } else {
        groups == 8
    }
}

/// IPv6 addresses between non-word characters.
fn ipv6(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < cs.len() {
        if !ipv6_char(cs[i]) || before(cs, i).is_some_and(ipv6_char) {
            i += 1;
            continue;
        }
        let run_e = run_end(cs, i, ipv6_char);
        let (mut s, mut e) = (i, run_e);
        i = run_e;
        // Punctuation around the address: `addr:fe80::1,` or `(fe80::1).`
        if at(cs, s) == Some(':') && at(cs, s + 1) != Some(':') {
            s += 1;
        }
        while e > s && cs[e - 1] == '.' {
            e -= 1;
        }
        if e > s + 1 && cs[e - 1] == ':' && cs[e - 2] != ':' {
            e -= 1;
        }
        let colons = cs[s..e].iter().filter(|c| **c == ':').count();
        if colons < 2 || is_word(before(cs, s)) || is_word(at(cs, run_e)) {
            continue;
        }
        if valid_ipv6(&cs[s..e]) {
            push(out, Kind::Ipv6, s..e);
        }
    }
}

/// Prefixes of AWS access key IDs and unique IDs (users, roles, groups...).
const KEY_PREFIXES: [&str; 11] = [
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "ABIA", "ACCA",
];

/// `AKIA` and 16 upper-case letters or digits.
fn access_keys(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 20 <= cs.len() {
        let is_key = KEY_PREFIXES
            .iter()
            .any(|p| p.chars().zip(&cs[i..i + 4]).all(|(a, b)| a == *b))
            && cs[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if is_key {
            push(out, Kind::AccessKey, i..i + 20);
            i += 20;
        } else {
            i += 1;
        }
    }
}

fn base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// 32 or more base64 characters (with `=` padding) mixing upper case, lower case and digits:
/// an AWS secret access key, a session token, an API secret. Git hashes (lower-case hex) and
/// words are not.
fn long_secrets(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < cs.len() {
        if !base64_char(cs[i]) {
            i += 1;
            continue;
        }
        let e = run_end(cs, i, base64_char);
        let run = &cs[i..e];
        if run.len() >= 32
            && run.iter().any(|c| c.is_ascii_uppercase())
            && run.iter().any(|c| c.is_ascii_lowercase())
            && run.iter().any(|c| c.is_ascii_digit())
        {
            let mut pe = e;
            while pe < cs.len() && pe < e + 2 && cs[pe] == '=' {
                pe += 1;
            }
            push(out, Kind::Secret, i..pe);
        }
        i = e;
    }
}

fn base64url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `eyJ...` (base64 of a JSON object): a JWT (`header.payload.signature`), or a base64 JSON
/// blob of 20 characters or more.
fn jwts(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 3 <= cs.len() {
        if !(cs[i] == 'e' && cs[i + 1] == 'y' && cs[i + 2] == 'J')
            || before(cs, i).is_some_and(base64url_char)
        {
            i += 1;
            continue;
        }
        let e1 = run_end(cs, i, base64url_char);
        let mut e = e1;
        let mut segments = 1;
        while segments < 3 && at(cs, e) == Some('.') && at(cs, e + 1).is_some_and(base64url_char) {
            e = run_end(cs, e + 1, base64url_char);
            segments += 1;
        }
        if segments == 3 && at(cs, e) == Some('.') {
            // An unsigned JWT ends in a dot.
            e += 1;
        }
        if (segments >= 2 && e1 - i >= 10) || e1 - i >= 20 {
            push(out, Kind::Jwt, i..e);
            i = e;
        } else {
            i = e1.max(i + 1);
        }
    }
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=')
}

/// `Bearer <token>`: the token (8 or more characters that are not an ordinary word).
fn bearer(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 6 < cs.len() {
        if !starts_with_ci(cs, i, "bearer") || is_alnum(before(cs, i)) {
            i += 1;
            continue;
        }
        let s = run_end(cs, i + 6, |c| c == ' ' || c == '\t');
        if s == i + 6 {
            i += 6;
            continue;
        }
        let e = run_end(cs, s, token_char);
        let tok = &cs[s..e];
        let wordy = tok.iter().all(|c| c.is_ascii_lowercase())
            || tok
                .iter()
                .skip(1)
                .all(|c| c.is_ascii_lowercase() && tok[0].is_ascii_alphabetic());
        if tok.len() >= 8 && !wordy {
            push(out, Kind::Bearer, s..e);
        }
        i = e.max(i + 6);
    }
}

/// Keys whose values are secrets, in any form (`key=v`, `key: v`, `"key":"v"`), by their
/// normalised name (lower case, without `_` and `-`).
const SECRET_KEYS: [&str; 16] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "setcookie",
    "signature",
    "credential",
    "credentials",
    "privatekey",
    "secretkey",
    "accesskey",
    "sessionkey",
];

/// Endings that make any key a secret key (`x-api-key`, `aws_secret_access_key`,
/// `refreshToken`, `db_password`).
const SECRET_SUFFIXES: [&str; 6] = [
    "token",
    "secret",
    "password",
    "apikey",
    "secretaccesskey",
    "privatekey",
];

/// Keys whose values identify a person, an account or an address; only in `key=value` form
/// or as a quoted key.
const USER_KEYS: [&str; 28] = [
    "user",
    "userid",
    "username",
    "uid",
    "sub",
    "principal",
    "principalid",
    "identityid",
    "cognitoidentityid",
    "cognitousername",
    "accountid",
    "account",
    "awsaccountid",
    "ownerid",
    "email",
    "emailaddress",
    "mail",
    "phone",
    "phonenumber",
    "ip",
    "ipaddress",
    "sourceip",
    "clientip",
    "remoteaddr",
    "remoteip",
    "xforwardedfor",
    "sessionid",
    "customerid",
];

/// Authentication schemes: the credential after them is the secret.
const SCHEMES: [&str; 6] = [
    "bearer",
    "basic",
    "digest",
    "negotiate",
    "token",
    "aws4-hmac-sha256",
];

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn value_stop(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '&' | '}' | ')' | ']' | '"' | '\'' | '<' | '>' | '|' | '`'
        )
}

/// `(is a key, is a secret key)` for a key as written.
fn key_kind(key: &[char]) -> (bool, bool) {
    let norm: String = key
        .iter()
        .filter(|c| **c != '_' && **c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if norm.is_empty() {
        return (false, false);
    }
    if SECRET_KEYS.contains(&norm.as_str()) || SECRET_SUFFIXES.iter().any(|s| norm.ends_with(s)) {
        return (true, true);
    }
    (USER_KEYS.contains(&norm.as_str()), false)
}

/// The values of secret keys and user keys.
fn key_values(cs: &[char], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < cs.len() {
        if !key_char(cs[i]) || before(cs, i).is_some_and(key_char) {
            i += 1;
            continue;
        }
        let ke = run_end(cs, i, key_char);
        let key_start = i;
        i = ke;
        let (is_key, secret) = key_kind(&cs[key_start..ke]);
        if !is_key {
            continue;
        }
        // key, then an optional closing quote, spaces, `=` or `:`, spaces.
        let mut p = ke;
        let opening = before(cs, key_start);
        let quoted_key = matches!(opening, Some('"' | '\'')) && at(cs, p) == opening;
        if quoted_key {
            p += 1;
        }
        p = run_end(cs, p, |c| c == ' ' || c == '\t');
        let sep = at(cs, p);
        if !matches!(sep, Some('=' | ':')) {
            continue;
        }
        // `==` is a comparison, `::` a path, and so is `a:key:b` (an ARN's fields).
        if at(cs, p + 1) == sep || (sep == Some(':') && before(cs, key_start) == Some(':')) {
            continue;
        }
        // User keys only as `key=value` or a quoted key: not prose such as `user: ...`.
        if !(secret || sep == Some('=') || quoted_key) {
            continue;
        }
        p = run_end(cs, p + 1, |c| c == ' ' || c == '\t');
        let kind = if secret {
            Kind::SecretValue
        } else {
            Kind::UserValue
        };
        let (vs, ve) = match at(cs, p) {
            Some(q @ ('"' | '\'')) => {
                let s = p + 1;
                let mut e = s;
                while e < cs.len() && cs[e] != q {
                    e += if cs[e] == '\\' { 2 } else { 1 };
                }
                (s, e.min(cs.len()))
            }
            Some('{' | '[') | None => continue,
            Some(_) => (p, run_end(cs, p, |c| !value_stop(c))),
        };
        let value: String = cs[vs..ve].iter().collect::<String>().to_ascii_lowercase();
        if matches!(
            value.as_str(),
            "" | "null" | "none" | "true" | "false" | "-"
        ) {
            continue;
        }
        // `Authorization: Bearer xyz`: the scheme stays, the credential after it goes.
        let scheme = SCHEMES
            .iter()
            .find(|s| value == **s || value.starts_with(&format!("{s} ")));
        let (vs, ve) = match scheme {
            Some(s) => {
                let after = vs + s.len();
                let cs_ = run_end(cs, after, |c| c == ' ' || c == '\t');
                let quoted = matches!(at(cs, p), Some('"' | '\''));
                let ce = if quoted {
                    ve
                } else {
                    run_end(cs, cs_, |c| !value_stop(c))
                };
                (cs_, ce)
            }
            None => (vs, ve),
        };
        push(out, kind, vs..ve);
        i = ve.max(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(s: &str) -> String {
        redact(s).into_owned()
    }

    fn w(s: &str) -> usize {
        unicode_width::UnicodeWidthStr::width(s)
    }

    #[test]
    fn masks_what_it_should() {
        let cases: &[(&str, &str)] = &[
            // account IDs
            ("account 123456789012 denied", "account •••••••••••• denied"),
            ("acct=1234-5678-9012.", "acct=••••-••••-••••."),
            ("id123456789012x", "id••••••••••••x"),
            // ARNs
            (
                "arn:aws:lambda:us-east-1:123456789012:function:x",
                "arn:aws:lambda:us-east-1:••••••••••••:function:x",
            ),
            (
                "User: arn:aws:iam::123456789012:user/deploy is not authorized",
                "User: arn:aws:iam::••••••••••••:user/deploy is not authorized",
            ),
            (
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
            ("arn:aws:s3:::my-bucket/key", "arn:aws:s3:::my-bucket/key"),
            (
                "arn:aws-cn:sqs:cn-north-1:00000000000:q",
                "arn:aws-cn:sqs:cn-north-1:•••••••••••:q",
            ),
            // emails
            ("mail alice@example.com now", "mail a••••@••••••••••• now"),
            (
                "<bob.smith+ops@mail.example.co.jp>",
                "<b••••••••••••@••••••••••••••••••>",
            ),
            ("user=carol@x.io,", "user=••••••••••,"),
            // IPv4
            ("from 10.0.12.34:443", "from ••.•.••.••:443"),
            ("client 192.168.1.1.", "client •••.•••.•.•."),
            (
                "host ip-10-0-0-12.ec2.internal",
                "host ip-••-•-•-••.ec2.internal",
            ),
            ("cidr 172.16.0.0/12", "cidr •••.••.•.•/12"),
            // IPv6
            (
                "src fe80::1ff:fe23:4567:890a ok",
                "src ••••::•••:••••:••••:•••• ok",
            ),
            ("addr:2001:db8::1,", "addr:••••:•••::•,"),
            ("[::1]:8080", "[::•]:8080"),
            (
                "1:2:3:4:5:6:7:8 and ::ffff:10.1.2.3",
                "•:•:•:•:•:•:•:• and ::••••:••.•.•.•",
            ),
            // access keys, secrets
            (
                "key AKIAIOSFODNN7EXAMPLE used",
                "key AKIA•••••••••••••••• used",
            ),
            ("ASIAY34FZKBOKMUTVV7A", "ASIA••••••••••••••••"),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here",
                "•••••••••••••••••••••••••••••••••••••••• here",
            ),
            // JWTs, bearer tokens
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-_DEF ok",
                "jwt eyJ•••••••••••••••••.•••••••••••••••.•••••••• ok",
            ),
            (
                "Authorization: Bearer abc123.def-456",
                "Authorization: Bearer ••••••••••••••",
            ),
            (
                "\"authorization\":\"Basic dXNlcjpwYXNz\"",
                "\"authorization\":\"Basic ••••••••••••\"",
            ),
            // key = value
            ("password=hunter2 ok", "password=••••••• ok"),
            ("db_password: s3cr3t!", "db_password: •••••••"),
            ("token=abc&next=1", "token=•••&next=1"),
            ("\"secret\": \"x y z\"", "\"secret\": \"•••••\""),
            ("X-Api-Key: k-123", "X-Api-Key: •••••"),
            ("\"X-Api-Key\": \"k1\"", "\"X-Api-Key\": \"••\""),
            ("2001:db8::1", "••••:•••::•"),
            ("user_id=42 done", "user_id=•• done"),
            ("{\"userId\":\"u-981\"}", "{\"userId\":\"•••••\"}"),
            (
                "\"sub\":\"7d0c1a2e-3f4b-4c5d-8e9f-0a1b2c3d4e5f\"",
                "\"sub\":\"••••••••••••••••••••••••••••••••••••\"",
            ),
            ("cognito:username=alice", "cognito:username=•••••"),
            (
                "https://bob:pw@db.example.com/x",
                "https://••••••@••••••••••••••/x",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&r(input), want, "redacting {input:?}");
            assert_eq!(w(&r(input)), w(input), "width of {input:?}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "2024-01-15T10:00:00.123Z GET /v1/price 200 12ms",
            "10:00:00 UTC · 1h · 3h · 24h",
            "12m05s left · OVERDUE 3m10s · 1h30m",
            "error rate 6.1% (5xx 4.8%) p95 2.31s p99 4.8s 99.95%",
            "v1.2.3 and 1.2.3 and 10.0.19041.1 and v2.4.0.1 and 1.2.3.4.5",
            "REPORT RequestId: 8f5e6a7b-1c2d-4e3f-9a8b-7c6d5e4f3a2b Duration: 123.45 ms",
            "END RequestId: 6f27a9dd-5965-49be-bc4e-738811753005",
            "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            "trace 1-67891233-abcdef012345678912345678",
            "Billed Duration: 124 ms Memory Size: 128 MB Max Memory Used: 88 MB",
            "epoch 1700000000 ms 1700000000123 commit 3f2a9c8e1b7d6f5e4a3b2c1d0e9f8a7b6c5d4e3f",
            "1,252 req/min ×0.98 · yesterday 1,270 · throttles 14/min",
            "crypto-watch-api 98/100 ▕████▉▏ R 62/50 W 12/25",
            "user: login failed for the 3rd time; token expired, session closed",
            "Bearer token missing · basic authentication failed",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "crate::model::alarm · std::vec · a == b · 12:34:56",
            "/aws/lambda/crypto-watch-api · HTTP/1.1 · TLSv1.3 · ISO 8601",
            "在庫更新エラーアラームの確認 (5分以内)",
            "count=12 duration_ms=340 status=500 level=ERROR",
            "",
            "ab",
        ] {
            assert_eq!(r(s), s, "changed {s:?}: {:?}", find(s));
        }
    }

    #[test]
    fn kinds_are_reported() {
        let found = find("x 123456789012 a@b.io 10.0.0.1 AKIAIOSFODNN7EXAMPLE");
        let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
        for k in [Kind::AccountId, Kind::Email, Kind::Ipv4, Kind::AccessKey] {
            assert!(kinds.contains(&k), "{k:?} in {found:?}");
        }
        assert!(is_sensitive("ip 10.0.0.1"));
        assert!(!is_sensitive("ip unknown"));
        assert_eq!(redact_if(false, "10.0.0.1"), "10.0.0.1");
        assert_eq!(redact_if(true, "10.0.0.1"), "••.•.•.•");
    }

    // -----------------------------------------------------------------------------------------
    // Properties

    fn account_id() -> impl Strategy<Value = String> {
        "[0-9]{12}"
    }

    fn email() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9._+-]{0,12}@[a-z0-9]{1,10}(\\.[a-z0-9-]{1,8})?\\.[a-z]{2,6}"
    }

    fn access_key() -> impl Strategy<Value = String> {
        "(AKIA|ASIA|AROA|AIDA)[A-Z2-7]{16}"
    }

    fn ipv4_addr() -> impl Strategy<Value = String> {
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
    }

    fn ipv6_addr() -> impl Strategy<Value = String> {
        prop::collection::vec(0u16..=0xffff, 8).prop_flat_map(|g| {
            (0usize..8, 1usize..4).prop_map(move |(at, n)| {
                let full: Vec<String> = g.iter().map(|x| format!("{x:x}")).collect();
                if at + n >= 8 {
                    full.join(":")
                } else {
                    // Compress `n` groups at `at` into `::`.
                    let head = full[..at].join(":");
                    let tail = full[at + n..].join(":");
                    format!("{head}::{tail}")
                }
            })
        })
    }

    fn secret_key() -> impl Strategy<Value = String> {
        "[A-Z][a-z][0-9][A-Za-z0-9/+]{37}"
    }

    fn jwt() -> impl Strategy<Value = String> {
        "eyJ[A-Za-z0-9_-]{10,30}\\.eyJ[A-Za-z0-9_-]{5,40}\\.[A-Za-z0-9_-]{10,43}"
    }

    /// Text around a secret: words, numbers and punctuation, then a separator.
    fn surroundings() -> impl Strategy<Value = (String, String)> {
        let words = "[A-Za-z0-9 .:,/=%()-]{0,30}";
        let seps = prop::sample::select(vec![
            " ", ", ", ": ", "=", "\"", "'", "(", "[", "<", "\t", " | ", "; ",
        ]);
        (words, seps.clone(), seps, words)
            .prop_map(|(a, s1, s2, b)| (format!("{a}{s1}"), format!("{}{b}", closing(s2))))
    }

    fn closing(s: &str) -> &str {
        match s {
            "(" => ")",
            "[" => "]",
            "<" => ">",
            "=" | ": " => " ",
            other => other,
        }
    }

    fn assert_gone(secret: &str, pre: &str, post: &str) -> Result<(), TestCaseError> {
        let text = format!("{pre}{secret}{post}");
        let out = redact(&text);
        prop_assert!(
            !out.contains(secret),
            "{secret:?} survived in {out:?} (from {text:?})"
        );
        prop_assert_eq!(w(&out), w(&text), "width changed");
        // Nothing left that still looks sensitive: masking again changes nothing.
        let again = redact(&out);
        prop_assert_eq!(again.as_ref(), out.as_ref(), "not idempotent");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn account_ids_never_survive(id in account_id(), (pre, post) in surroundings()) {
            // Digits next to the ID would make it another number: the surroundings end and
            // start with a separator.
            assert_gone(&id, &pre, &post)?;
        }

        #[test]
        fn arn_accounts_never_survive(id in account_id(), svc in "[a-z]{2,10}", res in "[a-z][a-z/-]{0,19}(:[a-z0-9-]{1,10})?", (pre, post) in surroundings()) {
            let arn = format!("arn:aws:{svc}:us-east-1:{id}:{res}");
            assert_gone(&id, &format!("{pre}arn:aws:{svc}:us-east-1:"), &format!(":{res}{post}"))?;
            // Alone, everything but the account stays readable.
            let masks = "•".repeat(12);
            prop_assert_eq!(redact(&arn).into_owned(), format!("arn:aws:{svc}:us-east-1:{masks}:{res}"));
        }

        #[test]
        fn emails_never_survive(e in email(), (pre, post) in surroundings()) {
            assert_gone(&e, &pre, &post)?;
            let out = redact(&format!("{pre}{e}{post}")).into_owned();
            // The domain never survives either.
            let domain = e.split('@').nth(1).unwrap_or_default();
            prop_assert!(!out.contains(&format!("@{domain}")), "{out}");
        }

        #[test]
        fn ip_addresses_never_survive(v4 in ipv4_addr(), v6 in ipv6_addr(), (pre, post) in surroundings()) {
            assert_gone(&v4, &pre, &post)?;
            assert_gone(&v6, &pre, &post)?;
        }

        #[test]
        fn keys_and_tokens_never_survive(
            ak in access_key(),
            sk in secret_key(),
            t in jwt(),
            pw in "[A-Za-z0-9!#$%*+/@^_~]{1,24}",
            key in prop::sample::select(vec!["password", "token", "secret", "api_key", "X-Auth-Token", "user_id", "userId"]),
            (pre, post) in surroundings(),
        ) {
            prop_assume!(!["null", "none", "true", "false", "-"].contains(&pw.to_ascii_lowercase().as_str()));
            assert_gone(&ak, &pre, &post)?;
            assert_gone(&sk, &pre, &post)?;
            assert_gone(&t, &pre, &post)?;
            let pair = format!("{key}={pw}");
            let out = redact(&format!("{pre}{pair} {post}")).into_owned();
            prop_assert!(out.contains(&format!("{key}=")), "{out}");
            prop_assert!(!out.contains(&pair), "{out}");
            let json = format!("{{\"{key}\":\"{pw}\"}}");
            let masks = "•".repeat(pw.len());
            prop_assert_eq!(redact(&json).into_owned(), format!("{{\"{key}\":\"{masks}\"}}"));
        }

        #[test]
        fn any_text_never_panics_and_keeps_its_width(s in "\\PC{0,80}") {
            let out = redact(&s);
            prop_assert_eq!(w(&out), w(&s));
            let again = redact(&out);
            prop_assert_eq!(again.as_ref(), out.as_ref());
        }

        #[test]
        fn ordinary_numbers_are_left_alone(
            h in 0u32..24, m in 0u32..60, s in 0u32..60, ms in 0u32..1000,
            pct in 0.0f64..100.0, major in 0u32..30, minor in 0u32..300, patch in 0u32..300,
            dur in 1u32..999,
        ) {
            let text = format!(
                "2024-05-17T{h:02}:{m:02}:{s:02}.{ms:03}Z {h:02}:{m:02}:{s:02} {pct:.1}% v{major}.{minor}.{patch} {major}.{minor}.{patch} {dur}ms {m}m{s:02}s p95 {dur}ms"
            );
            let out = redact(&text).into_owned();
            prop_assert_eq!(out, text);
        }
    }
}
