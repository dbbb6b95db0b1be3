//! Why a caller calls: the menu's or the operator's answer, which the
//! routing and the call logic both read.

/// Why the caller calls, from the IVR or the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Order,
    Reference,
    Other,
    Complaint,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Order => "order",
            Intent::Reference => "reference",
            Intent::Other => "other",
            Intent::Complaint => "complaint",
        }
    }
    pub fn parse(s: &str) -> Option<Intent> {
        [Intent::Order, Intent::Reference, Intent::Other, Intent::Complaint].into_iter().find(|i| i.as_str() == s)
    }
}
