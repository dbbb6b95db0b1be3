//! `centrala import`: the distributor's master data from the CSV files its
//! accounting system exports.
//!
//! Two phases. [`read_dir`] parses every file into typed records and
//! collects every bad row (file, line, column, reason). [`Store::import`]
//! then applies the records in one transaction, resolving references
//! (a client's manager, an order line's product) against the same import
//! and the database, and adds the references that do not resolve to the
//! errors. Any error at all rolls the whole transaction back: an import is
//! all or nothing. Rows are upserted by their natural key, so importing the
//! same files again changes nothing.

use crate::search::Kind;
use crate::Returned;
use crate::{
    b, ensure_company_tx, now_rfc3339, records::fmt_date, DepartmentKind, Result as StoreResult, Store, StoreError,
};
use centrala_domain::{normalize_phone, AbsenceKind, Money, Phone, Quantity, Role};
use chrono::NaiveDate;
use std::{
    collections::{BTreeSet, HashMap},
    fmt,
    path::Path,
};

/// One bad row (or file), precise enough to fix it in a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// 1-based line in the file; 0 when the whole file is at fault.
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        } else {
            write!(f, "{}:{}: column {}: {}", self.file, self.line, self.column, self.reason)
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{} bad row(s); nothing was imported", .0.len())]
    Rejected(Vec<ImportError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A record and the line it came from.
#[derive(Debug, Clone)]
pub struct Row<T> {
    pub line: u64,
    pub rec: T,
}

#[derive(Debug, Clone)]
pub struct DepartmentRec {
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
    pub head: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StaffRec {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// A department's code or name.
    pub department: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AbsenceRec {
    pub username: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: AbsenceKind,
    pub substitute: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClientRec {
    pub code: String,
    pub name: String,
    pub client_type: String,
    pub manager: Option<String>,
    pub phones: Vec<Phone>,
    pub email: String,
    pub region: String,
    pub credit_limit: Money,
}

#[derive(Debug, Clone)]
pub struct ContactRec {
    pub client_code: String,
    pub name: String,
    /// E.164.
    pub phone: String,
    /// Empty when the contact has none (the column is optional).
    pub email: String,
    pub authorized_to_receive: bool,
}

#[derive(Debug, Clone)]
pub struct ProductRec {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub prices: [Money; 5],
    pub is_new: bool,
    pub is_special: bool,
    pub alcohol: bool,
    pub stock: Quantity,
}

#[derive(Debug, Clone)]
pub struct TraditionalRec {
    pub client_type: String,
    pub sku: String,
}

#[derive(Debug, Clone)]
pub struct ReceivableRec {
    pub client_code: String,
    pub invoice: String,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub amount: Money,
    pub paid: Money,
}

#[derive(Debug, Clone)]
pub struct NumberRec {
    /// E.164.
    pub number: String,
    /// A company code; must be the imported company's when given.
    pub company: Option<String>,
    pub purpose: String,
}

#[derive(Debug, Clone)]
pub struct OrderLineRec {
    pub order_no: String,
    pub client_code: String,
    pub date: NaiveDate,
    pub sku: String,
    pub quantity: Quantity,
    pub unit_price: Money,
}

/// Everything one import brings, file by file.
#[derive(Debug, Clone, Default)]
pub struct ImportSet {
    pub departments: Vec<Row<DepartmentRec>>,
    pub staff: Vec<Row<StaffRec>>,
    pub absences: Vec<Row<AbsenceRec>>,
    pub clients: Vec<Row<ClientRec>>,
    pub contacts: Vec<Row<ContactRec>>,
    pub products: Vec<Row<ProductRec>>,
    pub traditional: Vec<Row<TraditionalRec>>,
    pub receivables: Vec<Row<ReceivableRec>>,
    pub order_lines: Vec<Row<OrderLineRec>>,
    pub numbers: Vec<Row<NumberRec>>,
}

/// Rows applied, per file, in import order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub files: Vec<(&'static str, usize)>,
}

impl ImportReport {
    pub fn rows(&self, file: &str) -> usize {
        self.files.iter().find(|(f, _)| *f == file).map_or(0, |(_, n)| *n)
    }
    pub fn total(&self) -> usize {
        self.files.iter().map(|(_, n)| n).sum()
    }
}

/// The files an import reads, in the order they are applied.
pub const FILES: [&str; 10] = [
    "departments.csv",
    "staff.csv",
    "absences.csv",
    "clients.csv",
    "contacts.csv",
    "products.csv",
    "traditional_products.csv",
    "receivables.csv",
    "orders.csv",
    "numbers.csv",
];

/// The columns of `products.csv`, read and written alike.
const PRODUCT_COLUMNS: [&str; 13] = [
    "sku",
    "name",
    "category",
    "unit",
    "price_1",
    "price_2",
    "price_3",
    "price_4",
    "price_5",
    "is_new",
    "is_special",
    "alcohol",
    "stock",
];

fn file_rank(file: &str) -> usize {
    FILES.iter().position(|f| *f == file).unwrap_or(FILES.len())
}

// ---- parsing ------------------------------------------------------------

/// The fields of one CSV row, read by column name. Each accessor records
/// an error and returns a placeholder, so that every bad field of every
/// row is reported in one run.
struct Fields<'a> {
    file: &'static str,
    line: u64,
    headers: &'a HashMap<String, usize>,
    rec: &'a csv::StringRecord,
    errors: Vec<ImportError>,
}

impl Fields<'_> {
    fn err(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(ImportError {
            file: self.file.to_owned(),
            line: self.line,
            column: column.to_owned(),
            reason: reason.into(),
        });
    }

    fn raw(&self, column: &str) -> &str {
        self.headers.get(column).and_then(|&i| self.rec.get(i)).map_or("", str::trim)
    }

    fn opt(&self, column: &str) -> Option<String> {
        let v = self.raw(column);
        (!v.is_empty()).then(|| v.to_owned())
    }

    fn text(&mut self, column: &str) -> String {
        let v = self.raw(column).to_owned();
        if v.is_empty() {
            self.err(column, "must not be empty");
        }
        v
    }

    fn code(&mut self, column: &str) -> String {
        let v = self.text(column);
        if !v.is_empty() {
            if let Err(e) = crate::validate_code(&v) {
                self.err(column, e.to_string());
            }
        }
        v
    }

    fn parsed<T, E: fmt::Display>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        let v = self.raw(column).to_owned();
        if v.is_empty() {
            self.err(column, "must not be empty");
            return None;
        }
        match parse(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(column, e.to_string());
                None
            }
        }
    }

    fn date(&mut self, column: &str) -> NaiveDate {
        self.parsed(column, |v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| format!("{v:?} is not a date YYYY-MM-DD"))
        })
        .unwrap_or_default()
    }

    fn money(&mut self, column: &str) -> Money {
        self.parsed(column, Money::parse_non_negative).unwrap_or_default()
    }

    fn quantity(&mut self, column: &str) -> Quantity {
        self.parsed(column, |v| {
            let q: Quantity = v.parse()?;
            if q.0 < 0 {
                return Err(centrala_domain::MoneyError::Negative(v.to_owned()));
            }
            Ok(q)
        })
        .unwrap_or_default()
    }

    fn boolean(&mut self, column: &str) -> bool {
        self.parsed(column, |v| match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("{v:?} is not true or false")),
        })
        .unwrap_or_default()
    }

    fn phone(&mut self, column: &str, cc: &str) -> Option<Phone> {
        self.parsed(column, |v| normalize_phone(v, cc))
    }

    /// An optional e-mail address: empty, or one that looks like one.
    fn email(&mut self, column: &str) -> String {
        let v = self.raw(column).to_owned();
        if !v.is_empty() && !centrala_desk::forms::is_email(&v) {
            self.err(column, format!("{v:?} is not an e-mail address"));
        }
        v
    }
}

