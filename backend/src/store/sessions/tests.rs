//! The session store on a real SQLite file and, when configured, a real PostgreSQL database.
//! (Over 500 lines: one test per store function, each on both databases.)

use std::sync::Arc;

use super::*;
use crate::store::test_db::test_databases;

const ISSUER: &str = "https://auth.store.example";
const APP: &str = "app-1";
const NOW: i64 = 1_764_500_000_000;
const MINUTE: i64 = 60_000;

/// Stores session `id` of `subject` in `application` with key `jkt-<id>` and the given JWT
/// hashes (each valid for 5 minutes from `NOW`).
async fn create(
    pool: &AnyPool,
    id: &str,
    subject: &str,
    application: &str,
    refresh_token_id: Option<&str>,
    token_hashes: &[&str],
) {
    let jkt = format!("jkt-{id}");
    let tokens: Vec<SessionToken<'_>> = token_hashes
        .iter()
        .map(|hash| SessionToken {
            hash,
            expires_at_millis: NOW + 5 * MINUTE,
        })
        .collect();
    create_device_session(
        pool,
        &NewDeviceSession {
            id,
            issuer: ISSUER,
            subject,
            application_id: application,
            jkt: &jkt,
            refresh_token_id,
            sealed_refresh_token: "sealed-refresh",
            sealed_access_token: "sealed-access",
            device_label: "Safari on iPhone",
            now_millis: NOW,
        },
        &tokens,
    )
    .await
    .expect("session stored");
}

/// Session `id` as stored, if it is.
async fn stored_session(pool: &AnyPool, id: &str) -> Option<StoredDeviceSession> {
    find_device_session(pool, id).await.expect("query runs")
}

/// The ids of `subject`'s sessions, as [`list_device_sessions`] lists them.
async fn listed(pool: &AnyPool, subject: &str) -> Vec<String> {
    list_device_sessions(pool, ISSUER, subject)
        .await
        .expect("query runs")
        .into_iter()
        .map(|session| session.id)
        .collect()
}

/// Takes session `id`'s refresh lease for `owner` at `now`, for 30 s; the generation when taken.
async fn take_lease(pool: &AnyPool, id: &str, owner: &str, now: i64) -> Option<i64> {
    take_refresh_lease(pool, id, owner, now, now + 30_000)
        .await
        .expect("runs")
}

async fn session_of_token(pool: &AnyPool, hash: &str, now: i64) -> Option<String> {
    find_device_session_by_token(pool, hash, now)
        .await
        .expect("query runs")
        .map(|session| session.id)
}

#[tokio::test]
async fn a_session_is_stored_with_its_tokens_and_found_by_any_of_them_until_they_expire() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(
            pool,
            "s1",
            "u1",
            APP,
            Some("rt-1"),
            &["login-jwt", "first-jwt"],
        )
        .await;
        let stored = stored_session(pool, "s1").await.expect("stored");
        assert_eq!(
            stored,
            StoredDeviceSession {
                id: "s1".into(),
                issuer: ISSUER.into(),
                subject: "u1".into(),
                application_id: APP.into(),
                jkt: "jkt-s1".into(),
                refresh_token_id: Some("rt-1".into()),
                sealed_refresh_token: "sealed-refresh".into(),
                sealed_access_token: "sealed-access".into(),
                device_label: "Safari on iPhone".into(),
                created_at: NOW,
                last_used_at: NOW,
                generation: 0,
                refresh_lease_until: None,
                refresh_lease_owner: None,
            },
            "{}",
            db.kind
        );
        assert!(!format!("{stored:?}").contains("sealed-refresh"));
        for hash in ["login-jwt", "first-jwt"] {
            assert_eq!(
                session_of_token(pool, hash, NOW).await.as_deref(),
                Some("s1"),
                "{}",
                db.kind
            );
            assert_eq!(
                session_of_token(pool, hash, NOW + 5 * MINUTE)
                    .await
                    .as_deref(),
                Some("s1"),
                "{}: valid through its expiry",
                db.kind
            );
            assert_eq!(
                session_of_token(pool, hash, NOW + 5 * MINUTE + 1).await,
                None,
                "{}",
                db.kind
            );
        }
        assert_eq!(session_of_token(pool, "unknown-jwt", NOW).await, None);
        assert!(stored_session(pool, "s2").await.is_none());
    }
}

