//! The demo company (`demo`): a food-and-drinks distributor, generated from
//! a fixed seed and applied through the importer, so the demo exercises the
//! same path as a real import.
//!
//! Dates are relative to the `today` passed in: the history is always the
//! last 12 months, some clients are always dormant, some always overdue.

use crate::import::*;
use crate::interactions::{Direction, Disposition, RoutingRule, StoryKind};
use crate::intervals::PastCall;
use crate::{password, DepartmentKind, Result, Store, StoreError};
use centrala_domain::{normalize_phone, AbsenceKind, ClientId, Intent, Money, Quantity, Role, StaffId};
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const CODE: &str = "demo";
pub const NAME: &str = "Demo Distribucija d.o.o.";
/// Every demo user's password, in demo mode only.
pub const PASSWORD: &str = "demo";

const SEED: u64 = 0x00CE_17A1_A000_2026;

/// The demo staff: (username, full name, role, department code).
pub const STAFF: &[(&str, &str, Role, &str)] = &[
    ("admin", "Admir Adminović", Role::Admin, "contact-center"),
    ("sup.nina", "Nina Supervizorić", Role::Supervisor, "contact-center"),
    ("op.ana", "Ana Operaterka", Role::Operator, "contact-center"),
    ("op.haris", "Haris Hodžić", Role::Operator, "contact-center"),
    ("op.selma", "Selma Begić", Role::Operator, "contact-center"),
    ("op.dino", "Dino Kovač", Role::Operator, "contact-center"),
    ("op.maja", "Maja Perić", Role::Operator, "contact-center"),
    ("op.kenan", "Kenan Mujić", Role::Operator, "contact-center"),
    ("head.north", "Mirza Delić", Role::HeadOfSales, "sales-north"),
    ("head.south", "Vesna Marić", Role::HeadOfSales, "sales-south"),
    ("head.wholesale", "Zlatan Hadžić", Role::HeadOfWholesale, "wholesale"),
    ("mgr.emir", "Emir Softić", Role::Manager, "sales-north"),
    ("mgr.jasna", "Jasna Ibrić", Role::Manager, "sales-south"),
    ("kam.lejla", "Lejla Hasić", Role::KeyAccountManager, "wholesale"),
    ("kam.tarik", "Tarik Zukić", Role::KeyAccountManager, "wholesale"),
    ("fin.amra", "Amra Finansić", Role::Finance, "finance"),
];

const DEPARTMENTS: &[(&str, &str, DepartmentKind, &str)] = &[
    ("sales-north", "Prodaja Sjever", DepartmentKind::Sales, "head.north"),
    ("sales-south", "Prodaja Jug", DepartmentKind::Sales, "head.south"),
    ("wholesale", "Veleprodaja", DepartmentKind::Wholesale, "head.wholesale"),
    ("finance", "Finansije", DepartmentKind::Finance, "fin.amra"),
    ("contact-center", "Kontakt centar", DepartmentKind::Other, "sup.nina"),
];

const NORTH: &[&str] = &["Tuzla", "Zenica", "Doboj", "Brčko", "Banja Luka"];
const SOUTH: &[&str] = &["Sarajevo", "Mostar", "Konjic", "Trebinje", "Goražde"];
const AREA_CODES: &[(&str, &str)] = &[
    ("Tuzla", "35"),
    ("Zenica", "32"),
    ("Doboj", "53"),
    ("Brčko", "49"),
    ("Banja Luka", "51"),
    ("Sarajevo", "33"),
    ("Mostar", "36"),
    ("Konjic", "36"),
    ("Trebinje", "59"),
    ("Goražde", "38"),
];

const NAME_HEADS: &[&str] = &[
    "Market",
    "Trgovina",
    "Kafe",
    "Restoran",
    "Pekara",
    "Mini market",
    "Hotel",
    "Bife",
    "Caffe bar",
    "Diskont",
    "Kiosk",
    "Pizzeria",
    "Ćevabdžinica",
    "Slastičarna",
    "Prodavnica",
];
const NAME_TAILS: &[&str] = &[
    "Zora",
    "Bosna",
    "Sunce",
    "Lipa",
    "Neretva",
    "Drina",
    "Una",
    "Sana",
    "Vrbas",
    "Jasmin",
    "Behar",
    "Most",
    "Kula",
    "Ada",
    "Centar",
    "Stari grad",
    "Korzo",
    "Park",
    "Planet",
    "Duga",
    "Jelena",
    "Amir",
    "Biser",
    "Sedef",
];
const PEOPLE: &[&str] = &[
    "Amela", "Senad", "Dragan", "Ivana", "Muhamed", "Branka", "Nedim", "Sanja", "Goran", "Azra", "Mirsad", "Lana",
    "Edin", "Vedrana", "Alen", "Dženana", "Boris", "Merima", "Igor", "Nermina",
];

