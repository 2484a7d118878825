//! The `sendmail` transport hands the message to the `sendmail` program on PATH.

mod common;
use common::Env;
use std::os::unix::fs::PermissionsExt;

#[test]
fn invitations_go_to_the_sendmail_program() {
    let env = Env::new();
    let bin = env.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let spool = env.home().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let script = bin.join("sendmail");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}/args'\ncat > '{0}/message'\n", spool.display()))
        .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.run(&["config", "set", "mail.transport", "sendmail"]).ok();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = env.run_with(&["user", "add", "bob@example.com", "--role", "helpdesk"], &[("PATH", &path)], None);
    run.ok();
    assert_eq!(run.stderr, "bob@example.com invited to acme\ninvitation sent to bob@example.com\n");
    let args = std::fs::read_to_string(spool.join("args")).unwrap();
    assert!(args.lines().any(|a| a == "bob@example.com"), "{args}");
    let message = std::fs::read_to_string(spool.join("message")).unwrap();
    assert!(message.contains("To: bob@example.com\r\n"), "{message}");
    assert!(message.contains("Subject: You are invited to acme\r\n"), "{message}");
    assert!(message.contains("https://localhost/invite/"), "{message}");
    assert_eq!(env.query("SELECT delivery FROM invitations"), "sent");

    // A sendmail that fails: the user is kept, the failure recorded, exit 1.
    std::fs::write(&script, "#!/bin/sh\necho 'no route' >&2\nexit 75\n").unwrap();
    let run = env.run_with(&["user", "add", "carol@example.com", "--role", "helpdesk"], &[("PATH", &path)], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("warning: the invitation to carol@example.com could not be delivered"), "{}", run.stderr);
    assert!(run.stderr.ends_with("hint: retry with 'acct invite resend USER'\n"), "{}", run.stderr);
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'carol@example.com'"), "invited");
    assert_eq!(
        env.query("SELECT delivery FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'carol@example.com'"),
        "failed"
    );
}
