//! `acct user import` reads the shapes of CSV that people bring: the files
//! `user export` writes, Google Workspace's bulk-upload headers, GAM's
//! `print users` headers, semicolon-separated files, a BOM and CRLF line
//! ends, headers in any case; every unknown column is named at once and a
//! file that is not UTF-8 gets a hint.

mod common;
mod support;
use common::Env;

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn people(env: &Env) -> Vec<String> {
    support::rows(
        env,
        "SELECT u.email, coalesce(u.first_name, ''), coalesce(u.last_name, ''),
                coalesce((SELECT group_concat(name, ';') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id ORDER BY 1) x), '')
         FROM users u WHERE u.email <> 'ada@example.com' ORDER BY u.id",
    )
}

#[test]
fn google_workspace_and_gam_headers_are_understood() {
    let cases: [(&str, &[u8]); 3] = [
        ("google.csv", b"Email Address [Required],First Name [Required],Last Name [Required]\nbob@example.com,Bob,Builder\n"),
        ("gam.csv", b"primaryEmail,name.givenName,name.familyName\nbob@example.com,Bob,Builder\n"),
        ("spaced.csv", b" EMAIL , First_Name,last name \nbob@example.com,Bob,Builder\n"),
    ];
    for (name, bytes) in cases {
        let env = Env::new();
        let file = write(&env, name, bytes);
        let run = env.run(&["user", "import", &file, "--no-send"]);
        run.ok();
        assert_eq!(run.stderr, "imported 1 row(s): 1 invited, 0 existing accounts added, 0 skipped\n", "{name}");
        assert_eq!(people(&env), ["bob@example.com|Bob|Builder|"], "{name}");
    }
}

#[test]
fn semicolon_files_with_a_bom_and_crlf_line_ends() {
    let env = Env::new();
    let file = write(
        &env,
        "eu.csv",
        "\u{feff}email;first_name;last_name;role\r\nbob@example.com;Bob;Müller, Jr.;\"read-only;helpdesk\"\r\n\r\ncarol@example.com;Carol;;read-only\r\n"
            .as_bytes(),
    );
    let run = env.run(&["user", "import", &file, "--no-send", "--dry-run"]);
    assert_eq!(run.ok(), "LINE  EMAIL              PLAN\n2     bob@example.com    to add\n4     carol@example.com  to add\n");
    env.run(&["user", "import", &file, "--no-send"]).ok();
    assert_eq!(people(&env), ["bob@example.com|Bob|Müller, Jr.|helpdesk;read-only", "carol@example.com|Carol||read-only"]);
}

#[test]
fn files_written_by_user_export_import_as_they_are() {
    let src = Env::new();
    src.run(&[
        "user",
        "add",
        "bob@example.com",
        "--role",
        "helpdesk",
        "--first-name",
        "=Bob",
        "--last-name=-Builder",
        "--no-send",
    ])
    .ok();
    let out = src.home().join("team.csv");
    src.run(&[
        "user",
        "export",
        "--fields",
        "id,email,first_name,last_name,role,two_factor,status,created_at",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    assert!(support::read(&out).contains("bob@example.com,'=Bob,'-Builder,helpdesk,none,invited,"));
    let labels = src.home().join("labels.csv");
    src.run(&["user", "export", "--header", "labels", "-o", labels.to_str().unwrap()]).ok();
    for file in [&out, &labels] {
        let env = Env::new();
        let run = env.run(&["user", "import", file.to_str().unwrap(), "--no-send", "--if-missing"]);
        run.ok();
        let ignored = if file == &out { "id, two_factor, status, created_at" } else { "User ID, 2FA" };
        assert_eq!(
            run.stderr,
            format!(
                "note: ignoring the column(s) {ignored}: 'user import' does not set them\n\
                 imported 2 row(s): 1 invited, 0 existing accounts added, 1 skipped\n"
            )
        );
        assert_eq!(people(&env), ["bob@example.com|=Bob|-Builder|helpdesk"]);
    }
}

#[test]
fn every_unknown_column_is_named_and_non_utf8_files_get_a_hint() {
    let env = Env::new();
    let file = write(&env, "odd.csv", b"email,nick,first_name,Shoe Size\nbob@example.com,b,Bob,44\n");
    assert_eq!(
        env.run(&["user", "import", &file]).fails(6),
        "error: line 1: unknown columns 'nick', 'Shoe Size'\nhint: columns: email, first_name, last_name, username, role, group\n"
    );
    // Latin-1, as a spreadsheet saves "CSV" in some locales.
    let file = write(&env, "latin1.csv", b"email,first_name\nbob@example.com,J\xfcrgen\n");
    let run = env.run(&["user", "import", &file]);
    assert_eq!(run.stdout, "LINE  EMAIL            ERROR\n2     bob@example.com  first_name is not valid UTF-8\n");
    assert_eq!(
        run.fails(6),
        "error: 1 of 1 row(s) have errors; nothing was imported\n\
         hint: the file is not UTF-8: save it as CSV UTF-8 (in a spreadsheet: Save As, CSV UTF-8)\n"
    );
    let file = write(&env, "latin1-header.csv", b"email,Vorname f\xfcr\n");
    assert_eq!(
        env.run(&["user", "import", &file]).fails(6),
        "error: line 1: the file is not valid UTF-8\nhint: save it as CSV UTF-8 (in a spreadsheet: Save As, CSV UTF-8)\n"
    );
    assert_eq!(env.query("SELECT count(*) FROM users"), "1");
}
