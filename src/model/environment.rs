//! What the war-room banner names: the environment, the account and whether it is production.
//!
//! Set by the profile's `[environment]` table (see `config` and `profiles/README.md`):
//!
//! ```toml
//! [environment]
//! name = "production"          # required in the table
//! account_alias = "acme-prod"  # optional: what the banner calls the account
//! account_id = "123456789012"  # optional: when the source cannot tell (the demo, a replay)
//! region = "ap-northeast-1"    # optional: likewise
//! production = true            # optional: default true when the name looks like prod
//! ```

/// The environment a profile watches. The default (no `[environment]` table) has no name and
/// is not production; the banner then says the environment is not set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Environment {
    /// `production`, `staging`... Empty: not set.
    pub name: String,
    pub account_alias: Option<String>,
    /// The 12-digit account ID, when the profile gives it (AWS sessions read it from STS).
    pub account_id: Option<String>,
    /// The region, when the profile gives it (AWS sessions know theirs).
    pub region: Option<String>,
    /// The banner is red: this is production.
    pub production: bool,
}

impl Environment {
    /// An environment named `name`, production when the name looks like it.
    pub fn named(name: &str) -> Environment {
        Environment {
            name: name.to_string(),
            production: looks_like_production(name),
            ..Environment::default()
        }
    }

    /// Whether the profile says which environment this is.
    pub fn is_set(&self) -> bool {
        !self.name.trim().is_empty()
    }
}

/// Does an environment name look like production? A word of it (split at anything but
/// letters and digits, case-insensitive) is `prod`, `production` or `prd`, or it says 本番.
/// `product-catalog` and `preprod` do not.
pub fn looks_like_production(name: &str) -> bool {
    name.contains("本番")
        || name
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| matches!(w.to_lowercase().as_str(), "prod" | "production" | "prd"))
}

/// Is `s` an AWS account ID (exactly 12 digits)?
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_names() {
        for (name, prod) in [
            ("production", true),
            ("prod", true),
            ("PROD", true),
            ("prd", true),
            ("jp-prod", true),
            ("prod_eu", true),
            ("Production (Tokyo)", true),
            ("本番", true),
            ("本番環境", true),
            ("staging", false),
            ("stg", false),
            ("dev", false),
            ("preprod", false),
            ("product-catalog", false),
            ("productivity", false),
            ("", false),
        ] {
            assert_eq!(looks_like_production(name), prod, "{name}");
            assert_eq!(Environment::named(name).production, prod, "{name}");
        }
    }

    #[test]
    fn default_is_unset_and_not_production() {
        let e = Environment::default();
        assert!(!e.is_set());
        assert!(!e.production);
        assert!(Environment::named("staging").is_set());
    }

    #[test]
    fn account_ids() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
        assert!(!is_account_id("1234567890123"));
    }
}
