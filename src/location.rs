//! Where the database is: a PostgreSQL connection URL (`postgres://` or
//! `postgresql://`), or else the path of a SQLite file (SPEC §6).

/// Whether a database location is a PostgreSQL connection URL.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The connection URL, when `location` is one.
pub fn postgres_url(location: &std::path::Path) -> Option<&str> {
    location.to_str().filter(|l| is_url(l))
}
