//! `acct user reset-2fa`.

use super::*;

pub(super) fn run(ctx: &Ctx, t: Targets) -> Result<()> {
    let done = user::reset_2fa(ctx, &t.users, t.keep_going)?;
    report(ctx, &done, "two_factor", &|_| json!("email"), |target, _| {
        if ctx.dry_run {
            format!("would reset the 2FA of {target}")
        } else {
            format!("reset the 2FA of {target}; they now use e-mail codes")
        }
    })
}
