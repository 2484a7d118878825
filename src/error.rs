//! Errors classified once.
//!
//! Everything that a user can cause is an [`AppError`] with a [`Kind`]; the kind alone
//! picks the exit status (SPEC §5). Anything else travels as `anyhow::Error` with
//! context and ends as exit 1. `main` is the only place that turns an error into
//! text and a status.

use std::fmt;

/// The classes of failure that scripts can tell apart by exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Failure,
    Usage,
    NotFound,
    Denied,
    Conflict,
    Invalid,
    Partial,
    /// The person answered no to a confirmation: nothing changed, exit 0.
    Cancelled,
}

/// SPEC §5: every exit status and what it means. The one table that
/// `acct --help`, the man page and the README show (flags in backticks).
pub const EXIT_STATUS: [(u8, &str); 8] = [
    (0, "success"),
    (1, "failure not covered below (I/O, database)"),
    (2, "usage: bad flags or arguments; a confirmation needed without a terminal and without `--yes`"),
    (3, "not found: user, role, group, org"),
    (4, "permission denied (also an unknown or inactive actor)"),
    (5, "conflict: already exists, last admin, invalid state"),
    (6, "invalid input: bad e-mail, phone, timezone, CSV row"),
    (7, "partial: a multi-target command with `--keep-going` where some targets failed"),
];

/// The table as `--help` shows it.
pub fn exit_status_help() -> String {
    let mut s = String::from("Exit status:");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!("\n  {code}  {}", what.replace('`', "")));
    }
    s
}

/// The table as a man page section (roff).
pub fn exit_status_man() -> String {
    let mut s = String::from(".SH \"EXIT STATUS\"\n");
    for (code, what) in EXIT_STATUS {
        let mut text = String::new();
        for (i, part) in what.split('`').enumerate() {
            let part = part.replace('-', "\\-");
            if i % 2 == 1 { text.push_str(&format!("\\fB{part}\\fR")) } else { text.push_str(&part) }
        }
        s.push_str(&format!(".TP\n.B {code}\n{text}\n"));
    }
    s
}

/// The table as the README's Markdown (a test holds the README to it).
#[cfg(test)]
pub fn exit_status_markdown() -> String {
    let mut s = String::from("| code | meaning |\n| --- | --- |\n");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!("| {code} | {what} |\n"));
    }
    s
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failure => 1,
            Kind::Usage => 2,
            Kind::NotFound => 3,
            Kind::Denied => 4,
            Kind::Conflict => 5,
            Kind::Invalid => 6,
            Kind::Partial => 7,
            Kind::Cancelled => 0,
        }
    }

    /// The stable name used in JSON errors.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Failure => "failure",
            Kind::Usage => "usage",
            Kind::NotFound => "not_found",
            Kind::Denied => "permission_denied",
            Kind::Conflict => "conflict",
            Kind::Invalid => "invalid_input",
            Kind::Partial => "partial",
            Kind::Cancelled => "cancelled",
        }
    }
}

