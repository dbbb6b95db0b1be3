//! Centrala's contact-center runtime (CC-1 … CC-5, CC-12, OD-3, OD-4,
//! OD-14): everything that runs between the HTTP API and the drivers. The
//! ACD's driver, the call brain the SIP crate asks ([`brain::CallBrain`]),
//! callbacks, transfers, recordings and their retention, the order desk's
//! services and caches, the company's stored settings, and the event bus.
//!
//! A [`Center`] is started once by the binary (or a test) and handed to the
//! API, which only translates HTTP to calls on it. Nothing here knows HTTP;
//! errors are [`CenterError`]s.

pub mod acd;
pub mod brain;
pub mod bus;
pub mod cache;
pub mod callbacks;
pub mod calls;
pub mod campaigns;
pub mod chat;
pub mod clock;
pub mod desk;
pub mod email;
pub mod error;
pub mod hands;
pub mod intervals;
pub mod knowledge;
pub mod recordings;
pub mod recovery;
pub mod reports;
pub mod settings;
pub mod transfer;

pub use clock::Clock;
pub use error::{CenterError, CenterResult};

use centrala_domain::CompanyId;
use centrala_store::{Scoped, Store};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
};

/// What the runtime takes from the configuration.
#[derive(Debug, Clone)]
pub struct CenterConfig {
    /// Country code for phone numbers written without one.
    pub default_country_code: String,
    /// Where call recordings are written.
    pub recordings: PathBuf,
    /// Where "now" comes from (fixed in tests).
    pub clock: Clock,
    /// The time zone of a company that has not set its own.
    pub time_zone: chrono_tz::Tz,
    /// The most inbound calls one company has at once (486 beyond); 0: no
    /// cap.
    pub max_calls_per_company: u32,
    /// Below this much free space on the recordings' disk (bytes), calls
    /// are not recorded (and recordings under way stop), so that the
    /// database on the same disk keeps room; 0: no floor.
    pub recordings_min_free: u64,
    /// Where the knowledge base's search index lives; `None`: in memory
    /// (rebuilt from the database at every start).
    pub knowledge_index: Option<PathBuf>,
}

impl Default for CenterConfig {
    fn default() -> Self {
        CenterConfig {
            default_country_code: "387".into(),
            recordings: std::env::temp_dir().join("centrala-recordings"),
            clock: Clock::System,
            time_zone: chrono_tz::Europe::Sarajevo,
            max_calls_per_company: 500,
            knowledge_index: None,
            recordings_min_free: 0,
        }
    }
}

/// The running contact center; cheap to clone (every part is shared).
#[derive(Clone)]
pub struct Center {
    pub store: Store,
    pub config: Arc<CenterConfig>,
    pub events: Arc<bus::Bus>,
    pub acd: acd::AcdService,
    pub caches: Arc<cache::Caches>,
    /// Places outbound calls once the telephony runs (set by the binary).
    pub dialer: Arc<OnceLock<centrala_sip::dial::Dialer>>,
    /// Stored settings that did not read.
    pub problems: Arc<settings::Problems>,
    /// Each company's time zone, as last read.
    zones: Arc<Mutex<HashMap<CompanyId, Tz>>>,
    /// Operators asking a supervisor for help.
    pub hands: Arc<hands::Hands>,
    /// The knowledge base's search index.
    pub knowledge: Arc<knowledge::Knowledge>,
    /// The progressive dialler of outbound campaigns.
    pub dialler: Arc<campaigns::Dialler>,
    /// Web chat visitors' open connections.
    pub hub: Arc<chat::ChatHub>,
}

impl Center {
    /// Starts the contact center: the ACD task, the callbacks' dialler and
    /// the loading of every company's queues (then the callbacks promised
    /// before a restart). Call it inside a runtime; the tasks end when the
    /// last handle is dropped.
    pub fn start(store: Store, config: CenterConfig) -> Center {
        let events = Arc::new(bus::Bus::new());
        let states = intervals::recorder(store.clone());
        let (acd, jobs) = acd::AcdService::start(events.clone(), config.clock, config.time_zone, states);
        let config_kb = config.knowledge_index.clone();
        let center = Center {
            acd,
            dialer: Arc::new(OnceLock::new()),
            caches: Arc::new(cache::Caches::new(store.clone())),
            store,
            config: Arc::new(config),
            events,
            problems: Arc::new(settings::Problems::default()),
            zones: Arc::new(Mutex::new(HashMap::new())),
            hands: Arc::new(hands::Hands::default()),
            knowledge: Arc::new(knowledge::Knowledge::open(config_kb.as_deref())),
            dialler: Arc::new(campaigns::Dialler::default()),
            hub: Arc::new(chat::ChatHub::default()),
        };
        tokio::spawn(callbacks::run(center.clone(), jobs));
        tokio::spawn(callbacks::start_all(center.clone()));
        tokio::spawn(knowledge::sync_at_start(center.clone()));
        tokio::spawn(campaigns::run(center.clone()));
        tokio::spawn(intervals::keep(center.clone()));
        tokio::spawn(center.clone().watch_mailboxes(Arc::new(email::Watchers::default())));
        if center.config.recordings_min_free > 0 {
            tokio::spawn(recordings::watch_space(center.clone()));
        }
        center
    }

