//! The resolved settings of one invocation: flags over environment over the
//! configuration file over defaults, decided here and nowhere else.

use crate::authz::{self, Subject};
use crate::config::{self, Config};
use crate::error::{self, AppError, Kind, Result};
use crate::output::{Format, Style};
use crate::store::{self, Org, Store, Tx};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

pub struct Ctx {
    pub config: Config,
    db_flag: Option<PathBuf>,
    org_flag: Option<String>,
    format: Option<Format>,
    pub dry_run: bool,
    pub yes: bool,
    pub quiet: bool,
    pub color: bool,
    pub stdout_tty: bool,
    pub stdin_tty: bool,
    pub stderr_tty: bool,
    /// Set when a dry run rolled its transaction back; `main` says so last.
    rolled_back: std::cell::Cell<bool>,
    /// The change id of this invocation: every audit entry it writes, in
    /// any transaction of any store it opens, carries it.
    change_id: String,
}

/// The global flags, as parsed (environment already applied by clap).
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub db: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub org: Option<String>,
    pub format: Option<Format>,
    pub dry_run: bool,
    pub yes: bool,
    pub quiet: bool,
    pub no_color: bool,
}

impl Ctx {
    pub fn new(g: Globals) -> Result<Ctx> {
        let path = match g.config {
            Some(p) => p,
            None => config::default_path()?,
        };
        let config = Config::load(&path)?;
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_tty = std::io::stderr().is_terminal();
        Ok(Ctx {
            config,
            db_flag: g.db,
            org_flag: g.org,
            format: g.format,
            dry_run: g.dry_run,
            yes: g.yes,
            quiet: g.quiet,
            color: !g.no_color && !no_color_env && stderr_tty,
            stdout_tty: std::io::stdout().is_terminal(),
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty,
            rolled_back: std::cell::Cell::new(false),
            change_id: crate::store::chain::new_change_id(),
        })
    }

    /// The format asked for, or the command's default.
    pub fn format_or(&self, default: Format) -> Format {
        self.format.unwrap_or(default)
    }

    pub fn format_given(&self) -> Option<Format> {
        self.format
    }

    pub fn style(&self) -> Style {
        Style { terminal: self.stdout_tty, color: self.color && self.stdout_tty }
    }

    /// Prompts need a person: stdin and stderr on a terminal.
    pub fn interactive(&self) -> bool {
        self.stdin_tty && self.stderr_tty
    }

