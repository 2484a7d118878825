//! Tests of the SQLite store: the conformance suite, opening, creating and
//! migrating a database.

/// The repository contract, one test per check.
mod conformance {
    use crate::store::conformance::store_conformance;
    store_conformance!(|| Box::new(super::super::SqliteStore::memory().expect("memory db")));
}

mod open {
    use super::super::*;

    #[test]
    fn refuses_a_newer_schema_and_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        drop(SqliteStore::create(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let err = SqliteStore::open(&path).err().unwrap();
        let expect = format!("schema version 99, newer than this acct knows ({SCHEMA_VERSION})");
        assert!(err.to_string().contains(&expect), "{err}");

        let other = dir.path().join("other.db");
        let c = Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t(x)").unwrap();
        drop(c);
        let err = SqliteStore::open(&other).err().unwrap();
        assert!(err.to_string().ends_with("other.db is not an acct database"), "{err}");

        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
        let err = SqliteStore::open(&garbage).err().unwrap();
        assert!(err.to_string().contains("is not an acct database (not SQLite)"), "{err}");
    }

    #[test]
    fn create_is_private_and_refuses_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/acct.db");
        drop(SqliteStore::create(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let err = SqliteStore::create(&path).err().unwrap();
        assert!(crate::error::classify(&err).kind == crate::error::Kind::Conflict);
    }
}

mod audit_time_migration {
    use super::super::*;

    #[test]
    fn the_time_migration_numbers_the_entries_of_an_older_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
            let before = AUDIT_TIME_MIGRATION as usize - 1;
            for m in &MIGRATIONS[..before] {
                c.execute_batch(m).unwrap();
            }
            c.pragma_update(None, "user_version", before as u32).unwrap();
            c.execute_batch(
                "INSERT INTO audit (at, actor, org, action, target, changes, hash) VALUES
                     ('2026-01-01T00:00:00Z', 'init', 'acme', 'init', 'a@x.com', '{}', 'h1'),
                     ('+10000-01-01T00:00:00Z', 'init', 'acme', 'org.set', 'acme', '{}', 'h2'),
                     ('t3', 'init', 'acme', 'org.set', 'acme', '{}', 'h3');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let mut st = store.conn.prepare("SELECT at, hash, at_unix FROM audit ORDER BY id").unwrap();
        let rows: Vec<(String, String, Option<i64>)> =
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<rusqlite::Result<_>>().unwrap();
        // `at` and the hashes as they were; the numbers beside them.
        assert_eq!(
            rows,
            vec![
                ("2026-01-01T00:00:00Z".into(), "h1".into(), Some(1_767_225_600)),
                ("+10000-01-01T00:00:00Z".into(), "h2".into(), Some(253_402_300_800)),
                ("t3".into(), "h3".into(), None),
            ]
        );
    }
}

mod chain_migration {
    use super::super::*;
    use crate::store::chain::{self, GENESIS};

    #[test]
    fn the_chain_migration_chains_the_entries_of_an_older_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
            let before = CHAIN_MIGRATION as usize - 1;
            for m in &MIGRATIONS[..before] {
                c.execute_batch(m).unwrap();
            }
            c.pragma_update(None, "user_version", before as u32).unwrap();
            c.execute_batch(
                "INSERT INTO orgs (slug, display_name, created_at) VALUES ('acme', 'Acme', 't'), ('beta', 'Beta', 't');
                 INSERT INTO audit (at, actor, org, action, target, changes) VALUES ('t1', 'init', 'acme', 'init', 'a@x.com', '{}');
                 INSERT INTO audit (at, actor_id, actor, org, action, target_id, target, changes)
                     VALUES ('t2', 1, 'a@x.com', 'acme', 'user.edit', 1, 'a@x.com', '{\"phone\":{\"old\":null,\"new\":\"+4912345678\"}}');
                 INSERT INTO audit_orgs (org, audit_id) VALUES ('beta', 2);",
            )
            .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        let latest = MIGRATIONS.len() as u32;
        assert_eq!(store.schema_version().unwrap(), (latest, latest));
        let tx = store.read().unwrap();
        let mut seen = Vec::new();
        tx.audit_chain(&mut |e| {
            seen.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].change_id.as_deref(), Some("legacy-1"));
        assert_eq!(seen[1].audience, vec!["beta".to_string()]);
        let h1 = chain::hash(GENESIS, &seen[0]);
        assert_eq!(seen[0].hash.as_deref(), Some(h1.as_str()));
        assert_eq!(seen[1].hash.as_deref(), Some(chain::hash(&h1, &seen[1]).as_str()));
    }
}

/// `db copy` copies every table and every column of the schema: a column
/// added by a migration but not to `copy::TABLES` fails here.
#[test]
fn db_copy_knows_every_table_and_column() {
    let mut store = super::SqliteStore::memory().unwrap();
    let conn = store.connection();
    let mut st =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name").unwrap();
    let tables: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut copied: Vec<&str> = crate::store::copy::TABLES.iter().map(|(t, _, _)| *t).collect();
    copied.sort();
    assert_eq!(tables, copied);
    for (table, columns, _) in crate::store::copy::TABLES {
        let mut st = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name")).unwrap();
        let have: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        let mut want: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        if *table == "orgs" {
            // Counted by the destination's triggers, not copied.
            want.push("members".into());
        }
        want.sort();
        assert_eq!(have, want, "the columns of {table}");
    }
}
