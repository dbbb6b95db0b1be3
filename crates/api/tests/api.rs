//! The HTTP API through the real router: status, body and the state left
//! behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use centrala_api::{state::Clock, ApiConfig};
use centrala_domain::{AbsenceKind, Role};
use centrala_store::{password, testing::TestDb, DepartmentKind, StaffInput, Store};
use chrono::NaiveDate;
use common::{Resp, World};
use serde_json::{json, Value};

async fn staff(store: &Store, company: &str, username: &str, role: Role, pw: &str) -> i64 {
    let (c, _) = store.ensure_company(company, company).await.unwrap();
    let s = store.company(c.id);
    let m = s
        .create_staff(&StaffInput {
            username: username.into(),
            full_name: username.into(),
            role,
            department: None,
            active: true,
            locale: "en".into(),
        })
        .await
        .unwrap();
    s.set_password_hash(m.id, &password::hash_password(pw).unwrap()).await.unwrap();
    m.id.0
}

async fn world() -> World {
    let db = TestDb::sqlite().await;
    for (c, u, r) in [
        ("alpha", "admin", Role::Admin),
        ("alpha", "op", Role::Operator),
        ("alpha", "sup", Role::Supervisor),
        ("beta", "admin", Role::Admin),
        ("beta", "op", Role::Operator),
    ] {
        staff(&db.store, c, u, r, "password1").await;
    }
    let config = ApiConfig { max_body_bytes: 4096, max_failed_logins: 3, ..ApiConfig::default() };
    World::new(db, config, Clock::System)
}

trait Helpers {
    async fn login(&self, company: &str, user: &str) -> String;
    async fn company_id(&self, code: &str) -> centrala_domain::CompanyId;
}

impl Helpers for World {
    async fn login(&self, company: &str, user: &str) -> String {
        self.login_pw(company, user, "password1").await
    }

    async fn company_id(&self, code: &str) -> centrala_domain::CompanyId {
        self.db.store.company_by_code(code).await.unwrap().unwrap().id
    }
}

fn code(r: &Resp) -> &str {
    r.code()
}