    /// `--db`, `ACCT_DB`, config `database`, then `acct.db` in the data dir.
    pub fn db_path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.db_flag {
            return Ok(p.clone());
        }
        if let Some(p) = self.config.value("database")? {
            return Ok(PathBuf::from(p));
        }
        Ok(config::data_dir()?.join("acct.db"))
    }

    pub fn outbox_dir(&self) -> Result<PathBuf> {
        Ok(config::data_dir()?.join("outbox"))
    }

    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        let path = self.db_path()?;
        let mut store = store::open(&path)?;
        store.set_change_id(&self.change_id);
        warn_if_shared(self, &path);
        Ok(store)
    }

    /// The change id of this invocation.
    pub fn change_id(&self) -> &str {
        &self.change_id
    }

    /// `--org`, `ACCT_ORG`, then config `org`.
    pub fn org_slug(&self) -> Result<String, AppError> {
        let configured = match &self.org_flag {
            Some(_) => None,
            None => self.config.value("org")?,
        };
        self.org_flag.clone().or(configured).ok_or_else(|| {
            AppError::new(Kind::Usage, "no current organization")
                .with_hint("pass --org SLUG, set ACCT_ORG, or run 'acct org use SLUG'")
        })
    }

    /// The current organization.
    pub fn org(&self, tx: &dyn Tx) -> Result<Org> {
        let slug = self.org_slug()?;
        crate::service::org_named(tx, &slug)
    }

    /// `ACCT_ACTOR`, then config `actor`. A value that is set but unreadable
    /// (not UTF-8, or empty) is refused: it never falls back to another,
    /// perhaps more powerful, identity.
    pub fn actor_name(&self) -> Result<String, AppError> {
        let unreadable = |what: &str| {
            AppError::new(Kind::Denied, format!("{what} is set but is not a usable actor"))
                .with_hint("set it to an e-mail, username or id, or unset it")
        };
        if let Some(v) = std::env::var_os("ACCT_ACTOR") {
            let v = v.into_string().map_err(|_| unreadable("ACCT_ACTOR (not valid UTF-8)"))?;
            if v.trim().is_empty() {
                return Err(unreadable("ACCT_ACTOR (empty)"));
            }
            return Ok(v);
        }
        match self.config.value("actor")? {
            Some(v) if v.trim().is_empty() => Err(unreadable("the configured actor (empty)")),
            Some(v) => Ok(v),
            None => Err(AppError::new(Kind::Denied, "no actor configured")
                .with_hint("set the acting user with 'acct config set actor EMAIL' or ACCT_ACTOR")),
        }
    }

    /// The acting user's facts; an unknown, inactive, invited or trashed actor
    /// may do nothing.
    pub fn actor(&self, tx: &dyn Tx) -> Result<Subject> {
        let name = self.actor_name()?;
        let unknown = || AppError::new(Kind::Denied, format!("the actor '{}' does not exist", error::one_line(&name)));
        let sel = crate::service::user_selector(&name).map_err(|_| unknown())?;
        let id = tx.find_user(&sel)?.ok_or_else(unknown)?;
        let s = tx.subject(id)?.ok_or_else(unknown)?;
        authz::check_actor(&s)?;
        crate::service::login::check(tx, &s)?;
        Ok(s)
    }

    /// A note for people on stderr (not with --quiet).
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{}", msg.as_ref());
        }
    }

    pub fn warn(&self, msg: impl AsRef<str>) {
        let prefix = if self.color { "\x1b[33mwarning:\x1b[0m" } else { "warning:" };
        let _ = writeln!(std::io::stderr(), "{prefix} {}", msg.as_ref());
    }

    /// Commit, or roll back under `--dry-run`.
    pub fn finish(&self, tx: Box<dyn Tx + '_>) -> Result<()> {
        if self.dry_run {
            drop(tx);
            self.rolled_back.set(true);
            Ok(())
        } else {
            tx.commit()
        }
    }

    /// Secrets are checked only for real: a dry run of a command that checks
    /// a code, a token or a password would be an oracle that never locks.
    pub fn refuse_dry_run(&self, command: &str) -> Result<(), AppError> {
        if self.dry_run {
            return Err(AppError::new(Kind::Usage, format!("'{command}' cannot be run with --dry-run"))
                .with_hint("it checks a secret, and a dry run would let codes be tried without a lockout"));
        }
        Ok(())
    }

    /// The closing note of a dry run, after the command's own "would" lines.
    pub fn close(&self) {
        if self.dry_run && self.rolled_back.get() {
            self.note("dry run: nothing was changed");
        }
    }

    /// Ask before destroying: a prompt on a terminal, `--yes` otherwise.
    pub fn confirm(&self, question: &str) -> Result<()> {
        if self.yes || self.dry_run {
            return Ok(());
        }
        if !self.interactive() {
            return Err(AppError::new(Kind::Usage, "confirmation needed, and there is no terminal to ask")
                .with_hint("pass --yes to confirm")
                .into());
        }
        let ok = dialoguer::Confirm::new().with_prompt(question).default(false).interact()?;
        // Saying no is an answer, not a failure: exit 0, and say so.
        if ok { Ok(()) } else { Err(AppError::new(Kind::Cancelled, "cancelled; nothing was changed").into()) }
    }

    /// Run `body` in a write transaction and commit what it did (roll back
    /// under `--dry-run`, or when it returns `false` beside its result).
    /// `body` asks for confirmation through its `ask` argument, and no
    /// question is ever on screen while the write lock is held (other acct
    /// processes would wait on it): on a terminal, the body runs to its
    /// question and is rolled back; the question is asked with no
    /// transaction open; then the body runs again, on the facts as they are
    /// now, and if it would ask something else, nothing is changed. `again`
    /// tells the body it runs after the answer (to show a plan only once).
    pub fn write_confirmed<T>(
        &self,
        store: &mut dyn Store,
        mut body: impl FnMut(&mut dyn Tx, &mut Ask<'_>, bool) -> Result<(T, bool)>,
    ) -> Result<T> {
        let run = |tx: Box<dyn Tx + '_>, (out, keep): (T, bool)| -> Result<T> {
            if keep {
                self.finish(tx)?;
            }
            Ok(out)
        };
        if self.yes || self.dry_run || !self.interactive() {
            let mut tx = store.write()?;
            let out = body(&mut *tx, &mut |q: &str| self.confirm(q), false)?;
            return run(tx, out);
        }
        let mut asked: Option<String> = None;
        {
            let mut tx = store.write()?;
            let first = body(
                &mut *tx,
                &mut |q: &str| {
                    asked = Some(q.to_string());
                    Err(Asked.into())
                },
                false,
            );
            match first {
                Ok(out) => return run(tx, out),
                Err(e) if e.is::<Asked>() => {}
                Err(e) => return Err(e),
            }
        }
        let Some(question) = asked else {
            return Err(anyhow::anyhow!("internal error: a confirmation was asked without a question"));
        };
        self.confirm(&question)?;
        let mut tx = store.write()?;
        let out = body(
            &mut *tx,
            &mut |q: &str| {
                if q == question {
                    return Ok(());
                }
                Err(AppError::new(Kind::Conflict, "the database changed while the question was on screen; nothing was changed")
                    .with_hint(format!("it would now ask: {}", error::one_line(q)))
                    .into())
            },
            true,
        )?;
        run(tx, out)
    }

    pub fn stdout(&self) -> std::io::BufWriter<std::io::StdoutLock<'static>> {
        std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock())
    }
}