/// An error the user caused or can fix, with an optional hint and optional
/// details: more keys of the JSON error object (e.g. the `rows` in error of
/// an import), as data for scripts; people get them as the command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    pub details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl AppError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        AppError { kind, message: message.into(), hint: None, details: None }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// More keys for the JSON error object (never `kind`, `message`, `hint`
    /// or `exit`, which it always has).
    pub fn with_details(mut self, details: serde_json::Map<String, serde_json::Value>) -> Self {
        self.details = Some(Box::new(details));
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

macro_rules! ctor {
    ($name:ident, $kind:ident) => {
        pub fn $name(message: impl Into<String>) -> AppError {
            AppError::new(Kind::$kind, message)
        }
    };
}
ctor!(usage, Usage);
ctor!(not_found, NotFound);
ctor!(denied, Denied);
ctor!(conflict, Conflict);
ctor!(invalid, Invalid);
ctor!(failure, Failure);

pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;

/// What a repository found wrong with a database itself, as facts. The
/// words, the advice and the exit code are given here (by [`classify`]),
/// so that every backend reports the same thing the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbFault {
    /// Nothing to open at `location`; `suggest_init` when the command
    /// expected a database to be there already.
    Missing {
        location: String,
        why: Absent,
        suggest_init: bool,
    },
    /// `acct init` found a database already there.
    Exists {
        location: String,
    },
    /// A dangling symbolic link where `acct init` would create a database.
    LinkToNothing {
        location: String,
        to: String,
    },
    /// A database of the right engine that acct did not make.
    NotAcct {
        location: String,
    },
    /// Not a database of the engine at all.
    NotDatabase {
        location: String,
    },
    Damaged {
        location: String,
    },
    /// Tables, but no schema version.
    Unversioned {
        location: String,
    },
    Newer {
        location: String,
        found: u32,
        known: u32,
    },
    MigrationFailed {
        version: u32,
        why: String,
    },
    /// The destination of a copy exists.
    DestinationExists {
        location: String,
    },
    /// The destination of `db copy` already holds an account.
    HoldsAccount,
    /// A PostgreSQL database that holds tables of something else.
    Foreign {
        location: String,
    },
    /// A connection URL that cannot be read (`why` says what is wrong).
    BadUrl {
        location: String,
        why: String,
        hint: Option<&'static str>,
    },
    /// The server could not be reached or refused the connection.
    Unreachable {
        location: String,
        why: String,
    },
    /// The root certificates named by `sslrootcert` cannot be used.
    RootCert {
        path: String,
        why: String,
    },
    /// Another writer held the write lock for the whole busy timeout.
    Busy {
        seconds: u64,
    },
}

/// Why nothing could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Absent {
    NotFound,
    DanglingLink { to: String },
    LinkLoop,
    Io(String),
}

impl DbFault {
    pub fn kind(&self) -> Kind {
        match self {
            DbFault::Exists { .. }
            | DbFault::LinkToNothing { .. }
            | DbFault::DestinationExists { .. }
            | DbFault::HoldsAccount
            | DbFault::Foreign { .. } => Kind::Conflict,
            DbFault::BadUrl { .. } => Kind::Usage,
            _ => Kind::Failure,
        }
    }

    pub fn hint(&self) -> Option<&'static str> {
        const BACKUP: &str = "restore it from a backup made with 'acct db backup'";
        const NAME: &str = "name the right file with --db or ACCT_DB";
        Some(match self {
            DbFault::Missing { why: Absent::NotFound | Absent::DanglingLink { .. }, suggest_init: true, .. } => {
                "create one with 'acct init --org SLUG --admin EMAIL', or name another with --db"
            }
            DbFault::Missing { .. } => return None,
            DbFault::Exists { .. } => "acct init runs once; use --db to create another database",
            DbFault::LinkToNothing { .. } => "remove the link, or pass the file it should name with --db",
            DbFault::NotAcct { .. } | DbFault::NotDatabase { .. } => NAME,
            DbFault::Damaged { .. } => BACKUP,
            DbFault::Unversioned { .. } => {
                "it was not made by acct, or was damaged: restore it from a backup made with 'acct db backup'"
            }
            DbFault::Newer { .. } => "upgrade acct to a version that knows this schema",
            DbFault::MigrationFailed { .. } => {
                "the database was left as it was; restore it from a backup made with 'acct db backup' if it is damaged"
            }
            DbFault::DestinationExists { .. } => "choose a new file name",
            DbFault::HoldsAccount => "copy into a new file or an empty database",
            DbFault::Foreign { .. } => "create an empty database for acct (createdb), or name another with --db",
            DbFault::BadUrl { hint, .. } => return *hint,
            DbFault::Unreachable { .. } | DbFault::RootCert { .. } => return None,
            DbFault::Busy { .. } => {
                "pg_stat_activity shows the holder (application_name 'acct PID'); try again when it has finished"
            }
        })
    }
}

