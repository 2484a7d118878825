//! `acct user restore`.

use super::*;

pub(super) fn run(ctx: &Ctx, who: &str) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let r = user::restore(&mut *t.tx, &t.actor, who)?;
    t.finish()?;
    let roles = if r.roles.is_empty() { "no roles".to_string() } else { r.roles.join(", ") };
    let verb = if ctx.dry_run { "would restore" } else { "restored" };
    ctx.note(format!("{verb} {} into {} with {roles}", r.label, r.org));
    crate::cli::print_result(ctx, &[("user", json!(r.label)), ("org", json!(r.org)), ("role", json!(r.roles))])?;
    if r.never_accepted {
        ctx.note(format!(
            "{} never accepted their invitation; a new one is pending: send it with 'acct invite send {}'",
            r.label, r.label
        ));
    }
    Ok(())
}
