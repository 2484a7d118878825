//! The files of an import: the input (see [`Input`]), the outcome of every
//! line (see [`Lines`]) and the rows to write (see [`Decisions`]), the last
//! two kept on disk.

use super::{Line, Outcome, read_header};
use crate::error::{self, Result, one_line};
use crate::service::csv_records;
use crate::service::invite;
use crate::store::{ImportRow, NewUser};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};

/// The input, read once to decide every row, and again only when a
/// refusal has to be decided exactly (see `keys`). A regular file is read
/// again from its start; anything else (stdin, a pipe, a device) is copied
/// as it is read into an unnamed temporary file, which nothing can change
/// and which vanishes with the process.
pub struct Input {
    file: std::fs::File,
    stream: Option<Box<dyn Read>>,
}

impl Input {
    /// The first reading, its header read and checked (before any database
    /// is opened); the ignored columns are for the caller to note.
    pub fn start(mut self) -> Result<Source> {
        let again = || self.file.try_clone().map_err(|e| error::failure(format!("cannot read the CSV again: {e}")));
        let first: Box<dyn Read> = match self.stream.take() {
            Some(inner) => Box::new(Tee { inner, spool: Some(std::io::BufWriter::new(again()?)) }),
            None => Box::new(again()?),
        };
        let mut rdr = csv_records::Reader::new(first);
        let (cols, width, ignored) = read_header(&mut rdr)?;
        Ok(Source { input: self, rdr, cols, width, ignored })
    }

    pub(super) fn second_pass(&mut self) -> Result<Box<dyn Read + '_>> {
        (&self.file).seek(SeekFrom::Start(0)).map_err(|e| error::failure(format!("cannot read the CSV again: {e}")))?;
        Ok(Box::new(&self.file))
    }
}

/// The input after its header: the first reading goes on from here.
pub struct Source {
    pub(super) input: Input,
    pub(super) rdr: csv_records::Reader<Box<dyn Read>>,
    pub(super) cols: HashMap<&'static str, usize>,
    pub(super) width: usize,
    /// Columns of the header that `user import` does not set.
    pub ignored: Vec<String>,
}

/// Copies what it reads into the spool.
struct Tee {
    inner: Box<dyn Read>,
    spool: Option<std::io::BufWriter<std::fs::File>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(s) = &mut self.spool {
            s.write_all(&buf[..n])?;
            if n == 0 {
                s.flush()?;
            }
        }
        Ok(n)
    }
}

/// The outcome of every line, kept in an unnamed temporary file rather than
/// in memory (one per input row), read back for the report, the plan and
/// the error list.
pub struct Lines {
    out: std::io::BufWriter<std::fs::File>,
    /// Addresses whose invitation could not be delivered.
    failed: HashSet<String>,
}

impl Lines {
    pub(super) fn new() -> Result<Lines> {
        let f = tempfile::tempfile().map_err(|e| error::failure(format!("cannot create a temporary file: {e}")))?;
        Ok(Lines { out: std::io::BufWriter::new(f), failed: HashSet::new() })
    }

    pub(super) fn push(&mut self, l: &Line) -> Result<()> {
        let (tag, msg) = match &l.outcome {
            Outcome::Add => (0u8, ""),
            Outcome::Join => (1, ""),
            Outcome::Skip => (2, ""),
            Outcome::Error(m) => (3, m.as_str()),
        };
        let w = &mut self.out;
        w.write_all(&l.line.to_le_bytes())?;
        w.write_all(&[tag])?;
        for s in [l.email.as_str(), msg] {
            w.write_all(&(s.len() as u64).to_le_bytes())?;
            w.write_all(s.as_bytes())?;
        }
        Ok(())
    }

    /// Deliveries that failed are shown on their lines in the report.
    pub fn mark_failed(&mut self, sent: &[invite::Sent]) {
        self.failed = sent.iter().filter(|s| s.result.is_err()).map(|s| s.email.clone()).collect();
    }

    /// Every line in input order.
    pub fn each(&mut self, mut f: impl FnMut(&Line) -> Result<()>) -> Result<()> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.seek(SeekFrom::Start(0))?;
        let mut r = std::io::BufReader::new(&*file);
        let mut word = [0u8; 8];
        let mut text = |r: &mut std::io::BufReader<&std::fs::File>| -> Result<String> {
            r.read_exact(&mut word)?;
            let mut b = vec![0u8; u64::from_le_bytes(word) as usize];
            r.read_exact(&mut b)?;
            Ok(String::from_utf8(b)?)
        };
        loop {
            let mut head = [0u8; 9];
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e.into()),
            }
            let line = u64::from_le_bytes(head[..8].try_into()?);
            let email = text(&mut r)?;
            let msg = text(&mut r)?;
            let mut outcome = match head[8] {
                0 => Outcome::Add,
                1 => Outcome::Join,
                2 => Outcome::Skip,
                _ => Outcome::Error(msg),
            };
            if outcome == Outcome::Add && self.failed.contains(&email) {
                outcome =
                    Outcome::Error("added, but the invitation could not be delivered (retry with 'acct invite resend')".into());
            }
            f(&Line { line, email, outcome })?;
        }
        self.out.get_mut().seek(SeekFrom::End(0))?;
        Ok(())
    }
}

