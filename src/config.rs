//! The configuration file: TOML, edited in place so that comments survive.
//!
//! Keys are addressed as `section.key`. The set of keys is closed: an unknown
//! key in the file or on the command line is an error, never ignored.

use crate::error::{self, AppError, Kind, Result};
use anyhow::Context;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Value};

/// Every key, its type and what it means.
pub const KEYS: &[(&str, &str)] = &[
    ("database", "path of the SQLite database"),
    ("actor", "the acting user: e-mail, username or id"),
    ("org", "the current organization (slug)"),
    ("list.columns", "default columns of 'acct user list' (comma-separated)"),
    ("mail.transport", "outbox (default), smtp://HOST:PORT, smtps://HOST:PORT or sendmail"),
    ("mail.from", "sender of invitation mail (default: acct <noreply@localhost>)"),
    ("mail.invite_url", "invitation link; {token} is replaced (default: https://localhost/invite/{token})"),
    ("mail.helo", "host name the SMTP greeting (EHLO) gives (default: the domain of mail.from)"),
    ("invite.ttl_days", "days an invitation token stays valid (default: 7)"),
];

pub const DEFAULT_FROM: &str = "acct <noreply@localhost>";
pub const DEFAULT_INVITE_URL: &str = "https://localhost/invite/{token}";
pub const DEFAULT_TTL_DAYS: i64 = 7;

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    doc: DocumentMut,
    /// Keys of the file that are unknown or hold a bad value, with the
    /// error. A bad value stops only the commands that read that key
    /// ([`Config::value`]); an unknown key stops every command but the
    /// `config` commands that repair it ([`Config::ensure_known`]).
    problems: Vec<(String, AppError)>,
}

fn unknown(key: &str, path: &Path) -> AppError {
    AppError::new(Kind::Invalid, format!("unknown configuration key '{}' in {}", error::one_line(key), path.display()))
        .with_hint(key_hint(key))
}

/// `did you mean` a known key, or the list of them.
fn key_hint(key: &str) -> String {
    error::did_you_mean(
        key,
        KEYS.iter().map(|k| k.0),
        format!("known keys: {}", KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")),
    )
}

/// What `config set` or `config unset` did to a key: its value in the file
/// before and after (`None`: not set), and whether the file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub old: Option<String>,
    pub new: Option<String>,
    pub changed: bool,
}

fn item_in<'d>(doc: &'d DocumentMut, key: &str) -> Option<&'d Value> {
    match split_key(key) {
        (Some(s), k) => doc.get(s)?.as_table()?.get(k)?.as_value(),
        (None, k) => doc.get(k)?.as_value(),
    }
}

/// A value as text, as `config get` shows it (arrays joined with commas).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(","),
        other => other.to_string().trim().to_string(),
    }
}

fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('.') {
        Some((s, k)) => (Some(s), k),
        None => (None, key),
    }
}

