//! The API's routes, one module per resource. Each handler authenticates,
//! checks the role, and goes through the caller's company scope.

pub mod absences;
pub mod agents;
pub mod calls;
pub mod campaigns;
pub mod cases;
pub mod chat;
pub mod clients;
pub mod company;
pub mod departments;
pub mod email;
pub mod evaluation;
pub mod forms;
pub mod interactions;
pub mod ivr;
pub mod kb;
pub mod mail;
pub mod orders;
pub mod price_rules;
pub mod products;
pub mod queues;
pub mod reference;
pub mod reports;
pub mod softphone;
pub mod staff;
pub mod wrap_up;

/// Parses a numeric id from a path; anything else is a 404.
pub(crate) fn parse_id(raw: &str, what: &str) -> crate::error::ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| crate::error::ApiError::not_found(what))
}