#[tokio::test]
async fn a_second_session_with_the_same_id_key_or_token_is_refused_and_stores_nothing() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &["jwt-1"]).await;
        let attempts = [
            ("the same id", "s1", "jkt-other", "jwt-2"),
            ("the same key", "s2", "jkt-s1", "jwt-3"),
        ];
        for (case, id, jkt, hash) in attempts {
            let result = create_device_session(
                pool,
                &NewDeviceSession {
                    id,
                    issuer: ISSUER,
                    subject: "u2",
                    application_id: APP,
                    jkt,
                    refresh_token_id: None,
                    sealed_refresh_token: "r",
                    sealed_access_token: "a",
                    device_label: "Unknown device",
                    now_millis: NOW,
                },
                &[SessionToken {
                    hash,
                    expires_at_millis: NOW + MINUTE,
                }],
            )
            .await;
            assert!(result.is_err(), "{}: {case}", db.kind);
            assert_eq!(
                session_of_token(pool, hash, NOW).await,
                None,
                "{}: {case}",
                db.kind
            );
        }
        assert!(listed(pool, "u2").await.is_empty(), "{}", db.kind);
    }
}

#[tokio::test]
async fn touching_a_session_moves_its_last_use_only_when_it_is_old_enough() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &[]).await;
        let last_used = |pool| async move {
            stored_session(pool, "s1")
                .await
                .expect("stored")
                .last_used_at
        };
        assert!(
            !touch_device_session(pool, "s1", NOW + 30_000, NOW)
                .await
                .expect("runs"),
            "{}: used less than a minute ago",
            db.kind
        );
        assert_eq!(last_used(pool).await, NOW);
        assert!(
            touch_device_session(pool, "s1", NOW + MINUTE + 1, NOW + 1)
                .await
                .expect("runs")
        );
        assert_eq!(last_used(pool).await, NOW + MINUTE + 1, "{}", db.kind);
        assert!(
            !touch_device_session(pool, "gone", NOW, NOW + MINUTE)
                .await
                .expect("runs")
        );
    }
}

/// `attempts` owners try to take the lease of one session at the same instant.
async fn race_for_the_lease(pool: &AnyPool, attempts: usize, now: i64) -> Vec<String> {
    let start = Arc::new(tokio::sync::Barrier::new(attempts));
    let mut tasks = tokio::task::JoinSet::new();
    for attempt in 0..attempts {
        let pool = pool.clone();
        let start = start.clone();
        tasks.spawn(async move {
            let owner = format!("instance-{attempt}");
            start.wait().await;
            take_refresh_lease(&pool, "s1", &owner, now, now + 30_000)
                .await
                .expect("the statement runs")
                .map(|_| owner)
        });
    }
    let mut winners = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        winners.extend(outcome.expect("the task completes"));
    }
    winners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_lease_attempts_on_one_session_exactly_one_wins() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &[]).await;
        for (now, attempts) in (NOW..).zip([2, 2, 2, 20, 20]) {
            let winners = race_for_the_lease(pool, attempts, now).await;
            assert_eq!(
                winners.len(),
                1,
                "{}: {attempts} attempts, winners {winners:?}",
                db.kind
            );
            let stored = stored_session(pool, "s1").await.expect("stored");
            assert_eq!(
                stored.refresh_lease_owner.as_ref(),
                winners.first(),
                "{}",
                db.kind
            );
            assert!(
                release_refresh_lease(pool, "s1", &winners[0])
                    .await
                    .expect("runs")
            );
        }
    }
}

#[tokio::test]
async fn a_lease_is_released_by_its_owner_only_and_taken_over_once_it_runs_out() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &[]).await;
        assert_eq!(
            take_lease(pool, "s1", "a", NOW).await,
            Some(0),
            "{}",
            db.kind
        );
        assert_eq!(
            take_lease(pool, "s1", "b", NOW + 29_999).await,
            None,
            "{}: held by a",
            db.kind
        );
        assert!(
            !release_refresh_lease(pool, "s1", "b").await.expect("runs"),
            "{}",
            db.kind
        );
        assert_eq!(
            take_lease(pool, "s1", "b", NOW + 1).await,
            None,
            "{}: still held by a",
            db.kind
        );
        assert!(release_refresh_lease(pool, "s1", "a").await.expect("runs"));
        assert_eq!(
            take_lease(pool, "s1", "b", NOW + 2).await,
            Some(0),
            "{}: released",
            db.kind
        );
        assert_eq!(
            take_lease(pool, "s1", "c", NOW + 30_003).await,
            Some(0),
            "{}: b's lease ran out (b crashed)",
            db.kind
        );
        assert_eq!(
            take_refresh_lease(pool, "gone", "a", NOW, NOW + 1)
                .await
                .expect("runs"),
            None
        );
    }
}

