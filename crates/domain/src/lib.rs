//! Centrala's domain vocabulary: ids, roles, phone numbers, money and staff
//! absences. Pure: no IO and no clock — "today" is always an argument.

pub mod absence;
pub mod department;
pub mod fold;
pub mod ids;
pub mod intent;
pub mod money;
pub mod phone;
pub mod role;

pub use absence::{is_present, Absence, AbsenceKind};
pub use department::DepartmentKind;
pub use ids::*;
pub use intent::Intent;
pub use money::{Money, MoneyError, Quantity};
pub use phone::{normalize_phone, Phone, PhoneError};
pub use role::{Role, RoleParseError};
