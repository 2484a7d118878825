//! `acct user show`.

use super::*;

pub(super) fn run(ctx: &Ctx, who: &str) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let s = user::show(&*t.tx, &t.actor, &t.org()?, who)?;
    let u = &s.user;
    let mut fields: Vec<(&str, serde_json::Value)> =
        Column::ALL.iter().filter(|c| !matches!(c, Column::Role)).map(|c| (c.name(), c.value(u))).collect();
    // The key is `role`, as in `user list` (SPEC §4), a list in JSON.
    fields.insert(7, ("role", json!(u.roles)));
    fields.push(("global_roles", json!(s.global_roles)));
    fields.push(("organizations", json!(s.organizations)));
    let trash = s.trash.as_ref();
    fields.push(("removed_at", json!(trash.map(|t| &t.info.trashed_at))));
    fields.push(("purge_at", json!(trash.and_then(|t| t.purge_at.as_ref()))));
    let invitation = s.invitation.map(|i| {
        json!({"state": i.state, "org": i.org, "delivery": i.delivery, "error": i.delivery_error,
               "created_at": i.created_at, "sent_at": i.sent_at, "expires_at": i.expires_at})
    });
    let flat = matches!(ctx.format_or(Format::Table), Format::Table | Format::Csv | Format::Tsv);
    match (invitation, flat) {
        (None, _) => fields.push(("invitation", serde_json::Value::Null)),
        (Some(i), false) => fields.push(("invitation", i)),
        (Some(i), true) => {
            let summary = format!(
                "{} (delivery {}{}; sent {}; expires {})",
                i["state"].as_str().unwrap_or(""),
                i["delivery"].as_str().unwrap_or(""),
                i["error"].as_str().map(|e| format!(": {e}")).unwrap_or_default(),
                i["sent_at"].as_str().unwrap_or("never"),
                i["expires_at"].as_str().unwrap_or("-"),
            );
            fields.push(("invitation", json!(summary)));
        }
    }
    crate::cli::print_object(ctx, &fields)?;
    if let Some(t) = &s.trash {
        ctx.note(format!("{} is in the trash (removed at {})", u.email, t.info.trashed_at));
        ctx.note(format!("hint: {}", t.hint));
    }
    Ok(())
}
