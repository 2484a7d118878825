//! A streaming CSV record reader for `user import`.
//!
//! Why not the `csv` crate here: it accepts the end of the file inside a
//! quoted field (an unterminated quote silently swallows the rest of the
//! file), skips blank lines without a trace and counts CR-only line ends not
//! at all, so its positions cannot give the physical line numbers the SPEC
//! asks for. This reader counts LF, CRLF and CR alike as one line end,
//! blank lines included, names the line where a quote opens when it is never
//! closed, and bounds what it keeps of a record, so that no input (an endless
//! `/dev/zero`, a 10 GB line) can make memory grow.
//!
//! The dialect is the one the `csv` crate reads by default: `"` quotes,
//! `""` inside quotes is one quote, bytes after a closing quote up to the
//! next delimiter are kept as they are, a UTF-8 byte-order mark is skipped.

use crate::error::{AppError, Kind};
use std::io::{BufRead, BufReader, Read};

/// What is kept of one field: longer fields keep their first bytes and are
/// marked truncated (every import column has a much smaller limit, so the
/// validators still give their own message).
pub const FIELD_KEEP: usize = 64 * 1024;
/// What is kept of one record in all.
const RECORD_KEEP: usize = 1024 * 1024;
/// Fields kept per record (the header's width is far smaller).
const FIELDS_KEEP: usize = 256;
/// A record longer than this (raw bytes) is refused outright: nothing of a
/// legitimate import comes close, and an endless input must end somewhere.
pub const RECORD_LIMIT: u64 = 16 * 1024 * 1024;

/// One record: its fields (as far as kept), where it starts and how many
/// fields it really has.
#[derive(Debug, Default)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    truncated: Vec<bool>,
    count: usize,
    /// The physical line (1-based) of the record's first byte.
    pub line: u64,
}

impl Record {
    /// The number of fields in the record (also those not kept).
    pub fn len(&self) -> usize {
        self.count
    }

    /// A field's kept bytes and whether it was longer than that.
    pub fn get(&self, i: usize) -> Option<(&[u8], bool)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some((&self.data[start..end], self.truncated[i]))
    }

    /// A line holding nothing at all.
    pub fn is_blank(&self) -> bool {
        self.count == 1 && self.data.is_empty()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.truncated.clear();
        self.count = 0;
    }

    fn push(&mut self, b: u8, field_len: &mut usize) {
        if self.ends.len() < FIELDS_KEEP && *field_len < FIELD_KEEP && self.data.len() < RECORD_KEEP {
            self.data.push(b);
        }
        *field_len += 1;
    }

    fn end_field(&mut self, field_len: &mut usize) {
        if self.ends.len() < FIELDS_KEEP {
            let start = self.ends.last().copied().unwrap_or(0);
            self.ends.push(self.data.len());
            self.truncated.push(self.data.len() - start < *field_len);
        }
        self.count += 1;
        *field_len = 0;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records.
    Start,
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: a second one, or the field's end.
    QuoteSeen,
}

pub struct Reader<R: Read> {
    inner: BufReader<R>,
    delimiter: u8,
    /// The physical line of the next byte.
    line: u64,
    prev_cr: bool,
    at_start: bool,
}

fn invalid(msg: String) -> anyhow::Error {
    AppError::new(Kind::Invalid, msg).into()
}

fn not_text(line: u64) -> anyhow::Error {
    AppError::new(Kind::Invalid, format!("line {line}: the file holds a NUL byte: it is not a CSV text file"))
        .with_hint("save it as CSV UTF-8 (a UTF-16 \"Unicode text\" file holds NUL bytes)")
        .into()
}

impl<R: Read> Reader<R> {
    pub fn new(input: R) -> Self {
        Reader { inner: BufReader::with_capacity(64 * 1024, input), delimiter: b',', line: 1, prev_cr: false, at_start: true }
    }

    /// Read a header line holding `;` and no `,` as semicolon-separated (as
    /// European spreadsheets save CSV). Call before the first record.
    pub fn sniff_delimiter(&mut self) -> anyhow::Result<()> {
        let io = |e: std::io::Error| anyhow::Error::from(crate::error::failure(format!("cannot read the CSV: {e}")));
        if self.at_start {
            self.skip_bom().map_err(io)?;
            self.at_start = false;
        }
        let buf = self.inner.fill_buf().map_err(io)?;
        let end = buf.iter().position(|b| *b == b'\n' || *b == b'\r').unwrap_or(buf.len());
        let line = &buf[..end];
        if line.contains(&b';') && !line.contains(&b',') {
            self.delimiter = b';';
        }
        Ok(())
    }

