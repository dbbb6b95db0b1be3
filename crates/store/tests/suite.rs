//! The storage suite: the same tests on SQLite and on PostgreSQL
//! (`CENTRALA_TEST_PG`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_domain::{AbsenceKind, CompanyId, Money, Quantity, Role, StaffId};
use centrala_store::{
    demo, import::ImportFailure, password, storage_suite, DepartmentKind, StaffInput, Store, StoreError,
};
use chrono::{Duration, NaiveDate, Utc};
use std::path::PathBuf;

fn fixtures(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn input(username: &str, role: Role) -> StaffInput {
    StaffInput {
        username: username.into(),
        full_name: format!("Full {username}"),
        role,
        department: None,
        active: true,
        locale: "en".into(),
    }
}

async fn two_companies(store: &Store) -> (CompanyId, CompanyId) {
    let (a, created) = store.ensure_company("alpha", "Alpha").await.unwrap();
    assert!(created);
    let (b, _) = store.ensure_company("beta", "Beta").await.unwrap();
    (a.id, b.id)
}

async fn companies_are_created_once(store: &Store) {
    let (a, created) = store.ensure_company("alpha", "Alpha d.o.o.").await.unwrap();
    assert!(created);
    let (again, created) = store.ensure_company("alpha", "Other name").await.unwrap();
    assert!(!created);
    assert_eq!(again, a);
    assert_eq!(store.company_by_code("alpha").await.unwrap().unwrap().name, "Alpha d.o.o.");
    assert!(matches!(store.ensure_company("has space", "x").await, Err(StoreError::Invalid(_))));
    assert_eq!(store.companies().await.unwrap().len(), 1);
    store.ping().await.unwrap();
}

async fn staff_are_scoped_to_their_company(store: &Store) {
    let (a, b) = two_companies(store).await;
    let sa = store.company(a);
    let sb = store.company(b);
    let dept = sa.create_department("sales", "Sales", DepartmentKind::Sales, None).await.unwrap();
    let ana = sa.create_staff(&StaffInput { department: Some(dept.id), ..input("ana", Role::Operator) }).await.unwrap();
    assert_eq!(ana.department, Some(dept.id));
    assert!(!ana.has_password);

    // The same username may exist in another company, not twice in one.
    sb.create_staff(&input("ana", Role::Admin)).await.unwrap();
    assert!(matches!(sa.create_staff(&input("ana", Role::Manager)).await, Err(StoreError::Conflict(_))));

    // Company B sees nothing of A's: not by id, not by username, not in lists.
    assert_eq!(sb.staff(ana.id).await.unwrap(), None);
    assert_eq!(sb.department(dept.id).await.unwrap(), None);
    assert!(matches!(sb.update_staff(ana.id, &input("x", Role::Admin)).await, Err(StoreError::NotFound)));
    assert!(matches!(sb.set_password_hash(ana.id, "h").await, Err(StoreError::NotFound)));
    assert_eq!(sb.staff_list().await.unwrap().len(), 1);
    assert!(sb.departments().await.unwrap().is_empty());
    // B cannot attach its staff to A's department.
    let err = sb.create_staff(&StaffInput { department: Some(dept.id), ..input("bob", Role::Operator) }).await;
    assert!(matches!(err, Err(StoreError::Invalid(_))));
    assert!(matches!(
        sb.update_department(dept.id, "Mine", DepartmentKind::Sales, None).await,
        Err(StoreError::NotFound)
    ));

    let updated = sa
        .update_staff(
            ana.id,
            &StaffInput { full_name: "Ana Anić".into(), role: Role::Supervisor, ..input("ana", Role::Operator) },
        )
        .await
        .unwrap();
    assert_eq!((updated.full_name.as_str(), updated.role, updated.department), ("Ana Anić", Role::Supervisor, None));
    let head = sa.update_department(dept.id, "Sales North", DepartmentKind::Sales, Some(ana.id)).await.unwrap();
    assert_eq!((head.name.as_str(), head.head), ("Sales North", Some(ana.id)));
}

async fn absences_validate_their_dates_and_people(store: &Store) {
    let (a, b) = two_companies(store).await;
    let sa = store.company(a);
    let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
    let maja = sa.create_staff(&input("maja", Role::Operator)).await.unwrap();
    let other = store.company(b).create_staff(&input("ivo", Role::Operator)).await.unwrap();

    let abs = sa
        .create_absence(ana.id, d("2026-12-01"), d("2026-12-31"), AbsenceKind::Vacation, Some(maja.id))
        .await
        .unwrap();
    assert_eq!((abs.staff, abs.substitute, abs.kind), (ana.id, Some(maja.id), AbsenceKind::Vacation));
    assert!(matches!(
        sa.create_absence(ana.id, d("2026-12-05"), d("2026-12-01"), AbsenceKind::SickLeave, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        sa.create_absence(ana.id, d("2026-12-05"), d("2026-12-06"), AbsenceKind::SickLeave, Some(ana.id)).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        sa.create_absence(ana.id, d("2026-12-05"), d("2026-12-06"), AbsenceKind::SickLeave, Some(other.id)).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        sa.create_absence(ana.id, d("2026-12-01"), d("2026-12-02"), AbsenceKind::SickLeave, None).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(sa.absences(Some(ana.id)).await.unwrap(), vec![abs.clone()]);
    assert!(sa.absences(Some(maja.id)).await.unwrap().is_empty());
    assert!(store.company(b).absence(abs.id).await.unwrap().is_none());
    assert!(matches!(store.company(b).delete_absence(abs.id).await, Err(StoreError::NotFound)));
    sa.delete_absence(abs.id).await.unwrap();
    assert!(sa.absences(None).await.unwrap().is_empty());
}

async fn sessions_expire_and_end_with_the_account(store: &Store) {
    let (a, _) = two_companies(store).await;
    let sa = store.company(a);
    let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
    let now = Utc::now();
    store.create_session("h1", a, ana.id, now, now + Duration::hours(1)).await.unwrap();
    assert_eq!(store.session("h1", now).await.unwrap(), Some((a, ana.id)));
    assert_eq!(store.session("h1", now + Duration::hours(2)).await.unwrap(), None);
    assert_eq!(store.session("nope", now).await.unwrap(), None);
    assert_eq!(store.purge_sessions(now + Duration::hours(2)).await.unwrap(), 1);

    store.create_session("h2", a, ana.id, now, now + Duration::hours(1)).await.unwrap();
    sa.update_staff(ana.id, &StaffInput { active: false, ..input("ana", Role::Operator) }).await.unwrap();
    assert_eq!(store.session("h2", now).await.unwrap(), None);

    sa.update_staff(ana.id, &input("ana", Role::Operator)).await.unwrap();
    store.create_session("h3", a, ana.id, now, now + Duration::hours(1)).await.unwrap();
    let hash = password::hash_password("new secret").unwrap();
    sa.set_password_hash(ana.id, &hash).await.unwrap();
    assert_eq!(store.session("h3", now).await.unwrap(), None, "a new password ends old sessions");
    let (s, h) = sa.staff_login("ana").await.unwrap().unwrap();
    assert!(s.has_password);
    assert!(password::verify_password("new secret", &h.unwrap()));
    store.create_session("h4", a, ana.id, now, now + Duration::hours(1)).await.unwrap();
    assert!(store.delete_session("h4").await.unwrap());
    assert!(!store.delete_session("h4").await.unwrap());
}

async fn import_loads_and_reimport_updates(store: &Store) {
    let report = store.import_dir("acme", &fixtures("good"), "387", "test").await.unwrap();
    assert_eq!(report.rows("staff.csv"), 7);
    assert_eq!(report.rows("orders.csv"), 3);
    assert_eq!(report.rows("numbers.csv"), 2);
    let company = store.company_by_code("acme").await.unwrap().unwrap();
    let s = store.company(company.id);
    let counts = s.counts().await.unwrap();
    assert_eq!(
        (
            counts.departments,
            counts.staff,
            counts.clients,
            counts.contacts,
            counts.products,
            counts.receivables,
            counts.orders,
            counts.order_lines
        ),
        (4, 7, 4, 4, 4, 3, 2, 3)
    );
    // Departments were made from staff.csv's names; heads inferred by role.
    let depts = s.departments().await.unwrap();
    let head = |name: &str| depts.iter().find(|d| d.name == name).unwrap().head;
    let staff = s.staff_list().await.unwrap();
    let id_of = |u: &str| staff.iter().find(|m| m.username == u).unwrap().id;
    assert_eq!(head("Sales"), Some(id_of("head.sales")));
    assert_eq!(head("Wholesale"), Some(id_of("head.wh")));
    assert_eq!(head("Finance"), Some(id_of("fin.amra")));
    assert_eq!(head("Contact Center"), None);
    assert_eq!(depts.iter().find(|d| d.name == "Wholesale").unwrap().kind, DepartmentKind::Wholesale);
    assert!(staff.iter().all(|m| !m.has_password), "an import never sets passwords");
    assert_eq!(store.company_for_number("+38733555001").await.unwrap(), Some((company.id, "complaints".to_owned())));
    // Another company's import cannot take the number.
    let dir2 = tempfile_dir();
    std::fs::write(dir2.join("numbers.csv"), "number,purpose\n+38733555000,mine\n").unwrap();
    let Err(ImportFailure::Rejected(errs)) = store.import_dir("other", &dir2, "387", "test").await else {
        panic!("a number of another company was taken");
    };
    assert_eq!(errs[0].to_string(), "numbers.csv:2: column number: +38733555000 belongs to another company");
    let _ = std::fs::remove_dir_all(dir2);

    let beer = s.product_by_sku("BE-0001").await.unwrap().unwrap();
    assert_eq!(beer.prices, [3000, 2910, 2820, 2730, 2640].map(Money));
    assert!(beer.alcohol && !beer.is_new);
    assert_eq!(s.product_by_sku("JU-0001").await.unwrap().unwrap().stock, Quantity(12_500));
    let abs = s.absences(Some(id_of("op.ana"))).await.unwrap();
    assert_eq!((abs.len(), abs[0].substitute), (1, Some(id_of("op.maja"))));

    // Importing the same files again changes nothing.
    store.import_dir("acme", &fixtures("good"), "387", "test").await.unwrap();
    assert_eq!(s.counts().await.unwrap(), counts);

    // A changed row is updated by its key, a new one added.
    let dir = tempfile_dir();
    std::fs::write(
        dir.join("products.csv"),
        "sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
         BE-0001,Sarajevsko pivo 0.5 l × 20,Beer,case,31.00,30.00,29.00,28.00,27.00,false,true,true,99\n\
         BE-0002,Preminger 0.5 l × 20,Beer,case,28,27,26,25,24,true,false,true,10\n",
    )
    .unwrap();
    store.import_dir("acme", &dir, "387", "test").await.unwrap();
    let beer2 = s.product_by_sku("BE-0001").await.unwrap().unwrap();
    assert_eq!(
        (beer2.id, beer2.prices[0], beer2.is_special, beer2.stock),
        (beer.id, Money(3100), true, Quantity::units(99))
    );
    assert_eq!(s.counts().await.unwrap().products, 5);
    let audit = s.audit_entries(10).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "import").count(), 3);
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("centrala-import-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

async fn a_bad_import_writes_nothing_and_lists_every_error(store: &Store) {
    let Err(ImportFailure::Rejected(errors)) = store.import_dir("bad", &fixtures("bad"), "387", "test").await else {
        panic!("the bad import was accepted");
    };
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "staff.csv:3: column username: \"bad user\" is not a valid code: use 1 to 64 letters, digits, '-', '_' or '.'",
            "staff.csv:4: column role: unknown role \"boss\"; expected one of operator, manager, key_account_manager, head_of_sales, head_of_wholesale, finance, supervisor, admin",
            "clients.csv:2: column manager: unknown staff member \"nobody\"",
            "clients.csv:3: column phones: phone number \"033-abc\" has a character that is not a digit, space, +, -, /, . or parenthesis",
            "clients.csv:3: column credit_limit: \"1.234\" has more than 2 decimal places",
            "contacts.csv:2: column phone: a contact needs a phone or an e-mail address",
            "contacts.csv:3: column email: \"ena(at)zora\" is not an e-mail address",
            "receivables.csv:2: column issued: \"2026-13-01\" is not a date YYYY-MM-DD",
            "receivables.csv:3: column paid: 150.00 is more than the amount 100.00",
            "orders.csv:2: column client_code: unknown client \"K1\"",
            "orders.csv:2: column sku: unknown product \"NOPE\"",
            "orders.csv:3: column client_code: order H-1 has client \"K1\" on line 2",
            "orders.csv:3: column sku: unknown product \"NOPE\"",
            "numbers.csv:2: column company: this import is for company \"bad\"",
        ]
    );
    // Nothing at all was written, not even the company.
    assert!(store.company_by_code("bad").await.unwrap().is_none());

    // An existing company's data is left as it was by a failed re-import.
    store.import_dir("acme", &fixtures("good"), "387", "test").await.unwrap();
    let acme = store.company_by_code("acme").await.unwrap().unwrap();
    let before = store.company(acme.id).counts().await.unwrap();
    assert!(store.import_dir("acme", &fixtures("bad"), "387", "test").await.is_err());
    assert_eq!(store.company(acme.id).counts().await.unwrap(), before);
    assert!(store.company(acme.id).staff_by_username("ana").await.unwrap().is_none());
}

async fn demo_company_is_created_once_and_shows_everything(store: &Store) {
    let today = d("2026-11-27");
    assert!(demo::ensure(store, today).await.unwrap());
    assert!(!demo::ensure(store, today).await.unwrap(), "a second start leaves the demo alone");
    let company = store.company_by_code(demo::CODE).await.unwrap().unwrap();
    let s = store.company(company.id);
    let c = s.counts().await.unwrap();
    assert!(c.clients >= 200 && c.products >= 300 && c.departments >= 3, "{c:?}");
    assert!(c.orders > 1000 && c.receivables > 1000, "{c:?}");
    let staff = s.staff_list().await.unwrap();
    let count = |r: Role| staff.iter().filter(|m| m.role == r).count();
    assert!(count(Role::Operator) >= 6 && count(Role::KeyAccountManager) >= 2 && count(Role::Manager) >= 1);
    assert!(count(Role::Finance) >= 1 && count(Role::Supervisor) >= 1 && count(Role::Admin) >= 1);
    let (admin, hash) = s.staff_login("admin").await.unwrap().unwrap();
    assert!(admin.has_password && password::verify_password(demo::PASSWORD, &hash.unwrap()));
    assert!(s.departments().await.unwrap().iter().all(|d| d.head.is_some()));
    // Every client's type is listed with its count and traditional products.
    let types = s.client_types().await.unwrap();
    assert_eq!(types.iter().map(|t| t.clients).sum::<i64>(), c.clients, "{types:?}");
    assert!(types.iter().any(|t| t.code == "key" && t.clients > 0), "{types:?}");
    assert!(types.iter().any(|t| !t.traditional.is_empty()), "{types:?}");
}

async fn same_demo_every_time(_store: &Store) {
    let a = demo::generate(d("2026-11-27"));
    let b = demo::generate(d("2026-11-27"));
    assert_eq!(format!("{:?}", a.clients), format!("{:?}", b.clients));
    assert_eq!(a.order_lines.len(), b.order_lines.len());
    // Every client type, some alcohol, some new and special products.
    for t in ["marketer", "key", "own_point", "retail", "regional"] {
        assert!(a.clients.iter().any(|c| c.rec.client_type == t), "{t}");
    }
    assert!(a.products.iter().any(|p| p.rec.alcohol) && a.products.iter().any(|p| p.rec.is_new));
    assert!(a.products.iter().any(|p| p.rec.is_special));
    assert!(a.clients.iter().any(|c| c.rec.manager.is_none()), "some new clients");
    assert!(a.clients.iter().any(|c| c.rec.phones.is_empty()), "a client reached only through a contact");
    let _ = StaffId(0);
}

/// `%` and `_` typed in a search are separators, never wildcards: "100%"
/// is the whole word 100, not 1000. On both backends.
async fn search_takes_percent_and_underscore_literally(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("products.csv"),
        "sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
         JU-1,Juice 100% apple,Juice,case,1,1,1,1,1,false,false,false,1\n\
         JU-2,Juice 1000 ml,Juice,case,1,1,1,1,1,false,false,false,1\n\
         SN-1,snack_mix,Misc,case,1,1,1,1,1,false,false,false,1\n\
         SN-2,snackXmix,Misc,case,1,1,1,1,1,false,false,false,1\n\
         BS-1,back\\slash,Misc,case,1,1,1,1,1,false,false,false,1\n",
    )
    .unwrap();
    store.import_dir("acme", dir.path(), "387", "test").await.unwrap();
    let c = store.company_by_code("acme").await.unwrap().unwrap();
    let s = store.company(c.id);
    let skus = |v: Vec<centrala_store::Product>| v.into_iter().map(|p| p.sku).collect::<Vec<_>>();
    assert_eq!(skus(s.products("100%", 10, 0).await.unwrap()), ["JU-1"]);
    assert_eq!(skus(s.products("snack_", 10, 0).await.unwrap()), ["SN-1"]);
    assert_eq!(skus(s.products("back\\s", 10, 0).await.unwrap()), ["BS-1"]);
    assert!(s.products("%", 10, 0).await.unwrap().is_empty(), "only punctuation is no word to look for");
    assert_eq!(skus(s.products("juice", 10, 0).await.unwrap()), ["JU-1", "JU-2"]);
}

/// What operators type meets what the data says, on both backends: case,
/// diacritics, Cyrillic and "dj" folded, words as prefixes, one typo in a
/// word of five or more letters (found after the exact matches), an exact
/// code first.
async fn search_finds_names_as_people_type_them(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "code,name,type,manager,phones,email,region,credit_limit\n\
         C1,Ćevabdžinica Željo,retail,,,,Sarajevo,0\n\
         C2,Čačak marker,retail,,,,Čačak,0\n\
         C3,Šipad Brčko,retail,,,,Brčko,0\n\
         C4,Đurđevak d.o.o.,retail,,,,Goražde,0\n\
         C5,Pekara Sarajevo,retail,,,,Sarajevo,0\n\
         C6,Пекара Ниш,retail,,,,Niš,0\n\
         C7,Market Centar,retail,,,,Tuzla,0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("products.csv"),
        "sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
         ZI-1,Žilavka 0.75,Vino,bottle,1,1,1,1,1,false,false,true,1\n\
         CI-1,Čips paprika,Grickalice,case,1,1,1,1,1,false,false,false,1\n\
         BE-1,Pivo Sarajevsko,Pivo,case,1,1,1,1,1,false,false,true,1\n",
    )
    .unwrap();
    store.import_dir("acme", dir.path(), "387", "test").await.unwrap();
    let c = store.company_by_code("acme").await.unwrap().unwrap();
    let s = store.company(c.id);
    for (typed, codes) in [
        ("cevab", &["C1"][..]),
        ("Ćevab", &["C1"]),
        ("ĆEVABDŽINICA", &["C1"]),
        ("cevabdzinca", &["C1"]),   // one letter left out
        ("cevabdzinicca", &["C1"]), // one too many
        ("zeljo", &["C1"]),
        ("brcko", &["C3"]),
        ("šipad", &["C3"]),
        ("sipda", &["C3"]), // swapped, five letters
        ("brko", &[]),      // four letters: no typo forgiven
        ("dj", &["C4"]),
        ("đurđ", &["C4"]),
        ("Ђурђевак", &["C4"]),
        ("djurdjvak", &["C4"]),
        ("pekara", &["C5", "C6"]),
        ("пекара", &["C5", "C6"]),
        ("pek sar", &["C5"]),
        ("sarajveo", &["C5"]),
        ("cacak", &["C2"]),
        ("Чачак", &["C2"]),
        ("market", &["C7", "C2"]), // the exact word before the typo (marker)
        ("c5", &["C5"]),
        ("ce", &["C1", "C7"]),
        ("%", &[]),
        ("xyzzy", &[]),
    ] {
        let found: Vec<String> = s.search_clients(typed, None, 10).await.unwrap().into_iter().map(|c| c.code).collect();
        assert_eq!(found, codes, "{typed:?}");
    }
    for (typed, skus) in [
        ("zilavka", &["ZI-1"][..]),
        ("zil", &["ZI-1"]),
        ("Жилавка", &["ZI-1"]),
        ("zilavak", &["ZI-1"]),
        ("cips", &["CI-1"]),
        ("ČIPS", &["CI-1"]),
        ("grick", &["CI-1"]),
        ("be-1", &["BE-1"]),
        ("пиво", &["BE-1"]),
        ("sarajevsko pivo", &["BE-1"]),
        ("vino 0.75", &["ZI-1"]),
    ] {
        let found: Vec<String> = s.products(typed, 10, 0).await.unwrap().into_iter().map(|p| p.sku).collect();
        assert_eq!(found, skus, "{typed:?}");
    }
    // A long or mixed-script paste is a query like any other.
    assert!(s.search_clients(&"Čačak пиво %% ".repeat(2_000), None, 10).await.unwrap().is_empty());
    // Re-imported names replace their words.
    std::fs::write(
        dir.path().join("clients.csv"),
        "code,name,type,manager,phones,email,region,credit_limit\nC7,Tržnica Centar,retail,,,,Tuzla,0\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("products.csv")).unwrap();
    store.import_dir("acme", dir.path(), "387", "test").await.unwrap();
    let found: Vec<String> = s.search_clients("market", None, 10).await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(found, ["C2"], "C7 is no longer a market; C2's marker stays one typo away");
    assert_eq!(s.search_clients("trznica", None, 10).await.unwrap()[0].code, "C7");
}

/// Articles keep every version, their attachments' bytes, one vote per
/// reader, and stay in their company; every write changes the stamp the
/// search index follows. On both backends.
async fn knowledge_articles_keep_versions_attachments_and_votes(store: &Store) {
    use centrala_store::kb::{KbArticleInput, KbStatus};
    let (a, b) = two_companies(store).await;
    let (s, other) = (store.company(a), store.company(b));
    let stamp0 = store.kb_stamp().await.unwrap();
    let input = KbArticleInput {
        title: "Rokovi isporuke".into(),
        body: "Isporuka u **Brčko**: dva dana.".into(),
        category: "Isporuka".into(),
        tags: vec!["rokovi".into(), "regija, istok".into()],
        product_skus: vec!["BE-0001".into()],
        client_types: vec!["retail".into()],
        request_categories: vec!["order".into()],
        status: KbStatus::Draft,
        review_by: Some(d("2027-01-31")),
    };
    let art = s.create_kb_article(&input, "head.ana").await.unwrap();
    assert_eq!(
        (art.version, art.status, art.tags.clone()),
        (1, KbStatus::Draft, vec!["rokovi".to_owned(), "regija  istok".to_owned()])
    );
    assert!(art.stale(d("2027-02-01")) && !art.stale(d("2027-01-31")));
    let stamp1 = store.kb_stamp().await.unwrap();
    assert_ne!(stamp0, stamp1);
    assert!(other.kb_article(art.id).await.unwrap().is_none(), "another company's article is not found");
    assert!(s.kb_articles(true, 10, 0).await.unwrap().is_empty(), "a draft is not published");
    let v2 =
        KbArticleInput { status: KbStatus::Published, body: "Isporuka u Brčko: tri dana.".into(), ..input.clone() };
    let art2 = s.update_kb_article(art.id, &v2, "head.emir", Some(1)).await.unwrap();
    assert_eq!((art2.version, art2.author.as_str(), art2.status), (2, "head.emir", KbStatus::Published));
    assert!(
        matches!(s.update_kb_article(art.id, &v2, "head.ana", Some(1)).await, Err(StoreError::Conflict(_))),
        "saved meanwhile"
    );
    assert!(matches!(other.update_kb_article(art.id, &v2, "x", None).await, Err(StoreError::NotFound)));
    let versions = s.kb_versions(art.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| (v.version, v.body.as_str())).collect::<Vec<_>>(),
        [(2, "Isporuka u Brčko: tri dana."), (1, "Isporuka u **Brčko**: dva dana.")]
    );
    assert_ne!(store.kb_stamp().await.unwrap(), stamp1);
    assert_eq!(s.kb_articles(true, 10, 0).await.unwrap().len(), 1);
    // Attachments: the bytes come back as they went in.
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let att = s.add_kb_attachment(art.id, "certifikat.pdf", "application/pdf", &pdf, "head.ana").await.unwrap();
    assert_eq!((att.size, att.name.as_str()), (70_000, "certifikat.pdf"));
    let (meta, bytes) = s.kb_attachment(att.id).await.unwrap().unwrap();
    assert_eq!((meta, bytes == pdf), (att.clone(), true));
    assert!(other.kb_attachment(att.id).await.unwrap().is_none());
    // Votes: one per reader, the last one counts.
    assert_eq!(s.kb_vote(art.id, 1, true).await.unwrap(), (1, 0));
    assert_eq!(s.kb_vote(art.id, 2, false).await.unwrap(), (1, 1));
    assert_eq!(s.kb_vote(art.id, 2, true).await.unwrap(), (2, 0));
    assert_eq!(s.kb_article(art.id).await.unwrap().unwrap().helpful, 2);
    // Questions for the editors.
    let q = s.ask_kb_editors("povrat gajbi", Some(7), "op.ana").await.unwrap();
    assert!(q.open && q.interaction_id == Some(7));
    assert!(other.kb_requests(true, 10).await.unwrap().is_empty());
    s.answer_kb_request(q.id, Some(art.id)).await.unwrap();
    assert!(s.kb_requests(true, 10).await.unwrap().is_empty());
    assert_eq!(s.kb_requests(false, 10).await.unwrap()[0].article_id, Some(art.id));
    // All of it, for the index.
    let all = store.kb_all().await.unwrap();
    assert_eq!(all.iter().map(|(c, x)| (*c, x.id)).collect::<Vec<_>>(), [(a.0, art.id)]);
    let before = store.kb_stamp().await.unwrap();
    s.delete_kb_article(art.id).await.unwrap();
    assert!(s.kb_attachment(att.id).await.unwrap().is_none() && s.kb_article(art.id).await.unwrap().is_none());
    assert_eq!(s.kb_versions(art.id).await.unwrap().len(), 2, "who wrote what stays on record");
    assert_ne!(store.kb_stamp().await.unwrap(), before);
    assert!(matches!(s.delete_kb_article(art.id).await, Err(StoreError::NotFound)));
}

