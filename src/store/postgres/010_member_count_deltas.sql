-- An organization's member count is orgs.members plus the pending deltas
-- of member_count_deltas; acct folds the deltas into orgs.members once, when
-- a write transaction commits. The triggers used to update the
-- organization's row once per statement. In a transaction of many
-- single-row statements, each in a savepoint (apply, --prune, undo, a
-- command with many targets), every update made a new version of that row
-- and carried over the FOR KEY SHARE locks that the foreign-key checks of
-- every earlier savepoint held on it: a MultiXact one member longer each
-- time, read whole at every look-up of the row. 20,000 rows of apply did
-- not finish in ten minutes. A delta is a new row, shared by no one.
-- SQLite updates its counter in place and keeps it (its 010 changes only
-- the version).
CREATE TABLE member_count_deltas (
    org_id bigint NOT NULL,
    delta  bigint NOT NULL
);
CREATE INDEX member_count_deltas_org ON member_count_deltas (org_id);

CREATE OR REPLACE FUNCTION acct_members_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_count_deltas (org_id, delta) SELECT org_id, count(*) FROM added GROUP BY org_id;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION acct_members_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_count_deltas (org_id, delta) SELECT org_id, -count(*) FROM removed GROUP BY org_id;
    RETURN NULL;
END $$;
