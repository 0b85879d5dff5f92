//! What a merchant should chase today: which open invoices are overdue and
//! for how long, which were opened but not paid, which were sent but never
//! read by a person, which emails failed, and which fall due this week.
//!
//! The server selects the candidates (issued invoices with something owed,
//! with their latest email and first person-open, as `tracking` decided it)
//! and these rules sort them. The home page's figures and the invoice list's
//! filters both go through [`ChaseFilter::matches`], so a figure and the list
//! it links to always count the same invoices.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::time_zone::TimeZone;
use crate::views::EmailState;
use crate::Money;

/// A customer who has not opened an invoice this long after it was emailed
/// may not have received it: the address is worth checking.
pub const UNOPENED_AFTER_DAYS: i64 = 3;
/// An invoice falls due "soon" within this many days, today included.
pub const DUE_SOON_DAYS: i64 = 7;
/// How many invoices each list of the home page shows; the rest are one
/// "see all" away.
pub const SHORT_LIST_LEN: usize = 5;

const DAY_MS: i64 = 86_400_000;

/// Whole days past the due date: 0 when not due yet, due today, or undated.
pub fn days_overdue(due_date: Option<Date>, today: Date) -> i64 {
    due_date.map_or(0, |due| {
        (today.days_since_epoch() - due.days_since_epoch()).max(0)
    })
}

/// How long an overdue invoice has been overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgeBucket {
    /// 1 to 30 days.
    Days1To30,
    /// 31 to 60 days.
    Days31To60,
    /// More than 60 days.
    Over60,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 3] = [
        AgeBucket::Days1To30,
        AgeBucket::Days31To60,
        AgeBucket::Over60,
    ];

    /// The bucket of an invoice overdue by `days`; None when not overdue.
    pub fn of(days: i64) -> Option<Self> {
        match days {
            ..=0 => None,
            1..=30 => Some(AgeBucket::Days1To30),
            31..=60 => Some(AgeBucket::Days31To60),
            _ => Some(AgeBucket::Over60),
        }
    }

    /// The invoice list's `age` parameter, also what the page shows.
    pub fn code(self) -> &'static str {
        match self {
            AgeBucket::Days1To30 => "1-30",
            AgeBucket::Days31To60 => "31-60",
            AgeBucket::Over60 => "60+",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|bucket| bucket.code() == code)
    }
}

/// The invoice list's `due` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Due {
    /// Anything owed: the outstanding amount.
    Open,
    /// Owed after the due date.
    Overdue,
}

impl Due {
    pub fn code(self) -> &'static str {
        match self {
            Due::Open => "open",
            Due::Overdue => "overdue",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Due::Open, Due::Overdue]
            .into_iter()
            .find(|due| due.code() == code)
    }
}

/// The home page's lists, and the invoice list's `attention` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attention {
    /// A person opened it and it is still unpaid: send a reminder.
    OpenedUnpaid,
    /// Emailed [`UNOPENED_AFTER_DAYS`] or more days ago and never opened by
    /// a person (a mail scanner's fetch is not an open): check the address.
    Unopened,
    /// The latest email to the customer failed.
    EmailFailed,
    /// Falls due within [`DUE_SOON_DAYS`] days.
    DueSoon,
}

impl Attention {
    pub const ALL: [Attention; 4] = [
        Attention::OpenedUnpaid,
        Attention::Unopened,
        Attention::EmailFailed,
        Attention::DueSoon,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Attention::OpenedUnpaid => "opened-unpaid",
            Attention::Unopened => "unopened",
            Attention::EmailFailed => "email-failed",
            Attention::DueSoon => "due-soon",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|attention| attention.code() == code)
    }
}

/// An issued invoice with something still owed, as the server reads it:
/// the candidates every rule here chooses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInvoice {
    pub id: i64,
    pub store_id: i64,
    pub customer_id: i64,
    pub number: String,
    pub customer_name: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub total: Money,
    /// What is left to pay, payments and credit notes taken off.
    pub amount_due: Money,
    /// The latest email to the customer.
    pub email: EmailState,
    /// Where that email went.
    pub email_address: Option<String>,
    /// When a person (never a machine, never a copy) first opened it.
    pub first_opened_ms: Option<i64>,
    /// The store's zone, which its times are shown in.
    pub time_zone: TimeZone,
}

impl OpenInvoice {
    pub fn days_overdue(&self, today: Date) -> i64 {
        days_overdue(self.due_date, today)
    }

