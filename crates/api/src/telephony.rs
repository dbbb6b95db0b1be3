//! What the telephony asks of the product ([`centrala_sip::Brain`]): which
//! company a dialled number belongs to, who the caller is, the interaction
//! record of every call from its first moment, the routing decision once the
//! menu is done (the same function as `POST /api/v1/routing/decide`), and
//! the SIP accounts of staff phones.

use crate::{desk, AppState};
use centrala_call::ivr::{IvrConfig, Outcome};
use centrala_desk::routing::Intent;
use centrala_domain::{normalize_phone, CompanyId};
use centrala_sip::{media::MediaStats, Account, Arrival, Brain, CallEnd, Contact, Incoming, Refusal};
use centrala_store::interactions::{Direction, Disposition};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// The live contacts of each SIP username, with when each expires.
#[derive(Default)]
pub struct Phones(std::sync::Mutex<std::collections::HashMap<String, Vec<(String, Instant)>>>);

impl Phones {
    pub fn set(&self, username: &str, contacts: Vec<(String, Instant)>) {
        let mut m = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if contacts.is_empty() {
            m.remove(username);
        } else {
            m.insert(username.to_owned(), contacts);
        }
    }

    /// The contact URIs of `username` that have not expired.
    pub fn live(&self, username: &str, now: Instant) -> Vec<String> {
        let m = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        m.get(username)
            .map(|v| v.iter().filter(|(_, t)| *t > now).map(|(c, _)| c.clone()).collect())
            .unwrap_or_default()
    }
}

pub struct CallBrain {
    state: AppState,
}

impl CallBrain {
    pub fn new(state: AppState) -> CallBrain {
        CallBrain { state }
    }

    fn phone(&self, raw: &str) -> String {
        normalize_phone(raw, &self.state.config.default_country_code)
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|_| raw.to_owned())
    }

    /// The company of a dialled number; with only one company, every
    /// number is that company's.
    async fn company_of(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        if let Some((id, _purpose)) = self.state.store.company_for_number(called).await? {
            return Ok(Some(id));
        }
        let all = self.state.store.companies().await?;
        Ok(match all.as_slice() {
            [only] => Some(only.id),
            _ => None,
        })
    }
}

fn intent_of(outcome: &Outcome) -> Intent {
    match outcome {
        Outcome::Intent(i) => *i,
        // A named queue or a closed line: the order desk's rules still say
        // who the caller is; treat it as "other" for the decision.
        Outcome::Queue(_) | Outcome::Closed(_) => Intent::Other,
    }
}

