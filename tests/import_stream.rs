//! `user import` reads its input as a stream (issue 11): an unterminated
//! quote is an error at the line where it opens, line numbers are physical
//! lines whatever the line ends, endless or binary input ends with an error
//! and bounded memory, and a password read from stdin stops at its limit.

mod common;
mod support;
mod support_mail;
use common::{Env, Run};
use std::process::Stdio;
use support_mail::take_outbox_token;

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn users(env: &Env) -> String {
    env.query("SELECT count(*) FROM users")
}

/// Run acct with stdin from a file (a device too), under GNU time when it
/// is installed: returns the run and acct's peak RSS in KiB.
fn run_stdin_file(env: &Env, args: &[&str], stdin: &str) -> (Run, Option<u64>) {
    let rss = env.home().join("rss.txt");
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let base = env.command();
    let mut c = if timed {
        // The same sealed environment, with GNU time in front.
        let mut c = std::process::Command::new("/usr/bin/time");
        c.args(["-f", "%M", "-o", rss.to_str().unwrap()]).arg(base.get_program()).env_clear().current_dir(env.home());
        c.envs(base.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
        c
    } else {
        base
    };
    c.args(args).stdin(Stdio::from(std::fs::File::open(stdin).unwrap()));
    let run = common::output(c, None);
    let kb = timed.then(|| std::fs::read_to_string(&rss).unwrap().lines().last().unwrap().trim().parse().unwrap());
    (run, kb)
}

#[test]
fn an_unterminated_quote_is_an_error_at_the_line_where_it_opens_and_nothing_is_imported() {
    let env = Env::new();
    let audit = env.audit_count();
    let file = write(&env, "s.csv", b"email,first_name\na@x.test,\"A\nb@x.test,B\nc@x.test,C\n");
    let run = env.run(&["user", "import", &file, "--no-send"]);
    assert_eq!(run.fails(6), "error: line 2: unterminated quoted field: the quote that opens on this line is never closed\n");
    assert_eq!(users(&env), "1");
    assert_eq!(env.audit_count(), audit);
    // The quote may open on a later line of a record that spans lines, and
    // the same holds on stdin and under --dry-run.
    let csv = b"email,first_name\r\nok@x.test,\"two\r\nlines\"\r\nb@x.test,\"open\r\nc@x.test,C\r\n";
    let run = env.run_with(&["user", "import", "-", "--no-send", "--dry-run"], &[], Some(csv));
    assert_eq!(run.fails(6), "error: line 4: unterminated quoted field: the quote that opens on this line is never closed\n");
    assert_eq!(run.stdout, "");
    // A closed quote that spans lines is fine.
    let file = write(&env, "ok.csv", b"email,first_name\na@x.test,\"A\nstill A\"\nb@x.test,B\n");
    env.run(&["user", "import", &file, "--no-send"]).ok();
    assert_eq!(env.query("SELECT first_name FROM users WHERE email = 'a@x.test'"), "A\nstill A");
    assert_eq!(users(&env), "3");
}

#[test]
fn line_numbers_are_physical_lines_for_lf_crlf_and_cr_with_blank_lines_counted() {
    let env = Env::new();
    for (what, csv) in [
        ("lf", &b"email\nok1@x.com\nok2@x.com\nbad\n"[..]),
        ("crlf", b"email\r\nok1@x.com\r\nok2@x.com\r\nbad\r\n"),
        ("cr", b"email\rok1@x.com\rok2@x.com\rbad\r"),
    ] {
        let file = write(&env, &format!("{what}.csv"), csv);
        let run = env.run(&["user", "import", &file, "--no-send", "--report", "r.csv"]);
        assert_eq!(run.stdout, "LINE  EMAIL  ERROR\n4     bad    invalid e-mail 'bad': must contain exactly one '@'\n", "{what}");
        assert_eq!(
            run.fails(6),
            "error: 1 of 3 row(s) have errors; nothing was imported\n\
             hint: fix them, or see each row's outcome with --report FILE\n",
            "{what}"
        );
        assert_eq!(
            std::fs::read_to_string(env.home().join("r.csv")).unwrap(),
            "line,email,outcome\r\n\
             2,ok1@x.com,error: not imported because other rows have errors\r\n\
             3,ok2@x.com,error: not imported because other rows have errors\r\n\
             4,bad,error: invalid e-mail 'bad': must contain exactly one '@'\r\n",
            "{what}"
        );
    }
    // Blank lines (any line end) count, in the plan as in the report, and a
    // quoted field over two lines numbers the record by its first line.
    let csv = b"email,first_name\r\n\r\nok1@x.com,\"A\r\nB\"\r\n\n\rok2@x.com,C\r\r\nok3@x.com,D";
    let file = write(&env, "blank.csv", csv);
    let run = env.run(&["user", "import", &file, "--dry-run", "--format", "csv"]);
    assert_eq!(run.ok(), "line,email,plan\r\n3,ok1@x.com,to add\r\n7,ok2@x.com,to add\r\n9,ok3@x.com,to add\r\n");
    env.run(&["user", "import", &file, "--no-send", "--report", "r.csv"]).ok();
    assert_eq!(
        std::fs::read_to_string(env.home().join("r.csv")).unwrap(),
        "line,email,outcome\r\n3,ok1@x.com,added\r\n7,ok2@x.com,added\r\n9,ok3@x.com,added\r\n"
    );
    assert_eq!(users(&env), "4");
}

#[test]
fn binary_and_endless_input_is_refused_with_bounded_memory() {
    let env = Env::new();
    let audit = env.audit_count();
    // /dev/zero as the file and as stdin: NUL bytes, refused at once.
    let run = env.run(&["user", "import", "/dev/zero", "--no-send"]);
    assert_eq!(
        run.fails(6),
        "error: line 1: the file holds a NUL byte: it is not a CSV text file\n\
         hint: save it as CSV UTF-8 (a UTF-16 \"Unicode text\" file holds NUL bytes)\n"
    );
    let (run, rss) = run_stdin_file(&env, &["user", "import", "-", "--no-send"], "/dev/zero");
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.starts_with("error: line 1: the file holds a NUL byte"), "{}", run.stderr);
    if let Some(kb) = rss {
        assert!(kb < 64 * 1024, "peak RSS {kb} KiB");
    }
    // A UTF-16 file (what "Unicode text" saves) has NULs after the header.
    let utf16: Vec<u8> = "email\na@x.com\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let file = write(&env, "utf16.csv", &utf16);
    assert!(env.run(&["user", "import", &file]).fails(6).starts_with("error: line 1: the file holds a NUL byte"));
    // An endless line without NULs ends at the record limit, kept in bounded memory.
    let mut big = b"email,first_name\n".to_vec();
    big.resize(big.len() + 17 * 1024 * 1024, b'a');
    let file = write(&env, "endless.csv", &big);
    let (run, rss) = run_stdin_file(&env, &["user", "import", "-", "--no-send"], &file);
    assert_eq!(run.fails(6), "error: line 2: the record is longer than 16 MiB\n");
    if let Some(kb) = rss {
        assert!(kb < 64 * 1024, "peak RSS {kb} KiB for a 17 MiB line");
    }
    // So does an unterminated quote followed by more than the limit.
    let mut big = b"email,first_name\na@x.com,\"".to_vec();
    big.resize(big.len() + 17 * 1024 * 1024, b'b');
    let file = write(&env, "open.csv", &big);
    assert_eq!(
        env.run(&["user", "import", &file]).fails(6),
        "error: line 2: a quoted field that opens on this line runs past 16 MiB: is its closing quote missing?\n"
    );
    // A long field that no validator limits is refused, not cut silently.
    let mut row = b"email,role\na@x.com,".to_vec();
    for _ in 0..10_000 {
        row.extend_from_slice(b"read-only;");
    }
    row.push(b'\n');
    let file = write(&env, "roles.csv", &row);
    let run = env.run(&["user", "import", &file]);
    assert_eq!(run.stdout, "LINE  EMAIL    ERROR\n2     a@x.com  role is longer than 64 KiB\n");
    assert_eq!(
        run.fails(6),
        "error: 1 of 1 row(s) have errors; nothing was imported\n\
         hint: fix them, or see each row's outcome with --report FILE\n"
    );
    assert_eq!(users(&env), "1");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn a_large_import_from_stdin_is_written_whole_in_chunks_or_not_at_all() {
    let env = Env::new();
    let audit = env.audit_count();
    let mut csv = String::from("email,first_name\r\n");
    for i in 0..5000 {
        csv.push_str(&format!("user{i}@example.com,U{i}\r\n"));
    }
    // A duplicate far from its first line (more rows than a chunk between).
    let mut bad = csv.clone();
    bad.push_str("User10@Example.com,again\r\n");
    let run = env.run_with(&["user", "import", "-", "--no-send", "--format", "json"], &[], Some(bad.as_bytes()));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(6),
        "error: 1 of 5001 row(s) have errors; nothing was imported\n\
         hint: fix them, or see each row's outcome with --report FILE\n\
         {\"error\":{\"kind\":\"invalid_input\",\"message\":\"1 of 5001 row(s) have errors; nothing was imported\",\
         \"hint\":\"fix them, or see each row's outcome with --report FILE\",\"exit\":6,\"rows\":[{\"line\":5002,\
         \"email\":\"User10@Example.com\",\"error\":\"User10@Example.com appears again (first on line 12)\"}],\"rows_omitted\":0}}\n"
    );
    let run = env.run_with(&["user", "import", "-", "--no-send"], &[], Some(bad.as_bytes()));
    assert_eq!(
        run.fails(6),
        "error: 1 of 5001 row(s) have errors; nothing was imported\n\
         hint: fix them, or see each row's outcome with --report FILE\n"
    );
    assert_eq!(users(&env), "1");
    assert_eq!(env.audit_count(), audit);
    // The same rows without it: every row, one audit entry each, usernames
    // unique across chunks.
    let run = env.run_with(&["user", "import", "-", "--no-send", "--report", "r.csv"], &[], Some(csv.as_bytes()));
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "imported 5000 row(s): 5000 invited, 0 existing accounts added, 0 skipped\n");
    assert_eq!(users(&env), "5001");
    assert_eq!(env.query("SELECT count(*) FROM audit WHERE action = 'user.add'"), "5000");
    assert_eq!(env.query("SELECT count(DISTINCT username) FROM users"), "5001");
    let report = std::fs::read_to_string(env.home().join("r.csv")).unwrap();
    assert_eq!(report.lines().count(), 5001);
    assert!(report.ends_with("\r\n5001,user4999@example.com,added\r\n"), "{}", &report[report.len() - 80..]);
    // Generated usernames that collide are numbered across chunks.
    let mut same = String::from("email\n");
    for i in 0..3000 {
        same.push_str(&format!("ann@d{i}.example\n"));
    }
    env.run_with(&["user", "import", "-", "--no-send", "-q"], &[], Some(same.as_bytes())).ok();
    assert_eq!(env.query("SELECT count(*) FROM users WHERE username LIKE 'ann%'"), "3000");
    assert_eq!(env.query("SELECT count(DISTINCT username) FROM users"), "8001");
}

