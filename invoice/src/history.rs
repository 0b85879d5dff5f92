//! An invoice's history: every kind of entry, what each carries, who may see
//! it and what it counts as. Stored as a kind (a stable name) plus a JSON
//! detail, so adding a kind here makes the compiler point at every match that
//! must say something about it: the customer's history, the merchant's
//! filter and texts, what counts as an open.

use serde::{Deserialize, Serialize};

use crate::aeat::AeatEvent;
use crate::dates::Date;
use crate::email::EmailPurpose;
use crate::events::{DeviceClass, EdgeEventKind, PublicEvent, PublicEventKind, Recipient};
use crate::payment::PaymentMethod;
use crate::sdi::{Outcome, SdiEvent};
use crate::tracking::Clue;
use crate::verifactu::VerifactuEvent;
use crate::{Currency, Money};

/// Who an email is for: a link's recipient, or the merchant's people when a
/// failure notice reports an email that could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Customer,
    /// A copy to an address in the store's "copies to", with its own link.
    Copy,
    /// A failure notice to the merchant.
    Notice,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Customer, Audience::Copy, Audience::Notice];

    pub fn code(self) -> &'static str {
        match self {
            Audience::Customer => "customer",
            Audience::Copy => "copy",
            Audience::Notice => "notice",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|audience| audience.code() == code)
    }

    /// Whose link the email carries; a failure notice carries none.
    pub fn link_recipient(self) -> Option<Recipient> {
        match self {
            Audience::Customer => Some(Recipient::Customer),
            Audience::Copy => Some(Recipient::Copy),
            Audience::Notice => None,
        }
    }
}

impl From<Recipient> for Audience {
    fn from(recipient: Recipient) -> Self {
        match recipient {
            Recipient::Customer => Audience::Customer,
            Recipient::Copy => Audience::Copy,
        }
    }
}

impl Recipient {
    pub fn code(self) -> &'static str {
        Audience::from(self).code()
    }

    pub fn parse(code: &str) -> Option<Self> {
        Audience::parse(code).and_then(Audience::link_recipient)
    }
}

/// Where an email is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStep {
    Queued,
    Sent,
    /// An attempt failed for a reason that may pass; another follows.
    Retrying,
    Failed,
    /// Not sent because it was no longer due (paid, void, revoked…).
    Cancelled,
}

impl EmailStep {
    pub const ALL: [EmailStep; 5] = [
        EmailStep::Queued,
        EmailStep::Sent,
        EmailStep::Retrying,
        EmailStep::Failed,
        EmailStep::Cancelled,
    ];
}

/// What an email was: the invoice or a reminder, to a link's recipient, or
/// a notice to the merchant that one of those failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Invoice(Recipient),
    Reminder(Recipient),
    FailureNotice,
}

impl EmailKind {
    pub fn new(audience: Audience, purpose: EmailPurpose) -> Self {
        match (audience.link_recipient(), purpose) {
            (None, _) => EmailKind::FailureNotice,
            (Some(recipient), EmailPurpose::Invoice) => EmailKind::Invoice(recipient),
            (Some(recipient), EmailPurpose::Reminder) => EmailKind::Reminder(recipient),
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            EmailKind::Invoice(recipient) | EmailKind::Reminder(recipient) => recipient.into(),
            EmailKind::FailureNotice => Audience::Notice,
        }
    }
}

/// Something that happened to one email of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailEvent {
    pub email: EmailKind,
    pub step: EmailStep,
    /// The address it went to.
    pub address: String,
    /// The mail server's reply, or why it was cancelled.
    pub reply: Option<String>,
}

/// Something the edge saw through one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkEvent {
    pub kind: EdgeEventKind,
    pub recipient: Recipient,
    /// Scanners, previews and prefetches, as ingest judged them.
    pub automated: bool,
    pub device: DeviceClass,
    /// The browser's family, e.g. "Firefox".
    pub browser: String,
    /// Why it was judged a machine's: empty for a person's.
    pub reasons: Vec<Clue>,
    /// The address of the copy the link was sent to; None for the customer's
    /// (who is named as the customer) and for entries stored before copies
    /// were named.
    pub copy_to: Option<String>,
}

/// What a link entry keeps beyond its columns.
#[derive(Serialize, Deserialize, Default)]
struct LinkDetail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<Clue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    copy_to: Option<String>,
}

/// A payment as the history tells it: recorded, or deleted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub amount: Money,
    pub method: PaymentMethod,
}

/// A credit note issued against an invoice, as the invoice's history tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteEvent {
    pub credit_note_id: i64,
    pub number: String,
    pub amount: Money,
}

/// One entry of an invoice's history, with everything it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryEvent {
    Created,
    Issued {
        number: String,
    },
    Voided,
    PaymentRecorded(PaymentEvent),
    PaymentDeleted(PaymentEvent),
    Email(EmailEvent),
    LinkRevoked {
        address: String,
    },
    /// Issued with automatic sending on, but nobody to send it to.
    AutomaticSendSkipped,
    /// Issued with automatic sending on, but the organisation had reached
    /// the day's sending limit.
    AutomaticSendOverQuota,
    /// The customer asked for a fresh link on a revoked link's page.
    FreshLinkRequested,
    Link(LinkEvent),
    /// On an invoice: a credit note now corrects it.
    CreditNoteIssued(CreditNoteEvent),
    /// On a credit note: the invoice it corrects.
    CorrectsInvoice {
        invoice_id: i64,
        number: String,
    },
    /// The legal invoice through SdI: transmitted by PEC, and SdI's receipts.
    Sdi(SdiEvent),
    /// A Spanish store's VERI*FACTU records of the invoice.
    Verifactu(VerifactuEvent),
    /// The AEAT's answer about the invoice's VERI*FACTU record, or that it
    /// could not be reached.
    Aeat(AeatEvent),
}

/// What the merchant's history filter sorts an entry under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryTopic {
    /// The invoice itself: created, issued, voided.
    Document,
    Payment,
    /// Emails, reminders, notices, links.
    Sending,
    /// What happened at a link: by the customer, or by a machine.
    AtLink {
        automated: bool,
    },
}