#[tokio::test]
async fn login_me_and_logout() {
    let w = world().await;
    let bad = w.try_login("alpha", "op", "nope").await;
    assert_eq!((bad.status, code(&bad)), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    let nobody = w.try_login("zeta", "op", "password1").await;
    assert_eq!(code(&nobody), "invalid_credentials");

    let r = w.try_login("alpha", "op", "password1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["role"], "operator");
    let token = r.body["token"].as_str().unwrap().to_owned();
    let cookie = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with(&format!("centrala_session={token};")) && cookie.contains("HttpOnly"), "{cookie}");

    let me = w.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
    assert_eq!((me.body["username"].as_str(), me.body["company"].as_str()), (Some("op"), Some("alpha")));
    // The cookie alone authenticates too (the web UI).
    let by_cookie = w
        .raw(
            Request::get("/api/v1/auth/me")
                .header(header::COOKIE, format!("centrala_session={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(by_cookie.body["username"], "op");

    let out = w.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = w.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
    assert_eq!((after.status, code(&after)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let anon = w.call(Method::GET, "/api/v1/staff", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);

    // Failed and successful logins are in the audit log.
    let audit = w.db.store.company(w.company_id("alpha").await).audit_entries(20).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["logout", "login", "login_failed"]);
}

#[tokio::test]
async fn failed_logins_are_limited_per_user_and_per_address() {
    let w = world().await;
    for _ in 0..3 {
        let r = w.try_login("alpha", "op", "guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused for a while, with Retry-After.
    let r = w.try_login("alpha", "op", "password1").await;
    assert_eq!((r.status, code(&r)), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    let secs: u64 = r.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!(secs > 0 && secs <= 300);
    // Other users from the same address are not locked out by it (a whole
    // office behind one NAT address; before, they were).
    let r = w.try_login("beta", "op", "password1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Lockout per (user, address): the real user elsewhere logs in while
/// their guesser is locked out; an address is locked out at five times
/// the threshold; a success wipes the slate; X-Forwarded-For counts only
/// from a trusted proxy. (Before: the user was locked out everywhere, the
/// address after three failures, and a success kept the address count.)
#[tokio::test]
async fn lockout_is_per_user_and_address_behind_a_trusted_proxy() {
    let db = TestDb::sqlite().await;
    for (c, u) in [
        ("alpha", "op"),
        ("alpha", "sup"),
        ("alpha", "a1"),
        ("alpha", "a2"),
        ("alpha", "a3"),
        ("alpha", "a4"),
        ("alpha", "a5"),
        ("alpha", "a6"),
    ] {
        staff(&db.store, c, u, Role::Operator, "password1").await;
    }
    // Requests come from 127.0.0.9 (the test's peer): make it the proxy.
    let config =
        ApiConfig { max_failed_logins: 3, trusted_proxies: vec!["127.0.0.9".parse().unwrap()], ..ApiConfig::default() };
    let w = World::new(db, config, Clock::System);
    let login = |user: &'static str, pw: &'static str, from: &'static str| {
        let req = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("6.6.6.6, {from}"))
            .body(Body::from(json!({"company": "alpha", "username": user, "password": pw}).to_string()))
            .unwrap();
        w.raw(req)
    };
    for _ in 0..3 {
        assert_eq!(login("op", "guess", "203.0.113.1").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login("op", "password1", "203.0.113.1").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's address"
    );
    assert_eq!(login("op", "password1", "203.0.113.2").await.status, StatusCode::OK, "the real user elsewhere");
    assert_eq!(
        login("sup", "password1", "203.0.113.1").await.status,
        StatusCode::OK,
        "a colleague at the guesser's address"
    );
    // A success wipes the slate of the user there.
    for _ in 0..2 {
        assert_eq!(login("sup", "guess", "203.0.113.3").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("sup", "password1", "203.0.113.3").await.status, StatusCode::OK);
    for _ in 0..2 {
        assert_eq!(login("sup", "guess", "203.0.113.3").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("sup", "password1", "203.0.113.3").await.status, StatusCode::OK, "two, not four, failures count");
    // An address that fails fifteen times (five users, three each) is
    // locked out for everyone.
    for user in ["a1", "a2", "a3", "a4", "a5"] {
        for _ in 0..3 {
            assert_eq!(login(user, "guess", "203.0.113.4").await.status, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(login("a6", "password1", "203.0.113.4").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login("a6", "password1", "203.0.113.5").await.status, StatusCode::OK);
}

#[tokio::test]
async fn roles_are_refused_with_403_and_nothing_changes() {
    let w = world().await;
    let op = w.login("alpha", "op").await;
    let alpha = w.company_id("alpha").await;
    let before = w.db.store.company(alpha).staff_list().await.unwrap().len();
    let cases = [
        (Method::POST, "/api/v1/staff", Some(json!({"username": "x", "full_name": "X", "role": "admin"}))),
        (Method::PUT, "/api/v1/staff/1", Some(json!({"username": "op", "full_name": "Op", "role": "admin"}))),
        (Method::PUT, "/api/v1/staff/1/password", Some(json!({"password": "password2"}))),
        (Method::POST, "/api/v1/departments", Some(json!({"code": "d", "name": "D", "kind": "sales"}))),
        (Method::PUT, "/api/v1/departments/1", Some(json!({"name": "D", "kind": "sales"}))),
        (
            Method::POST,
            "/api/v1/absences",
            Some(json!({"staff": 1, "from": "2026-12-01", "to": "2026-12-02", "kind": "vacation"})),
        ),
        (Method::DELETE, "/api/v1/absences/1", None),
        (Method::GET, "/api/v1/audit", None),
    ];
    for (m, uri, body) in cases {
        let r = w.call(m.clone(), uri, Some(&op), body).await;
        assert_eq!((r.status, code(&r)), (StatusCode::FORBIDDEN, "forbidden"), "{m} {uri}");
    }
    // The role is checked before the body is read: a body the route would
    // refuse gets 403 too, not a 422 telling what the route takes.
    for (m, uri) in [
        (Method::POST, "/api/v1/staff"),
        (Method::PUT, "/api/v1/ivr"),
        (Method::PUT, "/api/v1/queues/complaints"),
        (Method::POST, "/api/v1/price-rules"),
    ] {
        let r = w.call(m.clone(), uri, Some(&op), Some(json!({"bogus": true}))).await;
        assert_eq!((r.status, code(&r)), (StatusCode::FORBIDDEN, "forbidden"), "{m} {uri}: {}", r.body);
        let req = Request::builder()
            .method(m.clone())
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {op}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{not json"))
            .unwrap();
        assert_eq!(w.raw(req).await.status, StatusCode::FORBIDDEN, "{m} {uri} with broken JSON");
    }
    let me = w.db.store.company(alpha).staff_by_username("op").await.unwrap().unwrap();
    assert_eq!(me.role, Role::Operator, "the operator did not promote itself");
    assert_eq!(w.db.store.company(alpha).staff_list().await.unwrap().len(), before);
    assert!(w.db.store.company(alpha).departments().await.unwrap().is_empty());
    // A supervisor may plan absences but not manage staff.
    let sup = w.login("alpha", "sup").await;
    let r = w
        .call(
            Method::POST,
            "/api/v1/absences",
            Some(&sup),
            Some(json!({"staff": me.id.0, "from": "2026-12-01", "to": "2026-12-02", "kind": "vacation"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = w
        .call(
            Method::POST,
            "/api/v1/staff",
            Some(&sup),
            Some(json!({"username": "x", "full_name": "X", "role": "admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_company_never_sees_anothers_records() {
    let w = world().await;
    let alpha = w.company_id("alpha").await;
    let a = w.db.store.company(alpha);
    let dept = a.create_department("sales", "Sales", DepartmentKind::Sales, None).await.unwrap();
    let op = a.staff_by_username("op").await.unwrap().unwrap();
    let abs = a
        .create_absence(
            op.id,
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            AbsenceKind::Vacation,
            None,
        )
        .await
        .unwrap();
    w.db.store
        .import_dir(
            "alpha",
            &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures/good"),
            "387",
            "t",
        )
        .await
        .unwrap();

    let beta_admin = w.login("beta", "admin").await;
    let (s, d, ab) = (op.id.0, dept.id.0, abs.id.0);
    let staff_body = json!({"username": "op", "full_name": "Stolen", "role": "admin"});
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/staff/{s}"), None),
        (Method::PUT, format!("/api/v1/staff/{s}"), Some(staff_body)),
        (Method::PUT, format!("/api/v1/staff/{s}/password"), Some(json!({"password": "hijacked1"}))),
        (Method::GET, format!("/api/v1/departments/{d}"), None),
        (Method::PUT, format!("/api/v1/departments/{d}"), Some(json!({"name": "Mine", "kind": "sales"}))),
        (Method::GET, format!("/api/v1/absences/{ab}"), None),
        (Method::DELETE, format!("/api/v1/absences/{ab}"), None),
        (Method::GET, "/api/v1/products/BE-0001".to_owned(), None),
    ];
    for (m, uri, body) in cases {
        let r = w.call(m.clone(), &uri, Some(&beta_admin), body).await;
        assert_eq!((r.status, code(&r)), (StatusCode::NOT_FOUND, "not_found"), "{m} {uri}: {}", r.body);
    }
    // Lists show only beta's own records.
    let staff = w.call(Method::GET, "/api/v1/staff", Some(&beta_admin), None).await;
    let names: Vec<&str> = staff.body.as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "op"]);
    assert_eq!(w.call(Method::GET, "/api/v1/departments", Some(&beta_admin), None).await.body, json!([]));
    assert_eq!(w.call(Method::GET, "/api/v1/absences", Some(&beta_admin), None).await.body, json!([]));
    assert_eq!(w.call(Method::GET, "/api/v1/products", Some(&beta_admin), None).await.body, json!([]));
    // A beta absence cannot point at alpha's staff either.
    let r = w
        .call(
            Method::POST,
            "/api/v1/absences",
            Some(&beta_admin),
            Some(json!({"staff": s, "from": "2026-12-01", "to": "2026-12-02", "kind": "vacation"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Alpha's records are as they were.
    let op_after = a.staff(op.id).await.unwrap().unwrap();
    assert_eq!((op_after.full_name.as_str(), op_after.role), ("op", Role::Operator));
    assert_eq!(a.department(dept.id).await.unwrap().unwrap().name, "Sales");
    assert!(a.absence(abs.id).await.unwrap().is_some());
    assert!(w.try_login("alpha", "op", "password1").await.status.is_success());
}

#[tokio::test]
async fn bad_input_gets_a_precise_4xx() {
    let w = world().await;
    let admin = w.login("alpha", "admin").await;
    let post = |body: &'static str, ctype: Option<&'static str>| {
        let mut b = Request::post("/api/v1/staff").header(header::AUTHORIZATION, format!("Bearer {admin}"));
        if let Some(c) = ctype {
            b = b.header(header::CONTENT_TYPE, c);
        }
        b.body(Body::from(body)).unwrap()
    };
    let json_ct = Some("application/json");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (post("{\"username\": ", json_ct), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            post("{\"username\": \"a\", \"full_name\": \"A\", \"role\": \"operator\", \"evil\": 1}", json_ct),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post("{\"username\": 5, \"full_name\": \"A\", \"role\": \"operator\"}", json_ct),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post("{\"username\": \"a\", \"full_name\": \"A\", \"role\": \"boss\"}", json_ct),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            post("{\"username\": \"a b\", \"full_name\": \"A\", \"role\": \"operator\"}", json_ct),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            post(
                "{\"username\": \"a\", \"full_name\": \"A\", \"role\": \"operator\", \"password\": \"short\"}",
                json_ct,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (post("{}", None), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        (
            post(Box::leak(format!("{{\"username\": \"{}\"}}", "x".repeat(10_000)).into_boxed_str()), json_ct),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            Request::get("/api/v1/staff/abc")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Request::get("/api/v1/staff/99999")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Request::get("/api/v1/products?limit=many")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (Request::get("/api/v1/nothing-here").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "not_found"),
        (
            Request::patch("/api/v1/staff").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Request::get("/api/v1/staff").header(header::AUTHORIZATION, "Bearer forged").body(Body::empty()).unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (i, (req, status, c)) in cases.into_iter().enumerate() {
        let r = w.raw(req).await;
        assert_eq!((r.status, code(&r)), (status, c), "case {i}: {}", r.body);
        assert!(!r.body["error"]["message"].as_str().unwrap_or("").is_empty(), "case {i} has a message");
    }
    let alpha = w.company_id("alpha").await;
    assert_eq!(w.db.store.company(alpha).staff_list().await.unwrap().len(), 3, "no bad request wrote a row");
}

#[tokio::test]
async fn admin_manages_staff_departments_and_absences() {
    let w = world().await;
    let admin = w.login("alpha", "admin").await;
    let dep = w
        .call(
            Method::POST,
            "/api/v1/departments",
            Some(&admin),
            Some(json!({"code": "fin", "name": "Finance", "kind": "finance"})),
        )
        .await;
    assert_eq!(dep.status, StatusCode::CREATED, "{}", dep.body);
    let dep_id = dep.body["id"].as_i64().unwrap();
    let r = w
        .call(Method::POST, "/api/v1/staff", Some(&admin), Some(json!({
            "username": "amra", "full_name": "Amra F.", "role": "finance", "department": dep_id, "locale": "bs", "password": "finance-pw"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!((r.body["role"].as_str(), r.body["has_password"].as_bool()), (Some("finance"), Some(true)));
    let amra_id = r.body["id"].as_i64().unwrap();
    let dup = w
        .call(
            Method::POST,
            "/api/v1/staff",
            Some(&admin),
            Some(json!({"username": "amra", "full_name": "A", "role": "operator"})),
        )
        .await;
    assert_eq!((dup.status, code(&dup)), (StatusCode::CONFLICT, "conflict"));

    let head = w
        .call(
            Method::PUT,
            &format!("/api/v1/departments/{dep_id}"),
            Some(&admin),
            Some(json!({"name": "Finance", "kind": "finance", "head": amra_id})),
        )
        .await;
    assert_eq!(head.body["head"].as_i64(), Some(amra_id));

    // Amra logs in with the password the admin gave.
    let amra = w.try_login("alpha", "amra", "finance-pw").await;
    let amra_token = amra.body["token"].as_str().unwrap().to_owned();
    // She changes it herself; her old password no longer works.
    let ch = w
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&amra_token),
            Some(json!({"current_password": "finance-pw", "new_password": "new-finance-pw"})),
        )
        .await;
    assert_eq!(ch.status, StatusCode::NO_CONTENT);
    let old = w.try_login("alpha", "amra", "finance-pw").await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let fresh = w.try_login("alpha", "amra", "new-finance-pw").await;
    let fresh_token = fresh.body["token"].as_str().unwrap().to_owned();

    // Deactivating her ends her session.
    let off = w
        .call(
            Method::PUT,
            &format!("/api/v1/staff/{amra_id}"),
            Some(&admin),
            Some(json!({
                "username": "amra", "full_name": "Amra F.", "role": "finance", "department": dep_id, "active": false
            })),
        )
        .await;
    assert_eq!(off.body["active"], false);
    assert_eq!(w.call(Method::GET, "/api/v1/auth/me", Some(&fresh_token), None).await.status, StatusCode::UNAUTHORIZED);

    // Absences: created, listed for the member, deleted.
    let a = w
        .call(
            Method::POST,
            "/api/v1/absences",
            Some(&admin),
            Some(json!({"staff": amra_id, "from": "2026-12-24", "to": "2026-12-31", "kind": "vacation"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let listed = w.call(Method::GET, &format!("/api/v1/absences?staff={amra_id}"), Some(&admin), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["to"], "2026-12-31");
    let backwards = w
        .call(
            Method::POST,
            "/api/v1/absences",
            Some(&admin),
            Some(json!({"staff": amra_id, "from": "2027-01-05", "to": "2027-01-01", "kind": "vacation"})),
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let del = w.call(Method::DELETE, &format!("/api/v1/absences/{}", a.body["id"]), Some(&admin), None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);

    // Every change is in the audit log, readable by the admin.
    let audit = w.call(Method::GET, "/api/v1/audit?limit=50", Some(&admin), None).await;
    let actions: Vec<String> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["entity"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "admin create department",
        "admin create staff",
        "admin update department",
        "amra change_password staff",
        "admin update staff",
        "admin create absence",
        "admin delete absence",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let w = world().await;
    let h = w.raw(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(h.status, StatusCode::OK);
    let doc = w.raw(Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap()).await;
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/staff/{id}",
        "/api/v1/absences",
        "/api/v1/products/{sku}",
        "/api/v1/clients/lookup",
        "/api/v1/routing/decide",
        "/api/v1/orders/{id}/confirm",
        "/api/v1/orders/{id}/recommendations",
        "/api/v1/price-rules/{id}",
        "/api/v1/events",
        "/api/v1/agents/me/state",
        "/api/v1/queues/stats",
        "/api/v1/interactions",
        "/api/v1/interactions/{id}/notes",
        "/api/v1/numbers/{number}",
        "/api/v1/clients/{code}/manager",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
    let _ = w.login("alpha", "op").await;
    let m = w.raw(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    let text = m.body.as_str().unwrap().to_owned();
    assert!(
        text.contains("centrala_http_requests_total{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("centrala_http_request_duration_seconds_count"));
    w.db.store.close().await;
    let down = w.raw(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn interactions_and_numbers() {
    use centrala_store::interactions::{Direction, Disposition};
    let w = world().await;
    let alpha = w.company_id("alpha").await;
    let a = w.db.store.company(alpha);
    let op = a.staff_by_username("op").await.unwrap().unwrap();
    let first = a.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
    a.route_interaction(
        first,
        "main",
        "1",
        centrala_domain::Intent::Order,
        centrala_desk::routing::Rule::Operators.into(),
        &["a retail client".into(), "operators take it".into()],
    )
    .await
    .unwrap();
    a.answer_interaction(first, op.id, None).await.unwrap();
    a.end_interaction(first, Disposition::Answered).await.unwrap();
    let second = a.start_interaction(Direction::Inbound, "+38761000002", "+38733555000", None).await.unwrap();
    a.end_interaction(second, Disposition::Abandoned).await.unwrap();

    let sup = w.login("alpha", "sup").await;
    let r = w.call(Method::GET, "/api/v1/interactions?phone=061%20000%20001", Some(&sup), None).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(r.body[0]["handled_by"], "op");
    assert_eq!(r.body[0]["routing_reasons"], json!(["a retail client", "operators take it"]));
    let r = w.call(Method::GET, "/api/v1/interactions?outcome=abandoned", Some(&sup), None).await;
    assert_eq!(r.body[0]["id"].as_i64(), Some(second.0));
    let r = w.call(Method::GET, "/api/v1/interactions?staff=op", Some(&sup), None).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = w.call(Method::GET, "/api/v1/interactions?outcome=exploded", Some(&sup), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The handler writes notes; another company sees nothing.
    let op_token = w.login("alpha", "op").await;
    let r = w
        .call(
            Method::PUT,
            &format!("/api/v1/interactions/{first}/notes"),
            Some(&op_token),
            Some(json!({"notes": "wants a call back on Monday"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = w
        .call(
            Method::PUT,
            &format!("/api/v1/interactions/{second}/notes"),
            Some(&op_token),
            Some(json!({"notes": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "not the handler");
    assert_eq!(a.interaction(first).await.unwrap().unwrap().notes, "wants a call back on Monday");
    // A wrap-up code from the list is kept; another is refused and changes nothing.
    let path = format!("/api/v1/interactions/{first}/notes");
    let r = w.call(Method::PUT, &path, Some(&op_token), Some(json!({"notes": "n", "wrap_up": "gossip"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.interaction(first).await.unwrap().unwrap().notes, "wants a call back on Monday");
    let r = w
        .call(Method::PUT, &path, Some(&op_token), Some(json!({"notes": "callback Monday", "wrap_up": "callback"})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(w.get(&format!("/api/v1/interactions/{first}"), &op_token).await.body["wrap_up"], "callback");
    let beta = w.login("beta", "admin").await;
    assert_eq!(
        w.call(Method::GET, &format!("/api/v1/interactions/{first}"), Some(&beta), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = w
        .call(Method::PUT, &format!("/api/v1/interactions/{first}/notes"), Some(&beta), Some(json!({"notes": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(w.call(Method::GET, "/api/v1/interactions", Some(&beta), None).await.body, json!([]));

    // Numbers: admins assign them; a number belongs to one company.
    let admin = w.login("alpha", "admin").await;
    let r =
        w.call(Method::PUT, "/api/v1/numbers/033%20555%20000", Some(&admin), Some(json!({"purpose": "orders"}))).await;
    assert_eq!(r.body["number"], "+38733555000", "{}", r.body);
    assert_eq!(w.db.store.company_for_number("+38733555000").await.unwrap().map(|(c, _)| c), Some(alpha));
    let r = w.call(Method::PUT, "/api/v1/numbers/+38733555000", Some(&beta), Some(json!({"purpose": "mine"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = w.call(Method::PUT, "/api/v1/numbers/+38733555001", Some(&op_token), Some(json!({"purpose": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        w.call(Method::DELETE, "/api/v1/numbers/+38733555000", Some(&beta), None).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = w.call(Method::GET, "/api/v1/numbers", Some(&admin), None).await;
    assert_eq!(listed.body, json!([{"number": "+38733555000", "purpose": "orders"}]));
}

#[tokio::test]
async fn pages_follow_the_session_and_the_role() {
    let w = world().await;
    let page = |path: &'static str, token: Option<String>| {
        let mut b = Request::get(path);
        if let Some(t) = token {
            b = b.header(header::COOKIE, format!("centrala_session={t}"));
        }
        b.body(Body::empty()).unwrap()
    };
    // No session: every page sends to the login page.
    for path in ["/", "/desk", "/heads", "/admin"] {
        let r = w.raw(page(path, None)).await;
        assert_eq!(
            (r.status, r.headers.get(header::LOCATION).map(|v| v.to_str().unwrap())),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{path}"
        );
    }
    let login = w.raw(page("/login", None)).await;
    assert!(login.body.as_str().unwrap().contains("id=\"login-form\""));

    // An operator lands on the desk and is kept out of administration.
    let op = w.login("alpha", "op").await;
    let home = w.raw(page("/", Some(op.clone()))).await;
    assert_eq!(home.headers.get(header::LOCATION).unwrap(), "/desk");
    let desk = w.raw(page("/desk", Some(op.clone()))).await;
    let html = desk.body.as_str().unwrap();
    assert!(html.contains("id=\"client-q\"") && html.contains("href=\"/desk\"") && !html.contains("href=\"/admin\""));
    let admin = w.raw(page("/admin", Some(op))).await;
    assert_eq!(admin.headers.get(header::LOCATION).unwrap(), "/");

    // The admin sees the company's staff, and only its own company's.
    let token = w.login("alpha", "admin").await;
    let admin = w.raw(page("/admin", Some(token))).await;
    assert_eq!(admin.status, StatusCode::OK);
    let html = admin.body.as_str().unwrap();
    assert!(html.contains("id=\"staff-table\"") && html.contains(">sup<") && html.contains(">op<"));
    assert!(html.matches("<tr data-id=").count() >= 3);
    assert!(!html.contains("beta"), "nothing of the other company");
}

#[tokio::test]
async fn agent_states_and_the_wallboard_statistics() {
    let w = world().await;
    let op = w.login("alpha", "op").await;
    let sup = w.login("alpha", "sup").await;
    let r = w.call(Method::GET, "/api/v1/agents/me/state", Some(&op), None).await;
    assert_eq!(r.body["state"], "offline");
    let r = w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "ready"}))).await;
    assert_eq!(r.body["state"], "available", "{}", r.body);
    assert_eq!(w.call(Method::GET, "/api/v1/agents/me/state", Some(&op), None).await.body["state"], "available");
    let r = w
        .call(
            Method::PUT,
            "/api/v1/agents/me/state",
            Some(&sup),
            Some(json!({"state": "not_ready", "reason": "coaching"})),
        )
        .await;
    assert_eq!((r.body["state"].as_str(), r.body["reason"].as_str()), (Some("not_ready"), Some("coaching")));

    let stats = w.call(Method::GET, "/api/v1/queues/stats", Some(&sup), None).await;
    let q = &stats.body[0];
    assert_eq!(
        (q["agents_available"].as_u64(), q["agents_not_ready"].as_u64(), q["waiting"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    let mut agents: Vec<(String, String)> = q["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["username"].as_str().unwrap().to_owned(), a["state"].as_str().unwrap().to_owned()))
        .collect();
    agents.sort();
    assert_eq!(agents, [("op".to_owned(), "available".to_owned()), ("sup".to_owned(), "not_ready".to_owned())]);

    // Operators do not read the wallboard; admins are not agents; nonsense is refused.
    assert_eq!(w.call(Method::GET, "/api/v1/queues/stats", Some(&op), None).await.status, StatusCode::FORBIDDEN);
    let admin = w.login("alpha", "admin").await;
    assert_eq!(
        w.call(Method::PUT, "/api/v1/agents/me/state", Some(&admin), Some(json!({"state": "ready"}))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "asleep"}))).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Another company's wallboard shows none of alpha's agents.
    let beta_op = w.login("beta", "op").await;
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&beta_op), Some(json!({"state": "ready"}))).await;
    let beta_admin = w.login("beta", "admin").await;
    let beta = w.call(Method::GET, "/api/v1/queues/stats", Some(&beta_admin), None).await;
    let names: Vec<&str> =
        beta.body[0]["agents"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["op"]);
    assert_eq!(beta.body[0]["agents_available"], 1);

    // A supervisor sets an operator's state for them; an operator cannot,
    // nor can another company, and an admin takes no contacts.
    let op_id = w.get("/api/v1/auth/me", &op).await.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/agents/{op_id}/state");
    let r = w.call(Method::PUT, &path, Some(&sup), Some(json!({"state": "not_ready", "reason": "meeting"}))).await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["reason"].as_str()),
        (Some("not_ready"), Some("meeting")),
        "{}",
        r.body
    );
    assert_eq!(w.get("/api/v1/agents/me/state", &op).await.body["reason"], "meeting");
    assert_eq!(
        w.call(Method::PUT, &path, Some(&op), Some(json!({"state": "ready"}))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = w.call(Method::PUT, &path, Some(&beta_admin), Some(json!({"state": "ready"}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let admin_id = w.get("/api/v1/auth/me", &admin).await.body["id"].as_i64().unwrap();
    let r = w
        .call(Method::PUT, &format!("/api/v1/agents/{admin_id}/state"), Some(&sup), Some(json!({"state": "ready"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let audit = w.get("/api/v1/audit?limit=50", &admin).await.body.to_string();
    assert!(audit.contains("agent_state"), "{audit}");

    // Offline again.
    let r = w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "offline"}))).await;
    assert_eq!(r.body["state"], "offline");
}

#[tokio::test]
async fn ivr_menus_are_data_and_old_recordings_go_by_the_retention() {
    use centrala_store::interactions::Direction;
    let db = TestDb::sqlite().await;
    for (c, u, r) in [("alpha", "admin", Role::Admin), ("alpha", "op", Role::Operator), ("beta", "admin", Role::Admin)]
    {
        staff(&db.store, c, u, r, "password1").await;
    }
    let recordings = tempfile::tempdir().unwrap();
    let center = centrala_center::CenterConfig { recordings: recordings.path().to_owned(), ..Default::default() };
    let w = World::with_center(db, ApiConfig::default(), center);
    let (admin, op, beta) =
        (w.login("alpha", "admin").await, w.login("alpha", "op").await, w.login("beta", "admin").await);

    // The default menu until the company sets its own.
    let r = w.get("/api/v1/ivr", &admin).await;
    assert_eq!((r.body["default"].as_bool(), r.body["start"].as_str()), (Some(true), Some("main")));
    assert_eq!(r.body["menus"][0]["options"]["3"], json!({"intent": "complaint"}));
    assert_eq!(w.get("/api/v1/ivr", &op).await.status, StatusCode::FORBIDDEN);
    let menu = json!({
        "start": "main", "language": "en",
        "menus": [{"id": "main", "prompt": "main-menu", "options": {"1": {"intent": "order"}, "9": {"submenu": "help"}}},
                  {"id": "help", "prompt": "please-wait", "options": {"0": "operator"}, "on_no_input": "repeat"}],
        "hours": {"open": [{"day": "mon", "from": "08:00", "to": "16:00"}], "holidays": ["2026-12-31"]}
    });
    let r = w.call(Method::PUT, "/api/v1/ivr", Some(&admin), Some(menu.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let got = w.get("/api/v1/ivr", &admin).await.body;
    assert_eq!((got["default"].as_bool(), got["language"].as_str()), (Some(false), Some("en")));
    assert_eq!(got["menus"][1]["options"]["0"], "operator");
    // What the telephony will walk is the same menu.
    let a = w.company_id("alpha").await;
    let own = centrala_center::settings::company_ivr(&w.db.store.company(a), &w.state.center.problems).await.unwrap();
    assert_eq!(
        (own.cfg.menus.len(), own.language.as_str(), own.default, own.cfg.hours.holidays.len()),
        (2, "en", false, 1)
    );
    assert!(!own.key_clients_skip_menu, "key clients hear the menu unless the company says otherwise");
    // Another company still has the default; a broken menu is refused and changes nothing.
    assert_eq!(w.get("/api/v1/ivr", &beta).await.body["default"], true);
    let mut broken = menu.clone();
    broken["menus"][0]["options"]["9"] = json!({"submenu": "nowhere"});
    let r = w.call(Method::PUT, "/api/v1/ivr", Some(&admin), Some(broken)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("nowhere"), "{}", r.body);
    assert_eq!(w.get("/api/v1/ivr", &admin).await.body["menus"][0]["options"]["9"], json!({"submenu": "help"}));
    assert_eq!(w.call(Method::PUT, "/api/v1/ivr", Some(&op), Some(menu)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(w.call(Method::DELETE, "/api/v1/ivr", Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(w.get("/api/v1/ivr", &admin).await.body["default"], true);

    // Retention: alpha keeps recordings 30 days, beta forever.
    let r = w.call(Method::PUT, "/api/v1/recordings/retention", Some(&admin), Some(json!({"days": 30}))).await;
    assert_eq!(r.body["days"], 30);
    let r = w.call(Method::PUT, "/api/v1/recordings/retention", Some(&admin), Some(json!({"days": -1}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.get("/api/v1/recordings/retention", &beta).await.body["days"], 0);
    let b = w.company_id("beta").await;
    let mut files = Vec::new();
    for c in [a, b] {
        let s = w.db.store.company(c);
        let id = s.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
        let rel = format!("{}/2026-11-28/{id}.wav", c.0);
        let path = recordings.path().join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"RIFF").unwrap();
        s.record_interaction(id, &rel).await.unwrap();
        files.push((c, id, path));
    }
    let now = chrono::Utc::now();
    assert_eq!(centrala_center::recordings::sweep(&w.state.center, now).await, 0, "nothing is 30 days old yet");
    assert_eq!(centrala_center::recordings::sweep(&w.state.center, now + chrono::Duration::days(31)).await, 1);
    let (_, alpha_call, alpha_file) = &files[0];
    let (_, beta_call, beta_file) = &files[1];
    assert!(!alpha_file.exists() && beta_file.exists(), "only alpha's went");
    assert_eq!(w.db.store.company(a).interaction(*alpha_call).await.unwrap().unwrap().recording, None);
    assert!(w.db.store.company(b).interaction(*beta_call).await.unwrap().unwrap().recording.is_some());
    let audit = w.get("/api/v1/audit?limit=50", &admin).await.body.to_string();
    assert!(audit.contains("retention") && audit.contains("older than 30 days"), "{audit}");
    // Files no interaction links (a crash before the link) go by their day
    // folder's date: an old one is deleted, a recent one kept, as is
    // beta's, which keeps recordings for ever.
    let old_day = (now - chrono::Duration::days(40)).format("%Y-%m-%d").to_string();
    let new_day = now.format("%Y-%m-%d").to_string();
    let orphan = |c: centrala_domain::CompanyId, day: &str| {
        let p = recordings.path().join(format!("{}/{day}/999.wav", c.0));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"RIFF").unwrap();
        p
    };
    let (old, recent, betas) = (orphan(a, &old_day), orphan(a, &new_day), orphan(b, &old_day));
    assert_eq!(centrala_center::recordings::sweep(&w.state.center, now).await, 1);
    assert!(!old.exists() && !old.parent().unwrap().exists(), "the old file and its folder went");
    assert!(recent.exists() && betas.exists());
    let audit = w.get("/api/v1/audit?limit=50", &admin).await.body.to_string();
    assert!(audit.contains("1 unlinked recordings older than 30 days"), "{audit}");
}

#[tokio::test]
async fn queue_settings_are_checked_stored_audited_and_applied_by_the_acd() {
    use centrala_acd::{AgentId, Event, TaskId};
    use centrala_sip::Control;
    let w = world().await;
    let (op, sup, beta) = (w.login("alpha", "op").await, w.login("alpha", "sup").await, w.login("beta", "admin").await);

    // The defaults until the company sets its own.
    let r = w.get("/api/v1/queues/settings", &sup).await;
    assert_eq!(
        (
            r.body["ring_timeout_seconds"].as_u64(),
            r.body["announce_every_seconds"].as_u64(),
            &r.body["max_wait_seconds"]
        ),
        (Some(15), Some(60), &Value::Null),
        "{}",
        r.body
    );
    assert_eq!(r.body["callback_offer"], true);
    assert_eq!(w.get("/api/v1/queues/settings", &op).await.status, StatusCode::FORBIDDEN);
    let mine =
        json!({"wrap_up_seconds": 30, "max_wait_seconds": 90, "overflow": "callback", "announce_every_seconds": 20});
    assert_eq!(
        w.call(Method::PUT, "/api/v1/queues/settings", Some(&op), Some(mine.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let r = w.call(Method::PUT, "/api/v1/queues/settings", Some(&sup), Some(json!({"ring_timeout_seconds": 1}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains("ring_timeout_seconds must be 5 to 120"),
        "{}",
        r.body
    );
    let r = w.call(Method::PUT, "/api/v1/queues/settings", Some(&sup), Some(json!({"overflow": "voicemail"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.get("/api/v1/queues/settings", &sup).await.body["wrap_up_seconds"], 0, "nothing changed");

    let r = w.call(Method::PUT, "/api/v1/queues/settings", Some(&sup), Some(mine)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let got = w.get("/api/v1/queues/settings", &sup).await.body;
    assert_eq!(
        (got["wrap_up_seconds"].as_u64(), got["max_wait_seconds"].as_u64(), got["overflow"].as_str()),
        (Some(30), Some(90), Some("callback"))
    );
    assert_eq!((got["ring_timeout_seconds"].as_u64(), got["announce_every_seconds"].as_u64()), (Some(15), Some(20)));
    assert_eq!(w.get("/api/v1/queues/settings", &beta).await.body["wrap_up_seconds"], 0, "beta keeps the defaults");
    let admin = w.login("alpha", "admin").await;
    let audit = w.get("/api/v1/audit?limit=20", &admin).await.body.to_string();
    assert!(audit.contains("\"queue\"") && audit.contains("operators"), "{audit}");

    // The ACD applies them: after a call, the operator is in 30 s of wrap-up
    // (with the defaults, available at once). Their phone reaches the ACD
    // with their state.
    let alpha = w.company_id("alpha").await;
    let me = w.get("/api/v1/auth/me", &op).await.body;
    let staff = centrala_domain::StaffId(me["id"].as_i64().unwrap());
    w.db.store.company(alpha).set_sip_account(staff, "op-phone", "0123").await.unwrap();
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "ready"}))).await;
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(
        w.state
            .center
            .acd
            .arrive(centrala_center::acd::Arriving::new(alpha, centrala_domain::InteractionId(41), "+38761000041", tx))
            .await
    );
    assert_eq!(rx.recv().await, Some(Control::Ring { staff: staff.0, user: "op-phone".into() }));
    let (contact, agent) = (TaskId(41), AgentId(u64::try_from(staff.0).unwrap()));
    w.state.center.acd.contact(Event::Accept { contact, agent }).await;
    w.state.center.acd.contact(Event::End { contact }).await;
    assert_eq!(w.get("/api/v1/agents/me/state", &op).await.body["state"], "wrap_up");
}

#[tokio::test]
async fn named_queues_take_their_members_calls_and_overflow_into_each_other() {
    use centrala_acd::{AgentId, Event, TaskId};
    use centrala_call::queued::AcdReport;
    use centrala_sip::Control;
    // Where the ACD tells each call's story (the queue it waits in).
    let (story_tx, mut story) = centrala_sip::chan::unbounded();
    // A call for the complaints queue, interaction `n`, its orders to `tx`.
    let complaint = |alpha, n: i64, tx| centrala_center::acd::Arriving {
        queue: Some("complaints".into()),
        story: Some(story_tx.clone()),
        ..centrala_center::acd::Arriving::new(alpha, centrala_domain::InteractionId(n), &format!("+387610000{n}"), tx)
    };
    let w = world().await;
    let (op, sup, admin) =
        (w.login("alpha", "op").await, w.login("alpha", "sup").await, w.login("alpha", "admin").await);
    let alpha = w.company_id("alpha").await;

    // Every company lists its operator queue; a named one is added by name.
    let r = w.get("/api/v1/queues", &sup).await;
    assert_eq!(r.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["operators"], "{}", r.body);
    let complaints = json!({"members": ["sup"], "max_wait_seconds": 10, "overflow": {"queue": "operators"}, "announce_every_seconds": 0});
    for (body, says) in [
        (json!({"members": ["nobody"]}), "no staff member \"nobody\""),
        (json!({"members": ["admin"]}), "admin is an admin"),
        (json!({"max_wait_seconds": 30, "overflow": {"queue": "billing"}}), "\"billing\", which is not a queue"),
        (json!({"max_wait_seconds": 30, "overflow": {"queue": "complaints"}}), "cannot overflow into itself"),
    ] {
        let r = w.call(Method::PUT, "/api/v1/queues/complaints", Some(&sup), Some(body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains(says), "{}", r.body);
    }
    let r = w.call(Method::PUT, "/api/v1/queues/Bad%20Name", Some(&sup), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w.call(Method::PUT, "/api/v1/queues/complaints", Some(&op), Some(complaints.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(w.get("/api/v1/queues", &sup).await.body.as_object().unwrap().len(), 1, "nothing stored");
    let r = w.call(Method::PUT, "/api/v1/queues/complaints", Some(&sup), Some(complaints)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let all = w.get("/api/v1/queues", &sup).await.body;
    assert_eq!(all["complaints"]["members"], json!(["sup"]));
    assert_eq!(all["complaints"]["overflow"], json!({"queue": "operators"}));
    assert_eq!(all["operators"]["max_wait_seconds"], Value::Null, "the operator queue is untouched");
    // Another company does not see it.
    let beta = w.login("beta", "admin").await;
    assert_eq!(w.get("/api/v1/queues", &beta).await.body.as_object().unwrap().len(), 1);

    // The menu may send callers to it, but not to a queue that is missing.
    let menu = |queue: &str| {
        json!({"start": "main", "menus": [{"id": "main", "prompt": "main-menu",
            "options": {"1": {"intent": "order"}, "2": {"queue": queue}}}]})
    };
    let r = w.call(Method::PUT, "/api/v1/ivr", Some(&admin), Some(menu("billing"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("\"billing\", which is not a queue"));
    let r = w.call(Method::PUT, "/api/v1/ivr", Some(&admin), Some(menu("complaints"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Phones for both: the supervisor (a member) and the operator.
    let id = |r: Resp| centrala_domain::StaffId(r.body["id"].as_i64().unwrap());
    let (sup_id, op_id) = (id(w.get("/api/v1/auth/me", &sup).await), id(w.get("/api/v1/auth/me", &op).await));
    let s = w.db.store.company(alpha);
    s.set_sip_account(sup_id, "sup-phone", "0123").await.unwrap();
    s.set_sip_account(op_id, "op-phone", "0123").await.unwrap();
    // Only the operator is ready: a call for the complaints queue waits,
    // is not offered to the operator, and is told where it waits.
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "ready"}))).await;
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(w.state.center.acd.arrive(complaint(alpha, 51, tx)).await);
    assert_eq!(story.recv().await, Some(AcdReport::Queued { queue: "complaints".into(), overflowed: false }));
    let stats = w.get("/api/v1/queues/stats", &sup).await.body;
    assert_eq!(
        stats.as_array().unwrap().iter().map(|q| q["queue"].as_str().unwrap()).collect::<Vec<_>>(),
        ["operators", "complaints", "operators:chat", "operators:email"],
        "the operators' calls, the named queues, then the operators' chats and e-mails"
    );
    assert_eq!((stats[0]["waiting"].as_u64(), stats[1]["waiting"].as_u64()), (Some(0), Some(1)), "{stats}");
    assert_eq!(stats[1]["agents"].as_array().unwrap().len(), 0, "the supervisor is not yet known to the ACD");
    // Deleting a queue callers wait in is refused.
    let r = w.call(Method::DELETE, "/api/v1/queues/complaints", Some(&sup), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // The supervisor gets ready: the waiting complaint rings them.
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&sup), Some(json!({"state": "ready"}))).await;
    assert_eq!(rx.recv().await, Some(Control::Ring { staff: sup_id.0, user: "sup-phone".into() }));
    let (contact, agent) = (TaskId(51), AgentId(u64::try_from(sup_id.0).unwrap()));
    w.state.center.acd.contact(Event::Accept { contact, agent }).await;
    let stats = w.get("/api/v1/queues/stats", &sup).await.body;
    let sup_row = stats[1]["agents"].as_array().unwrap().iter().find(|a| a["username"] == "sup").cloned().unwrap();
    assert_eq!((sup_row["state"].as_str(), sup_row["talking"].as_i64()), (Some("on_contact"), Some(51)), "{stats}");
    assert_eq!(stats[1]["answered_today"], 1);
    w.state.center.acd.contact(Event::End { contact }).await;

    // Nobody of the complaints queue ready: after its 10 s the caller
    // overflows into the operators' queue and the operator's phone rings.
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&sup), Some(json!({"state": "not_ready"}))).await;
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "not_ready"}))).await;
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(w.state.center.acd.arrive(complaint(alpha, 52, tx)).await);
    assert_eq!(story.recv().await, Some(AcdReport::Queued { queue: "complaints".into(), overflowed: false }));
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "ready"}))).await;
    let moved = tokio::time::timeout(std::time::Duration::from_secs(20), story.recv()).await.unwrap();
    assert_eq!(moved, Some(AcdReport::Queued { queue: "operators".into(), overflowed: true }));
    assert_eq!(rx.recv().await, Some(Control::Ring { staff: op_id.0, user: "op-phone".into() }));
    let stats = w.get("/api/v1/queues/stats", &sup).await.body;
    assert_eq!(stats[1]["overflowed_today"], 1, "{stats}");
    w.state.center.acd.contact(Event::Abandon { contact: TaskId(52) }).await;

    // A queue in use by the menu or as another's overflow is kept; once
    // neither, it is deleted, and calls for it go to the operators.
    let r = w.call(Method::DELETE, "/api/v1/queues/complaints", Some(&sup), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("voice menu"), "{}", r.body);
    w.call(Method::DELETE, "/api/v1/ivr", Some(&admin), None).await;
    let r = w
        .call(
            Method::PUT,
            "/api/v1/queues/settings",
            Some(&sup),
            Some(json!({"max_wait_seconds": 60, "overflow": {"queue": "complaints"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = w.call(Method::DELETE, "/api/v1/queues/complaints", Some(&sup), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("operators overflows into complaints"));
    w.call(Method::PUT, "/api/v1/queues/settings", Some(&sup), Some(json!({}))).await;
    assert_eq!(
        w.call(Method::DELETE, "/api/v1/queues/operators", Some(&sup), None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        w.call(Method::DELETE, "/api/v1/queues/complaints", Some(&sup), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.call(Method::DELETE, "/api/v1/queues/complaints", Some(&sup), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(w.get("/api/v1/queues", &sup).await.body.as_object().unwrap().len(), 1);
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(w.state.center.acd.arrive(complaint(alpha, 53, tx)).await);
    assert_eq!(story.recv().await, Some(AcdReport::Queued { queue: "operators".into(), overflowed: false }));
    assert_eq!(rx.recv().await, Some(Control::Ring { staff: op_id.0, user: "op-phone".into() }));
    let audit = w.get("/api/v1/audit?limit=50", &admin).await.body.to_string();
    assert!(audit.contains("complaints"), "{audit}");
    w.state.center.acd.contact(Event::Abandon { contact: TaskId(53) }).await;

    // The operator gets another phone while ready: the next call rings it.
    let body = json!({"username": "op-desk2", "password": "password12"});
    let r = w.call(Method::PUT, &format!("/api/v1/staff/{}/sip", op_id.0), Some(&admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(
        w.state
            .center
            .acd
            .arrive(centrala_center::acd::Arriving::new(alpha, centrala_domain::InteractionId(54), "+38761000054", tx))
            .await
    );
    assert_eq!(rx.recv().await, Some(Control::Ring { staff: op_id.0, user: "op-desk2".into() }));
    w.state.center.acd.contact(Event::Abandon { contact: TaskId(54) }).await;

    // The operator becomes finance: at once they no longer take the
    // operator queue's calls; made an operator again, they do.
    let available = |stats: &Value| stats[0]["agents_available"].as_u64();
    assert_eq!(available(&w.get("/api/v1/queues/stats", &sup).await.body), Some(1));
    let edit = |role: &str, active: bool| json!({"username": "op", "full_name": "op", "role": role, "active": active});
    let path = format!("/api/v1/staff/{}", op_id.0);
    let r = w.call(Method::PUT, &path, Some(&admin), Some(edit("finance", true))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(available(&w.get("/api/v1/queues/stats", &sup).await.body), Some(0));
    w.call(Method::PUT, &path, Some(&admin), Some(edit("operator", true))).await;
    assert_eq!(available(&w.get("/api/v1/queues/stats", &sup).await.body), Some(1));
    // Deactivated: logged out of the ACD too, not only of their sessions.
    w.call(Method::PUT, &path, Some(&admin), Some(edit("operator", false))).await;
    let stats = w.get("/api/v1/queues/stats", &sup).await.body;
    assert_eq!(available(&stats), Some(0), "{stats}");
    let row = stats[0]["agents"].as_array().unwrap().iter().find(|a| a["username"] == "op").cloned().unwrap();
    assert_eq!(row["state"], "offline", "{stats}");
}

#[tokio::test]
async fn callbacks_promised_before_a_restart_are_made_after_it() {
    use centrala_store::interactions::{Direction, Disposition};
    // Before the start: a caller was promised a callback, another was
    // called back already.
    let db = TestDb::sqlite().await;
    let op_id = staff(&db.store, "alpha", "op", Role::Operator, "password1").await;
    staff(&db.store, "alpha", "sup", Role::Supervisor, "password1").await;
    let alpha = db.store.company_by_code("alpha").await.unwrap().unwrap().id;
    let s = db.store.company(alpha);
    let promised = s.start_interaction(Direction::Inbound, "+38761000061", "+38733555000", None).await.unwrap();
    s.end_interaction(promised, Disposition::Callback).await.unwrap();
    // Another waited in a named queue that is gone: the operators take it.
    let lost = s.start_interaction(Direction::Inbound, "+38761000063", "+38733555000", None).await.unwrap();
    s.add_interaction_event(lost, centrala_store::interactions::StoryKind::Queued, None, "complaints").await.unwrap();
    s.end_interaction(lost, Disposition::Callback).await.unwrap();
    let done = s.start_interaction(Direction::Inbound, "+38761000062", "+38733555000", None).await.unwrap();
    s.end_interaction(done, Disposition::Answered).await.unwrap();
    s.set_sip_account(centrala_domain::StaffId(op_id), "op-phone", "0123").await.unwrap();
    let w = World::new(db, ApiConfig::default(), Clock::System);
    let (op, sup) = (w.login("alpha", "op").await, w.login("alpha", "sup").await);

    // After the start the promise waits in the operators' queue again.
    let mut waiting = Value::Null;
    for _ in 0..100 {
        waiting = w.get("/api/v1/queues/stats", &sup).await.body[0]["waiting"].clone();
        if waiting == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(waiting, 2, "only the promised ones");
    let story = w.get(&format!("/api/v1/interactions/{promised}"), &sup).await.body;
    assert_eq!(story["events"][0]["kind"], "callback_restored", "{story}");
    assert_eq!(story["events"][0]["detail"], "after a restart, into operators", "{story}");
    let story = w.get(&format!("/api/v1/interactions/{lost}"), &sup).await.body;
    assert_eq!(story["events"][1]["detail"], "after a restart, into complaints", "{story}");
    // Its turn comes when the operator is ready: their phone is to ring
    // first (this world has no telephony, so the try is a miss, and said).
    w.call(Method::PUT, "/api/v1/agents/me/state", Some(&op), Some(json!({"state": "ready"}))).await;
    let mut kinds = Vec::new();
    for _ in 0..100 {
        let i = w.get(&format!("/api/v1/interactions/{promised}"), &sup).await.body;
        kinds = i["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
        if kinds.len() >= 3 {
            assert_eq!(i["events"][2]["detail"], "no telephony", "{i}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(kinds, ["callback_restored", "offered", "missed"]);
    let done = w.get(&format!("/api/v1/interactions/{done}"), &sup).await.body;
    assert!(done["events"].as_array().unwrap().is_empty(), "an answered call is left alone: {done}");
}

/// A stored setting that no longer reads is reported loudly — `/healthz`
/// names the company and the setting, the metric counts it — while calls
/// get the default menu; setting it again clears the problem. Stored
/// values carry a version; text from before the version still reads.
#[tokio::test]
async fn a_stored_setting_that_does_not_read_is_reported_not_replaced_in_silence() {
    let db = TestDb::sqlite().await;
    staff(&db.store, "alpha", "admin", Role::Admin, "password1").await;
    let w = World::new(db, ApiConfig::default(), Clock::System);
    let admin = w.login("alpha", "admin").await;
    let alpha = w.company_id("alpha").await;
    let s = w.db.store.company(alpha);
    let health = || async {
        let h = w.raw(Request::get("/healthz").body(Body::empty()).unwrap()).await;
        (h.status, h.body.as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(health().await, (StatusCode::OK, "ok".to_owned()));

    // A menu written before the envelope (bare version 1) still reads.
    let old = json!({"start": "main", "language": "en",
        "menus": [{"id": "main", "prompt": "main-menu", "options": {"1": {"intent": "order"}}}]});
    s.set_ivr(Some(&old.to_string())).await.unwrap();
    let r = w.get("/api/v1/ivr", &admin).await;
    assert_eq!((r.body["default"].as_bool(), r.body["language"].as_str()), (Some(false), Some("en")), "{}", r.body);

    // Broken stored values: a menu from an unknown future version, queue
    // settings that are not JSON.
    s.set_ivr(Some(r#"{"v": 7, "data": {}}"#)).await.unwrap();
    s.set_queue_settings(Some("{ring_timeout_seconds: 5")).await.unwrap();
    let r = w.get("/api/v1/ivr", &admin).await;
    assert_eq!(r.body["default"], true, "the default applies: {}", r.body);
    let menu = centrala_center::settings::company_ivr(&s, &w.state.center.problems).await.unwrap();
    assert!(menu.default, "a call walks the default menu");
    assert_eq!(w.get("/api/v1/queues/settings", &admin).await.body["ring_timeout_seconds"], 15);
    let (status, body) = health().await;
    assert_eq!(status, StatusCode::OK, "calls still work: {body}");
    assert!(body.starts_with("degraded"), "{body}");
    assert!(body.contains(&format!("company {}, ivr: version Some(7)", alpha.0)), "{body}");
    assert!(body.contains(&format!("company {}, queue_settings: not JSON", alpha.0)), "{body}");
    let m = w.raw(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert!(m.body.as_str().unwrap().contains("centrala_settings_unreadable 2"), "{}", m.body);

    // Set again through the API: stored in the versioned envelope, read
    // back, and the problems are gone.
    let r = w.call(Method::PUT, "/api/v1/ivr", Some(&admin), Some(old.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = w.call(Method::PUT, "/api/v1/queues/settings", Some(&admin), Some(json!({"wrap_up_seconds": 10}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored: Value = serde_json::from_str(&s.ivr().await.unwrap().unwrap()).unwrap();
    assert_eq!((stored["v"].as_u64(), stored["data"]["language"].as_str()), (Some(1), Some("en")));
    assert_eq!(w.get("/api/v1/queues/settings", &admin).await.body["wrap_up_seconds"], 10);
    assert_eq!(health().await, (StatusCode::OK, "ok".to_owned()));
    let m = w.raw(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert!(m.body.as_str().unwrap().contains("centrala_settings_unreadable 0"), "{}", m.body);
}

/// Each company's "today" on the wallboard starts again at its own local
/// midnight (the ACD's NewDay, which nothing sent before), in virtual time:
/// a company in Tokyo at 15:00 UTC, one in Sarajevo (the default) at 23:00.
#[tokio::test]
async fn todays_figures_start_again_at_each_companys_local_midnight() {
    use centrala_acd::{AgentId, Event, TaskId};
    use centrala_sip::Control;
    let db = TestDb::sqlite().await;
    for c in ["alpha", "beta"] {
        staff(&db.store, c, "admin", Role::Admin, "password1").await;
        staff(&db.store, c, "op", Role::Operator, "password1").await;
    }
    // The clock stands at noon UTC of 27 November 2026.
    let w = World::new(db, ApiConfig::default(), Clock::Fixed(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()));
    let beta_admin = w.login("beta", "admin").await;
    let r = w.call(Method::PUT, "/api/v1/company", Some(&beta_admin), Some(json!({"time_zone": "Asia/Tokyo"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["time_zone"].as_str(), r.body["time_zone_default"].as_bool()),
        (Some("Asia/Tokyo"), Some(false))
    );
    assert_eq!(r.body["local_now"], "2026-11-27T21:00:00+09:00");
    let r = w.call(Method::PUT, "/api/v1/company", Some(&beta_admin), Some(json!({"time_zone": "Mars/Olympus"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let alpha_admin = w.login("alpha", "admin").await;
    let r = w.get("/api/v1/company", &alpha_admin).await;
    assert_eq!(
        (r.body["time_zone"].as_str(), r.body["time_zone_default"].as_bool()),
        (Some("Europe/Sarajevo"), Some(true))
    );
    let op = w.login("alpha", "op").await;
    assert_eq!(
        w.call(Method::PUT, "/api/v1/company", Some(&op), Some(json!({"time_zone": null}))).await.status,
        StatusCode::FORBIDDEN
    );

    // One answered call in each company.
    let mut talked = Vec::new();
    for (n, code) in [(61u64, "alpha"), (62, "beta")] {
        let company = w.company_id(code).await;
        let token = w.login(code, "op").await;
        let me = w.get("/api/v1/auth/me", &token).await.body;
        let staff = centrala_domain::StaffId(me["id"].as_i64().unwrap());
        w.db.store.company(company).set_sip_account(staff, &format!("{code}-phone"), "0123").await.unwrap();
        w.call(Method::PUT, "/api/v1/agents/me/state", Some(&token), Some(json!({"state": "ready"}))).await;
        let (tx, mut rx) = centrala_sip::chan::unbounded();
        assert!(
            w.state
                .center
                .acd
                .arrive(centrala_center::acd::Arriving::new(
                    company,
                    centrala_domain::InteractionId(i64::try_from(n).unwrap()),
                    "+38761000061",
                    tx
                ))
                .await
        );
        assert!(matches!(rx.recv().await, Some(Control::Ring { .. })));
        let (contact, agent) = (TaskId(n), AgentId(u64::try_from(staff.0).unwrap()));
        w.state.center.acd.contact(Event::Accept { contact, agent }).await;
        w.state.center.acd.contact(Event::End { contact }).await;
        talked.push(company);
    }
    let today = |company| {
        let acd = w.state.center.acd.clone();
        async move {
            let (queues, agents) = acd.stats(company).await.unwrap();
            (queues[0].stats.answered_today, agents.iter().map(|a| a.handled_today).sum::<u32>())
        }
    };
    let (alpha, beta) = (talked[0], talked[1]);
    assert_eq!((today(alpha).await, today(beta).await), ((1, 1), (1, 1)));

    tokio::time::pause();
    // 14:59 UTC: nothing yet. 15:01: Tokyo's midnight has passed.
    tokio::time::advance(std::time::Duration::from_secs(3 * 3600 - 60)).await;
    assert_eq!((today(alpha).await, today(beta).await), ((1, 1), (1, 1)));
    tokio::time::advance(std::time::Duration::from_secs(120)).await;
    assert_eq!((today(alpha).await, today(beta).await), ((1, 1), (0, 0)), "Tokyo's day starts again");
    // 22:59 UTC, then 23:01: Sarajevo's midnight.
    tokio::time::advance(std::time::Duration::from_secs(8 * 3600 - 120)).await;
    assert_eq!(today(alpha).await, (1, 1));
    tokio::time::advance(std::time::Duration::from_secs(120)).await;
    assert_eq!(today(alpha).await, (0, 0), "Sarajevo's day starts again");
}

/// The last active admin can neither demote nor deactivate themself, nor
/// be demoted by anyone (409 `last_admin`, nothing written); with a second
/// admin, both are allowed. (Before: 200, and the company had no admin.)
#[tokio::test]
async fn the_last_admin_cannot_leave_the_company_without_one() {
    let w = world().await;
    let admin = w.login("alpha", "admin").await;
    let me = w.get("/api/v1/auth/me", &admin).await.body;
    let id = me["id"].as_i64().unwrap();
    let uri = format!("/api/v1/staff/{id}");
    let as_role = |role: &str, active: bool| json!({"username": "admin", "full_name": "admin", "role": role, "active": active, "email": "boss@example.com"});
    for body in [as_role("operator", true), as_role("supervisor", true), as_role("admin", false)] {
        let r = w.call(Method::PUT, &uri, Some(&admin), Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "last_admin"), "{body}: {}", r.body);
    }
    let still = w.get(&uri, &admin).await.body;
    assert_eq!(
        (still["role"].as_str(), still["active"].as_bool(), still["email"].as_str()),
        (Some("admin"), Some(true), Some("")),
        "nothing written, the address neither"
    );
    // Unchanged as admin: fine, with the address.
    let r = w.call(Method::PUT, &uri, Some(&admin), Some(as_role("admin", true))).await;
    assert_eq!((r.status, r.body["email"].as_str()), (StatusCode::OK, Some("boss@example.com")));
    // Another company's admin does not count.
    let beta = w.login("beta", "admin").await;
    assert_eq!(w.get("/api/v1/auth/me", &beta).await.status, StatusCode::OK);
    // With a second admin, the first may step down.
    let sup = w.get("/api/v1/staff", &admin).await.body;
    let sup = sup.as_array().unwrap().iter().find(|m| m["username"] == "sup").unwrap().clone();
    let sup_uri = format!("/api/v1/staff/{}", sup["id"]);
    let promote = json!({"username": "sup", "full_name": "sup", "role": "admin", "active": true});
    assert_eq!(w.call(Method::PUT, &sup_uri, Some(&admin), Some(promote)).await.status, StatusCode::OK);
    let r = w.call(Method::PUT, &uri, Some(&admin), Some(as_role("operator", true))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "operator");
}

/// Every response carries the security headers (before: none); a change
/// made with the session cookie from another site's page is refused (before:
/// accepted), while the same change from our own page, or with a bearer
/// token, goes through; during a database outage API routes answer 503
/// with Retry-After (before: 500).
#[tokio::test]
async fn security_headers_same_origin_changes_and_503_when_the_store_is_down() {
    let w = world().await;
    for uri in ["/healthz", "/login", "/api/v1/openapi.json", "/api/v1/nothing"] {
        let r = w.raw(Request::get(uri).body(Body::empty()).unwrap()).await;
        let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(h("content-security-policy").contains("script-src 'self'"), "{uri}");
        assert!(h("content-security-policy").contains("frame-ancestors 'none'"), "{uri}");
        assert_eq!(
            (h("x-frame-options"), h("x-content-type-options"), h("referrer-policy")),
            ("DENY".into(), "nosniff".into(), "no-referrer".into()),
            "{uri}"
        );
    }
    let login = w.try_login("alpha", "admin", "password1").await;
    let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let token = login.body["token"].as_str().unwrap().to_owned();
    let change = |origin: Option<&str>, by_cookie: bool| {
        let mut b = Request::builder()
            .method(Method::PUT)
            .uri("/api/v1/recordings/retention")
            .header("host", "centrala.example:8080")
            .header("content-type", "application/json");
        b = if by_cookie {
            b.header("cookie", cookie.as_str())
        } else {
            b.header("authorization", format!("Bearer {token}"))
        };
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(Body::from(json!({"days": 30}).to_string())).unwrap()
    };
    let r = w.raw(change(Some("https://evil.example"), true)).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "cross_origin"), "{}", r.body);
    let r = w.raw(change(Some("http://centrala.example:8080.evil.example"), true)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a look-alike host is another site");
    assert_eq!(w.get("/api/v1/recordings/retention", &token).await.body["days"], 0, "nothing changed");
    assert_eq!(w.raw(change(Some("http://centrala.example:8080"), true)).await.status, StatusCode::OK);
    assert_eq!(w.raw(change(Some("https://evil.example"), false)).await.status, StatusCode::OK, "bearer: not a form");
    assert_eq!(w.raw(change(None, true)).await.status, StatusCode::OK);

    // The database goes away: 503 and Retry-After, as /healthz says.
    w.db.store.close().await;
    let r = w.get("/api/v1/auth/me", &token).await;
    assert_eq!((r.status, r.code()), (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"), "{}", r.body);
    assert_eq!(r.headers.get("retry-after").unwrap(), "5");
}

/// An event stream ends with its session: on logout, on deactivation, on a
/// role change (before: it kept streaming the company's events). Another
/// member's stream goes on.
#[tokio::test]
async fn event_streams_end_with_their_session() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let w = world().await;
    let admin = w.login("alpha", "admin").await;
    let open = |token: String| {
        let app = w.app.clone();
        async move {
            let req = Request::get("/api/v1/events")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let res = app.oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res
        }
    };
    // Resolves when the stream ends.
    let follow =
        |res: axum::response::Response| tokio::spawn(async move { res.into_body().collect().await.map(|_| ()) });
    let ended = |h: &tokio::task::JoinHandle<_>| h.is_finished();
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(200));

    // Logout ends that session's stream, not the other session's.
    let (op1, op2, sup) = (w.login("alpha", "op").await, w.login("alpha", "op").await, w.login("alpha", "sup").await);
    let (s1, s2, s_sup) =
        (follow(open(op1.clone()).await), follow(open(op2.clone()).await), follow(open(sup.clone()).await));
    settle().await;
    assert!(!ended(&s1) && !ended(&s2) && !ended(&s_sup));
    assert_eq!(w.post("/api/v1/auth/logout", &op1, json!({})).await.status, StatusCode::NO_CONTENT);
    tokio::time::timeout(std::time::Duration::from_secs(5), s1)
        .await
        .expect("the logged-out stream ends")
        .unwrap()
        .unwrap();
    settle().await;
    assert!(!ended(&s2) && !ended(&s_sup), "other sessions stream on");

    // A role change ends every stream of the member.
    let staff = w.get("/api/v1/staff", &admin).await.body;
    let row = |name: &str| staff.as_array().unwrap().iter().find(|m| m["username"] == name).unwrap().clone();
    let op_uri = format!("/api/v1/staff/{}", row("op")["id"]);
    let body = json!({"username": "op", "full_name": "op", "role": "supervisor", "active": true});
    assert_eq!(w.call(Method::PUT, &op_uri, Some(&admin), Some(body)).await.status, StatusCode::OK);
    tokio::time::timeout(std::time::Duration::from_secs(5), s2)
        .await
        .expect("the re-roled member's stream ends")
        .unwrap()
        .unwrap();
    settle().await;
    assert!(!ended(&s_sup), "the supervisor's stream goes on");

    // Deactivation ends theirs.
    let sup_uri = format!("/api/v1/staff/{}", row("sup")["id"]);
    let body = json!({"username": "sup", "full_name": "sup", "role": "supervisor", "active": false});
    assert_eq!(w.call(Method::PUT, &sup_uri, Some(&admin), Some(body)).await.status, StatusCode::OK);
    tokio::time::timeout(std::time::Duration::from_secs(5), s_sup)
        .await
        .expect("the deactivated member's stream ends")
        .unwrap()
        .unwrap();
}

/// Click-to-call takes only plain SIP addresses: one carrying a CRLF and a
/// header, parameters or another scheme is refused with 422 before any
/// dialling (before: passed to the dialler as it was).
#[tokio::test]
async fn click_to_call_refuses_sip_addresses_that_are_not_plain() {
    let w = world().await;
    let op = w.login("alpha", "op").await;
    for bad in ["sip:1@127.0.0.1\r\nX-Evil: 1", "sip:1@10.0.0.1;maddr=evil", "sip:1@host?Route=x"] {
        let r = w.post("/api/v1/calls", &op, json!({"number": bad})).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_uri"), "{bad:?}: {}", r.body);
    }
    // A plain one to a host the company has not allowed is refused too:
    // none is allowed until an admin names them (before: any host, the
    // machine's own services among them).
    let r = w.post("/api/v1/calls", &op, json!({"number": "sip:1@127.0.0.1:9"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "host_not_allowed"), "{}", r.body);
    let admin = w.login("alpha", "admin").await;
    let w = &w;
    let put = |token: &str, hosts: Value| {
        let token = token.to_owned();
        async move { w.call(Method::PUT, "/api/v1/company/sip-hosts", Some(&token), Some(json!({"hosts": hosts}))).await }
    };
    assert_eq!(put(&op, json!(["127.0.0.1"])).await.status, StatusCode::FORBIDDEN);
    let r = put(&admin, json!(["pbx.example.ba", "bad host"])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = put(&admin, json!(["PBX.example.ba", "127.0.0.1", "127.0.0.1"])).await;
    assert_eq!(r.body["hosts"], json!(["127.0.0.1", "pbx.example.ba"]));
    assert_eq!(w.get("/api/v1/company/sip-hosts", &admin).await.body["hosts"], json!(["127.0.0.1", "pbx.example.ba"]));
    // Now it goes on to the dialler (here: no telephony running) …
    let r = w.post("/api/v1/calls", &op, json!({"number": "sip:1@127.0.0.1:9"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::SERVICE_UNAVAILABLE, "telephony_off"), "{}", r.body);
    // … and another company's list is its own.
    let beta_op = w.login("beta", "op").await;
    let r = w.post("/api/v1/calls", &beta_op, json!({"number": "sip:1@127.0.0.1:9"})).await;
    assert_eq!(r.code(), "host_not_allowed");
}

/// What calls were about (CC-8): the company's own wrap-up codes and
/// request categories, refused when a person would read a raw code,
/// offered to operators, naming old calls after a code is retired, and
/// counted in the requests report per category and queue.
#[tokio::test]
async fn wrap_up_codes_are_the_companys_own_and_the_requests_report_counts_them() {
    use centrala_store::interactions::{Direction, Disposition, StoryKind};
    let w = world().await;
    let a = w.db.store.company(w.company_id("alpha").await);
    let op = a.staff_by_username("op").await.unwrap().unwrap();
    let (op_token, sup) = (w.login("alpha", "op").await, w.login("alpha", "sup").await);
    let codes = |body: &serde_json::Value| -> Vec<(String, bool)> {
        body["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["code"].as_str().unwrap().to_owned(), c["active"].as_bool().unwrap()))
            .collect()
    };
    // Until the company configures its own: the built-in five, named.
    let r = w.get("/api/v1/wrap-up-codes", &op_token).await;
    assert_eq!(codes(&r.body).len(), 5, "{}", r.body);
    assert_eq!(r.body["codes"][0]["name"], "order taken");

    let names = |bs: &str, en: &str, ru: &str| json!({"bs": bs, "en": en, "ru": ru});
    let list = json!({
        "categories": [{"code": "sales", "names": names("Prodaja", "Sales", "Продажи")}],
        "codes": [
            {"code": "order_taken", "category": "sales"},
            {"code": "price_question", "category": "sales", "names": names("Upit o cijeni", "Price question", "Вопрос о цене")},
            {"code": "other"}
        ]
    });
    let r = w.call(Method::PUT, "/api/v1/wrap-up-codes", Some(&op_token), Some(list.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "operators only use the list");
    // A new code without its Russian name, a category not in the list:
    // refused, naming the code; nothing changes.
    let mut unnamed = list.clone();
    unnamed["codes"][1]["names"]["ru"] = json!(" ");
    let r = w.call(Method::PUT, "/api/v1/wrap-up-codes", Some(&sup), Some(unnamed)).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str(), r.body["error"]["params"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("names"), Some("price_question"))
    );
    let mut stray = list.clone();
    stray["codes"][2]["category"] = json!("service");
    let r = w.call(Method::PUT, "/api/v1/wrap-up-codes", Some(&sup), Some(stray)).await;
    assert_eq!(
        (r.body["error"]["field"].as_str(), r.body["error"]["params"]["category"].as_str()),
        (Some("category"), Some("service"))
    );
    assert_eq!(codes(&w.get("/api/v1/wrap-up-codes", &op_token).await.body).len(), 5);
    let r = w.call(Method::PUT, "/api/v1/wrap-up-codes", Some(&sup), Some(list)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let strs = |v: &[(&str, bool)]| v.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect::<Vec<_>>();
    assert_eq!(
        codes(&r.body),
        strs(&[
            ("order_taken", true),
            ("price_question", true),
            ("other", true),
            ("information", false),
            ("complaint", false),
            ("callback", false)
        ])
    );
    assert_eq!(
        (r.body["codes"][1]["name"].as_str(), r.body["categories"][0]["name"].as_str()),
        (Some("Price question"), Some("Sales"))
    );

    // Three calls: one waited in "sales", one in the operators' queue, one
    // left in the menu.
    let mut ids = Vec::new();
    for n in ["+38761000001", "+38761000002", "+38761000003"] {
        ids.push(a.start_interaction(Direction::Inbound, n, "+38733555000", None).await.unwrap());
    }
    let (sales, ops, menu) = (ids[0], ids[1], ids[2]);
    for (id, queue) in [(sales, "sales"), (ops, "")] {
        let rule = centrala_desk::routing::Rule::Operators.into();
        a.route_interaction(id, "main", "1", centrala_domain::Intent::Order, rule, &[]).await.unwrap();
        if !queue.is_empty() {
            a.add_interaction_event(id, StoryKind::Queued, None, queue).await.unwrap();
        }
        a.answer_interaction(id, op.id, None).await.unwrap();
        a.end_interaction(id, Disposition::Answered).await.unwrap();
    }
    a.end_interaction(menu, Disposition::Abandoned).await.unwrap();
    let notes = |id: centrala_domain::InteractionId, code: &str| {
        let (path, body) = (format!("/api/v1/interactions/{id}/notes"), json!({"notes": "", "wrap_up": code}));
        let token = op_token.clone();
        let w = &w;
        async move { w.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    assert_eq!(notes(sales, "price_question").await.status, StatusCode::NO_CONTENT);
    let retired = notes(ops, "information").await;
    assert_eq!(
        (retired.status, retired.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("wrap_up"))
    );
    assert_eq!(notes(ops, "order_taken").await.status, StatusCode::NO_CONTENT);
    let r = w.get(&format!("/api/v1/interactions/{sales}"), &op_token).await;
    assert_eq!(
        (r.body["wrap_up"].as_str(), r.body["wrap_up_name"].as_str()),
        (Some("price_question"), Some("Price question"))
    );

    // The report: both wrap-ups in the category "sales", per queue; the
    // menu's caller in no queue; one queue only on asking.
    let today = chrono::Utc::now().date_naive();
    let period = format!("from={}&to={}&interval=month", today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let r = w.get(&format!("/api/v1/reports/requests?{period}"), &sup).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = r.body.as_array().unwrap().clone();
    let row = |kind: &str, code: &str| {
        rows.iter().find(|x| x["kind"] == kind && x["code"] == code).cloned().unwrap_or_default()
    };
    let sales_row = row("category", "sales");
    assert_eq!((sales_row["count"].as_u64(), sales_row["name"].as_str()), (Some(2), Some("Sales")), "{rows:?}");
    assert_eq!(
        (sales_row["by_queue"]["sales"].as_u64(), sales_row["by_queue"]["operators"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(row("wrap_up", "price_question")["name"], "Price question");
    let order = row("intent", "order");
    assert_eq!((order["count"].as_u64(), order["name"].as_str()), (Some(2), Some("an order")));
    assert_eq!(
        rows.iter().filter(|x| x["by_queue"]["menu"].as_u64().is_some()).count(),
        0,
        "the menu's caller chose nothing"
    );
    let admin = w.login("alpha", "admin").await;
    let q = w.call(Method::PUT, "/api/v1/queues/sales", Some(&admin), Some(json!({"members": ["op"]}))).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let only = w.get(&format!("/api/v1/reports/requests?{period}&queue=sales"), &sup).await;
    let only: Vec<(String, u64)> = only
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (format!("{}:{}", x["kind"].as_str().unwrap(), x["code"].as_str().unwrap()), x["count"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        only,
        [("category:sales".to_owned(), 1), ("intent:order".to_owned(), 1), ("wrap_up:price_question".to_owned(), 1)]
    );
    let unknown = w.get(&format!("/api/v1/reports/requests?{period}&queue=nowhere"), &sup).await;
    assert_eq!(unknown.body["error"]["field"], "queue");
}

/// After a restart the wallboard's "today" is the day's: what the queues
/// counted before the start (the stored calls) is added back to the ACD's
/// figures, and they match the day's report.
#[tokio::test]
async fn the_wallboards_today_survives_a_restart() {
    use centrala_desk::routing::Rule;
    use centrala_store::interactions::{Direction, Disposition, RoutingRule, StoryKind};
    use centrala_store::intervals::PastCall;
    use chrono::{Duration, Utc};
    let db = TestDb::sqlite().await;
    let op = centrala_domain::StaffId(staff(&db.store, "alpha", "op", Role::Operator, "password1").await);
    staff(&db.store, "alpha", "sup", Role::Supervisor, "password1").await;
    let alpha = db.store.company_by_code("alpha").await.unwrap().unwrap().id;
    let zone = chrono_tz::Europe::Sarajevo;
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let midnight =
        chrono::DateTime::parse_from_rfc3339(&centrala_center::clock::day_start(today, zone)).unwrap().to_utc();
    let t = (now - Duration::seconds(120)).max(midnight + Duration::seconds(1));
    // Three callers before the start: answered in 5 s, answered in 30 s
    // (after the 20 s threshold), one who hung up after 40 s.
    let call = |k: i64, answer_after: Option<i64>| PastCall {
        direction: Direction::Inbound,
        caller: format!("+3876100050{k}"),
        called: "+38733555000".into(),
        client: None,
        arrived: t,
        routed: Some(t + Duration::seconds(k)),
        answered: answer_after.map(|a| t + Duration::seconds(k + a)),
        ended: t + Duration::seconds(k + 50),
        intent: Some(centrala_domain::Intent::Order),
        rule: Some(RoutingRule::Desk(Rule::Operators)),
        disposition: if answer_after.is_some() { Disposition::Answered } else { Disposition::Abandoned },
        handler: answer_after.map(|_| op),
        wrap_up: String::new(),
        story: answer_after
            .map(|a| vec![(t + Duration::seconds(k + a), StoryKind::Answered, Some(op), String::new())])
            .unwrap_or_default(),
    };
    let s = db.store.company(alpha);
    s.record_past_calls(&[call(1, Some(5)), call(2, Some(30)), call(3, None)]).await.unwrap();

    let w = World::new(db, ApiConfig::default(), Clock::System);
    let sup = w.login("alpha", "sup").await;
    let mut q = Value::Null;
    for _ in 0..100 {
        q = w.get("/api/v1/queues/stats", &sup).await.body[0].clone();
        if q["arrived_today"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (q["arrived_today"].as_u64(), q["answered_today"].as_u64(), q["abandoned_today"].as_u64()),
        (Some(3), Some(2), Some(1)),
        "{q}"
    );
    // Within: one of two answered, and the caller who left after 40 s.
    assert_eq!((q["service_level"].as_f64(), q["asa_s"].as_u64()), (Some(1.0 / 3.0), Some(17)), "{q}");
    let report = w.get(&format!("/api/v1/reports/queues?from={today}&to={today}"), &sup).await.body;
    let all = report.as_array().unwrap().iter().find(|r| r["queue"].is_null()).cloned().unwrap();
    assert_eq!(
        (all["offered"].as_u64(), all["answered"].as_u64(), all["abandoned"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
}
