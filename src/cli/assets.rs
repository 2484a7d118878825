//! Generated assets: shell completion scripts and man pages, both made from
//! the clap command tree. The checked-in copies under `completions/` and
//! `man/` are compared with fresh ones by `tests/assets.rs`; regenerate them
//! with `ACCT_UPDATE_ASSETS=1 cargo test --test assets`.

use crate::error::{AppError, Kind, Result};
use clap::CommandFactory;
use clap_complete::env::Shells;

pub const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "elvish", "powershell"];

/// The file each shell's script is checked in as.
pub fn completion_file(shell: &str) -> String {
    match shell {
        "bash" => "acct.bash".into(),
        "zsh" => "_acct".into(),
        "fish" => "acct.fish".into(),
        "elvish" => "acct.elv".into(),
        _ => "_acct.ps1".into(),
    }
}

/// The registration script of a shell. It calls `acct` back (with COMPLETE
/// set) for every completion, so subcommands, flags and values from the
/// database are always those of the installed binary.
pub fn completion(shell: &str) -> Result<String> {
    let shells = Shells::builtins();
    let name = if shell == "powershell" { "powershell" } else { shell };
    let completer = shells.completer(name).ok_or_else(|| {
        AppError::new(Kind::Usage, format!("unknown shell '{}'", crate::error::one_line(shell)))
            .with_hint(format!("shells: {}", SHELLS.join(", ")))
    })?;
    let mut buf = Vec::new();
    completer.write_registration("COMPLETE", "acct", "acct", "acct", &mut buf)?;
    let header = match shell {
        "powershell" => {
            "# acct completion for PowerShell; load with: acct completions powershell | Out-String | Invoke-Expression\n"
        }
        "elvish" => "# acct completion for elvish; load with: eval (acct completions elvish | slurp)\n",
        "fish" => "# acct completion for fish; install as ~/.config/fish/completions/acct.fish\n",
        "zsh" => "#compdef acct\n# acct completion for zsh; install as _acct in a directory of $fpath\n",
        _ => "# acct completion for bash; load with: source <(acct completions bash)\n",
    };
    Ok(format!("{header}{}", String::from_utf8_lossy(&buf)))
}

const MAN_EXTRA: &str = r#".SH ENVIRONMENT
.TP
.B ACCT_ACTOR
the acting user (e\-mail, username or id); overrides the configuration key \fBactor\fR
.TP
.B ACCT_DB
the database file; overrides the configuration key \fBdatabase\fR
.TP
.B ACCT_CONFIG
the configuration file
.TP
.B ACCT_ORG
the current organization; overrides the configuration key \fBorg\fR
.TP
.BR ACCT_SMTP_USER ", " ACCT_SMTP_PASSWORD
credentials for the \fBsmtp://\fR and \fBsmtps://\fR mail transports
.TP
.B NO_COLOR
when set and not empty, no colour
.TP
.BR VISUAL ", " EDITOR
the editor of \fBacct user edit\fR without flags (default \fBvi\fR)
.SH FILES
.TP
.I $XDG_CONFIG_HOME/acct/config.toml
the configuration file (\fI~/.config/acct/config.toml\fR)
.TP
.I $XDG_DATA_HOME/acct/acct.db
the default database (\fI~/.local/share/acct/acct.db\fR), with its \fI\-wal\fR and \fI\-shm\fR files
.TP
.I $XDG_DATA_HOME/acct/outbox/
invitation messages of the default \fBoutbox\fR mail transport, one \fI.eml\fR file each
.SH EXAMPLES
Create a database and the first administrator:
.PP
.RS
.nf
acct init \-\-org acme \-\-admin ada@example.com
.fi
.RE
.PP
Invite a helpdesk member from a CI job, idempotently:
.PP
.RS
.nf
ACCT_ACTOR=ci\-bot acct user add bob@example.com \-\-role helpdesk \-\-if\-missing
.fi
.RE
.PP
Check a bulk import without changing anything, then run it:
.PP
.RS
.nf
acct user import people.csv \-\-dry\-run
acct user import people.csv \-\-no\-send \-\-report outcome.csv
.fi
.RE
.PP
Export every active member for a spreadsheet:
.PP
.RS
.nf
acct user export \-\-status active \-\-header labels \-o users.csv
.fi
.RE
"#;

/// Every man page: `acct.1` and one per subcommand (`acct-user-add.1`, ...).
pub fn man_pages() -> Result<Vec<(String, String)>> {
    let mut cmd = crate::cli::Cli::command();
    cmd.build();
    let mut pages = Vec::new();
    let mut text = page(&cmd, false)?;
    text.push_str(&crate::error::exit_status_man());
    text.push_str(MAN_EXTRA);
    pages.push(("acct.1".to_string(), text));
    collect(&cmd, "acct", &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, prefix: &str, pages: &mut Vec<(String, String)>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("{prefix}-{}", sub.get_name());
        let page_cmd = sub.clone().name(name.clone()).bin_name(name.replace('-', " "));
        let mut text = page(&page_cmd, true)?;
        text.push_str(".SH \"SEE ALSO\"\n.BR acct (1)\n");
        pages.push((format!("{name}.1"), text));
        collect(sub, &name, pages)?;
    }
    Ok(())
}