impl HistoryEvent {
    /// The stored name of the entry's kind. These names are in the database:
    /// never rename one.
    pub fn kind(&self) -> &'static str {
        match self {
            HistoryEvent::Created => "created",
            HistoryEvent::Issued { .. } => "issued",
            HistoryEvent::Voided => "voided",
            HistoryEvent::PaymentRecorded(_) => "payment_recorded",
            HistoryEvent::PaymentDeleted(_) => "payment_deleted",
            HistoryEvent::Email(email) => email_kind(email.email, email.step),
            HistoryEvent::LinkRevoked { .. } => "link_revoked",
            HistoryEvent::AutomaticSendSkipped => "automatic_send_skipped",
            HistoryEvent::AutomaticSendOverQuota => "email_refused_over_quota",
            HistoryEvent::FreshLinkRequested => "fresh_link_requested",
            HistoryEvent::Link(link) => link.kind.as_str(),
            HistoryEvent::CreditNoteIssued(_) => "credit_note_issued",
            HistoryEvent::CorrectsInvoice { .. } => "corrects_invoice",
            HistoryEvent::Sdi(sdi) => sdi.kind(),
            HistoryEvent::Verifactu(verifactu) => verifactu.kind(),
            HistoryEvent::Aeat(aeat) => aeat.kind(),
        }
    }

    pub fn topic(&self) -> HistoryTopic {
        match self {
            HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::Voided
            | HistoryEvent::CreditNoteIssued(_)
            | HistoryEvent::CorrectsInvoice { .. } => HistoryTopic::Document,
            HistoryEvent::PaymentRecorded(_) | HistoryEvent::PaymentDeleted(_) => {
                HistoryTopic::Payment
            }
            HistoryEvent::Email(_)
            | HistoryEvent::LinkRevoked { .. }
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Aeat(_) => HistoryTopic::Sending,
            HistoryEvent::Link(link) => HistoryTopic::AtLink {
                automated: link.automated,
            },
            HistoryEvent::Verifactu(verifactu) => verifactu.topic(),
        }
    }

    /// Judged to be a machine's doing (a scanner, a preview, a prefetch).
    pub fn automated(&self) -> bool {
        matches!(self.topic(), HistoryTopic::AtLink { automated: true })
    }

    /// Who the email or link of the entry was for, if it is about one.
    pub fn audience(&self) -> Option<Audience> {
        match self {
            HistoryEvent::Email(email) => Some(email.email.audience()),
            HistoryEvent::Link(link) => Some(link.recipient.into()),
            HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::Voided
            | HistoryEvent::PaymentRecorded(_)
            | HistoryEvent::PaymentDeleted(_)
            | HistoryEvent::LinkRevoked { .. }
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested
            | HistoryEvent::CreditNoteIssued(_)
            | HistoryEvent::CorrectsInvoice { .. }
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Verifactu(_)
            | HistoryEvent::Aeat(_) => None,
        }
    }

    /// What the edge saw, when the entry is about a visit to a link.
    pub fn at_link(&self) -> Option<&LinkEvent> {
        match self {
            HistoryEvent::Link(link) => Some(link),
            HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::Voided
            | HistoryEvent::PaymentRecorded(_)
            | HistoryEvent::PaymentDeleted(_)
            | HistoryEvent::Email(_)
            | HistoryEvent::LinkRevoked { .. }
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested
            | HistoryEvent::CreditNoteIssued(_)
            | HistoryEvent::CorrectsInvoice { .. }
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Verifactu(_)
            | HistoryEvent::Aeat(_) => None,
        }
    }

    /// An open of the invoice by the customer: a person seen reading the
    /// page of a customer's link. Opens through a copy never count, nor a
    /// machine's. What the Opened column and "first opened" count.
    pub fn counts_as_open(&self) -> bool {
        match self {
            HistoryEvent::Link(link) => {
                link.kind == EdgeEventKind::Opened
                    && link.recipient == Recipient::Customer
                    && !link.automated
            }
            HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::Voided
            | HistoryEvent::PaymentRecorded(_)
            | HistoryEvent::PaymentDeleted(_)
            | HistoryEvent::Email(_)
            | HistoryEvent::LinkRevoked { .. }
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested
            | HistoryEvent::CreditNoteIssued(_)
            | HistoryEvent::CorrectsInvoice { .. }
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Verifactu(_)
            | HistoryEvent::Aeat(_) => false,
        }
    }

    /// What the customer's history says of the entry, if anything. Payments
    /// come from the payments themselves (so a deleted one disappears), not
    /// from these entries.
    pub fn customer_event(&self) -> Option<PublicEventKind> {
        match self {
            HistoryEvent::Voided => Some(PublicEventKind::Voided),
            HistoryEvent::CreditNoteIssued(note) => Some(PublicEventKind::CreditNoteIssued {
                number: note.number.clone(),
                amount_minor: note.amount.minor,
            }),
            HistoryEvent::CorrectsInvoice { number, .. } => {
                Some(PublicEventKind::CorrectsInvoice {
                    number: number.clone(),
                })
            }
            HistoryEvent::Email(email) => match (email.email, email.step) {
                (EmailKind::Invoice(Recipient::Customer), EmailStep::Sent) => {
                    Some(PublicEventKind::Sent)
                }
                (EmailKind::Reminder(Recipient::Customer), EmailStep::Sent) => {
                    Some(PublicEventKind::ReminderSent)
                }
                (
                    EmailKind::Invoice(_) | EmailKind::Reminder(_) | EmailKind::FailureNotice,
                    EmailStep::Queued
                    | EmailStep::Sent
                    | EmailStep::Retrying
                    | EmailStep::Failed
                    | EmailStep::Cancelled,
                ) => None,
            },
            HistoryEvent::Link(link)
                if link.recipient == Recipient::Customer && !link.automated =>
            {
                match link.kind {
                    EdgeEventKind::LinkFetched => None,
                    EdgeEventKind::Opened => Some(PublicEventKind::Opened),
                    EdgeEventKind::PdfDownloaded => Some(PublicEventKind::PdfDownloaded),
                    EdgeEventKind::Printed => Some(PublicEventKind::Printed),
                }
            }
            HistoryEvent::Sdi(sdi) if sdi.customer_sees() => {
                Some(PublicEventKind::ElectronicInvoice {
                    delivered: matches!(
                        sdi,
                        SdiEvent::Receipt(receipt)
                            if matches!(receipt.outcome, Outcome::Delivered { .. })
                    ),
                })
            }
            // The AEAT's answers are the merchant's: the customer checks the
            // invoice at the AEAT by its QR code.
            HistoryEvent::Link(_)
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Verifactu(_)
            | HistoryEvent::Aeat(_)
            | HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::PaymentRecorded(_)
            | HistoryEvent::PaymentDeleted(_)
            | HistoryEvent::LinkRevoked { .. }
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested => None,
        }
    }

    /// Whether the entry changes what the edge shows of the invoice (its
    /// history, what is paid, a revoked link), and so must be published again.
    pub fn changes_what_the_customer_sees(&self) -> bool {
        match self {
            HistoryEvent::PaymentRecorded(_)
            | HistoryEvent::PaymentDeleted(_)
            | HistoryEvent::LinkRevoked { .. } => true,
            HistoryEvent::Created
            | HistoryEvent::Issued { .. }
            | HistoryEvent::Voided
            | HistoryEvent::Email(_)
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested
            | HistoryEvent::Link(_)
            | HistoryEvent::CreditNoteIssued(_)
            | HistoryEvent::CorrectsInvoice { .. }
            | HistoryEvent::Sdi(_)
            | HistoryEvent::Verifactu(_)
            | HistoryEvent::Aeat(_) => self.customer_event().is_some(),
        }
    }

    /// The entry as the database keeps it.
    pub fn to_stored(&self) -> StoredEvent {
        let detail = match self {
            HistoryEvent::Issued { number } => Some(json(&NumberDetail {
                number: number.clone(),
            })),
            HistoryEvent::PaymentRecorded(payment) | HistoryEvent::PaymentDeleted(payment) => {
                Some(json(&PaymentDetail::from(*payment)))
            }
            HistoryEvent::Email(email) => Some(json(&AddressDetail {
                address: email.address.clone(),
                reply: email.reply.clone(),
            })),
            HistoryEvent::LinkRevoked { address } => Some(json(&AddressDetail {
                address: address.clone(),
                reply: None,
            })),
            HistoryEvent::CreditNoteIssued(note) => Some(json(&CreditNoteDetail {
                credit_note_id: note.credit_note_id,
                number: note.number.clone(),
                amount_minor: note.amount.minor,
                currency: note.amount.currency.code().to_owned(),
            })),
            HistoryEvent::CorrectsInvoice { invoice_id, number } => Some(json(&CorrectsDetail {
                invoice_id: *invoice_id,
                number: number.clone(),
            })),
            HistoryEvent::Link(link) if link.reasons.is_empty() && link.copy_to.is_none() => None,
            HistoryEvent::Link(link) => Some(json(&LinkDetail {
                reasons: link.reasons.clone(),
                copy_to: link.copy_to.clone(),
            })),
            HistoryEvent::Sdi(sdi) => Some(json(sdi)),
            HistoryEvent::Verifactu(verifactu) => Some(json(verifactu)),
            HistoryEvent::Aeat(aeat) => Some(json(aeat)),
            HistoryEvent::Created
            | HistoryEvent::Voided
            | HistoryEvent::AutomaticSendSkipped
            | HistoryEvent::AutomaticSendOverQuota
            | HistoryEvent::FreshLinkRequested => None,
        };
        let (device, browser) = match self.at_link() {
            Some(link) => (Some(link.device.code()), Some(link.browser.clone())),
            None => (None, None),
        };
        StoredEvent {
            kind: self.kind().to_owned(),
            detail,
            recipient: self.audience().map(|audience| audience.code().to_owned()),
            automated: self.automated(),
            counts_as_open: self.counts_as_open(),
            device: device.map(str::to_owned),
            browser,
        }
    }

    /// Reads an entry back from its stored form.
    pub fn from_stored(stored: &StoredEvent) -> Result<Self, CorruptEvent> {
        let corrupt = || CorruptEvent(stored.kind.clone());
        let detail = || stored.detail.as_deref().ok_or_else(corrupt);
        let audience = || {
            stored
                .recipient
                .as_deref()
                .and_then(Audience::parse)
                .ok_or_else(corrupt)
        };
        Ok(match stored.kind.as_str() {
            "created" => HistoryEvent::Created,
            "issued" => HistoryEvent::Issued {
                number: parse::<NumberDetail>(detail()?).ok_or_else(corrupt)?.number,
            },
            "voided" => HistoryEvent::Voided,
            "payment_recorded" => HistoryEvent::PaymentRecorded(
                parse::<PaymentDetail>(detail()?)
                    .and_then(PaymentDetail::event)
                    .ok_or_else(corrupt)?,
            ),
            "payment_deleted" => HistoryEvent::PaymentDeleted(
                parse::<PaymentDetail>(detail()?)
                    .and_then(PaymentDetail::event)
                    .ok_or_else(corrupt)?,
            ),
            "link_revoked" => HistoryEvent::LinkRevoked {
                address: parse::<AddressDetail>(detail()?)
                    .ok_or_else(corrupt)?
                    .address,
            },
            "automatic_send_skipped" => HistoryEvent::AutomaticSendSkipped,
            "email_refused_over_quota" => HistoryEvent::AutomaticSendOverQuota,
            "fresh_link_requested" => HistoryEvent::FreshLinkRequested,
            "credit_note_issued" => {
                let detail = parse::<CreditNoteDetail>(detail()?).ok_or_else(corrupt)?;
                let currency = Currency::parse(&detail.currency).map_err(|_| corrupt())?;
                HistoryEvent::CreditNoteIssued(CreditNoteEvent {
                    credit_note_id: detail.credit_note_id,
                    number: detail.number,
                    amount: Money::new(detail.amount_minor, currency),
                })
            }
            "corrects_invoice" => {
                let detail = parse::<CorrectsDetail>(detail()?).ok_or_else(corrupt)?;
                HistoryEvent::CorrectsInvoice {
                    invoice_id: detail.invoice_id,
                    number: detail.number,
                }
            }
            kind if SdiEvent::KINDS.contains(&kind) => {
                let sdi = parse::<SdiEvent>(detail()?).ok_or_else(corrupt)?;
                if sdi.kind() != kind {
                    return Err(corrupt());
                }
                HistoryEvent::Sdi(sdi)
            }
            kind if VerifactuEvent::KINDS.contains(&kind) => {
                let verifactu = parse::<VerifactuEvent>(detail()?).ok_or_else(corrupt)?;
                if verifactu.kind() != kind {
                    return Err(corrupt());
                }
                HistoryEvent::Verifactu(verifactu)
            }
            kind if AeatEvent::KINDS.contains(&kind) => {
                let aeat = parse::<AeatEvent>(detail()?).ok_or_else(corrupt)?;
                if aeat.kind() != kind {
                    return Err(corrupt());
                }
                HistoryEvent::Aeat(aeat)
            }
            kind => {
                if let Some(edge_kind) = EdgeEventKind::parse(kind) {
                    let recipient = audience()?.link_recipient().ok_or_else(corrupt)?;
                    let detail = match stored.detail.as_deref() {
                        None => LinkDetail::default(),
                        Some(detail) => parse::<LinkDetail>(detail).ok_or_else(corrupt)?,
                    };
                    HistoryEvent::Link(LinkEvent {
                        kind: edge_kind,
                        recipient,
                        automated: stored.automated,
                        device: stored
                            .device
                            .as_deref()
                            .and_then(DeviceClass::parse)
                            .unwrap_or(DeviceClass::Unknown),
                        browser: stored.browser.clone().unwrap_or_default(),
                        reasons: detail.reasons,
                        copy_to: detail.copy_to,
                    })
                } else {
                    let (subject, step) = parse_email_kind(kind).ok_or_else(corrupt)?;
                    let email = match (subject, audience()?.link_recipient()) {
                        (EmailSubject::Invoice, Some(recipient)) => EmailKind::Invoice(recipient),
                        (EmailSubject::Reminder, Some(recipient)) => EmailKind::Reminder(recipient),
                        (EmailSubject::Notice, None) => EmailKind::FailureNotice,
                        (EmailSubject::Invoice | EmailSubject::Reminder, None)
                        | (EmailSubject::Notice, Some(_)) => return Err(corrupt()),
                    };
                    let address = parse::<AddressDetail>(detail()?).ok_or_else(corrupt)?;
                    HistoryEvent::Email(EmailEvent {
                        email,
                        step,
                        address: address.address,
                        reply: address.reply,
                    })
                }
            }
        })
    }
}

