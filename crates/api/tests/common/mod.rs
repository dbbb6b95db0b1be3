//! Shared helpers of the API tests: a router over a fresh database, calls
//! that check for 500s, logins.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::{
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use centrala_api::{app, state::Clock, ApiConfig, AppState};
use centrala_center::{Center, CenterConfig};
use centrala_store::testing::TestDb;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use tower::ServiceExt;

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub struct World {
    pub db: TestDb,
    pub state: AppState,
    pub app: Router,
}

impl World {
    pub fn new(db: TestDb, config: ApiConfig, clock: Clock) -> World {
        World::with_center(db, config, CenterConfig { clock, ..CenterConfig::default() })
    }

    /// A world whose contact center has these settings.
    pub fn with_center(db: TestDb, config: ApiConfig, center: CenterConfig) -> World {
        let state = AppState::new(Center::start(db.store.clone(), center), config);
        let app = app(state.clone()).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 9], 4000))));
        World { db, state, app }
    }

    /// The same database under a new contact center and router, as after
    /// a restart (sessions are stored, so tokens still work).
    pub fn restart(self, center: CenterConfig) -> World {
        let config = self.state.config.as_ref().clone();
        World::with_center(self.db, config, center)
    }

    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "a 500: {body}");
        Resp { status, headers, body }
    }

    pub async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Resp {
        self.call(Method::GET, uri, Some(token), None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, uri, Some(token), Some(body)).await
    }

    /// A login attempt, whatever its outcome.
    pub async fn try_login(&self, company: &str, user: &str, password: &str) -> Resp {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"company": company, "username": user, "password": password})),
        )
        .await
    }

    pub async fn login_pw(&self, company: &str, user: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"company": company, "username": user, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }
}