/// Campaigns: dormant clients from the order history (more than six
/// months: the edge day by day), filtered by type; targets keep their
/// order; outcomes as the rules give them; the do-not-call list; nothing
/// of one company in another's. On both backends.
async fn campaigns_are_built_from_the_history_and_keep_their_outcomes(store: &Store) {
    use centrala_desk::campaign::{after_result, dormant_since, Hours, Kind, Mode, Retry, State, DEFAULT_RESULTS};
    use centrala_store::campaigns::{CampaignInput, Status};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "code,name,type,manager,phones,email,region,credit_limit\n\
         A,Exactly six months,retail,,,,Tuzla,0\n\
         B,A day more,retail,,,,Tuzla,0\n\
         C,Long gone,retail,,,,Sarajevo,0\n\
         D,Never ordered,retail,,,,Tuzla,0\n\
         E,Key and dormant,key,,,,Tuzla,0\n\
         F,Ordered last week,retail,,,,Tuzla,0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("products.csv"),
        "sku,name,category,unit,price_1,price_2,price_3,price_4,price_5,is_new,is_special,alcohol,stock\n\
         BE-1,Pivo,Pivo,case,1,1,1,1,1,false,false,true,100\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_no,client_code,date,sku,quantity,unit_price\n\
         H-1,A,2026-06-01,BE-1,1,1\nH-2,B,2026-05-31,BE-1,1,1\nH-3,C,2025-01-10,BE-1,1,1\n\
         H-4,C,2024-03-01,BE-1,1,1\nH-5,E,2025-02-01,BE-1,1,1\nH-6,F,2026-11-24,BE-1,1,1\n",
    )
    .unwrap();
    store.import_dir("acme", dir.path(), "387", "test").await.unwrap();
    let (other, _) = store.ensure_company("other", "Other").await.unwrap();
    let c = store.company_by_code("acme").await.unwrap().unwrap();
    let s = store.company(c.id);
    let today = d("2026-12-01");
    let found = s.reactivation_candidates(dormant_since(today), None, None).await.unwrap();
    let all = s.search_clients("", None, 100).await.unwrap();
    let codes = |v: &[(centrala_domain::ClientId, NaiveDate)]| -> Vec<(String, String)> {
        v.iter().map(|(id, last)| (all.iter().find(|c| c.id == *id).unwrap().code.clone(), last.to_string())).collect()
    };
    assert_eq!(
        codes(&found),
        [
            ("C".to_owned(), "2025-01-10".to_owned()),
            ("E".into(), "2025-02-01".into()),
            ("B".into(), "2026-05-31".into())
        ],
        "the longest dormant first; exactly six months (A), never (D) and last week (F) are not"
    );
    let retail = s.reactivation_candidates(dormant_since(today), Some("retail"), Some("Tuzla")).await.unwrap();
    assert_eq!(codes(&retail), [("B".to_owned(), "2026-05-31".to_owned())]);
    assert!(store
        .company(other.id)
        .reactivation_candidates(dormant_since(today), None, None)
        .await
        .unwrap()
        .is_empty());

    let input = CampaignInput {
        kind: Kind::Reactivation,
        name: "Povratak kupaca".into(),
        script: "Pitajte šta im treba.".into(),
        results: DEFAULT_RESULTS.iter().map(|r| r.to_string()).collect(),
        agents: vec!["op.ana".into()],
        queue: None,
        mode: Mode::Preview,
        starts_on: Some(today),
        ends_on: None,
        due_on: None,
        hours: Hours::default(),
        retry: Retry::default(),
    };
    let targets: Vec<_> = found.iter().map(|(id, last)| (*id, Some(*last))).collect();
    let camp = s.create_campaign(&input, &targets, "head.north").await.unwrap();
    assert_eq!(
        (camp.status, camp.created_by.as_str(), camp.input.clone()),
        (Status::Draft, "head.north", input.clone())
    );
    assert!(store.company(other.id).campaign(camp.id).await.unwrap().is_none(), "another company's is not found");
    assert!(store.company(other.id).campaign_targets(camp.id).await.unwrap().is_empty());
    s.set_campaign_status(camp.id, Status::Running).await.unwrap();
    assert_eq!(s.campaigns().await.unwrap()[0].status, Status::Running);
    let list = s.campaign_targets(camp.id).await.unwrap();
    assert_eq!(
        list.iter().map(|t| (t.code.as_str(), t.state)).collect::<Vec<_>>(),
        [("C", State::Pending), ("E", State::Pending), ("B", State::Pending)]
    );
    assert_eq!(list[0].last_order, Some(d("2025-01-10")));
    // A busy line: retried in an hour; an order: done.
    let now = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(10, 0, 0).unwrap();
    let busy = after_result(&input.results, "busy", 1, now, input.retry, &input.hours, None).unwrap();
    let ana = centrala_domain::StaffId(1);
    s.record_outcome(camp.id, list[0].client, &busy, ana, "", None).await.unwrap();
    let ordered = after_result(&input.results, "ordered", 1, now, input.retry, &input.hours, None).unwrap();
    s.record_outcome(camp.id, list[2].client, &ordered, ana, "naručio pivo", None).await.unwrap();
    let list = s.campaign_targets(camp.id).await.unwrap();
    assert_eq!((list[0].state, list[0].attempts, list[0].next_at), (State::Pending, 1, busy.next_at));
    assert_eq!(
        (list[2].state, list[2].outcome.as_str(), list[2].notes.as_str()),
        (State::Done, "ordered", "naručio pivo")
    );
    assert!(matches!(
        store.company(other.id).record_outcome(camp.id, list[0].client, &busy, ana, "", None).await,
        Err(StoreError::NotFound)
    ));
    // Do not call.
    s.add_dnc("+38761000001", Some(list[1].client), "op.ana").await.unwrap();
    assert!(s.is_dnc("+38761000001", None).await.unwrap() && s.is_dnc("+38799", Some(list[1].client)).await.unwrap());
    assert!(!store.company(other.id).is_dnc("+38761000001", None).await.unwrap());
    assert_eq!(s.dnc().await.unwrap().len(), 1);
    s.remove_dnc("+38761000001").await.unwrap();
    assert!(!s.is_dnc("+38761000001", None).await.unwrap());
}

