//! The tamper-evident audit log (SPEC §4): change ids, the hash chain,
//! `audit verify [--head]`, `audit head`, and `db check`.

mod common;
mod support;

use common::Env;
use support::*;

const HINT: &str = "hint: compare with a backup made with 'acct db backup', or with a head kept from 'acct audit head'\n";

/// A long mixed session: users, edits, roles, groups, two organizations (so
/// that some entries have a further audience), an import, undos.
fn session() -> Env {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "carl@example.com", "--role", "helpdesk", "--first-name", "Carl", "--no-send"]).ok();
    env.run(&["user", "edit", "bob", "--last-name", "Builder", "--timezone", "Europe/Berlin"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "add-member", "eng", "bob", "carl"]).ok();
    env.run(&["group", "add-manager", "eng", "carl"]).ok();
    env.run(&["role", "assign", "bob", "helpdesk"]).ok();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["role", "edit", "auditor", "--add-permission", "user:read"]).ok();
    env.run(&["org", "set", "--display-name", "Acme Ünïcode ✓"]).ok();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["--org", "beta", "user", "add", "bob@example.com", "--role", "read-only"]).ok();
    // An identity change: seen by both organizations (audit_orgs).
    env.run(&["user", "edit", "bob", "--email", "robert@example.com"]).ok();
    env.run(&["access", "grant", "carl", "global-read-only"]).ok();
    std::fs::write(
        env.home().join("i.csv"),
        "email,first_name,role\nd1@example.com,Dörte,read-only\nd2@example.com,\"Quote, \"\"Q\"\"\",helpdesk\n",
    )
    .unwrap();
    env.run(&["user", "import", "i.csv", "--no-send"]).ok();
    env.run(&["role", "unassign", "bob", "helpdesk"]).ok();
    let last = last_id(&env);
    env.run(&["undo", &last.to_string()]).ok();
    env.run(&["user", "remove", "carl", "--yes"]).ok();
    env
}

fn last_id(env: &Env) -> i64 {
    env.query("SELECT max(id) FROM audit").parse().unwrap()
}