/// Parses one CSV file. `required` columns must be in the header row;
/// `row` turns each row's fields into a record.
fn parse_csv<T>(
    file: &'static str,
    data: &[u8],
    required: &[&str],
    errors: &mut Vec<ImportError>,
    mut row: impl FnMut(&mut Fields<'_>) -> T,
) -> Vec<Row<T>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(data);
    let file_err = |line: u64, column: &str, reason: String| ImportError {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        reason,
    };
    let headers: HashMap<String, usize> = match reader.headers() {
        Ok(h) => h.iter().enumerate().map(|(i, name)| (name.trim().to_ascii_lowercase(), i)).collect(),
        Err(e) => {
            errors.push(file_err(1, "", format!("unreadable header row: {e}")));
            return Vec::new();
        }
    };
    let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.contains_key(*c)).collect();
    if !missing.is_empty() {
        for c in missing {
            errors.push(file_err(1, c, "required column is missing from the header row".into()));
        }
        return Vec::new();
    }
    // Lines as an editor shows them, from a record's first byte: the csv
    // crate's own line count starts a CRLF file's record on the line
    // before (the record begins at the previous line's '\n').
    let newlines: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
    let line_at = |byte: u64| {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX);
        if data.get(at) == Some(&b'\n') {
            at = at.saturating_add(1);
        }
        // Lines are 1-based: one more than the newlines before `at`.
        u64::try_from(newlines.partition_point(|n| *n < at)).unwrap_or(u64::MAX).saturating_add(1)
    };
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let line = line_at(reader.position().byte());
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(line, |p| line_at(p.byte()));
                let mut f = Fields { file, line, headers: &headers, rec: &rec, errors: Vec::new() };
                let t = row(&mut f);
                if f.errors.is_empty() {
                    out.push(Row { line, rec: t });
                } else {
                    errors.append(&mut f.errors);
                }
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| line_at(p.byte()));
                let reason = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("the row has {len} fields, the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                errors.push(file_err(line, "", reason));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    out
}

/// Reports rows whose key repeats an earlier row's in the same file.
fn check_unique<T>(
    file: &'static str,
    column: &str,
    rows: &[Row<T>],
    key: impl Fn(&T) -> String,
    errors: &mut Vec<ImportError>,
) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    for r in rows {
        let k = key(&r.rec);
        if let Some(first) = seen.get(&k) {
            errors.push(ImportError {
                file: file.to_owned(),
                line: r.line,
                column: column.to_owned(),
                reason: format!("{k:?} repeats line {first}"),
            });
        } else {
            seen.insert(k, r.line);
        }
    }
}