/// The dialler's side of a campaign: due targets best first (one's own
/// call-back, then retries by when due, then fresh ones in order; nothing
/// not yet due), reserved once, given to the operator who answered,
/// released or closed without an attempt, and a restart's cut-off targets
/// back in line; a campaign's call carries its campaign; the company's
/// outbound number. On both backends.
async fn the_dialler_takes_due_targets_once_and_gives_them_back(store: &Store) {
    use centrala_desk::campaign::{after_result, Hours, Kind, Mode, Retry, State, DEFAULT_RESULTS};
    use centrala_domain::StaffId;
    use centrala_store::campaigns::CampaignInput;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "code,name,type,manager,phones,email,region,credit_limit
         A,Prvi,retail,,+38761000001,,Tuzla,0
B,Drugi,retail,,+38761000002,,Tuzla,0
         C,Treći,retail,,+38761000003,,Tuzla,0
D,Četvrti,retail,,+38761000004,,Tuzla,0
",
    )
    .unwrap();
    store.import_dir("acme", dir.path(), "387", "test").await.unwrap();
    let (other, _) = store.ensure_company("other", "Other").await.unwrap();
    let c = store.company_by_code("acme").await.unwrap().unwrap();
    let s = store.company(c.id);
    assert_eq!(s.outbound_number().await.unwrap(), None, "no number yet");
    s.set_number("+38733000100", "sales").await.unwrap();
    assert_eq!(s.outbound_number().await.unwrap().as_deref(), Some("+38733000100"), "else its first number");
    s.set_number("+38733000200", "outbound").await.unwrap();
    assert_eq!(s.outbound_number().await.unwrap().as_deref(), Some("+38733000200"), "the outbound one first");
    assert_eq!(store.company(other.id).outbound_number().await.unwrap(), None);

    let all = s.search_clients("", None, 100).await.unwrap();
    let id = |code: &str| all.iter().find(|c| c.code == code).unwrap().id;
    let input = CampaignInput {
        kind: Kind::Promotion,
        name: "Akcija".into(),
        script: String::new(),
        results: DEFAULT_RESULTS.iter().map(|r| r.to_string()).collect(),
        agents: vec!["op.ana".into()],
        queue: None,
        mode: Mode::Progressive,
        starts_on: None,
        ends_on: None,
        due_on: None,
        hours: Hours::default(),
        retry: Retry { interval_minutes: 30, max_attempts: 3 },
    };
    let targets: Vec<_> = ["A", "B", "C", "D"].iter().map(|c| (id(c), None)).collect();
    let camp = s.create_campaign(&input, &targets, "head.north").await.unwrap();
    let at = |h: u32, m: u32| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(h, m, 0).unwrap();
    let (ana, ivo) = (StaffId(1), StaffId(2));
    // A was busy at 10:00 (due 10:30); B agreed a call-back with Ivo at 10:15.
    let busy = after_result(&input.results, "busy", 1, at(10, 0), input.retry, &input.hours, None).unwrap();
    s.record_outcome(camp.id, id("A"), &busy, ana, "", None).await.unwrap();
    let later =
        after_result(&input.results, "call_later", 1, at(10, 0), input.retry, &input.hours, Some(at(10, 15))).unwrap();
    s.record_outcome(camp.id, id("B"), &later, ivo, "", None).await.unwrap();
    let codes = |v: Vec<centrala_store::campaigns::Target>| v.into_iter().map(|t| t.code).collect::<Vec<_>>();
    assert_eq!(codes(s.due_targets(camp.id, at(10, 20), None, 10).await.unwrap()), ["B", "C", "D"], "A not due yet");
    assert_eq!(codes(s.due_targets(camp.id, at(10, 40), None, 10).await.unwrap()), ["B", "A", "C", "D"]);
    assert_eq!(
        codes(s.due_targets(camp.id, at(10, 40), Some(ivo), 10).await.unwrap()),
        ["B", "A", "C", "D"],
        "Ivo's own call-back first"
    );
    assert_eq!(codes(s.due_targets(camp.id, at(10, 40), None, 2).await.unwrap()), ["B", "A"], "at most the limit");
    assert!(store.company(other.id).due_targets(camp.id, at(10, 40), None, 10).await.unwrap().is_empty());

    // C: reserved once; the operator who answered gets it; released, it
    // is in line again with no attempt counted.
    assert!(s.reserve_target(camp.id, id("C")).await.unwrap());
    assert!(!s.reserve_target(camp.id, id("C")).await.unwrap(), "taken once");
    assert!(!store.company(other.id).reserve_target(camp.id, id("C")).await.unwrap());
    assert_eq!(codes(s.due_targets(camp.id, at(10, 40), None, 10).await.unwrap()), ["B", "A", "D"]);
    s.target_to(camp.id, id("C"), ana).await.unwrap();
    let held = s.held_target(camp.id, ana).await.unwrap().unwrap();
    assert_eq!((held.code.as_str(), held.state, held.attempts), ("C", State::Calling, 0));
    s.release_target(camp.id, id("C")).await.unwrap();
    let c_now = s.target_of(camp.id, id("C")).await.unwrap().unwrap();
    assert_eq!((c_now.state, c_now.attempts), (State::Pending, 0));
    assert_eq!(s.target_by_code(camp.id, "C").await.unwrap().unwrap().client, id("C"));
    assert!(store.company(other.id).target_by_code(camp.id, "C").await.unwrap().is_none());
    // D reserved and cut off by a restart (nobody on it): back in line;
    // a target an operator holds stays theirs.
    assert!(s.reserve_target(camp.id, id("D")).await.unwrap());
    assert!(s.reserve_target(camp.id, id("C")).await.unwrap());
    s.target_to(camp.id, id("C"), ana).await.unwrap();
    assert_eq!(s.release_unanswered_targets().await.unwrap(), 1);
    assert_eq!(s.target_of(camp.id, id("D")).await.unwrap().unwrap().state, State::Pending);
    assert_eq!(s.target_of(camp.id, id("C")).await.unwrap().unwrap().state, State::Calling);
    // Never to be dialled: closed with its outcome, no attempt.
    s.close_target(camp.id, id("D"), "do_not_call").await.unwrap();
    let d_now = s.target_of(camp.id, id("D")).await.unwrap().unwrap();
    assert_eq!((d_now.state, d_now.outcome.as_str(), d_now.attempts), (State::Done, "do_not_call", 0));
    assert!(matches!(s.close_target(camp.id, id("D"), "no_number").await, Err(StoreError::NotFound)), "done is done");

    // The campaign's call is registered with its campaign.
    let call = s.start_campaign_call(camp.id, "+38733000200", "+38761000003", id("C")).await.unwrap();
    let i = s.interaction(call).await.unwrap().unwrap();
    assert_eq!(
        (i.campaign, i.caller.as_str(), i.called.as_str(), i.client_id, i.direction.as_str()),
        (Some(camp.id), "+38733000200", "+38761000003", Some(id("C")), "outbound")
    );
}

