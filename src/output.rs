//! Rendering data: tables for people, CSV/TSV/JSON/JSONL for programs.
//!
//! Data goes to stdout and nothing else does. Rows are written as they come
//! (a [`Sink`]), except for the table format, which needs every row to size its
//! columns and is limited to a page by the commands that use it.

use crate::error::Result;
use serde_json::Value;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    Jsonl,
}

impl Format {
    pub fn is_machine(self) -> bool {
        self != Format::Table
    }
}

/// How a table is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// stdout is a terminal: borders; otherwise plain rows.
    pub terminal: bool,
    pub color: bool,
}

/// Text of a value in a table or CSV cell: null is empty, lists join with `;`.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(cell_text).collect::<Vec<_>>().join(";"),
        Value::Object(_) => v.to_string(),
    }
}

/// A cell that a spreadsheet would run as a formula gets a leading `'`.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// Escape a TSV field: tab, newline, carriage return and backslash.
fn tsv_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o
}

/// Make terminal output safe: control and bidi characters escaped.
fn screen(s: &str) -> String {
    crate::error::message_line(s)
}

/// A stream of rows in one format.
pub struct Sink<'w> {
    out: Out<'w>,
    format: Format,
    style: Style,
    names: Vec<String>,
    header: Vec<String>,
    raw: bool,
    started: bool,
    table: Vec<Vec<String>>,
    /// Set once a long table streams: the column widths of its first rows.
    widths: Option<Vec<usize>>,
    rows: u64,
}

/// A table holds this many rows to size its columns; past them it streams,
/// each further row padded to those widths, so that `user list --all` of a
/// million members needs no more memory than a page of them.
const TABLE_ROWS_HELD: usize = 1000;

/// A plain row of a table without borders: each cell padded to its column's
/// width with one space either side, as comfy-table draws them, trimmed.
fn plain_row(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (c, w) in cells.iter().zip(widths) {
        let pad = w.saturating_sub(unicode_width::UnicodeWidthStr::width(c.as_str()));
        line.push(' ');
        line.push_str(c);
        line.extend(std::iter::repeat_n(' ', pad + 1));
    }
    line.trim().to_string()
}

enum Out<'w> {
    Plain(Box<dyn Write + 'w>),
    Csv(csv::Writer<Box<dyn Write + 'w>>),
}

impl Write for Out<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::Plain(w) => w.write(buf),
            Out::Csv(_) => Err(std::io::Error::other("raw write to a CSV stream")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::Plain(w) => w.flush(),
            Out::Csv(w) => w.flush(),
        }
    }
}