/// Parses the files of one import from memory: `(file name, contents)`.
/// Unknown file names are ignored. Returns the records of every good row
/// and the errors of every bad one.
pub fn parse_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    default_country_code: &str,
) -> (ImportSet, Vec<ImportError>) {
    let cc = default_country_code;
    let mut set = ImportSet::default();
    let mut errors = Vec::new();
    for (name, data) in files {
        let e = &mut errors;
        match name {
            "departments.csv" => {
                set.departments = parse_csv("departments.csv", data, &["code", "name"], e, |f| {
                    let name = f.text("name");
                    let kind = match f.opt("kind") {
                        None => DepartmentKind::guess(&name),
                        Some(k) => DepartmentKind::parse(&k).unwrap_or_else(|| {
                            f.err("kind", format!("{k:?} is not sales, wholesale, finance or other"));
                            DepartmentKind::Other
                        }),
                    };
                    DepartmentRec { code: f.code("code"), name, kind, head: f.opt("head") }
                });
                check_unique("departments.csv", "code", &set.departments, |r| r.code.clone(), e);
            }
            "staff.csv" => {
                set.staff = parse_csv("staff.csv", data, &["username", "full_name", "role"], e, |f| StaffRec {
                    username: f.code("username"),
                    full_name: f.text("full_name"),
                    role: f.parsed("role", |v| v.parse::<Role>()).unwrap_or(Role::Operator),
                    department: f.opt("department"),
                });
                check_unique("staff.csv", "username", &set.staff, |r| r.username.clone(), e);
            }
            "absences.csv" => {
                set.absences = parse_csv("absences.csv", data, &["username", "from", "to", "kind"], e, |f| {
                    let (from, to) = (f.date("from"), f.date("to"));
                    if to < from {
                        f.err("to", format!("{to} is before {from}"));
                    }
                    AbsenceRec {
                        username: f.text("username"),
                        from,
                        to,
                        kind: f.parsed("kind", |v| v.parse::<AbsenceKind>()).unwrap_or(AbsenceKind::Vacation),
                        substitute: f.opt("substitute"),
                    }
                });
                check_unique("absences.csv", "from", &set.absences, |r| format!("{} {}", r.username, r.from), e);
            }
            "clients.csv" => {
                set.clients = parse_csv(
                    "clients.csv",
                    data,
                    &["code", "name", "type", "manager", "phones", "credit_limit"],
                    e,
                    |f| {
                        let mut phones = Vec::new();
                        let raw = f.raw("phones").to_owned();
                        for p in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                            match normalize_phone(p, cc) {
                                Ok(p) if !phones.contains(&p) => phones.push(p),
                                Ok(_) => {}
                                Err(err) => f.err("phones", err.to_string()),
                            }
                        }
                        ClientRec {
                            code: f.code("code"),
                            name: f.text("name"),
                            client_type: f.text("type").to_lowercase().replace([' ', '-'], "_"),
                            manager: f.opt("manager"),
                            phones,
                            email: f.email("email"),
                            region: f.opt("region").unwrap_or_default(),
                            credit_limit: f.money("credit_limit"),
                        }
                    },
                );
                check_unique("clients.csv", "code", &set.clients, |r| r.code.clone(), e);
            }
            "contacts.csv" => {
                set.contacts = parse_csv(
                    "contacts.csv",
                    data,
                    &["client_code", "name", "phone", "authorized_to_receive"],
                    e,
                    |f| {
                        let email = f.email("email");
                        // A contact is reached by phone, by e-mail or both.
                        let phone = match (f.raw("phone").is_empty(), email.is_empty()) {
                            (true, true) => {
                                f.err("phone", "a contact needs a phone or an e-mail address");
                                String::new()
                            }
                            (true, false) => String::new(),
                            (false, _) => f.phone("phone", cc).map(|p| p.to_string()).unwrap_or_default(),
                        };
                        ContactRec {
                            client_code: f.text("client_code"),
                            name: f.text("name"),
                            phone,
                            email,
                            authorized_to_receive: f.boolean("authorized_to_receive"),
                        }
                    },
                );
                check_unique("contacts.csv", "name", &set.contacts, |r| format!("{} {}", r.client_code, r.name), e);
            }
            "products.csv" => {
                set.products = parse_csv("products.csv", data, &PRODUCT_COLUMNS, e, |f| ProductRec {
                    sku: f.code("sku"),
                    name: f.text("name"),
                    category: f.text("category"),
                    unit: f.text("unit"),
                    prices: [
                        f.money("price_1"),
                        f.money("price_2"),
                        f.money("price_3"),
                        f.money("price_4"),
                        f.money("price_5"),
                    ],
                    is_new: f.boolean("is_new"),
                    is_special: f.boolean("is_special"),
                    alcohol: f.boolean("alcohol"),
                    stock: f.quantity("stock"),
                });
                check_unique("products.csv", "sku", &set.products, |r| r.sku.clone(), e);
            }
            "traditional_products.csv" => {
                set.traditional =
                    parse_csv("traditional_products.csv", data, &["client_type", "sku"], e, |f| TraditionalRec {
                        client_type: f.text("client_type").to_lowercase().replace([' ', '-'], "_"),
                        sku: f.text("sku"),
                    });
            }
            "receivables.csv" => {
                set.receivables = parse_csv(
                    "receivables.csv",
                    data,
                    &["client_code", "invoice", "issued", "due", "amount", "paid"],
                    e,
                    |f| {
                        let (amount, paid) = (f.money("amount"), f.money("paid"));
                        if paid > amount {
                            f.err("paid", format!("{paid} is more than the amount {amount}"));
                        }
                        let (issued, due) = (f.date("issued"), f.date("due"));
                        if due < issued {
                            f.err("due", format!("{due} is before the issue date {issued}"));
                        }
                        ReceivableRec {
                            client_code: f.text("client_code"),
                            invoice: f.text("invoice"),
                            issued,
                            due,
                            amount,
                            paid,
                        }
                    },
                );
                check_unique("receivables.csv", "invoice", &set.receivables, |r| r.invoice.clone(), e);
            }
            "orders.csv" => {
                set.order_lines = parse_csv(
                    "orders.csv",
                    data,
                    &["order_no", "client_code", "date", "sku", "quantity", "unit_price"],
                    e,
                    |f| OrderLineRec {
                        order_no: f.text("order_no"),
                        client_code: f.text("client_code"),
                        date: f.date("date"),
                        sku: f.text("sku"),
                        quantity: f.quantity("quantity"),
                        unit_price: f.money("unit_price"),
                    },
                );
            }
            "numbers.csv" => {
                set.numbers = parse_csv("numbers.csv", data, &["number", "purpose"], e, |f| NumberRec {
                    number: f.phone("number", cc).map(|p| p.to_string()).unwrap_or_default(),
                    company: f.opt("company"),
                    purpose: f.text("purpose"),
                });
                check_unique("numbers.csv", "number", &set.numbers, |r| r.number.clone(), e);
            }
            _ => {}
        }
    }
    (set, errors)
}