/// The reports' facts of a period, on both backends: the answered call,
/// the confirmed order with its lines and total (and, cancelled, its
/// status), the offer and its answer, the debt gate's refusal; nothing
/// outside the period or of another company.
async fn the_reports_read_a_periods_facts(store: &Store) {
    use centrala_desk::order::OrderStatus;
    use centrala_domain::{Intent, StaffId};
    use centrala_store::interactions::{Direction, RoutingRule};
    let today = d("2026-11-27");
    demo::ensure(store, today).await.unwrap();
    let company = store.company_by_code(demo::CODE).await.unwrap().unwrap();
    let s = store.company(company.id);
    let ana = s.staff_by_username("op.ana").await.unwrap().unwrap().id;
    let client = s.search_clients("", None, 1).await.unwrap().remove(0);
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let call = s.start_call(Direction::Inbound, "+38761000111", "+38733555000", Some(client.id), true).await.unwrap();
    s.route_interaction(call, "main", "1", Intent::Order, RoutingRule::Queue, &[]).await.unwrap();
    s.add_interaction_event(call, centrala_store::interactions::StoryKind::Queued, None, "sales").await.unwrap();
    s.answer_interaction(call, ana, None).await.unwrap();
    s.wrap_up_interaction(call, "order_taken").await.unwrap();
    // A caller who left in the menu waited in no queue.
    let left = s.start_call(Direction::Inbound, "+38761000112", "+38733555000", None, true).await.unwrap();
    s.end_interaction(left, centrala_store::interactions::Disposition::Abandoned).await.unwrap();
    let order = s.create_order(client.id, ana, "op.ana", today, None).await.unwrap();
    let product = s.products("", 1, 0).await.unwrap().remove(0);
    s.record_offer(order, product.id, "new", "accepted", ana, "op.ana").await.unwrap();
    assert!(s.move_order(order, OrderStatus::Draft, OrderStatus::Confirmed, "op.ana", "").await.unwrap());
    assert!(s.move_order(order, OrderStatus::Confirmed, OrderStatus::Cancelled, "op.ana", "").await.unwrap());
    s.audit("op.ana", "refused", "order", &client.code, "debt_blocked").await.unwrap();
    // The client called in a reactivation campaign (counted), and in an
    // instruction (not).
    use centrala_desk::campaign::{after_result, Hours, Kind, Mode, Retry, DEFAULT_RESULTS};
    let input = |kind| centrala_store::campaigns::CampaignInput {
        kind,
        name: "r".into(),
        script: String::new(),
        results: DEFAULT_RESULTS.iter().map(|r| r.to_string()).collect(),
        agents: vec!["op.ana".into()],
        queue: None,
        mode: Mode::Preview,
        starts_on: None,
        ends_on: None,
        due_on: None,
        hours: Hours::default(),
        retry: Retry::default(),
    };
    let now = today.and_hms_opt(10, 0, 0).unwrap();
    for kind in [Kind::Reactivation, Kind::Instruction] {
        let c = s.create_campaign(&input(kind), &[(client.id, None)], "head.north").await.unwrap();
        let done = after_result(&c.input.results, "ordered", 1, now, c.input.retry, &c.input.hours, None).unwrap();
        s.record_outcome(c.id, client.id, &done, ana, "", None).await.unwrap();
    }
    let after = "9999-12-31T00:00:00.000Z";
    let f = s.order_desk_facts(&before, after).await.unwrap();
    assert_eq!(f.calls.len(), 1, "{f:?}");
    assert_eq!((f.calls[0].staff, f.calls[0].intent.as_str(), f.calls[0].client), (ana, "order", Some(client.id)));
    let o = s.order(order).await.unwrap().unwrap();
    assert_eq!(f.orders.len(), 1);
    assert_eq!(
        (
            f.orders[0].staff,
            f.orders[0].client,
            f.orders[0].total_cents,
            f.orders[0].lines,
            f.orders[0].status.as_str()
        ),
        (ana, client.id, o.summary.total.cents(), o.lines.len() as i64, "cancelled")
    );
    assert_eq!((f.offers.len(), f.offers[0].reason.as_str(), f.offers[0].answer.as_str()), (1, "new", "accepted"));
    assert_eq!(f.debt_stops.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), ["op.ana"]);
    assert_eq!(f.offers[0].staff, StaffId(ana.0));
    let asked = s.request_facts(&before, after).await.unwrap();
    let asked: Vec<_> = asked
        .iter()
        .map(|r| (r.intent.as_str(), r.wrap_up.as_str(), r.client_type.clone(), r.queue.as_deref()))
        .collect();
    assert_eq!(
        asked,
        [("order", "order_taken", Some(client.client_type.clone()), Some("sales")), ("", "", None, None)]
    );
    let called: Vec<_> =
        s.reactivation_calls(&before, after).await.unwrap().iter().map(|(who, c, _)| (*who, *c)).collect();
    assert_eq!(called, [(ana, client.id)], "the reactivation campaign's call only");
    // Before the period: nothing; another company: nothing.
    let empty = s.order_desk_facts("2000-01-01T00:00:00.000Z", &before).await.unwrap();
    assert!(
        empty.calls.is_empty() && empty.orders.is_empty() && empty.offers.is_empty() && empty.debt_stops.is_empty()
    );
    assert!(s.reactivation_calls("2000-01-01T00:00:00.000Z", &before).await.unwrap().is_empty());
    assert!(s.request_facts("2000-01-01T00:00:00.000Z", &before).await.unwrap().is_empty());
    // Orders of the past written in bulk read as the desk's own.
    let past = centrala_store::reports::PastOrder {
        order_no: "P-1".into(),
        client: client.id,
        staff: ana,
        confirmed: chrono::Utc::now(),
        lines: vec![(product.id.0, 2, 150), (product.id.0, 1, 1_000)],
        offers: vec![(product.id.0, "special".into(), "declined".into())],
    };
    s.record_past_orders(std::slice::from_ref(&past)).await.unwrap();
    let f = s.order_desk_facts(&before, "9999-12-31T00:00:00.000Z").await.unwrap();
    let mine = f.orders.iter().find(|o| o.total_cents == 1_300).expect("the past order");
    assert_eq!((mine.staff, mine.client, mine.lines, mine.status.as_str()), (ana, client.id, 2, "confirmed"));
    assert!(f.offers.iter().any(|o| o.reason == "special" && o.answer == "declined"));
    let (other, _) = store.ensure_company("other", "Other").await.unwrap();
    assert_eq!(store.company(other.id).order_desk_facts(&before, after).await.unwrap(), Default::default());
    assert!(store.company(other.id).request_facts(&before, after).await.unwrap().is_empty());
}

/// Interval statistics' records: state changes, the facts of a span (the
/// state before it, the calls entered or answered in it with their
/// stories, offers), the rows replaced and read back summed; who the
/// server left logged in; what changed since a mark. Another company
/// sees none of it.
async fn interval_statistics_keep_their_facts_and_rows(store: &Store) {
    use centrala_desk::intervals::{slots, DEFAULT_THRESHOLD};
    use centrala_domain::Intent;
    use centrala_store::interactions::{Direction, Disposition, RoutingRule, StoryKind};
    use centrala_store::intervals::{stamp, Group, PastCall};
    use chrono::TimeZone;
    let (a, b) = two_companies(store).await;
    let s = store.company(a);
    let ana = s.create_staff(&input("ana", Role::Operator)).await.unwrap().id;
    let bo = s.create_staff(&input("bo", Role::Operator)).await.unwrap().id;
    let at = |h: u32, m: u32, sec: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, m, sec).single().unwrap();
    let row = |who: StaffId, t, st: &str, r: &str| (who, stamp(t), st.to_owned(), r.to_owned());
    s.record_agent_states(&[
        row(ana, at(8, 0, 0), "available", ""),
        row(bo, at(8, 30, 0), "not_ready", "training"),
        row(ana, at(9, 10, 0), "offered", ""),
        row(ana, at(9, 10, 5), "on_contact", ""),
        row(ana, at(9, 12, 5), "available", ""),
    ])
    .await
    .unwrap();
    assert_eq!(s.agents_left_logged_in().await.unwrap(), [ana, bo]);
    let call = PastCall {
        direction: Direction::Inbound,
        caller: "+38761000111".into(),
        called: "+38733555000".into(),
        client: None,
        arrived: at(9, 9, 30),
        routed: Some(at(9, 9, 55)),
        answered: Some(at(9, 10, 5)),
        ended: at(9, 12, 5),
        intent: Some(Intent::Order),
        rule: Some(RoutingRule::Queue),
        disposition: Disposition::Answered,
        handler: Some(ana),
        wrap_up: "order_taken".into(),
        story: vec![
            (at(9, 9, 55), StoryKind::Queued, None, "sales".into()),
            (at(9, 10, 0), StoryKind::Offered, Some(ana), String::new()),
            (at(9, 10, 5), StoryKind::Answered, Some(ana), String::new()),
        ],
    };
    s.record_past_calls(&[call]).await.unwrap();
    let facts = s.interval_facts(at(9, 0, 0), at(10, 0, 0)).await.unwrap();
    assert_eq!(facts.contacts.len(), 1);
    let c = &facts.contacts[0];
    assert_eq!(
        (c.queue.as_str(), c.inbound, c.entered, c.answered, c.handler),
        ("sales", true, at(9, 9, 55), Some(at(9, 10, 5)), Some(ana.0))
    );
    assert_eq!(facts.offers.len(), 1);
    let states: Vec<(i64, &str)> = facts.states.iter().map(|x| (x.staff, x.state.as_str())).collect();
    assert_eq!(
        states,
        [(ana.0, "available"), (bo.0, "not_ready"), (ana.0, "offered"), (ana.0, "on_contact"), (ana.0, "available")]
    );
    assert_eq!(facts.states[0].at, at(8, 0, 0), "the state the span starts in");

    let (queues, agents) = slots(&facts, at(9, 0, 0), at(10, 0, 0), at(12, 0, 0), &|_: &str| DEFAULT_THRESHOLD);
    let queues: Vec<_> = queues.into_iter().map(|r| ("2026-11-30".to_owned(), r)).collect();
    let agents: Vec<_> = agents.into_iter().map(|r| ("2026-11-30".to_owned(), r)).collect();
    s.replace_intervals(at(9, 0, 0), at(10, 0, 0), &queues, &agents).await.unwrap();
    // Replacing again writes the same rows once.
    s.replace_intervals(at(9, 0, 0), at(10, 0, 0), &queues, &agents).await.unwrap();
    let q = s.queue_intervals(at(0, 0, 0), at(23, 0, 0), Group::Day, None).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].0.as_str(), q[0].1.queue.as_str(), q[0].1.offered, q[0].1.answered_within, q[0].1.wait_ms),
        ("2026-11-30", "sales", 1, 1, 10_000)
    );
    assert!(s.queue_intervals(at(0, 0, 0), at(23, 0, 0), Group::Day, Some("operators")).await.unwrap().is_empty());
    let per_hour = s.agent_intervals(at(0, 0, 0), at(23, 0, 0), Group::Hour, Some(bo)).await.unwrap();
    assert_eq!(per_hour.len(), 1);
    assert_eq!((per_hour[0].0.as_str(), per_hour[0].1.not_ready_ms), ("2026-11-30T09", 3_600_000));
    assert_eq!(per_hour[0].1.not_ready.get("training"), Some(&3_600_000));
    let slots_of_ana = s.agent_intervals(at(0, 0, 0), at(23, 0, 0), Group::Slot, Some(ana)).await.unwrap();
    assert_eq!(slots_of_ana.len(), 4);
    assert_eq!(slots_of_ana[0].0, stamp(at(9, 0, 0)));
    let total: i64 = slots_of_ana.iter().map(|(_, r)| r.ready_ms + r.ringing_ms + r.talking_ms).sum();
    assert_eq!(total, 3_600_000);

    // What changed after a mark: the call that ended (where it entered and
    // was answered) and state changes.
    s.set_report_mark(at(9, 0, 0)).await.unwrap();
    assert_eq!(s.report_mark().await.unwrap(), Some(at(9, 0, 0)));
    let changed = s.changed_between(at(9, 11, 0), at(9, 30, 0)).await.unwrap();
    assert_eq!(changed, [at(9, 9, 55), at(9, 10, 5), at(9, 12, 5)]);

    let other = store.company(b);
    assert!(other.interval_facts(at(0, 0, 0), at(23, 0, 0)).await.unwrap().contacts.is_empty());
    assert!(other.queue_intervals(at(0, 0, 0), at(23, 0, 0), Group::Day, None).await.unwrap().is_empty());
    assert!(other.agents_left_logged_in().await.unwrap().is_empty());
    assert_eq!(other.report_mark().await.unwrap(), None);

    // Many changes at once are written whole (more than one statement's
    // worth), and only for their company.
    let cy = other.create_staff(&input("cy", Role::Operator)).await.unwrap().id;
    let many: Vec<_> = (0..250u32)
        .map(|k| row(cy, at(10, k / 60, k % 60), if k % 2 == 0 { "available" } else { "offered" }, ""))
        .collect();
    other.record_agent_states(&many).await.unwrap();
    let day = (at(0, 0, 0), at(23, 59, 59));
    assert_eq!(other.changed_between(day.0, day.1).await.unwrap().len(), 250);
    assert_eq!(other.agents_left_logged_in().await.unwrap(), [cy]);
    assert!(s.changed_between(at(9, 59, 0), at(11, 0, 0)).await.unwrap().is_empty(), "none of them are a's");
}

/// Evaluation's records: a scorecard replaced keeps the evaluations made
/// on its old criteria; complaints decided; targets in per mille; levels
/// and mentors. Another company sees none of it.
async fn evaluations_keep_their_criteria_complaints_targets_and_mentors(store: &Store) {
    use centrala_desk::evaluation::{Criterion, Level, Scorecard, Targets};
    use centrala_store::evaluation::Development;
    use centrala_store::interactions::Direction;
    let (a, b) = two_companies(store).await;
    let s = store.company(a);
    let ana = s.create_staff(&input("ana", Role::Operator)).await.unwrap().id;
    let bo = s.create_staff(&input("bo", Role::Operator)).await.unwrap().id;
    let c = |code: &str, weight, max| Criterion { code: code.into(), name: code.to_uppercase(), weight, max };
    let mut card =
        Scorecard { code: "calls".into(), name: "Calls".into(), criteria: vec![c("greeting", 1, 1), c("tone", 1, 10)] };
    s.put_scorecard(&card).await.unwrap();
    let call = s.start_interaction(Direction::Inbound, "+38761000111", "+38733555000", None).await.unwrap();
    let e = s
        .add_evaluation(call, ana, "sup", &card, &[("greeting".into(), 1), ("tone".into(), 5)], 750, "ok")
        .await
        .unwrap();
    card.criteria = vec![c("offers", 2, 5)];
    card.name = "Calls 2".into();
    s.put_scorecard(&card).await.unwrap();
    assert_eq!(s.scorecards().await.unwrap(), [card.clone()]);
    let got = s.evaluation(e).await.unwrap().unwrap();
    let marks: Vec<(&str, u32, u32)> = got.marks.iter().map(|(c, m)| (c.code.as_str(), c.max, *m)).collect();
    assert_eq!(marks, [("greeting", 1, 1), ("tone", 10, 5)], "the criteria as they were");
    assert_eq!((got.staff, got.score, got.evaluator.as_str()), (ana, 750, "sup"));
    let all = "9999";
    assert_eq!(s.evaluations(Some(&[ana]), "", all, 10).await.unwrap().len(), 1);
    assert!(s.evaluations(Some(&[bo]), "", all, 10).await.unwrap().is_empty());
    assert_eq!(s.evaluations_of(call).await.unwrap().len(), 1);

    let k = s.add_staff_complaint(ana, "client", "K001", "rude", Some(call), "head").await.unwrap();
    assert_eq!(s.staff_complaint(k).await.unwrap().unwrap().justified, None);
    s.decide_staff_complaint(k, false, "head", "not so").await.unwrap();
    let decided = s.staff_complaint(k).await.unwrap().unwrap();
    assert_eq!(
        (decided.justified, decided.decided_by.as_deref(), decided.decision_note.as_str()),
        (Some(false), Some("head"), "not so")
    );
    assert!(matches!(s.decide_staff_complaint(k + 100, true, "head", "").await, Err(StoreError::NotFound)));
    assert_eq!(s.staff_complaints(None, "", all).await.unwrap().len(), 1);

    assert_eq!(s.targets().await.unwrap(), Targets::default());
    let t = Targets {
        service_level: Some(0.8),
        aht_seconds: Some(240),
        conversion: Some(0.45),
        attach_rate: None,
        quality: Some(85.5),
    };
    s.set_targets(&t).await.unwrap();
    assert_eq!(s.targets().await.unwrap(), t);

    let dev = Development { level: Level::Trainee, mentor: Some(ana), probation_until: Some(d("2027-03-01")) };
    s.set_development(bo, &dev).await.unwrap();
    assert_eq!(s.development(bo).await.unwrap(), Some(dev));
    assert_eq!(s.trainees_of(ana).await.unwrap(), [bo]);
    assert!(s
        .set_development(ana, &Development { level: Level::Specialist, mentor: Some(ana), probation_until: None })
        .await
        .is_err());

    let other = store.company(b);
    assert!(other.scorecards().await.unwrap().is_empty());
    assert!(other.evaluation(e).await.unwrap().is_none());
    assert!(other.staff_complaint(k).await.unwrap().is_none());
    assert_eq!(other.targets().await.unwrap(), Targets::default());
    assert!(other.trainees_of(ana).await.unwrap().is_empty());
}

