//! Typed ids: a staff id can never be passed where a client id is expected.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A company (tenant). Every business record belongs to exactly one.
    CompanyId,
    /// A member of staff of one company.
    StaffId,
    /// A department (sales, wholesale, finance, …) of one company.
    DepartmentId,
    /// A client (customer) of one company.
    ClientId,
    /// A contact person of a client.
    ContactId,
    /// A product of one company's assortment.
    ProductId,
    /// An order, imported or taken at the desk.
    OrderId,
    /// A staff absence (vacation, business trip, sick leave).
    AbsenceId,
    /// An interaction: a call, and later a chat, an e-mail, a form.
    InteractionId,
);
