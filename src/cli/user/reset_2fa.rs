//! `acct user reset-2fa`.

use super::*;

pub(super) fn run(ctx: &Ctx, t: Targets) -> Result<()> {
    let done = ctx.session()?.write_confirmed(|tx, actor, ask, _| {
        let org = ctx.org(tx)?;
        Ok((user::destructive(tx, actor, &org, &t.users, t.keep_going, ask, &user::RESET_2FA)?, true))
    })?;
    report(ctx, &done, "two_factor", &|_| json!("email"), |target, _| {
        if ctx.dry_run {
            format!("would reset the 2FA of {target}")
        } else {
            format!("reset the 2FA of {target}; they now use e-mail codes")
        }
    })
}