/// The company's wrap-up codes, on both backends: the built-in five until
/// it configures its own; a list kept in order with its names and
/// categories, retired codes last; another company untouched.
async fn wrap_up_codes_are_the_companys_own(store: &Store) {
    use centrala_desk::requests::{merge, Category, Code, Names, BUILT_IN};
    let (a, _) = store.ensure_company("a", "A").await.unwrap();
    let (b, _) = store.ensure_company("b", "B").await.unwrap();
    let s = store.company(a.id);
    let codes: Vec<String> = s.wrap_up_codes().await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(codes, BUILT_IN);
    assert!(s.request_categories().await.unwrap().is_empty());
    let names = |bs: &str, en: &str, ru: &str| -> Names {
        [("bs", bs), ("en", en), ("ru", ru)].into_iter().map(|(l, n)| (l.to_owned(), n.to_owned())).collect()
    };
    let sales = Category { code: "sales".into(), names: names("Prodaja", "Sales", "Продажи") };
    let new = vec![
        Code {
            code: "price".into(), category: "sales".into(), names: names("Cijena", "Price", "Цена"), active: true
        },
        Code { code: "other".into(), category: String::new(), names: Names::new(), active: true },
    ];
    let kept = merge(&s.wrap_up_codes().await.unwrap(), &new);
    s.put_wrap_up_codes(&kept, std::slice::from_ref(&sales)).await.unwrap();
    let read = s.wrap_up_codes().await.unwrap();
    let seen: Vec<(&str, bool)> = read.iter().map(|c| (c.code.as_str(), c.active)).collect();
    assert_eq!(
        seen,
        [
            ("price", true),
            ("other", true),
            ("order_taken", false),
            ("information", false),
            ("complaint", false),
            ("callback", false)
        ]
    );
    assert_eq!(read[0], new[0]);
    assert!(read[1].names.is_empty(), "a built-in code's names stay the translations'");
    assert_eq!(s.request_categories().await.unwrap(), [sales]);
    let other: Vec<String> = store.company(b.id).wrap_up_codes().await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(other, BUILT_IN);
}

/// The days kept of the order desk and the requests: written in place of
/// what was kept, read back per operator and day, another company's
/// apart; a call wrapped up after it ended is found changed, a call
/// written behind the server's back is not (a rebuild keeps it).
async fn report_days_are_kept_in_place_and_found_changed(store: &Store) {
    use centrala_desk::report::{RequestFact, Row};
    use centrala_store::interactions::{Direction, Disposition};
    let (a, b) = two_companies(store).await;
    let s = store.company(a);
    let ana = s.create_staff(&input("op.ana", Role::Operator)).await.unwrap().id;
    let day = d("2026-11-27");
    let row = |calls, reasons: &[(&str, u64)]| Row {
        period: day,
        staff: Some(ana.0),
        calls,
        order_calls: 2,
        converted: 1,
        orders: 1,
        value_cents: 12_050,
        lines: 3,
        offers: reasons.iter().map(|(_, n)| n).sum(),
        accepted: 1,
        offers_by_reason: reasons.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
        debt_stops: 1,
        cancelled: 1,
        reactivated: 0,
    };
    let asked = |wrap: Option<&str>, count| RequestFact {
        day,
        intent: Some("order".into()),
        wrap_up: wrap.map(str::to_owned),
        category: None,
        client_type: None,
        queue: Some("operators".into()),
        count,
    };
    s.replace_report_day(
        day,
        &[row(3, &[("new", 2), ("special", 1)])],
        &[asked(Some("order_taken"), 2), asked(None, 1)],
    )
    .await
    .unwrap();
    // Kept again: the new rows replace the old, nothing is added.
    let again = row(4, &[("new", 3)]);
    s.replace_report_day(day, std::slice::from_ref(&again), &[asked(None, 5)]).await.unwrap();
    assert_eq!(s.desk_days(day, day, None).await.unwrap(), std::slice::from_ref(&again));
    assert_eq!(s.desk_days(day, day, Some(ana)).await.unwrap(), [again]);
    assert!(s.desk_days(day, day, Some(StaffId(ana.0 + 1000))).await.unwrap().is_empty());
    assert!(s.desk_days(d("2026-11-28"), d("2026-11-30"), None).await.unwrap().is_empty());
    assert_eq!(s.request_days(day, day).await.unwrap(), [asked(None, 5)]);
    assert!(store.company(b).desk_days(day, day, None).await.unwrap().is_empty());
    assert!(store.company(b).request_days(day, day).await.unwrap().is_empty());
    // Marks.
    assert_eq!(s.desk_mark().await.unwrap(), None);
    let mark = chrono::Utc::now();
    s.set_desk_mark(mark).await.unwrap();
    let kept = s.desk_mark().await.unwrap().unwrap();
    assert!((kept - mark).num_milliseconds().abs() <= 1, "{kept} {mark}");
    assert_eq!(store.company(b).desk_mark().await.unwrap(), None);

    // A call of two hours ago written now: not a change of now.
    let ago = |m: i64| chrono::Utc::now() - chrono::Duration::minutes(m);
    let arrived = ago(120);
    let past = centrala_store::intervals::PastCall {
        direction: Direction::Inbound,
        caller: "+38761000111".into(),
        called: "+38733555000".into(),
        client: None,
        arrived,
        routed: Some(arrived),
        answered: Some(ago(119)),
        ended: ago(110),
        intent: Some(centrala_domain::Intent::Order),
        rule: None,
        disposition: Disposition::Answered,
        handler: Some(ana),
        wrap_up: String::new(),
        story: Vec::new(),
    };
    s.record_past_calls(std::slice::from_ref(&past)).await.unwrap();
    let since = ago(1);
    let stamp = |t: chrono::DateTime<chrono::Utc>| centrala_store::intervals::stamp(t);
    let changed = |v: Vec<chrono::DateTime<chrono::Utc>>| v.into_iter().map(stamp).collect::<Vec<_>>();
    assert!(s.desk_changes(since, chrono::Utc::now()).await.unwrap().is_empty());
    // Wrapped up now: its day changed (where it arrived, where it was answered).
    let id = s.interactions(&Default::default()).await.unwrap()[0].id;
    s.wrap_up_interaction(id, "order_taken").await.unwrap();
    let found = changed(s.desk_changes(since, chrono::Utc::now()).await.unwrap());
    assert_eq!(found, [stamp(arrived), stamp(past.answered.unwrap())]);
    // A call that comes in now is a change; not another company's.
    s.start_call(Direction::Inbound, "+38761000112", "+38733555000", None, true).await.unwrap();
    assert_eq!(s.desk_changes(since, chrono::Utc::now()).await.unwrap().len(), 3);
    assert!(store.company(b).desk_changes(since, chrono::Utc::now()).await.unwrap().is_empty());
}

/// Cases: opened with their first event; listed by status, client and
/// what a member may see; changed only from the status read (a second
/// change from the same status loses); notes; rules replaced whole; the
/// outbox; another company sees none of it.
async fn cases_keep_their_history_rules_and_outbox(store: &Store) {
    use centrala_desk::cases::{CaseRule, Category, Status};
    use centrala_store::cases::{CaseFilter, NewCase};
    let (a, b) = two_companies(store).await;
    let s = store.company(a);
    let dept = s.create_department("north", "Sjever", centrala_domain::DepartmentKind::Sales, None).await.unwrap();
    let ana = s.create_staff(&input("op.ana", Role::Operator)).await.unwrap();
    let new = |subject: &str, department| NewCase {
        category: Category::Claim,
        subject: subject.into(),
        description: "two crates".into(),
        client: None,
        interaction: None,
        department,
        owner: None,
        raised_by: "op.ana".into(),
        due_at: Utc::now() + Duration::hours(24),
    };
    let one = s.open_case(&new("Broken", Some(dept.id))).await.unwrap();
    let two = s.open_case(&new("Late", None)).await.unwrap();
    assert_eq!((one.status, one.department, one.raised_by.as_str()), (Status::Open, Some(dept.id), "op.ana"));
    assert!(matches!(s.open_case(&new("  ", None)).await, Err(centrala_store::StoreError::Invalid(_))));
    let events = s.case_events(one.id).await.unwrap();
    assert_eq!((events.len(), events[0].kind.as_str(), events[0].detail.as_str()), (1, "opened", "claim"));
    // What a member sees: their department's, their own, what they raised.
    let all = CaseFilter { limit: 50, ..CaseFilter::default() };
    assert_eq!(s.cases(&all).await.unwrap().len(), 2);
    let of_dept = CaseFilter { departments: Some(vec![dept.id]), ..all.clone() };
    assert_eq!(s.cases(&of_dept).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [one.id]);
    let raised = CaseFilter { departments: Some(vec![]), raised_by: Some("op.ana".into()), ..all.clone() };
    assert_eq!(s.cases(&raised).await.unwrap().len(), 2);
    let nobody = CaseFilter { departments: Some(vec![]), ..all.clone() };
    assert!(s.cases(&nobody).await.unwrap().is_empty());
    // Changed from the status read; a second change from "open" loses.
    let mut next = one.clone();
    next.status = Status::InProgress;
    next.owner = Some(ana.id);
    assert!(s.change_case(&next, Status::Open, "head", &[("status", "in_progress".into())]).await.unwrap());
    assert!(!s.change_case(&next, Status::Open, "head", &[("status", "in_progress".into())]).await.unwrap());
    next.status = Status::Closed;
    next.resolution = " credited ".into();
    assert!(s.change_case(&next, Status::InProgress, "head", &[("status", "closed".into())]).await.unwrap());
    let closed = s.case(one.id).await.unwrap().unwrap();
    assert_eq!((closed.status, closed.owner, closed.resolution.as_str()), (Status::Closed, Some(ana.id), "credited"));
    assert!(closed.closed_at.is_some());
    let open = CaseFilter { open_only: true, ..all.clone() };
    assert_eq!(s.cases(&open).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [two.id]);
    let only_closed = CaseFilter { status: Some(Status::Closed), ..all.clone() };
    assert_eq!(s.cases(&only_closed).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [one.id]);
    s.add_case_event(two.id, "head", "note", "called the driver").await.unwrap();
    assert_eq!(s.case_events(two.id).await.unwrap().len(), 2);
    assert_eq!(
        s.case_events(one.id).await.unwrap().iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["opened", "status", "status"]
    );
    // The statistics' facts: one closed (its time known), two resolved,
    // reopened and resolved again (the last time counts), three open.
    let three = s.open_case(&new("Reopened", Some(dept.id))).await.unwrap();
    let mut again = three.clone();
    again.status = Status::Resolved;
    again.resolution = "sent".into();
    assert!(s.change_case(&again, Status::Open, "head", &[("status", "resolved".into())]).await.unwrap());
    let first = s.case_facts("2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z").await.unwrap();
    let resolved_once = first.iter().find(|f| f.status == Status::Resolved).unwrap().resolved_at.unwrap();
    again.status = Status::InProgress;
    assert!(s.change_case(&again, Status::Resolved, "head", &[("status", "in_progress".into())]).await.unwrap());
    let reopened = s.case_facts("2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z").await.unwrap();
    assert_eq!(reopened.iter().filter(|f| f.resolved_at.is_some()).count(), 1, "reopened: not resolved now");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    again.status = Status::Resolved;
    assert!(s.change_case(&again, Status::InProgress, "head", &[("status", "resolved".into())]).await.unwrap());
    let facts = s.case_facts("2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z").await.unwrap();
    assert_eq!(
        facts.iter().map(|f| (f.status, f.department, f.resolved_at.is_some())).collect::<Vec<_>>(),
        [
            (Status::Closed, Some(dept.id.0), true),
            (Status::Open, None, false),
            (Status::Resolved, Some(dept.id.0), true)
        ]
    );
    assert!(facts[2].resolved_at.unwrap() > resolved_once, "the last resolution counts");
    assert_eq!(facts[0].resolved_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)), closed.closed_at);
    assert!(s.case_facts("2100-01-01T00:00:00.000Z", "2100-01-02T00:00:00.000Z").await.unwrap().is_empty());
    assert!(store
        .company(b)
        .case_facts("2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z")
        .await
        .unwrap()
        .is_empty());
    // Rules, replaced whole.
    let rule = |c, h| CaseRule { category: c, department: Some(dept.id), deadline: Duration::hours(h) };
    s.put_case_rules(&[rule(Category::Claim, 4), rule(Category::Wish, 100)]).await.unwrap();
    s.put_case_rules(&[rule(Category::Claim, 8)]).await.unwrap();
    assert_eq!(s.case_rules().await.unwrap(), [rule(Category::Claim, 8)]);
    // The outbox: queued, tried, sent.
    s.queue_mail("heads@localhost", "Case 1", "body", &format!("case:{}", one.id)).await.unwrap();
    let due = store.due_outgoing(Utc::now()).await.unwrap();
    assert_eq!(due.len(), 1);
    s.outgoing_tried(due[0].id, Err(("unreachable: down", Some(Utc::now() + Duration::minutes(1)))), Utc::now())
        .await
        .unwrap();
    assert!(store.due_outgoing(Utc::now()).await.unwrap().is_empty(), "tried again later");
    s.outgoing_tried(due[0].id, Ok(()), Utc::now()).await.unwrap();
    let kept = s.mail_about(&format!("case:{}", one.id)).await.unwrap();
    assert_eq!((kept[0].state.as_str(), kept[0].attempts), ("sent", 2));
    // Another company: nothing.
    let other = store.company(b);
    assert!(other.case(one.id).await.unwrap().is_none());
    assert!(other.cases(&all).await.unwrap().is_empty());
    assert!(other.case_events(one.id).await.unwrap().is_empty());
    assert!(matches!(other.add_case_event(one.id, "x", "note", "y").await, Err(centrala_store::StoreError::NotFound)));
    assert!(!other.change_case(&next, Status::Closed, "x", &[]).await.unwrap());
    assert!(other.case_rules().await.unwrap().is_empty());
    assert!(other.mail_about(&format!("case:{}", one.id)).await.unwrap().is_empty());
}

