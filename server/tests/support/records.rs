//! VERI*FACTU records kept as the issue path keeps them (0015's tables,
//! built by `invoice::verifactu`, chained, one sequence after another),
//! for the sender's tests that need many records, or particular ones (a
//! customer the AEAT's census lacks), faster than issuing each invoice.

use invoice::dates::Date;
use invoice::document::{totals, DocumentLine, Party, PublicDocument};
use invoice::organisation::OrganisationId;
use invoice::spain::{Nif, RecipientId, SpanishSeller};
use invoice::verifactu::{
    AltaInput, AnulacionInput, ChainLink, InvoiceType, Recipient, Record, RecordKind, RegistroAlta,
    RegistroAnulacion, SistemaInformatico,
};
use invoice::{Currency, Language};
use server::db::{now_ms, Db};
use sqlx::Row;

/// The store's NIF in these tests: the AEAT's own example NIF.
pub const SELLER_NIF: &str = "89890001K";
/// A customer the stand-in's census knows.
pub const CUSTOMER_NIF: &str = "12345678Z";

/// One chain of records, appended to in order.
pub struct KeptChain {
    pub organisation: OrganisationId,
    pub store_id: i64,
    pub chain_id: i64,
    pub issuer: SpanishSeller,
    last: Option<ChainLink>,
    next_sequence: i64,
}

fn nif(text: &str) -> Nif {
    Nif::parse(text).unwrap_or_else(|problem| panic!("{text}: {problem:?}"))
}

fn system(organisation: OrganisationId) -> SistemaInformatico {
    SistemaInformatico {
        producer_name: "Invio Test".into(),
        producer_nif: nif("89890002E"),
        system_name: "Invio".into(),
        system_id: "IV".into(),
        version: "0.1.0".into(),
        installation_number: organisation.0.to_string(),
        only_verifactu: true,
        multiple_taxpayers_possible: true,
        multiple_taxpayers: true,
    }
}

impl KeptChain {
    /// The organisation's chain for `nif` (made when it has none).
    pub async fn open(db: &Db, organisation: OrganisationId, store_id: i64, nif: &str) -> Self {
        sqlx::query(
            "INSERT INTO verifactu_chains (organisation_id, issuer_nif, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (organisation_id, issuer_nif) DO NOTHING",
        )
        .bind(organisation.0)
        .bind(nif)
        .bind(now_ms())
        .execute(&db.pool)
        .await
        .expect("a chain");
        let chain_id: i64 = sqlx::query_scalar(
            "SELECT id FROM verifactu_chains WHERE organisation_id = $1 AND issuer_nif = $2",
        )
        .bind(organisation.0)
        .bind(nif)
        .fetch_one(&db.pool)
        .await
        .expect("the chain");
        KeptChain {
            organisation,
            store_id,
            chain_id,
            issuer: SpanishSeller {
                nif: self::nif(nif),
                legal_name: "Taller Ruiz S.L.".into(),
            },
            last: None,
            next_sequence: 1,
        }
    }

    /// Keeps the alta of invoice `invoice_id` numbered `number`, for a
    /// customer identified by `recipient_nif`; returns the record's id.
    pub async fn alta(
        &mut self,
        db: &Db,
        invoice_id: i64,
        number: &str,
        recipient_nif: &str,
    ) -> i64 {
        let now = now_ms();
        let lines = vec![DocumentLine {
            description: "Reparación".into(),
            quantity_milli: 1_000,
            unit_price_minor: 10_000,
            tax_rate_bp: 2_100,
            natura: None,
            treatment: None,
        }];
        let document = PublicDocument {
            language: Language::Es,
            number: number.into(),
            issue_date: Date::from_unix_millis(now),
            due_date: None,
            currency: Currency::Eur,
            seller: Party {
                name: self.issuer.legal_name.clone(),
                address: vec!["Calle Mayor 1".into(), "28013 Madrid".into()],
                tax_id: Some(self.issuer.nif.as_str().to_owned()),
            },
            customer: Party {
                name: "Cliente S.A.".into(),
                address: Vec::new(),
                tax_id: Some(recipient_nif.into()),
            },
            totals: totals(&lines, Currency::Eur).expect("totals"),
            lines,
            notes: String::new(),
            legal_channel: None,
            corrects: None,
            tax_agency_check: None,
            simplified: false,
        };
        let recipient = Recipient {
            name: "Cliente S.A.".into(),
            id: RecipientId::Nif(nif(recipient_nif)),
        };
        let system = system(self.organisation);
        let alta = RegistroAlta::build(&AltaInput {
            document: &document,
            invoice_type: InvoiceType::F1,
            issuer: &self.issuer,
            recipient: Some(&recipient),
            previous: self.last.as_ref(),
            system: &system,
            generated_at_ms: now,
        })
        .expect("a valid alta");
        self.keep(db, invoice_id, number, &alta.record(), now).await
    }

    /// Keeps the anulación of invoice `invoice_id`, numbered `number`.
    pub async fn anulacion(&mut self, db: &Db, invoice_id: i64, number: &str) -> i64 {
        let now = now_ms();
        let system = system(self.organisation);
        let anulacion = RegistroAnulacion::build(&AnulacionInput {
            issuer_nif: &self.issuer.nif,
            number,
            issue_date: Date::from_unix_millis(now),
            previous: self.last.as_ref(),
            system: &system,
            generated_at_ms: now,
        })
        .expect("a valid anulación");
        self.keep(db, invoice_id, number, &anulacion.record(), now)
            .await
    }

    async fn keep(
        &mut self,
        db: &Db,
        invoice_id: i64,
        number: &str,
        record: &Record,
        now: i64,
    ) -> i64 {
        let (kind, invoice_type) = match record.kind {
            RecordKind::Alta => ("alta", Some("F1")),
            RecordKind::Anulacion => ("anulacion", None),
        };
        let id: i64 = sqlx::query(
            "INSERT INTO verifactu_records (organisation_id, store_id, invoice_id, chain_id, sequence, kind, invoice_type,
                                            number, issue_date, huella, xml, generated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(self.organisation.0)
        .bind(self.store_id)
        .bind(invoice_id)
        .bind(self.chain_id)
        .bind(self.next_sequence)
        .bind(kind)
        .bind(invoice_type)
        .bind(number)
        .bind(Date::from_unix_millis(now).to_string())
        .bind(&record.huella)
        .bind(&record.xml)
        .bind(now)
        .fetch_one(&db.pool)
        .await
        .expect("a kept record")
        .try_get(0)
        .expect("its id");
        self.next_sequence += 1;
        self.last = Some(record.link.clone());
        id
    }
}

/// Every record of the chain as stored, in order: what verify_chain reads.
pub async fn stored_xml(db: &Db, chain_id: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT xml FROM verifactu_records WHERE chain_id = $1 ORDER BY sequence")
        .bind(chain_id)
        .fetch_all(&db.pool)
        .await
        .expect("records")
}