impl Config {
    /// Load the file; a missing file is an empty configuration. A path that
    /// is not a regular file (a FIFO, a device, a directory) is refused
    /// without reading from it.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match read_regular(path)? {
            Some(bytes) => String::from_utf8(bytes)
                .map_err(|_| AppError::new(Kind::Invalid, format!("the configuration file {} is not UTF-8", path.display())))?,
            None => String::new(),
        };
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            AppError::new(
                Kind::Invalid,
                format!("the configuration file {} is not valid TOML: {}", path.display(), error::one_line(e.message())),
            )
        })?;
        let mut cfg = Config { path: path.to_path_buf(), doc, problems: vec![] };
        cfg.problems = cfg.validate();
        Ok(cfg)
    }

    /// Every unknown key and bad value of the file.
    fn validate(&self) -> Vec<(String, AppError)> {
        let mut problems = Vec::new();
        let mut value = |full: String, v: Option<&Value>| {
            if let Err(e) = check_value(&full, v, &self.path) {
                let r = error::classify(&e);
                problems.push((full, AppError { kind: r.kind, message: r.message, hint: r.hint, details: r.details }));
            }
        };
        let mut unknowns = Vec::new();
        for (k, item) in self.doc.iter() {
            match item {
                Item::Table(t) => {
                    if !KEYS.iter().any(|(n, _)| n.split_once('.').is_some_and(|(section, _)| section == k)) {
                        unknowns.push((k.to_string(), unknown(&format!("[{k}]"), &self.path)));
                        continue;
                    }
                    for (sub, v) in t.iter() {
                        let full = format!("{k}.{sub}");
                        if !KEYS.iter().any(|(n, _)| *n == full) {
                            unknowns.push((full.clone(), unknown(&full, &self.path)));
                            continue;
                        }
                        value(full, v.as_value());
                    }
                }
                other => {
                    if !KEYS.iter().any(|(n, _)| *n == k) || k.contains('.') {
                        unknowns.push((k.to_string(), unknown(k, &self.path)));
                        continue;
                    }
                    value(k.to_string(), other.as_value());
                }
            }
        }
        unknowns.extend(problems);
        unknowns
    }

    /// What is wrong with the file, key by key.
    pub fn problems(&self) -> impl Iterator<Item = &AppError> {
        self.problems.iter().map(|(_, e)| e)
    }

    /// Unknown keys are an error for every command but the `config`
    /// commands, which must stay usable to repair the file.
    pub fn ensure_known(&self) -> Result<(), AppError> {
        match self.problems.iter().find(|(k, _)| !KEYS.iter().any(|(n, _)| n == k)) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The value of a key for a command that needs it: a bad value in the
    /// file is an error here (and only for the commands that read it).
    pub fn value(&self, key: &str) -> Result<Option<String>, AppError> {
        if let Some((_, e)) = self.problems.iter().find(|(k, _)| k == key) {
            return Err(e.clone());
        }
        Ok(self.get(key))
    }

    fn item(&self, key: &str) -> Option<&Value> {
        item_in(&self.doc, key)
    }

    /// A string value (arrays are joined with commas).
    pub fn get(&self, key: &str) -> Option<String> {
        self.item(key).map(text)
    }

    pub fn ttl_days(&self) -> Result<i64, AppError> {
        self.value("invite.ttl_days")?;
        Ok(self.item("invite.ttl_days").and_then(|v| v.as_integer()).unwrap_or(DEFAULT_TTL_DAYS))
    }

    pub fn list(&self) -> Vec<(String, String)> {
        KEYS.iter().filter_map(|(k, _)| self.get(k).map(|v| (k.to_string(), v))).collect()
    }

    pub fn check_key(&self, key: &str) -> Result<(), AppError> {
        // A key given on the command line: the file is not at fault.
        if KEYS.iter().any(|(n, _)| *n == key) {
            Ok(())
        } else {
            Err(AppError::new(Kind::Invalid, format!("unknown configuration key '{}'", error::one_line(key)))
                .with_hint(key_hint(key)))
        }
    }

    /// Set a key, validating its value, and write the file (not in a dry
    /// run, nor when the key already holds the value).
    pub fn set(&mut self, key: &str, value: &str, dry_run: bool) -> Result<Setting> {
        self.check_key(key)?;
        let v = typed(key, value)?;
        let new = text(&v);
        let path = self.path.clone();
        let mut old = None;
        self.change(dry_run, |doc| {
            old = item_in(doc, key).map(text);
            if old.as_deref() == Some(new.as_str()) {
                return Ok(false);
            }
            match split_key(key) {
                (Some(s), k) => {
                    if !doc.contains_key(s) {
                        doc.insert(s, Item::Table(toml_edit::Table::new()));
                    }
                    let table = doc[s]
                        .as_table_mut()
                        .ok_or_else(|| AppError::new(Kind::Invalid, format!("'{s}' in {} is not a table", path.display())))?;
                    table.insert(k, Item::Value(v));
                }
                (None, k) => {
                    doc.insert(k, Item::Value(v));
                }
            }
            Ok(true)
        })
        .map(|changed| Setting { old, new: Some(new.clone()), changed })
    }

    /// Remove a key and write the file (not in a dry run); `changed` is
    /// false when it was not set.
    pub fn unset(&mut self, key: &str, dry_run: bool) -> Result<Setting> {
        // An unknown key that is in the file may be removed: that repairs it.
        if !self.problems.iter().any(|(k, _)| k == key) {
            self.check_key(key)?;
        }
        let mut old = None;
        self.change(dry_run, |doc| {
            old = item_in(doc, key).map(text);
            Ok(match split_key(key) {
                (Some(s), k) => {
                    let r = doc.get_mut(s).and_then(|t| t.as_table_mut()).and_then(|t| t.remove(k)).is_some();
                    if doc.get(s).and_then(|t| t.as_table()).is_some_and(|t| t.is_empty()) {
                        doc.remove(s);
                    }
                    r
                }
                (None, k) => doc.remove(k).is_some(),
            })
        })
        .map(|changed| Setting { old, new: None, changed })
    }

    /// Read, change and write the file under an exclusive lock, so that
    /// concurrent changes of different keys never lose each other: the file
    /// is read again once the lock is held. The lock is an flock on a
    /// sidecar file (`config.toml.lock`) beside the file a symlink names,
    /// because the file itself is replaced by a rename. `change` returns
    /// whether it changed anything; the file is written only then, and never
    /// in a dry run.
    fn change(&mut self, dry_run: bool, change: impl FnOnce(&mut DocumentMut) -> Result<bool>) -> Result<bool> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::safe_file::create_private_dir(dir)?;
        }
        let cannot = || format!("cannot write the configuration file {}", self.path.display());
        let real = crate::safe_file::resolve(&self.path).with_context(cannot)?;
        let mut lock_name = real.file_name().unwrap_or_default().to_owned();
        lock_name.push(".lock");
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(real.with_file_name(lock_name))
            .with_context(cannot)?;
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e).with_context(cannot);
            }
        }
        let fresh = Config::load(&self.path)?;
        self.doc = fresh.doc;
        let changed = change(&mut self.doc)?;
        self.problems = self.validate();
        if changed && !dry_run {
            self.save()?;
        }
        drop(lock);
        Ok(changed)
    }

    /// Write atomically, through a symlink: a private temporary file beside
    /// the real file, then rename.
    fn save(&self) -> Result<()> {
        let text = self.doc.to_string();
        crate::safe_file::replace(&self.path, |w| Ok(w.write_all(text.as_bytes())?))
            .with_context(|| format!("cannot write the configuration file {}", self.path.display()))
    }
}