/// A product category: (name, alcohol, unit, base price range in cents,
/// product names, pack sizes). Every name comes in every size.
type Category = (&'static str, bool, &'static str, (i64, i64), &'static [&'static str], &'static [&'static str]);

const CATALOG: &[Category] = &[
    (
        "Beer",
        true,
        "case",
        (1800, 3200),
        &["Sarajevsko pivo", "Preminger", "Nektar", "Jelen", "Ožujsko", "Laško", "Tuzlanski pilsner", "Karlovačko"],
        &["0.33 l × 24", "0.5 l × 20", "0.5 l can × 24", "2 l PET × 6"],
    ),
    (
        "Wine",
        true,
        "bottle",
        (600, 3500),
        &["Žilavka", "Blatina", "Vranac", "Graševina", "Merlot", "Trnjak", "Rose"],
        &["0.75 l", "1 l", "0.187 l"],
    ),
    (
        "Spirits",
        true,
        "bottle",
        (1200, 6000),
        &["Šljivovica", "Loza", "Kruškovac", "Travarica", "Vodka", "Gin", "Viljamovka", "Dunjevača", "Rum"],
        &["0.7 l", "0.5 l", "1 l"],
    ),
    (
        "Soft drinks",
        false,
        "case",
        (900, 2200),
        &["Cola", "Narandža", "Limunada", "Tonic", "Bitter lemon", "Ledeni čaj", "Cockta", "Gazoza"],
        &["0.25 l × 24", "0.5 l × 12", "1.5 l × 6"],
    ),
    (
        "Water",
        false,
        "case",
        (400, 1100),
        &["Oaza", "Tešanjski dragulj", "Sarajevski kiseljak", "Olimpija", "Prolom"],
        &["0.5 l × 12", "1.5 l × 6", "0.33 l × 24", "5 l × 2"],
    ),
    (
        "Juice",
        false,
        "case",
        (800, 2400),
        &["Jabuka", "Narandža sok", "Multivitamin", "Breskva", "Borovnica", "Paradajz"],
        &["0.2 l × 24", "1 l × 12", "0.33 l × 24"],
    ),
    (
        "Coffee",
        false,
        "kg",
        (1200, 3200),
        &["Zlatna džezva", "Minas", "Espresso Bar", "Barcaffe", "Vispak"],
        &["100 g × 20", "200 g × 10", "1 kg"],
    ),
    (
        "Confectionery",
        false,
        "box",
        (600, 2400),
        &[
            "Napolitanke",
            "Čokolada mliječna",
            "Keks Petit",
            "Bananica",
            "Ratluk",
            "Tablete",
            "Keks Domaćica",
            "Žele bombone",
        ],
        &["× 12", "× 24", "× 48"],
    ),
    (
        "Snacks",
        false,
        "box",
        (500, 1800),
        &["Čips", "Smoki", "Kikiriki", "Štapići", "Pereci", "Flips", "Kokice"],
        &["90 g × 16", "150 g × 12"],
    ),
    (
        "Dairy",
        false,
        "case",
        (700, 2600),
        &["Jogurt", "Kefir", "Mlijeko", "Travnički sir", "Kajmak", "Pavlaka"],
        &["1 l × 12", "0.5 kg × 10", "200 g × 24"],
    ),
    (
        "Canned food",
        false,
        "case",
        (900, 3000),
        &["Grašak", "Grah", "Pašteta", "Tuna", "Ajvar", "Sardine"],
        &["400 g × 12", "200 g × 24"],
    ),
    (
        "Pasta and flour",
        false,
        "bag",
        (300, 2000),
        &["Brašno T-500", "Špageti", "Makaroni", "Griz", "Riža"],
        &["1 kg × 10", "5 kg", "25 kg"],
    ),
    (
        "Energy drinks",
        false,
        "case",
        (1500, 3000),
        &["Red Bull", "Monster", "Hell", "Guarana"],
        &["0.25 l × 24", "0.5 l × 12", "0.33 l × 24"],
    ),
    (
        "Tea",
        false,
        "box",
        (300, 1200),
        &["Kamilica", "Nana", "Šipak", "Zeleni čaj", "Crni čaj", "Lipa čaj"],
        &["20 bags × 12", "40 bags × 6"],
    ),
    (
        "Spices",
        false,
        "box",
        (200, 1500),
        &["Vegeta", "Biber", "Aleva paprika", "Origano", "Lovor", "Cimet"],
        &["100 g × 20", "500 g × 6"],
    ),
    (
        "Frozen food",
        false,
        "box",
        (900, 4200),
        &["Burek", "Pomfrit", "Pizza", "Povrće miješano", "Ćevapi", "Sladoled"],
        &["1 kg × 6", "2.5 kg × 4"],
    ),
    (
        "Sugar and salt",
        false,
        "bag",
        (200, 1600),
        &["Šećer kristal", "Šećer u kocki", "So morska", "So kuhinjska"],
        &["1 kg × 10", "25 kg"],
    ),
    (
        "Oil and vinegar",
        false,
        "case",
        (900, 3600),
        &["Suncokretovo ulje", "Maslinovo ulje", "Alkoholno sirće", "Jabukovo sirće"],
        &["1 l × 12", "5 l × 4"],
    ),
];

