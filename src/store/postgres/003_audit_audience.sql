-- Further organizations that see an audit entry (see SQLite's 003).
CREATE TABLE audit_orgs (
    org      text COLLATE "C" NOT NULL,
    audit_id bigint NOT NULL REFERENCES audit(id),
    PRIMARY KEY (org, audit_id)
);