/// A stored history entry that does not read back as any kind: written by
/// hand, or by a release that knew kinds this one does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a history entry of kind {0:?} cannot be read")]
pub struct CorruptEvent(pub String);

/// A history entry in the columns the database keeps it in. `kind`,
/// `recipient`, `automated` and `counts_as_open` are columns of their own
/// because queries select by them; the rest is the JSON `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredEvent {
    pub kind: String,
    pub detail: Option<String>,
    pub recipient: Option<String>,
    pub automated: bool,
    pub counts_as_open: bool,
    pub device: Option<String>,
    pub browser: Option<String>,
}

/// The three kinds of email, as their stored kinds begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailSubject {
    Invoice,
    Reminder,
    Notice,
}

impl EmailKind {
    fn subject(self) -> EmailSubject {
        match self {
            EmailKind::Invoice(_) => EmailSubject::Invoice,
            EmailKind::Reminder(_) => EmailSubject::Reminder,
            EmailKind::FailureNotice => EmailSubject::Notice,
        }
    }
}

fn email_kind(email: EmailKind, step: EmailStep) -> &'static str {
    match (email.subject(), step) {
        (EmailSubject::Invoice, EmailStep::Queued) => "email_queued",
        (EmailSubject::Invoice, EmailStep::Sent) => "email_sent",
        (EmailSubject::Invoice, EmailStep::Retrying) => "email_retrying",
        (EmailSubject::Invoice, EmailStep::Failed) => "email_failed",
        (EmailSubject::Invoice, EmailStep::Cancelled) => "email_cancelled",
        (EmailSubject::Reminder, EmailStep::Queued) => "reminder_queued",
        (EmailSubject::Reminder, EmailStep::Sent) => "reminder_sent",
        (EmailSubject::Reminder, EmailStep::Retrying) => "reminder_retrying",
        (EmailSubject::Reminder, EmailStep::Failed) => "reminder_failed",
        (EmailSubject::Reminder, EmailStep::Cancelled) => "reminder_cancelled",
        (EmailSubject::Notice, EmailStep::Queued) => "notice_queued",
        (EmailSubject::Notice, EmailStep::Sent) => "notice_sent",
        (EmailSubject::Notice, EmailStep::Retrying) => "notice_retrying",
        (EmailSubject::Notice, EmailStep::Failed) => "notice_failed",
        (EmailSubject::Notice, EmailStep::Cancelled) => "notice_cancelled",
    }
}