const CLIENT_TYPES: &[(&str, usize)] =
    &[("marketer", 60), ("key", 20), ("own_point", 12), ("retail", 90), ("regional", 40)];

fn row<T>(rec: T) -> Row<T> {
    Row { line: 0, rec }
}

fn day(today: NaiveDate, days_ago: i64) -> NaiveDate {
    if days_ago >= 0 {
        today.checked_sub_days(Days::new(days_ago.unsigned_abs())).unwrap_or(today)
    } else {
        today.checked_add_days(Days::new(days_ago.unsigned_abs())).unwrap_or(today)
    }
}

fn phone(rng: &mut ChaCha8Rng, region: &str, mobile: bool) -> String {
    let area = AREA_CODES.iter().find(|(r, _)| *r == region).map_or("33", |(_, a)| a);
    if mobile {
        format!("06{} {:03} {:03}", rng.gen_range(0..5), rng.gen_range(100..1000), rng.gen_range(0..1000))
    } else {
        format!("0{area} {:03} {:03}", rng.gen_range(200..1000), rng.gen_range(0..1000))
    }
}

/// Builds the demo data set as of `today`. Deterministic: the same `today`
/// always gives the same data.
pub fn generate(today: NaiveDate) -> ImportSet {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut set = ImportSet::default();
    let p = |s: &str| normalize_phone(s, "387").ok();

    set.departments = DEPARTMENTS
        .iter()
        .map(|(code, name, kind, head)| {
            row(DepartmentRec { code: (*code).into(), name: (*name).into(), kind: *kind, head: Some((*head).into()) })
        })
        .collect();
    set.staff = STAFF
        .iter()
        .map(|(u, n, r, d)| {
            row(StaffRec { username: (*u).into(), full_name: (*n).into(), role: *r, department: Some((*d).into()) })
        })
        .collect();
    // Jasna is away this week (her clients go to her head); Kenan is sick,
    // Maja substitutes for him.
    set.absences = vec![
        row(AbsenceRec {
            username: "mgr.jasna".into(),
            from: day(today, 2),
            to: day(today, -5),
            kind: AbsenceKind::Vacation,
            substitute: None,
        }),
        row(AbsenceRec {
            username: "op.kenan".into(),
            from: day(today, 3),
            to: day(today, -10),
            kind: AbsenceKind::SickLeave,
            substitute: Some("op.maja".into()),
        }),
        row(AbsenceRec {
            username: "kam.tarik".into(),
            from: day(today, -20),
            to: day(today, -27),
            kind: AbsenceKind::BusinessTrip,
            substitute: None,
        }),
    ];

    // Products.
    let mut sku_n = 0;
    for (cat, alcohol, unit, (lo, hi), names, sizes) in CATALOG {
        for name in names.iter() {
            for size in sizes.iter() {
                sku_n += 1;
                let base = rng.gen_range(*lo..=*hi) / 5 * 5;
                let prices = [0, 3, 6, 9, 12].map(|pct| Money(base * (100 - pct) / 100));
                let roll = rng.gen_range(0..100);
                set.products.push(row(ProductRec {
                    sku: format!("{}-{sku_n:04}", &cat[..2].to_uppercase()),
                    name: format!("{name} {size}"),
                    category: (*cat).into(),
                    unit: (*unit).into(),
                    prices,
                    is_new: roll < 6,
                    is_special: (6..11).contains(&roll),
                    alcohol: *alcohol,
                    stock: Quantity::units(if rng.gen_range(0..100) < 5 { 0 } else { rng.gen_range(5..800) }),
                }));
            }
        }
    }
    let skus: Vec<String> = set.products.iter().map(|r| r.rec.sku.clone()).collect();
    let by_cat = |c: &str| -> Vec<String> {
        set.products.iter().filter(|r| r.rec.category == c).map(|r| r.rec.sku.clone()).collect()
    };
    let favourites: &[(&str, &[&str])] = &[
        ("marketer", &["Beer", "Soft drinks", "Snacks", "Water"]),
        ("key", &["Beer", "Wine", "Spirits", "Coffee"]),
        ("own_point", &["Dairy", "Confectionery", "Juice", "Coffee"]),
        ("retail", &["Water", "Juice", "Pasta and flour", "Oil and vinegar", "Canned food"]),
        ("regional", &["Pasta and flour", "Canned food", "Oil and vinegar", "Beer"]),
    ];
    for (t, cats) in favourites {
        for c in cats.iter() {
            for sku in by_cat(c).into_iter().take(3) {
                set.traditional.push(row(TraditionalRec { client_type: (*t).into(), sku }));
            }
        }
    }

    // Clients.
    let mut n = 0;
    for (ctype, count) in CLIENT_TYPES {
        for i in 0..*count {
            n += 1;
            let north = rng.gen_bool(0.5);
            let region =
                if north { NORTH.choose(&mut rng) } else { SOUTH.choose(&mut rng) }.copied().unwrap_or("Sarajevo");
            let manager = match *ctype {
                "key" => Some(if i % 2 == 0 { "kam.lejla" } else { "kam.tarik" }),
                _ if i % 23 == 7 => None, // new clients, waiting for a manager
                _ => Some(if north { "mgr.emir" } else { "mgr.jasna" }),
            };
            let name = format!(
                "{} {} {}",
                NAME_HEADS.choose(&mut rng).copied().unwrap_or("Market"),
                NAME_TAILS.choose(&mut rng).copied().unwrap_or("Zora"),
                region
            );
            let limit = match *ctype {
                "key" => rng.gen_range(20_000..60_000),
                "regional" => rng.gen_range(5_000..20_000),
                "own_point" => 50_000,
                _ => rng.gen_range(1_500..10_000),
            };
            let code = format!("K{n:04}");
            // One client in twenty is reached only through its contacts.
            let mut phones = Vec::new();
            if n % 20 != 5 {
                phones.extend(p(&phone(&mut rng, region, false)));
                if rng.gen_bool(0.4) {
                    phones.extend(p(&phone(&mut rng, region, true)));
                }
            }
            for c in 0..rng.gen_range(1..=3) {
                let person = PEOPLE.choose(&mut rng).copied().unwrap_or("Amela");
                if let Some(ph) = p(&phone(&mut rng, region, true)) {
                    set.contacts.push(row(ContactRec {
                        client_code: code.clone(),
                        name: format!("{person} ({})", ["owner", "shop manager", "warehouse", "accounting"][c % 4]),
                        phone: ph.to_string(),
                        // The warehouse gets the price lists and certificates.
                        email: if c == 2 {
                            format!("warehouse.{}@example.ba", code.to_lowercase())
                        } else {
                            String::new()
                        },
                        authorized_to_receive: c < 2,
                    }));
                }
            }
            set.clients.push(row(ClientRec {
                code: code.clone(),
                name,
                client_type: (*ctype).into(),
                manager: manager.map(Into::into),
                phones,
                email: format!("{}@example.ba", code.to_lowercase()),
                region: region.into(),
                credit_limit: Money(i64::from(limit) * 100),
            }));
        }
    }

    // Order history and receivables.
    let mut order_no = 0;
    let mut invoice_no = 0;
    for c in &set.clients {
        let k = &c.rec;
        if k.manager.is_none() {
            continue; // new clients have no history
        }
        let dormant = rng.gen_range(0..100) < 10;
        let (first_ago, last_ago) = if dormant { (365, rng.gen_range(190..330)) } else { (365, rng.gen_range(0..25)) };
        let usual: Vec<String> = (0..rng.gen_range(4..9)).filter_map(|_| skus.choose(&mut rng).cloned()).collect();
        let mut ago: i64 = last_ago;
        let mut history = Vec::new();
        while ago <= first_ago {
            history.push(ago);
            ago += rng.gen_range(10..40);
        }
        let limit = k.credit_limit.cents();
        // An overdue client left one invoice of 45 to 150 days ago unpaid:
        // its 30-day term has run out.
        let overdue_at = if !dormant && rng.gen_range(0..100) < 15 {
            history.iter().position(|a| (45..=150).contains(a))
        } else {
            None
        };
        let over_limit = !dormant && rng.gen_range(0..100) < 8;
        for (i, ago) in history.iter().enumerate() {
            order_no += 1;
            let date = day(today, *ago);
            let mut total = 0i64;
            let mut lines: Vec<String> = usual.iter().filter(|_| rng.gen_bool(0.7)).cloned().collect();
            for _ in 0..rng.gen_range(0..4) {
                lines.extend(skus.choose(&mut rng).cloned());
            }
            lines.sort();
            lines.dedup();
            for sku in lines {
                let q = rng.gen_range(1..20);
                let price = set.products.iter().find(|r| r.rec.sku == sku).map_or(Money(1000), |r| r.rec.prices[1]);
                total += price.cents() * q;
                set.order_lines.push(row(OrderLineRec {
                    order_no: format!("H-{order_no:06}"),
                    client_code: k.code.clone(),
                    date,
                    sku,
                    quantity: Quantity::units(q),
                    unit_price: price,
                }));
            }
            // An invoice per order: paid, except recent ones, the overdue
            // client's oldest open one, and the over-limit client's.
            invoice_no += 1;
            let due = date.checked_add_days(Days::new(30)).unwrap_or(date);
            let total = if over_limit && i == 0 { total.max(limit + rng.gen_range(50_000..300_000)) } else { total };
            let paid = if *ago < 30 || overdue_at == Some(i) || (over_limit && i == 0) { 0 } else { total };
            set.receivables.push(row(ReceivableRec {
                client_code: k.code.clone(),
                invoice: format!("F-{invoice_no:06}"),
                issued: date,
                due,
                amount: Money(total),
                paid: Money(paid),
            }));
        }
    }
    set
}

