-- acct schema, version 1.
CREATE TABLE acct_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE orgs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    slug         TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    sso          INTEGER NOT NULL DEFAULT 0 CHECK (sso IN (0, 1)),
    sms_2fa      INTEGER NOT NULL DEFAULT 1 CHECK (sms_2fa IN (0, 1)),
    -- Kept by the triggers below: "showing 100 of N" without counting N rows.
    members      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    slug         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT NOT NULL UNIQUE,
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL UNIQUE,
    first_name       TEXT,
    last_name        TEXT,
    full_name        TEXT,
    initials         TEXT,
    phone            TEXT,
    timezone         TEXT,
    notify           INTEGER NOT NULL DEFAULT 1 CHECK (notify IN (0, 1)),
    robot            INTEGER NOT NULL DEFAULT 0 CHECK (robot IN (0, 1)),
    sso_disabled     INTEGER NOT NULL DEFAULT 0 CHECK (sso_disabled IN (0, 1)),
    sms_auto_send    INTEGER NOT NULL DEFAULT 0 CHECK (sms_auto_send IN (0, 1)),
    require_2fa      INTEGER NOT NULL DEFAULT 0 CHECK (require_2fa IN (0, 1)),
    status           TEXT NOT NULL CHECK (status IN ('invited', 'active', 'inactive')),
    accepted         INTEGER NOT NULL DEFAULT 0 CHECK (accepted IN (0, 1)),
    two_factor       TEXT NOT NULL DEFAULT 'none' CHECK (two_factor IN ('none', 'email', 'sms', 'app')),
    primary_group_id INTEGER REFERENCES groups(id),
    password_hash    TEXT,
    totp_secret      TEXT,
    totp_last_step   INTEGER,
    totp_enrolled_at TEXT,
    twofa_failures   INTEGER NOT NULL DEFAULT 0,
    twofa_locked_until TEXT,
    trashed_at       TEXT,
    trash_org_id     INTEGER REFERENCES orgs(id),
    trash_roles      TEXT,
    -- Lower-cased e-mail, username and names, for --search.
    search_key       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- Sort keys for every sortable column (case-insensitive where text).
CREATE INDEX users_email_ci      ON users (email COLLATE NOCASE, id);
CREATE INDEX users_first_name_ci ON users (first_name COLLATE NOCASE, id);
CREATE INDEX users_last_name_ci  ON users (last_name COLLATE NOCASE, id);
CREATE INDEX users_status        ON users (status, id);
CREATE INDEX users_two_factor    ON users (two_factor, id);
CREATE INDEX users_primary_group ON users (primary_group_id);
CREATE INDEX users_trashed       ON users (trashed_at) WHERE trashed_at IS NOT NULL;
-- A substring search reads this index (much smaller than the table).
CREATE INDEX users_search        ON users (search_key);

CREATE TABLE memberships (
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, org_id);
CREATE TRIGGER memberships_count_in AFTER INSERT ON memberships
BEGIN
    UPDATE orgs SET members = members + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER memberships_count_out AFTER DELETE ON memberships
BEGIN
    UPDATE orgs SET members = members - 1 WHERE id = OLD.org_id;
END;

CREATE TABLE roles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER REFERENCES orgs(id),
    name         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('org', 'global')),
    builtin      INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (ifnull(org_id, 0), name);

CREATE TABLE role_permissions (
    role_id    INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
) WITHOUT ROWID;

CREATE TABLE user_roles (
    org_id  INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL REFERENCES roles(id),
    PRIMARY KEY (org_id, user_id, role_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX user_roles_role ON user_roles (role_id);
CREATE INDEX user_roles_user ON user_roles (user_id, org_id);

CREATE TABLE global_roles (
    user_id INTEGER NOT NULL REFERENCES users(id),
    role_id INTEGER NOT NULL REFERENCES roles(id),
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE group_managers (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_managers_user ON group_managers (user_id);

CREATE TABLE invitations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    token_hash     BLOB UNIQUE,
    created_at     TEXT NOT NULL,
    sent_at        TEXT,
    expires_at     TEXT,
    delivery       TEXT NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending', 'sent', 'failed')),
    delivery_error TEXT,
    state          TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'replaced', 'revoked'))
);
CREATE INDEX invitations_user ON invitations (user_id, state);

CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor_id   INTEGER,
    actor      TEXT NOT NULL,
    org        TEXT,
    action     TEXT NOT NULL,
    target_id  INTEGER,
    target     TEXT,
    changes    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_target ON audit (target_id, id);
CREATE INDEX audit_action ON audit (action, id);