#[tokio::test]
async fn a_refresh_is_recorded_only_by_the_lease_holder_at_its_generation() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, Some("rt-1"), &["jwt-0"]).await;
        let generation = take_lease(pool, "s1", "winner", NOW).await.expect("taken");
        // `owner` records a refresh at `generation` with the new JWT `hash`; true when written.
        let record = |owner, generation, hash, refresh_token_id| async move {
            let refresh = RecordedRefresh {
                id: "s1",
                owner,
                generation,
                refresh_token_id,
                sealed_refresh_token: "sealed-refresh-2",
                sealed_access_token: "sealed-access-2",
                token: SessionToken {
                    hash,
                    expires_at_millis: NOW + 10 * MINUTE,
                },
                now_millis: NOW + 1000,
            };
            record_refresh(pool, &refresh).await.expect("runs")
        };
        let refused = [
            ("loser", generation, "not the lease holder"),
            ("winner", generation + 1, "not the generation it took"),
        ];
        for (owner, generation, case) in refused {
            let recorded = record(owner, generation, "jwt-x", None).await;
            assert!(!recorded, "{}: {case}", db.kind);
        }
        assert_eq!(
            session_of_token(pool, "jwt-x", NOW).await,
            None,
            "{}",
            db.kind
        );

        assert!(record("winner", generation, "jwt-1", None).await);
        let stored = stored_session(pool, "s1").await.expect("stored");
        assert_eq!(
            (
                stored.generation,
                stored.sealed_refresh_token.as_str(),
                stored.sealed_access_token.as_str(),
                stored.refresh_token_id.as_deref(),
                stored.last_used_at,
                stored.refresh_lease_until,
                stored.refresh_lease_owner.as_deref(),
            ),
            (
                1,
                "sealed-refresh-2",
                "sealed-access-2",
                Some("rt-1"),
                NOW + 1000,
                None,
                None
            ),
            "{}",
            db.kind
        );
        assert_eq!(
            session_of_token(pool, "jwt-1", NOW).await.as_deref(),
            Some("s1")
        );
        assert_eq!(
            session_of_token(pool, "jwt-0", NOW).await.as_deref(),
            Some("s1"),
            "{}: the previous JWT stays bound until it expires",
            db.kind
        );
        let spent = record("winner", generation, "jwt-1", None).await;
        assert!(!spent, "{}: the lease is spent", db.kind);

        let next = take_lease(pool, "s1", "winner", NOW + 2000)
            .await
            .expect("taken");
        assert_eq!(next, 1);
        assert!(record("winner", next, "jwt-2", Some("rt-2")).await);
        let stored = stored_session(pool, "s1").await.expect("stored");
        assert_eq!(
            (stored.generation, stored.refresh_token_id.as_deref()),
            (2, Some("rt-2"))
        );

        let lease = take_lease(pool, "s1", "winner", NOW + 3000)
            .await
            .expect("taken");
        assert!(delete_device_session(pool, "s1").await.expect("runs"));
        let after_the_end = record("winner", lease, "jwt-3", None).await;
        assert!(!after_the_end, "{}: the session ended meanwhile", db.kind);
        assert_eq!(
            session_of_token(pool, "jwt-3", NOW).await,
            None,
            "{}",
            db.kind
        );
    }
}

