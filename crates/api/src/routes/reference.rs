//! Reference information from the desk (issue "Every channel in one
//! queue", item 5; OD-18): during a call, chat or e-mail the operator
//! sends the client, in one click, the price list in the client's own
//! price-list column (a spreadsheet, CSV), the delivery terms (and the
//! regional ones for a regional client) and the certificates of products
//! (files an admin uploads per product). It goes through the outbox; what
//! was sent, to whom and when is in the interaction's story. Fax is out of
//! scope.

use crate::auth::{roles, Admins, Allowed, Auth};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::ui::i18n::Tr;
use crate::AppState;
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::Response,
    Json,
};
use centrala_domain::{InteractionId, Money};
use centrala_store::interactions::StoryKind;
use centrala_store::reference::{Certificate, File};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest certificate kept: 10 MB.
const MAX_CERTIFICATE: usize = 10 * 1024 * 1024;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsIO {
    /// The company's delivery terms, as the client reads them.
    pub delivery_terms: String,
    /// Added for regional clients (client type `regional`): shipping,
    /// pickup at the central warehouse, payment.
    pub regional_terms: String,
}

/// The company's delivery terms (every member).
#[utoipa::path(get, path = "/api/v1/reference/terms", tag = "reference", responses((status = 200, body = TermsIO)))]
pub async fn terms(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<TermsIO>> {
    let (delivery_terms, regional_terms) = state.store.company(auth.company).reference_terms().await?;
    Ok(Json(TermsIO { delivery_terms, regional_terms }))
}

/// Replace them (admins; audited).
#[utoipa::path(put, path = "/api/v1/reference/terms", tag = "reference", request_body = TermsIO,
    responses((status = 200, body = TermsIO), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_terms(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(b): ApiJson<TermsIO>,
) -> ApiResult<Json<TermsIO>> {
    if b.delivery_terms.chars().count() > 20_000 || b.regional_terms.chars().count() > 20_000 {
        return Err(ApiError::invalid("terms are at most 20,000 characters").field("delivery_terms"));
    }
    let s = state.store.company(auth.company);
    s.set_reference_terms(b.delivery_terms.trim(), b.regional_terms.trim()).await?;
    s.audit(&auth.username, "update", "reference_terms", "", "").await?;
    let (delivery_terms, regional_terms) = s.reference_terms().await?;
    Ok(Json(TermsIO { delivery_terms, regional_terms }))
}

#[derive(Serialize, ToSchema)]
pub struct CertificateOut {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl From<Certificate> for CertificateOut {
    fn from(c: Certificate) -> Self {
        CertificateOut {
            id: c.id,
            sku: c.sku,
            name: c.name,
            content_type: c.content_type,
            size: c.size,
            uploaded_by: c.uploaded_by,
            uploaded_at: c.uploaded_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// The file's name, as the client will see it.
    pub name: String,
}

/// Upload a certificate of a product (editors: admins, supervisors,
/// heads): the request body is the file, its `Content-Type` kept.
#[utoipa::path(post, path = "/api/v1/products/{sku}/certificates", tag = "reference", params(("sku" = String, Path), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = CertificateOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(sku): ApiPath<String>,
    ApiQuery(q): ApiQuery<FileQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CertificateOut>)> {
    auth.require(roles::EDITORS)?;
    let s = state.store.company(auth.company);
    s.product_by_sku(&sku).await?.ok_or_else(|| ApiError::not_found("product"))?;
    let name: String =
        q.name.trim().chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(120).collect();
    if name.is_empty() {
        return Err(ApiError::invalid("the file needs a name").field("name"));
    }
    if body.is_empty() || body.len() > MAX_CERTIFICATE {
        return Err(ApiError::invalid("a certificate is 1 byte to 10 MB").field("file"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() < 100 && !v.contains(['\r', '\n']) && v.contains('/'))
        .unwrap_or("application/octet-stream")
        .to_owned();
    let c = s
        .add_certificate(&sku, &File { name: name.clone(), content_type, data: body.to_vec() }, &auth.username)
        .await?;
    s.audit(&auth.username, "attach", "product", &sku, &name).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// A product's certificates (every member).
#[utoipa::path(get, path = "/api/v1/products/{sku}/certificates", tag = "reference",
    responses((status = 200, body = [CertificateOut])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(sku): ApiPath<String>,
) -> ApiResult<Json<Vec<CertificateOut>>> {
    let s = state.store.company(auth.company);
    Ok(Json(s.certificates(Some(&sku)).await?.into_iter().map(Into::into).collect()))
}

/// A certificate's file, as a download.
#[utoipa::path(get, path = "/api/v1/product-certificates/{id}", tag = "reference",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn download(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let f = state
        .store
        .company(auth.company)
        .certificate_file(id)
        .await?
        .ok_or_else(|| ApiError::not_found("certificate"))?;
    Ok(super::email::download(&f.name, f.data))
}

/// Delete a certificate (editors; audited).
#[utoipa::path(delete, path = "/api/v1/product-certificates/{id}", tag = "reference",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    auth.require(roles::EDITORS)?;
    let s = state.store.company(auth.company);
    s.delete_certificate(id).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("certificate"),
        e => e.into(),
    })?;
    s.audit(&auth.username, "delete", "product_certificate", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendIn {
    /// The address; absent: the client's own.
    #[serde(default)]
    pub to: Option<String>,
    /// The price list in the client's price-list column (CSV).
    #[serde(default)]
    pub price_list: bool,
    /// The delivery terms (and the regional ones for a regional client).
    #[serde(default)]
    pub delivery_terms: bool,
    /// The products (SKUs) whose certificates go along.
    #[serde(default)]
    pub certificates: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SentOut {
    pub to: String,
    /// What went: `price_list`, `delivery_terms`, `certificate:<sku>`.
    pub items: Vec<String>,
    /// The price-list column the prices are from (1–5).
    pub price_column: Option<u8>,
    /// The files attached.
    pub files: Vec<String>,
}

/// Send reference information to the client of an interaction by e-mail
/// (its operator, or supervisors, heads and admins): 422 `no_email` when
/// there is no address to send to, `nothing_to_send`, `no_certificate`
/// for a product without one, `unknown_product`.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/send-reference", tag = "reference", request_body = SendIn,
    responses((status = 201, body = SentOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SendIn>,
) -> ApiResult<(StatusCode, Json<SentOut>)> {
    let s = state.store.company(auth.company);
    let id = InteractionId(id);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if i.handled_by != Some(auth.staff)
        && !roles::WATCHERS.contains(&auth.role)
        && auth.role != centrala_domain::Role::Admin
    {
        return Err(ApiError::not_found("interaction"));
    }
    let client = match i.client_id {
        Some(c) => s.client(c).await?,
        None => None,
    };
    if !b.price_list && !b.delivery_terms && b.certificates.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_send", "choose what to send"));
    }
    let to = match b.to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if centrala_desk::forms::is_email(t) || t.ends_with("@localhost") => t.to_owned(),
        Some(t) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_an_email",
                format!("{t:?} is not an e-mail address"),
            )
            .field("to")
            .param("field", "to"))
        }
        None => client.as_ref().map(|c| c.email.trim().to_owned()).filter(|e| !e.is_empty()).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_email", "the client has no e-mail address; give one")
                .field("to")
        })?,
    };
    if b.price_list && client.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_caller",
            "the price list is the client's: the interaction has no client",
        ));
    }
    let tr = Tr::new(&auth.locale);
    let company = state.store.company_by_id(auth.company).await?.map(|c| c.name).unwrap_or_default();
    let mut items = Vec::new();
    let mut files = Vec::new();
    let mut text = tr.t_with("ref-intro", &[("company", &company)]);
    text.push_str("\n\n");
    let mut column = None;
    if let (true, Some(c)) = (b.price_list, &client) {
        let today = state.center.today(auth.company).await;
        // The client's own column: the rules for its type, at no order volume.
        let (col, _) =
            centrala_desk::pricing::choose_column(&s.price_rules().await?, &c.client_type, Money::ZERO, today);
        column = Some(col);
        let currency = state.store.company_currency(auth.company).await?;
        let mut products = Vec::new();
        let mut offset = 0;
        loop {
            let page = s.products("", 1000, offset).await?;
            if page.is_empty() {
                break;
            }
            offset += i64::try_from(page.len()).unwrap_or(i64::MAX);
            products.extend(page);
        }
        let heading = tr.t_with(
            "ref-price-list-heading",
            &[("company", &company), ("client", &c.name), ("date", &today.format("%d.%m.%Y").to_string())],
        );
        let data = price_sheet(&tr, &heading, &currency, &products, col).map_err(|e| {
            tracing::error!(error = %e, "the price list's spreadsheet could not be written");
            ApiError::internal()
        })?;
        files.push(File {
            name: format!("{}-{today}.xlsx", tr.t("ref-price-list-file")),
            content_type: XLSX.into(),
            data,
        });
        text.push_str(&tr.t_with("ref-price-list", &[("column", &col.to_string())]));
        text.push_str("\n\n");
        items.push("price_list".to_owned());
    }
    if b.delivery_terms {
        let (delivery, regional) = s.reference_terms().await?;
        text.push_str(&tr.t("ref-delivery-terms"));
        text.push('\n');
        text.push_str(if delivery.is_empty() { "—" } else { &delivery });
        text.push_str("\n\n");
        if client.as_ref().is_some_and(|c| c.client_type == "regional") && !regional.is_empty() {
            text.push_str(&tr.t("ref-regional-terms"));
            text.push('\n');
            text.push_str(&regional);
            text.push_str("\n\n");
        }
        items.push("delivery_terms".to_owned());
    }
    for sku in &b.certificates {
        s.product_by_sku(sku).await?.ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_product", format!("no product {sku}"))
                .field("certificates")
                .param("sku", sku.as_str())
        })?;
        let certs = s.certificates(Some(sku)).await?;
        if certs.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_certificate",
                format!("product {sku} has no certificate"),
            )
            .field("certificates")
            .param("sku", sku.as_str()));
        }
        for c in certs {
            if let Some(f) = s.certificate_file(c.id).await? {
                files.push(f);
            }
        }
        items.push(format!("certificate:{sku}"));
    }
    let subject = tr.t_with("ref-subject", &[("company", &company)]);
    s.queue_mail_with_files(&to, &subject, &text, &format!("reference:{}", id.0), &files).await?;
    let detail = format!("{} → {to}", items.join(", "));
    s.add_interaction_event(id, StoryKind::ReferenceSent, Some(auth.staff), &detail).await?;
    s.audit(&auth.username, "send_reference", "interaction", &id.to_string(), &detail).await?;
    Ok((
        StatusCode::CREATED,
        Json(SentOut { to, items, price_column: column, files: files.into_iter().map(|f| f.name).collect() }),
    ))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The price list as a spreadsheet (Excel's xlsx, which every spreadsheet
/// program opens the same in any locale, unlike CSV): a heading, then one
/// row per product with its price in the client's column `col` as a number.
fn price_sheet(
    tr: &Tr,
    heading: &str,
    currency: &str,
    products: &[centrala_store::Product],
    col: u8,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = tr.t("ref-price-list-file").chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    let price = Format::new().set_num_format("#,##0.00");
    sheet.write_string_with_format(0, 0, heading, &bold)?;
    for (i, key) in ["col-sku", "col-product", "ref-unit", "ref-price", "ref-currency"].into_iter().enumerate() {
        sheet.write_string_with_format(2, u16::try_from(i).unwrap_or(0), tr.t(key), &bold)?;
    }
    for (row, p) in (3u32..).zip(products) {
        let value = p.prices[usize::from(col.clamp(1, 5)) - 1];
        sheet.write_string(row, 0, &p.sku)?;
        sheet.write_string(row, 1, &p.name)?;
        sheet.write_string(row, 2, &p.unit)?;
        // Cents to a number: exact for any price a list holds.
        sheet.write_number_with_format(row, 3, value.0 as f64 / 100.0, &price)?;
        sheet.write_string(row, 4, currency)?;
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 44)?;
    sheet.set_freeze_panes(3, 0)?;
    book.save_to_buffer()
}