    fn skip_bom(&mut self) -> std::io::Result<()> {
        const BOM: &[u8] = b"\xef\xbb\xbf";
        let mut seen = 0;
        while seen < BOM.len() {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = (BOM.len() - seen).min(buf.len());
            if buf[..n] != BOM[seen..seen + n] {
                // Only a whole BOM is skipped; a partial match cannot be
                // given back, but no CSV starts with those bytes.
                break;
            }
            self.inner.consume(n);
            seen += n;
        }
        Ok(())
    }

    /// Read the next record into `rec`; `Ok(false)` at the end of the input.
    pub fn read(&mut self, rec: &mut Record) -> anyhow::Result<bool> {
        let io = |e: std::io::Error| anyhow::Error::from(crate::error::failure(format!("cannot read the CSV: {e}")));
        if self.at_start {
            self.skip_bom().map_err(io)?;
            self.at_start = false;
        }
        rec.clear();
        let mut state = State::Start;
        let mut field_len = 0usize;
        let mut raw: u64 = 0;
        let mut quote_line = 0u64;
        loop {
            let buf = self.inner.fill_buf().map_err(io)?;
            if buf.is_empty() {
                return match state {
                    State::Start => Ok(false),
                    State::Quoted => Err(invalid(format!(
                        "line {quote_line}: unterminated quoted field: the quote that opens on this line is never closed"
                    ))),
                    _ => {
                        rec.end_field(&mut field_len);
                        Ok(true)
                    }
                };
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                used += 1;
                let crlf_tail = b == b'\n' && self.prev_cr;
                self.prev_cr = b == b'\r';
                let line_end = (b == b'\r' || b == b'\n') && !crlf_tail;
                if b == 0 {
                    return Err(not_text(self.line));
                }
                if state == State::Start {
                    if crlf_tail {
                        continue;
                    }
                    rec.line = self.line;
                    state = State::FieldStart;
                }
                raw += 1;
                if raw > RECORD_LIMIT {
                    let msg = if state == State::Quoted {
                        format!(
                            "line {quote_line}: a quoted field that opens on this line runs past {} MiB: is its closing quote missing?",
                            RECORD_LIMIT >> 20
                        )
                    } else {
                        format!("line {}: the record is longer than {} MiB", rec.line, RECORD_LIMIT >> 20)
                    };
                    return Err(invalid(msg));
                }
                let quote = b == b'"';
                let delim = b == self.delimiter;
                state = match state {
                    State::FieldStart | State::Unquoted if delim => {
                        rec.end_field(&mut field_len);
                        State::FieldStart
                    }
                    State::FieldStart if quote => {
                        quote_line = self.line;
                        State::Quoted
                    }
                    State::QuoteSeen if quote => {
                        rec.push(b'"', &mut field_len);
                        State::Quoted
                    }
                    State::QuoteSeen if delim => {
                        rec.end_field(&mut field_len);
                        State::FieldStart
                    }
                    State::FieldStart | State::Unquoted | State::QuoteSeen if line_end => {
                        rec.end_field(&mut field_len);
                        done = true;
                        State::Start
                    }
                    State::Quoted if quote => State::QuoteSeen,
                    State::Quoted => {
                        rec.push(b, &mut field_len);
                        State::Quoted
                    }
                    _ => {
                        rec.push(b, &mut field_len);
                        State::Unquoted
                    }
                };
                if line_end {
                    self.line += 1;
                }
                if done {
                    break;
                }
            }
            self.inner.consume(used);
            if done {
                return Ok(true);
            }
        }
    }
}

/// A cell as it was before `user export` neutralised it: the `'` that
/// export puts before `=`, `+`, `-`, `@`, a tab or a line break is dropped.
pub fn restore(cell: &str) -> &str {
    match cell.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n', ..] => &cell[1..],
        _ => cell,
    }
}

/// The field a header names: its name or its label (`user export --header
/// labels`), without regard to case and surrounding space, and the names of
/// Google Workspace's bulk-upload file and of GAM's `print users`.
pub fn header_column(header: &str) -> Option<crate::store::Column> {
    use crate::store::Column;
    let words: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    let key = words.join(" ");
    let alias = match key.as_str() {
        "email address [required]" | "primaryemail" => Some(Column::Email),
        "first name [required]" | "name.givenname" => Some(Column::FirstName),
        "last name [required]" | "name.familyname" => Some(Column::LastName),
        _ => None,
    };
    alias
        .or_else(|| Column::ALL.into_iter().find(|c| c.label().eq_ignore_ascii_case(&key)))
        .or_else(|| Column::parse(&words.join("_")))
}

