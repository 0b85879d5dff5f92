//! Who acts: the organisation (merchant) every query is scoped by, and the
//! signed-in user with their role. Shared by the admin, which shows them,
//! and the server's database layer, which resolves and scopes by them.

use serde::{Deserialize, Serialize};

use crate::Language;

/// The organisation a request acts for. Every query is scoped by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Created the organisation; adds staff.
    Owner,
    Staff,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "owner" => Some(Role::Owner),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// The signed-in user, resolved by the server from the session cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub organisation: OrganisationId,
    pub organisation_name: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub language: Language,
    /// Until the organisation's owner confirms their address, no invoice
    /// email can be sent.
    pub owner_confirmed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_back_from_its_code() {
        for role in [Role::Owner, Role::Staff] {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
