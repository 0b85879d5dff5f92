//! What the merchant's admin lists and shows: rows and pages read from the
//! database and sent to the browser. Plain data; the server fills them, the
//! admin renders them.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::DocumentKind;
use crate::organisation::Role;
use crate::payment::PaymentMethod;
use crate::status::InvoiceStatus;
use crate::time_zone::TimeZone;
use crate::{Currency, Language, Money};

/// Where an invoice's latest email stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailState {
    NotSent,
    Queued,
    /// A delivery attempt failed for a reason that may pass; it will be retried.
    Retrying {
        reason: String,
    },
    Sent {
        at_ms: i64,
    },
    Failed {
        reason: String,
    },
}

/// One row of Sales → Customer invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: i64,
    /// None while a draft.
    pub number: Option<String>,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    #[serde(default)]
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub total: Money,
    pub amount_due: Money,
    pub status: InvoiceStatus,
    /// What the list's pill reads: the status, or a tax authority's
    /// rejection ([`crate::status::MerchantStatus::of`]).
    pub merchant_status: crate::status::MerchantStatus,
    pub email: EmailState,
    /// When the customer (never a copy, never a machine) first opened it.
    pub first_opened_ms: Option<i64>,
    pub open_count: i64,
    /// How many sends were requested so far; keys the next send's idempotency.
    pub sends: i64,
    /// The zone of the invoice's store, which its times are shown in (the
    /// list may hold several stores').
    pub time_zone: TimeZone,
    /// Issued as an Italian electronic invoice: its FatturaPA file exists.
    #[serde(default)]
    pub has_fatturapa: bool,
    /// An invoice or a credit note.
    #[serde(default)]
    pub kind: DocumentKind,
}

/// Which invoices the list shows. `status` is a status code, `unpaid`, or
/// empty for all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InvoiceFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub text: String,
    /// A document kind's code (`invoice`, `credit_note`), or empty for both.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sort: InvoiceSort,
    #[serde(default)]
    pub ascending: bool,
    /// The keyset cursor of the page to show: the last row of the page before.
    #[serde(default)]
    pub after: Option<String>,
    /// One store's invoices only.
    #[serde(default)]
    pub store: Option<i64>,
    /// One customer's invoices only.
    #[serde(default)]
    pub customer: Option<i64>,
    /// An ISO 4217 code: invoices in that currency only (a home page figure
    /// is one currency's).
    #[serde(default)]
    pub currency: String,
    /// `crate::chase`'s filters, by their codes: `due` (open, overdue), `age`
    /// (1-30, 31-60, 60+) and `attention` (opened-unpaid, unopened,
    /// email-failed, due-soon); each, when set, keeps only open invoices.
    #[serde(default)]
    pub due: String,
    #[serde(default)]
    pub age: String,
    #[serde(default)]
    pub attention: String,
}

impl InvoiceFilter {
    /// The chase rules the filter asks for.
    pub fn chase(&self) -> crate::chase::ChaseFilter {
        crate::chase::ChaseFilter::parse(&self.due, &self.age, &self.attention)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum InvoiceSort {
    #[default]
    Date,
    Customer,
    Total,
}

impl InvoiceSort {
    pub const ALL: [InvoiceSort; 3] =
        [InvoiceSort::Date, InvoiceSort::Customer, InvoiceSort::Total];

    pub fn code(self) -> &'static str {
        match self {
            InvoiceSort::Date => "date",
            InvoiceSort::Customer => "customer",
            InvoiceSort::Total => "total",
        }
    }

    pub fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|sort| sort.code() == code)
            .unwrap_or_default()
    }
}

/// Invoices per page of the list.
pub const INVOICE_PAGE_SIZE: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub rows: Vec<InvoiceRow>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// How many invoices the filter matches, on every page.
    #[serde(default)]
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub id: i64,
    pub amount: Money,
    pub date: Date,
    pub method: PaymentMethod,
    pub reference: String,
    pub deleted: bool,
    /// When the merchant recorded it (UTC milliseconds).
    pub recorded_at_ms: i64,
}

/// A link sent to one recipient of one send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRow {
    pub id: String,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    /// `customer` or `copy`.
    pub recipient: String,
    pub email: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreRow {
    pub id: i64,
    pub name: String,
    pub currency: String,
    /// Whether its invoices are also Italian electronic invoices.
    #[serde(default)]
    pub e_invoicing: bool,
    /// Whether it keeps VERI*FACTU records: its lines say how they are
    /// taxed in Spain.
    #[serde(default)]
    pub verifactu: bool,
    /// The VAT rate a new invoice line starts at, in basis points.
    #[serde(default)]
    pub default_tax_rate_bp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub language: Language,
    pub email_invoices: bool,
}

/// Customers per page of the customer list.
pub const CUSTOMER_PAGE_SIZE: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<CustomerRow>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// A credit note of an invoice, as the invoice's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteRow {
    pub id: i64,
    pub number: String,
    pub issue_date: Date,
    pub total: Money,
}

/// One of the invoice's lines in the credit note form, with what is left
/// of it to credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditableLine {
    pub description: String,
    pub quantity_milli: i64,
    pub remaining_milli: i64,
    pub unit_price: Money,
    pub tax_rate_bp: i64,
}

/// What the credit note form of one invoice shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteForm {
    pub invoice_id: i64,
    pub number: String,
    pub issue_date: Date,
    pub customer_name: String,
    pub currency: Currency,
    pub total: Money,
    /// What earlier credit notes took off.
    pub credited: Money,
    pub lines: Vec<CreditableLine>,
    /// The merchant chooses the legal ground (R1…R4): the invoice is a
    /// Spanish store's full invoice.
    #[serde(default)]
    pub chooses_ground: bool,
    /// Why no credit note can be issued (a draft, void, fully credited…).
    pub refusal: Option<crate::problem::Problem>,
}
