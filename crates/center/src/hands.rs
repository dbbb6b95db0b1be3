//! Raised hands (CC-9: an operator in difficulty turns to a supervisor):
//! who asked for help, since when, on which call. A signal of the moment,
//! kept in memory: a restart lowers every hand, as a new shift would.

use crate::bus::{Bus, Event};
use centrala_domain::{CompanyId, InteractionId, Role, StaffId};
use chrono::{DateTime, Utc};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// One raised hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hand {
    pub since: DateTime<Utc>,
    /// The call it is about, when the agent is on one.
    pub interaction: Option<InteractionId>,
}

/// Every company's raised hands.
#[derive(Default)]
pub struct Hands {
    raised: Mutex<HashMap<(CompanyId, StaffId), Hand>>,
}

impl Hands {
    /// Raises `staff`'s hand (again: the first time counts) and tells the
    /// supervisors at once.
    pub fn raise(&self, bus: &Arc<Bus>, company: CompanyId, staff: StaffId, hand: Hand) {
        let hand = *self.lock().entry((company, staff)).or_insert(hand);
        publish(bus, company, staff, Some(hand));
    }

    /// Lowers it (the agent, or a supervisor who answered): whether it was up.
    pub fn lower(&self, bus: &Arc<Bus>, company: CompanyId, staff: StaffId) -> bool {
        let was = self.lock().remove(&(company, staff)).is_some();
        if was {
            publish(bus, company, staff, None);
        }
        was
    }

    pub fn get(&self, company: CompanyId, staff: StaffId) -> Option<Hand> {
        self.lock().get(&(company, staff)).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(CompanyId, StaffId), Hand>> {
        // A panic elsewhere while holding it leaves a map still whole.
        self.raised.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn publish(bus: &Arc<Bus>, company: CompanyId, staff: StaffId, hand: Option<Hand>) {
    bus.publish(Event {
        company,
        staff: vec![staff],
        roles: vec![Role::Supervisor, Role::Admin, Role::HeadOfSales, Role::HeadOfWholesale],
        kind: "hand",
        data: serde_json::json!({
            "staff": staff.0,
            "raised": hand.is_some(),
            "interaction": hand.and_then(|h| h.interaction).map(|i| i.0),
        }),
    });
}