/// Reads the known CSV files of `dir` (absent files are skipped).
pub fn read_dir(dir: &Path, default_country_code: &str) -> (ImportSet, Vec<ImportError>) {
    let mut contents = Vec::new();
    let mut errors = Vec::new();
    for name in FILES {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(data) => contents.push((name, data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(ImportError {
                file: name.to_owned(),
                line: 0,
                column: String::new(),
                reason: e.to_string(),
            }),
        }
    }
    let (set, mut parse_errors) = parse_files(contents.iter().map(|(n, d)| (*n, d.as_slice())), default_country_code);
    errors.append(&mut parse_errors);
    (set, errors)
}

// ---- writing ---------------------------------------------------------------

fn b2s(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

impl ImportSet {
    /// Writes the set as the CSV files [`read_dir`] reads: the demo can be
    /// exported, edited in a spreadsheet and imported again.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        fn write<T>(
            dir: &Path,
            file: &str,
            header: &[&str],
            rows: &[Row<T>],
            f: impl Fn(&T) -> Vec<String>,
        ) -> std::io::Result<()> {
            if rows.is_empty() {
                return Ok(());
            }
            let mut w = csv::Writer::from_path(dir.join(file))?;
            w.write_record(header)?;
            for r in rows {
                w.write_record(f(&r.rec))?;
            }
            w.flush()
        }
        std::fs::create_dir_all(dir)?;
        write(dir, "departments.csv", &["code", "name", "kind", "head"], &self.departments, |d| {
            vec![d.code.clone(), d.name.clone(), d.kind.as_str().into(), d.head.clone().unwrap_or_default()]
        })?;
        write(dir, "staff.csv", &["username", "full_name", "role", "department"], &self.staff, |s| {
            vec![s.username.clone(), s.full_name.clone(), s.role.to_string(), s.department.clone().unwrap_or_default()]
        })?;
        write(dir, "absences.csv", &["username", "from", "to", "kind", "substitute"], &self.absences, |a| {
            vec![
                a.username.clone(),
                fmt_date(a.from),
                fmt_date(a.to),
                a.kind.to_string(),
                a.substitute.clone().unwrap_or_default(),
            ]
        })?;
        write(
            dir,
            "clients.csv",
            &["code", "name", "type", "manager", "phones", "email", "region", "credit_limit"],
            &self.clients,
            |c| {
                vec![
                    c.code.clone(),
                    c.name.clone(),
                    c.client_type.clone(),
                    c.manager.clone().unwrap_or_default(),
                    c.phones.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(";"),
                    c.email.clone(),
                    c.region.clone(),
                    c.credit_limit.to_string(),
                ]
            },
        )?;
        write(
            dir,
            "contacts.csv",
            &["client_code", "name", "phone", "email", "authorized_to_receive"],
            &self.contacts,
            |c| {
                vec![
                    c.client_code.clone(),
                    c.name.clone(),
                    c.phone.clone(),
                    c.email.clone(),
                    b2s(c.authorized_to_receive).into(),
                ]
            },
        )?;
        write(dir, "products.csv", &PRODUCT_COLUMNS, &self.products, |p| {
            let mut v = vec![p.sku.clone(), p.name.clone(), p.category.clone(), p.unit.clone()];
            v.extend(p.prices.iter().map(ToString::to_string));
            v.extend([b2s(p.is_new).into(), b2s(p.is_special).into(), b2s(p.alcohol).into(), p.stock.to_string()]);
            v
        })?;
        write(dir, "traditional_products.csv", &["client_type", "sku"], &self.traditional, |t| {
            vec![t.client_type.clone(), t.sku.clone()]
        })?;
        write(
            dir,
            "receivables.csv",
            &["client_code", "invoice", "issued", "due", "amount", "paid"],
            &self.receivables,
            |r| {
                vec![
                    r.client_code.clone(),
                    r.invoice.clone(),
                    fmt_date(r.issued),
                    fmt_date(r.due),
                    r.amount.to_string(),
                    r.paid.to_string(),
                ]
            },
        )?;
        write(
            dir,
            "orders.csv",
            &["order_no", "client_code", "date", "sku", "quantity", "unit_price"],
            &self.order_lines,
            |o| {
                vec![
                    o.order_no.clone(),
                    o.client_code.clone(),
                    fmt_date(o.date),
                    o.sku.clone(),
                    o.quantity.to_string(),
                    o.unit_price.to_string(),
                ]
            },
        )?;
        Ok(())
    }

    /// Rows in all files.
    pub fn len(&self) -> usize {
        self.departments.len()
            + self.staff.len()
            + self.absences.len()
            + self.clients.len()
            + self.contacts.len()
            + self.products.len()
            + self.traditional.len()
            + self.receivables.len()
            + self.order_lines.len()
            + self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ---- applying -------------------------------------------------------------

use crate::writer::Tx;

/// An order's first line (client, date), its client id, and its lines
/// with their product ids.
type ResolvedOrder<'a> = (&'a OrderLineRec, i64, Vec<(i64, &'a OrderLineRec)>);

/// The apply phase: resolves references and upserts, collecting errors.
struct Apply<'t> {
    tx: &'t mut Tx,
    company: i64,
    code: String,
    errors: Vec<ImportError>,
    report: ImportReport,
}

async fn id_map(tx: &mut Tx, sql: &str, company: i64) -> StoreResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sql).bind(company).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().collect())
}

