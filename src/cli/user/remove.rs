//! `acct user remove`.

use super::*;

pub(super) fn run(ctx: &Ctx, t: Targets) -> Result<()> {
    let done = ctx.session()?.write_confirmed(|tx, actor, ask, _| {
        let org = ctx.org(tx)?;
        Ok((user::destructive(tx, actor, &org, &t.users, t.keep_going, ask, &user::REMOVE)?, true))
    })?;
    report(ctx, &done, "trashed", &|trashed| json!(trashed), |target, trashed| {
        let verb = if ctx.dry_run { "would remove" } else { "removed" };
        if trashed {
            format!(
                "{verb} {target}; they belong to no organization now and are in the trash (restore within {} days with 'acct user restore {target}')",
                user::TRASH_DAYS
            )
        } else {
            format!("{verb} {target}")
        }
    })
}