/// For benchmarks: the demo data set with clients, contacts, receivables, products and
/// order history copied `k` times (copy i has its own codes and skus, and
/// its orders use its own products).
pub fn generate_scaled(today: NaiveDate, k: usize) -> ImportSet {
    let base = generate(today);
    let mut set = base.clone();
    for i in 1..k {
        let sfx = |s: &str| format!("{s}-{i}");
        set.clients.extend(base.clients.iter().map(|r| {
            let mut c = r.rec.clone();
            c.code = sfx(&c.code);
            c.phones.clear();
            Row { line: 0, rec: c }
        }));
        set.contacts.extend(base.contacts.iter().map(|r| {
            let mut c = r.rec.clone();
            c.client_code = sfx(&c.client_code);
            Row { line: 0, rec: c }
        }));
        set.products.extend(base.products.iter().map(|r| {
            let mut p = r.rec.clone();
            p.sku = sfx(&p.sku);
            Row { line: 0, rec: p }
        }));
        set.receivables.extend(base.receivables.iter().map(|r| {
            let mut v = r.rec.clone();
            v.client_code = sfx(&v.client_code);
            v.invoice = sfx(&v.invoice);
            Row { line: 0, rec: v }
        }));
        set.order_lines.extend(base.order_lines.iter().map(|r| {
            let mut o = r.rec.clone();
            o.client_code = sfx(&o.client_code);
            o.order_no = sfx(&o.order_no);
            o.sku = sfx(&o.sku);
            Row { line: 0, rec: o }
        }));
    }
    set
}

