//! What the benchmarks share: the database they run on.
//!
//! Without `--database-url`, a fresh SQLite file in a temporary directory (removed at the
//! end). With a `postgres://` URL, a fresh database is created on that server (the URL's
//! user needs `CREATEDB`; the URL's own database is only used to connect) and dropped at the
//! end, so that every run starts from empty tables. A `sqlite://` URL is used as it is.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _};

enum Cleanup {
    Nothing,
    Directory(PathBuf),
    Database { admin_url: String, name: String },
}

/// The database of one benchmark run.
pub struct BenchDatabase {
    pub url: String,
    /// Printable description (no password).
    pub description: String,
    cleanup: Cleanup,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl BenchDatabase {
    pub fn is_postgres(&self) -> bool {
        is_postgres(&self.url)
    }

    /// A fresh database for `database_url` (see the module's documentation).
    pub async fn prepare(database_url: Option<&str>, keep: bool) -> Result<Self, String> {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        match database_url {
            None => {
                let dir = std::env::temp_dir().join(format!("engage-bench-{suffix}"));
                std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("engage.db").display());
                Ok(BenchDatabase {
                    description: format!("SQLite {}", dir.join("engage.db").display()),
                    url,
                    cleanup: if keep {
                        Cleanup::Nothing
                    } else {
                        Cleanup::Directory(dir)
                    },
                })
            }
            Some(url) if is_postgres(url) => {
                let options =
                    PgConnectOptions::from_str(url).map_err(|e| format!("database URL: {e}"))?;
                let name = format!("engage_bench_{}", &suffix[..12]);
                let mut admin = options
                    .connect()
                    .await
                    .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
                let mut settings = Vec::new();
                for setting in [
                    "server_version",
                    "fsync",
                    "synchronous_commit",
                    "full_page_writes",
                    "shared_buffers",
                    "max_connections",
                ] {
                    let value: (String,) = sqlx::query_as(&format!("SHOW {setting}"))
                        .fetch_one(&mut admin)
                        .await
                        .map_err(|e| format!("SHOW {setting}: {e}"))?;
                    settings.push(format!("{setting}={}", value.0));
                }
                let _ = admin.close().await;
                let mut parsed = url::Url::parse(url).map_err(|e| format!("database URL: {e}"))?;
                parsed.set_path(&format!("/{name}"));
                Ok(BenchDatabase {
                    description: format!(
                        "PostgreSQL {}:{} database {name} ({})",
                        options.get_host(),
                        options.get_port(),
                        settings.join(", ")
                    ),
                    url: parsed.to_string(),
                    cleanup: if keep {
                        Cleanup::Nothing
                    } else {
                        Cleanup::Database {
                            admin_url: url.to_owned(),
                            name,
                        }
                    },
                })
            }
            Some(url) => Ok(BenchDatabase {
                description: format!("SQLite {url}"),
                url: url.to_owned(),
                cleanup: Cleanup::Nothing,
            }),
        }
    }

    /// Removes what [`BenchDatabase::prepare`] created (after every pool on it is closed).
    pub async fn remove(self) {
        match self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                let dropped = async {
                    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await?;
                    admin.close().await
                };
                if let Err(error) = dropped.await {
                    eprintln!("could not drop the benchmark database {name}: {error}");
                }
            }
        }
    }
}
