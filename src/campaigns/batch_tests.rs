//! Batches on a real brand database: the launch only stores recipients; batches queue them in
//! order, paced, each once; a batch that fails leaves nothing behind; an opt-out that arrives
//! between batches wins; a cancel leaves the rest out.

use rusqlite::{Connection, params};

use super::super::{optout, store, test_seed};
use super::{CANCELLED, OPTED_OUT, queue};
use crate::db::test_support::with_brand;
use crate::error::AppError;
use crate::whatsapp::payload::{Message, MessageKind};

const NOW: i64 = 1_700_000_000_000;

fn seed(c: &Connection, customers: i64) -> Result<i64, AppError> {
    test_seed::consenting_vips(c, customers)?;
    test_seed::manual_campaign(c, &["nombre"], None, NOW)
}

/// (customer, queue state, outbox not-before) for every recipient of campaign `id`.
fn states(c: &Connection, id: i64) -> Vec<(i64, String, Option<i64>)> {
    c.prepare(
        "SELECT q.cliente_id, q.estado, o.proximo_intento_en FROM campana_cola q
         LEFT JOIN outbox o ON o.clave = 'campana:' || q.campana_id || ':' || q.cliente_id
         WHERE q.campana_id = ?1 ORDER BY q.cliente_id",
    )
    .unwrap()
    .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn batches_queue_each_recipient_once_in_order_and_honour_a_later_opt_out() {
    with_brand(|db| async move {
        let id = db
            .write(|c| {
                let id = seed(c, 5)?;
                assert_eq!(store::launch(c, id, chrono_tz::America::Lima, NOW)?, 5);
                Ok(id)
            })
            .await
            .unwrap();
        // The launch wrote no message: everyone waits.
        let waiting = db.read(move |c| Ok(states(c, id))).await.unwrap();
        assert!(
            waiting
                .iter()
                .all(|(_, s, o)| s == "pendiente" && o.is_none())
        );

        // A batch that fails half-way (a crash in its write) leaves nothing behind.
        let failed = db
            .write(move |c| -> Result<(), AppError> {
                queue(c, id, 10, NOW, 2)?;
                Err(AppError::internal("crash"))
            })
            .await;
        assert!(failed.is_err());
        let after = db.read(move |c| Ok(states(c, id))).await.unwrap();
        assert_eq!(after, waiting, "the failed batch was rolled back whole");

        // Two recipients, paced at 10 per second from the launch.
        let n = db.write(move |c| queue(c, id, 10, NOW, 2)).await.unwrap();
        assert_eq!(n, 2);
        // Customer 4 writes STOP before their batch.
        db.write(|c| {
            let stop = Message {
                id: "wamid.stop4".into(),
                from: "51999000004".into(),
                from_user_id: None,
                timestamp: NOW / 1000,
                context: None,
                referral: None,
                kind: MessageKind::Text {
                    body: "STOP".into(),
                },
            };
            optout::handle(c, 4, None, &stop, NOW + 50)
        })
        .await
        .unwrap();
        // The next batch goes on from the slot after the last one handled (a left-out
        // recipient takes no slot).
        let n = db
            .write(move |c| queue(c, id, 10, NOW + 10, 10))
            .await
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            db.write(move |c| queue(c, id, 10, NOW + 20, 10))
                .await
                .unwrap(),
            0,
            "nothing left"
        );
        let done = db.read(move |c| Ok(states(c, id))).await.unwrap();
        assert_eq!(
            done,
            vec![
                (1, "encolado".into(), Some(NOW)),
                (2, "encolado".into(), Some(NOW + 100)),
                (3, "encolado".into(), Some(NOW + 200)),
                (4, "omitido".into(), None),
                (5, "encolado".into(), Some(NOW + 300)),
            ]
        );
        let (sends, timeline, reason) = db
            .read(move |c| {
                Ok((
                    count(c, "SELECT COUNT(*) FROM campana_destinatarios"),
                    count(
                        c,
                        "SELECT COUNT(*) FROM interacciones WHERE tipo = 'campana'",
                    ),
                    c.query_row(
                        "SELECT motivo FROM campana_cola WHERE cliente_id = 4",
                        [],
                        |r| r.get::<_, String>(0),
                    )?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(
            (sends, timeline),
            (4, 4),
            "one send and one timeline entry each"
        );
        assert_eq!(reason, OPTED_OUT);
        let recipients = db
            .read(move |c| super::super::results::recipients(c, id))
            .await
            .unwrap();
        let four = recipients.iter().find(|r| r.cliente_id == 4).unwrap();
        assert_eq!(
            (four.estado.as_str(), four.motivo.as_deref()),
            ("fallido", Some(OPTED_OUT))
        );
        let queued: Vec<_> = recipients
            .iter()
            .filter(|r| r.cliente_id != 4)
            .map(|r| (r.cliente_id, r.estado.as_str(), r.encolado_en))
            .collect();
        assert_eq!(
            queued,
            vec![
                (1, "en_cola", Some(NOW)),
                (2, "en_cola", Some(NOW)),
                (3, "en_cola", Some(NOW + 10)),
                (5, "en_cola", Some(NOW + 10)),
            ]
        );
    });
}

#[test]
fn a_cancel_leaves_out_who_was_not_queued_and_a_schedule_waits_for_its_time() {
    with_brand(|db| async move {
        let at = NOW + 60_000;
        let id = db
            .write(move |c| {
                let id = seed(c, 3)?;
                c.execute(
                    "UPDATE campanas SET programada_para = ?2 WHERE id = ?1",
                    params![id, at],
                )?;
                store::launch(c, id, chrono_tz::America::Lima, NOW)?;
                Ok(id)
            })
            .await
            .unwrap();
        let k = db
            .read(move |c| store::get(c, id, NOW))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(k.estado, "programada");
        assert_eq!(
            db.read(|c| super::due(c, NOW)).await.unwrap(),
            None,
            "not before its time"
        );
        assert_eq!(
            db.write(move |c| queue(c, id, 10, NOW, 10)).await.unwrap(),
            0
        );
        assert_eq!(db.read(move |c| super::due(c, at)).await.unwrap(), Some(id));
        assert_eq!(db.write(move |c| queue(c, id, 10, at, 1)).await.unwrap(), 1);
        let k = db
            .read(move |c| store::get(c, id, at))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(k.estado, "enviando");
        db.write(move |c| store::cancel(c, id, at)).await.unwrap();
        assert_eq!(db.read(move |c| super::due(c, at)).await.unwrap(), None);
        let recipients = db
            .read(move |c| super::super::results::recipients(c, id))
            .await
            .unwrap();
        let reasons: Vec<_> = recipients
            .iter()
            .map(|r| (r.estado.as_str(), r.motivo.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("fallido", "campaña cancelada / campaign cancelled"),
                ("fallido", CANCELLED),
                ("fallido", CANCELLED),
            ]
        );
    });
}
