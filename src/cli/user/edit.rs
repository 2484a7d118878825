//! `acct user edit`.

use super::*;

#[derive(Debug, Args)]
pub struct EditFlags {
    #[arg(add = crate::cli::complete::users())]
    user: String,
    /// Display name
    #[arg(long, value_name = "NAME")]
    full_name: Option<String>,
    #[arg(long, value_name = "NAME")]
    first_name: Option<String>,
    #[arg(long, value_name = "NAME")]
    last_name: Option<String>,
    /// Display initials (at most 8 characters)
    #[arg(long, value_name = "TEXT")]
    initials: Option<String>,
    /// New e-mail address (self or org admin)
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// E.164, e.g. +4915112345678
    #[arg(long, value_name = "PHONE")]
    phone: Option<String>,
    /// IANA name, e.g. Europe/Berlin
    #[arg(long, value_name = "TZ", add = crate::cli::complete::timezones())]
    timezone: Option<String>,
    /// Receive notification e-mails
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    notify: Option<bool>,
    /// A robot account for automation
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    robot: Option<bool>,
    /// false deactivates the account
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    active: Option<bool>,
    /// Log in with password and 2FA instead of SSO (only when the org has sso on)
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    sso_disabled: Option<bool>,
    /// Send 2FA codes by SMS automatically (needs a phone and an org that allows SMS)
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    sms_auto_send: Option<bool>,
    /// Require two-factor authentication at login (org admin only)
    #[arg(long = "require-2fa", value_name = "BOOL", value_parser = parse_bool)]
    require_2fa: Option<bool>,
    /// A group of the current organization, or ORG/GROUP
    #[arg(long, value_name = "G", add = crate::cli::complete::groups())]
    primary_group: Option<String>,
    /// Add an additional (sharing) group
    #[arg(long = "add-group", value_name = "G", add = crate::cli::complete::groups())]
    add_groups: Vec<String>,
    /// Remove an additional group
    #[arg(long = "remove-group", value_name = "G", add = crate::cli::complete::groups())]
    remove_groups: Vec<String>,
}

pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    crate::validate::boolean("the flag", s).map_err(|_| format!("'{s}' is not a boolean: use true or false"))
}

pub(super) fn edit(ctx: &Ctx, a: EditFlags) -> Result<()> {
    let args = EditArgs {
        full_name: a.full_name,
        first_name: a.first_name,
        last_name: a.last_name,
        initials: a.initials,
        email: a.email,
        phone: a.phone,
        timezone: a.timezone,
        notify: a.notify,
        robot: a.robot,
        active: a.active,
        sso_disabled: a.sso_disabled,
        sms_auto_send: a.sms_auto_send,
        require_2fa: a.require_2fa,
        primary_group: a.primary_group,
        add_groups: a.add_groups,
        remove_groups: a.remove_groups,
    };
    let result = if args.is_empty() && ctx.interactive() {
        service::user_edit::edit_in_editor(ctx, &a.user)?
    } else {
        Some(service::user_edit::edit(ctx, &a.user, &args)?)
    };
    match result {
        None => {
            ctx.note("nothing changed");
            crate::cli::print_change_rows(ctx, &Default::default())
        }
        Some((label, ch)) => {
            crate::cli::print_changes(ctx, &label, &ch);
            crate::cli::print_change_rows(ctx, &ch)
        }
    }
}
