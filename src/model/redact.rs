//! Redaction: masking account IDs, ARNs' account part, emails, IP addresses, user IDs, tokens
//! and keys in text before it is drawn. Pure, no I/O.
