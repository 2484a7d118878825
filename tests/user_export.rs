//! `acct user export`: fields, headers, formats, files, filters, and CSV that
//! is safe to open in a spreadsheet yet round-trips every value.

mod common;
use common::Env;
use serde_json::json;

const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Users whose names a spreadsheet would run, quote or split.
fn hostile() -> Env {
    let env = Env::new();
    let add = |email: &str, first: &str, last: &str| {
        let (first, last) = (format!("--first-name={first}"), format!("--last-name={last}"));
        env.run(&["user", "add", email, "--role", "read-only", &first, &last, "--no-send"]).ok();
    };
    add("f1@example.com", "=SUM(A1)", "+1");
    add("f2@example.com", "-x", "@x");
    add("f3@example.com", "Zoë \"Q\", Jr", "Łukasz 日本");
    add("f4@example.com", "T", "C");
    add("f5@example.com", "Ünïcödé", "O'Brien");
    // Values that acct itself refuses but a database may hold (older data, other tools).
    let set = |sql: &str, values: &[&str]| {
        let params: Vec<_> = values.iter().map(|v| (*v).into()).collect();
        assert_eq!(env.exec(sql, &params), 1, "{sql}");
    };
    set("UPDATE users SET last_name = ?1 WHERE email = 'f3@example.com'", &["multi\nline, \"quoted\"\r\nend"]);
    set("UPDATE users SET first_name = ?1, last_name = ?2 WHERE email = 'f4@example.com'", &["\tTab", "\rCR"]);
    set(
        "UPDATE users SET first_name = ?1, phone = '+4915112345678', full_name = ?2 WHERE email = 'f5@example.com'",
        &["\nLF", "=HYPERLINK(\"http://x\")"],
    );
    env.run(&["role", "assign", "f5@example.com", "helpdesk"]).ok();
    env
}

/// A user's stored values by field name ("" for NULL); roles joined with ';'.
fn stored(env: &Env, id: &str, field: &str) -> String {
    if field == "role" {
        return env.query(&format!(
            "SELECT ifnull(group_concat(name, ';'), '') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = {id} ORDER BY r.name) x"
        ));
    }
    let v = env.sql(&format!("SELECT {field} FROM users WHERE id = {id}"), &[]).remove(0).remove(0);
    let v = if v == "NULL" { String::new() } else { v };
    v
}

fn parse(text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

#[test]
fn default_fields_and_header() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--role", "read-only", "--first-name", "Bob", "--no-send"])
        .ok();
    let run = env.run(&["user", "export"]);
    assert_eq!(
        run.ok(),
        "id,email,first_name,last_name,role,two_factor\r\n\
         1,ada@example.com,,,full-admin,none\r\n\
         2,bob@example.com,Bob,,helpdesk;read-only,none\r\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn header_labels_are_the_export_dialog_names() {
    let env = Env::new();
    let run = env.run(&["user", "export", "--header", "labels"]);
    assert_eq!(run.ok(), "User ID,Email Address,First Name,Last Name,RBAC Role,2FA\r\n1,ada@example.com,,,full-admin,none\r\n");
    let run = env.run(&["user", "export", "--header", "names", "--fields", "username"]);
    assert_eq!(run.ok(), "username\r\nada\r\n");
    let run = env.run(&["user", "export", "--header", "bogus"]);
    assert!(run.fails(2).starts_with("error: invalid value 'bogus' for '--header"), "{run:?}");
}

#[test]
fn fields_in_the_given_order() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "edit", "bob", "--add-group", "ops", "--add-group", "eng", "--timezone", "Europe/Berlin"]).ok();
    let run = env.run(&["user", "export", "bob", "--fields", "groups,timezone,roles,user-id,status,notify,organization"]);
    assert_eq!(
        run.ok(),
        "groups,timezone,role,id,status,notify,organization\r\neng;ops,Europe/Berlin,read-only,2,invited,true,acme\r\n"
    );
    let run = env.run(&["user", "export", "--fields", "id,bogus"]);
    assert!(run.fails(2).starts_with("error: unknown column 'bogus'\n"), "{run:?}");
}