impl<'w> Sink<'w> {
    /// `names` are the field names (JSON keys); `header` the header row.
    pub fn new(
        out: Box<dyn Write + 'w>,
        format: Format,
        style: Style,
        names: Vec<String>,
        header: Vec<String>,
        raw: bool,
    ) -> Sink<'w> {
        let out = if format == Format::Csv {
            Out::Csv(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).buffer_capacity(64 * 1024).from_writer(out))
        } else {
            Out::Plain(out)
        };
        Sink { out, format, style, names, header, raw, started: false, table: Vec::new(), widths: None, rows: 0 }
    }

    fn cell(&self, v: &Value) -> String {
        let s = cell_text(v);
        if self.raw { s } else { neutralize(&s).into_owned() }
    }

    fn start(&mut self) -> Result<()> {
        self.started = true;
        match self.format {
            Format::Csv => {
                if let Out::Csv(w) = &mut self.out {
                    w.write_record(&self.header)?;
                }
            }
            Format::Tsv => {
                let line = self.header.iter().map(|h| tsv_escape(h)).collect::<Vec<_>>().join("\t");
                writeln!(self.out, "{line}")?;
            }
            Format::Json => self.out.write_all(b"[")?,
            Format::Jsonl | Format::Table => {}
        }
        Ok(())
    }

    /// Whether rows may be given as text ([`Sink::text_row`]).
    pub fn takes_text(&self) -> bool {
        matches!(self.format, Format::Csv | Format::Tsv)
    }

    /// A row of cell texts, for CSV and TSV: written without building values.
    pub fn text_row<'a>(&mut self, cells: impl Iterator<Item = std::borrow::Cow<'a, str>>) -> Result<()> {
        if !self.started {
            self.start()?;
        }
        self.rows += 1;
        let raw = self.raw;
        match &mut self.out {
            Out::Csv(w) => {
                for c in cells {
                    if raw { w.write_field(c.as_bytes())? } else { w.write_field(neutralize(&c).as_bytes())? }
                }
                w.write_record(None::<&[u8]>)?;
            }
            Out::Plain(w) => {
                let mut first = true;
                for c in cells {
                    if !first {
                        w.write_all(b"\t")?;
                    }
                    first = false;
                    let c = if raw { c } else { std::borrow::Cow::Owned(neutralize(&c).into_owned()) };
                    w.write_all(tsv_escape(&c).as_bytes())?;
                }
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    pub fn row(&mut self, values: &[Value]) -> Result<()> {
        if !self.started {
            self.start()?;
        }
        self.rows += 1;
        match self.format {
            Format::Table => {
                let cells: Vec<String> = values.iter().map(|v| screen(&cell_text(v))).collect();
                if let Some(w) = &self.widths {
                    let line = plain_row(&cells, w);
                    writeln!(self.out, "{line}")?;
                } else if self.table.len() == TABLE_ROWS_HELD {
                    self.stream_table()?;
                    let line = plain_row(&cells, self.widths.as_deref().unwrap_or_default());
                    writeln!(self.out, "{line}")?;
                } else {
                    self.table.push(cells);
                }
            }
            Format::Csv => {
                let cells: Vec<String> = values.iter().map(|v| self.cell(v)).collect();
                if let Out::Csv(w) = &mut self.out {
                    w.write_record(&cells)?;
                }
            }
            Format::Tsv => {
                let line = values.iter().map(|v| tsv_escape(&self.cell(v))).collect::<Vec<_>>().join("\t");
                writeln!(self.out, "{line}")?;
            }
            Format::Json | Format::Jsonl => {
                let mut obj = serde_json::Map::with_capacity(self.names.len());
                for (n, v) in self.names.iter().zip(values) {
                    obj.insert(n.clone(), v.clone());
                }
                let sep = if self.format == Format::Json { if self.rows == 1 { "\n" } else { ",\n" } } else { "" };
                self.out.write_all(sep.as_bytes())?;
                serde_json::to_writer(&mut self.out, &obj)?;
                if self.format == Format::Jsonl {
                    self.out.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }

    /// Print the rows held so far as a table and stream the rest (plain rows
    /// in the same column widths).
    fn stream_table(&mut self) -> Result<()> {
        let header: Vec<String> = self.header.iter().map(|h| h.to_uppercase()).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| unicode_width::UnicodeWidthStr::width(h.as_str())).collect();
        for r in &self.table {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(unicode_width::UnicodeWidthStr::width(c.as_str()));
            }
        }
        let text = table(&header, &self.table, self.style);
        writeln!(self.out, "{text}")?;
        self.table = Vec::new();
        self.widths = Some(widths);
        Ok(())
    }

    /// Finish the stream; returns the number of rows written.
    pub fn finish(mut self) -> Result<u64> {
        if !self.started && self.format != Format::Table {
            self.start()?;
        }
        match self.format {
            Format::Table => {
                if !self.table.is_empty() {
                    let header: Vec<String> = self.header.iter().map(|h| h.to_uppercase()).collect();
                    let text = table(&header, &self.table, self.style);
                    writeln!(self.out, "{text}")?;
                }
            }
            Format::Csv => {}
            Format::Json => self.out.write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?,
            Format::Tsv | Format::Jsonl => {}
        }
        self.out.flush()?;
        Ok(self.rows)
    }
}

/// A comfy-table: borders on a terminal, plain aligned columns otherwise.
pub fn table(header: &[String], rows: &[Vec<String>], style: Style) -> String {
    use comfy_table::{ContentArrangement, Table, presets};
    let mut t = Table::new();
    if style.terminal {
        t.load_style(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.load_style(presets::NOTHING);
        t.force_no_tty();
    }
    if !style.color {
        t.force_no_tty();
    }
    let mut widths = Vec::new();
    let (header, rows): (&[String], std::borrow::Cow<'_, [Vec<String>]>) = if style.terminal {
        // Fit the terminal: a cell too long for its column is cut with `…`
        // (one line per row) rather than wrapped into slivers; columns that
        // cannot get even a few characters are left out, and stderr says so.
        let width = terminal_width();
        widths = fit_columns(header, rows, width);
        t.set_width(width);
        t.set_truncation_indicator("…");
        let kept = widths.len();
        if kept < header.len() {
            let _ = writeln!(
                std::io::stderr(),
                "note: {} column(s) left out to fit {width} terminal columns ({}); choose them with --columns, or use --format csv",
                header.len() - kept,
                header[kept..].join(", ").to_lowercase()
            );
            (&header[..kept], rows.iter().map(|r| r[..kept.min(r.len())].to_vec()).collect::<Vec<_>>().into())
        } else {
            (header, rows.into())
        }
    } else {
        (header, rows.into())
    };
    let mut head = comfy_table::Row::from(header.iter().map(comfy_table::Cell::new));
    if style.terminal {
        head.max_height(1);
    }
    t.set_header(head);
    for r in rows.iter() {
        let mut row = comfy_table::Row::from(r.iter().map(comfy_table::Cell::new));
        if style.terminal {
            row.max_height(1);
        }
        t.add_row(row);
    }
    for (i, w) in widths.into_iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            let fixed = comfy_table::Width::Fixed(u16::try_from(w + 2).unwrap_or(u16::MAX));
            c.set_constraint(comfy_table::ColumnConstraint::Absolute(fixed));
        }
    }
    if style.terminal {
        t.to_string()
    } else {
        // Plain rows: no padding at the ends of lines.
        t.lines().map(|l| l.trim().to_string()).collect::<Vec<_>>().join("\n")
    }
}

/// The fewest characters a column is cut to (three and the `…`).
const MIN_COLUMN: usize = 4;

/// Content widths of the columns that fit in `width` terminal columns (each
/// column costs its content, two of padding and one of border; the table
/// one more): every column its natural width when they all fit, otherwise
/// the narrow ones keep theirs and the rest share what is left evenly. The
/// result is shorter than `header` when not every column fits.
pub fn fit_columns(header: &[String], rows: &[Vec<String>], width: u16) -> Vec<usize> {
    let natural: Vec<usize> = (0..header.len())
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i)).map(|c| c.lines().map(|l| l.chars().count()).max().unwrap_or(0));
            cells.chain([header[i].chars().count()]).max().unwrap_or(0).max(1)
        })
        .collect();
    let width = width as usize;
    let room = |n: usize| width.saturating_sub(1 + 3 * n);
    let mut kept = natural.len();
    while kept > 1 && natural[..kept].iter().map(|w| (*w).min(MIN_COLUMN)).sum::<usize>() > room(kept) {
        kept -= 1;
    }
    let natural = &natural[..kept];
    let mut left = room(kept);
    if natural.iter().sum::<usize>() <= left {
        return natural.to_vec();
    }
    let mut order: Vec<usize> = (0..kept).collect();
    order.sort_by_key(|i| natural[*i]);
    let mut widths = vec![0; kept];
    for (done, i) in order.into_iter().enumerate() {
        let share = left / (kept - done);
        let w = natural[i].min(share).max(natural[i].min(MIN_COLUMN));
        widths[i] = w;
        left = left.saturating_sub(w);
    }
    widths
}