impl fmt::Display for DbFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbFault::Missing { location, why, .. } => match why {
                Absent::NotFound => write!(f, "no database at {location}"),
                Absent::DanglingLink { to } => {
                    write!(f, "no database at {location}: it is a symbolic link to {to}, which does not exist")
                }
                Absent::LinkLoop => {
                    write!(f, "cannot open the database {location}: it is a symlink loop (too many levels of symbolic links)")
                }
                Absent::Io(e) => write!(f, "cannot open the database {location}: {e}"),
            },
            DbFault::Exists { location } => write!(f, "a database already exists at {location}"),
            DbFault::LinkToNothing { location, to } => write!(
                f,
                "{location} is a symbolic link to {to}, which does not exist; acct init does not create a database through a link"
            ),
            DbFault::NotAcct { location } => write!(f, "{location} is not an acct database"),
            DbFault::NotDatabase { location } => write!(f, "{location} is not an acct database (not SQLite)"),
            DbFault::Damaged { location } => write!(f, "the database {location} is damaged"),
            DbFault::Unversioned { location } => {
                write!(f, "the database {location} has no schema version but already holds tables; it was left as it was")
            }
            DbFault::Newer { location, found, known } => {
                write!(f, "the database {location} has schema version {found}, newer than this acct knows ({known})")
            }
            DbFault::MigrationFailed { version, why } => write!(f, "migration {version} failed: {}", one_line(why)),
            DbFault::DestinationExists { location } => write!(f, "{location} already exists"),
            DbFault::HoldsAccount => write!(f, "the destination already holds an account"),
            DbFault::Foreign { location } => {
                write!(f, "the database {location} is not empty and is not an acct database; it was left as it was")
            }
            DbFault::BadUrl { location, why, .. } => write!(f, "cannot read the database URL {location}: {}", one_line(why)),
            DbFault::Unreachable { location, why } => write!(f, "cannot connect to the database {location}: {}", one_line(why)),
            DbFault::RootCert { path, why } => write!(f, "cannot use sslrootcert {}: {}", one_line(path), one_line(why)),
            DbFault::Busy { seconds } => {
                write!(f, "the database is busy: another acct command held the write lock for {seconds} s; nothing was changed")
            }
        }
    }
}

impl std::error::Error for DbFault {}

impl From<&DbFault> for AppError {
    fn from(f: &DbFault) -> AppError {
        let e = AppError::new(f.kind(), f.to_string());
        match f.hint() {
            Some(h) => e.with_hint(h),
            None => e,
        }
    }
}

/// The application error a cause is, when it is one.
fn as_app(cause: &(dyn std::error::Error + 'static)) -> Option<AppError> {
    cause.downcast_ref::<AppError>().cloned().or_else(|| cause.downcast_ref::<DbFault>().map(AppError::from))
}

/// What `main` prints and returns for an error.
#[derive(Debug)]
pub struct Report {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    pub details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// Classify any error once. AppErrors keep their kind; a locked database and an
/// I/O failure are failures (exit 1) with their causes joined in one line.
pub fn classify(err: &anyhow::Error) -> Report {
    if let Some(app) = as_app(err.as_ref()) {
        return Report { kind: app.kind, message: app.message, hint: app.hint, details: app.details };
    }
    // An AppError may sit below a context layer.
    for cause in err.chain() {
        if let Some(app) = as_app(cause) {
            let mut message = err.to_string();
            if message != app.message {
                message = format!("{message}: {}", app.message);
            }
            return Report { kind: app.kind, message, hint: app.hint.clone(), details: app.details.clone() };
        }
    }
    // Each cause once: rusqlite repeats the message of its cause
    // ("database is locked: Error code 5: database is locked").
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let s = cause.to_string();
        let s = s.strip_prefix("Error code ").and_then(|r| r.split_once(": ")).map_or(s.clone(), |(_, m)| m.to_string());
        if !parts.iter().any(|p| p.contains(&s) || s.contains(p.as_str())) {
            parts.push(s);
        }
    }
    let mut hint = None;
    if let Some(sql) = err.chain().find_map(|c| c.downcast_ref::<rusqlite::Error>())
        && let rusqlite::Error::SqliteFailure(e, _) = sql
    {
        match e.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                hint = Some("another acct process held the database past the busy timeout; try again".into())
            }
            rusqlite::ErrorCode::ReadOnly => hint = Some("the database file or its directory is not writable".into()),
            rusqlite::ErrorCode::CannotOpen => {
                hint = Some(
                    "the file and its directory must be readable and writable (SQLite keeps -wal and -shm files beside it)"
                        .into(),
                )
            }
            rusqlite::ErrorCode::NotADatabase => hint = Some("the file is not an SQLite database; check --db".into()),
            _ => {}
        }
    }
    Report { kind: Kind::Failure, message: message_line(&parts.join(": ")), hint, details: None }
}