#[test]
fn a_password_on_stdin_stops_at_its_limit() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).ok();
    let token = take_outbox_token(&env, "bob@example.com");
    let audit = env.audit_count();
    let (run, rss) = run_stdin_file(&env, &["invite", "accept", &token, "--password-stdin"], "/dev/zero");
    assert_eq!(run.fails(6), "error: the password is too long: at most 1024 characters\n");
    if let Some(kb) = rss {
        assert!(kb < 64 * 1024, "peak RSS {kb} KiB");
    }
    let endless = write(&env, "endless.txt", &vec![b'p'; 1 << 20]);
    let (run, _) = run_stdin_file(&env, &["invite", "accept", &token, "--password-stdin"], &endless);
    assert_eq!(run.fails(6), "error: the password is too long: at most 1024 characters\n");
    let bad = write(&env, "latin1.txt", b"correct horse \xe9 battery\n");
    let (run, _) = run_stdin_file(&env, &["invite", "accept", &token, "--password-stdin"], &bad);
    assert_eq!(run.fails(6), "error: the password on stdin is not valid UTF-8\n");
    assert_eq!(env.audit_count(), audit);
    // The line ending is not part of the password: 1024 characters and a CRLF pass.
    let max = format!("{}\r\n", "é".repeat(1024));
    let run = env.run_with(&["invite", "accept", &token, "--password-stdin"], &[], Some(max.as_bytes()));
    run.ok();
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'bob@example.com'"), "active");
}