/// Creates the demo company if it is not there yet. Returns true when it
/// was created. Every demo user's password is [`PASSWORD`].
/// The demo staff's phones: SIP username `2NN` (201 for the first member of
/// [`STAFF`], in order), password [`PASSWORD`]. `ha1` computes what is stored
/// (it needs the registrar's realm). Accounts already there are left alone.
pub async fn ensure_sip_accounts(store: &Store, ha1: impl Fn(&str, &str) -> String) -> Result<()> {
    let Some(company) = store.company_by_code(CODE).await? else { return Ok(()) };
    let scoped = store.company(company.id);
    let have = scoped.sip_accounts().await?;
    for (i, (username, ..)) in STAFF.iter().enumerate() {
        let Some(s) = scoped.staff_by_username(username).await? else { continue };
        if have.iter().any(|a| a.staff_id == s.id) {
            continue;
        }
        let user = sip_user(i);
        if store.sip_account(&user).await?.is_none() {
            scoped.set_sip_account(s.id, &user, &ha1(&user, PASSWORD)).await?;
        }
    }
    Ok(())
}

/// The SIP username of the `i`-th demo staff member.
pub fn sip_user(i: usize) -> String {
    (201 + i).to_string()
}

pub async fn ensure(store: &Store, today: NaiveDate) -> Result<bool> {
    if store.company_by_code(CODE).await?.is_some() {
        return Ok(false);
    }
    let set = generate(today);
    store.import(CODE, NAME, &set, Vec::new(), "demo").await.map_err(|e| match e {
        ImportFailure::Store(e) => e,
        ImportFailure::Rejected(errs) => StoreError::Invalid(format!(
            "demo data failed its own import: {}",
            errs.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )),
    })?;
    let company = store.company_by_code(CODE).await?.ok_or(StoreError::NotFound)?;
    // The demo's click-to-call may dial SIP addresses on this machine.
    store.set_company_dial_hosts(company.id, &["127.0.0.1".to_owned()]).await?;
    let scoped = store.company(company.id);
    for (username, ..) in STAFF {
        if let Some(s) = scoped.staff_by_username(username).await? {
            scoped.set_password_hash(s.id, &password::hash_password(PASSWORD)?).await?;
        }
    }
    for a in articles() {
        scoped.create_kb_article(&a, "admin").await?;
    }
    Ok(true)
}