/// One page: title, no hyphenation inside words (`.nh`), NAME, a SYNOPSIS
/// with value names and `...` for repeatable arguments, a DESCRIPTION from
/// the long help (and the notes of the after-help), the options grouped
/// under their headings (GLOBAL OPTIONS apart), the subcommands, and the
/// after-help's examples as EXAMPLES.
fn page(cmd: &clap::Command, with_after_help: bool) -> Result<String> {
    let man = clap_mangen::Man::new(cmd.clone()).date("");
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    buf.extend_from_slice(b".nh\n");
    man.render_name_section(&mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    text.push_str(&synopsis(cmd));
    let after = if with_after_help { cmd.get_after_long_help().or(cmd.get_after_help()).map(|a| a.to_string()) } else { None };
    let (notes, examples) = match after.as_deref().map(|a| a.split_once("Examples:\n").unwrap_or((a, ""))) {
        Some((n, e)) => (n.trim().to_string(), e.to_string()),
        None => (String::new(), String::new()),
    };
    text.push_str(".SH DESCRIPTION\n");
    let about = cmd.get_long_about().or(cmd.get_about()).map(|a| a.to_string()).unwrap_or_default();
    text.push_str(&paragraphs(&about));
    if !notes.is_empty() {
        text.push_str(".PP\n");
        text.push_str(&paragraphs(&notes));
    }
    let mut rest = Vec::new();
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut rest)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut rest)?;
    }
    text.push_str(&String::from_utf8_lossy(&rest));
    if !examples.trim().is_empty() {
        text.push_str(".SH EXAMPLES\n.PP\n.RS\n.nf\n");
        for l in examples.lines() {
            text.push_str(&escape_line(l.trim_start()));
            text.push('\n');
        }
        text.push_str(".fi\n.RE\n");
    }
    let mut version = Vec::new();
    man.render_version_section(&mut version)?;
    text.push_str(&String::from_utf8_lossy(&version));
    Ok(text)
}

/// Text for roff: backslashes and hyphens escaped, other than ASCII as
/// `\[uXXXX]` (groff reads its input as Latin-1).
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\e"),
            '-' => o.push_str("\\-"),
            c if c.is_ascii() => o.push(c),
            c => o.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    o
}

/// A text line for roff: also protected from being read as a request.
fn escape_line(s: &str) -> String {
    let e = escape(s);
    if e.starts_with('.') || e.starts_with('\'') { format!("\\&{e}") } else { e }
}

/// Plain text as roff paragraphs (blank lines separate them).
fn paragraphs(s: &str) -> String {
    let mut out = String::new();
    for (i, p) in s.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            out.push_str(".PP\n");
        }
        let indented = p.lines().any(|l| l.starts_with("  "));
        if indented {
            out.push_str(".nf\n");
        }
        for l in p.lines() {
            out.push_str(&escape_line(if indented { l } else { l.trim() }));
            out.push('\n');
        }
        if indented {
            out.push_str(".fi\n");
        }
    }
    out
}

/// The SYNOPSIS: the command's own options with their value names (`...`
/// when repeatable), then `[GLOBAL OPTIONS]`, the arguments and the
/// subcommand.
fn synopsis(cmd: &clap::Command) -> String {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut parts = vec![format!("\\fB{}\\fR", escape(name))];
    let repeats = |a: &clap::Arg| matches!(a.get_action(), clap::ArgAction::Append | clap::ArgAction::Count);
    let value = |a: &clap::Arg| -> String {
        if !a.get_action().takes_values() {
            return String::new();
        }
        let names = a.get_value_names().map(|v| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "));
        format!(" \\fI{}\\fR", escape(&names.unwrap_or_else(|| a.get_id().to_string().to_uppercase())))
    };
    let mut global = false;
    for a in cmd.get_arguments().filter(|a| !a.is_positional() && !a.is_hide_set()) {
        if matches!(a.get_id().as_str(), "help" | "version") {
            continue;
        }
        if a.is_global_set() || a.get_help_heading() == Some(crate::cli::GLOBAL) {
            global = true;
            continue;
        }
        let flag = match (a.get_short(), a.get_long()) {
            (Some(s), Some(l)) => format!("\\fB\\-{s}\\fR|\\fB\\-\\-{}\\fR", escape(l)),
            (Some(s), None) => format!("\\fB\\-{s}\\fR"),
            (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", escape(l)),
            (None, None) => continue,
        };
        let dots = if repeats(a) { "..." } else { "" };
        if a.is_required_set() {
            parts.push(format!("{flag}{}{dots}", value(a)));
        } else {
            parts.push(format!("[{flag}{}]{dots}", value(a)));
        }
    }
    if global {
        parts.push("[\\fIGLOBAL OPTIONS\\fR]".into());
    }
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let n = a
            .get_value_names()
            .and_then(|v| v.first().map(|n| n.to_string()))
            .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
        let dots = if a.get_num_args().is_some_and(|r| r.max_values() > 1) { "..." } else { "" };
        let n = format!("\\fI{}\\fR{dots}", escape(&n));
        parts.push(if a.is_required_set() { n } else { format!("[{n}]") });
    }
    if cmd.has_subcommands() {
        parts.push("\\fICOMMAND\\fR".into());
    }
    format!(".SH SYNOPSIS\n{}\n", parts.join(" "))
}