/// The store of one invocation, opened once. Commands start transactions
/// on it; a transaction knows the acting user and ends with `finish`.
pub struct Session<'c> {
    ctx: &'c Ctx,
    store: Box<dyn Store>,
}

impl Ctx {
    /// Open the database of this invocation.
    pub fn session(&self) -> Result<Session<'_>> {
        Ok(Session { ctx: self, store: self.open_store()? })
    }
}

impl<'c> Session<'c> {
    /// A read-only transaction, with the actor resolved first: nobody who is
    /// not a usable actor learns anything from the database.
    pub fn read(&mut self) -> Result<Transaction<'_>> {
        let tx = self.store.read()?;
        Transaction::new(self.ctx, tx)
    }

    /// A write transaction (SQLite: `BEGIN IMMEDIATE`), with the actor
    /// resolved inside it, so that the facts decided on hold at the write.
    pub fn start_transaction(&mut self) -> Result<Transaction<'_>> {
        let tx = self.store.write()?;
        Transaction::new(self.ctx, tx)
    }

    /// A write whose body may ask for confirmation: see
    /// [`Ctx::write_confirmed`]. The actor is resolved in each run.
    pub fn write_confirmed<T>(
        &mut self,
        mut body: impl FnMut(&mut dyn Tx, &Subject, &mut Ask<'_>, bool) -> Result<(T, bool)>,
    ) -> Result<T> {
        let ctx = self.ctx;
        ctx.write_confirmed(&mut *self.store, |tx, ask, again| {
            let actor = ctx.actor(&*tx)?;
            body(tx, &actor, ask, again)
        })
    }

    /// Deliver invitation mails after their transaction committed, and
    /// record each outcome; a dry run sends nothing.
    pub fn deliver(
        &mut self,
        mails: Vec<(&authz::Permit, crate::service::invite::PendingMail)>,
    ) -> Result<Vec<crate::service::invite::Sent>> {
        if mails.is_empty() || self.ctx.dry_run {
            return Ok(vec![]);
        }
        crate::service::invite::deliver(&self.ctx.config, &self.ctx.outbox_dir()?, &mut *self.store, mails)
    }

    /// The store itself, for work that spans several transactions.
    pub fn store(&mut self) -> &mut dyn Store {
        &mut *self.store
    }
}

/// One transaction of a command: the repository, the acting user, and the
/// invocation's commit or dry-run rule. Dropped without `finish`, it rolls
/// back.
#[must_use = "a transaction that is not finished is rolled back"]
pub struct Transaction<'s> {
    pub tx: Box<dyn Tx + 's>,
    pub actor: Subject,
    ctx: &'s Ctx,
}

impl<'s> Transaction<'s> {
    fn new(ctx: &'s Ctx, tx: Box<dyn Tx + 's>) -> Result<Transaction<'s>> {
        let actor = ctx.actor(&*tx)?;
        Ok(Transaction { tx, actor, ctx })
    }

    /// The current organization (`--org`, `ACCT_ORG`, config `org`).
    pub fn org(&self) -> Result<Org> {
        self.ctx.org(&*self.tx)
    }

    /// Commit, or roll back under `--dry-run`.
    pub fn finish(self) -> Result<()> {
        self.ctx.finish(self.tx)
    }
}

/// A confirmation asked in the middle of a write: `Ok` to go on.
pub type Ask<'a> = dyn FnMut(&str) -> Result<()> + 'a;

/// The first run of a confirmed write stopped at its question.
#[derive(Debug)]
struct Asked;

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped at a confirmation")
    }
}

impl std::error::Error for Asked {}

/// Warn when the database file can be read by other users.
fn warn_if_shared(ctx: &Ctx, path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        ctx.warn(format!(
            "the database {} is accessible to other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            m.permissions().mode() & 0o777,
            path.display()
        ));
    }
}
