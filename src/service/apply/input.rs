//! The input of `apply`: CSV (read by the import's streaming reader, so
//! with physical line numbers and unterminated quotes found) or JSON Lines,
//! one row at a time, into one shape: the row's cells as text.

use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::csv_records::{self, Record};
use crate::store::Column;
use std::io::{BufRead, BufReader, Read};

/// The fields a row may set (SPEC §4 "apply"): the editable attributes of
/// the matrix, the additional groups and the roles.
pub fn editable(c: Column) -> bool {
    use Column::*;
    crate::service::user_edit::is_plain(c.name()) || matches!(c, Active | PrimaryGroup | Groups | Role)
}

/// What a column of the input is for.
enum Use {
    Key,
    /// Applied, or (`id`, `username`) checked against the row's address.
    Read(Column),
    /// Written by `user export` only: ignored.
    Ignore,
}

fn use_of(c: Column) -> Use {
    match c {
        Column::Email => Use::Key,
        Column::Id | Column::Username => Use::Read(c),
        c if editable(c) => Use::Read(c),
        _ => Use::Ignore,
    }
}

fn known_columns() -> String {
    let mut v = vec!["email"];
    v.extend(Column::ALL.iter().filter(|c| editable(**c)).map(|c| c.name()));
    v.push("id, username (checked)");
    v.join(", ")
}

/// One input row: its first physical line, the address as written, the
/// other cells it has (an absent column is not among them; an empty cell
/// is an empty text), or what is wrong with it.
#[derive(Debug, Default)]
pub struct Row {
    pub line: u64,
    pub email: String,
    pub cells: Vec<(Column, String)>,
    pub error: Option<AppError>,
}

impl Row {
    pub fn get(&self, c: Column) -> Option<&str> {
        self.cells.iter().find(|(k, _)| *k == c).map(|(_, v)| v.as_str())
    }
}

pub enum Source {
    Csv { rdr: csv_records::Reader<Box<dyn Read>>, email: usize, cols: Vec<(usize, Column)>, width: usize, rec: Record },
    Jsonl { rdr: BufReader<Box<dyn Read>>, line: u64 },
}

impl Source {
    /// Read the header of a CSV (or nothing of JSON Lines). Returns the
    /// source and the columns it ignores.
    pub fn open(input: Box<dyn Read>, jsonl: bool) -> Result<(Source, Vec<String>)> {
        if jsonl {
            return Ok((Source::Jsonl { rdr: BufReader::with_capacity(64 * 1024, input), line: 0 }, vec![]));
        }
        let mut rdr = csv_records::Reader::new(input);
        rdr.sniff_delimiter()?;
        let (names, width) = csv_records::header_names(&mut rdr)?;
        let (mut email, mut cols, mut ignored, mut unknown) = (None, Vec::new(), Vec::new(), Vec::new());
        for (i, name) in names.iter().enumerate() {
            let Some(c) = csv_records::header_column(name) else {
                unknown.push(name.clone());
                continue;
            };
            if email == Some(i) || cols.iter().any(|(_, k)| *k == c) || (c == Column::Email && email.is_some()) {
                return Err(AppError::new(Kind::Invalid, format!("line 1: the column '{}' appears twice", c.name())).into());
            }
            match use_of(c) {
                Use::Key => email = Some(i),
                Use::Read(c) => cols.push((i, c)),
                Use::Ignore => ignored.push(name.clone()),
            }
        }
        if !unknown.is_empty() {
            return Err(csv_records::unknown_columns(&unknown, &known_columns()));
        }
        let email = email.ok_or_else(|| {
            AppError::new(Kind::Invalid, "line 1: the header has no 'email' column")
                .with_hint("the members are keyed by their address: add an 'email' column")
        })?;
        Ok((Source::Csv { rdr, email, cols, width, rec: Record::default() }, ignored))
    }

    /// The fields the rows can name (`None`: any, as in JSON Lines).
    pub fn columns(&self) -> Option<Vec<Column>> {
        match self {
            Source::Csv { cols, .. } => Some(cols.iter().map(|(_, c)| *c).collect()),
            Source::Jsonl { .. } => None,
        }
    }

