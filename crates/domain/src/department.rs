//! Departments: what kind of work a department does.

/// What a department does; the routing rules look for the wholesale and
/// finance departments and for sales departments by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepartmentKind {
    Sales,
    Wholesale,
    Finance,
    Other,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 4] =
        [DepartmentKind::Sales, DepartmentKind::Wholesale, DepartmentKind::Finance, DepartmentKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Sales => "sales",
            DepartmentKind::Wholesale => "wholesale",
            DepartmentKind::Finance => "finance",
            DepartmentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DepartmentKind> {
        DepartmentKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// A guess from a department's name, for imports that give only names.
    pub fn guess(name: &str) -> DepartmentKind {
        let n = name.to_lowercase();
        if n.contains("financ") {
            DepartmentKind::Finance
        } else if n.contains("wholesale") || n.contains("veleprodaj") {
            DepartmentKind::Wholesale
        } else if n.contains("sales") || n.contains("prodaj") {
            DepartmentKind::Sales
        } else {
            DepartmentKind::Other
        }
    }
}