/// The header row's names (trimmed), and its width. An empty input or a
/// header that is not UTF-8 is an error.
pub fn header_names<R: Read>(rdr: &mut Reader<R>) -> anyhow::Result<(Vec<String>, usize)> {
    let mut header = Record::default();
    if !rdr.read(&mut header)? {
        return Err(invalid("the CSV is empty: it needs a header row with an 'email' column".into()));
    }
    let mut names = Vec::with_capacity(header.len());
    for i in 0..header.len().min(FIELDS_KEEP) {
        let (h, _) = header.get(i).unwrap_or_default();
        let name = std::str::from_utf8(h).map_err(|_| not_utf8(1))?;
        names.push(name.trim().to_string());
    }
    Ok((names, header.len()))
}

/// How a row error says that a field is not UTF-8.
pub const NOT_UTF8: &str = "is not valid UTF-8";

/// The hint for a file with fields that are not UTF-8.
pub const UTF8_HINT: &str = "save it as CSV UTF-8 (in a spreadsheet: Save As, CSV UTF-8)";

/// The error for a file that is not UTF-8.
pub fn not_utf8(line: u64) -> anyhow::Error {
    AppError::new(Kind::Invalid, format!("line {line}: the file is not valid UTF-8")).with_hint(UTF8_HINT).into()
}

/// Every unknown column of a header, named at once.
pub fn unknown_columns(unknown: &[String], known: &str) -> anyhow::Error {
    let names: Vec<String> = unknown.iter().map(|u| format!("'{}'", crate::error::one_line(u))).collect();
    let what = if names.len() == 1 { "column" } else { "columns" };
    AppError::new(Kind::Invalid, format!("line 1: unknown {what} {}", names.join(", ")))
        .with_hint(format!("columns: {known}"))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> anyhow::Result<Vec<(u64, Vec<String>)>> {
        let mut r = Reader::new(input);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec)? {
            let fields = (0..rec.len()).map(|i| String::from_utf8_lossy(rec.get(i).unwrap().0).into_owned()).collect();
            out.push((rec.line, fields));
        }
        Ok(out)
    }

    fn lines(input: &[u8]) -> Vec<u64> {
        all(input).unwrap().into_iter().filter(|(_, f)| f != &[String::new()]).map(|(l, _)| l).collect()
    }

    #[test]
    fn every_line_ending_counts_one_line_and_blank_lines_count() {
        assert_eq!(lines(b"email\nok1\nok2\nbad\n"), [1, 2, 3, 4]);
        assert_eq!(lines(b"email\r\nok1\r\nok2\r\nbad\r\n"), [1, 2, 3, 4]);
        assert_eq!(lines(b"email\rok1\rok2\rbad\r"), [1, 2, 3, 4]);
        assert_eq!(lines(b"email\n\nok1\r\n\r\nok2\r\rbad"), [1, 3, 5, 7]);
        // A record spanning lines is numbered by its first line.
        assert_eq!(lines(b"e,n\r\na,\"x\r\ny\"\r\nb,z\r\n"), [1, 2, 4]);
    }

    #[test]
    fn quoting_as_the_csv_crate_reads_it() {
        let got = all(b"\xef\xbb\xbfa,b\n\"x, \"\"y\"\"\",\"l1\nl2\"\n\"q\"r,s\"t\n,\n").unwrap();
        let want: Vec<(u64, Vec<String>)> = vec![
            (1, vec!["a".into(), "b".into()]),
            (2, vec!["x, \"y\"".into(), "l1\nl2".into()]),
            (4, vec!["qr".into(), "s\"t".into()]),
            (5, vec![String::new(), String::new()]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn an_unterminated_quote_names_the_line_where_it_opens() {
        let err = all(b"email,first_name\na@x.test,\"A\nb@x.test,B\nc@x.test,C\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2: unterminated quoted field"), "{err}");
        let err = all(b"e,n\r\na,\"ok\r\nstill\",\"open\r\nb,B\r\n").unwrap_err();
        assert!(err.to_string().starts_with("line 3: unterminated quoted field"), "{err}");
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let mut big = b"e,n\na,".to_vec();
        big.extend(std::iter::repeat_n(b'x', FIELD_KEEP * 3));
        big.push(b'\n');
        let mut r = Reader::new(&big[..]);
        let mut rec = Record::default();
        assert!(r.read(&mut rec).unwrap());
        assert!(r.read(&mut rec).unwrap());
        assert_eq!(rec.get(0), Some((&b"a"[..], false)));
        let (kept, truncated) = rec.get(1).unwrap();
        assert_eq!((kept.len(), truncated), (FIELD_KEEP, true));
        // An endless line and NUL bytes end with an error.
        let endless = std::io::repeat(b'x').take(RECORD_LIMIT + 10);
        let err = Reader::new(endless).read(&mut rec).unwrap_err();
        assert_eq!(err.to_string(), "line 1: the record is longer than 16 MiB");
        let err = Reader::new(std::io::repeat(0).take(1 << 30)).read(&mut rec).unwrap_err();
        assert!(err.to_string().starts_with("line 1: the file holds a NUL byte"), "{err}");
    }
}