pub fn open_input(path: &str) -> Result<Input> {
    let spool = || tempfile::tempfile().map_err(|e| error::failure(format!("cannot create a temporary file: {e}")));
    if path == "-" {
        return Ok(Input { file: spool()?, stream: Some(Box::new(std::io::stdin())) });
    }
    let f = std::fs::File::open(path).map_err(|e| error::failure(format!("cannot open {}: {e}", one_line(path))))?;
    if f.metadata().is_ok_and(|m| m.is_file()) {
        return Ok(Input { file: f, stream: None });
    }
    Ok(Input { file: spool()?, stream: Some(Box::new(f)) })
}

/// The rows to write, as the first pass decided them, kept in an unnamed
/// temporary file: the second pass writes them from here, neither reading
/// the input again nor asking the database the same questions.
pub(super) struct Decisions {
    out: std::io::BufWriter<std::fs::File>,
    rows: u64,
}

impl Decisions {
    pub(super) fn new() -> Result<Decisions> {
        let f = tempfile::tempfile().map_err(|e| error::failure(format!("cannot create a temporary file: {e}")))?;
        Ok(Decisions { out: std::io::BufWriter::new(f), rows: 0 })
    }

    pub(super) fn push(&mut self, r: &ImportRow) -> Result<()> {
        let w = &mut self.out;
        match &r.new {
            Some(u) => {
                if u.status.is_some() {
                    return Err(anyhow::anyhow!("internal error: an imported user with a status of its own"));
                }
                w.write_all(&[1])?;
                for s in [&u.username, &u.email, &u.email_key] {
                    put_text(w, Some(s))?;
                }
                for s in [&u.first_name, &u.last_name, &u.full_name, &u.initials] {
                    put_text(w, s.as_ref())?;
                }
            }
            None => w.write_all(&[0])?,
        }
        put_number(w, r.existing)?;
        put_number(w, r.group)?;
        if r.roles.len() != r.role_names.len() {
            return Err(anyhow::anyhow!("internal error: an import row's roles and their names differ"));
        }
        w.write_all(&(r.roles.len() as u64).to_le_bytes())?;
        for (id, name) in r.roles.iter().zip(&r.role_names) {
            w.write_all(&id.to_le_bytes())?;
            put_text(w, Some(name))?;
        }
        put_text(w, Some(&r.changes))?;
        self.rows += 1;
        Ok(())
    }

    /// How many rows are kept.
    pub(super) fn len(&self) -> u64 {
        self.rows
    }

    /// Hands the rows back in their order, up to `chunk` at a time.
    pub(super) fn each_chunk(self, chunk: usize, mut f: impl FnMut(&mut Vec<ImportRow>) -> Result<()>) -> Result<()> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut r = std::io::BufReader::new(file);
        let mut rows = Vec::with_capacity(chunk);
        for _ in 0..self.rows {
            rows.push(read_row(&mut r)?);
            if rows.len() == chunk {
                f(&mut rows)?;
                rows.clear();
            }
        }
        if !rows.is_empty() {
            f(&mut rows)?;
        }
        Ok(())
    }
}

fn put_text(w: &mut impl Write, s: Option<&String>) -> Result<()> {
    match s {
        None => w.write_all(&u64::MAX.to_le_bytes())?,
        Some(s) => {
            w.write_all(&(s.len() as u64).to_le_bytes())?;
            w.write_all(s.as_bytes())?;
        }
    }
    Ok(())
}

fn put_number(w: &mut impl Write, n: Option<i64>) -> Result<()> {
    match n {
        None => w.write_all(&[0])?,
        Some(n) => {
            w.write_all(&[1])?;
            w.write_all(&n.to_le_bytes())?;
        }
    }
    Ok(())
}

fn word(r: &mut impl Read) -> Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn byte(r: &mut impl Read) -> Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn get_text(r: &mut impl Read) -> Result<Option<String>> {
    let n = word(r)?;
    if n == u64::MAX {
        return Ok(None);
    }
    let mut b = vec![0u8; usize::try_from(n)?];
    r.read_exact(&mut b)?;
    Ok(Some(String::from_utf8(b)?))
}

fn need_text(r: &mut impl Read) -> Result<String> {
    get_text(r)?.ok_or_else(|| anyhow::anyhow!("internal error: a value missing in the import's temporary file"))
}

fn get_number(r: &mut impl Read) -> Result<Option<i64>> {
    Ok(match byte(r)? {
        0 => None,
        _ => Some(word(r)? as i64),
    })
}

fn read_row(r: &mut impl Read) -> Result<ImportRow> {
    let new = match byte(r)? {
        0 => None,
        _ => Some(NewUser {
            username: need_text(r)?,
            email: need_text(r)?,
            email_key: need_text(r)?,
            first_name: get_text(r)?,
            last_name: get_text(r)?,
            full_name: get_text(r)?,
            initials: get_text(r)?,
            status: None,
        }),
    };
    let existing = get_number(r)?;
    let group = get_number(r)?;
    let n = word(r)?;
    let (mut roles, mut role_names) = (Vec::new(), Vec::new());
    for _ in 0..n {
        roles.push(word(r)? as i64);
        role_names.push(need_text(r)?);
    }
    let changes = need_text(r)?;
    Ok(ImportRow { new, existing, roles, role_names, group, changes })
}