/// How much of one value an error shows, in characters.
pub const ECHO_CHARS: usize = 100;
/// How much of a whole message line is shown, in characters.
pub const LINE_CHARS: usize = 2000;

/// The one helper for a value echoed in a message (an address, a name, a
/// path, a cell): cut to [`ECHO_CHARS`] and escaped by [`escape`], so that a
/// hostile value can neither flood the terminal nor break the line.
pub fn one_line(s: &str) -> String {
    escape(s, ECHO_CHARS)
}

/// [`one_line`] for a value that need not be UTF-8 (an argument, a path, an
/// environment value): what is not UTF-8 is shown as `\xNN` escapes.
pub fn one_line_os(s: &std::ffi::OsStr) -> String {
    let mut text = String::new();
    for chunk in s.as_encoded_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02X}"));
        }
        if text.chars().nth(ECHO_CHARS).is_some() {
            break;
        }
    }
    one_line(&text)
}

/// A whole message or hint line, as `main` prints it: the same escaping, with
/// the longer limit [`LINE_CHARS`] (the values in it are already cut).
pub fn message_line(s: &str) -> String {
    escape(s, LINE_CHARS)
}

/// The first `max` characters of `s` (then `…`), with every character that
/// could break the line or hide on screen shown as an escape: line breaks
/// and other controls (Cc, U+0085 included), the separators U+2028 and
/// U+2029, bidi controls and the other invisible format characters (Cf),
/// and the default-ignorable code points.
fn escape(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if crate::text::hides_or_breaks(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The candidate closest to `word` by edit distance, when it is close
/// enough to be a likely typo (at most a third of the word's length, and at
/// least one edit); the `did you mean` of SPEC §5.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w: Vec<char> = word.to_lowercase().chars().collect();
    let limit = (w.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_lowercase().chars().collect::<Vec<_>>()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counted as one edit
/// (optimal string alignment), so that `hepldesk` is one edit from `helpdesk`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// `hint: did you mean 'X'?` when a close candidate exists, else `other`.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, other: String) -> String {
    match closest(word, candidates) {
        Some(c) => format!("did you mean '{c}'?"),
        None => other,
    }
}

#[cfg(test)]
mod closest_tests {
    use super::closest;

    #[test]
    fn typos_find_their_word_and_others_nothing() {
        let roles = ["full-admin", "read-only", "helpdesk"];
        assert_eq!(closest("hepldesk", roles), Some("helpdesk"));
        assert_eq!(closest("read-onyl", roles), Some("read-only"));
        assert_eq!(closest("list.colums", ["list.columns", "org"]), Some("list.columns"));
        assert_eq!(closest("zzz", roles), None);
        assert_eq!(closest("ops", ["eng", "everyone"]), None);
    }
}

#[cfg(test)]
mod exit_status_tests {
    use super::*;

    #[test]
    fn the_table_covers_every_kind_in_order_and_the_readme_shows_it() {
        let codes: Vec<u8> = EXIT_STATUS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, (0..=7).collect::<Vec<u8>>());
        for k in [Kind::Failure, Kind::Usage, Kind::NotFound, Kind::Denied, Kind::Conflict, Kind::Invalid, Kind::Partial] {
            assert!(codes.contains(&k.exit_code()), "{k:?}");
        }
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&exit_status_markdown()),
            "README's exit table differs from error::EXIT_STATUS:\n{}",
            exit_status_markdown()
        );
    }

    #[test]
    fn the_man_page_escapes_dashes_and_sets_flags_in_bold() {
        let man = exit_status_man();
        assert!(man.starts_with(".SH \"EXIT STATUS\"\n.TP\n.B 0\nsuccess\n"), "{man}");
        assert!(
            man.contains(".B 7\npartial: a multi\\-target command with \\fB\\-\\-keep\\-going\\fR where some targets failed\n"),
            "{man}"
        );
    }
}