    /// Whether it belongs in one of the home page's lists.
    pub fn needs(&self, attention: Attention, today: Date, now_ms: i64) -> bool {
        match attention {
            Attention::OpenedUnpaid => self.first_opened_ms.is_some(),
            Attention::Unopened => {
                self.first_opened_ms.is_none()
                    && matches!(self.email, EmailState::Sent { at_ms }
                        if now_ms - at_ms >= UNOPENED_AFTER_DAYS * DAY_MS)
            }
            Attention::EmailFailed => matches!(self.email, EmailState::Failed { .. }),
            Attention::DueSoon => self.due_date.is_some_and(|due| {
                due >= today && due.days_since_epoch() - today.days_since_epoch() < DUE_SOON_DAYS
            }),
        }
    }
}

/// Which open invoices a figure or a list counts: the invoice list's
/// `due`, `age` and `attention` parameters, all optional and combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChaseFilter {
    pub due: Option<Due>,
    pub age: Option<AgeBucket>,
    pub attention: Option<Attention>,
}

impl ChaseFilter {
    /// Reads the list's parameters; an unknown value is no filter.
    pub fn parse(due: &str, age: &str, attention: &str) -> Self {
        ChaseFilter {
            due: Due::parse(due),
            age: AgeBucket::parse(age),
            attention: Attention::parse(attention),
        }
    }

    /// No chase rule applies: the list shows every invoice.
    pub fn is_empty(&self) -> bool {
        self.due.is_none() && self.age.is_none() && self.attention.is_none()
    }

    pub fn matches(&self, invoice: &OpenInvoice, today: Date, now_ms: i64) -> bool {
        let days = invoice.days_overdue(today);
        let due = match self.due {
            None | Some(Due::Open) => true,
            Some(Due::Overdue) => days > 0,
        };
        let age = self.age.is_none_or(|age| AgeBucket::of(days) == Some(age));
        let attention = self
            .attention
            .is_none_or(|attention| invoice.needs(attention, today, now_ms));
        due && age && attention
    }
}

/// A sum of money owed on some invoices, in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub amount: Money,
    pub invoices: usize,
}

/// One figure per currency of the invoices `filter` matches; amounts in
/// different currencies are never added together. Ordered by currency code.
pub fn figures(open: &[OpenInvoice], filter: ChaseFilter, today: Date, now_ms: i64) -> Vec<Figure> {
    let mut figures: Vec<Figure> = Vec::new();
    for invoice in open.iter().filter(|i| filter.matches(i, today, now_ms)) {
        let currency = invoice.amount_due.currency;
        match figures
            .iter_mut()
            .find(|figure| figure.amount.currency == currency)
        {
            Some(figure) => {
                figure.amount.minor = figure.amount.minor.saturating_add(invoice.amount_due.minor);
                figure.invoices += 1;
            }
            None => figures.push(Figure {
                amount: invoice.amount_due,
                invoices: 1,
            }),
        }
    }
    figures.sort_by_key(|figure| figure.amount.currency.code());
    figures
}

/// The first [`SHORT_LIST_LEN`] invoices of one home list, and how many
/// there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortList {
    pub attention: Attention,
    pub rows: Vec<OpenInvoice>,
    pub total: usize,
}

/// A list in the order it is worked through: the longest-waiting first
/// (opened: oldest invoice; unopened and failed: oldest email; due soon:
/// nearest due date).
pub fn short_list(
    open: &[OpenInvoice],
    attention: Attention,
    today: Date,
    now_ms: i64,
) -> ShortList {
    let mut rows: Vec<&OpenInvoice> = open
        .iter()
        .filter(|invoice| invoice.needs(attention, today, now_ms))
        .collect();
    match attention {
        Attention::OpenedUnpaid | Attention::EmailFailed => {
            rows.sort_by_key(|invoice| (invoice.issue_date, invoice.id))
        }
        Attention::Unopened => rows.sort_by_key(|invoice| {
            let sent = match invoice.email {
                EmailState::Sent { at_ms } => at_ms,
                _ => i64::MAX,
            };
            (sent, invoice.id)
        }),
        Attention::DueSoon => rows.sort_by_key(|invoice| (invoice.due_date, invoice.id)),
    }
    ShortList {
        attention,
        total: rows.len(),
        rows: rows.into_iter().take(SHORT_LIST_LEN).cloned().collect(),
    }
}

/// Everything the home page shows about money owed and what to chase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Today {
    pub date: Date,
    pub outstanding: Vec<Figure>,
    pub overdue: Vec<Figure>,
    pub by_age: Vec<(AgeBucket, Vec<Figure>)>,
    /// One list per [`Attention`], in [`Attention::ALL`]'s order.
    pub lists: Vec<ShortList>,
}

