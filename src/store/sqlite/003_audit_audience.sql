-- Further organizations that see an audit entry: a change to an identity
-- (its e-mail, its activation, its two-factor state, its invitation) is
-- visible to the audit readers of every organization it belongs to, not only
-- the one of its primary group.
CREATE TABLE audit_orgs (
    org      TEXT NOT NULL,
    audit_id INTEGER NOT NULL REFERENCES audit(id),
    PRIMARY KEY (org, audit_id)
) WITHOUT ROWID;