/// Statements run behind acct's back, as someone with direct access to the
/// database would (the `sqlite3` shell on a file).
fn tamper(env: &Env, sql: &str) {
    match env.on_postgres() {
        true => sql.split("; ").for_each(|s| {
            env.exec(s, &[]);
        }),
        false => {
            let out = std::process::Command::new("sqlite3").arg(env.db_path()).arg(sql).output().expect("sqlite3");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn head(env: &Env) -> String {
    env.run(&["audit", "head"]).ok().trim_end().to_string()
}

#[test]
fn one_change_id_per_invocation_and_the_list_filters() {
    let env = session();
    let v = json(env.run(&["audit", "list", "--format", "json"]).ok());
    let entries = v.as_array().unwrap();
    let import: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["target"].as_str().is_some_and(|t| t.starts_with("d"))).collect();
    assert_eq!(import.len(), 2);
    assert_eq!(import[0]["change"], import[1]["change"], "an import is one change");
    let group_adds: Vec<&serde_json::Value> = entries.iter().filter(|e| e["action"] == "group.add-member").collect();
    assert_eq!(group_adds.len(), 2);
    assert_eq!(group_adds[0]["change"], group_adds[1]["change"], "two targets of one command: one change");
    assert_ne!(group_adds[0]["change"], import[0]["change"]);
    // --change: exactly its entries; --reverse: newest first.
    let c = import[0]["change"].as_str().unwrap();
    let listed = json(env.run(&["audit", "list", "--change", c, "--format", "json"]).ok());
    let ids: Vec<i64> = listed.as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let want: Vec<i64> = import.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, want);
    let reversed = json(env.run(&["audit", "list", "--change", c, "--reverse", "--format", "json"]).ok());
    let rids: Vec<i64> = reversed.as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(rids, want.iter().rev().cloned().collect::<Vec<_>>());
    let newest = json(env.run(&["audit", "list", "--reverse", "--limit", "1", "--format", "json"]).ok());
    assert_eq!(newest[0]["action"], "user.remove");
    assert_eq!(
        env.run(&["audit", "list", "--change", "nope", "--format", "csv"]).ok(),
        "id,at,actor,org,action,target,changes,change,reverts\r\n"
    );
    // The reversal names the entry it reverses.
    let undo = entries.iter().find(|e| !e["reverts"].is_null()).expect("the undo entry");
    assert_eq!(undo["action"], "role.assign");
    let reverted = undo["reverts"].as_i64().unwrap();
    assert_eq!(entries.iter().find(|e| e["id"] == reverted).unwrap()["action"], "role.unassign");
}

#[test]
fn an_intact_chain_verifies_and_python_computes_the_same_hashes() {
    let env = session();
    let n = last_id(&env);
    let h = head(&env);
    let stored = env.query("SELECT hash FROM audit ORDER BY id DESC LIMIT 1");
    assert_eq!(h, format!("{n}:{stored}"));
    let r = env.run(&["audit", "verify"]);
    assert_eq!(r.ok(), format!("intact: {n} entries; head {h}\n"));
    assert_eq!(r.stderr, "");
    let r = env.run(&["audit", "verify", "--head", &h]);
    assert_eq!(r.ok(), format!("intact: {n} entries; head {h}; extends {h}\n"));
    let first = format!("1:{}", env.query("SELECT hash FROM audit WHERE id = 1"));
    assert_eq!(env.run(&["audit", "verify", "--head", &first]).ok(), format!("intact: {n} entries; head {h}; extends {first}\n"));
    let r = env.run(&["db", "check"]);
    assert_eq!(r.stderr, format!("ok: integrity, foreign keys and the audit chain ({n} entries)\n"));
    assert_eq!(json(env.run(&["audit", "head", "--format", "json"]).ok()), serde_json::json!({"id": n, "hash": stored}));
    assert!(env.query("SELECT count(*) FROM audit_orgs").parse::<i64>().unwrap() > 0, "some entries have a further audience");

    // A second implementation, in Python, agrees with every stored hash.
    let out = python_chain(&env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(lines.len() as i64, n);
    for l in &lines {
        let p: Vec<&str> = l.split(' ').collect();
        assert_eq!(p[1], p[2], "entry {}: python and acct disagree", p[0]);
        assert_eq!(p[1].len(), 64);
    }
    // ...and notices an alteration too.
    tamper(&env, "UPDATE audit SET actor = 'mallory@example.com' WHERE id = 3");
    let out = python_chain(&env);
    let bad: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.split(' ').nth(1) != l.split(' ').nth(2))
        .map(|l| l[..2].to_string())
        .collect();
    assert_eq!(bad, ["3 "]);
}

#[test]
fn an_edited_row_is_named() {
    let env = session();
    tamper(&env, "UPDATE audit SET changes = '{\"last_name\":{\"old\":null,\"new\":\"Nobody\"}}' WHERE id = 5");
    let r = env.run(&["audit", "verify"]);
    assert_eq!(
        r.fails(1),
        format!("error: the audit log was tampered with: entry 5 was altered (its hash does not match its contents)\n{HINT}")
    );
    assert_eq!(r.stdout, "");
    let r = env.run(&["db", "check"]);
    assert_eq!(
        r.stdout,
        "PROBLEM\naudit chain: the audit log was tampered with: entry 5 was altered (its hash does not match its contents)\n"
    );
    assert_eq!(r.fails(1), "error: the database has 1 problem(s)\nhint: restore from a backup made with 'acct db backup'\n");
    // A recomputed hash of the edited row does not help: the next one no longer chains.
    let env = session();
    tamper(&env, "UPDATE audit SET target = 'someone@else' WHERE id = 7");
    assert!(env.run(&["audit", "verify"]).fails(1).starts_with("error: the audit log was tampered with: entry 7 was altered"));
}

#[test]
fn a_deleted_row_is_named() {
    let env = session();
    tamper(&env, "DELETE FROM audit_orgs WHERE audit_id = 6; DELETE FROM audit WHERE id = 6");
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!("error: the audit log was tampered with: entry 6 was removed\n{HINT}")
    );
    // New entries written afterwards do not hide it.
    env.run(&["user", "edit", "ada", "--first-name", "Ada"]).ok();
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!("error: the audit log was tampered with: entry 6 was removed\n{HINT}")
    );
    let env = session();
    tamper(&env, "DELETE FROM audit WHERE id IN (2, 3)");
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!("error: the audit log was tampered with: entries 2 to 3 were removed\n{HINT}")
    );
}