/// The demo's knowledge base: what operators of a drinks and food
/// wholesaler are asked every day (delivery, returnable crates,
/// complaints, certificates, key clients), and one draft.
fn articles() -> Vec<crate::kb::KbArticleInput> {
    use crate::kb::{KbArticleInput, KbStatus};
    let v = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let a = |title: &str, category: &str, body: &str| KbArticleInput {
        title: title.into(),
        body: body.into(),
        category: category.into(),
        tags: Vec::new(),
        product_skus: Vec::new(),
        client_types: Vec::new(),
        request_categories: Vec::new(),
        status: KbStatus::Published,
        review_by: None,
    };
    vec![
        KbArticleInput {
            tags: v(&["isporuka", "rokovi", "regije"]),
            request_categories: v(&["order"]),
            ..a(
                "Rokovi i uslovi isporuke",
                "Isporuka",
                "## Kada stiže roba\n\n- **Sarajevo i okolina**: narudžba do 14 h stiže sljedeći radni dan.\n\
                 - **Tuzla, Zenica, Mostar**: dva radna dana.\n- **Brčko, Goražde, Bihać**: isporuke utorkom i petkom.\n\n\
                 Najmanja narudžba za besplatnu isporuku je 300 KM; ispod toga prevoz se naplaćuje po cjeniku regije.",
            )
        },
        KbArticleInput {
            tags: v(&["ambalaža", "gajbe", "povrat"]),
            product_skus: v(&["BE-0001", "BE-0002", "BE-0005", "BE-0006"]),
            client_types: v(&["retail", "marketer"]),
            request_categories: v(&["order"]),
            ..a(
                "Povratna ambalaža za pivo",
                "Ambalaža",
                "Pivo u staklu isporučuje se u **povratnim gajbama**. Vozač preuzima prazne gajbe pri sljedećoj \
                 isporuci; nevraćena gajba naplaćuje se 12 KM.\n\nPića u limenkama i PET ambalaži nemaju povratne ambalaže.",
            )
        },
        KbArticleInput {
            tags: v(&["reklamacija", "povrat", "oštećenje"]),
            request_categories: v(&["complaint"]),
            ..a(
                "Reklamacije i povrat robe",
                "Reklamacije",
                "Oštećenu ili pogrešno isporučenu robu kupac prijavljuje **u roku od 24 sata** od isporuke.\n\n\
                 1. Zapišite broj otpremnice i šta nedostaje.\n2. Otvorite predmet reklamacije za komercijalnu službu.\n\
                 3. Kupcu recite da se javljamo u roku od dva radna dana.",
            )
        },
        KbArticleInput {
            tags: v(&["certifikat", "deklaracija", "halal"]),
            request_categories: v(&["reference"]),
            ..a(
                "Certifikati i deklaracije proizvoda",
                "Referentne informacije",
                "Certifikate o kvalitetu, halal certifikate i deklaracije šaljemo kupcu **e-mailom** na zahtjev. \
                 Priloženi su uz ovaj članak.",
            )
        },
        KbArticleInput {
            tags: v(&["ključni kupci", "rabat"]),
            client_types: v(&["key"]),
            ..a(
                "Ključni kupci: posebni uslovi",
                "Kupci",
                "Ključne kupce vodi njihov komercijalista. Operater ne mijenja rabat niti rok plaćanja; \
                 za sve izvan redovne narudžbe poziv se prebacuje komercijalisti.",
            )
        },
        KbArticleInput {
            status: KbStatus::Draft,
            tags: v(&["akcija"]),
            ..a("Novogodišnja akcija (nacrt)", "Akcije", "Popusti na gazirana pića u decembru — čeka odobrenje uprave.")
        },
    ]
}

