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

const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
.B 0
success
.TP
.B 1
failure not covered below (I/O, database)
.TP
.B 2
usage: bad flags or arguments; a confirmation needed without a terminal and without \fB\-\-yes\fR
.TP
.B 3
not found: user, role, group, org
.TP
.B 4
permission denied (also an unknown or inactive actor)
.TP
.B 5
conflict: already exists, last admin, invalid state
.TP
.B 6
invalid input: bad e\-mail, phone, timezone, CSV row
.TP
.B 7
partial: a multi\-target command with \fB\-\-keep\-going\fR where some targets failed
.SH ENVIRONMENT
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
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).date("").render(&mut top)?;
    let mut text = String::from_utf8_lossy(&top).into_owned();
    text.push_str(MAN_EXTRA);
    pages.push(("acct.1".to_string(), text));
    collect(&cmd, "acct", &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, prefix: &str, pages: &mut Vec<(String, String)>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("{prefix}-{}", sub.get_name());
        let page_cmd = sub.clone().name(name.clone()).bin_name(name.replace('-', " "));
        let mut buf = Vec::new();
        clap_mangen::Man::new(page_cmd).date("").render(&mut buf)?;
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        text.push_str(".SH \"SEE ALSO\"\n.BR acct (1)\n");
        pages.push((format!("{name}.1"), text));
        collect(sub, &name, pages)?;
    }
    Ok(())
}
