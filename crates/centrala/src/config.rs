//! The typed configuration: defaults < TOML file < `CENTRALA_*` environment
//! < command-line flags. Unknown keys are errors, not silently ignored.

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder for the embedded SQLite database and call recordings.
    pub data: PathBuf,
    /// Database URL. Empty: SQLite at `<data>/centrala.db`.
    /// PostgreSQL: `postgres://user:password@host:5432/dbname`.
    pub database: String,
    /// Country code put in front of phone numbers written without one.
    pub default_country_code: String,
    /// Log filter (tracing `EnvFilter` syntax); `RUST_LOG` overrides it.
    pub log: String,
    /// The IANA time zone of a company that has not set its own.
    pub time_zone: String,
    /// Below this much free space (MB) on the recordings' disk, calls are
    /// not recorded and recordings under way stop, so that the database
    /// keeps room; 0: no floor.
    pub recordings_min_free_mb: u64,
    /// In demo mode (`serve --demo`), the days of call history written
    /// for the demo company when it has no calls yet; 0: none.
    pub demo_history_days: u32,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub sip: SipConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address the web UI and API listen on.
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Mark the session cookie Secure even without `tls_cert` (when a
    /// proxy in front serves HTTPS); with `tls_cert` it always is.
    pub secure_cookies: bool,
    /// HTTPS: the certificate chain (PEM) and its key; both empty: plain
    /// HTTP. Reloaded when either file changes.
    pub tls_cert: String,
    pub tls_key: String,
    /// With HTTPS, an address answering plain HTTP with a redirect to it
    /// (e.g. "0.0.0.0:80"); empty: none.
    pub redirect_from: String,
    /// How long a login session lasts, in hours.
    pub session_hours: u64,
    /// Reverse proxies (IP addresses) whose X-Forwarded-For names the
    /// client; from anyone else the header is not believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Failed logins per user, and per address, before a lockout.
    pub max_failed_logins: u32,
    /// How long failed logins are remembered and a lockout lasts, in seconds.
    pub lockout_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Take calls at all.
    pub enabled: bool,
    /// Address SIP listens on, UDP (--sip).
    pub listen: SocketAddr,
    /// RTP ports for media, inclusive; two per call leg are enough (even
    /// ports are used).
    pub rtp_ports: [u16; 2],
    /// Digest realm of the registrar. Changing it means setting every SIP
    /// password again (only MD5(user:realm:password) is stored).
    pub realm: String,
    /// Folder with the companies' own prompts (`<lang>/<name>.wav`, 8 kHz
    /// mono); empty: the demo prompts built into the binary.
    pub prompts: String,
    /// Peers (IP addresses) whose P-Asserted-Identity is believed, besides
    /// the trunk; from anyone else the caller is From, marked unverified.
    pub trusted_peers: Vec<std::net::IpAddr>,
    /// Where calls to phone numbers go: a SIP trunk or gateway as `IP:port`;
    /// empty: only `sip:` URIs can be dialled.
    pub trunk: String,
    /// Encrypt the trunk's media (SRTP keyed in the SDP, RFC 4568): calls
    /// to numbers offer only RTP/SAVP, and a plain offer from the trunk is
    /// refused (488). Use with a TLS trunk: the keys travel in the SDP.
    pub trunk_srtp_required: bool,
    /// New calls one address may start per second, on average (503 with
    /// Retry-After beyond); 0: no limit. Trusted peers and the trunk are
    /// not limited.
    pub invite_rate: f64,
    /// New calls one address may start at once before the rate applies.
    pub invite_burst: f64,
    /// The most inbound calls one company has at once (486 Busy Here
    /// beyond); 0: no cap.
    pub max_calls_per_company: u32,
    /// The most inbound calls the server takes at once (503 with
    /// Retry-After beyond); 0: no ceiling.
    pub max_calls: u32,
    /// How late (ms) the media legs' 20 ms clocks may run before new calls
    /// get 503: the machine is full; 0: not checked.
    pub max_media_lag_ms: u64,
    /// How late (ms) the signalling runtime's timers may run before new
    /// calls get 503 (set-up would starve); 0: not checked.
    pub max_signalling_lag_ms: u64,
    /// How long (ms) a step of a call's set-up (its arrival registered,
    /// its route decided) may take before new calls get 503 (the callers
    /// taken would wait for an agent); 0: not checked.
    pub max_setup_ms: u64,
    /// SIP over TLS: the address it listens on (e.g. "0.0.0.0:5061");
    /// empty: off.
    pub tls_listen: String,
    /// Its certificate chain and key (PEM); empty: HTTPS's (`http.tls_cert`,
    /// `http.tls_key`).
    pub tls_cert: String,
    pub tls_key: String,
    /// Seconds a caller holds with music when the agent's phone is lost
    /// mid-call (the desk's softphone lost its network) before going back
    /// to its queue at its old place.
    pub lost_agent_grace_s: u64,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 5060)),
            rtp_ports: [30000, 30999],
            realm: "centrala".into(),
            prompts: String::new(),
            trunk: String::new(),
            trunk_srtp_required: false,
            trusted_peers: Vec::new(),
            invite_rate: 5.0,
            invite_burst: 20.0,
            max_calls_per_company: 500,
            max_calls: 2000,
            max_media_lag_ms: 40,
            max_signalling_lag_ms: 250,
            max_setup_ms: 500,
            tls_listen: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            lost_agent_grace_s: 20,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("./centrala-data"),
            database: String::new(),
            default_country_code: "387".into(),
            log: "info,rsipstack=warn".into(),
            time_zone: "Europe/Sarajevo".into(),
            recordings_min_free_mb: 500,
            demo_history_days: 28,
            http: HttpConfig::default(),
            auth: AuthConfig::default(),
            sip: SipConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            tls_cert: String::new(),
            tls_key: String::new(),
            redirect_from: String::new(),
            session_hours: 12,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig { max_failed_logins: 5, lockout_seconds: 300 }
    }
}

