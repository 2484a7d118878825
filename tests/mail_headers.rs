//! The headers and body of invitation mail (SPEC §4, issue 11 items 16–18):
//! Message-ID at the sender's domain, MIME-Version and Date, a link never cut
//! in the raw message, A-label recipients and the EHLO name.

mod common;
mod support;
mod support_mail;
use common::Env;
use support_mail::{SmtpServer, accept, header, outbox_files};

/// Headers parsed by Python's `email` package, and the raw lines of the body.
fn python_headers(raw: &str) -> String {
    let script = "import sys, email, email.policy\n\
                  m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)\n\
                  print(m['Message-ID']); print(m['MIME-Version']); print(m['Date'] is not None and m['Date'].datetime is not None)\n\
                  print(m['Content-Transfer-Encoding']); print(m.get_content_type())\n";
    let mut c = std::process::Command::new("python3");
    c.args(["-c", script]);
    let run = common::output(c, Some(raw.as_bytes()));
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
}

/// The link as it stands on its own line of the raw message.
fn link_line(raw: &str, prefix: &str) -> String {
    let lines: Vec<&str> = raw.split("\r\n").filter(|l| l.trim_start().starts_with(prefix)).collect();
    assert_eq!(lines.len(), 1, "one line starting with {prefix} in\n{raw}");
    lines[0].trim().to_string()
}

fn check_message_id(id: &str, domain: &str) {
    let inner = id.strip_prefix('<').and_then(|s| s.strip_suffix(&format!("@{domain}>")));
    let inner = inner.unwrap_or_else(|| panic!("Message-ID {id} not at {domain}"));
    assert_eq!(inner.len(), 32, "{id}");
    assert!(inner.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

#[test]
fn outbox_mail_has_message_id_mime_version_date_and_an_unbroken_link_that_works() {
    let env = Env::new();
    env.run(&["config", "set", "mail.from", "Acme Accounts <accounts@acme.test>"]).ok();
    // A link far longer than 76 characters, where quoted-printable would cut it.
    let url = "https://accounts.acme.test/welcome/invitations/accept-your-invitation-to-acme-here/{token}";
    env.run(&["config", "set", "mail.invite_url", url]).ok();
    // One address per --first-name (names go with a single EMAIL, issue 17.12).
    for who in ["bob@example.com", "carol@example.com"] {
        env.run(&["user", "add", who, "--role", "read-only", "--first-name", "Zoë"]).ok();
    }
    let files = outbox_files(&env);
    assert_eq!(files.len(), 2);
    let mut ids = Vec::new();
    for f in &files {
        let raw = std::fs::read_to_string(f).unwrap();
        let parsed = python_headers(&raw);
        let mut p = parsed.lines();
        let id = p.next().unwrap().to_string();
        check_message_id(&id, "acme.test");
        assert_eq!(p.collect::<Vec<_>>(), ["1.0", "True", "8bit", "text/plain"], "{raw}");
        assert_eq!(header(&raw, "Message-ID").as_deref(), Some(id.as_str()));
        ids.push(id);
        assert!(!raw.contains("=\r\n"), "no quoted-printable soft break:\n{raw}");
        assert!(raw.split("\r\n").all(|l| l.len() <= 998));
        let link = link_line(&raw, "https://accounts.acme.test/");
        assert!(link.len() > 78, "{link}");
        assert_eq!(link_line(&raw, "acct invite accept "), format!("acct invite accept {link}"));
    }
    assert_ne!(ids[0], ids[1], "every message has its own Message-ID");
    // The link copied from the raw message accepts the invitation.
    let raw = std::fs::read_to_string(
        files
            .iter()
            .find(|f| header(&std::fs::read_to_string(f).unwrap(), "To").unwrap().ends_with("<bob@example.com>"))
            .unwrap(),
    )
    .unwrap();
    let link = link_line(&raw, "https://accounts.acme.test/");
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 43, "{link}");
    let run = accept(&env, token, b"correct horse battery staple\n");
    assert_eq!(run.stderr, "welcome, bob@example.com: your account is active\n");
    assert_eq!(run.code, 0);
}

#[test]
fn smtp_greets_with_the_sender_domain_or_mail_helo_and_addresses_idn_domains_by_a_label() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    env.run(&["config", "set", "mail.transport", &smtp.url()]).ok();
    env.run(&["config", "set", "mail.from", "Acme <noreply@bücher.example>"]).ok();
    env.run(&["user", "add", "ana@bücher.example", "--role", "read-only"]).ok();
    let m = &smtp.messages()[0];
    assert_eq!(m.rcpt, ["ana@xn--bcher-kva.example"]);
    assert_eq!(m.header("To").as_deref(), Some("ana@xn--bcher-kva.example"));
    assert_eq!(m.helo, "xn--bcher-kva.example");
    let parsed = python_headers(&m.raw);
    check_message_id(parsed.lines().next().unwrap(), "xn--bcher-kva.example");
    assert_eq!(parsed.lines().nth(1), Some("1.0"));
    assert_eq!(parsed.lines().nth(3), Some("7bit"));
    // The token copied from the raw SMTP message works.
    let link = link_line(&m.raw, "https://localhost/invite/");
    let token = link.strip_prefix("https://localhost/invite/").unwrap();
    assert_eq!(accept(&env, token, b"correct horse battery staple\n").code, 0);

    env.run(&["config", "set", "mail.helo", "MX1.Acme.Test"]).ok();
    assert_eq!(env.run(&["config", "get", "mail.helo"]).ok(), "mx1.acme.test\n");
    env.run(&["user", "add", "dan@example.com", "--role", "read-only"]).ok();
    assert_eq!(smtp.messages()[1].helo, "mx1.acme.test");
    assert_eq!(smtp.messages()[1].rcpt, ["dan@example.com"]);
    for bad in ["", "two words", "a..b", "-x.test", "x_y.test"] {
        let run = env.run(&["config", "set", "--", "mail.helo", bad]);
        assert_eq!(run.code, 6, "{bad:?}: {run:?}");
    }
}
