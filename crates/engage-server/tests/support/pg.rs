//! A real PostgreSQL server for the tests, started by the tests themselves: `initdb` and
//! `pg_ctl` (Debian's `postgresql` package) on a temporary directory and a free loopback
//! port, as the unprivileged `postgres` user when the tests run as root. One cluster per
//! test process, started on first use; each test gets a database of its own. A watchdog
//! process stops the cluster and removes its directory once the test process is gone.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The password of the cluster's `engage` superuser (scram-sha-256 over TCP).
pub const PASSWORD: &str = "engage-test-password";
const USER: &str = "engage";

pub struct Cluster {
    pub port: u16,
    pub data_dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The test process's cluster (started on first call).
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| Cluster::start().unwrap_or_else(|error| panic!("{error}")))
}

/// A fresh, empty database on the cluster → its `postgres://` URL.
pub fn new_database() -> String {
    let cluster = cluster();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    cluster.psql("postgres", &format!("CREATE DATABASE {name}"));
    cluster.url(&name)
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("ENGAGE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "PostgreSQL is not installed (no /usr/lib/postgresql): run scripts/setup.sh test"
                .to_owned()
        })?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let as_postgres = is_root();
        let base = std::env::temp_dir().join(format!("engage-pg-{}", uuid::Uuid::new_v4()));
        let data_dir = base.join("data");
        std::fs::create_dir_all(&base).map_err(|e| format!("creating {base:?}: {e}"))?;
        let pwfile = base.join("pw");
        std::fs::write(&pwfile, PASSWORD).map_err(|e| format!("writing {pwfile:?}: {e}"))?;
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown of the PostgreSQL test directory to postgres failed".into());
            }
        }
        let cluster = Cluster {
            port: free_port(),
            data_dir,
            bin,
            as_postgres,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&cluster.data_dir),
                "-U",
                USER,
                "--pwfile",
                path(&pwfile),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        cluster.start_server()?;
        cluster.spawn_watchdog(&base);
        Ok(cluster)
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let output = self
            .command(tool)
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {tool}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Stops the cluster and removes its directory when this test process exits.
    fn spawn_watchdog(&self, base: &Path) {
        let stop = format!(
            "{}'{}' stop -D '{}' -m immediate >/dev/null 2>&1",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.data_dir.display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{base}'",
            pid = std::process::id(),
            base = base.display()
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    /// `postgres://engage:…@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// Runs one SQL statement with `psql` (over TCP, as the `engage` user).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url(database))
            .args(["-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The whole database as `pg_dump` writes it (to look for plaintext secrets).
    pub fn dump(&self, database: &str) -> Vec<u8> {
        let output = Command::new(self.bin.join("pg_dump"))
            .args(["--data-only", "-d"])
            .arg(self.url(database))
            .output()
            .expect("pg_dump runs");
        assert!(
            output.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// Stops the server the quick way (as a crash would), waiting until it is down.
    pub fn stop_immediate(&self) {
        self.run(
            "pg_ctl",
            &["stop", "-w", "-m", "immediate", "-D", path(&self.data_dir)],
        )
        .expect("pg_ctl stop");
    }

    /// Starts it again on the same port and data.
    pub fn start_again(&self) {
        self.start_server().expect("pg_ctl start");
    }

    fn start_server(&self) -> Result<(), String> {
        let base = self.data_dir.parent().expect("base dir");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off \
             -c full_page_writes=off -c max_connections=300",
            self.port,
            path(base)
        );
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-D",
                path(&self.data_dir),
                "-l",
                path(&base.join("postgres.log")),
                "-o",
                &options,
            ],
        )
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// The database name of a `postgres://` URL.
pub fn database_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}