/// The bytes of a regular file, `None` when it does not exist. Opened
/// without blocking (a FIFO would otherwise wait for a writer forever) and
/// checked before a byte is read.
fn read_regular(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let cannot = || format!("cannot read the configuration file {}", path.display());
    let mut f = match std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if crate::safe_file::is_loop(&e) => {
            return Err(AppError::new(
                Kind::Invalid,
                format!("the configuration file {} is a symlink loop (too many levels of symbolic links)", path.display()),
            )
            .into());
        }
        Err(e) => return Err(e).with_context(cannot),
    };
    let meta = f.metadata().with_context(cannot)?;
    if !meta.is_file() {
        return Err(AppError::new(
            Kind::Invalid,
            format!("the configuration file {} is {}, not a regular file", path.display(), crate::safe_file::kind_of(&meta)),
        )
        .with_hint("name a TOML file with --config or ACCT_CONFIG")
        .into());
    }
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).with_context(cannot)?;
    Ok(Some(bytes))
}

fn check_value(key: &str, v: Option<&Value>, path: &Path) -> Result<()> {
    let bad = |why: &str| -> anyhow::Error {
        AppError::new(Kind::Invalid, format!("configuration key '{key}' in {}: {why}", path.display())).into()
    };
    let Some(v) = v else { return Err(bad("expected a value")) };
    match key {
        "list.columns" => match v {
            Value::String(s) => columns(s.value()).map(|_| ()).map_err(|e| bad(&e.message)),
            Value::Array(a) => {
                let names: Vec<&str> = a.iter().filter_map(|x| x.as_str()).collect();
                if names.len() != a.len() {
                    return Err(bad("expected column names"));
                }
                columns(&names.join(",")).map(|_| ()).map_err(|e| bad(&e.message))
            }
            _ => Err(bad("expected column names")),
        },
        "invite.ttl_days" => match v.as_integer() {
            Some(1..=365) => Ok(()),
            _ => Err(bad("expected a whole number of days from 1 to 365")),
        },
        _ => match v.as_str() {
            Some(s) => typed(key, s).map(|_| ()).map_err(|e| bad(&crate::error::classify(&e).message)),
            None => Err(bad("expected a string")),
        },
    }
}

