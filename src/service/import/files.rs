//! The files of an import: the input, read twice (see [`Input`]), and the
//! outcome of every line, kept on disk (see [`Lines`]).

use super::{Line, Outcome, read_header};
use crate::error::{self, Result, one_line};
use crate::service::csv_records;
use crate::service::invite;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};

/// The input, read twice: once to validate, once to write. A regular file
/// is read again from its start; anything else (stdin, a pipe, a device) is
/// copied as it is read into an unnamed temporary file, which nothing can
/// change and which vanishes with the process.
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
