//! What calls were about (CC-8): the company's wrap-up codes and the
//! request categories that group them. Everyone reads the list (the desk
//! offers it); planners replace it. Names come per language; a built-in
//! code may leave them to the translations.

use crate::auth::{Allowed, Auth, Planners};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::ui::i18n::Tr;
use crate::AppState;
use axum::{extract::State, Json};
use centrala_desk::requests::{check, merge, Category, Code, Names, Problem, BUILT_IN};
use centrala_store::Scoped;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the company's codes and categories are named, for one reader.
pub struct Naming {
    codes: Vec<Code>,
    categories: Vec<Category>,
}

impl Naming {
    pub async fn of(s: &Scoped<'_>) -> ApiResult<Naming> {
        Ok(Naming { codes: s.wrap_up_codes().await?, categories: s.request_categories().await? })
    }

    /// The codes offered to operators now, in their order.
    pub fn active(&self) -> impl Iterator<Item = &Code> {
        self.codes.iter().filter(|c| c.active)
    }

    /// The codes taken off the list.
    pub fn retired(&self) -> impl Iterator<Item = &Code> {
        self.codes.iter().filter(|c| !c.active)
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Whether operators may give a call this code now.
    pub fn offers(&self, code: &str) -> bool {
        self.active().any(|c| c.code == code)
    }

    /// A wrap-up code's name in the reader's language: the company's, or
    /// the translation of a built-in code.
    pub fn code(&self, code: &str, tr: Tr) -> String {
        self.codes.iter().find(|c| c.code == code).and_then(|c| tr.pick(&c.names)).unwrap_or_else(|| {
            if BUILT_IN.contains(&code) {
                tr.t(&format!("wrap-{code}"))
            } else {
                code.to_owned()
            }
        })
    }

    /// A request category's name in the reader's language.
    pub fn category(&self, code: &str, tr: Tr) -> String {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .and_then(|c| tr.pick(&c.names))
            .unwrap_or_else(|| code.to_owned())
    }
}

/// A wrap-up code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeDef {
    /// 1–40 of a–z, 0–9 and `_`.
    pub code: String,
    /// Its request category's code; empty or absent: none.
    #[serde(default)]
    pub category: String,
    /// Its name per language (`bs`, `en`, `ru`): all three for a code that
    /// is not built in (`order_taken`, `information`, `complaint`,
    /// `callback`, `other`), whose names otherwise are the translations.
    #[serde(default)]
    pub names: Names,
}

/// A request category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    pub code: String,
    /// Its name in `bs`, `en` and `ru`.
    pub names: Names,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpIn {
    /// The codes operators are offered, in this order (1–60).
    pub codes: Vec<CodeDef>,
    /// At most 20.
    #[serde(default)]
    pub categories: Vec<CategoryDef>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeOut {
    pub code: String,
    pub category: String,
    pub names: Names,
    /// The name in the reader's language.
    pub name: String,
    /// False: taken off the list; it only names calls that carry it.
    pub active: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryOut {
    pub code: String,
    pub names: Names,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct WrapUpOut {
    /// Offered ones in their order, then the retired.
    pub codes: Vec<CodeOut>,
    pub categories: Vec<CategoryOut>,
}

fn out(n: &Naming, tr: Tr) -> WrapUpOut {
    WrapUpOut {
        codes: n
            .codes
            .iter()
            .map(|c| CodeOut {
                code: c.code.clone(),
                category: c.category.clone(),
                names: c.names.clone(),
                name: n.code(&c.code, tr),
                active: c.active,
            })
            .collect(),
        categories: n
            .categories
            .iter()
            .map(|c| CategoryOut { code: c.code.clone(), names: c.names.clone(), name: n.category(&c.code, tr) })
            .collect(),
    }
}

/// The company's wrap-up codes and request categories, named in the
/// caller's language.
#[utoipa::path(get, path = "/api/v1/wrap-up-codes", tag = "interactions", responses((status = 200, body = WrapUpOut)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<WrapUpOut>> {
    let n = Naming::of(&state.store.company(auth.company)).await?;
    Ok(Json(out(&n, Tr::new(&auth.locale))))
}

/// Replaces the company's wrap-up codes and categories (planners). A code
/// left out is retired, not deleted: calls that carry it keep its name.
#[utoipa::path(put, path = "/api/v1/wrap-up-codes", tag = "interactions", request_body = WrapUpIn,
    responses((status = 200, body = WrapUpOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiJson(body): ApiJson<WrapUpIn>,
) -> ApiResult<Json<WrapUpOut>> {
    let trim = |n: Names| -> Names { n.into_iter().map(|(l, v)| (l, v.trim().to_owned())).collect() };
    let codes: Vec<Code> = body
        .codes
        .into_iter()
        .map(|c| Code { code: c.code, category: c.category, names: trim(c.names), active: true })
        .collect();
    let categories: Vec<Category> =
        body.categories.into_iter().map(|c| Category { code: c.code, names: trim(c.names) }).collect();
    check(&codes, &categories).map_err(refused)?;
    let s = state.store.company(auth.company);
    let kept = merge(&s.wrap_up_codes().await?, &codes);
    s.put_wrap_up_codes(&kept, &categories).await?;
    s.audit(&auth.username, "put", "wrap_up_codes", "", &format!("{} codes", codes.len())).await?;
    let n = Naming::of(&s).await?;
    Ok(Json(out(&n, Tr::new(&auth.locale))))
}

fn refused(p: Problem) -> ApiError {
    let err = ApiError::invalid(p.to_string());
    match &p {
        Problem::Empty | Problem::TooMany => err.field("codes"),
        Problem::BadCode(c) | Problem::Twice(c) | Problem::LongName(c) => err.field("codes").param("code", c.as_str()),
        Problem::Unnamed(c, lang) => err.field("names").param("code", c.as_str()).param("language", *lang),
        Problem::UnknownCategory(c, k) => err.field("category").param("code", c.as_str()).param("category", k.as_str()),
    }
}