#[tokio::test]
async fn sessions_end_by_id_refresh_token_user_or_application_and_take_their_tokens_along() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "a1", "alice", APP, Some("rt-a1"), &["jwt-a1"]).await;
        create(pool, "a2", "alice", APP, Some("rt-a2"), &["jwt-a2"]).await;
        create(pool, "a3", "alice", "app-2", Some("rt-a3"), &["jwt-a3"]).await;
        create(pool, "b1", "bob", APP, Some("rt-b1"), &["jwt-b1"]).await;
        create(pool, "c1", "carol", APP, None, &["jwt-c1"]).await;
        create(pool, "d1", "dave", "app-2", None, &["jwt-d1"]).await;

        assert!(delete_device_session(pool, "c1").await.expect("runs"));
        assert!(
            !delete_device_session(pool, "c1").await.expect("runs"),
            "{}: already gone",
            db.kind
        );
        let endings = [
            (
                SessionSelection::RefreshTokenId("rt-a2"),
                &["a2"][..],
                "its refresh token",
            ),
            (
                SessionSelection::RefreshTokenId("rt-unknown"),
                &[],
                "an unknown refresh token",
            ),
            (
                SessionSelection::User {
                    issuer: ISSUER,
                    subject: "alice",
                },
                &["a1", "a3"],
                "alice's, in every application",
            ),
            (
                SessionSelection::User {
                    issuer: "https://other.issuer",
                    subject: "bob",
                },
                &[],
                "another issuer's bob",
            ),
            (SessionSelection::Application("app-2"), &["d1"], "app-2's"),
        ];
        for (selection, ended, case) in endings {
            let mut ids = delete_device_sessions(pool, selection).await.expect("runs");
            ids.sort();
            assert_eq!(ids, ended, "{}: {case}", db.kind);
        }

        for gone in ["a1", "a2", "a3", "c1", "d1"] {
            assert!(
                stored_session(pool, gone).await.is_none(),
                "{}: {gone}",
                db.kind
            );
            let token = format!("jwt-{gone}");
            assert_eq!(
                session_of_token(pool, &token, NOW).await,
                None,
                "{}: {token}",
                db.kind
            );
        }
        assert_eq!(
            session_of_token(pool, "jwt-b1", NOW).await.as_deref(),
            Some("b1")
        );
        let orphans: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM device_session_tokens WHERE session_id <> 'b1'")
                .fetch_one(pool)
                .await
                .expect("runs");
        assert_eq!(
            orphans.0, 0,
            "{}: no token hash outlives its session",
            db.kind
        );
    }
}

#[tokio::test]
async fn a_users_sessions_are_listed_oldest_first_and_no_one_elses() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s2", "u1", APP, None, &[]).await;
        create(pool, "s1", "u1", APP, None, &[]).await;
        create(pool, "s3", "u2", APP, None, &[]).await;
        touch_device_session(pool, "s2", NOW + MINUTE, NOW + 1)
            .await
            .expect("runs");
        assert_eq!(
            listed(pool, "u1").await,
            ["s1", "s2"],
            "{}: same creation time, then by id",
            db.kind
        );
        assert!(listed(pool, "nobody").await.is_empty(), "{}", db.kind);
    }
}

#[tokio::test]
async fn expired_token_hashes_are_pruned_and_live_ones_kept() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &["old-1", "old-2"]).await;
        let lease = take_refresh_lease(pool, "s1", "i", NOW, NOW + 1)
            .await
            .expect("runs")
            .expect("taken");
        record_refresh(
            pool,
            &RecordedRefresh {
                id: "s1",
                owner: "i",
                generation: lease,
                refresh_token_id: None,
                sealed_refresh_token: "r",
                sealed_access_token: "a",
                token: SessionToken {
                    hash: "new",
                    expires_at_millis: NOW + 20 * MINUTE,
                },
                now_millis: NOW,
            },
        )
        .await
        .expect("runs");
        let prunes = [
            (
                5 * MINUTE,
                0,
                "expiring this very millisecond is not expired",
            ),
            (6 * MINUTE, 2, "the two login JWTs expired"),
        ];
        for (after, pruned, case) in prunes {
            assert_eq!(
                prune_device_session_tokens(pool, NOW + after)
                    .await
                    .expect("runs"),
                pruned,
                "{}: {case}",
                db.kind
            );
        }
        assert_eq!(
            session_of_token(pool, "new", NOW).await.as_deref(),
            Some("s1")
        );
        assert!(
            stored_session(pool, "s1").await.is_some(),
            "{}: the session stays",
            db.kind
        );
    }
}
