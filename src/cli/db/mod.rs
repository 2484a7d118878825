//! `acct db`: the subcommands and their dispatch; each lives in its own
//! file.

mod backup;
mod check;
mod copy;
mod migrate;
mod purge;
mod restore;
mod set;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Copy the database into a new SQLite file (safe while in use)
    ///
    /// Copies the database into FILE with SQLite's online backup, which is safe while other acct
    /// processes use it; on PostgreSQL, FILE is a consistent snapshot of the whole account written
    /// as an acct SQLite file (as 'db copy' writes it). The copy is created with mode 0600. An
    /// existing FILE is refused (exit 5) unless --force, which replaces it atomically; FILE is
    /// never the database or one of its side files.
    Backup(backup::BackupArgs),
    /// Check the database (SQLite integrity, or the server's consistency) and verify the audit chain
    ///
    /// Runs SQLite's integrity_check and foreign_key_check (on PostgreSQL, whose server keeps the
    /// keys, acct's consistency queries: member counts and role keys), acct's own consistency
    /// checks, and the verification of the audit chain. Prints one row per problem on stdout and exits 1 when there
    /// is any; exit 0 when the database is healthy. Warns about users waiting to be purged.
    Check,
    /// Copy the whole account into a new SQLite file or an empty PostgreSQL database
    ///
    /// Copies every table (ids, invitations' token hashes, password and recovery-code hashes,
    /// TOTP state and the audit chain) into DEST, a new SQLite file or the URL of an empty
    /// PostgreSQL database (postgres://...), in one transaction: this is how a team moves from a
    /// file to a server (acct --db team.db db copy postgres://...) and how a server's account is
    /// taken back into a file. A DEST that already holds an account is refused (exit 5) and
    /// nothing changes. The source is read as one consistent snapshot; the audit chain verifies in
    /// the copy as in the original.
    Copy(copy::CopyArgs),
    /// Apply pending schema migrations (also done automatically)
    ///
    /// Applies the pending schema migrations, each in its own transaction; every command does this
    /// when it opens the database. A database with a schema newer than this acct is refused with
    /// the version it has.
    Migrate,
    /// Purge the users removed more than 30 days ago (audited as user.purge)
    ///
    /// Deletes the users who have been in the trash for more than 30 days: their record, password
    /// hash, two-factor secrets and group memberships. Only their audit entries remain; each purge
    /// is audited as user.purge and cannot be undone.
    Purge,
    /// Replace the database with a backup, after checking the backup
    ///
    /// Checks that FILE is a healthy acct database (acct's application id, a schema version this
    /// acct knows, integrity_check, foreign_key_check, the audit chain) on a private copy,
    /// migrating an older schema in the copy, then replaces the database file with that copy
    /// atomically and keeps the old file as DB.before-restore. FILE itself is never changed. A FILE
    /// that fails a check, or an existing DB.before-restore, is refused (exit 5) and nothing
    /// changes. The current database is checkpointed and held exclusively for the swap; while
    /// another process keeps it open, the restore waits up to 10 s, then fails (exit 1).
    /// Confirmation on a terminal, --yes otherwise (exit 2); --dry-run runs the checks and says
    /// what would happen.
    Restore(restore::RestoreArgs),
    /// Change a setting of the whole database (global admin; audited as db.set)
    ///
    /// require-login-binding on: on PostgreSQL, every actor must be an account bound to the
    /// database login of the connection ('acct user edit USER --db-login NAME'), so that the
    /// server's authentication proves who acts; an unbound actor is refused (exit 4). Turning it
    /// on needs your own account to be bound first. off: unbound actors act again (a bound one
    /// still only on its login).
    Set(set::SetArgs),
}

pub fn run(cmd: DbCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        DbCmd::Backup(a) => backup::run(ctx, a),
        DbCmd::Check => check::run(ctx),
        DbCmd::Copy(a) => copy::run(ctx, a),
        DbCmd::Migrate => migrate::run(ctx),
        DbCmd::Purge => purge::run(ctx),
        DbCmd::Restore(a) => restore::run(ctx, a),
        DbCmd::Set(a) => set::run(ctx, a),
    }
}