    /// The call brain for the SIP driver.
    pub fn brain(&self) -> Arc<brain::CallBrain> {
        Arc::new(brain::CallBrain::new(self.clone()))
    }

    pub fn clock(&self) -> Clock {
        self.config.clock
    }

    /// The company's time zone: its own, else the configured default (a
    /// stored zone that does not read is reported, and the default applies).
    pub async fn zone(&self, company: CompanyId) -> Tz {
        if let Some(z) = self.zones.lock().ok().and_then(|m| m.get(&company).copied()) {
            return z;
        }
        let stored = match self.store.company_by_id(company).await {
            Ok(Some(c)) => c.time_zone,
            Ok(None) => String::new(),
            Err(e) => {
                // Not remembered: the next call reads it again.
                tracing::warn!(error = %e, company = company.0, "reading the company's time zone failed");
                return self.config.time_zone;
            }
        };
        let zone = match stored.as_str() {
            "" => self.config.time_zone,
            name => clock::parse_zone(name).unwrap_or_else(|e| {
                self.problems.report(company, "time_zone", &e);
                self.config.time_zone
            }),
        };
        if let Ok(mut m) = self.zones.lock() {
            m.insert(company, zone);
        }
        zone
    }

    /// Sets the company's time zone (`None`: the configured default): stored,
    /// and followed at once by "today" everywhere and the ACD's midnight.
    pub async fn set_zone(&self, company: CompanyId, zone: Option<Tz>) -> CenterResult<Tz> {
        self.store.set_company_time_zone(company, zone.map_or("", |z| z.name())).await?;
        let zone = zone.unwrap_or(self.config.time_zone);
        self.problems.clear(company, "time_zone");
        if let Ok(mut m) = self.zones.lock() {
            m.insert(company, zone);
        }
        self.acd.zone(company, zone).await;
        Ok(zone)
    }

    /// The day it is now in the company's zone.
    pub async fn today(&self, company: CompanyId) -> NaiveDate {
        self.clock().today(self.zone(company).await)
    }

    /// The local time now in the company's zone.
    pub async fn local_now(&self, company: CompanyId) -> NaiveDateTime {
        self.clock().local(self.zone(company).await)
    }

    /// The store bound to one company.
    pub fn company(&self, id: CompanyId) -> Scoped<'_> {
        self.store.company(id)
    }

    /// Whether `user`'s phone is registered now (never, without telephony).
    /// Whether the telephony runs (calls can be offered to phones at all).
    pub fn telephony_runs(&self) -> bool {
        self.dialer.get().is_some()
    }

    pub fn is_registered(&self, user: &str) -> bool {
        self.dialer.get().is_some_and(|d| !d.registered(user).is_empty())
    }

    /// Gives the ACD the company's queues as stored now.
    pub async fn configure_queues(&self, company: CompanyId) -> CenterResult<()> {
        let s = self.company(company);
        let queues = settings::company_queues(&s, &self.problems).await?;
        let staff = s.staff_list().await?;
        let mut applied = settings::applicable(&queues, &staff);
        let operators = campaigns::operators_settings(&applied);
        applied.extend(campaigns::queues(&s, &queues, &staff, &operators).await);
        self.acd.configure(company, applied).await;
        self.configure_channels(company).await
    }

    /// Gives the ACD the company's channel settings as stored now (its
    /// agents' chat and e-mail capacity, the chat service level).
    pub async fn configure_channels(&self, company: CompanyId) -> CenterResult<()> {
        let c = self.company(company).channels().await?;
        let settings = acd::ChannelSettings {
            capacity: [1, c.chat_capacity, c.email_capacity],
            chat_service_level: std::time::Duration::from_secs(u64::from(c.chat_service_level_seconds)),
        };
        self.acd.channels(company, settings).await;
        Ok(())
    }
}