fn parse_email_kind(kind: &str) -> Option<(EmailSubject, EmailStep)> {
    [
        EmailKind::Invoice(Recipient::Customer),
        EmailKind::Reminder(Recipient::Customer),
        EmailKind::FailureNotice,
    ]
    .into_iter()
    .flat_map(|email| EmailStep::ALL.map(|step| (email, step)))
    .find(|(email, step)| email_kind(*email, *step) == kind)
    .map(|(email, step)| (email.subject(), step))
}

#[derive(Serialize, Deserialize)]
struct NumberDetail {
    number: String,
}

#[derive(Serialize, Deserialize)]
struct CreditNoteDetail {
    credit_note_id: i64,
    number: String,
    amount_minor: i64,
    currency: String,
}

#[derive(Serialize, Deserialize)]
struct CorrectsDetail {
    invoice_id: i64,
    number: String,
}

#[derive(Serialize, Deserialize)]
struct AddressDetail {
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

/// A payment's detail with stable codes, whatever the types' own serde says.
#[derive(Serialize, Deserialize)]
struct PaymentDetail {
    amount_minor: i64,
    currency: String,
    method: String,
}

impl From<PaymentEvent> for PaymentDetail {
    fn from(payment: PaymentEvent) -> Self {
        Self {
            amount_minor: payment.amount.minor,
            currency: payment.amount.currency.code().to_owned(),
            method: payment.method.code().to_owned(),
        }
    }
}

impl PaymentDetail {
    fn event(self) -> Option<PaymentEvent> {
        Some(PaymentEvent {
            amount: Money::new(self.amount_minor, Currency::parse(&self.currency).ok()?),
            method: PaymentMethod::parse(&self.method)?,
        })
    }
}

fn json<T: Serialize>(detail: &T) -> String {
    // Plain structs of strings and integers always serialise.
    serde_json::to_string(detail).unwrap_or_default()
}

fn parse<T: for<'de> Deserialize<'de>>(detail: &str) -> Option<T> {
    serde_json::from_str(detail).ok()
}

/// One entry of an invoice's history as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at_ms: i64,
    pub event: HistoryEvent,
    /// Repeats merged into this entry (see `crate::repeats`): 1 for one event.
    pub count: i64,
    /// When the last of the repeats came (`None`: at `at_ms`).
    #[serde(default)]
    pub last_at_ms: Option<i64>,
}