/// Parse a comma-separated list of user columns.
pub fn columns(s: &str) -> Result<Vec<crate::store::Column>, AppError> {
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let c = crate::store::Column::parse(name).ok_or_else(|| {
            let names = crate::store::Column::ALL.map(|c| c.name());
            AppError::new(Kind::Usage, format!("unknown column '{}'", error::one_line(name))).with_hint(error::did_you_mean(
                name,
                names,
                format!("columns: {}", names.join(", ")),
            ))
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(AppError::new(Kind::Usage, "no columns given"));
    }
    Ok(out)
}

/// Validate a value for a key and give it its TOML type.
fn typed(key: &str, value: &str) -> Result<Value> {
    let invalid = |why: String| -> anyhow::Error { AppError::new(Kind::Invalid, why).into() };
    Ok(match key {
        "list.columns" => {
            let cols = columns(value)?;
            Value::Array(cols.iter().map(|c| c.name()).collect())
        }
        "invite.ttl_days" => match value.parse::<i64>() {
            Ok(n @ 1..=365) => Value::from(n),
            _ => {
                return Err(invalid(format!(
                    "invalid value '{}' for invite.ttl_days: expected 1 to 365",
                    error::one_line(value)
                )));
            }
        },
        "org" => Value::from(crate::validate::slug("organization", value)?),
        "mail.transport" => {
            crate::mail::Transport::parse(value)?;
            Value::from(value)
        }
        "mail.from" => {
            crate::mail::parse_mailbox(value)?;
            Value::from(value)
        }
        "mail.helo" => {
            let label = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            match idna::domain_to_ascii(value) {
                Ok(d) if d.len() <= 253 && d.split('.').all(label) => Value::from(d),
                _ => return Err(invalid(format!("mail.helo must be a host name, not '{}'", error::one_line(value)))),
            }
        }
        "mail.invite_url" => {
            if !value.contains("{token}") {
                return Err(invalid("mail.invite_url must contain {token}".into()));
            }
            if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(invalid("mail.invite_url must not contain white space or control characters".into()));
            }
            Value::from(value)
        }
        _ => {
            if value.is_empty() || value.chars().any(|c| c.is_control()) {
                return Err(invalid(format!("invalid value for {key}")));
            }
            Value::from(value)
        }
    })
}

/// `$XDG_CONFIG_HOME/acct/config.toml` on Linux.
pub fn default_path() -> Result<PathBuf> {
    let dirs = project_dirs()?;
    Ok(dirs.config_dir().join("config.toml"))
}

/// `$XDG_DATA_HOME/acct` on Linux: the default database and the outbox.
pub fn data_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().to_path_buf())
}

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "acct").ok_or_else(|| {
        anyhow::Error::new(
            AppError::new(Kind::Failure, "cannot find the home directory").with_hint("set HOME, or pass --config and --db"),
        )
    })
}