#[test]
fn an_inserted_row_is_named() {
    let env = session();
    let n = last_id(&env);
    tamper(
        &env,
        &format!(
            "INSERT INTO audit (id, at, actor, org, action, target, changes) VALUES ({}, '2026-01-01T00:00:00Z', 'ada@example.com', 'acme', 'user.edit', 'x@example.com', '{{}}')",
            n + 1
        ),
    );
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!("error: the audit log was tampered with: entry {} was inserted outside acct (it has no hash)\n{HINT}", n + 1)
    );
    // With a made-up hash it is an entry that does not match its hash.
    let env = session();
    tamper(
        &env,
        &format!(
            "INSERT INTO audit (id, at, actor, action, changes, hash) VALUES ({}, 't', 'x', 'user.edit', '{{}}', '{}')",
            n + 1,
            "ab".repeat(32)
        ),
    );
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!(
            "error: the audit log was tampered with: entry {} was altered (its hash does not match its contents)\n{HINT}",
            n + 1
        )
    );
}

#[test]
fn a_truncated_tail_is_detected_through_the_head() {
    let env = session();
    let n = last_id(&env);
    let kept = head(&env);
    // Cut off the last three entries, covering the traces of the numbering
    // (sqlite_sequence in a file, acct_meta's audit_seq on PostgreSQL).
    let numbering = match env.on_postgres() {
        true => "UPDATE acct_meta SET value = '{0}' WHERE key = 'audit_seq'",
        false => "UPDATE sqlite_sequence SET seq = {0} WHERE name = 'audit'",
    };
    let cut = format!("DELETE FROM audit_orgs WHERE audit_id > {0}; DELETE FROM audit WHERE id > {0}; ", n - 3);
    tamper(&env, &(cut + &numbering.replace("{0}", &(n - 3).to_string())));
    let r = env.run(&["audit", "verify"]);
    assert_eq!(r.ok(), format!("intact: {} entries; head {}\n", n - 3, head(&env)), "without a head, a clean cut cannot be seen");
    let r = env.run(&["audit", "verify", "--head", &kept]);
    assert_eq!(
        r.fails(1),
        format!(
            "error: the audit log was tampered with: the log no longer extends the head {n}: it ends at entry {}, so entries were cut off after it\n{HINT}",
            n - 3
        )
    );
    // Cut and rewritten with new entries up to the old head's id and beyond.
    for i in 0..4 {
        env.run(&["user", "edit", "ada", "--last-name", &format!("L{i}")]).ok();
    }
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact:"));
    assert_eq!(
        env.run(&["audit", "verify", "--head", &kept]).fails(1),
        format!(
            "error: the audit log was tampered with: the log no longer extends the head {n}: entry {n} has another hash now\n{HINT}"
        )
    );

    // A cut that leaves sqlite_sequence as it was is seen without a head.
    let env = session();
    let n = last_id(&env);
    tamper(&env, &format!("DELETE FROM audit_orgs WHERE audit_id > {0}; DELETE FROM audit WHERE id > {0}", n - 2));
    assert_eq!(
        env.run(&["audit", "verify"]).fails(1),
        format!("error: the audit log was tampered with: entries {} to {n} were removed from the end of the log\n{HINT}", n - 1)
    );
}

#[test]
fn verify_and_head_need_audit_read_and_a_well_formed_head() {
    let env = Env::new();
    add_user(&env, "hal", "acme", &["helpdesk"]);
    let denied = "error: permission denied: 'audit:read' is needed in acme (you have user:read user:reset-2fa)\n";
    let r = env.run_as("hal", &["audit", "verify"]);
    assert_eq!(r.fails(4), denied);
    assert_eq!(r.stdout, "");
    assert_eq!(env.run_as("hal", &["audit", "head"]).fails(4), denied);
    for bad in ["1", "x:y", &format!("0:{}", "a".repeat(64)), &format!("1:{}", "g".repeat(64)), "1:abc"] {
        assert_eq!(
            env.run(&["audit", "verify", "--head", bad]).fails(2),
            format!("error: invalid head '{bad}'\nhint: pass the ID:HASH that 'acct audit head' printed\n")
        );
    }
}