/// An operator's state from an instant: who, when, the state, its reason.
pub type StateAt = (StaffId, DateTime<Utc>, &'static str, &'static str);

/// The demo's contact-center history: the operators' working days of the
/// last `days` days before `today` (weekdays, 07:00–15:00 UTC, a lunch
/// break each), the callers who reached the operators' queue, waited,
/// were answered or hung up, and each operator's state changes — one
/// consistent story, so the reports and their charts have figures in demo
/// mode. Generated from the demo's seed: the same every time.
pub fn history(
    today: NaiveDate,
    days: u32,
    operators: &[StaffId],
    clients: &[ClientId],
) -> (Vec<PastCall>, Vec<StateAt>) {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x4849_5354);
    let mut calls = Vec::new();
    let mut states = Vec::new();
    let secs = Duration::seconds;
    for back in (1..=days).rev() {
        let Some(date) = today.checked_sub_days(Days::new(u64::from(back))) else { continue };
        if date.weekday().number_from_monday() > 5 || operators.is_empty() {
            continue;
        }
        let at = |h: u32, m: u32| date.and_hms_opt(h, m, 0).unwrap_or_default().and_utc();
        // Each operator: logged in, a lunch break, logged out; free from.
        struct Shift {
            staff: StaffId,
            start: DateTime<Utc>,
            lunch: (DateTime<Utc>, DateTime<Utc>),
            end: DateTime<Utc>,
            free: DateTime<Utc>,
        }
        let mut shifts: Vec<Shift> = operators
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let start = at(7, 0) + secs(rng.gen_range(0..600));
                let lunch = at(10, 30) + Duration::minutes(10 * i as i64);
                Shift {
                    staff: *s,
                    start,
                    lunch: (lunch, lunch + Duration::minutes(30)),
                    end: at(15, 0) + secs(rng.gen_range(0..600)),
                    free: start,
                }
            })
            .collect();
        for s in &shifts {
            states.push((s.staff, s.start, "available", ""));
            states.push((s.staff, s.lunch.0, "not_ready", "lunch"));
            states.push((s.staff, s.lunch.1, "available", ""));
        }
        let mut t = at(7, 10);
        while t < at(14, 45) {
            // Busier mornings: a caller every 90 s from 08:00 to 10:00.
            let mean = if (at(8, 0)..at(10, 0)).contains(&t) { 90.0 } else { 170.0 };
            let gap: f64 = -mean * (1.0 - rng.gen::<f64>()).ln();
            t += secs(gap.round() as i64 + 1);
            let routed = t + secs(rng.gen_range(8..25));
            // The operator who can take it first (not across a lunch break
            // or the end of the shift; a call lasts at most 8 minutes).
            let when = |s: &Shift| {
                let mut start = s.free.max(routed);
                if start >= s.lunch.0 - Duration::minutes(8) && start < s.lunch.1 {
                    start = s.lunch.1;
                }
                (start < s.end - Duration::minutes(8)).then_some(start)
            };
            let Some((i, start)) =
                shifts.iter().enumerate().filter_map(|(i, s)| when(s).map(|w| (i, w))).min_by_key(|(_, w)| *w)
            else {
                continue;
            };
            let patience = secs(rng.gen_range(15..240));
            let client = if clients.is_empty() { None } else { Some(clients[rng.gen_range(0..clients.len())]) };
            let intent =
                [Intent::Order, Intent::Order, Intent::Order, Intent::Reference, Intent::Other, Intent::Complaint]
                    [rng.gen_range(0..6)];
            let mut call = PastCall {
                direction: Direction::Inbound,
                caller: format!("+3876{:07}", rng.gen_range(0..10_000_000)),
                called: "+38733555000".into(),
                client,
                arrived: t,
                routed: Some(routed),
                answered: None,
                ended: routed + patience,
                intent: Some(intent),
                rule: Some(RoutingRule::Desk(centrala_desk::Rule::Operators)),
                disposition: Disposition::Abandoned,
                handler: None,
                wrap_up: String::new(),
                story: Vec::new(),
            };
            let ring = start + secs(rng.gen_range(3..8));
            if ring - routed <= patience {
                let s = &mut shifts[i];
                let talk = secs(rng.gen_range(40..360));
                let wrap = secs(rng.gen_range(5..40));
                let ended = ring + talk;
                call.answered = Some(ring);
                call.ended = ended;
                call.handler = Some(s.staff);
                call.disposition = Disposition::Answered;
                call.wrap_up = match intent {
                    Intent::Order if rng.gen_range(0..10) < 7 => "order_taken",
                    Intent::Complaint => "complaint",
                    Intent::Reference => "information",
                    _ => ["information", "callback", "other"][rng.gen_range(0..3)],
                }
                .into();
                call.story.push((start, StoryKind::Offered, Some(s.staff), String::new()));
                call.story.push((ring, StoryKind::Answered, Some(s.staff), String::new()));
                states.push((s.staff, start, "offered", ""));
                states.push((s.staff, ring, "on_contact", ""));
                states.push((s.staff, ended, "wrap_up", ""));
                states.push((s.staff, ended + wrap, "available", ""));
                s.free = ended + wrap;
            }
            calls.push(call);
        }
        for s in &shifts {
            states.push((s.staff, s.end.max(s.free), "offline", ""));
        }
    }
    states.sort_by_key(|(s, t, ..)| (*t, s.0));
    (calls, states)
}

