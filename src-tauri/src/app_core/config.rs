//! The app's settings from the environment, read once at start ([`AppConfig::read`] is the only
//! reader of the environment in the app; everything below receives its part).

use std::path::PathBuf;

use url::Url;

/// Environment variable that overrides the app data directory (tests start from a clean slate).
pub const DATA_DIR_ENV: &str = "ENGAGE_DATA_DIR";
/// Environment variable naming the update endpoint (a `latest.json` in Tauri's format), for
/// companies that host their own releases.
pub const UPDATE_URL_ENV: &str = "ENGAGE_UPDATE_URL";
/// The endpoint a release build checks by default: set by the release workflow at build time
/// (the `latest.json` of the repository's newest release); unset in local builds.
const DEFAULT_UPDATE_URL: Option<&str> = option_env!("ENGAGE_DEFAULT_UPDATE_URL");

/// Environment variable naming a folder where "save" writes its files without asking (the
/// system's save dialog cannot be driven by the end-to-end suite; unset, the dialog asks).
pub const SAVE_DIR_ENV: &str = "ENGAGE_SAVE_DIR";

/// WebKitGTK's DMA-BUF renderer (its default since 2.42) draws the page through the GPU, and
/// where there is none through Mesa's software GL: for the app's forms and lists it costs
/// ~120 MB of memory across the app's and the web processes under Xvfb (issue 14's footprint
/// benchmark), and it gives the blank windows WebKitGTK shows on NVIDIA drivers and some
/// Wayland compositors. The app turns it off on Linux unless the person set the variable
/// (`=0` turns it back on), as other WebKitGTK apps do (Yaak, Wails apps).
pub const DMABUF_RENDERER_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub data_dir: PathBuf,
    pub updates: UpdateSource,
    /// `ENGAGE_SAVE_DIR`: where saved files go without the dialog (issue 15).
    pub save_dir: Option<PathBuf>,
    /// Environment variables to set for WebKitGTK before the first window (name, value):
    /// [`DMABUF_RENDERER_ENV`] on Linux when the person has not set it.
    pub webkit_env: Vec<(&'static str, &'static str)>,
}

/// Where the app looks for a newer version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateSource {
    /// An `https://` URL (the updater refuses plain HTTP endpoints).
    Endpoint(Url),
    /// Neither `ENGAGE_UPDATE_URL` nor a build-time default: this build does not check.
    NotConfigured,
    /// `ENGAGE_UPDATE_URL` is set but unusable; the reason names it.
    Invalid(String),
}

impl AppConfig {
    /// Reads `ENGAGE_DATA_DIR`, `ENGAGE_UPDATE_URL`, `ENGAGE_SAVE_DIR` and
    /// `WEBKIT_DISABLE_DMABUF_RENDERER` through `env` (the process environment in the app, a
    /// table in tests).
    pub fn read(env: impl Fn(&str) -> Option<String>) -> AppConfig {
        let data_dir = match env(DATA_DIR_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::data_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join(super::keyring_store::SERVICE),
        };
        let updates = match env(UPDATE_URL_ENV).filter(|u| !u.trim().is_empty()) {
            Some(url) => UpdateSource::parse(&url),
            None => DEFAULT_UPDATE_URL.map_or(UpdateSource::NotConfigured, UpdateSource::parse),
        };
        let save_dir = env(SAVE_DIR_ENV)
            .filter(|dir| !dir.trim().is_empty())
            .map(PathBuf::from);
        let mut webkit_env = Vec::new();
        if cfg!(target_os = "linux") && env(DMABUF_RENDERER_ENV).is_none() {
            webkit_env.push((DMABUF_RENDERER_ENV, "1"));
        }
        AppConfig {
            data_dir,
            updates,
            save_dir,
            webkit_env,
        }
    }

    pub fn from_process_env() -> AppConfig {
        AppConfig::read(|name| std::env::var(name).ok())
    }
}

impl UpdateSource {
    fn parse(input: &str) -> UpdateSource {
        let url = match Url::parse(input.trim()) {
            Ok(url) => url,
            Err(e) => {
                return UpdateSource::Invalid(format!(
                    "{UPDATE_URL_ENV} is not a URL ({e}): {input}"
                ))
            }
        };
        let on_this_computer = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => UpdateSource::Endpoint(url),
            // A test server or a company's proxy on this computer; never plain http elsewhere.
            "http" if on_this_computer => UpdateSource::Endpoint(url),
            _ => UpdateSource::Invalid(format!(
                "{UPDATE_URL_ENV} must be an https:// address (http:// only on this computer): {input}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> AppConfig {
        AppConfig::read(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_update_url_from_the_environment_is_the_endpoint() {
        let config = read(&[(
            UPDATE_URL_ENV,
            "https://updates.acme.example/engage/latest.json",
        )]);
        assert_eq!(
            config.updates,
            UpdateSource::Endpoint(
                "https://updates.acme.example/engage/latest.json"
                    .parse()
                    .unwrap()
            )
        );
    }

    #[test]
    fn a_plain_http_update_url_is_refused_unless_it_is_on_this_computer() {
        let UpdateSource::Invalid(reason) =
            read(&[(UPDATE_URL_ENV, "http://updates.acme.example/latest.json")]).updates
        else {
            panic!("plain http must be refused");
        };
        assert!(reason.contains(UPDATE_URL_ENV), "{reason}");
        assert!(matches!(
            read(&[(UPDATE_URL_ENV, "http://127.0.0.1:9000/latest.json")]).updates,
            UpdateSource::Endpoint(_)
        ));
    }

    #[test]
    fn an_update_url_that_is_not_a_url_says_so() {
        let UpdateSource::Invalid(reason) = read(&[(UPDATE_URL_ENV, "updates here")]).updates
        else {
            panic!("not a URL");
        };
        assert!(
            reason.starts_with("ENGAGE_UPDATE_URL is not a URL"),
            "{reason}"
        );
    }

    #[test]
    fn the_data_dir_comes_from_engage_data_dir_when_set() {
        assert_eq!(
            read(&[(DATA_DIR_ENV, "/tmp/x")]).data_dir,
            PathBuf::from("/tmp/x")
        );
        assert!(read(&[])
            .data_dir
            .ends_with(super::super::keyring_store::SERVICE));
    }

    #[test]
    fn files_are_saved_without_the_dialog_only_when_engage_save_dir_is_set() {
        assert_eq!(read(&[]).save_dir, None);
        assert_eq!(
            read(&[(SAVE_DIR_ENV, "/tmp/saved")]).save_dir,
            Some(PathBuf::from("/tmp/saved"))
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_dmabuf_renderer_is_turned_off_unless_the_person_set_it() {
        assert_eq!(read(&[]).webkit_env, vec![(DMABUF_RENDERER_ENV, "1")]);
        assert_eq!(read(&[(DMABUF_RENDERER_ENV, "0")]).webkit_env, vec![]);
        assert_eq!(read(&[(DMABUF_RENDERER_ENV, "1")]).webkit_env, vec![]);
    }
}