#[test]
fn csv_round_trips_and_no_cell_starts_with_a_formula_character() {
    let env = hostile();
    let fields = ["id", "email", "first_name", "last_name", "full_name", "phone", "role", "two_factor"];
    let run = env.run(&["user", "export", "--fields", &fields.join(",")]);
    let (header, rows) = parse(run.ok(), b',');
    assert_eq!(header, fields);
    assert_eq!(rows.len(), 6);
    let mut neutralised = 0;
    for row in &rows {
        assert_eq!(row.len(), fields.len());
        let id = &row[0];
        for (field, cell) in fields.iter().zip(row) {
            assert!(!cell.starts_with(FORMULA_START), "{field} of {id} starts with a formula character: {cell:?}");
            assert!(!cell.starts_with('\n'), "{field} of {id} starts with a line feed: {cell:?}");
            let value = stored(&env, id, field);
            if value.starts_with(FORMULA_START) || value.starts_with('\n') {
                assert_eq!(cell, &format!("'{value}"), "{field} of {id}");
                neutralised += 1;
            } else {
                assert_eq!(cell, &value, "{field} of {id}");
            }
        }
    }
    // =SUM, +1, -x, @x, tab, CR, LF, the phone number, and the full names
    // "=SUM(A1) +1", "-x @x" and "=HYPERLINK(...)".
    assert_eq!(neutralised, 11);
    let f3 = rows.iter().find(|r| r[1] == "f3@example.com").unwrap();
    assert_eq!(f3[2], "Zoë \"Q\", Jr");
    assert_eq!(f3[3], "multi\nline, \"quoted\"\r\nend");
    assert_eq!(f3[4], "Zoë \"Q\", Jr Łukasz 日本");
    let f5 = rows.iter().find(|r| r[1] == "f5@example.com").unwrap();
    assert_eq!(f5[6], "helpdesk;read-only");
    assert_eq!(f5[5], "'+4915112345678");
}

#[test]
fn raw_keeps_every_cell_as_stored() {
    let env = hostile();
    let fields = ["id", "email", "first_name", "last_name", "full_name", "phone", "role"];
    let run = env.run(&["user", "export", "--raw", "--fields", &fields.join(",")]);
    let (_, rows) = parse(run.ok(), b',');
    assert_eq!(rows.len(), 6);
    for row in &rows {
        for (field, cell) in fields.iter().zip(row) {
            assert_eq!(cell, &stored(&env, &row[0], field), "{field} of {}", row[0]);
        }
    }
    let f1 = rows.iter().find(|r| r[1] == "f1@example.com").unwrap();
    assert_eq!((f1[2].as_str(), f1[3].as_str()), ("=SUM(A1)", "+1"));
}

#[test]
fn csv_is_rfc_4180() {
    let env = hostile();
    let run = env.run(&["user", "export", "f3", "f1", "--fields", "id,first_name,last_name"]);
    assert_eq!(
        run.ok(),
        "id,first_name,last_name\r\n\
         2,'=SUM(A1),'+1\r\n\
         4,\"Zoë \"\"Q\"\", Jr\",\"multi\nline, \"\"quoted\"\"\r\nend\"\r\n"
    );
}

#[test]
fn tsv_escapes_and_neutralises() {
    let env = hostile();
    let run = env.run(&["user", "export", "f1", "f3", "f4", "--format", "tsv", "--fields", "id,first_name,last_name"]);
    assert_eq!(
        run.ok(),
        "id\tfirst_name\tlast_name\n\
         2\t'=SUM(A1)\t'+1\n\
         4\tZoë \"Q\", Jr\tmulti\\nline, \"quoted\"\\r\\nend\n\
         5\t'\\tTab\t'\\rCR\n"
    );
    let run = env.run(&["user", "export", "f1", "f4", "--format", "tsv", "--fields", "id,first_name,last_name", "--raw"]);
    assert_eq!(run.ok(), "id\tfirst_name\tlast_name\n2\t=SUM(A1)\t+1\n5\t\\tTab\t\\rCR\n");
}