/// What the merchant can narrow an invoice's history to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum HistoryFilter {
    #[default]
    Everything,
    /// What the customer did: opens, downloads, prints, by a person.
    Customer,
    /// Emails, reminders, notices, links.
    Emails,
    Payments,
    /// Fetches by mail scanners, previews and other machines.
    Automated,
}

impl HistoryFilter {
    pub const ALL: [HistoryFilter; 5] = [
        HistoryFilter::Everything,
        HistoryFilter::Customer,
        HistoryFilter::Emails,
        HistoryFilter::Payments,
        HistoryFilter::Automated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            HistoryFilter::Everything => "all",
            HistoryFilter::Customer => "customer",
            HistoryFilter::Emails => "emails",
            HistoryFilter::Payments => "payments",
            HistoryFilter::Automated => "automated",
        }
    }

    pub fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|filter| filter.code() == code)
            .unwrap_or_default()
    }

    /// Whether an entry belongs under this filter.
    pub fn shows(self, event: &HistoryEvent) -> bool {
        let topic = event.topic();
        match self {
            HistoryFilter::Everything => true,
            HistoryFilter::Customer => topic == HistoryTopic::AtLink { automated: false },
            HistoryFilter::Emails => topic == HistoryTopic::Sending,
            HistoryFilter::Payments => topic == HistoryTopic::Payment,
            HistoryFilter::Automated => topic == HistoryTopic::AtLink { automated: true },
        }
    }
}

/// A line of the merchant's history: an entry, or machines' visits in a row
/// folded into one, so the few things a person did are not buried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryLine {
    Entry(HistoryEntry),
    Machines(MachineVisits),
}

/// Machines' visits to the invoice's links, one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineVisits {
    /// The visits' entries, in the order they were given.
    pub entries: Vec<HistoryEntry>,
}

impl MachineVisits {
    /// How many requests, repeats included.
    pub fn count(&self) -> i64 {
        self.entries.iter().map(|entry| entry.count).sum()
    }

    pub fn first_at_ms(&self) -> i64 {
        self.entries
            .iter()
            .map(|entry| entry.at_ms)
            .min()
            .unwrap_or(0)
    }

    /// The last visit, repeats merged into an entry included.
    pub fn last_at_ms(&self) -> i64 {
        self.entries
            .iter()
            .map(|entry| entry.last_at_ms.unwrap_or(entry.at_ms))
            .max()
            .unwrap_or(0)
    }

    /// The reasons of all the visits, each kind of reason once, as the
    /// earliest visit gave it (its "… s after sending" is the telling one).
    pub fn reasons(&self) -> Vec<Clue> {
        let mut oldest_first: Vec<&HistoryEntry> = self.entries.iter().collect();
        oldest_first.sort_by_key(|entry| entry.at_ms);
        let mut reasons: Vec<Clue> = Vec::new();
        for clue in oldest_first
            .into_iter()
            .filter_map(|entry| entry.event.at_link())
            .flat_map(|link| &link.reasons)
        {
            let seen = reasons
                .iter()
                .any(|known| std::mem::discriminant(known) == std::mem::discriminant(clue));
            if !seen {
                reasons.push(clue.clone());
            }
        }
        reasons
    }
}

/// The merchant's lines for entries in the order they are shown: two or more
/// machines' visits in a row become one line; a single one stays an entry.
pub fn history_lines(entries: impl IntoIterator<Item = HistoryEntry>) -> Vec<HistoryLine> {
    let mut lines: Vec<HistoryLine> = Vec::new();
    for entry in entries {
        if !entry.event.automated() {
            lines.push(HistoryLine::Entry(entry));
            continue;
        }
        match lines.last_mut() {
            Some(HistoryLine::Machines(visits)) => visits.entries.push(entry),
            Some(HistoryLine::Entry(previous)) if previous.event.automated() => {
                let previous = previous.clone();
                if let Some(last) = lines.last_mut() {
                    *last = HistoryLine::Machines(MachineVisits {
                        entries: vec![previous, entry],
                    });
                }
            }
            Some(HistoryLine::Entry(_)) | None => lines.push(HistoryLine::Entry(entry)),
        }
    }
    lines
}

/// The customer's history: sends, reminders, opens, downloads and prints of
/// the customer's own links by a person, payments, and voiding. Nothing
/// internal: no copies, no failures, no automated fetches, no notices.
pub fn customer_history(entries: &[HistoryEntry], payments: &[PaymentFact]) -> Vec<PublicEvent> {
    let mut history: Vec<PublicEvent> = entries
        .iter()
        .filter_map(|entry| {
            entry.event.customer_event().map(|kind| PublicEvent {
                at_ms: entry.at_ms,
                kind,
                count: entry.count.max(1),
                last_at_ms: entry.last_at_ms,
            })
        })
        .chain(payments.iter().map(|payment| PublicEvent {
            at_ms: payment.recorded_at_ms,
            kind: PublicEventKind::PaymentReceived {
                amount_minor: payment.amount_minor,
                date: payment.date,
            },
            count: 1,
            last_at_ms: None,
        }))
        .collect();
    history.sort_by_key(|event| event.at_ms);
    history
}