    /// The next row; `None` at the end. Blank lines are skipped. An error
    /// is the whole input's (an unterminated quote, a NUL byte, I/O).
    pub fn next(&mut self, ignored: &mut Vec<String>) -> Result<Option<Row>> {
        match self {
            Source::Csv { rdr, email, cols, width, rec } => loop {
                if !rdr.read(rec)? {
                    return Ok(None);
                }
                if rec.is_blank() {
                    continue;
                }
                return Ok(Some(csv_row(rec, *email, cols, *width)));
            },
            Source::Jsonl { rdr, line } => loop {
                let mut buf = Vec::new();
                let limit = csv_records::RECORD_LIMIT;
                let n = rdr
                    .by_ref()
                    .take(limit + 1)
                    .read_until(b'\n', &mut buf)
                    .map_err(|e| anyhow::Error::from(error::failure(format!("cannot read the input: {e}"))))?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                if n as u64 > limit {
                    return Err(AppError::new(
                        Kind::Invalid,
                        format!("line {line}: the line is longer than {} MiB", limit >> 20),
                    )
                    .into());
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(json_row(&buf, *line, ignored)));
            },
        }
    }
}

fn csv_row(rec: &Record, email: usize, cols: &[(usize, Column)], width: usize) -> Row {
    let text = |i: usize, name: &str| -> Result<String, AppError> {
        let (raw, cut) = rec.get(i).unwrap_or_default();
        let s = std::str::from_utf8(raw).map_err(|_| {
            AppError::new(Kind::Invalid, format!("{name} {}", csv_records::NOT_UTF8)).with_hint(csv_records::UTF8_HINT)
        })?;
        if cut {
            return Err(error::invalid(format!("{name} is longer than {} KiB", csv_records::FIELD_KEEP >> 10)));
        }
        Ok(csv_records::restore(s).to_string())
    };
    let mut row = Row { line: rec.line, ..Default::default() };
    match text(email, "email") {
        Ok(e) => row.email = e,
        Err(e) => {
            row.error = Some(e);
            return row;
        }
    }
    if rec.len() != width {
        row.error = Some(error::invalid(format!("{} fields, the header has {width}", rec.len())));
        return row;
    }
    for (i, c) in cols {
        match text(*i, c.name()) {
            Ok(v) => row.cells.push((*c, v)),
            Err(e) => {
                row.error = Some(e);
                return row;
            }
        }
    }
    row
}

/// One JSON object: strings, booleans, numbers, `null` (an empty cell) and,
/// for `role` and `groups`, lists of strings.
fn json_row(buf: &[u8], line: u64, ignored: &mut Vec<String>) -> Row {
    let mut row = Row { line, ..Default::default() };
    let fail = |mut row: Row, e: AppError| {
        row.error = Some(e);
        row
    };
    let Ok(text) = std::str::from_utf8(buf) else {
        return fail(row, AppError::new(Kind::Invalid, "the line is not valid UTF-8").with_hint("save the file as UTF-8"));
    };
    let obj = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => return fail(row, error::invalid("the line is not a JSON object")),
        Err(e) => return fail(row, error::invalid(format!("the line is not valid JSON: {e}"))),
    };
    let mut unknown = Vec::new();
    for (k, v) in &obj {
        let Some(c) = csv_records::header_column(k) else {
            unknown.push(format!("'{}'", one_line(k)));
            continue;
        };
        let cell = match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(a) if matches!(c, Column::Role | Column::Groups) => {
                let names: Option<Vec<&str>> = a.iter().map(|x| x.as_str()).collect();
                match names {
                    Some(n) => n.join(";"),
                    None => return fail(row, error::invalid(format!("'{k}' must be a list of names"))),
                }
            }
            _ => return fail(row, error::invalid(format!("'{}' must be a text, a boolean or null", one_line(k)))),
        };
        match use_of(c) {
            Use::Key => row.email = cell,
            Use::Read(c) if row.get(c).is_some() => {
                return fail(row, error::invalid(format!("'{}' appears twice", c.name())));
            }
            Use::Read(c) => row.cells.push((c, cell)),
            Use::Ignore => {
                if !ignored.contains(k) {
                    ignored.push(k.clone());
                }
            }
        }
    }
    if !unknown.is_empty() {
        let what = if unknown.len() == 1 { "key" } else { "keys" };
        return fail(
            row,
            AppError::new(Kind::Invalid, format!("unknown {what} {}", unknown.join(", ")))
                .with_hint(format!("keys: {}", known_columns())),
        );
    }
    if row.email.is_empty() {
        return fail(row, error::invalid("the object has no 'email'"));
    }
    row
}

/// The input file, or stdin for `-`.
pub fn open_input(path: &str) -> Result<Box<dyn Read>> {
    if path == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = std::fs::File::open(path).map_err(|e| error::failure(format!("cannot open {}: {e}", one_line(path))))?;
    Ok(Box::new(f))
}
