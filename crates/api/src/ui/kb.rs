//! The knowledge base's pages: the panel on the desk (search, suggestions
//! for the call, the article, feedback, "ask the editors") and `/kb`, where
//! everyone reads and editors write, attach files, see versions and answer
//! the questions.

use super::{field, layout, sees_admin, User};
use crate::ui::i18n::Tr;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

/// The article reader, shared by the desk and `/kb`.
fn reader(tr: Tr) -> Markup {
    html! {
        article #kb-article.kb-article hidden aria-labelledby="kb-a-title" {
            h3 #kb-a-title {}
            p #kb-a-meta.muted {}
            div #kb-a-body {}
            ul #kb-a-files {}
            div.row {
                span { (tr.t("kb-was-it-helpful")) }
                button #kb-helpful.secondary type="button" { (tr.t("kb-helpful")) }
                button #kb-not-helpful.secondary type="button" { (tr.t("kb-not-helpful")) }
                button #kb-close.secondary type="button" { (tr.t("kb-close")) }
                span #kb-feedback-msg role="status" {}
            }
        }
    }
}

pub(super) fn desk_panel(tr: Tr) -> Markup {
    html! {
        section #kb.card aria-labelledby="kb-title" {
            h2 #kb-title { (tr.t("kb-title")) }
            label for="kb-q" { (tr.t("kb-search")) }
            input #kb-q type="search" autocomplete="off" aria-keyshortcuts="Alt+Z";
            ul #kb-results.results {}
            div #kb-nothing hidden {
                p { (tr.t("kb-nothing")) }
                button #kb-ask.secondary type="button" { (tr.t("kb-ask")) }
            }
            p #kb-msg role="status" {}
            h3 { (tr.t("kb-suggested")) }
            ul #kb-suggest.results {}
            p #kb-suggest-none.muted { (tr.t("kb-suggest-none")) }
            (reader(tr))
        }
    }
}

pub(super) async fn page(user: User) -> Response {
    let tr = user.tr;
    let edits = sees_admin(user.auth.role);
    layout(
        tr,
        "kb",
        &tr.t("kb-title"),
        Some(&user),
        html! {
            h1 { (tr.t("kb-title")) }
            div.desk {
                section.card aria-labelledby="kb-list-title" {
                    h2 #kb-list-title { (tr.t("kb-articles")) }
                    label for="kb-filter" { (tr.t("kb-search")) }
                    input #kb-filter type="search" autocomplete="off";
                    ul #kb-list.results {}
                    @if edits { button #kb-new type="button" { (tr.t("kb-new")) } }
                    (reader(tr))
                }
                @if edits {
                    form #kb-form.card.grid hidden aria-labelledby="kb-form-title" {
                        h2 #kb-form-title { (tr.t("kb-edit")) }
                        (field(tr, "kb-f-title", "title", html! { input #kf-title required maxlength="200"; }))
                        (field(tr, "kb-f-category", "category", html! { input #kf-category; }))
                        (field(tr, "kb-f-tags", "tags", html! { input #kf-tags aria-describedby="kf-comma"; }))
                        (field(tr, "kb-f-skus", "product_skus", html! { input #kf-skus aria-describedby="kf-comma"; }))
                        (field(tr, "kb-f-client-types", "client_types", html! { input #kf-types aria-describedby="kf-comma"; }))
                        p #kf-comma.muted { (tr.t("kb-comma-hint")) }
                        fieldset data-field="request_categories" {
                            legend { (tr.t("kb-f-requests")) }
                            @for i in ["order", "reference", "complaint", "other"] {
                                label { input.kf-request type="checkbox" value=(i); " " (tr.t(&format!("intent-{i}"))) }
                            }
                            span.field-error #err-request_categories aria-live="polite" {}
                        }
                        (field(tr, "kb-f-status", "status", html! { select #kf-status {
                            option value="draft" { (tr.t("kb-status-draft")) }
                            option value="published" { (tr.t("kb-status-published")) }
                        } }))
                        (field(tr, "kb-f-review", "review_by", html! { input #kf-review type="date"; }))
                        (field(tr, "kb-f-body", "body", html! { textarea #kf-body rows="12" {} }))
                        div.row {
                            button type="submit" { (tr.t("kb-save")) }
                            button #kb-delete.danger type="button" hidden { (tr.t("kb-delete")) }
                        }
                        p #kb-form-msg role="status" {}
                        div #kf-more hidden {
                            h3 { (tr.t("kb-files")) }
                            ul #kf-files {}
                            div.row {
                                input #kf-file type="file" aria-label=(tr.t("kb-attach"));
                                button #kf-upload.secondary type="button" { (tr.t("kb-attach")) }
                            }
                            h3 { (tr.t("kb-versions")) }
                            ul #kf-versions {}
                        }
                    }
                    section.card aria-labelledby="kb-questions-title" {
                        h2 #kb-questions-title { (tr.t("kb-questions")) }
                        ul #kb-questions {}
                    }
                }
            }
        },
    )
    .into_response()
}