/// The home page of a set of open invoices, as of `today` and `now_ms` (UTC).
pub fn today(open: &[OpenInvoice], today: Date, now_ms: i64) -> Today {
    let with = |due, age| ChaseFilter {
        due,
        age,
        attention: None,
    };
    Today {
        date: today,
        outstanding: figures(open, with(Some(Due::Open), None), today, now_ms),
        overdue: figures(open, with(Some(Due::Overdue), None), today, now_ms),
        by_age: AgeBucket::ALL
            .into_iter()
            .map(|age| (age, figures(open, with(None, Some(age)), today, now_ms)))
            .collect(),
        lists: Attention::ALL
            .into_iter()
            .map(|attention| short_list(open, attention, today, now_ms))
            .collect(),
    }
}

/// One open item of a customer's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementItem {
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub total: Money,
    /// Paid, and taken off by credit notes.
    pub settled: Money,
    pub balance: Money,
}

/// A customer's statement of open items, in the customer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub language: crate::Language,
    /// Who the statement is from: the business.
    pub from: String,
    pub customer: crate::document::Party,
    pub date: Date,
    pub items: Vec<StatementItem>,
}

impl Statement {
    /// What is owed in each currency, ordered by currency code.
    pub fn totals(&self) -> Vec<Money> {
        let mut totals: Vec<Money> = Vec::new();
        for item in &self.items {
            match totals
                .iter_mut()
                .find(|total| total.currency == item.balance.currency)
            {
                Some(total) => total.minor = total.minor.saturating_add(item.balance.minor),
                None => totals.push(item.balance),
            }
        }
        totals.sort_by_key(|total| total.currency.code());
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    const NOW: i64 = 1_796_000_000_000;

    fn today() -> Date {
        Date::from_unix_millis(NOW)
    }

    fn open(id: i64, due_in_days: i64, minor: i64, currency: Currency) -> OpenInvoice {
        OpenInvoice {
            id,
            store_id: 1,
            customer_id: 1,
            number: format!("2026-{id:04}"),
            customer_name: "Maria Pérez".into(),
            issue_date: today().add_days(-90 + id),
            due_date: Some(today().add_days(due_in_days)),
            total: Money::new(minor, currency),
            amount_due: Money::new(minor, currency),
            email: EmailState::NotSent,
            email_address: None,
            first_opened_ms: None,
            time_zone: TimeZone::default(),
        }
    }

    #[test]
    fn an_invoice_is_overdue_from_the_day_after_its_due_date() {
        let due = date("2026-11-30");
        assert_eq!(days_overdue(Some(due), date("2026-11-30")), 0);
        assert_eq!(days_overdue(Some(due), date("2026-12-01")), 1);
        assert_eq!(days_overdue(Some(due), date("2026-11-01")), 0);
        assert_eq!(days_overdue(None, date("2027-01-01")), 0);
    }

    #[test]
    fn overdue_invoices_are_bucketed_by_age_1_to_30_31_to_60_and_over_60_days() {
        assert_eq!(AgeBucket::of(0), None);
        assert_eq!(AgeBucket::of(1), Some(AgeBucket::Days1To30));
        assert_eq!(AgeBucket::of(30), Some(AgeBucket::Days1To30));
        assert_eq!(AgeBucket::of(31), Some(AgeBucket::Days31To60));
        assert_eq!(AgeBucket::of(60), Some(AgeBucket::Days31To60));
        assert_eq!(AgeBucket::of(61), Some(AgeBucket::Over60));
        for bucket in AgeBucket::ALL {
            assert_eq!(AgeBucket::parse(bucket.code()), Some(bucket));
        }
    }

    #[test]
    fn an_email_unopened_for_three_days_asks_for_the_address_to_be_checked() {
        let mut invoice = open(1, 10, 100, Currency::Eur);
        let sent = |days_ago: i64| EmailState::Sent {
            at_ms: NOW - days_ago * DAY_MS,
        };
        invoice.email = sent(2);
        assert!(!invoice.needs(Attention::Unopened, today(), NOW));
        invoice.email = sent(3);
        assert!(invoice.needs(Attention::Unopened, today(), NOW));
        invoice.first_opened_ms = Some(NOW - DAY_MS);
        assert!(
            !invoice.needs(Attention::Unopened, today(), NOW),
            "a person opened it"
        );
        assert!(invoice.needs(Attention::OpenedUnpaid, today(), NOW));
        invoice.first_opened_ms = None;
        invoice.email = EmailState::Queued;
        assert!(!invoice.needs(Attention::Unopened, today(), NOW));
    }

    #[test]
    fn due_soon_means_from_today_to_six_days_ahead() {
        for (due_in, soon) in [(-1, false), (0, true), (6, true), (7, false)] {
            let invoice = open(1, due_in, 100, Currency::Eur);
            assert_eq!(
                invoice.needs(Attention::DueSoon, today(), NOW),
                soon,
                "due in {due_in} days"
            );
        }
    }

    #[test]
    fn a_failed_email_is_listed_with_its_reason_whatever_else_happened() {
        let mut invoice = open(1, 10, 100, Currency::Eur);
        invoice.email = EmailState::Failed {
            reason: "550 5.1.1 no such user".into(),
        };
        assert!(invoice.needs(Attention::EmailFailed, today(), NOW));
        assert!(!invoice.needs(Attention::Unopened, today(), NOW));
    }

    #[test]
    fn figures_are_one_per_currency_and_never_add_currencies_together() {
        let open = [
            open(1, -5, 10_000, Currency::Eur),
            open(2, -40, 2_500, Currency::Eur),
            open(3, -70, 700, Currency::Usd),
            open(4, 3, 1_000, Currency::Eur),
        ];
        let page = super::today(&open, today(), NOW);
        assert_eq!(
            page.outstanding,
            vec![
                Figure {
                    amount: Money::new(13_500, Currency::Eur),
                    invoices: 3
                },
                Figure {
                    amount: Money::new(700, Currency::Usd),
                    invoices: 1
                },
            ]
        );
        assert_eq!(
            page.overdue,
            vec![
                Figure {
                    amount: Money::new(12_500, Currency::Eur),
                    invoices: 2
                },
                Figure {
                    amount: Money::new(700, Currency::Usd),
                    invoices: 1
                },
            ]
        );
        let age = |bucket| {
            page.by_age
                .iter()
                .find(|(age, _)| *age == bucket)
                .map(|(_, figures)| figures.clone())
                .expect("bucket")
        };
        assert_eq!(age(AgeBucket::Days1To30)[0].amount.minor, 10_000);
        assert_eq!(age(AgeBucket::Days31To60)[0].amount.minor, 2_500);
        assert_eq!(
            age(AgeBucket::Over60),
            vec![Figure {
                amount: Money::new(700, Currency::Usd),
                invoices: 1
            }]
        );
    }

    #[test]
    fn a_figure_counts_exactly_the_invoices_its_filter_lists() {
        let open: Vec<OpenInvoice> = (1..=40)
            .map(|id| open(id, 20 - id * 3, 100 * id, Currency::Eur))
            .collect();
        let page = super::today(&open, today(), NOW);
        for (bucket, figures) in &page.by_age {
            let filter = ChaseFilter::parse("", bucket.code(), "");
            let listed = open
                .iter()
                .filter(|invoice| filter.matches(invoice, today(), NOW))
                .count();
            assert_eq!(figures.first().map_or(0, |f| f.invoices), listed);
        }
        let overdue = ChaseFilter::parse("overdue", "", "");
        assert_eq!(
            page.overdue[0].invoices,
            open.iter()
                .filter(|invoice| overdue.matches(invoice, today(), NOW))
                .count()
        );
    }

    #[test]
    fn a_short_list_shows_five_oldest_first_and_counts_them_all() {
        let open: Vec<OpenInvoice> = (1..=8)
            .rev()
            .map(|id| {
                let mut invoice = open(id, 10, 100, Currency::Eur);
                invoice.first_opened_ms = Some(NOW);
                invoice
            })
            .collect();
        let list = short_list(&open, Attention::OpenedUnpaid, today(), NOW);
        assert_eq!(list.total, 8);
        assert_eq!(
            list.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn unknown_filter_words_filter_nothing() {
        assert!(ChaseFilter::parse("soon", "90", "all").is_empty());
        let filter = ChaseFilter::parse("overdue", "31-60", "opened-unpaid");
        assert_eq!(filter.due, Some(Due::Overdue));
        assert_eq!(filter.age, Some(AgeBucket::Days31To60));
        assert_eq!(filter.attention, Some(Attention::OpenedUnpaid));
    }

    #[test]
    fn a_statement_totals_each_currency_apart() {
        let item = |minor, currency| StatementItem {
            number: "1".into(),
            issue_date: today(),
            due_date: None,
            total: Money::new(minor, currency),
            settled: Money::new(0, currency),
            balance: Money::new(minor, currency),
        };
        let statement = Statement {
            language: crate::Language::En,
            from: "Bottega".into(),
            customer: crate::document::Party {
                name: "Maria".into(),
                address: Vec::new(),
                tax_id: None,
            },
            date: today(),
            items: vec![
                item(100, Currency::Usd),
                item(250, Currency::Eur),
                item(50, Currency::Eur),
            ],
        };
        assert_eq!(
            statement.totals(),
            vec![
                Money::new(300, Currency::Eur),
                Money::new(100, Currency::Usd)
            ]
        );
    }
}