impl Apply<'_> {
    fn err(&mut self, file: &str, line: u64, column: &str, reason: String) {
        self.errors.push(ImportError { file: file.to_owned(), line, column: column.to_owned(), reason });
    }

    fn resolve(
        &mut self,
        map: &HashMap<String, i64>,
        key: &str,
        what: &str,
        file: &str,
        line: u64,
        column: &str,
    ) -> Option<i64> {
        let id = map.get(key).copied();
        if id.is_none() {
            self.err(file, line, column, format!("unknown {what} {key:?}"));
        }
        id
    }

    async fn run(&mut self, set: &ImportSet) -> StoreResult<()> {
        let c = self.company;
        let mut depts = id_map(self.tx, "SELECT code, id FROM departments WHERE company_id = $1", c).await?;
        let dept_names = id_map(self.tx, "SELECT name, id FROM departments WHERE company_id = $1", c).await?;
        let mut dept_by_name: HashMap<String, i64> =
            dept_names.into_iter().map(|(n, id)| (n.to_lowercase(), id)).collect();

        // Departments, explicit first, then any named only in staff.csv.
        for r in &set.departments {
            let d = &r.rec;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO departments (company_id, code, name, kind) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (company_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind RETURNING id",
            )
            .bind(c)
            .bind(&d.code)
            .bind(&d.name)
            .bind(d.kind.as_str())
            .fetch_all(&mut **self.tx)
            .await?
            .returned()?;
            depts.insert(d.code.clone(), id);
            dept_by_name.insert(d.name.to_lowercase(), id);
        }
        let mut implicit = 0;
        for r in &set.staff {
            if let Some(dep) = &r.rec.department {
                if depts.contains_key(dep) || dept_by_name.contains_key(&dep.to_lowercase()) {
                    continue;
                }
                let code = slug(dep);
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO departments (company_id, code, name, kind) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (company_id, code) DO UPDATE SET name = excluded.name RETURNING id",
                )
                .bind(c)
                .bind(&code)
                .bind(dep)
                .bind(DepartmentKind::guess(dep).as_str())
                .fetch_all(&mut **self.tx)
                .await?
                .returned()?;
                depts.insert(code, id);
                dept_by_name.insert(dep.to_lowercase(), id);
                implicit += 1;
            }
        }
        self.report.files.push(("departments.csv", set.departments.len() + implicit));

        // Staff, upserted by username; passwords and activity are untouched.
        let mut staff = id_map(self.tx, "SELECT username, id FROM staff WHERE company_id = $1", c).await?;
        let now = now_rfc3339();
        let mut heads_by_dept: HashMap<i64, i64> = HashMap::new();
        let mut finance_by_dept: HashMap<i64, i64> = HashMap::new();
        for r in &set.staff {
            let s = &r.rec;
            let dept = match &s.department {
                None => None,
                Some(d) => depts.get(d).or_else(|| dept_by_name.get(&d.to_lowercase())).copied(),
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO staff (company_id, username, full_name, role, department_id, active, locale, created_at)
                 VALUES ($1, $2, $3, $4, $5, 1, 'en', $6)
                 ON CONFLICT (company_id, username) DO UPDATE SET full_name = excluded.full_name, role = excluded.role,
                 department_id = excluded.department_id RETURNING id",
            )
            .bind(c)
            .bind(&s.username)
            .bind(&s.full_name)
            .bind(s.role.as_str())
            .bind(dept)
            .bind(&now)
            .fetch_all(&mut **self.tx)
            .await?
            .returned()?;
            staff.insert(s.username.clone(), id);
            if let Some(d) = dept {
                // The first head of a department takes the seat; finance
                // staff head their department only when it has no head.
                if s.role.is_head() {
                    heads_by_dept.entry(d).or_insert(id);
                } else if s.role == Role::Finance {
                    finance_by_dept.entry(d).or_insert(id);
                }
            }
        }
        for (d, id) in finance_by_dept {
            heads_by_dept.entry(d).or_insert(id);
        }
        self.report.files.push(("staff.csv", set.staff.len()));

        // Department heads: named in departments.csv, else inferred once.
        for r in &set.departments {
            if let Some(head) = &r.rec.head {
                if let Some(h) = self.resolve(&staff, head, "staff member", "departments.csv", r.line, "head") {
                    sqlx::query("UPDATE departments SET head_staff_id = $3 WHERE company_id = $1 AND code = $2")
                        .bind(c)
                        .bind(&r.rec.code)
                        .bind(h)
                        .execute(&mut **self.tx)
                        .await?;
                }
            }
        }
        for (dept, head) in heads_by_dept {
            sqlx::query(
                "UPDATE departments SET head_staff_id = $3 WHERE company_id = $1 AND id = $2 AND head_staff_id IS NULL",
            )
            .bind(c)
            .bind(dept)
            .bind(head)
            .execute(&mut **self.tx)
            .await?;
        }

        for r in &set.absences {
            let a = &r.rec;
            let who = self.resolve(&staff, &a.username, "staff member", "absences.csv", r.line, "username");
            let sub = match &a.substitute {
                None => None,
                Some(s) => match self.resolve(&staff, s, "staff member", "absences.csv", r.line, "substitute") {
                    None => continue,
                    some => some,
                },
            };
            let Some(who) = who else { continue };
            sqlx::query(
                "INSERT INTO absences (company_id, staff_id, from_date, to_date, kind, substitute_staff_id) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (company_id, staff_id, from_date) DO UPDATE SET to_date = excluded.to_date, kind = excluded.kind,
                 substitute_staff_id = excluded.substitute_staff_id",
            )
            .bind(c)
            .bind(who)
            .bind(fmt_date(a.from))
            .bind(fmt_date(a.to))
            .bind(a.kind.as_str())
            .bind(sub)
            .execute(&mut **self.tx)
            .await?;
        }
        self.report.files.push(("absences.csv", set.absences.len()));

        // Clients, their types and phones.
        let mut clients = id_map(self.tx, "SELECT code, id FROM clients WHERE company_id = $1", c).await?;
        let mut vocabulary = BTreeSet::new();
        let mut types_seen: Vec<&str> = Vec::new();
        for r in &set.clients {
            let k = &r.rec;
            let manager = match &k.manager {
                None => None,
                Some(m) => match self.resolve(&staff, m, "staff member", "clients.csv", r.line, "manager") {
                    None => continue,
                    some => some,
                },
            };
            if !types_seen.contains(&k.client_type.as_str()) {
                types_seen.push(&k.client_type);
                sqlx::query("INSERT INTO client_types (company_id, code, name) VALUES ($1, $2, $2) ON CONFLICT (company_id, code) DO NOTHING")
                    .bind(c)
                    .bind(&k.client_type)
                    .execute(&mut **self.tx)
                    .await?;
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO clients (company_id, code, name, client_type, manager_staff_id, email, region, credit_limit)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (company_id, code) DO UPDATE SET name = excluded.name, client_type = excluded.client_type,
                 manager_staff_id = excluded.manager_staff_id, email = excluded.email, region = excluded.region,
                 credit_limit = excluded.credit_limit RETURNING id",
            )
            .bind(c)
            .bind(&k.code)
            .bind(&k.name)
            .bind(&k.client_type)
            .bind(manager)
            .bind(&k.email)
            .bind(&k.region)
            .bind(k.credit_limit.cents())
            .fetch_all(&mut **self.tx)
            .await?
            .returned()?;
            crate::search::index(self.tx, c, Kind::Client, id, &[&k.name, &k.code], &mut vocabulary).await?;
            clients.insert(k.code.clone(), id);
            sqlx::query("DELETE FROM client_phones WHERE company_id = $1 AND client_id = $2")
                .bind(c)
                .bind(id)
                .execute(&mut **self.tx)
                .await?;
            for p in &k.phones {
                sqlx::query("INSERT INTO client_phones (company_id, client_id, phone) VALUES ($1, $2, $3)")
                    .bind(c)
                    .bind(id)
                    .bind(p.as_str())
                    .execute(&mut **self.tx)
                    .await?;
            }
        }
        crate::search::add_typos(self.tx, c, Kind::Client, &vocabulary).await?;
        self.report.files.push(("clients.csv", set.clients.len()));

        for r in &set.contacts {
            let k = &r.rec;
            let Some(client) = self.resolve(&clients, &k.client_code, "client", "contacts.csv", r.line, "client_code")
            else {
                continue;
            };
            sqlx::query(
                "INSERT INTO contacts (company_id, client_id, name, phone, email, authorized_to_receive)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (company_id, client_id, name) DO UPDATE SET phone = excluded.phone,
                 email = excluded.email, authorized_to_receive = excluded.authorized_to_receive",
            )
            .bind(c)
            .bind(client)
            .bind(&k.name)
            .bind(&k.phone)
            .bind(&k.email)
            .bind(b(k.authorized_to_receive))
            .execute(&mut **self.tx)
            .await?;
        }
        self.report.files.push(("contacts.csv", set.contacts.len()));

        let mut products = id_map(self.tx, "SELECT sku, id FROM products WHERE company_id = $1", c).await?;
        let mut vocabulary = BTreeSet::new();
        for r in &set.products {
            let p = &r.rec;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO products (company_id, sku, name, category, unit, price_1, price_2, price_3, price_4, price_5,
                 is_new, is_special, alcohol, stock) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (company_id, sku) DO UPDATE SET name = excluded.name, category = excluded.category,
                 unit = excluded.unit, price_1 = excluded.price_1, price_2 = excluded.price_2, price_3 = excluded.price_3,
                 price_4 = excluded.price_4, price_5 = excluded.price_5, is_new = excluded.is_new,
                 is_special = excluded.is_special, alcohol = excluded.alcohol, stock = excluded.stock RETURNING id",
            )
            .bind(c)
            .bind(&p.sku)
            .bind(&p.name)
            .bind(&p.category)
            .bind(&p.unit)
            .bind(p.prices[0].cents())
            .bind(p.prices[1].cents())
            .bind(p.prices[2].cents())
            .bind(p.prices[3].cents())
            .bind(p.prices[4].cents())
            .bind(b(p.is_new))
            .bind(b(p.is_special))
            .bind(b(p.alcohol))
            .bind(p.stock.0)
            .fetch_all(&mut **self.tx)
            .await?
            .returned()?;
            crate::search::index(self.tx, c, Kind::Product, id, &[&p.name, &p.sku, &p.category], &mut vocabulary)
                .await?;
            products.insert(p.sku.clone(), id);
        }
        crate::search::add_typos(self.tx, c, Kind::Product, &vocabulary).await?;
        self.report.files.push(("products.csv", set.products.len()));

        for r in &set.traditional {
            let t = &r.rec;
            let Some(p) = self.resolve(&products, &t.sku, "product", "traditional_products.csv", r.line, "sku") else {
                continue;
            };
            sqlx::query("INSERT INTO client_types (company_id, code, name) VALUES ($1, $2, $2) ON CONFLICT (company_id, code) DO NOTHING")
                .bind(c)
                .bind(&t.client_type)
                .execute(&mut **self.tx)
                .await?;
            sqlx::query(
                "INSERT INTO traditional_products (company_id, client_type, product_id) VALUES ($1, $2, $3)
                 ON CONFLICT (company_id, client_type, product_id) DO NOTHING",
            )
            .bind(c)
            .bind(&t.client_type)
            .bind(p)
            .execute(&mut **self.tx)
            .await?;
        }
        self.report.files.push(("traditional_products.csv", set.traditional.len()));

        for r in &set.receivables {
            let v = &r.rec;
            let Some(client) =
                self.resolve(&clients, &v.client_code, "client", "receivables.csv", r.line, "client_code")
            else {
                continue;
            };
            sqlx::query(
                "INSERT INTO receivables (company_id, client_id, invoice, issued, due, amount, paid) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (company_id, invoice) DO UPDATE SET client_id = excluded.client_id, issued = excluded.issued,
                 due = excluded.due, amount = excluded.amount, paid = excluded.paid",
            )
            .bind(c)
            .bind(client)
            .bind(&v.invoice)
            .bind(fmt_date(v.issued))
            .bind(fmt_date(v.due))
            .bind(v.amount.cents())
            .bind(v.paid.cents())
            .execute(&mut **self.tx)
            .await?;
        }
        self.report.files.push(("receivables.csv", set.receivables.len()));

        self.apply_orders(set, &clients, &products).await?;

        for r in &set.numbers {
            let n = &r.rec;
            if n.company.as_deref().is_some_and(|c| c != self.code) {
                self.err("numbers.csv", r.line, "company", format!("this import is for company {:?}", self.code));
                continue;
            }
            let done = sqlx::query(
                "INSERT INTO company_numbers (number, company_id, purpose) VALUES ($1, $2, $3)
                 ON CONFLICT (number) DO UPDATE SET purpose = excluded.purpose
                 WHERE company_numbers.company_id = excluded.company_id",
            )
            .bind(&n.number)
            .bind(c)
            .bind(&n.purpose)
            .execute(&mut **self.tx)
            .await?;
            if done.rows_affected() == 0 {
                self.err("numbers.csv", r.line, "number", format!("{} belongs to another company", n.number));
            }
        }
        self.report.files.push(("numbers.csv", set.numbers.len()));
        Ok(())
    }

    /// Order history: lines grouped by order number; an order's lines must
    /// agree on client and date. Re-importing an order replaces its lines.
    async fn apply_orders(
        &mut self,
        set: &ImportSet,
        clients: &HashMap<String, i64>,
        products: &HashMap<String, i64>,
    ) -> StoreResult<()> {
        let c = self.company;
        let mut order_index: HashMap<&str, usize> = HashMap::new();
        let mut orders: Vec<(&Row<OrderLineRec>, Vec<&Row<OrderLineRec>>)> = Vec::new();
        for r in &set.order_lines {
            match order_index.get(r.rec.order_no.as_str()) {
                None => {
                    order_index.insert(&r.rec.order_no, orders.len());
                    orders.push((r, vec![r]));
                }
                Some(&i) => {
                    let first = orders[i].0;
                    if first.rec.client_code != r.rec.client_code {
                        self.err(
                            "orders.csv",
                            r.line,
                            "client_code",
                            format!(
                                "order {} has client {:?} on line {}",
                                r.rec.order_no, first.rec.client_code, first.line
                            ),
                        );
                    } else if first.rec.date != r.rec.date {
                        self.err(
                            "orders.csv",
                            r.line,
                            "date",
                            format!("order {} has date {} on line {}", r.rec.order_no, first.rec.date, first.line),
                        );
                    }
                    orders[i].1.push(r);
                }
            }
        }
        // Resolve every reference first; write only when all resolve.
        let mut resolved_orders: Vec<ResolvedOrder<'_>> = Vec::with_capacity(orders.len());
        for (head, lines) in &orders {
            let client = self.resolve(clients, &head.rec.client_code, "client", "orders.csv", head.line, "client_code");
            let mut resolved = Vec::with_capacity(lines.len());
            for l in lines {
                if let Some(p) = self.resolve(products, &l.rec.sku, "product", "orders.csv", l.line, "sku") {
                    resolved.push((p, &l.rec));
                }
            }
            if let Some(client) = client {
                resolved_orders.push((&head.rec, client, resolved));
            }
        }
        if !self.errors.is_empty() {
            return Ok(());
        }
        // Then write in batches: one round trip per BATCH rows, which is
        // what makes a 100,000-row import fast on PostgreSQL too.
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(resolved_orders.len());
        for chunk in resolved_orders.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO orders (company_id, order_no, client_id, order_date, status, total) VALUES {}
                 ON CONFLICT (company_id, order_no) DO UPDATE SET client_id = excluded.client_id,
                 order_date = excluded.order_date, total = excluded.total RETURNING id, order_no",
                placeholders(chunk.len(), 6)
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for (head, client, lines) in chunk {
                let total: Money = lines.iter().map(|(_, l)| l.unit_price.times(l.quantity)).sum();
                q = q
                    .bind(c)
                    .bind(&head.order_no)
                    .bind(*client)
                    .bind(fmt_date(head.date))
                    .bind("delivered")
                    .bind(total.cents());
            }
            ids.extend(q.fetch_all(&mut **self.tx).await?.into_iter().map(|(id, no)| (no, id)));
        }
        let order_ids: Vec<i64> = ids.values().copied().collect();
        for chunk in order_ids.chunks(BATCH) {
            let list = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("DELETE FROM order_lines WHERE company_id = $1 AND order_id IN ({list})");
            let mut q = sqlx::query(&sql).bind(c);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut **self.tx).await?;
        }
        let mut all_lines: Vec<(i64, i64, i64, &OrderLineRec)> = Vec::new();
        for (head, _, lines) in &resolved_orders {
            let Some(&order_id) = ids.get(head.order_no.as_str()) else { continue };
            for (n, (product, l)) in lines.iter().enumerate() {
                all_lines.push((order_id, i64::try_from(n).unwrap_or(i64::MAX) + 1, *product, l));
            }
        }
        for chunk in all_lines.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO order_lines (company_id, order_id, line_no, product_id, quantity, unit_price) VALUES {}",
                placeholders(chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for (order_id, line_no, product, l) in chunk {
                q = q
                    .bind(c)
                    .bind(*order_id)
                    .bind(*line_no)
                    .bind(*product)
                    .bind(l.quantity.0)
                    .bind(l.unit_price.cents());
            }
            q.execute(&mut **self.tx).await?;
        }
        self.report.files.push(("orders.csv", set.order_lines.len()));
        if !set.order_lines.is_empty() {
            refresh_product_pairs(self.tx, c).await?;
        }
        Ok(())
    }
}