/// The width of the terminal on stdout. A terminal that reports width 0 (as
/// some pseudo-terminals do) or none is taken as unknown: `COLUMNS` when set,
/// else 80.
pub fn terminal_width() -> u16 {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        return ws.ws_col;
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()).filter(|w| *w > 0).unwrap_or(80)
}

/// One object (`show`): key/value lines in a table, one JSON object otherwise.
pub fn object(out: &mut dyn Write, format: Format, style: Style, fields: &[(&str, Value)]) -> Result<()> {
    match format {
        Format::Json => {
            let mut m = serde_json::Map::new();
            for (k, v) in fields {
                m.insert((*k).to_string(), v.clone());
            }
            serde_json::to_writer_pretty(&mut *out, &Value::Object(m))?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            let mut m = serde_json::Map::new();
            for (k, v) in fields {
                m.insert((*k).to_string(), v.clone());
            }
            serde_json::to_writer(&mut *out, &Value::Object(m))?;
            writeln!(out)?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = fields.iter().map(|(k, v)| vec![(*k).to_string(), screen(&cell_text(v))]).collect();
            let width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
            if style.terminal {
                let t = table(&["FIELD".into(), "VALUE".into()], &rows, style);
                writeln!(out, "{t}")?;
            } else {
                for r in rows {
                    let line = format!("{:width$}  {}", r[0], r[1]);
                    writeln!(out, "{}", line.trim_end())?;
                }
            }
        }
        Format::Csv | Format::Tsv => {
            let names: Vec<String> = fields.iter().map(|(k, _)| (*k).to_string()).collect();
            let mut sink = Sink::new(Box::new(&mut *out), format, style, names.clone(), names, false);
            sink.row(&fields.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>())?;
            sink.finish()?;
        }
    }
    Ok(())
}