/// Values given on the command line; `None` leaves the layer below.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpOverrides>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<SipOverrides>,
}

#[derive(Debug, Serialize)]
pub struct SipOverrides {
    pub listen: SocketAddr,
}

#[derive(Debug, Serialize)]
pub struct HttpOverrides {
    pub listen: SocketAddr,
}

/// Top-level keys settable as `CENTRALA_<KEY>`; nested keys use a double
/// underscore (`CENTRALA_HTTP__MAX_BODY_BYTES`). `CENTRALA_HTTP` alone is
/// the listen address, like `--http`; `CENTRALA_SIP` likewise. Other `CENTRALA_*` variables (such as
/// `CENTRALA_CONFIG` or `CENTRALA_TEST_PG`) are not configuration keys.
const ENV_KEYS: [&str; 7] =
    ["data", "database", "default_country_code", "log", "time_zone", "recordings_min_free_mb", "demo_history_days"];

fn env_provider() -> Env {
    Env::prefixed("CENTRALA_").filter_map(|key| {
        let k = key.as_str().to_ascii_lowercase();
        if k == "http" || k == "sip" {
            Some(format!("{k}.listen").into())
        } else if k.contains("__") {
            Some(k.replace("__", ".").into())
        } else if ENV_KEYS.contains(&k.as_str()) {
            Some(k.into())
        } else {
            None
        }
    })
}

impl Config {
    /// Loads the layers in order: defaults, `file`, environment, `flags`.
    pub fn load(file: Option<&std::path::Path>, flags: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(Box::new(figment::Error::from(format!("config file {} does not exist", path.display()))));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let config: Config =
            fig.merge(env_provider()).merge(Serialized::defaults(flags)).extract().map_err(Box::new)?;
        config.zone().map_err(|e| Box::new(figment::Error::from(format!("time_zone: {e}"))))?;
        Ok(config)
    }

    /// The default time zone, read.
    pub fn zone(&self) -> Result<chrono_tz::Tz, String> {
        centrala_center::clock::parse_zone(&self.time_zone)
    }

