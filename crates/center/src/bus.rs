//! The event bus: what happens in a company (a call offered, an order
//! confirmed, an agent's state) fanned out to every open event stream,
//! which filters by who may see it.

use centrala_domain::{CompanyId, Role, StaffId};
use std::sync::Arc;

/// One event for some of one company's staff.
#[derive(Debug, Clone)]
pub struct Event {
    pub company: CompanyId,
    /// Staff who receive it by name.
    pub staff: Vec<StaffId>,
    /// Roles whose members all receive it.
    pub roles: Vec<Role>,
    /// The event's name, e.g. `order_confirmed`.
    pub kind: &'static str,
    pub data: serde_json::Value,
}

impl Event {
    /// Whether a staff member of a company, with a role, receives it.
    pub fn visible_to(&self, company: CompanyId, staff: StaffId, role: Role) -> bool {
        self.company == company && (self.staff.contains(&staff) || self.roles.contains(&role))
    }
}

/// The fan-out of events to every open stream.
pub struct Bus {
    tx: tokio::sync::broadcast::Sender<Arc<Event>>,
}

impl Bus {
    pub fn new() -> Self {
        Bus { tx: tokio::sync::broadcast::channel(1024).0 }
    }

    pub fn publish(&self, e: Event) {
        // No subscriber is not an error: nobody is watching right now.
        let _ = self.tx.send(Arc::new(e));
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}