/// A payment not deleted, for the customer's history.
pub struct PaymentFact {
    pub recorded_at_ms: i64,
    pub amount_minor: i64,
    pub date: Date,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aeat::RecordOperation;
    use crate::events::EdgeEventKind;
    use crate::sdi::samples as sdi_samples;

    /// One entry of every kind the history has, with every variation of who
    /// it was for. A kind added to [`HistoryEvent`] and not here fails
    /// `every_kind_is_in_the_examples`.
    pub(crate) fn every_kind() -> Vec<HistoryEvent> {
        let payment = PaymentEvent {
            amount: Money::new(12_345, Currency::Eur),
            method: PaymentMethod::BankTransfer,
        };
        let mut events = vec![
            HistoryEvent::Created,
            HistoryEvent::Issued {
                number: "2026-0007".into(),
            },
            HistoryEvent::Voided,
            HistoryEvent::PaymentRecorded(payment),
            HistoryEvent::PaymentDeleted(payment),
            HistoryEvent::LinkRevoked {
                address: "maria@example.es".into(),
            },
            HistoryEvent::AutomaticSendSkipped,
            HistoryEvent::AutomaticSendOverQuota,
            HistoryEvent::FreshLinkRequested,
            HistoryEvent::CreditNoteIssued(CreditNoteEvent {
                credit_note_id: 12,
                number: "NC-2026-0001".into(),
                amount: Money::new(6_100, Currency::Eur),
            }),
            HistoryEvent::CorrectsInvoice {
                invoice_id: 7,
                number: "2026-0007".into(),
            },
        ];
        for email in [
            EmailKind::Invoice(Recipient::Customer),
            EmailKind::Invoice(Recipient::Copy),
            EmailKind::Reminder(Recipient::Customer),
            EmailKind::Reminder(Recipient::Copy),
            EmailKind::FailureNotice,
        ] {
            for step in EmailStep::ALL {
                events.push(HistoryEvent::Email(EmailEvent {
                    email,
                    step,
                    address: "maria@example.es".into(),
                    reply: (step != EmailStep::Queued).then(|| "550 5.1.1: no such user".into()),
                }));
            }
        }
        for kind in [
            EdgeEventKind::LinkFetched,
            EdgeEventKind::Opened,
            EdgeEventKind::PdfDownloaded,
            EdgeEventKind::Printed,
        ] {
            for recipient in [Recipient::Customer, Recipient::Copy] {
                for automated in [false, true] {
                    events.push(HistoryEvent::Link(LinkEvent {
                        kind,
                        recipient,
                        automated,
                        device: DeviceClass::Phone,
                        browser: "Safari".into(),
                        reasons: if automated {
                            vec![
                                Clue::MachineNetwork {
                                    network: "Microsoft".into(),
                                },
                                Clue::SoonAfterSending { seconds: 21 },
                                Clue::NoInput,
                            ]
                        } else {
                            Vec::new()
                        },
                        copy_to: (recipient == Recipient::Copy).then(|| "books@example.it".into()),
                    }));
                }
            }
        }
        let file = "IT01234567890_11111.xml";
        events.push(HistoryEvent::Sdi(SdiEvent::Transmitted {
            file_name: file.into(),
            reply: "250 2.0.0 Ok".into(),
        }));
        events.push(HistoryEvent::Sdi(SdiEvent::TransmissionFailed {
            file_name: file.into(),
            reply: "535 authentication failed".into(),
        }));
        for xml in [
            sdi_samples::delivered(file, "101"),
            sdi_samples::not_delivered(file, "101"),
            sdi_samples::rejected(file, "101", &[("00404", "Fattura duplicata")]),
            sdi_samples::public_body_outcome(file, "101", "EC02"),
            sdi_samples::terms_elapsed(file, "101"),
            sdi_samples::transmission_attested(file, "101"),
        ] {
            let receipt = crate::sdi::parse_receipt(xml.as_bytes()).expect("a sample receipt");
            events.push(HistoryEvent::Sdi(SdiEvent::Receipt(receipt)));
        }
        events.push(HistoryEvent::Verifactu(VerifactuEvent::RecordKept {
            kind: crate::verifactu::RecordKind::Alta,
            invoice_type: Some(crate::verifactu::InvoiceType::F1),
            sequence: 1,
        }));
        for operation in [RecordOperation::Registration, RecordOperation::Cancellation] {
            events.push(HistoryEvent::Aeat(AeatEvent::Registered {
                operation,
                csv: Some("A-YDSW8NLFLANWPM".into()),
                duplicate: operation == RecordOperation::Cancellation,
            }));
            events.push(HistoryEvent::Aeat(AeatEvent::AcceptedWithErrors {
                operation,
                csv: None,
                code: 2000,
                description: "El cálculo de la huella suministrada es incorrecta.".into(),
            }));
            events.push(HistoryEvent::Aeat(AeatEvent::Rejected {
                operation,
                code: 1107,
                description: "El NIF del destinatario no está identificado.".into(),
            }));
            events.push(HistoryEvent::Aeat(AeatEvent::Unreachable {
                operation,
                reason: "HTTP 503".into(),
            }));
        }
        events
    }

