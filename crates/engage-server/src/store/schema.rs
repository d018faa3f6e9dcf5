//! Schema migrations of both backends, embedded in the binary (`migrations/sqlite`,
//! `migrations/postgres`: the same versions, each in its engine's SQL).
//!
//! On PostgreSQL sqlx's migrator holds an advisory lock while it applies migrations, so two
//! instances migrating at the same moment apply each migration once. A database that has
//! applied a migration this binary does not know (a newer release migrated it) is refused:
//! an older binary never runs against a newer schema.

use sqlx::migrate::Migrator;

use super::{on_pool, Backend, Pool, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// What `engage-server migrate` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationReport {
    pub backend: &'static str,
    /// Versions applied by this call.
    pub applied: Vec<i64>,
    /// The schema version now (the newest applied migration).
    pub version: i64,
}

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// The newest migration version this binary carries.
pub fn binary_schema_version(backend: Backend) -> i64 {
    migrator(backend)
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}

impl Store {
    /// Versions of the migrations applied to the database (none on a fresh database).
    async fn applied_versions(&self) -> Result<Vec<i64>, StoreError> {
        let exists_sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 =
            on_pool!(self, pool => sqlx::query_scalar(exists_sql).fetch_one(pool).await)?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// The schema version of the database: its newest applied migration (0 when fresh).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .applied_versions()
            .await?
            .into_iter()
            .max()
            .unwrap_or(0))
    }

    /// Refuses a database migrated by a newer release.
    pub(crate) async fn check_schema_not_newer(&self) -> Result<(), StoreError> {
        let binary = binary_schema_version(self.backend());
        let database = self.schema_version().await?;
        if database > binary {
            return Err(StoreError::SchemaTooNew { database, binary });
        }
        Ok(())
    }

    /// Whether every migration this binary carries has been applied.
    pub async fn schema_is_current(&self) -> Result<bool, StoreError> {
        Ok(self.schema_version().await? >= binary_schema_version(self.backend()))
    }

    /// Applies the pending migrations (idempotent; safe from several instances at once).
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        self.check_schema_not_newer().await?;
        let (before, after) = match &self.pool {
            Pool::Sqlite(pool) => {
                // Through the integration log's pool where there is one: the main file with
                // the log's attached (migration 0015 moves the log's rows there).
                let pool = self.sqlite_log.as_ref().unwrap_or(pool);
                let before = self.applied_versions().await?;
                // On a connection, not through `Acquire`: sqlx's `Acquire` for a pool is not
                // `Send` for every lifetime, which the desktop app's command futures need.
                let mut conn = pool.acquire().await?;
                SQLITE.run_direct(&mut *conn).await?;
                drop(conn);
                (before, self.applied_versions().await?)
            }
            Pool::Postgres(pool) => {
                // Hold one advisory lock around reading, migrating and reading again, so that
                // concurrent runs see each other's work and each reports what it applied.
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATE_LOCK)
                    .execute(&mut *conn)
                    .await?;
                let result = migrate_postgres(&mut conn).await;
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(MIGRATE_LOCK)
                    .execute(&mut *conn)
                    .await?;
                result?
            }
        };
        self.fill_phone_displays().await?;
        Ok(MigrationReport {
            backend: match self.backend() {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            },
            applied: after
                .iter()
                .copied()
                .filter(|version| !before.contains(version))
                .collect(),
            version: after.into_iter().max().unwrap_or(0),
        })
    }
}

/// The advisory lock key of `migrate` (any constant of ours; sqlx takes its own inside).
const MIGRATE_LOCK: i64 = 0x656e_6761_6765; // "engage"

/// Migrates on `conn` (holding the lock) → the versions applied before and after.
async fn migrate_postgres(
    conn: &mut sqlx::PgConnection,
) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let before = pg_versions(conn).await?;
    POSTGRES.run_direct(&mut *conn).await?;
    Ok((before, pg_versions(conn).await?))
}

async fn pg_versions(conn: &mut sqlx::PgConnection) -> Result<Vec<i64>, StoreError> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_carry_the_same_migrations() {
        let describe = |migrator: &Migrator| -> Vec<(i64, String)> {
            migrator
                .iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect()
        };
        assert_eq!(describe(&SQLITE), describe(&POSTGRES));
    }

    #[test]
    fn postgres_urls_select_postgres_and_everything_else_sqlite() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(
            Backend::of_url("postgresql://u@h:5433/db"),
            Backend::Postgres
        );
        assert_eq!(Backend::of_url("sqlite:///tmp/x.db"), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite::memory:"), Backend::Sqlite);
    }

    #[tokio::test]
    async fn a_database_migrated_by_a_newer_release_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let binary = binary_schema_version(Backend::Sqlite);
        on_pool!(store, pool => sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ($1, 'from the future', TRUE, x'00', 0)",
        )
        .bind(binary + 1)
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .unwrap();
        store.close().await;
        match Store::connect(&url).await {
            Err(StoreError::SchemaTooNew {
                database,
                binary: b,
            }) => {
                assert_eq!((database, b), (binary + 1, binary));
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_upgrade_moves_the_logged_requests_into_the_integration_logs_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("engage.db").display());
        // A database of the release before: migrated up to 0014, one request in its log.
        {
            use sqlx::Connection as _;
            let before = Migrator {
                migrations: SQLITE.iter().filter(|m| m.version <= 14).cloned().collect(),
                ..Migrator::DEFAULT
            };
            let mut conn = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap();
            before.run_direct(&mut conn).await.unwrap();
            sqlx::query(
                "INSERT INTO integration_calls (id, workspace_id, campaign_id, at, kind, status,
                    refused, accepted, test) VALUES ('r1', 'w', 'c', 1, 'send', 202, 0, 1, 0)",
            )
            .execute(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
        }
        let store = Store::connect(&url).await.unwrap();
        let count = |sql: &'static str| {
            let pool = store.sqlite_log.clone().unwrap();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await }
        };
        assert_eq!(
            count("SELECT COUNT(*) FROM log.integration_calls WHERE id = 'r1'")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'integration_calls'")
                .await
                .unwrap(),
            0,
            "the table left the database's file"
        );
        store.close().await;
    }

    #[tokio::test]
    async fn migrating_fills_the_display_form_of_numbers_written_before_it_was_stored() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        // A sender as the release before 0016 wrote it: no display form.
        on_pool!(store, pool => sqlx::query(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Acme', 1);
             INSERT INTO senders (id, workspace_id, name, phone, status, provider, created_at)
             VALUES ('s', 'w', 'Support', '+5511987654321', 'active', 'sandbox', 1)",
        )
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .unwrap();
        store.migrate().await.unwrap();
        let stored: Option<String> = on_pool!(store, pool => sqlx::query_scalar(
            "SELECT phone_display FROM senders WHERE id = 's'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(stored.as_deref(), Some("+55 11 98765-4321"));
        store.close().await;
    }

    #[tokio::test]
    async fn migrating_twice_applies_nothing_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::open(&url).await.unwrap();
        let first = store.migrate().await.unwrap();
        // Every migration the binary carries, once each, up to its newest (numbers are
        // assigned per branch, so there may be gaps).
        assert!(first.applied.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(
            first.applied.last().copied(),
            Some(binary_schema_version(Backend::Sqlite))
        );
        assert_eq!(first.version, binary_schema_version(Backend::Sqlite));
        let second = store.migrate().await.unwrap();
        assert!(second.applied.is_empty());
        assert_eq!(second.version, first.version);
        assert!(store.schema_is_current().await.unwrap());
    }
}