/// Writes the demo's contact-center history of the last `days` days when
/// the demo company has no calls yet; true when it did.
pub async fn ensure_history(store: &Store, today: NaiveDate, days: u32) -> Result<bool> {
    let Some(company) = store.company_by_code(CODE).await? else { return Ok(false) };
    if days == 0 {
        return Ok(false);
    }
    let s = store.company(company.id);
    if !s.interactions(&crate::interactions::InteractionFilter { limit: 1, ..Default::default() }).await?.is_empty() {
        return Ok(false);
    }
    let mut operators = Vec::new();
    for (username, _, role, _) in STAFF {
        if *role == Role::Operator && *username != "op.kenan" {
            if let Some(m) = s.staff_by_username(username).await? {
                operators.push(m.id);
            }
        }
    }
    let clients: Vec<ClientId> = s.search_clients("", None, 200).await?.into_iter().map(|c| c.id).collect();
    let (calls, states) = history(today, days, &operators, &clients);
    s.record_past_calls(&calls).await?;
    let rows: Vec<_> = states
        .into_iter()
        .map(|(staff, at, state, reason)| (staff, crate::intervals::stamp(at), state.to_owned(), reason.to_owned()))
        .collect();
    s.record_agent_states(&rows).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The history is one consistent story: the same every time; weekdays
    /// only, before today; an operator takes one call at a time, is
    /// talking while answering, and is never offered a call at lunch or
    /// logged out; some callers hang up.
    #[test]
    fn the_demo_history_is_one_consistent_story() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
        let ops = [StaffId(3), StaffId(4), StaffId(5)];
        let (calls, states) = history(today, 28, &ops, &[ClientId(1), ClientId(2)]);
        let (again, _) = history(today, 28, &ops, &[ClientId(1), ClientId(2)]);
        assert_eq!(calls, again);
        assert!(calls.len() > 1000, "{}", calls.len());
        let abandoned = calls.iter().filter(|c| c.disposition == Disposition::Abandoned).count();
        assert!(abandoned > 0 && abandoned < calls.len() / 5, "{abandoned}");
        for c in &calls {
            let day = c.arrived.date_naive();
            assert!(day < today && day.weekday().number_from_monday() <= 5, "{day}");
            assert!(c.routed.is_some_and(|r| r > c.arrived) && c.ended > c.arrived);
            let Some(h) = c.handler else { continue };
            let answered = c.answered.unwrap_or_default();
            // The operator's state at the answer is on_contact, until the end.
            let at =
                |t: DateTime<Utc>| states.iter().rfind(|(s, when, ..)| *s == h && *when <= t).map(|(_, _, st, _)| *st);
            assert_eq!(at(answered), Some("on_contact"), "{c:?}");
            assert_eq!(at(c.ended - Duration::milliseconds(1)), Some("on_contact"));
        }
        for s in ops {
            let mine: Vec<_> = states.iter().filter(|(x, ..)| *x == s).collect();
            for w in mine.windows(2) {
                assert!(w[0].1 <= w[1].1, "in time");
                if w[1].2 == "offered" {
                    assert_eq!(w[0].2, "available", "offered only when available: {w:?}");
                }
            }
        }
    }
}
