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
        let stored = find_device_session(pool, "s1")
            .await
            .expect("query runs")
            .expect("stored");
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
        assert!(
            find_device_session(pool, "s2")
                .await
                .expect("query runs")
                .is_none()
        );
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
        assert_eq!(
            list_device_sessions(pool, ISSUER, "u2")
                .await
                .expect("query runs"),
            [],
            "{}",
            db.kind
        );
    }
}

#[tokio::test]
async fn touching_a_session_moves_its_last_use_only_when_it_is_old_enough() {
    for db in test_databases().await {
        let pool = &db.pool;
        create(pool, "s1", "u1", APP, None, &[]).await;
        let last_used = |pool| async move {
            find_device_session(pool, "s1")
                .await
                .expect("query runs")
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
            let stored = find_device_session(pool, "s1")
                .await
                .expect("query runs")
                .expect("stored");
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
        let take = |owner: &'static str, now: i64| async move {
            take_refresh_lease(pool, "s1", owner, now, now + 30_000)
                .await
                .expect("runs")
        };
        assert_eq!(take("a", NOW).await, Some(0), "{}", db.kind);
        assert_eq!(
            take("b", NOW + 29_999).await,
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
            take("b", NOW + 1).await,
            None,
            "{}: still held by a",
            db.kind
        );
        assert!(release_refresh_lease(pool, "s1", "a").await.expect("runs"));
        assert_eq!(take("b", NOW + 2).await, Some(0), "{}: released", db.kind);
        assert_eq!(
            take("c", NOW + 30_003).await,
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
        let generation = take_refresh_lease(pool, "s1", "winner", NOW, NOW + 30_000)
            .await
            .expect("runs")
            .expect("taken");
        let refresh = |owner, generation, hash, refresh_token_id| RecordedRefresh {
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
        assert!(
            !record_refresh(pool, &refresh("loser", generation, "jwt-x", None))
                .await
                .expect("runs"),
            "{}: not the lease holder",
            db.kind
        );
        assert!(
            !record_refresh(pool, &refresh("winner", generation + 1, "jwt-x", None))
                .await
                .expect("runs"),
            "{}: not the generation it took",
            db.kind
        );
        assert_eq!(
            session_of_token(pool, "jwt-x", NOW).await,
            None,
            "{}",
            db.kind
        );

        assert!(
            record_refresh(pool, &refresh("winner", generation, "jwt-1", None))
                .await
                .expect("runs")
        );
        let stored = find_device_session(pool, "s1")
            .await
            .expect("query runs")
            .expect("stored");
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
        assert!(
            !record_refresh(pool, &refresh("winner", generation, "jwt-1", None))
                .await
                .expect("runs"),
            "{}: the lease is spent",
            db.kind
        );

        let next = take_refresh_lease(pool, "s1", "winner", NOW + 2000, NOW + 32_000)
            .await
            .expect("runs")
            .expect("taken");
        assert_eq!(next, 1);
        assert!(
            record_refresh(pool, &refresh("winner", next, "jwt-2", Some("rt-2")))
                .await
                .expect("runs")
        );
        let stored = find_device_session(pool, "s1")
            .await
            .expect("runs")
            .expect("stored");
        assert_eq!(
            (stored.generation, stored.refresh_token_id.as_deref()),
            (2, Some("rt-2"))
        );

        let lease = take_refresh_lease(pool, "s1", "winner", NOW + 3000, NOW + 33_000)
            .await
            .expect("runs")
            .expect("taken");
        assert!(delete_device_session(pool, "s1").await.expect("runs"));
        assert!(
            !record_refresh(pool, &refresh("winner", lease, "jwt-3", None))
                .await
                .expect("runs"),
            "{}: the session ended meanwhile",
            db.kind
        );
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
        assert_eq!(
            delete_device_sessions_by_refresh_token_id(pool, "rt-a2")
                .await
                .expect("runs"),
            ["a2"],
            "{}",
            db.kind
        );
        assert_eq!(
            delete_device_sessions_by_refresh_token_id(pool, "rt-unknown")
                .await
                .expect("runs"),
            Vec::<String>::new()
        );
        let mut alices = delete_device_sessions_of_user(pool, ISSUER, "alice")
            .await
            .expect("runs");
        alices.sort();
        assert_eq!(alices, ["a1", "a3"], "{}: in every application", db.kind);
        assert_eq!(
            delete_device_sessions_of_user(pool, "https://other.issuer", "bob")
                .await
                .expect("runs"),
            Vec::<String>::new(),
            "{}: another issuer's bob",
            db.kind
        );
        assert_eq!(
            delete_device_sessions_of_application(pool, "app-2")
                .await
                .expect("runs"),
            ["d1"],
            "{}",
            db.kind
        );

        for gone in ["a1", "a2", "a3", "c1", "d1"] {
            assert!(
                find_device_session(pool, gone)
                    .await
                    .expect("runs")
                    .is_none(),
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
        let listed: Vec<String> = list_device_sessions(pool, ISSUER, "u1")
            .await
            .expect("runs")
            .into_iter()
            .map(|session| session.id)
            .collect();
        assert_eq!(
            listed,
            ["s1", "s2"],
            "{}: same creation time, then by id",
            db.kind
        );
        assert_eq!(
            list_device_sessions(pool, ISSUER, "nobody")
                .await
                .expect("runs"),
            [],
            "{}",
            db.kind
        );
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
        assert_eq!(
            prune_device_session_tokens(pool, NOW + 5 * MINUTE)
                .await
                .expect("runs"),
            0,
            "{}: expiring this very millisecond is not expired",
            db.kind
        );
        assert_eq!(
            prune_device_session_tokens(pool, NOW + 6 * MINUTE)
                .await
                .expect("runs"),
            2,
            "{}",
            db.kind
        );
        assert_eq!(
            session_of_token(pool, "new", NOW).await.as_deref(),
            Some("s1")
        );
        assert!(
            find_device_session(pool, "s1")
                .await
                .expect("runs")
                .is_some(),
            "{}: the session stays",
            db.kind
        );
    }
}
