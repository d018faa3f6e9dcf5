//! Where a SQLite database lives on disk, made private: the directory is created 0700 and the
//! database file 0600 before SQLite opens it (SQLite gives its `-wal`, `-shm` and `-journal`
//! files the mode of the database file). An existing database readable by other users of the
//! machine is reported at start (its mode is left to the operator).

use std::path::Path;

use super::StoreError;

/// Creates `dir` and its missing parents, each 0700 (on Unix).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Prepares the files of `database_url` (nothing for non-SQLite or in-memory databases).
pub fn prepare_sqlite_files(database_url: &str) -> Result<(), StoreError> {
    let Some(path) = sqlite_path(database_url) else {
        return Ok(());
    };
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            create_private_dir(parent).map_err(|source| StoreError::CreateDirectory {
                path: parent.to_path_buf(),
                source,
            })?;
        }
    }
    for file in [path.clone(), integration_log_path(&path)] {
        create_private_file(&file).map_err(|source| StoreError::CreateDirectory {
            path: file.clone(),
            source,
        })?;
        warn_if_readable_by_others(&file);
    }
    Ok(())
}

/// The file of the integration log beside the database at `path` (`engage.db` →
/// `engage.db.integration-log`): a SQLite database of its own, attached to every connection
/// as `log`, so that the log's writes take its write lock, never the database's.
pub fn integration_log_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".integration-log");
    std::path::PathBuf::from(name)
}

/// What every connection to `database_url` attaches as `log`: the integration log's file, or
/// for an in-memory database a shared in-memory one of this process.
pub fn integration_log_attachment(database_url: &str) -> String {
    match sqlite_path(database_url) {
        Some(path) => integration_log_path(&path).to_string_lossy().into_owned(),
        None => format!(
            "file:engage-integration-log-{}?mode=memory&cache=shared",
            uuid::Uuid::new_v4()
        ),
    }
}

/// Creates an empty 0600 file when none exists (SQLite then uses it as a new database).
#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The database file and its companions that other users of the machine may read.
pub fn readable_by_others(path: &Path) -> Vec<std::path::PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                std::path::PathBuf::from(name)
            })
            .filter(|file| {
                std::fs::metadata(file)
                    .map(|meta| meta.permissions().mode() & 0o004 != 0)
                    .unwrap_or(false)
            })
            .collect()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Vec::new()
    }
}

fn warn_if_readable_by_others(path: &Path) {
    for file in readable_by_others(path) {
        tracing::warn!(
            file = %file.display(),
            "the database file is readable by every user of this machine; \
             restrict it with `chmod 600` (and its directory with `chmod 700`)"
        );
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn a_new_database_and_its_directory_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let db_dir = dir.path().join("data").join("engage");
        let db = db_dir.join("engage.db");
        let store = crate::store::Store::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        store.create_workspace("W").await.unwrap();
        assert_eq!(mode(&db_dir), 0o700);
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(mode(&db), 0o600);
        for suffix in ["-wal", "-shm"] {
            let companion = db_dir.join(format!("engage.db{suffix}"));
            assert!(companion.exists(), "{suffix} exists in WAL mode");
            assert_eq!(mode(&companion), 0o600, "{suffix}");
        }
        assert!(readable_by_others(&db).is_empty());
        let log = db_dir.join("engage.db.integration-log");
        assert_eq!(mode(&log), 0o600, "the integration log's file too");
        assert!(readable_by_others(&log).is_empty());
        store.close().await;
    }

    #[test]
    fn a_world_readable_database_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("engage.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(readable_by_others(&db), vec![db.clone()]);
        prepare_sqlite_files(&format!("sqlite://{}", db.display())).unwrap();
        assert_eq!(
            mode(&db),
            0o644,
            "an existing file's mode is left to the operator"
        );
    }
}

/// The file path of a `sqlite:` URL, without query string; `None` for in-memory databases.
pub fn sqlite_path(database_url: &str) -> Option<std::path::PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}
