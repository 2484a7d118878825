//! `acct 2fa`: the actor's own two-factor authentication. The subcommands
//! and their dispatch; each lives in its own file.

mod enroll;
mod status;
mod verify;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TwoFaCmd {
    /// Enrol an authenticator app (TOTP); prints recovery codes once
    ///
    /// Creates a TOTP secret for the actor, prints its otpauth:// URI and a QR code, and asks for a
    /// current code to confirm; without a terminal the code is read from one line of stdin. Then
    /// prints ten single-use recovery codes, once (they are stored hashed). --dry-run is refused
    /// (exit 2).
    Enroll,
    /// Check a code from the app, or a recovery code
    ///
    /// Checks a code for the actor: a TOTP code (one step of clock drift allowed; a code already
    /// used is refused) or a recovery code (any case, dashes optional). Codes may be typed with
    /// spaces. Five failures in a row lock verification for 15 minutes. --dry-run is refused (exit
    /// 2).
    Verify(verify::VerifyArgs),
    /// Method, enrolment time and remaining recovery codes
    ///
    /// Shows the actor's two-factor method (none, email, sms, app), when the app was enrolled and
    /// how many recovery codes are left.
    Status,
}

pub fn run(cmd: TwoFaCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        TwoFaCmd::Status => status::run(ctx),
        TwoFaCmd::Verify(a) => verify::run(ctx, a),
        TwoFaCmd::Enroll => enroll::run(ctx),
    }
}