/// Pairs kept per product.
pub const PAIRS_KEPT: i64 = 20;

/// Recounts, for every pair of products, in how many of the company's
/// orders they were bought together (what "complementary" reads).
async fn refresh_product_pairs(tx: &mut Tx, company: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM product_pairs WHERE company_id = $1").bind(company).execute(&mut **tx).await?;
    // Only each product's strongest pairs are kept: that is all the
    // recommendations read, and it keeps the table (and the catalog cache)
    // proportional to the assortment, not to the order history.
    sqlx::query(
        "INSERT INTO product_pairs (company_id, product_id, other_id, orders)
         SELECT company_id, product_id, other_id, orders FROM (
             SELECT a.company_id, a.product_id, b.product_id AS other_id, COUNT(DISTINCT a.order_id) AS orders,
                    ROW_NUMBER() OVER (PARTITION BY a.product_id ORDER BY COUNT(DISTINCT a.order_id) DESC, b.product_id) AS rank
             FROM order_lines a JOIN order_lines b ON b.company_id = a.company_id AND b.order_id = a.order_id
                  AND b.product_id <> a.product_id
             WHERE a.company_id = $1
             GROUP BY a.company_id, a.product_id, b.product_id) ranked
         WHERE rank <= $2",
    )
    .bind(company)
    .bind(PAIRS_KEPT)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rows per multi-row statement: 500 × 6 parameters stays far below both
/// SQLite's and PostgreSQL's parameter limits.
const BATCH: usize = 500;

/// `($1, $2, $3), ($4, $5, $6)` for `rows` rows of `cols` parameters.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A department code made from its name: `Sales North` → `sales-north`.
fn slug(name: &str) -> String {
    let s: String =
        name.trim().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() {
        "department".to_owned()
    } else {
        s.chars().take(64).collect()
    }
}

impl Store {
    /// Applies `set` to the company `code` (created, named `name`, if it
    /// does not exist) in one transaction. `prior` are the parse errors of
    /// the same import: if there are any, or if any reference does not
    /// resolve, nothing is written and every error is returned.
    pub async fn import(
        &self,
        code: &str,
        name: &str,
        set: &ImportSet,
        prior: Vec<ImportError>,
        actor: &str,
    ) -> Result<ImportReport, ImportFailure> {
        crate::validate_code(code)?;
        let mut tx = self.begin().await?;
        let company = ensure_company_tx(&mut tx, code, name).await?;
        let mut apply = Apply {
            tx: &mut tx,
            company: company.id.0,
            code: code.to_owned(),
            errors: prior,
            report: ImportReport::default(),
        };
        apply.run(set).await?;
        let mut errors = std::mem::take(&mut apply.errors);
        let report = std::mem::take(&mut apply.report);
        if !errors.is_empty() {
            tx.rollback().await.map_err(StoreError::from)?;
            errors.sort_by_key(|e| (file_rank(&e.file), e.line));
            return Err(ImportFailure::Rejected(errors));
        }
        let detail = report.files.iter().map(|(f, n)| format!("{f}={n}")).collect::<Vec<_>>().join(" ");
        sqlx::query(
            "INSERT INTO audit_log (company_id, actor, action, entity, entity_id, detail, at) VALUES ($1, $2, 'import', 'company', $3, $4, $5)",
        )
        .bind(company.id.0)
        .bind(actor)
        .bind(code)
        .bind(detail)
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        // Fresh statistics for the query planners after a bulk load.
        sqlx::query("ANALYZE").execute(self.pool()).await.map_err(StoreError::from)?;
        Ok(report)
    }

    /// [`read_dir`] then [`Store::import`].
    pub async fn import_dir(
        &self,
        code: &str,
        dir: &Path,
        default_country_code: &str,
        actor: &str,
    ) -> Result<ImportReport, ImportFailure> {
        if !dir.is_dir() {
            return Err(ImportFailure::Rejected(vec![ImportError {
                file: dir.display().to_string(),
                line: 0,
                column: String::new(),
                reason: "not a directory".into(),
            }]));
        }
        let (set, errors) = read_dir(dir, default_country_code);
        self.import(code, code, &set, errors, actor).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_of_every_row_is_reported() {
        let csv = b"sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
            A1,Beer,drinks,pc,1.00,0.95,0.90,0.85,0.80,false,false,true,10\n\
            A2,,drinks,pc,1.0x,0.95,0.90,0.85,0.80,yes,false,true,-1\n\
            A1,Wine,drinks,pc,5,5,5,5,5,false,false,true,1\n\
            A3,Short row\n";
        let (set, errors) = parse_files([("products.csv", &csv[..])], "387");
        assert_eq!(set.products.len(), 2);
        let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            vec![
                "products.csv:3: column name: must not be empty",
                "products.csv:3: column price_1: \"1.0x\" is not a decimal number (use a dot: 1234.50)",
                "products.csv:3: column is_new: \"yes\" is not true or false",
                "products.csv:3: column stock: \"-1\" is negative",
                "products.csv:5: the row has 2 fields, the header has 13",
                "products.csv:4: column sku: \"A1\" repeats line 2",
            ]
        );
    }

    /// Spreadsheet programs write CRLF: every error names the line an
    /// editor shows, as with LF (before, each was reported a line early).
    #[test]
    fn crlf_files_report_the_lines_an_editor_shows() {
        let lf = "sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
            A1,Beer,drinks,pc,1.00,0.95,0.90,0.85,0.80,false,false,true,10\n\
            A2,\"Two\nlines\",drinks,pc,1,1,1,1,1,false,false,true,1\n\
            A3,,drinks,pc,1,1,1,1,1,false,false,true,1\n\
            A4,Short row\n\
            A1,Wine,drinks,pc,5,5,5,5,5,maybe,false,true,1\n";
        let crlf = lf.replace('\n', "\r\n");
        let want = vec![
            "products.csv:5: column name: must not be empty",
            "products.csv:6: the row has 2 fields, the header has 13",
            "products.csv:7: column is_new: \"maybe\" is not true or false",
        ];
        for (name, text) in [("LF", lf.to_owned()), ("CRLF", crlf)] {
            let (_, errors) = parse_files([("products.csv", text.as_bytes())], "387");
            let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let (set, errors) = parse_files([("staff.csv", &b"username,role\nana,operator\n"[..])], "387");
        assert!(set.staff.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "staff.csv:1: column full_name: required column is missing from the header row"
        );
    }

    #[test]
    fn quoted_fields_bom_and_phone_lists_parse() {
        let csv = "\u{feff}code,name,type,manager,phones,email,region,credit_limit\n\
                   K1,\"Market \"\"Zora\"\", d.o.o.\",Key,mgr1,\"033 123 456; +387 61 222 333\",z@x.ba,Sarajevo,1500.50\n";
        let (set, errors) = parse_files([("clients.csv", csv.as_bytes())], "387");
        assert!(errors.is_empty(), "{errors:?}");
        let c = &set.clients[0].rec;
        assert_eq!(c.name, "Market \"Zora\", d.o.o.");
        assert_eq!(c.client_type, "key");
        assert_eq!(c.phones.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["+38733123456", "+38761222333"]);
        assert_eq!(c.credit_limit, Money(150050));
    }

    #[test]
    fn the_demo_survives_a_round_trip_through_csv() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let set = crate::demo::generate(today);
        let dir = std::env::temp_dir().join(format!("centrala-roundtrip-{}", std::process::id()));
        set.write_dir(&dir).unwrap();
        let (back, errors) = read_dir(&dir, "387");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(5)]);
        assert_eq!(back.len(), set.len());
        assert_eq!(
            format!("{:?}", back.clients.iter().map(|r| &r.rec).collect::<Vec<_>>()),
            format!("{:?}", set.clients.iter().map(|r| &r.rec).collect::<Vec<_>>())
        );
        assert_eq!(
            format!("{:?}", back.order_lines.last().map(|r| &r.rec)),
            format!("{:?}", set.order_lines.last().map(|r| &r.rec))
        );
        assert_eq!(
            format!("{:?}", back.products.iter().map(|r| &r.rec).collect::<Vec<_>>()),
            format!("{:?}", set.products.iter().map(|r| &r.rec).collect::<Vec<_>>())
        );
    }

    #[test]
    fn placeholders_number_every_parameter() {
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }

    #[test]
    fn slugs_are_codes() {
        assert_eq!(slug("Sales — North"), "sales-north");
        assert_eq!(slug("  "), "department");
        assert!(crate::validate_code(&slug("Veleprodaja / Wholesale")).is_ok());
    }
}