    /// Which variant of [`HistoryEvent`] an entry is; a new variant makes
    /// this match fail to compile until it has its number here.
    fn variant(event: &HistoryEvent) -> usize {
        match event {
            HistoryEvent::Created => 0,
            HistoryEvent::Issued { .. } => 1,
            HistoryEvent::Voided => 2,
            HistoryEvent::PaymentRecorded(_) => 3,
            HistoryEvent::PaymentDeleted(_) => 4,
            HistoryEvent::Email(_) => 5,
            HistoryEvent::LinkRevoked { .. } => 6,
            HistoryEvent::AutomaticSendSkipped => 7,
            HistoryEvent::AutomaticSendOverQuota => 8,
            HistoryEvent::FreshLinkRequested => 9,
            HistoryEvent::Link(_) => 10,
            HistoryEvent::CreditNoteIssued(_) => 11,
            HistoryEvent::CorrectsInvoice { .. } => 12,
            HistoryEvent::Sdi(_) => 13,
            HistoryEvent::Verifactu(_) => 14,
            HistoryEvent::Aeat(_) => 15,
        }
    }
    const VARIANTS: usize = 16;

    #[test]
    fn every_kind_is_in_the_examples() {
        let present: std::collections::BTreeSet<usize> = every_kind().iter().map(variant).collect();
        assert_eq!(present, (0..VARIANTS).collect());
        let kinds: std::collections::BTreeSet<&str> =
            every_kind().iter().map(HistoryEvent::kind).collect();
        assert_eq!(
            kinds.len(),
            11 + 15 + 4 + 8 + 1 + 4,
            "every stored kind, once: {kinds:?}"
        );
    }

    #[test]
    fn every_entry_reads_back_as_it_was_stored() {
        for event in every_kind() {
            let stored = event.to_stored();
            assert_eq!(
                HistoryEvent::from_stored(&stored),
                Ok(event.clone()),
                "{stored:?}"
            );
        }
    }

    #[test]
    fn stored_kinds_keep_the_names_the_database_has() {
        let kinds: Vec<&str> = every_kind().iter().map(HistoryEvent::kind).collect();
        for kind in [
            "created",
            "issued",
            "voided",
            "payment_recorded",
            "payment_deleted",
            "email_queued",
            "email_sent",
            "email_retrying",
            "email_failed",
            "email_cancelled",
            "reminder_queued",
            "reminder_sent",
            "reminder_failed",
            "reminder_cancelled",
            "notice_sent",
            "notice_failed",
            "link_revoked",
            "automatic_send_skipped",
            "email_refused_over_quota",
            "fresh_link_requested",
            "link_fetched",
            "opened",
            "pdf_downloaded",
            "printed",
            "credit_note_issued",
            "corrects_invoice",
        ] {
            assert!(kinds.contains(&kind), "{kind}");
        }
    }

    #[test]
    fn a_payment_is_stored_as_json_with_stable_codes() {
        let stored = HistoryEvent::PaymentRecorded(PaymentEvent {
            amount: Money::new(5_000, Currency::Eur),
            method: PaymentMethod::BankTransfer,
        })
        .to_stored();
        assert_eq!(
            stored.detail.as_deref(),
            Some(r#"{"amount_minor":5000,"currency":"EUR","method":"bank_transfer"}"#)
        );
    }

    #[test]
    fn an_entry_that_does_not_read_back_is_refused_by_name() {
        let unknown = StoredEvent {
            kind: "teleported".into(),
            ..StoredEvent::default()
        };
        assert_eq!(
            HistoryEvent::from_stored(&unknown),
            Err(CorruptEvent("teleported".into()))
        );
        let half = StoredEvent {
            kind: "payment_recorded".into(),
            detail: Some("5000 EUR cash".into()),
            ..StoredEvent::default()
        };
        assert!(HistoryEvent::from_stored(&half).is_err());
        let notice_to_a_link = StoredEvent {
            kind: "notice_sent".into(),
            detail: Some(r#"{"address":"a@b.it"}"#.into()),
            recipient: Some("customer".into()),
            ..StoredEvent::default()
        };
        assert!(HistoryEvent::from_stored(&notice_to_a_link).is_err());
    }

    #[test]
    fn only_a_person_reading_a_customers_link_counts_as_an_open() {
        let opens: Vec<HistoryEvent> = every_kind()
            .into_iter()
            .filter(HistoryEvent::counts_as_open)
            .collect();
        assert_eq!(
            opens,
            [HistoryEvent::Link(LinkEvent {
                kind: EdgeEventKind::Opened,
                recipient: Recipient::Customer,
                automated: false,
                device: DeviceClass::Phone,
                browser: "Safari".into(),
                reasons: Vec::new(),
                copy_to: None,
            })]
        );
        assert!(opens.iter().all(|open| open.to_stored().counts_as_open));
    }

    #[test]
    fn only_what_the_customer_sees_is_published_again() {
        let published: Vec<String> = every_kind()
            .iter()
            .filter(|event| event.changes_what_the_customer_sees())
            .map(|event| {
                let stored = event.to_stored();
                format!(
                    "{} {} {}",
                    stored.kind,
                    stored.recipient.unwrap_or_default(),
                    stored.automated
                )
            })
            .collect();
        assert_eq!(
            published,
            [
                "voided  false",
                "payment_recorded  false",
                "payment_deleted  false",
                "link_revoked  false",
                "credit_note_issued  false",
                "corrects_invoice  false",
                "email_sent customer false",
                "reminder_sent customer false",
                "opened customer false",
                "pdf_downloaded customer false",
                "printed customer false",
                "sdi_delivered  false",
                "sdi_not_delivered  false",
            ]
        );
    }

    fn entry(at_ms: i64, event: HistoryEvent) -> HistoryEntry {
        HistoryEntry {
            at_ms,
            event,
            count: 1,
            last_at_ms: None,
        }
    }

    fn email(email: EmailKind, step: EmailStep) -> HistoryEvent {
        HistoryEvent::Email(EmailEvent {
            email,
            step,
            address: "maria@example.es".into(),
            reply: None,
        })
    }

    fn at_link(kind: EdgeEventKind, recipient: Recipient, automated: bool) -> HistoryEvent {
        HistoryEvent::Link(LinkEvent {
            kind,
            recipient,
            automated,
            device: DeviceClass::Desktop,
            browser: "Firefox".into(),
            reasons: Vec::new(),
            copy_to: None,
        })
    }

    #[test]
    fn machines_visits_in_a_row_fold_into_one_line_and_a_persons_stand_alone() {
        let machine = |at_ms, kind, reasons: Vec<Clue>| HistoryEntry {
            at_ms,
            event: HistoryEvent::Link(LinkEvent {
                reasons,
                ..match at_link(kind, Recipient::Customer, true) {
                    HistoryEvent::Link(link) => link,
                    _ => unreachable!("at_link makes link events"),
                }
            }),
            count: 3,
            last_at_ms: None,
        };
        let person = HistoryEntry {
            at_ms: 50,
            event: at_link(EdgeEventKind::Opened, Recipient::Customer, false),
            count: 1,
            last_at_ms: None,
        };
        let sent = HistoryEntry {
            at_ms: 1,
            event: email(EmailKind::Invoice(Recipient::Customer), EmailStep::Sent),
            count: 1,
            last_at_ms: None,
        };
        let network = Clue::MachineNetwork {
            network: "Microsoft".into(),
        };
        let newest_first = vec![
            machine(90, EdgeEventKind::LinkFetched, vec![network.clone()]),
            person.clone(),
            machine(
                40,
                EdgeEventKind::Opened,
                vec![Clue::SoonAfterSending { seconds: 39 }, Clue::NoInput],
            ),
            machine(30, EdgeEventKind::PdfDownloaded, vec![network.clone()]),
            machine(
                21,
                EdgeEventKind::LinkFetched,
                vec![Clue::SoonAfterSending { seconds: 20 }],
            ),
            sent.clone(),
        ];
        let lines = history_lines(newest_first.clone());
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], HistoryLine::Entry(newest_first[0].clone()));
        assert_eq!(lines[1], HistoryLine::Entry(person));
        let HistoryLine::Machines(folded) = &lines[2] else {
            panic!("three machines' visits in a row fold: {lines:?}");
        };
        assert_eq!(folded.entries, newest_first[2..5]);
        assert_eq!(folded.count(), 9);
        assert_eq!((folded.first_at_ms(), folded.last_at_ms()), (21, 40));
        assert_eq!(
            folded.reasons(),
            [
                Clue::SoonAfterSending { seconds: 20 },
                network,
                Clue::NoInput
            ]
        );
        assert_eq!(lines[3], HistoryLine::Entry(sent));
        assert_eq!(history_lines(Vec::new()), []);
    }

