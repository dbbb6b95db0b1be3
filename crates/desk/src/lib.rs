//! The order desk's business rules (OD-2 … OD-25), as pure functions over
//! plain facts. No IO, no clock: "today" is always an argument. The store
//! gathers the facts, the API shows the decisions, and the telephony asks
//! [`routing::decide`] for every inbound call.

// Rule tables in tests are tuples by design: one row per case.
#![cfg_attr(test, allow(clippy::type_complexity))]

pub mod campaign;
pub mod cases;
pub mod chat;
pub mod debt;
pub mod email;
pub mod evaluation;
pub mod forms;
pub mod intervals;
pub mod mailing;
pub mod offers;
pub mod order;
pub mod pricing;
pub mod report;
pub mod requests;
pub mod routing;
pub mod staffing;

pub use debt::{debt_status, BlockReason, DebtStatus, Receivable};
pub use routing::{decide, Intent, RoutingDecision, Rule, Target};
pub use staffing::{Department, DepartmentKind, Member, Staffing};

/// The client type whose clients are key clients (OD-4). Client types are
/// otherwise configurable per company.
pub const KEY_CLIENT_TYPE: &str = "key";
/// The client type of regional clients (OD-13).
pub const REGIONAL_CLIENT_TYPE: &str = "regional";