/// Web forms: the built-in four until the company sets its own (fields,
/// labels and order kept); submissions kept with their values and what
/// they became, counted per address since a moment; a form's contact is
/// arrived and ended at once; a client found by e-mail only when one card
/// has it; another company sees none of it.
async fn web_forms_keep_their_fields_and_submissions(store: &Store) {
    use centrala_desk::forms::{built_in, Field, FieldKind, Form, Kind};
    use centrala_store::interactions::Disposition;
    let (a, b) = two_companies(store).await;
    let s = store.company(a);
    assert_eq!(s.web_forms().await.unwrap(), built_in());
    let labels = [("bs".to_owned(), "PDV broj".to_owned()), ("ru".to_owned(), "ИНН".to_owned())].into_iter().collect();
    let own = vec![
        Form {
            code: "upit".into(),
            kind: Kind::OrderInquiry,
            fields: vec![
                Field { name: "phone".into(), kind: FieldKind::Phone, required: true, labels: Default::default() },
                Field { name: "pib".into(), kind: FieldKind::Text, required: false, labels },
            ],
            active: true,
        },
        Form { code: "stari".into(), kind: Kind::General, fields: built_in()[3].fields.clone(), active: false },
    ];
    s.put_web_forms(&own).await.unwrap();
    assert_eq!(s.web_forms().await.unwrap(), own);
    assert_eq!(store.company(b).web_forms().await.unwrap(), built_in());
    let twice = [own[0].clone(), own[0].clone()];
    assert!(matches!(s.put_web_forms(&twice).await, Err(centrala_store::StoreError::Conflict(_))));
    assert_eq!(s.web_forms().await.unwrap(), own, "nothing written");

    let since = Utc::now() - Duration::minutes(1);
    let values = [("phone".to_owned(), "+38761555666".to_owned())].into_iter().collect();
    let id = s.record_submission("upit", "10.0.0.1", &values).await.unwrap();
    s.record_submission("upit", "10.0.0.2", &values).await.unwrap();
    assert_eq!(s.submissions_since("10.0.0.1", since).await.unwrap(), 1);
    assert_eq!(s.submissions_since("10.0.0.1", Utc::now() + Duration::minutes(1)).await.unwrap(), 0);
    assert_eq!(store.company(b).submissions_since("10.0.0.1", since).await.unwrap(), 0);
    let contact = s
        .start_form_contact("+38761555666", None, centrala_domain::Intent::Order, Disposition::Callback)
        .await
        .unwrap();
    s.submission_became(id, Some(contact), None).await.unwrap();
    let kept = s.submissions(10).await.unwrap();
    assert_eq!(kept.len(), 2);
    let mine = kept.iter().find(|t| t.id == id).unwrap();
    assert_eq!((mine.values.clone(), mine.interaction, mine.address.as_str()), (values, Some(contact), "10.0.0.1"));
    let i = s.interaction(contact).await.unwrap().unwrap();
    assert_eq!((i.channel.as_str(), i.disposition, i.ended_at.is_some()), ("form", Disposition::Callback, true));
    assert_eq!(Some(i.arrived_at.clone()), i.ended_at);
    assert!(store.company(b).submissions(10).await.unwrap().is_empty());
    assert!(matches!(
        store.company(b).submission_became(id, None, None).await,
        Err(centrala_store::StoreError::NotFound)
    ));
    assert_eq!(s.client_by_email("nobody@example.com").await.unwrap(), None);
}

storage_suite!(
    web_forms_keep_their_fields_and_submissions,
    cases_keep_their_history_rules_and_outbox,
    report_days_are_kept_in_place_and_found_changed,
    wrap_up_codes_are_the_companys_own,
    evaluations_keep_their_criteria_complaints_targets_and_mentors,
    interval_statistics_keep_their_facts_and_rows,
    campaigns_are_built_from_the_history_and_keep_their_outcomes,
    the_reports_read_a_periods_facts,
    the_dialler_takes_due_targets_once_and_gives_them_back,
    knowledge_articles_keep_versions_attachments_and_votes,
    search_finds_names_as_people_type_them,
    search_takes_percent_and_underscore_literally,
    companies_are_created_once,
    staff_are_scoped_to_their_company,
    absences_validate_their_dates_and_people,
    sessions_expire_and_end_with_the_account,
    import_loads_and_reimport_updates,
    a_bad_import_writes_nothing_and_lists_every_error,
    demo_company_is_created_once_and_shows_everything,
    same_demo_every_time,
);

mod desk_queries {
    use super::*;
    use centrala_desk::{order::Delivery, order::OrderStatus, pricing::PriceRule};
    use centrala_domain::{ProductId, Quantity};

    async fn acme(store: &Store) -> CompanyId {
        store.import_dir("acme", &fixtures("good"), "387", "test").await.unwrap();
        store.company_by_code("acme").await.unwrap().unwrap().id
    }

