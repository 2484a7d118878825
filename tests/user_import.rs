//! `acct user import`: validation of the whole file first, all-or-nothing,
//! the dry-run plan, --if-missing, --report, and the query plans that keep
//! lists fast at a million users.

mod common;
use common::Env;

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn count(env: &Env) -> String {
    env.query("SELECT count(*) FROM users")
}

#[test]
fn a_clean_file_is_imported_in_one_transaction_with_invitations_after_commit() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    let file = write(
        &env,
        "people.csv",
        "\u{feff}email,first_name,last_name,username,role,group\r\n\
         bob@example.com,Bob,Builder,,helpdesk,eng\r\n\
         \"carol@example.com\",\"Ca, \"\"CJ\"\"\",\"Line\nBreak\",cjones,read-only;helpdesk,\r\n\
         dave@example.com,,,,,\r\n"
            .as_bytes(),
    );
    let run = env.run(&["user", "import", &file]);
    run.ok();
    assert_eq!(run.stderr.lines().next(), Some("imported 3 row(s): 3 invited, 0 existing accounts added, 0 skipped"));
    assert_eq!(count(&env), "4");
    assert_eq!(
        env.query("SELECT first_name, last_name, username FROM users WHERE email = 'carol@example.com'"),
        "Ca, \"CJ\"|Line\nBreak|cjones"
    );
    assert_eq!(
        env.query("SELECT group_concat(r.name, ';') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id WHERE u.email = 'carol@example.com' ORDER BY 1) r"),
        "helpdesk;read-only"
    );
    assert_eq!(
        env.query("SELECT g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.email = 'bob@example.com'"),
        "eng"
    );
    assert_eq!(env.query("SELECT count(*) FROM invitations WHERE delivery = 'sent'"), "3");
    assert_eq!(std::fs::read_dir(env.outbox()).unwrap().count(), 3);
    assert_eq!(env.query("SELECT count(*) FROM audit WHERE action = 'user.add'"), "3");
}

#[test]
fn any_bad_row_imports_nothing_and_every_bad_row_is_reported_with_its_line() {
    let env = Env::new();
    let file = write(
        &env,
        "bad.csv",
        b"email,first_name,role\nok@example.com,Ok,helpdesk\nnot-an-address,X,helpdesk\nOK@Example.com,Dup,helpdesk\nz@example.com,Z,nosuch\nada@example.com,,helpdesk\n",
    );
    let before = env.audit_count();
    let run = env.run(&["user", "import", &file, "--report", "report.csv"]);
    // One error for the command; the rows in error are a table on stdout (issue 18.4).
    assert_eq!(
        run.stdout,
        "LINE  EMAIL            ERROR\n\
         3     not-an-address   invalid e-mail 'not-an-address': must contain exactly one '@'\n\
         4     OK@Example.com   OK@Example.com appears again (first on line 2)\n\
         5     z@example.com    role 'nosuch' not found\n\
         6     ada@example.com  ada@example.com is already a member of acme (use --if-missing to skip)\n"
    );
    assert_eq!(
        run.fails(6),
        "error: 4 of 5 row(s) have errors; nothing was imported\n\
         hint: fix them, or see each row's outcome with --report FILE\n"
    );
    assert_eq!(count(&env), "1");
    assert_eq!(env.audit_count(), before);
    let report = std::fs::read_to_string(env.home().join("report.csv")).unwrap();
    assert_eq!(
        report,
        "line,email,outcome\r\n\
         2,ok@example.com,error: not imported because other rows have errors\r\n\
         3,not-an-address,error: invalid e-mail 'not-an-address': must contain exactly one '@'\r\n\
         4,OK@Example.com,error: OK@Example.com appears again (first on line 2)\r\n\
         5,z@example.com,error: role 'nosuch' not found\r\n\
         6,ada@example.com,error: ada@example.com is already a member of acme (use --if-missing to skip)\r\n"
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "bea@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    let before = (count(&env), env.audit_count());
    let file = write(&env, "p.csv", b"email\nnew@example.com\nbea@example.com\nada@example.com\n");
    let run = env.run(&["user", "import", &file, "--dry-run", "--if-missing"]);
    assert_eq!(
        run.ok(),
        "LINE  EMAIL            PLAN\n2     new@example.com  to add\n3     bea@example.com  to add (existing account)\n4     ada@example.com  skipped\n"
    );
    assert_eq!(
        run.stderr,
        "plan: 2 to add (1 new, 1 existing accounts), 1 already present, 0 in error\ndry run: nothing was changed\n"
    );
    assert_eq!((count(&env), env.audit_count()), before);
    assert!(!env.outbox().exists() || std::fs::read_dir(env.outbox()).unwrap().count() == 0);
}

#[test]
fn if_missing_skips_members_and_existing_accounts_join_without_mail() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "bea@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    let file =
        write(&env, "p.csv", b"email,role\nnew@example.com,helpdesk\nbea@example.com,helpdesk\nada@example.com,helpdesk\n");
    let run = env.run(&["user", "import", &file, "--if-missing", "--no-send", "--report", "r.csv"]);
    run.ok();
    assert_eq!(run.stderr, "imported 3 row(s): 1 invited, 1 existing accounts added, 1 skipped\n");
    assert_eq!(
        std::fs::read_to_string(env.home().join("r.csv")).unwrap(),
        "line,email,outcome\r\n2,new@example.com,added\r\n3,bea@example.com,added\r\n4,ada@example.com,skipped\r\n"
    );
    assert_eq!(
        env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'bea@example.com'"),
        "2"
    );
    assert_eq!(env.query("SELECT count(*) FROM invitations WHERE delivery = 'pending'"), "2", "bea's from beta, new's here");
    assert!(!env.outbox().exists());
    // The pending invitation goes out later.
    env.run(&["invite", "send", "--all"]).ok();
    assert_eq!(std::fs::read_dir(env.outbox()).unwrap().count(), 1);
}

