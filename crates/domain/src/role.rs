//! Staff roles. What a role may do is decided by the API layer, per route.

use std::{fmt, str::FromStr};

/// A staff member's role in the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Operator,
    Manager,
    KeyAccountManager,
    HeadOfSales,
    HeadOfWholesale,
    Finance,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Operator,
        Role::Manager,
        Role::KeyAccountManager,
        Role::HeadOfSales,
        Role::HeadOfWholesale,
        Role::Finance,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Manager => "manager",
            Role::KeyAccountManager => "key_account_manager",
            Role::HeadOfSales => "head_of_sales",
            Role::HeadOfWholesale => "head_of_wholesale",
            Role::Finance => "finance",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Heads of a department (sales or wholesale).
    pub fn is_head(self) -> bool {
        matches!(self, Role::HeadOfSales | Role::HeadOfWholesale)
    }

    /// Staff who own clients: managers and key-account managers.
    pub fn manages_clients(self) -> bool {
        matches!(self, Role::Manager | Role::KeyAccountManager)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected one of operator, manager, key_account_manager, head_of_sales, head_of_wholesale, finance, supervisor, admin")]
pub struct RoleParseError(pub String);

impl FromStr for Role {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| RoleParseError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert!("boss".parse::<Role>().is_err());
    }
}
