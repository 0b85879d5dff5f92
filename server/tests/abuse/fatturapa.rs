//! FatturaPA files are a merchant's fiscal documents: a stranger's account
//! cannot read them, and cannot spoil the merchant's file names at SdI by
//! claiming the merchant's partita IVA for a store of its own (SdI refuses a
//! second file of the same name, so two files may never share one).

use axum::http::StatusCode;

use crate::support::{body_text, databases, get, router, World};

#[tokio::test]
async fn another_organisation_never_downloads_a_fatturapa_file() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        world.make_italian().await;
        let id = world.issued().await;
        let stranger = World::for_owner(db, "stranger@example.it").await;
        let path = format!("/invoices/{id}/fatturapa.xml");
        let router = router(world.services.clone());
        let theirs = get(&router, &path, Some(&stranger.merchant.session)).await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
        let anonymous = get(&router, &path, None).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        let ours = get(&router, &path, Some(&world.merchant.session)).await;
        assert_eq!(ours.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_stranger_claiming_the_merchants_partita_iva_never_takes_its_file_names() {
    for db in databases().await {
        let merchant = World::new(db.clone()).await;
        merchant.make_italian().await;
        let squatter = World::for_owner(db, "squatter@example.it").await;
        squatter.make_italian().await;
        let mut names = Vec::new();
        for world in [&merchant, &squatter, &merchant] {
            let id = world.issued().await;
            let router = router(world.services.clone());
            let file = get(
                &router,
                &format!("/invoices/{id}/fatturapa.xml"),
                Some(&world.merchant.session),
            )
            .await;
            assert_eq!(file.status(), StatusCode::OK);
            let xml = body_text(file).await;
            let progressive = xml
                .split("<ProgressivoInvio>")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .expect("a progressive")
                .to_owned();
            names.push(progressive);
        }
        assert_eq!(names, ["00001", "00002", "00003"]);
    }
}