    /// Clients and their contacts have e-mail addresses: from the import
    /// and from the desk; a message from either identifies the client, an
    /// address two clients share identifies neither (issue 16, item 3).
    pub async fn clients_and_contacts_are_found_by_email(store: &Store) {
        let s = store.company(acme(store).await);
        let code = |c: Option<centrala_store::desk::Client>| c.map(|c| c.code);
        assert_eq!(code(s.client_by_email("ZORA@example.ba").await.unwrap()), Some("K001".into()), "the card's");
        assert_eq!(code(s.client_by_email(" skladiste@zora.ba ").await.unwrap()), Some("K001".into()), "a contact's");
        let una = s.client_by_code("K003").await.unwrap().unwrap();
        let contacts = s.contacts(una.id).await.unwrap();
        assert_eq!(
            contacts.iter().map(|c| (c.name.as_str(), c.phone.as_str(), c.email.as_str())).collect::<Vec<_>>(),
            [("Mirza (accounting)", "", "racuni@una.ba")],
            "a contact reached by e-mail only"
        );
        assert_eq!(code(s.client_by_email("racuni@una.ba").await.unwrap()), Some("K003".into()));
        assert_eq!(s.client_by_email("").await.unwrap(), None);

        // Added and changed from the desk.
        let bosna = s.client_by_code("K002").await.unwrap().unwrap();
        let input =
            |name, email| centrala_store::desk::ContactInput { name, phone: "", email, authorized_to_receive: true };
        let added = s.add_contact(bosna.id, &input("Lejla (purchasing)", "nabavka@bosna.ba")).await.unwrap();
        assert_eq!((added.email.as_str(), added.authorized_to_receive), ("nabavka@bosna.ba", true));
        assert_eq!(code(s.client_by_email("Nabavka@Bosna.ba").await.unwrap()), Some("K002".into()));
        assert!(matches!(
            s.add_contact(bosna.id, &input("Lejla (purchasing)", "x@bosna.ba")).await,
            Err(StoreError::Conflict(_))
        ));
        // An address a contact of another client also has: neither.
        s.add_contact(una.id, &input("Lejla (shared)", "nabavka@bosna.ba")).await.unwrap();
        assert_eq!(s.client_by_email("nabavka@bosna.ba").await.unwrap(), None);
        let changed =
            s.update_contact(bosna.id, added.id, &input("Lejla (purchasing)", "lejla@bosna.ba")).await.unwrap();
        assert_eq!((changed.id, changed.email.as_str()), (added.id, "lejla@bosna.ba"));
        assert_eq!(code(s.client_by_email("nabavka@bosna.ba").await.unwrap()), Some("K003".into()));
        // The card's own address wins over a contact's elsewhere.
        s.set_client_email(una.id, "lejla@bosna.ba").await.unwrap();
        assert_eq!(code(s.client_by_email("lejla@bosna.ba").await.unwrap()), Some("K003".into()));
        // Another company sees none of it and changes nothing.
        let (_, other) = two_companies(store).await;
        let o = store.company(other);
        assert_eq!(o.client_by_email("zora@example.ba").await.unwrap(), None);
        assert!(matches!(
            o.update_contact(bosna.id, added.id, &input("Taken", "t@x.ba")).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(o.set_client_email(bosna.id, "t@x.ba").await, Err(StoreError::NotFound)));
        assert_eq!(s.contacts(bosna.id).await.unwrap()[0].email, "lejla@bosna.ba");
        // A re-import keeps the desk's contacts and updates its own.
        store.import_dir("acme", &fixtures("good"), "387", "test").await.unwrap();
        assert_eq!(s.contacts(bosna.id).await.unwrap().len(), 1);
        assert_eq!(code(s.client_by_email("skladiste@zora.ba").await.unwrap()), Some("K001".into()));
    }

    pub async fn clients_by_phone_receivables_history(store: &Store) {
        let s = store.company(acme(store).await);
        let zora = s.client_by_phone("+38733111222").await.unwrap().unwrap();
        assert_eq!(zora.code, "K001");
        assert_eq!(s.client_by_phone("+38761999000").await.unwrap().unwrap().code, "K001", "a contact's phone");
        assert_eq!(s.client_by_phone("+38765123456").await.unwrap().unwrap().code, "K004", "K004 has only a contact");
        assert!(s.client_by_phone("+38799999999").await.unwrap().is_none());
        // Names are found as people type them: without diacritics, in
        // Cyrillic, in capitals, "dj" for đ (folded search keys).
        let cacak = s.register_client("Čačak Đurđevak", "retail", "Čačak", "+38733000111", "").await.unwrap();
        for typed in ["cacak", "ČAČAK", "Чачак", "djurdjevak", "Ђурђевак", "čačak đurđ"] {
            let found: Vec<String> =
                s.search_clients(typed, None, 10).await.unwrap().into_iter().map(|c| c.code).collect();
            assert_eq!(found, std::slice::from_ref(&cacak.code), "{typed:?}");
        }
        // Products likewise: "dzezva" and "Џезва" find Zlatna džezva, "пиво" the beer.
        for (typed, sku) in [("dzezva", "CO-0001"), ("ДЖЕЗВА", "CO-0001"), ("Џезва", "CO-0001"), ("пиво", "BE-0001")]
        {
            let found: Vec<String> = s.products(typed, 10, 0).await.unwrap().into_iter().map(|p| p.sku).collect();
            assert_eq!(found, [sku], "{typed:?}");
        }
        // A code typed exactly comes first.
        assert_eq!(s.search_clients("k001", None, 10).await.unwrap()[0].code, "K001");
        // A caller registered as a new client: a code of its own, no manager.
        let new = s.register_client("Kiosk Ilidža", "retail", "Sarajevo", "+38799999999", "").await.unwrap();
        assert_eq!((new.code.clone(), new.manager, new.credit_limit), (format!("N{:05}", new.id.0), None, Money(0)));
        assert_eq!(s.client_by_phone("+38799999999").await.unwrap().map(|c| c.id), Some(new.id));
        assert!(matches!(
            s.register_client("Again", "retail", "", "+38799999999", "").await,
            Err(StoreError::Conflict(_))
        ));
        let open = s.open_receivables(zora.id).await.unwrap();
        assert_eq!(open.iter().map(|r| r.invoice.as_str()).collect::<Vec<_>>(), ["F-2"], "paid invoices are not open");
        // A caller and its open receivables in one read: the same as the two reads.
        let (client, receivables) = s.caller_by_phone("+38761999000").await.unwrap().unwrap();
        assert_eq!((client, receivables), (zora.clone(), open.clone()));
        let (client, receivables) = s.caller_by_phone("+38799999999").await.unwrap().unwrap();
        assert_eq!((client.id, receivables), (new.id, Vec::new()), "no receivables: the client alone");
        assert!(s.caller_by_phone("+38799999990").await.unwrap().is_none());
        let (other, _) = store.ensure_company("other", "Other").await.unwrap();
        assert!(store.company(other.id).caller_by_phone("+38733111222").await.unwrap().is_none(), "another company's");
        let orders = s.client_orders(zora.id, 5).await.unwrap();
        assert_eq!((orders.len(), orders[0].order_no.as_str(), orders[0].total), (1, "H-1", Money(29100 + 11640)));
        let (usual, n) = s.usual_products(zora.id, 6).await.unwrap();
        assert_eq!((usual.len(), n), (2, 1));
        let beer = s.product_by_sku("BE-0001").await.unwrap().unwrap();
        let water = s.product_by_sku("WA-0001").await.unwrap().unwrap();
        assert_eq!(s.complementary(&[beer.id], 10).await.unwrap(), vec![(water.id, 1, beer.id)]);
        let found = s.search_clients("zora", None, 10).await.unwrap();
        assert_eq!(found.len(), 1);
        let by_phone = s.search_clients("065 123 456", Some("+38765123456"), 10).await.unwrap();
        assert_eq!(by_phone.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["K004"]);
        // Dormant as of 2027-06-01: nobody ordered since 2026-12-01.
        let dormant = s.dormant_clients(d("2026-12-01"), 10).await.unwrap();
        let codes: Vec<&str> = dormant.iter().map(|(c, _)| c.code.as_str()).collect();
        assert_eq!(codes, ["K002", "K001", "K004"], "no manager (K003) is never dormant; never ordered first");
        assert_eq!(dormant[1].1, Some(d("2026-09-01")));
        let staffing = s.staffing().await.unwrap();
        assert_eq!((staffing.members.len(), staffing.departments.len(), staffing.absences.len()), (7, 4, 2));
        assert_eq!(s.traditional("marketer").await.unwrap(), vec![beer.id]);
        let coffee = s.product_by_sku("CO-0001").await.unwrap().unwrap();
        let catalog = s.catalog(5).await.unwrap();
        assert_eq!(catalog.len(), 4);
        let facts = catalog.facts(coffee.id).unwrap();
        assert!(!facts.in_stock && facts.is_special);
        // Zora (marketer) ordered beer and water together; the catalog knows.
        let recos = catalog.recommend("marketer", &[], 0, &[beer.id], 10);
        let got: Vec<(&str, &str)> =
            recos.iter().map(|r| (catalog.facts(r.product).unwrap().sku.as_str(), r.reason.as_str())).collect();
        assert_eq!(got, [("WA-0001", "new")], "the special coffee is out of stock; beer is ordered");
        assert_eq!(recos[0].also, [centrala_desk::offers::Reason::Complementary]);
    }

    pub async fn price_rules_round_trip(store: &Store) {
        let s = store.company(acme(store).await);
        let rule = PriceRule {
            id: 0,
            name: "December".into(),
            priority: 5,
            client_type: Some("retail".into()),
            min_volume: Some(Money(50_000)),
            valid_from: Some(d("2026-12-01")),
            valid_to: Some(d("2026-12-31")),
            column: 4,
        };
        let saved = s.save_price_rule(&rule).await.unwrap();
        assert_eq!(PriceRule { id: saved.id, ..rule.clone() }, saved);
        let changed = s.save_price_rule(&PriceRule { column: 5, ..saved.clone() }).await.unwrap();
        assert_eq!(changed.column, 5);
        assert!(matches!(
            s.save_price_rule(&PriceRule { column: 9, ..rule.clone() }).await,
            Err(StoreError::Invalid(_))
        ));
        let (other, _) = store.ensure_company("other", "Other").await.unwrap();
        assert!(matches!(store.company(other.id).delete_price_rule(saved.id).await, Err(StoreError::NotFound)));
        assert!(matches!(store.company(other.id).save_price_rule(&saved).await, Err(StoreError::NotFound)));
        s.delete_price_rule(saved.id).await.unwrap();
        assert!(s.price_rules().await.unwrap().is_empty());
    }

    pub async fn a_desk_order_from_draft_to_confirmed(store: &Store) {
        let company = acme(store).await;
        let s = store.company(company);
        let zora = s.client_by_code("K001").await.unwrap().unwrap();
        let ana = s.staff_by_username("op.ana").await.unwrap().unwrap();
        let id = s.create_order(zora.id, ana.id, "op.ana", d("2026-11-27"), None).await.unwrap();
        let beer = s.product_by_sku("BE-0001").await.unwrap().unwrap();
        let juice = s.product_by_sku("JU-0001").await.unwrap().unwrap();
        s.save_lines(
            id,
            &[(beer.id, Quantity::units(2), Money(2910)), (juice.id, Quantity(1500), Money(1746))],
            2,
            "Base",
            "op.ana",
            ("line", "x"),
        )
        .await
        .unwrap();
        s.record_offer(id, ProductId(juice.id.0), "new", "accepted", ana.id, "op.ana").await.unwrap();
        assert!(matches!(
            s.record_offer(id, juice.id, "new", "declined", ana.id, "op.ana").await,
            Err(StoreError::Conflict(_))
        ));
        let delivery = Delivery {
            date: Some(d("2026-11-30")),
            window_from: chrono::NaiveTime::from_hms_opt(8, 0, 0),
            window_to: chrono::NaiveTime::from_hms_opt(10, 30, 0),
            receivers: vec!["Amela (owner)".into(), "Senad (warehouse)".into()],
            payment_form: Some("cash".into()),
            ..Delivery::default()
        };
        s.set_delivery(id, &delivery, "back door", "op.ana").await.unwrap();
        let o = s.order(id).await.unwrap().unwrap();
        assert_eq!(o.summary.order_no, format!("D-{:06}", id.0));
        assert_eq!(
            (o.summary.status, o.summary.total, o.price_column, o.price_rule.as_str()),
            (OrderStatus::Draft, Money(5820 + 2619), 2, "Base")
        );
        assert_eq!(o.lines.len(), 2);
        assert_eq!((o.delivery.clone(), o.notes.as_str()), (delivery, "back door"));
        assert_eq!(o.offers.len(), 1);
        assert!(s.move_order(id, OrderStatus::Draft, OrderStatus::Confirmed, "op.ana", "").await.unwrap());
        assert!(
            !s.move_order(id, OrderStatus::Draft, OrderStatus::Confirmed, "op.ana", "").await.unwrap(),
            "only once"
        );
        // Confirmation taught the pairs: beer and juice now go together.
        let comp = s.complementary(&[juice.id], 10).await.unwrap();
        assert!(comp.contains(&(beer.id, 1, juice.id)), "{comp:?}");
        let kinds: Vec<String> = s.order_events(id).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["opened", "line", "offer", "delivery", "confirmed"]);
        let listed = s
            .orders(&centrala_store::desk::OrderFilter {
                client: Some(zora.id),
                status: Some(OrderStatus::Confirmed),
                taken_by: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        // Emir's book: his clients by name, and the orders under way.
        let emir = s.staff_by_username("mgr.emir").await.unwrap().unwrap();
        let book: Vec<String> = s.clients_of(emir.id, 10).await.unwrap().into_iter().map(|c| c.code).collect();
        assert_eq!(book, ["K004", "K001"], "Diskont Drina, then Market Zora");
        let under_way = s.open_orders_of(emir.id, 10).await.unwrap();
        assert!(under_way.iter().any(|o| o.summary.id == id && o.client_code == "K001"), "{under_way:?}");
        assert!(under_way.iter().all(|o| o.manager == Some(emir.id)));
        // The heads' day: confirmed since the day began, with its client;
        // none since tomorrow.
        let day = s.confirmed_since("2000-01-01T00:00:00.000Z", 10).await.unwrap();
        assert_eq!(day.len(), 1);
        assert_eq!(
            (day[0].summary.id, day[0].client_code.as_str(), day[0].confirmed_by.as_str(), day[0].delivery_date),
            (id, "K001", "op.ana", Some(d("2026-11-30")))
        );
        assert!(s.confirmed_since("2999-01-01T00:00:00.000Z", 10).await.unwrap().is_empty());
        // What the client usually takes, per product: the most in one order.
        let usual = s.usual_quantities(zora.id).await.unwrap();
        assert!(usual.values().all(|q| q.0 > 0) && !usual.is_empty(), "{usual:?}");
        // Finance's list: who owes, overdue first; F-2 (due 2026-11-14) is
        // overdue on the 27th, K004's F-3 (due 2026-12-01) is not.
        let debtors = s.debtors(d("2026-11-27"), None, 10).await.unwrap();
        let owed: Vec<(&str, Money, Money)> = debtors.iter().map(|x| (x.code.as_str(), x.open, x.overdue)).collect();
        assert_eq!(owed, [("K001", Money(80_000), Money(80_000)), ("K004", Money(1_250_000), Money(0))]);
        let kam = s.staff_by_username("kam.lejla").await.unwrap().unwrap();
        assert_eq!(s.debtors(d("2026-11-27"), Some(emir.id), 10).await.unwrap().len(), 2, "both are Emir's");
        assert!(s.debtors(d("2026-11-27"), Some(kam.id), 10).await.unwrap().is_empty(), "none is Lejla's");
        // A member's own language, and the company's currency.
        s.set_staff_locale(ana.id, "sr").await.unwrap();
        assert_eq!(s.staff(ana.id).await.unwrap().unwrap().locale, "sr");
        let c = s.company_id();
        assert_eq!(store.company_currency(c).await.unwrap(), "BAM");
        assert!(matches!(store.set_company_currency(c, "euro").await, Err(StoreError::Invalid(_))));
        store.set_company_currency(c, "EUR").await.unwrap();
        assert_eq!(store.company_currency(c).await.unwrap(), "EUR");
        // Another company cannot see or move it.
        let (other, _) = store.ensure_company("other", "Other").await.unwrap();
        assert!(store.company(other.id).order(id).await.unwrap().is_none());
        assert!(!store
            .company(other.id)
            .move_order(id, OrderStatus::Confirmed, OrderStatus::Cancelled, "x", "")
            .await
            .unwrap());
    }
}

use desk_queries::{
    a_desk_order_from_draft_to_confirmed, clients_and_contacts_are_found_by_email,
    clients_by_phone_receivables_history, price_rules_round_trip,
};

mod desk_suite {
    use super::*;
    storage_suite!(
        clients_by_phone_receivables_history,
        clients_and_contacts_are_found_by_email,
        price_rules_round_trip,
        a_desk_order_from_draft_to_confirmed
    );
}

mod interaction_queries {
    use super::*;
    use centrala_desk::routing::Rule;
    use centrala_domain::Intent;
    use centrala_store::interactions::{
        Direction, Disposition, InteractionFilter, Routing, RoutingRule, Step, StoryKind,
    };

    pub async fn numbers_select_the_company_and_calls_are_registered(store: &Store) {
        let (a, b) = two_companies(store).await;
        let (sa, sb) = (store.company(a), store.company(b));
        sa.set_number("+38733555000", "orders").await.unwrap();
        sa.set_number("+38733555000", "orders and complaints").await.unwrap();
        assert!(matches!(sb.set_number("+38733555000", "mine").await, Err(StoreError::Conflict(_))));
        assert_eq!(
            store.company_for_number("+38733555000").await.unwrap(),
            Some((a, "orders and complaints".to_owned()))
        );
        assert_eq!(store.company_for_number("+38799999999").await.unwrap(), None);
        assert!(matches!(sb.delete_number("+38733555000").await, Err(StoreError::NotFound)));
        assert_eq!(sa.numbers().await.unwrap().len(), 1);

        let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
        let first = sa.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
        let second = sa.start_interaction(Direction::Inbound, "+38761000002", "+38733555000", None).await.unwrap();
        sa.route_interaction(first, "main", "1", Intent::Order, Rule::Operators.into(), &["a retail client".into()])
            .await
            .unwrap();
        sa.answer_interaction(first, ana.id, Some("recordings/1.wav")).await.unwrap();
        sa.end_interaction(first, Disposition::Answered).await.unwrap();
        sa.end_interaction(second, Disposition::Abandoned).await.unwrap();

        let got = sa.interaction(first).await.unwrap().unwrap();
        assert_eq!(
            (got.digits.as_str(), got.intent, got.disposition),
            ("1", Some(Intent::Order), Disposition::Answered)
        );
        assert_eq!(got.routing_rule, Some(RoutingRule::Desk(Rule::Operators)));
        assert_eq!((got.handled_by, got.recording.as_deref()), (Some(ana.id), Some("recordings/1.wav")));
        let fresh = sa.interaction(second).await.unwrap().unwrap();
        assert_eq!((fresh.intent, fresh.routing_rule), (None, None), "not routed: no intent, no rule");
        assert!(got.answered_at.is_some() && got.ended_at.is_some());

        let all = sa.interactions(&InteractionFilter::default()).await.unwrap();
        assert_eq!(all.iter().map(|i| i.id).collect::<Vec<_>>(), [second, first], "newest first");
        let by_phone = sa
            .interactions(&InteractionFilter { phone: Some("+38761000002".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(by_phone.len(), 1);
        let by_staff = sa.interactions(&InteractionFilter { staff: Some(ana.id), ..Default::default() }).await.unwrap();
        assert_eq!(by_staff.iter().map(|i| i.id).collect::<Vec<_>>(), [first]);
        let abandoned = sa
            .interactions(&InteractionFilter { disposition: Some(Disposition::Abandoned), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(abandoned.iter().map(|i| i.id).collect::<Vec<_>>(), [second]);
        let by_rule = |rule: Rule| InteractionFilter { rule: Some(rule.into()), ..Default::default() };
        let routed = sa.interactions(&by_rule(Rule::Operators)).await.unwrap();
        assert_eq!(routed.iter().map(|i| i.id).collect::<Vec<_>>(), [first]);
        assert!(sa.interactions(&by_rule(Rule::NewClient)).await.unwrap().is_empty());
        let today = chrono::Utc::now().date_naive();
        let (from, until) = (today.to_string(), today.succ_opt().unwrap().to_string());
        let in_range = sa
            .interactions(&InteractionFilter { from: Some(from), until: Some(until), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(in_range.len(), 2);
        let future = sa
            .interactions(&InteractionFilter { from: Some("2999-01-01".into()), ..Default::default() })
            .await
            .unwrap();
        assert!(future.is_empty());
        // The other company sees none of it and cannot change it.
        assert!(sb.interactions(&InteractionFilter::default()).await.unwrap().is_empty());
        assert!(sb.interaction(first).await.unwrap().is_none());
        assert!(matches!(sb.end_interaction(first, Disposition::Failed).await, Err(StoreError::NotFound)));
        assert!(matches!(sb.record_interaction(first, "x.wav").await, Err(StoreError::NotFound)));
        sa.record_interaction(second, "1/2026-11-28/2.wav").await.unwrap();
        assert_eq!(sa.interaction(second).await.unwrap().unwrap().recording.as_deref(), Some("1/2026-11-28/2.wav"));
    }

    pub async fn sip_accounts_are_unique_and_scoped(store: &Store) {
        let (a, b) = two_companies(store).await;
        let (sa, sb) = (store.company(a), store.company(b));
        let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
        let bob = sb.create_staff(&input("bob", Role::Operator)).await.unwrap();
        sa.set_sip_account(ana.id, "201", "ha1-a").await.unwrap();
        // Replacing keeps one account per member.
        sa.set_sip_account(ana.id, "ana-desk", "ha1-b").await.unwrap();
        let list = sa.sip_accounts().await.unwrap();
        assert_eq!(list.iter().map(|a| (a.staff_id, a.username.as_str())).collect::<Vec<_>>(), [(ana.id, "ana-desk")]);
        assert_eq!(store.sip_account("201").await.unwrap(), None);
        let got = store.sip_account("ana-desk").await.unwrap().unwrap();
        assert_eq!(
            (got.company_id, got.staff_id, got.ha1.as_str(), got.srtp_required),
            (a.0, ana.id, "ha1-b", false),
            "plain RTP allowed until an admin requires SRTP"
        );
        sa.set_sip_srtp_required(ana.id, true).await.unwrap();
        assert!(store.sip_account("ana-desk").await.unwrap().unwrap().srtp_required);
        assert!(sa.sip_accounts().await.unwrap()[0].srtp_required);
        // Registrations kept across a restart carry the account's SRTP rule.
        store
            .save_sip_bindings("ana-desk", &[("sip:ana@127.0.0.1:5070".into(), "127.0.0.1:5070".into(), 2_000_000_000)])
            .await
            .unwrap();
        let kept = store.sip_bindings(1_000_000_000).await.unwrap();
        assert_eq!(kept.iter().map(|b| (b.0.as_str(), b.4)).collect::<Vec<_>>(), [("ana-desk", true)]);
        assert!(matches!(sb.set_sip_srtp_required(ana.id, false).await, Err(StoreError::NotFound)));
        assert!(store.sip_account("ana-desk").await.unwrap().unwrap().srtp_required, "another company cannot lift it");
        // Another company can neither take the name nor give an account to our staff.
        assert!(matches!(sb.set_sip_account(bob.id, "ana-desk", "x").await, Err(StoreError::Conflict(_))));
        assert!(matches!(sb.set_sip_account(ana.id, "mine", "x").await, Err(StoreError::NotFound)));
        assert!(matches!(sb.delete_sip_account(ana.id).await, Err(StoreError::NotFound)));
        assert!(sb.sip_accounts().await.unwrap().is_empty());
        sa.delete_sip_account(ana.id).await.unwrap();
        assert_eq!(store.sip_account("ana-desk").await.unwrap(), None);
    }

    pub async fn call_settings_per_company(store: &Store) {
        let (a, b) = two_companies(store).await;
        let (sa, sb) = (store.company(a), store.company(b));
        assert_eq!(sa.ivr().await.unwrap(), None);
        assert_eq!(sa.recording_retention().await.unwrap(), 0);
        sa.set_ivr(Some("{\"start\":\"main\"}")).await.unwrap();
        sa.set_recording_retention(30).await.unwrap();
        assert_eq!(sa.ivr().await.unwrap().as_deref(), Some("{\"start\":\"main\"}"), "the retention kept the menu");
        assert_eq!(sa.recording_retention().await.unwrap(), 30);
        assert_eq!((sb.ivr().await.unwrap(), sb.recording_retention().await.unwrap()), (None, 0));
        sa.set_ivr(None).await.unwrap();
        assert_eq!((sa.ivr().await.unwrap(), sa.recording_retention().await.unwrap()), (None, 30));
        assert!(matches!(sa.set_recording_retention(-1).await, Err(StoreError::Invalid(_))));
        // Record pause: off unless allowed, per company, beside the rest.
        assert!(!sa.recording_pause_allowed().await.unwrap());
        sa.set_recording_pause_allowed(true).await.unwrap();
        assert!(sa.recording_pause_allowed().await.unwrap());
        assert!(!sb.recording_pause_allowed().await.unwrap(), "another company's stays off");
        assert_eq!(sa.recording_retention().await.unwrap(), 30, "the pause setting kept the retention");
        // Queue settings sit beside the menu and the retention, per company.
        assert_eq!(sa.queue_settings().await.unwrap(), None);
        sa.set_queue_settings(Some("{\"ring_timeout_seconds\":20}")).await.unwrap();
        assert_eq!(sa.queue_settings().await.unwrap().as_deref(), Some("{\"ring_timeout_seconds\":20}"));
        assert_eq!((sa.recording_retention().await.unwrap(), sb.queue_settings().await.unwrap()), (30, None));
        sa.set_queue_settings(None).await.unwrap();
        assert_eq!(sa.queue_settings().await.unwrap(), None);
        // Named queues beside them, apart from the operator queue's settings.
        sa.set_named_queues(Some("{\"complaints\":{}}")).await.unwrap();
        assert_eq!(sa.named_queues().await.unwrap().as_deref(), Some("{\"complaints\":{}}"));
        assert_eq!((sa.queue_settings().await.unwrap(), sb.named_queues().await.unwrap()), (None, None));

        let old = sa.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
        sa.record_interaction(old, "1/old.wav").await.unwrap();
        let bare = sa.start_interaction(Direction::Inbound, "+38761000002", "+38733555000", None).await.unwrap();
        assert!(sa.recordings_before("2000-01-01").await.unwrap().is_empty());
        assert_eq!(sa.recordings_before("2999-01-01").await.unwrap(), [(old, "1/old.wav".to_owned())]);
        assert!(sb.recordings_before("2999-01-01").await.unwrap().is_empty());
        assert!(matches!(sb.clear_recording(old).await, Err(StoreError::NotFound)));
        sa.clear_recording(old).await.unwrap();
        assert!(sa.recordings_before("2999-01-01").await.unwrap().is_empty());
        assert!(sa.interaction(bare).await.unwrap().unwrap().recording.is_none());
    }

    pub async fn an_interaction_keeps_its_story(store: &Store) {
        let (a, b) = two_companies(store).await;
        let (sa, sb) = (store.company(a), store.company(b));
        let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
        let id = sa.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
        sa.add_interaction_event(id, StoryKind::Offered, Some(ana.id), "").await.unwrap();
        sa.add_interaction_event(id, StoryKind::Missed, Some(ana.id), "no answer").await.unwrap();
        sa.add_interaction_event(id, StoryKind::Offered, Some(ana.id), "").await.unwrap();
        sa.add_interaction_event(id, StoryKind::Answered, Some(ana.id), "").await.unwrap();
        let story = sa.interaction_events(id).await.unwrap();
        assert_eq!(
            story.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["offered", "missed", "offered", "answered"]
        );
        assert_eq!((story[1].staff_id, story[1].detail.as_str()), (Some(ana.id), "no answer"));
        assert!(sb.interaction_events(id).await.unwrap().is_empty());
        assert!(matches!(sb.add_interaction_event(id, StoryKind::Offered, None, "").await, Err(StoreError::NotFound)));
        // Steps written together keep their order and their own moments.
        let t0 = Utc::now() - Duration::seconds(20);
        let at = |s: i64| t0 + Duration::seconds(s);
        let step = |s: i64, kind: StoryKind, detail: &str| Step {
            at: at(s),
            kind,
            staff: Some(ana.id),
            detail: detail.into(),
        };
        let two = [step(0, StoryKind::Offered, ""), step(12, StoryKind::Missed, "no answer")];
        assert!(matches!(sb.add_interaction_events(id, &two).await, Err(StoreError::NotFound)));
        assert_eq!(sa.interaction_events(id).await.unwrap().len(), 4, "nothing of another company's write");
        sa.add_interaction_events(id, &[]).await.unwrap();
        sa.add_interaction_events(id, &two).await.unwrap();
        let story = sa.interaction_events(id).await.unwrap();
        let last: Vec<(&str, &str, &str)> =
            story[4..].iter().map(|e| (e.kind.as_str(), e.detail.as_str(), e.at.as_str())).collect();
        let stamp = |s: i64| at(s).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert_eq!(last, [("offered", "", stamp(0).as_str()), ("missed", "no answer", stamp(12).as_str())]);
        // Every kind reads back as it was written.
        for k in StoryKind::ALL {
            assert_eq!(StoryKind::parse(k.as_str()), Some(k));
        }
    }

    pub async fn a_call_ends_with_its_recording_in_one_write(store: &Store) {
        let (a, b) = two_companies(store).await;
        let (sa, sb) = (store.company(a), store.company(b));
        let recorded = sa.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
        let bare = sa.start_interaction(Direction::Inbound, "+38761000002", "+38733555000", None).await.unwrap();
        // Another company's call is not found and not touched.
        assert!(matches!(
            sb.end_call(recorded, Disposition::Answered, Some("1/x.wav"), None, None).await,
            Err(StoreError::NotFound)
        ));
        assert!(sa.interaction(recorded).await.unwrap().unwrap().ended_at.is_none());
        // The call ended 3 s before its legs were torn down: that moment
        // is its end.
        let ended = Utc::now() - Duration::seconds(3);
        sa.end_call(recorded, Disposition::Answered, Some("1/2026-12-03/7.wav"), Some(ended), None).await.unwrap();
        sa.end_call(bare, Disposition::Abandoned, None, None, None).await.unwrap();
        // A call's routing is written with its answer, or with its end
        // when nobody answered; an answer without one keeps it.
        let routing = |rule: Rule, why: &str| Routing {
            path: "main".into(),
            digits: "1".into(),
            intent: Intent::Order,
            rule: rule.into(),
            reasons: vec![why.into(), "second line".into()],
            at: Utc::now() - Duration::seconds(9),
        };
        let ana = sa.create_staff(&input("ana", Role::Operator)).await.unwrap();
        let answered = sa.start_interaction(Direction::Inbound, "+38761000003", "+38733555000", None).await.unwrap();
        let left = sa.start_interaction(Direction::Inbound, "+38761000004", "+38733555000", None).await.unwrap();
        let to_ops = routing(Rule::Operators, "a retail client");
        assert!(matches!(sb.answer_routed(answered, ana.id, Some(&to_ops)).await, Err(StoreError::NotFound)));
        sa.answer_routed(answered, ana.id, Some(&to_ops)).await.unwrap();
        sa.answer_routed(answered, ana.id, None).await.unwrap();
        sa.end_call(answered, Disposition::Answered, None, None, None).await.unwrap();
        sa.end_call(left, Disposition::Abandoned, None, None, Some(&routing(Rule::DebtBlocked, "overdue")))
            .await
            .unwrap();
        let (x, y) = (sa.interaction(answered).await.unwrap().unwrap(), sa.interaction(left).await.unwrap().unwrap());
        assert_eq!(
            (x.ivr_path.as_str(), x.digits.as_str(), x.intent, x.routing_rule, x.routing_reasons.as_str()),
            ("main", "1", Some(Intent::Order), Some(Rule::Operators.into()), "a retail client\nsecond line")
        );
        assert_eq!((x.handled_by, x.disposition), (Some(ana.id), Disposition::Answered));
        assert!(x.answered_at.is_some() && x.ended_at.is_some());
        assert_eq!(
            (y.routing_rule, y.routing_reasons.as_str()),
            (Some(Rule::DebtBlocked.into()), "overdue\nsecond line")
        );
        assert_eq!((y.disposition, y.answered_at), (Disposition::Abandoned, None));
        let (r, n) = (sa.interaction(recorded).await.unwrap().unwrap(), sa.interaction(bare).await.unwrap().unwrap());
        assert_eq!((r.disposition, r.recording.as_deref()), (Disposition::Answered, Some("1/2026-12-03/7.wav")));
        assert_eq!(r.ended_at, Some(ended.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        assert_eq!((n.disposition, n.recording), (Disposition::Abandoned, None));
        assert!(n.ended_at.is_some() && n.ended_at > r.ended_at, "no end given: now, {:?}", n.ended_at);
        // A call is registered with its client only if the client is the
        // company's own (checked in the same statement).
        let client = sa.register_client("Kiosk Ilidža", "retail", "Sarajevo", "+38799999998", "").await.unwrap();
        let mine =
            sa.start_call(Direction::Inbound, "+38799999998", "+38733555000", Some(client.id), true).await.unwrap();
        assert_eq!(sa.interaction(mine).await.unwrap().unwrap().client_id, Some(client.id));
        let all = InteractionFilter { limit: 100, ..InteractionFilter::default() };
        assert!(matches!(
            sb.start_call(Direction::Inbound, "+38799999998", "+38733555001", Some(client.id), true).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(sb.interactions(&all).await.unwrap().is_empty(), "nothing written");
        assert_eq!(sa.interactions(&all).await.unwrap().len(), 5, "the two ended, the two routed, the client's");
    }
}

use interaction_queries::{
    a_call_ends_with_its_recording_in_one_write, an_interaction_keeps_its_story, call_settings_per_company,
    numbers_select_the_company_and_calls_are_registered, sip_accounts_are_unique_and_scoped,
};

mod interaction_suite {
    use super::*;
    storage_suite!(
        numbers_select_the_company_and_calls_are_registered,
        sip_accounts_are_unique_and_scoped,
        call_settings_per_company,
        an_interaction_keeps_its_story,
        a_call_ends_with_its_recording_in_one_write
    );
}

/// The two backends' migrations are kept by hand side by side: the schema
/// each makes, read back from its own catalog, must be the same table by
/// table, column by column (name, type, NOT NULL) and index by index.
#[tokio::test]
async fn the_sqlite_and_postgres_schemas_are_the_same() {
    use centrala_store::{schema::drift, testing::TestDb};
    let Some(pg) = TestDb::postgres().await else {
        centrala_store::testing::tool_missing("CENTRALA_TEST_PG is not set (the schema comparison needs PostgreSQL)");
        return;
    };
    let lite = TestDb::sqlite().await;
    let (a, b) = (lite.store.schema().await.unwrap(), pg.store.schema().await.unwrap());
    assert!(a.tables.len() >= 15 && a.tables.contains_key("interactions"), "{:?}", a.tables.keys());
    assert!(a.indexes.len() >= 5, "{:?}", a.indexes);
    let diff = drift("sqlite", &a, "postgres", &b);
    assert!(diff.is_empty(), "the migrations drifted apart:\n{}", diff.join("\n"));
    // The comparison sees a drift when there is one.
    let mut c = b.clone();
    c.tables.get_mut("staff").unwrap().pop();
    c.indexes.insert("extra_idx".into());
    let diff = drift("sqlite", &a, "postgres", &c);
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert!(diff[0].starts_with("table staff, column") && diff[1] == "index extra_idx: only in postgres", "{diff:?}");
    lite.cleanup().await;
    pg.cleanup().await;
}