impl Brain for CallBrain {
    async fn arrive(&self, call: Incoming) -> Result<Arrival, Refusal> {
        let called = self.phone(&call.called);
        let caller = self.phone(&call.caller);
        let company = match self.company_of(&called).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                info!(%called, "no company takes calls on this number");
                return Err(Refusal::NotHere);
            }
            Err(e) => {
                warn!(error = %e, "looking up the called number failed");
                return Err(Refusal::Unavailable);
            }
        };
        let s = self.state.store.company(company);
        let client = s.client_by_phone(&caller).await.ok().flatten();
        let interaction = s
            .start_interaction(Direction::Inbound, &caller, &called, client.as_ref().map(|c| c.id))
            .await
            .map_err(|e| {
                warn!(error = %e, "registering the call failed");
                Refusal::Unavailable
            })?;
        info!(interaction, company = company.0, client = client.as_ref().map(|c| c.code.as_str()), "call arrived");
        let now = chrono::Local::now();
        let recording = self
            .state
            .config
            .recordings
            .join(company.0.to_string())
            .join(now.format("%Y-%m-%d").to_string())
            .join(format!("{interaction}.wav"));
        let (ivr, lang, _) = crate::routes::ivr::company_ivr(&s).await.unwrap_or_else(|e| {
            warn!(error = ?e, "reading the company's menu failed; using the default");
            (IvrConfig::default_menu(), "bs".into(), true)
        });
        Ok(Arrival {
            company: company.0,
            interaction,
            ivr,
            lang,
            local_time: now.naive_local(),
            recording: Some(recording),
        })
    }

    async fn routed(&self, call: &Arrival, path: &str, digits: &str, outcome: &Outcome) {
        let s = self.state.store.company(CompanyId(call.company));
        let today = self.state.clock.today();
        let intent = intent_of(outcome);
        let decision = async {
            let i = s.interaction(call.interaction).await?.ok_or(centrala_store::StoreError::NotFound)?;
            let facts = match i.client_id {
                Some(id) => match s.client(centrala_domain::ClientId(id)).await? {
                    Some(c) => Some(
                        desk::client_facts(&s, c, today)
                            .await
                            .map_err(|e| centrala_store::StoreError::Invalid(format!("client facts: {e:?}")))?,
                    ),
                    None => None,
                },
                None => None,
            };
            let staffing = self
                .state
                .caches
                .staffing(&s)
                .await
                .map_err(|e| centrala_store::StoreError::Invalid(format!("staffing: {e:?}")))?;
            Ok::<_, centrala_store::StoreError>(desk::route(facts.as_ref(), intent, today, &staffing))
        }
        .await;
        let result = match decision {
            Ok(d) => {
                info!(interaction = call.interaction, rule = d.rule.as_str(), "routed");
                s.route_interaction(call.interaction, path, digits, intent.as_str(), d.rule.as_str(), &d.reasons).await
            }
            Err(e) => {
                warn!(error = %e, "routing decision failed; the call goes to the operators");
                s.route_interaction(call.interaction, path, digits, intent.as_str(), "operators", &[e.to_string()])
                    .await
            }
        };
        if let Err(e) = result {
            warn!(error = %e, "recording the routing on the interaction failed");
        }
    }

    async fn ended(&self, call: &Arrival, end: CallEnd, media: MediaStats) {
        let s = self.state.store.company(CompanyId(call.company));
        let disposition = match end {
            CallEnd::Abandoned => Disposition::Abandoned,
            CallEnd::Closed => Disposition::Closed,
            CallEnd::Failed => Disposition::Failed,
        };
        if media.recorded {
            if let Some(p) = &call.recording {
                let rel = p.strip_prefix(&self.state.config.recordings).unwrap_or(p);
                if let Err(e) = s.record_interaction(call.interaction, &rel.to_string_lossy()).await {
                    warn!(error = %e, "linking the recording failed");
                }
            }
        }
        if let Err(e) = s.end_interaction(call.interaction, disposition).await {
            warn!(error = %e, "closing the interaction failed");
        }
        info!(
            interaction = call.interaction,
            disposition = disposition.as_str(),
            rtp_in = media.packets_in,
            rtp_out = media.packets_out,
            "call ended"
        );
    }

    fn registered(&self, username: &str, contacts: Vec<Contact>) {
        let now = Instant::now();
        self.state.phones.set(
            username,
            contacts.into_iter().map(|c| (c.uri, now + Duration::from_secs(u64::from(c.expires_in)))).collect(),
        );
    }

    async fn account(&self, username: &str) -> Option<Account> {
        match self.state.store.sip_account(username).await {
            Ok(a) => a.map(|a| Account { ha1: a.ha1 }),
            Err(e) => {
                warn!(error = %e, "reading a SIP account failed");
                None
            }
        }
    }
}

/// Deletes the recordings older than each company's retention, leaving an
/// audit entry for each (run hourly by the binary; `now` is an argument so
/// that tests can move time). Returns how many were deleted.
pub async fn sweep_recordings(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> usize {
    let mut deleted = 0;
    let companies = match state.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "recording retention: cannot list companies");
            return 0;
        }
    };
    for c in companies {
        let s = state.store.company(c.id);
        let days = match s.recording_retention().await {
            Ok(d) if d > 0 => d,
            Ok(_) => continue,
            Err(e) => {
                warn!(error = %e, company = c.id.0, "recording retention: cannot read the setting");
                continue;
            }
        };
        let cutoff = (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let old = match s.recordings_before(&cutoff).await {
            Ok(o) => o,
            Err(e) => {
                warn!(error = %e, "recording retention: cannot list old recordings");
                continue;
            }
        };
        for (id, rel) in old {
            let path = state.config.recordings.join(&rel);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!(error = %e, path = %path.display(), "recording retention: cannot delete");
                    continue;
                }
            }
            if s.clear_recording(id).await.is_ok() {
                deleted += 1;
                let _ = s
                    .audit("retention", "delete", "recording", &id.to_string(), &format!("older than {days} days"))
                    .await;
            }
        }
    }
    if deleted > 0 {
        info!(deleted, "old recordings deleted by the retention rules");
    }
    deleted
}