#[test]
fn the_batch_is_authorized_once_and_cannot_escalate() {
    let env = Env::new();
    env.run(&["role", "create", "inviter", "--permission", "user:invite", "--permission", "user:read"]).ok();
    env.run(&["user", "add", "ivy@example.com", "--role", "inviter", "--no-send"]).ok();
    env.activate("ivy@example.com");
    let file = write(&env, "p.csv", b"email,role\na@example.com,read-only\nb@example.com,full-admin\n");
    let run = env.run_as("ivy", &["user", "import", &file]);
    assert_eq!(
        run.fails(4).lines().next(),
        Some(
            "error: permission denied: adding a user with these roles would grant user:remove user:export user:reset-2fa role:read role:assign role:manage group:read group:manage audit:read org:admin in acme, which you do not hold"
        )
    );
    assert_eq!(count(&env), "2");
    let file = write(&env, "q.csv", b"email\na@example.com\nb@example.com\n");
    env.run_as("ivy", &["user", "import", &file, "--no-send"]).ok();
    assert_eq!(count(&env), "4");
}

#[test]
fn stdin_is_accepted_and_the_progress_bar_stays_off_without_a_terminal() {
    let env = Env::new();
    let run = env.run_with(&["user", "import", "-", "--no-send"], &[], Some(b"email\nx@example.com\ny@example.com\n"));
    run.ok();
    assert_eq!(run.stderr, "imported 2 row(s): 2 invited, 0 existing accounts added, 0 skipped\n");
    assert_eq!(count(&env), "3");
}

#[test]
fn usernames_given_out_earlier_in_the_file_are_taken_exactly() {
    let env = Env::new();
    // `ann` exists in the database; the file gives `ann2` explicitly, so the
    // generated names of the ann@ rows go on past both.
    env.run(&["user", "add", "ann@example.com", "--role", "read-only", "--no-send"]).ok();
    let file = write(
        &env,
        "names.csv",
        b"email,username\nann@one.example,ann2\nann@two.example,\nann@three.example,\nbo@example.com,bob\nbob@example.com,\n",
    );
    let run = env.run(&["user", "import", &file, "--no-send"]);
    run.ok();
    assert_eq!(
        env.rows("SELECT email, username FROM users WHERE email <> 'ada@example.com' ORDER BY id", &[]),
        [
            "ann@example.com|ann",
            "ann@one.example|ann2",
            "ann@two.example|ann3",
            "ann@three.example|ann4",
            "bo@example.com|bob",
            "bob@example.com|bob2"
        ]
    );
    // An explicit username given twice in the file refuses the second row,
    // naming it; nothing is written.
    let file = write(&env, "twice.csv", b"email,username\ncy@example.com,cyd\ncyd@example.com,\ncx@example.com,cyd\n");
    let before = count(&env);
    let run = env.run(&["user", "import", &file, "--format", "csv"]);
    assert_eq!(run.stdout, "line,email,error\r\n4,cx@example.com,the username 'cyd' is taken\r\n");
    run.fails(6);
    assert_eq!(count(&env), before);
}
