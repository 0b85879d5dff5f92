//! The send dialog: To, Subject and Message prefilled from the store's
//! templates, checked as the merchant types, with a preview of the email
//! exactly as the customer will receive it. It is a plain form: Send works
//! before hydration too.

use invoice::email::{suggest_address, EmailPurpose};
use invoice::store::parse_address_list;
use invoice::Language;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// How long after the last key the preview is recomposed.
const PREVIEW_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

use crate::api::{email_preview, PreviewedEmail, SendForm, SendInvoice};
use crate::components::{
    action_error, field_error, provide_plain_post_error, reload_at, route_id, ErrorAlert, Field,
    TextArea,
};
use crate::i18n::{provide_language, t, use_language, T};

#[component]
pub fn SendPage() -> impl IntoView {
    let id = route_id();
    let language = use_language().get_untracked();
    let query = use_query_map();
    let purpose = move || {
        query
            .read()
            .get("purpose")
            .and_then(|code| EmailPurpose::parse(&code))
            .unwrap_or_default()
    };
    let form = Resource::new(
        move || (id(), purpose()),
        |(id, purpose)| async move {
            match id {
                Some(id) => crate::api::send_dialog(id, purpose).await,
                None => Err(crate::api::AdminError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <SendScreen language form /> }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The send page: its title, and the dialog, or why there is none.
#[component]
fn SendScreen(language: Language, form: SendForm) -> impl IntoView {
    let language_signal = use_language();
    let invoice_id = form.invoice_id;
    let back = format!("/invoices/{invoice_id}");
    let number = form.document.number.clone();
    let title = match form.purpose {
        EmailPurpose::Invoice
            if form.document.kind() == invoice::document::DocumentKind::CreditNote =>
        {
            T::SendCreditNoteTitle
        }
        EmailPurpose::Invoice => T::SendInvoiceTitle,
        EmailPurpose::Reminder => T::SendReminderTitle,
    };
    let head = view! {
        <div class="page-head">
            <h1>{t(title)} " " {number}</h1>
            <a href=back.clone()>{t(T::CancelSend)}</a>
        </div>
    };
    if let Some(problem) = form.refusal.clone() {
        return view! {
            {head}
            <p class="alert" role="alert">{move || problem.message(language_signal.get())}</p>
        }
        .into_any();
    }
    if !form.sending_enabled {
        return view! {
            {head}
            <div class="alert warning" role="alert" data-testid="sending-disabled">
                <p>{t(T::SendingDisabled)}</p>
                <a href=format!("/stores/{}", form.store_id)>{t(T::OpenStoreSettings)}</a>
            </div>
        }
        .into_any();
    }
    let fields = SendFields {
        invoice_id,
        purpose: form.purpose,
        preview: form.preview(&form.subject, &form.message),
        to: form.to,
        subject: form.subject,
        message: form.message,
        copies_to: form.copies_to,
        reply_to: form.reply_to,
        idempotency_key: form.idempotency_key,
        sent_today: form.sent_today,
        daily_limit: form.daily_limit,
    };
    view! {
        {head}
        <SendDialog language fields />
    }
    .into_any()
}

/// What the dialog starts from: the send form without its document, whose
/// email the server composes for the preview.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SendFields {
    invoice_id: i64,
    purpose: EmailPurpose,
    to: String,
    subject: String,
    message: String,
    copies_to: Vec<String>,
    reply_to: Option<String>,
    idempotency_key: String,
    sent_today: i64,
    daily_limit: i64,
    preview: PreviewedEmail,
}

/// The dialog: To, Subject and Message, checked as the merchant types, with
/// the email's preview recomposed by the server a moment after each change.
#[island(lazy)]
fn SendDialog(language: Language, fields: SendFields) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    let language = use_language();
    let SendFields {
        invoice_id,
        purpose,
        to,
        subject,
        message,
        copies_to,
        reply_to,
        idempotency_key,
        sent_today,
        daily_limit,
        preview,
    } = fields;
    let back = format!("/invoices/{invoice_id}");
    let send = ServerAction::<SendInvoice>::new();
    let error = action_error(send);
    let after_send = back.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = send.value().get() {
            reload_at(&after_send);
        }
    });

    let to = RwSignal::new(to);
    let subject = RwSignal::new(subject);
    let message = RwSignal::new(message);
    // Checked as the merchant types, by the same rules the server applies.
    let to_problem = Signal::derive(move || {
        let typed = to.get();
        match parse_address_list(&typed) {
            Err(problem) if !typed.trim().is_empty() => Some(problem.message(language.get())),
            _ => None,
        }
    });
    let to_error = {
        let sent = field_error(error, "to");
        Signal::derive(move || to_problem.get().or_else(|| sent.get()))
    };
    let suggestions = Signal::derive(move || {
        to.get()
            .split([';', ','])
            .filter_map(|address| {
                suggest_address(address).map(|better| (address.trim().to_owned(), better))
            })
            .collect::<Vec<_>>()
    });
    let preview = RwSignal::new(preview);
    // The latest change asked for; an older answer arriving late is dropped.
    let asked = StoredValue::new(0_u64);
    Effect::new(move |first: Option<()>| {
        let (subject, message) = (subject.get(), message.get());
        // The server rendered the preview of what the dialog opened with.
        if first.is_none() {
            return;
        }
        asked.update_value(|count| *count += 1);
        let this = asked.get_value();
        set_timeout(
            move || {
                if asked.get_value() != this {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let fresh = email_preview(invoice_id, purpose, subject, message).await;
                    if let (Ok(fresh), true) = (fresh, asked.get_value() == this) {
                        preview.set(fresh);
                    }
                });
            },
            PREVIEW_AFTER,
        );
    });
    let copies = copies_to.join("; ");

    view! {
        <div class="send-layout">
            <section class="card" aria-labelledby="send-form-title">
                <h2 id="send-form-title" class="visually-hidden">{t(T::SendByEmail)}</h2>
                // Posted from the signals (see the login form for why not
                // `ActionForm`); without JavaScript the form posts itself.
                <form class="grid" novalidate method="post" action=SendInvoice::url() on:submit=move |ev| {
                    ev.prevent_default();
                    send.dispatch(SendInvoice {
                        invoice_id,
                        purpose,
                        to: to.get(),
                        subject: subject.get(),
                        message: message.get(),
                        idempotency_key: idempotency_key.clone(),
                    });
                }>
                    <input type="hidden" name="invoice_id" value=invoice_id />
                    <input type="hidden" name="purpose" value=purpose.code() />
                    <input type="hidden" name="idempotency_key" value=idempotency_key.clone() />
                    <Field label=T::To name="to" value=to error=to_error hint=T::ToHint kind="text" mode="email" wide=true required=true />
                    {move || {
                        let suggestions = suggestions.get();
                        (!suggestions.is_empty()).then(|| view! {
                            <div class="suggestions wide" role="status">
                                {suggestions.into_iter().map(|(typed, better)| {
                                    let replacement = better.clone();
                                    view! {
                                        <p>
                                            {t(T::DidYouMean)} " "
                                            <button type="button" class="link" on:click=move |_| {
                                                to.update(|text| *text = text.replace(&typed, &replacement));
                                            }>{better.clone()}</button>
                                            "?"
                                        </p>
                                    }
                                }).collect_view()}
                            </div>
                        })
                    }}
                    <Field label=T::Subject name="subject" value=subject error=field_error(error, "subject") wide=true required=true />
                    <TextArea label=T::Message name="message" value=message error=field_error(error, "message") rows=10 />
                    {(!copies.is_empty()).then(|| view! {
                        <p class="muted small wide">{t(T::CopiesGoTo)} ": " {copies.clone()}</p>
                    })}
                    {reply_to.map(|reply_to| view! {
                        <p class="muted small wide">{t(T::RepliesGoTo)} ": " {reply_to}</p>
                    })}
                    <p class="muted small wide" data-testid="sending-quota">
                        {t(T::EmailsToday)} ": " {sent_today} " " {t(T::QuotaOf)} " " {daily_limit}
                    </p>
                    <ErrorAlert error />
                    <div class="form-actions wide">
                        <button type="submit" class="primary" disabled=move || send.pending().get()>{t(T::Send)}</button>
                        <a href=back>{t(T::CancelSend)}</a>
                    </div>
                </form>
            </section>
            <section class="card preview" aria-labelledby="preview-title">
                <h2 id="preview-title">{t(T::Preview)}</h2>
                <p class="muted small">{t(T::PreviewHint)}</p>
                <p class="preview-subject"><strong>{t(T::Subject)} ": "</strong><span data-testid="preview-subject">{move || preview.get().subject}</span></p>
                <iframe
                    title=move || t(T::Preview)()
                    sandbox=""
                    srcdoc=move || preview.get().html
                    data-testid="preview"
                ></iframe>
            </section>
        </div>
    }
    .into_any()
}