#[test]
fn json_and_jsonl_carry_values_as_stored() {
    let env = hostile();
    let run = env.run(&["user", "export", "f1", "f5", "--format", "json", "--fields", "id,first_name,last_name,phone,role"]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(
        v,
        json!([
            {"id": 2, "first_name": "=SUM(A1)", "last_name": "+1", "phone": null, "role": ["read-only"]},
            {"id": 6, "first_name": "\nLF", "last_name": "O'Brien", "phone": "+4915112345678", "role": ["helpdesk", "read-only"]}
        ])
    );
    let run = env.run(&["user", "export", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = run.ok().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0],
        json!({"id": 1, "email": "ada@example.com", "first_name": null, "last_name": null, "role": ["full-admin"], "two_factor": "none"})
    );
    assert_eq!(lines[3]["last_name"], "multi\nline, \"quoted\"\r\nend");
    let run = env.run(&["user", "export", "--format", "json", "--search", "nobody"]);
    assert_eq!(run.ok(), "[]\n");
}

#[test]
fn output_file_is_written() {
    let env = hostile();
    let stdout = env.run(&["user", "export"]).ok().to_string();
    let file = env.home().join("exports/users.csv");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let run = env.run(&["user", "export", "-o", file.to_str().unwrap()]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, format!("exported 6 users to {}\n", file.display()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    // An existing file is replaced; no temporary file is left behind.
    let run = env.run(&["user", "export", "--output", file.to_str().unwrap(), "--fields", "email", "--status", "active"]);
    assert_eq!(run.stderr, format!("exported 1 users to {}\n", file.display()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "email\r\nada@example.com\r\n");
    let names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["users.csv"]);
    // A relative path is relative to the working directory.
    env.run(&["user", "export", "-o", "rel.csv", "--format", "jsonl"]).ok();
    assert_eq!(std::fs::read_to_string(env.home().join("rel.csv")).unwrap().lines().count(), 6);
    // A directory that does not exist: a failure, and no file.
    let run = env.run(&["user", "export", "-o", env.home().join("missing/users.csv").to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with("error: cannot create a file in "), "{run:?}");
}

#[test]
fn selected_users_only() {
    let env = hostile();
    let run = env.run(&["user", "export", "f2@example.com", "6", "f1", "--fields", "id,email"]);
    assert_eq!(run.ok(), "id,email\r\n2,f1@example.com\r\n3,f2@example.com\r\n6,f5@example.com\r\n");
    let run = env.run(&["user", "export", "f1", "nobody"]);
    assert_eq!(run.fails(3), "error: user 'nobody' not found\n");
    assert_eq!(run.stdout, "");
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "zed@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    let run = env.run(&["user", "export", "zed"]);
    assert_eq!(
        run.fails(3),
        "error: zed@example.com is not a member of acme\nhint: add them with 'acct user add zed@example.com'\n"
    );
}

#[test]
fn list_filters_and_sort_apply() {
    let env = hostile();
    env.activate("f2@example.com");
    let run = env.run(&["user", "export", "--fields", "email", "--status", "active"]);
    assert_eq!(run.ok(), "email\r\nada@example.com\r\nf2@example.com\r\n");
    let run = env.run(&["user", "export", "--fields", "email", "--role", "helpdesk"]);
    assert_eq!(run.ok(), "email\r\nf5@example.com\r\n");
    let run = env.run(&["user", "export", "--fields", "email", "--search", "日本"]);
    assert_eq!(run.ok(), "email\r\nf3@example.com\r\n");
    let run = env.run(&["user", "export", "--fields", "email", "--search", "F1@"]);
    assert_eq!(run.ok(), "email\r\nf1@example.com\r\n");
    let run = env.run(&["user", "export", "--fields", "email", "--sort", "email:desc", "--limit", "2"]);
    assert_eq!(run.ok(), "email\r\nf5@example.com\r\nf4@example.com\r\n");
    let run = env.run(&["user", "export", "--fields", "email", "--two-factor", "app"]);
    assert_eq!(run.ok(), "email\r\n");
    let run = env.run(&["user", "export", "f1", "f2", "--fields", "email", "--status", "active"]);
    assert_eq!(run.ok(), "email\r\nf2@example.com\r\n", "selected users and filters combine");
}

#[test]
fn every_member_is_streamed() {
    let env = Env::new();
    let addrs: Vec<String> = (1..=150).map(|i| format!("user{i:03}@example.com")).collect();
    let mut args: Vec<&str> = vec!["user", "add", "--role", "read-only", "--no-send", "-q"];
    args.extend(addrs.iter().map(String::as_str));
    env.run(&args).ok();
    let run = env.run(&["user", "export", "--fields", "email"]);
    let (_, rows) = parse(run.ok(), b',');
    assert_eq!(rows.len(), 151);
    assert_eq!(run.stderr, "");
}

#[test]
fn tables_are_not_an_export_format() {
    let env = Env::new();
    let run = env.run(&["user", "export", "--format", "table"]);
    assert_eq!(run.fails(2), "error: export writes csv, tsv, json or jsonl, not tables\n");
}

#[test]
fn export_needs_user_export() {
    let env = Env::new();
    env.run(&["user", "add", "ro@example.com", "--role", "read-only", "--no-send"]).ok();
    env.activate("ro@example.com");
    let run = env.run_as("ro", &["user", "export"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: 'user:export' is needed in acme (you have user:read role:read group:read audit:read)\n"
    );
    assert_eq!(run.stdout, "");
    let file = env.home().join("denied.csv");
    env.run_as("ro", &["user", "export", "-o", file.to_str().unwrap()]).fails(4);
    assert!(!file.exists(), "no file when the export is refused");
    env.run(&["role", "create", "exporter", "--permission", "user:export"]).ok();
    env.run(&["role", "assign", "ro", "exporter"]).ok();
    let run = env.run_as("ro", &["user", "export", "--fields", "email"]);
    assert_eq!(run.ok(), "email\r\nada@example.com\r\nro@example.com\r\n");
}
