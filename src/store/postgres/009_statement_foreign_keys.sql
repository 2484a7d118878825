-- The foreign keys of the rows a bulk import writes, checked once per
-- statement instead of once per row (README, "PostgreSQL"). A declarative
-- foreign key looks its row up for every new row, through a plan made
-- again each time (acct plans every statement for its values): 8 look-ups
-- per imported user, most of an import's time. The triggers below keep the
-- same rules, with the same errors: a row added or changed must name an
-- existing row, locked FOR KEY SHARE as a foreign key locks it (so that a
-- concurrent delete waits for this transaction); a row still named can't
-- be deleted, nor its key changed. They run as their owner, as a foreign
-- key's checks do. SQLite keeps its foreign keys (its 009 changes nothing).
-- TG_ARGV of every function: the constraint's name, the referencing table,
-- its columns, the referenced table, its columns (comma-separated, in step).

-- After an INSERT statement: every row added names an existing row.
CREATE FUNCTION acct_fk_added() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    missing text;
    pk text := 'p.' || replace(TG_ARGV[4], ', ', ', p.');
    fk text := 'a.' || replace(TG_ARGV[2], ', ', ', a.');
BEGIN
    -- Rows this transaction wrote are locked already, or seen by no one else.
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I p WHERE (%s) IN (SELECT %s FROM added a) '
                   'AND p.xmin <> xid(pg_current_xact_id()) FOR KEY SHARE OF p) l', TG_ARGV[3], pk, fk);
    EXECUTE format('SELECT ROW(%s)::text FROM (SELECT DISTINCT %s FROM added a WHERE (%s) IS NOT NULL) a '
                   'WHERE NOT EXISTS (SELECT 1 FROM %I p WHERE (%s) = (%s)) LIMIT 1', fk, fk, fk, TG_ARGV[3], pk, fk)
        INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_ARGV[1], TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_ARGV[1], CONSTRAINT = TG_ARGV[0],
                  DETAIL = format('Key (%s)=%s is not present in table "%s".', TG_ARGV[2], missing, TG_ARGV[3]);
    END IF;
    RETURN NULL;
END $$;

-- After a row's referencing columns changed: it names an existing row.
CREATE FUNCTION acct_fk_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    key text;
    found boolean;
    fk text := '($1).' || replace(TG_ARGV[2], ', ', ', ($1).');
BEGIN
    EXECUTE format('SELECT ROW(%s)::text, (%s) IS NULL OR EXISTS (SELECT 1 FROM %I p WHERE (%s) = (%s) FOR KEY SHARE OF p)',
                   fk, fk, TG_ARGV[3], TG_ARGV[4], fk)
        USING NEW INTO key, found;
    IF NOT found THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_ARGV[1], TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_ARGV[1], CONSTRAINT = TG_ARGV[0],
                  DETAIL = format('Key (%s)=%s is not present in table "%s".', TG_ARGV[2], key, TG_ARGV[3]);
    END IF;
    RETURN NULL;
END $$;

-- After a DELETE statement: no row removed is still named.
CREATE FUNCTION acct_fk_removed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    named text;
    pk text := 'r.' || replace(TG_ARGV[4], ', ', ', r.');
BEGIN
    EXECUTE format('SELECT ROW(%s)::text FROM removed r WHERE EXISTS (SELECT 1 FROM %I c WHERE (%s) = (%s)) LIMIT 1',
                   pk, TG_ARGV[1], TG_ARGV[2], pk)
        INTO named;
    IF named IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"',
                        TG_ARGV[3], TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_ARGV[1], CONSTRAINT = TG_ARGV[0],
                  DETAIL = format('Key (%s)=%s is still referenced from table "%s".', TG_ARGV[4], named, TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$;

-- After a row's key changed: the old key is not named, unless another row has it now.
CREATE FUNCTION acct_fk_rekeyed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    key text;
    named boolean;
    was text := '($1).' || replace(TG_ARGV[4], ', ', ', ($1).');
BEGIN
    EXECUTE format('SELECT ROW(%s)::text, EXISTS (SELECT 1 FROM %I c WHERE (%s) = (%s)) '
                   'AND NOT EXISTS (SELECT 1 FROM %I p WHERE (%s) = (%s))',
                   was, TG_ARGV[1], TG_ARGV[2], was, TG_ARGV[3], TG_ARGV[4], was)
        USING OLD INTO key, named;
    IF named THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"',
                        TG_ARGV[3], TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_ARGV[1], CONSTRAINT = TG_ARGV[0],
                  DETAIL = format('Key (%s)=%s is still referenced from table "%s".', TG_ARGV[4], key, TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$;

-- One foreign key as the four triggers: the same arguments for each.
CREATE FUNCTION acct_fk_triggers(con text, child text, cols text, parent text, pcols text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    args text := format('%L, %L, %L, %L, %L', con, child, cols, parent, pcols);
    o text := 'OLD.' || replace(cols, ', ', ', OLD.');
    n text := 'NEW.' || replace(cols, ', ', ', NEW.');
    po text := 'OLD.' || replace(pcols, ', ', ', OLD.');
    pn text := 'NEW.' || replace(pcols, ', ', ', NEW.');
BEGIN
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', child, con);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS added FOR EACH STATEMENT '
                   'EXECUTE FUNCTION acct_fk_added(%s)', con || '_added', child, args);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE OF %s ON %I FOR EACH ROW WHEN ((%s) IS DISTINCT FROM (%s)) '
                   'EXECUTE FUNCTION acct_fk_changed(%s)', con || '_changed', cols, child, o, n, args);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS removed FOR EACH STATEMENT '
                   'EXECUTE FUNCTION acct_fk_removed(%s)', con || '_removed', parent, args);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE OF %s ON %I FOR EACH ROW WHEN ((%s) IS DISTINCT FROM (%s)) '
                   'EXECUTE FUNCTION acct_fk_rekeyed(%s)', con || '_rekeyed', pcols, parent, po, pn, args);
END $$;

SELECT acct_fk_triggers('users_primary_group_id_fkey', 'users', 'primary_group_id', 'groups', 'id');
SELECT acct_fk_triggers('users_trash_org_id_fkey', 'users', 'trash_org_id', 'orgs', 'id');
SELECT acct_fk_triggers('invitations_user_id_fkey', 'invitations', 'user_id', 'users', 'id');
SELECT acct_fk_triggers('invitations_org_id_fkey', 'invitations', 'org_id', 'orgs', 'id');
SELECT acct_fk_triggers('memberships_org_id_fkey', 'memberships', 'org_id', 'orgs', 'id');
SELECT acct_fk_triggers('memberships_user_id_fkey', 'memberships', 'user_id', 'users', 'id');
SELECT acct_fk_triggers('user_roles_role_id_fkey', 'user_roles', 'role_id', 'roles', 'id');
SELECT acct_fk_triggers('user_roles_org_id_user_id_fkey', 'user_roles', 'org_id, user_id', 'memberships', 'org_id, user_id');
DROP FUNCTION acct_fk_triggers(text, text, text, text, text);