    #[test]
    fn merged_repeats_keep_their_count_in_the_customers_history() {
        let entries = [HistoryEntry {
            count: 40,
            ..entry(
                1,
                at_link(EdgeEventKind::Printed, Recipient::Customer, false),
            )
        }];
        assert_eq!(customer_history(&entries, &[])[0].count, 40);
    }

    #[test]
    fn the_merchant_narrows_the_history_to_what_they_look_for() {
        let shown = |filter: HistoryFilter| {
            [
                HistoryEvent::Issued { number: "1".into() },
                email(EmailKind::Invoice(Recipient::Customer), EmailStep::Sent),
                email(EmailKind::Reminder(Recipient::Customer), EmailStep::Failed),
                at_link(EdgeEventKind::LinkFetched, Recipient::Customer, true),
                at_link(EdgeEventKind::Opened, Recipient::Customer, true),
                at_link(EdgeEventKind::Opened, Recipient::Customer, false),
                at_link(EdgeEventKind::Printed, Recipient::Customer, false),
                HistoryEvent::PaymentRecorded(PaymentEvent {
                    amount: Money::new(1, Currency::Eur),
                    method: PaymentMethod::Cash,
                }),
                HistoryEvent::LinkRevoked {
                    address: "maria@example.es".into(),
                },
            ]
            .into_iter()
            .filter(|event| filter.shows(event))
            .map(|event| event.kind())
            .collect::<Vec<_>>()
        };
        assert_eq!(shown(HistoryFilter::Everything).len(), 9);
        assert_eq!(shown(HistoryFilter::Customer), ["opened", "printed"]);
        assert_eq!(
            shown(HistoryFilter::Emails),
            ["email_sent", "reminder_failed", "link_revoked"]
        );
        assert_eq!(shown(HistoryFilter::Payments), ["payment_recorded"]);
        assert_eq!(shown(HistoryFilter::Automated), ["link_fetched", "opened"]);
        assert_eq!(HistoryFilter::parse("payments"), HistoryFilter::Payments);
        assert_eq!(HistoryFilter::parse("nonsense"), HistoryFilter::Everything);
    }

    #[test]
    fn the_customer_sees_what_happened_to_their_invoice_and_nothing_internal() {
        let customer = Recipient::Customer;
        let entries = [
            entry(1, HistoryEvent::Created),
            entry(2, email(EmailKind::Invoice(customer), EmailStep::Queued)),
            entry(3, email(EmailKind::Invoice(customer), EmailStep::Sent)),
            entry(
                3,
                email(EmailKind::Invoice(Recipient::Copy), EmailStep::Sent),
            ),
            entry(4, at_link(EdgeEventKind::LinkFetched, customer, true)),
            entry(5, at_link(EdgeEventKind::Opened, customer, true)),
            entry(6, at_link(EdgeEventKind::Opened, Recipient::Copy, false)),
            entry(7, at_link(EdgeEventKind::Opened, customer, false)),
            entry(8, email(EmailKind::Invoice(customer), EmailStep::Failed)),
            entry(9, email(EmailKind::FailureNotice, EmailStep::Sent)),
            entry(10, at_link(EdgeEventKind::PdfDownloaded, customer, false)),
            entry(11, at_link(EdgeEventKind::Printed, customer, false)),
            entry(13, email(EmailKind::Reminder(customer), EmailStep::Sent)),
        ];
        let date = Date {
            year: 2026,
            month: 11,
            day: 20,
        };
        let payments = [PaymentFact {
            recorded_at_ms: 12,
            amount_minor: 5_000,
            date,
        }];
        let kinds: Vec<PublicEventKind> = customer_history(&entries, &payments)
            .into_iter()
            .map(|event| event.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                PublicEventKind::Sent,
                PublicEventKind::Opened,
                PublicEventKind::PdfDownloaded,
                PublicEventKind::Printed,
                PublicEventKind::PaymentReceived {
                    amount_minor: 5_000,
                    date
                },
                PublicEventKind::ReminderSent,
            ]
        );
    }
}