    /// The database URL: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data.join("centrala.db").display())
        } else {
            self.database.clone()
        }
    }

    /// The HTTPS certificate and key, when both are set.
    pub fn https(&self) -> Option<(PathBuf, PathBuf)> {
        let (c, k) = (self.http.tls_cert.trim(), self.http.tls_key.trim());
        (!c.is_empty() && !k.is_empty()).then(|| (PathBuf::from(c), PathBuf::from(k)))
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.data.join("recordings")
    }

    pub fn api(&self, demo: bool) -> centrala_api::ApiConfig {
        centrala_api::ApiConfig {
            session_ttl: std::time::Duration::from_secs(self.http.session_hours.max(1) * 3600),
            max_body_bytes: self.http.max_body_bytes,
            secure_cookies: self.http.secure_cookies || self.https().is_some(),
            max_failed_logins: self.auth.max_failed_logins,
            lockout: std::time::Duration::from_secs(self.auth.lockout_seconds),
            default_country_code: self.default_country_code.clone(),
            demo,
            sip_realm: self.sip.realm.clone(),
            trusted_proxies: self.http.trusted_proxies.clone(),
            mail_secrets: Some(self.data.join("secrets")),
        }
    }

    pub fn center(&self) -> centrala_center::CenterConfig {
        centrala_center::CenterConfig {
            default_country_code: self.default_country_code.clone(),
            recordings: self.recordings_dir(),
            clock: centrala_center::Clock::System,
            time_zone: self.zone().unwrap_or(chrono_tz::Europe::Sarajevo),
            max_calls_per_company: self.sip.max_calls_per_company,
            recordings_min_free: self.recordings_min_free_mb.saturating_mul(1024 * 1024),
            knowledge_index: Some(self.data.join("knowledge-index")),
        }
    }

    /// SIP over TLS, when `sip.tls_listen` is set: with its own
    /// certificate, or HTTPS's.
    pub fn sip_tls(&self) -> anyhow::Result<Option<centrala_sip::SipTls>> {
        let listen = self.sip.tls_listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        let addr = listen.parse().map_err(|_| anyhow::anyhow!("sip.tls_listen {listen:?} is not an address"))?;
        let (cert, key) = match (self.sip.tls_cert.trim(), self.sip.tls_key.trim()) {
            ("", "") => self.https().ok_or_else(|| {
                anyhow::anyhow!("sip.tls_listen needs a certificate: sip.tls_cert and sip.tls_key, or http.tls_cert and http.tls_key")
            })?,
            ("", _) | (_, "") => anyhow::bail!("sip.tls_cert and sip.tls_key go together"),
            (c, k) => (PathBuf::from(c), PathBuf::from(k)),
        };
        Ok(Some(centrala_sip::SipTls { addr, cert, key }))
    }

    pub fn telephony(&self) -> anyhow::Result<centrala_sip::SipConfig> {
        let trunk = match self.sip.trunk.trim() {
            "" => None,
            t => Some(t.parse().map_err(|_| anyhow::anyhow!("sip.trunk {t:?} is not an IP address and port"))?),
        };
        Ok(centrala_sip::SipConfig {
            addr: self.sip.listen,
            rtp_ports: (self.sip.rtp_ports[0], self.sip.rtp_ports[1]),
            realm: self.sip.realm.clone(),
            prompts: (!self.sip.prompts.is_empty()).then(|| PathBuf::from(&self.sip.prompts)),
            trunk,
            trunk_srtp_required: self.sip.trunk_srtp_required,
            trusted_peers: self.sip.trusted_peers.clone(),
            tls: self.sip_tls()?,
            lost_agent_grace: std::time::Duration::from_secs(self.sip.lost_agent_grace_s),
            admission: centrala_sip::limits::Admission {
                max_calls: self.sip.max_calls,
                max_media_lag_ms: self.sip.max_media_lag_ms,
                max_signalling_lag_ms: self.sip.max_signalling_lag_ms,
                max_setup_ms: self.sip.max_setup_ms,
            },
            invite_limit: centrala_sip::limits::InviteLimit {
                per_second: self.sip.invite_rate.max(0.0),
                burst: self.sip.invite_burst.max(1.0),
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;
    use figment::Jail;

    const EXAMPLE: &str = include_str!("../../../centrala.example.toml");

    #[test]
    fn the_example_config_documents_every_key_with_its_default() {
        let parsed: Config = toml::from_str(EXAMPLE).expect("the example config parses with deny_unknown_fields");
        assert_eq!(parsed, Config::default(), "the example's values are the defaults");
        // And it names every key: compare key sets with the serialized default.
        fn keys(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
            if let toml::Value::Table(t) = v {
                for (k, v) in t {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    out.push(p.clone());
                    keys(v, &p, out);
                }
            }
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        keys(&toml::Value::try_from(Config::default()).unwrap(), "", &mut a);
        keys(&toml::from_str::<toml::Value>(EXAMPLE).unwrap(), "", &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "data = \"/from/file\"\nlog = \"debug\"\n[http]\nlisten = \"127.0.0.1:7000\"\nmax_body_bytes = 10\n",
            )?;
            let file = Some(std::path::Path::new("c.toml"));

            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c, Config::default());

            let c = Config::load(file, &Overrides::default()).unwrap();
            assert_eq!(
                (c.data.to_str(), c.log.as_str(), c.http.listen.port(), c.http.max_body_bytes),
                (Some("/from/file"), "debug", 7000, 10)
            );
            assert_eq!(c.auth, AuthConfig::default(), "untouched sections keep their defaults");

            jail.set_env("CENTRALA_DATA", "/from/env");
            jail.set_env("CENTRALA_HTTP", "127.0.0.1:7100");
            jail.set_env("CENTRALA_AUTH__MAX_FAILED_LOGINS", "9");
            jail.set_env("CENTRALA_TEST_PG", "postgres://ignored");
            jail.set_env("CENTRALA_CONFIG", "ignored.toml");
            let c = Config::load(file, &Overrides::default()).unwrap();
            assert_eq!((c.data.to_str(), c.http.listen.port(), c.auth.max_failed_logins), (Some("/from/env"), 7100, 9));
            assert_eq!(
                (c.log.as_str(), c.http.max_body_bytes),
                ("debug", 10),
                "the file still fills what env does not"
            );

            let flags = Overrides {
                data: Some("/from/flag".into()),
                database: Some("postgres://u@h/db".into()),
                http: Some(HttpOverrides { listen: "127.0.0.1:7200".parse().unwrap() }),
                sip: Some(SipOverrides { listen: "127.0.0.1:7260".parse().unwrap() }),
            };
            let c = Config::load(file, &flags).unwrap();
            assert_eq!(
                (c.data.to_str(), c.http.listen.port(), c.database.as_str()),
                (Some("/from/flag"), 7200, "postgres://u@h/db")
            );
            assert_eq!(c.http.max_body_bytes, 10, "a flag for one http key leaves the others");
            assert_eq!((c.sip.listen.port(), c.sip.realm.as_str()), (7260, "centrala"));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[http]\nlisen = \"127.0.0.1:1\"\n")?;
            let e = Config::load(Some(std::path::Path::new("typo.toml")), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("lisen"), "{e}");
            jail.create_file("bad.toml", "[http]\nlisten = \"not an address\"\n")?;
            assert!(Config::load(Some(std::path::Path::new("bad.toml")), &Overrides::default()).is_err());
            assert!(Config::load(Some(std::path::Path::new("missing.toml")), &Overrides::default()).is_err());
            jail.set_env("CENTRALA_TIME_ZONE", "Mars/Olympus");
            let e = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("time_zone") && e.to_string().contains("Mars/Olympus"), "{e}");
            jail.set_env("CENTRALA_TIME_ZONE", "Asia/Tokyo");
            assert_eq!(Config::load(None, &Overrides::default()).unwrap().zone(), Ok(chrono_tz::Asia::Tokyo));
            jail.set_env("CENTRALA_AUTH__LOCKOUT_SECONDS", "soon");
            assert!(Config::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_folder() {
        let c = Config { data: "/srv/c".into(), ..Config::default() };
        assert_eq!(c.database_url(), "sqlite:///srv/c/centrala.db?mode=rwc");
        assert_eq!(c.recordings_dir(), std::path::PathBuf::from("/srv/c/recordings"));
    }
}
