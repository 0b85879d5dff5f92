//! VERI*FACTU records are a merchant's fiscal record: a stranger's account
//! that claims the merchant's NIF for a store of its own keeps a chain of
//! its own (each organisation is its own installation), so it can neither
//! join the merchant's chain nor break it, and never reads its records.

use server::db::verifactu::{chains, for_invoice, records_after};
use server::verify_verifactu::{verify, Verdict};

use crate::support::{databases, World, SPANISH_STORE_NIF};

#[tokio::test]
async fn a_stranger_claiming_the_merchants_nif_keeps_a_chain_of_its_own() {
    for db in databases().await {
        let merchant = World::new(db.clone()).await;
        merchant.make_spanish().await;
        let squatter = World::for_owner(db.clone(), "squatter@example.es").await;
        squatter.make_spanish().await;
        let first = merchant.issued().await;
        let foreign = squatter.issued().await;
        let second = merchant.issued().await;

        let ours = chains(&db, Some(merchant.user().organisation))
            .await
            .expect("chains");
        let theirs = chains(&db, Some(squatter.user().organisation))
            .await
            .expect("chains");
        assert_eq!((ours.len(), theirs.len()), (1, 1));
        assert_eq!(ours[0].issuer_nif, SPANISH_STORE_NIF);
        assert_eq!(theirs[0].issuer_nif, SPANISH_STORE_NIF);
        assert_ne!(ours[0].id, theirs[0].id);

        let records = records_after(&db, ours[0].id, 0, 100)
            .await
            .expect("records");
        assert_eq!(
            records
                .iter()
                .map(|record| (record.sequence, record.invoice_id))
                .collect::<Vec<_>>(),
            [(1, first), (2, second)],
            "the stranger's invoice is not in the merchant's chain"
        );
        assert!(
            records[1].xml.contains(&records[0].huella),
            "the merchant's second record chains to its first"
        );
        assert!(records[0].xml.contains(&format!(
            "<sf:NumeroInstalacion>{}</sf:NumeroInstalacion>",
            merchant.user().organisation.0
        )));
        assert_eq!(
            verify(&db, None).await.expect("verified"),
            Verdict::Intact {
                records: 3,
                chains: 2
            }
        );
        assert!(
            for_invoice(&db, squatter.user().organisation, first)
                .await
                .expect("read")
                .is_empty(),
            "the merchant's records are not the stranger's to read"
        );
        assert_eq!(
            for_invoice(&db, squatter.user().organisation, foreign)
                .await
                .expect("read")
                .len(),
            1
        );
    }
}
