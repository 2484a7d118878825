#!/usr/bin/env python3
"""Speed benchmark for acct at N users (default 1,000,000), against the sqlite3 shell.

Not part of the test suite: timings on shared machines are noisy. See
benches/README.md for what is measured and how to read the table.

    python3 benches/run.py                    # 1M users (about 10 minutes on 2 cores)
    python3 benches/run.py --users 100000     # quick run
    python3 benches/run.py --json out.json    # also write the results as JSON

Every timing is one whole process (spawn to exit, output consumed), measured
with posix_spawn + wait4, which also gives each child's peak RSS. acct and its
baseline alternate run by run; the table reports medians.
"""

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIGRATION = REPO / "src/store/sqlite/001_init.sql"
ORG = "acme"
ADMIN = "admin@example.com"
# The default columns of `user list` (Column::LIST_DEFAULT) and `user export`.
LIST_SORTS = ["email", "first_name", "last_name", "role", "two_factor", "status"]
EXPORT_FIELDS = "id,email,first_name,last_name,role,two_factor"
# Planted rows for --search: a rare surname, searched for in upper case, so
# that the search is case-insensitive beyond ASCII (Þ → þ).
SEARCH_SURNAME = "Þorvaldsdóttir"
SEARCH_TEXT = "ÞORVALDS"
SEARCH_PLANTED = 5

# ---------------------------------------------------------------- data

# (display, ASCII form used in e-mail local parts); roughly one in six non-ASCII.
FIRST = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
    "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Margaret", "Steven", "Sandra",
    "Paul", "Ashley", "Andrew", "Emily", "Joshua", "Donna", "Kevin", "Michelle", "Brian", "Carol",
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Dennis", "Frances", "Leslie", "Radia",
    "Mohammed", "Fatima", "Wei", "Priya", "Arjun", "Yuki", "Hiroshi", "Olga", "Lars", "Ingrid",
    "Sean", "Aoife", "Pedro", "Lucia", "Giulia", "Marco", "Noah", "Emma", "Liam", "Olivia",
    ("José", "jose"), ("Zoë", "zoe"), ("Renée", "renee"), ("Søren", "soren"), ("Łukasz", "lukasz"),
    ("Ñusta", "nusta"), ("Björn", "bjorn"), ("Jürgen", "jurgen"), ("François", "francois"), ("Ørjan", "orjan"),
    ("Иван", "ivan"), ("Мария", "maria"), ("Γιώργος", "giorgos"), ("明", "ming"), ("さくら", "sakura"),
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Ritchie", "Allen", "Lamport", "Perlman",
    "Khan", "Patel", "Singh", "Kumar", "Tanaka", "Suzuki", "Ivanova", "Larsen", "Andersen", "O'Brien",
    "Murphy", "Kelly", "Rossi", "Russo", "Bianchi", "Silva", "Santos", "Costa", "Novak", "Kowalski",
    ("Müller", "mueller"), ("Schröder", "schroeder"), ("Gößmann", "goessmann"), ("Núñez", "nunez"),
    ("Jørgensen", "jorgensen"), ("Wałęsa", "walesa"), ("Dvořák", "dvorak"), ("Çelik", "celik"),
    ("Öztürk", "ozturk"), ("García Márquez", "garciamarquez"), ("Lefèvre", "lefevre"), ("Åberg", "aberg"),
    ("Смирнов", "smirnov"), ("Παπαδόπουλος", "papadopoulos"), ("王", "wang"), ("佐藤", "sato"),
]
DOMAINS = [
    ("example.com", 30), ("example.org", 15), ("mail.example.net", 10), ("corp.example.co.uk", 8),
    ("acme.example", 12), ("uni.example.edu", 8), ("eu.example.de", 8), ("example.fr", 6),
    ("bücher.example", 2), ("münchen.example", 1),
]


def ascii_of(name):
    if isinstance(name, tuple):
        return name
    return name, unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def generate_csv(path, n, seed):
    """n users: email,first_name,last_name,role. Returns facts for the later steps."""
    rng = random.Random(seed)
    first = [ascii_of(x) for x in FIRST]
    last = [ascii_of(x) for x in LAST]
    domains = [d for d, _ in DOMAINS]
    weights = [w for _, w in DOMAINS]
    used = set()
    next_suffix = {}
    planted = {round(n * (k + 1) / (SEARCH_PLANTED + 1)) for k in range(SEARCH_PLANTED)} if n >= 100 else set()
    middle = None
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["email", "first_name", "last_name", "role"])
        for i in range(n):
            fd, fa = first[rng.randrange(len(first))]
            ld, la = last[rng.randrange(len(last))]
            if i in planted:
                ld, la = SEARCH_SURNAME, "thorvaldsdottir"
            la = re.sub(r"[^a-z]", "", la)
            p = rng.random()
            if p < 0.5:
                base = f"{fa}.{la}"
            elif p < 0.7:
                base = f"{fa[0]}{la}"
            elif p < 0.85:
                base = f"{fa}_{la}"
            else:
                base = f"{fa}.{la[0]}"
            local = base
            if local in used:
                k = next_suffix.get(base, 2)
                while f"{base}{k}" in used:
                    k += 1
                local = f"{base}{k}"
                next_suffix[base] = k + 1
            used.add(local)
            shown = local
            if rng.random() < 0.03:  # some addresses typed with capitals
                shown = ".".join(s[:1].upper() + s[1:] for s in local.split("."))
            email = f"{shown}@{rng.choices(domains, weights)[0]}"
            if i == n // 2 + 1:  # (n // 2 may be a planted row)
                middle = email
            w.writerow([email, fd, ld, "read-only"])
    return {"middle_email": middle, "planted": len(planted)}


# ---------------------------------------------------------------- processes

class Run:
    __slots__ = ("wall", "user", "sys", "rss_kb", "out")

    def __init__(self, wall, user, sys_, rss_kb, out):
        self.wall, self.user, self.sys, self.rss_kb, self.out = wall, user, sys_, rss_kb, out


def spawn(argv, env, stdout="devnull", stdin="/dev/null", errfile="/dev/null"):
    """Run argv to completion. stdout: 'devnull', 'pipe' (read and returned) or a path."""
    fa = [(os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0)]
    r = w = None
    if stdout == "pipe":
        r, w = os.pipe()
        fa.append((os.POSIX_SPAWN_DUP2, w, 1))
    else:
        path = "/dev/null" if stdout == "devnull" else str(stdout)
        fa.append((os.POSIX_SPAWN_OPEN, 1, path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    fa.append((os.POSIX_SPAWN_OPEN, 2, str(errfile), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    out = b""
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    if w is not None:
        os.close(w)
        chunks = []
        while True:
            b = os.read(r, 1 << 16)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        out = b"".join(chunks)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err = Path(errfile).read_text(errors="replace") if errfile != "/dev/null" else ""
        sys.exit(f"benchmark: {' '.join(map(str, argv))} exited {code}\n{err}")
    return Run(t1 - t0, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, out)


GNU_TIME = "/usr/bin/time"


def spawn_rss(argv, env, stdout="devnull", errfile="/dev/null", rssfile=None):
    """spawn() under GNU time, when installed, for a peak RSS that is the child's
    own: a child started by posix_spawn (vfork) starts from the parent's RSS
    high-water mark."""
    if not (rssfile and os.access(GNU_TIME, os.X_OK)):
        return spawn(argv, env, stdout, errfile=errfile)
    r = spawn([GNU_TIME, "-f", "%M", "-o", str(rssfile), *argv], env, stdout, errfile=errfile)
    r.rss_kb = int(Path(rssfile).read_text().split()[-1])
    return r


def med(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- SQL

def users_schema():
    """The users table and its indexes, as in acct's migration."""
    text = MIGRATION.read_text()
    table = re.search(r"CREATE TABLE users \(.*?\n\);", text, re.S).group(0)
    indexes = re.findall(r"CREATE (?:UNIQUE )?INDEX \w+\s+ON users [^;]*;", text)
    return table + "\n" + "\n".join(indexes)


PRAGMAS = """PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA cache_size = -32768;
"""

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
INSERT_USERS = f"""INSERT INTO users (username, email, email_key, first_name, last_name, full_name, initials,
                   status, accepted, primary_group_id, created_at, updated_at, search_key)
SELECT username, email, lower(email), nullif(first_name, ''), nullif(last_name, ''),
       trim(first_name || ' ' || last_name), upper(substr(first_name, 1, 1) || substr(last_name, 1, 1)),
       'invited', 0, {{group}}, {NOW}, {NOW},
       lower(email || char(10) || username || char(10) || first_name || char(10) || last_name
             || char(10) || trim(first_name || ' ' || last_name))
FROM (SELECT lower(substr(email, 1, instr(email, '@') - 1)) AS username, * FROM temp.staging);
"""


def baseline_import_sql(csv_path):
    """The issue's baseline: .import into a staging table, INSERT ... SELECT into
    a table with the same indexes as acct's users table, same pragmas."""
    return f"""{PRAGMAS}{users_schema()}
.import --csv --schema temp '{csv_path}' staging
{INSERT_USERS.format(group=1)}"""


def bulk_schema():
    """acct's whole schema (every migration, in order), with the secondary
    indexes split off: (tables, unique indexes and triggers; the CREATE INDEX
    statements to run after the rows are in)."""
    text = "\n".join(p.read_text() for p in sorted(MIGRATION.parent.glob("[0-9][0-9][0-9]_*.sql")))
    text = re.sub(r"--[^\n]*", "", text)
    later = re.findall(r"CREATE INDEX \w+\s+ON [^;]*;", text)
    for stmt in later:
        text = text.replace(stmt, "")
    return text, "\n".join(later)


def baseline_import_bulk_sql(csv_path):
    """Issue 14's baseline: every row acct writes per imported user (users,
    memberships with the role key, user_roles, invitations, the audit entry
    with a change id and a SHA-3 per entry standing in for the hash chain),
    into acct's whole schema with foreign keys on, one INSERT ... SELECT per
    table from a staging table, the secondary indexes built after; same
    pragmas, one transaction."""
    tables, indexes = bulk_schema()
    return f"""{PRAGMAS}PRAGMA foreign_keys = ON;
{tables}
INSERT INTO orgs (slug, display_name, created_at) VALUES ('{ORG}', '{ORG}', {NOW});
INSERT INTO groups (org_id, slug, display_name, created_at) VALUES (1, 'everyone', 'Everyone', {NOW});
INSERT INTO roles (org_id, name, display_name, scope, builtin, created_at) VALUES (1, 'read-only', 'Read Only', 'org', 1, {NOW});
.import --csv --schema temp '{csv_path}' staging
BEGIN;
{INSERT_USERS.format(group=1)}
INSERT INTO memberships (org_id, user_id, created_at, role_key) SELECT 1, id, created_at, 'read-only' FROM users;
INSERT INTO user_roles (org_id, user_id, role_id) SELECT 1, id, 1 FROM users;
INSERT INTO invitations (user_id, org_id, created_at) SELECT id, 1, created_at FROM users;
INSERT INTO audit (at, actor_id, actor, org, action, target_id, target, changes, change_id, hash)
SELECT at, 1, '{ADMIN}', '{ORG}', 'user.add', id, email, changes, 'bench', lower(hex(sha3(at || email || changes, 256)))
FROM (SELECT created_at AS at, id, email,
             json_object('user', json_object('old', NULL, 'new', email),
                         'roles', json_object('old', json('[]'), 'new', json('["read-only"]'))) AS changes
      FROM users);
{indexes}
COMMIT;
"""


# Sort expressions of the baseline's list pages (as acct sorts).
SORT_EXPR = {
    "email": "u.email COLLATE NOCASE", "first_name": "u.first_name COLLATE NOCASE",
    "last_name": "u.last_name COLLATE NOCASE", "role": "roles", "two_factor": "u.two_factor",
    "status": "u.status", "id": "u.id",
}
ROLES_OF = ("(SELECT group_concat(name, ';') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
            "WHERE ur.org_id = m.org_id AND ur.user_id = u.id ORDER BY r.name))")


def baseline_list_sql(sort, org_id, shape=None):
    """The list's columns (email, first_name, last_name, role, two_factor, status),
    first page, in the same order. shape 'index': the users table with a
    membership test, as one would write it at the shell (an index on the sort
    key is walked and the walk stops after 100 rows); shape 'join': acct's
    FROM memberships JOIN users."""
    order = SORT_EXPR[sort] if sort != "role" else "role"
    if shape is None:  # no index can serve the role sort: the shell is faster joining from memberships
        shape = "join" if sort == "role" else "index"
    cols = f"u.email, u.first_name, u.last_name, {ROLES_OF.replace('m.org_id', str(org_id))} AS role, u.two_factor, u.status"
    if shape == "join":
        src = f"FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = {org_id}"
    else:
        src = f"FROM users u WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = {org_id} AND m.user_id = u.id)"
    return f"SELECT {cols} {src} ORDER BY {order}, u.id LIMIT 100;"


def sql_quote(s):
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=1_000_000, help="number of users (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=5, help="seed of the generated users (default 5)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each quick operation (default 7)")
    ap.add_argument("--import-runs", type=int, default=None,
                    help="timed runs of each import (default 3 up to 200k users, else 1)")
    ap.add_argument("--export-runs", type=int, default=3, help="timed runs of each export (default 3)")
    ap.add_argument("--no-full-baseline", action="store_true",
                    help="skip the informational sqlite3 import into the users table alone")
    ap.add_argument("--acct", help="acct binary (default: cargo build --release, then its target dir)")
    ap.add_argument("--sqlite3", default=shutil.which("sqlite3"), help="sqlite3 shell (default: on PATH)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every process (repeatable), e.g. to try a build's switches")
    ap.add_argument("--postgres", metavar="URL",
                    help="also import into a new database on this PostgreSQL server (a URL whose user may create "
                         "databases), reported against acct's SQLite import")
    ap.add_argument("--tmpdir", help="where to put the scratch directory (default: the system's)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (CSV and databases)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--import-rss", metavar="N,M,...",
                    help="only measure the peak RSS of user import at these sizes, side by side "
                         "(e.g. 100000,1000000); the import's memory must stay under 2x the first size's")
    ap.add_argument("--apply", metavar="N", type=int,
                    help="only measure `acct apply` of a file of N members in which 10%% of the rows change "
                         "(and its --dry-run, which must not be slower), and of the N as new members of a new "
                         "organization; with --postgres, on that server too; target: a few seconds at 100,000")
    ap.add_argument("--generate", metavar="CSV", help=argparse.SUPPRESS)  # internal: write the CSV, print facts
    a = ap.parse_args()
    if a.generate:
        print(json.dumps(generate_csv(a.generate, a.users, a.seed)))
        return
    if not a.sqlite3:
        sys.exit("benchmark: sqlite3 not found (apt-get install sqlite3)")
    n = a.users
    import_runs = a.import_runs or (3 if n <= 200_000 else 1)
    acct = a.acct or build_acct()
    sqlite3 = a.sqlite3
    started = time.time()
    EXTRA_ENV.update(kv.split("=", 1) for kv in a.env)

    scratch = Path(tempfile.mkdtemp(prefix="acct-bench-", dir=a.tmpdir))
    log = lambda msg: print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)
    if a.apply:
        try:
            apply_bench(a, a.apply, acct, scratch, log)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    if a.import_rss:
        try:
            import_rss(a, [int(x) for x in a.import_rss.split(",")], acct, scratch, log)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    try:
        results, plans, meta = bench(a, n, import_runs, acct, sqlite3, scratch, log)
    finally:
        if a.keep:
            log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    meta["wall_s"] = round(time.time() - started, 1)
    meta["loadavg_end"] = os.getloadavg()[0]
    print_table(results, meta)
    if a.json:
        Path(a.json).write_text(json.dumps({"meta": meta, "results": results, "plans": plans}, indent=2,
                                           ensure_ascii=False) + "\n")
        log(f"wrote {a.json}")


def apply_bench(a, n, acct, scratch, log):
    """`acct apply` of the organization's own export with one row in ten
    changed (a new last name, and every other of those a new role), and its
    --dry-run, each from the same saved database; medians of --runs runs."""
    csv_path = scratch / "users.csv"
    subprocess.run([sys.executable, __file__, "--generate", str(csv_path), "--users", str(n), "--seed", str(a.seed)],
                   check=True, capture_output=True)
    home = scratch / "apply"
    env = sealed_env(home)
    err = scratch / "stderr.txt"
    spawn([acct, "init", "--org", ORG, "--admin", ADMIN], env, errfile=err)
    spawn([acct, "user", "import", str(csv_path), "--no-send"], env, errfile=err)
    export = scratch / "team.csv"
    spawn([acct, "user", "export", "--fields", "email,first_name,last_name,role", "-o", str(export)], env, errfile=err)
    db = home / ".local/share/acct/acct.db"
    saved = scratch / "saved.db"
    spawn([acct, "db", "backup", str(saved)], env, errfile=err)
    with open(export, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    changed = 0
    for i, row in enumerate(rows[1:], start=1):
        if row[0] != ADMIN and i % 10 == 0:
            row[2] = "Changed"
            if i % 20 == 0:
                row[3] = "helpdesk" if row[3] != "helpdesk" else "read-only"
            changed += 1
    edited = scratch / "edited.csv"
    with open(edited, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    log(f"apply: {n:,} members, {changed:,} rows changed")

    def restore():
        for s in ("", "-wal", "-shm"):
            Path(f"{db}{s}").unlink(missing_ok=True)
        shutil.copyfile(saved, db)
        os.chmod(db, 0o600)

    timings = {"apply --dry-run": [], "apply": [], "apply (no changes)": []}
    for _ in range(a.runs):
        restore()
        timings["apply --dry-run"].append(spawn([acct, "apply", str(edited), "--dry-run"], env, errfile=err).wall)
        timings["apply"].append(spawn([acct, "apply", str(edited), "--no-send"], env, errfile=err).wall)
        timings["apply (no changes)"].append(spawn([acct, "apply", str(edited)], env, errfile=err).wall)
    summary = Path(err).read_text().strip()
    if summary != "no changes":
        sys.exit(f"benchmark: the second apply was not idempotent: {summary}")
    # The whole file as new members of a new organization.
    timings["apply of new members"] = []
    for i in range(a.runs):
        fresh = sealed_env(scratch / f"fresh{i}")
        spawn([acct, "init", "--org", ORG, "--admin", ADMIN], fresh, errfile=err)
        timings["apply of new members"].append(spawn([acct, "apply", str(csv_path), "--no-send"], fresh, errfile=err).wall)
    if a.postgres:
        # The same on PostgreSQL: the saved database copied into a new
        # database on the server for each run (`acct db copy`).
        psql = shutil.which("psql") or sys.exit("benchmark: --postgres needs psql on PATH")
        base, _, _ = a.postgres.partition("?")
        server_root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
        for k in ("apply --dry-run", "apply", "apply (no changes)", "apply of new members"):
            timings[f"{k} on PostgreSQL"] = []
        for i in range(a.runs):
            for what in ("copy", "fresh"):
                name = f"acct_bench_apply_{os.getpid()}_{what}_{i}"
                for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
                    subprocess.run([psql, a.postgres, "-qc", sql], check=True, capture_output=True)
                url = f"{server_root}/{name}"
                penv = sealed_env(scratch / f"pg-{what}{i}")
                if what == "copy":
                    spawn([acct, "--db", str(saved), "db", "copy", url], penv, errfile=err)
                    # A copy is not configured: the actor and organization come from the environment.
                    penv.update(ACCT_ACTOR=ADMIN, ACCT_ORG=ORG)
                    for k, extra in (("apply --dry-run", ["--dry-run"]), ("apply", ["--no-send"]), ("apply (no changes)", [])):
                        timings[f"{k} on PostgreSQL"].append(
                            spawn([acct, "--db", url, "apply", str(edited), *extra], penv, errfile=err).wall)
                    summary = Path(err).read_text().strip()
                    if summary != "no changes":
                        sys.exit(f"benchmark: the second apply on PostgreSQL was not idempotent: {summary}")
                else:
                    spawn([acct, "--db", url, "init", "--org", ORG, "--admin", ADMIN], penv, errfile=err)
                    timings["apply of new members on PostgreSQL"].append(
                        spawn([acct, "--db", url, "apply", str(csv_path), "--no-send"], penv, errfile=err).wall)
                subprocess.run([psql, a.postgres, "-qc", f"DROP DATABASE {name}"], capture_output=True)
    for op, walls in timings.items():
        log(f"{op}: median {med(walls):.2f} s of {len(walls)} runs ({', '.join(f'{w:.2f}' for w in walls)})")
    print(f"| {n:,} members, {changed:,} changed | apply --dry-run {med(timings['apply --dry-run']):.2f} s "
          f"| apply {med(timings['apply']):.2f} s | apply again (no changes) {med(timings['apply (no changes)']):.2f} s "
          f"| {n:,} new members {med(timings['apply of new members']):.2f} s |")
    if a.postgres:
        print(f"| on PostgreSQL | apply --dry-run {med(timings['apply --dry-run on PostgreSQL']):.2f} s "
              f"| apply {med(timings['apply on PostgreSQL']):.2f} s "
              f"| apply again (no changes) {med(timings['apply (no changes) on PostgreSQL']):.2f} s "
              f"| {n:,} new members {med(timings['apply of new members on PostgreSQL']):.2f} s |")


# How the import reads its input in the memory runs: a file, stdin, and a
# dry run of the file (issue 14: "import --dry-run the same").
HOWS = ("file", "stdin", "dry-run")


def import_rss(a, sizes, acct, scratch, log):
    """Peak RSS of `user import FILE --no-send` (and of the same from stdin, and of its dry run) at
    each size, on a fresh database, printed side by side with the growth from
    the first size. Under GNU time, so that the figure is acct's own."""
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"benchmark: {GNU_TIME} not found (apt-get install time)")
    rows = []
    for n in sizes:
        csv_path = scratch / f"users{n}.csv"
        subprocess.run([sys.executable, __file__, "--generate", str(csv_path), "--users", str(n), "--seed",
                        str(a.seed)], check=True, capture_output=True)
        row = {"users": n}
        for how in HOWS:
            home = scratch / f"rss{n}{how}"
            env = sealed_env(home)
            spawn([acct, "init", "--org", ORG, "--admin", ADMIN], env)
            argv = [acct, "user", "import", str(csv_path) if how != "stdin" else "-", "--no-send"]
            if how == "dry-run":
                argv.append("--dry-run")
            rssfile = scratch / "rss"
            if how != "stdin":
                r = spawn([GNU_TIME, "-f", "%M", "-o", str(rssfile), *argv], env)
            else:
                r = spawn([GNU_TIME, "-f", "%M", "-o", str(rssfile), *argv], env, stdin=str(csv_path))
            r.rss_kb = int(Path(rssfile).read_text().split()[-1])
            row[how] = (r.wall, r.rss_kb / 1024)
            shutil.rmtree(home, ignore_errors=True)
            log(f"import {n:,} rows ({how}): {r.wall:.2f} s, peak RSS {r.rss_kb / 1024:.1f} MB")
        rows.append(row)
    first = rows[0]
    print(f"{'users':>10}" + "".join(f"  {how + ': time':>13}  {'peak RSS':>9}  {'growth':>7}" for how in HOWS))
    for row in rows:
        cells = []
        for how in HOWS:
            wall, mb = row[how]
            growth = (mb / first[how][1] - 1) * 100
            cells.append(f"{wall:>12.2f}s  {mb:>6.1f} MB  {growth:>+6.1f}%")
        print(f"{row['users']:>10,}  " + "  ".join(cells))
    # Issue 14: the import (from a file or stdin) at most 100 MB at a million
    # rows and less than twice its figure at the first size; its dry run
    # streams the same way (at most 100 MB at a million rows). A dry run
    # writes nothing, so its first figure is small and its growth (the
    # duplicate keys, about 55 bytes a row) shows as a larger ratio.
    last = rows[-1]
    big = last["users"] >= 1_000_000
    worst = max(last[how][1] / first[how][1] for how in ("file", "stdin"))
    peak = max(last[how][1] for how in HOWS)
    ok = worst < 2 and (not big or peak <= 100)
    print(f"target: import peak RSS less than 2x from {sizes[0]:,} to {sizes[-1]:,} rows, import and dry run at most "
          f"100 MB at 1,000,000: " + ("pass" if ok else "FAIL") + f" (import {worst:.2f}x; highest {peak:.1f} MB)")


def build_acct():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    path = Path(target) / "release" / "acct"
    if not path.exists():
        sys.exit(f"benchmark: {path} not found after cargo build")
    return str(path)


EXTRA_ENV = {}


def sealed_env(home):
    home.mkdir(parents=True, exist_ok=True)
    return {**EXTRA_ENV,
        "PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": "C.UTF-8", "TZ": "UTC", "TERM": "dumb",
    }


def bench(a, n, import_runs, acct, sqlite3, scratch, log):
    err = scratch / "stderr.txt"
    results = []

    def record(op, acct_runs, base_runs=None, target=None, check=None, note="", base_label="sqlite3", **extra):
        am = med([r.wall for r in acct_runs])
        bm = med([r.wall for r in base_runs]) if base_runs else None
        ratio = am / bm if bm else None
        passed = check(am, ratio) if check else None
        row = {
            "op": op, "acct_ms": round(am * 1e3, 2), "base_ms": round(bm * 1e3, 2) if bm else None,
            "ratio": round(ratio, 2) if ratio else None, "target": target, "pass": passed,
            "acct_rss_mb": round(max(r.rss_kb for r in acct_runs) / 1024, 1),
            "base_rss_mb": round(max(r.rss_kb for r in base_runs) / 1024, 1) if base_runs else None,
            "acct_runs_ms": [round(r.wall * 1e3, 2) for r in acct_runs],
            "base_runs_ms": [round(r.wall * 1e3, 2) for r in base_runs] if base_runs else None,
            "baseline": base_label if base_runs else None, "note": note,
        }
        row.update(extra)
        results.append(row)
        shown = f"{row['acct_ms']:.1f} ms" + (f" vs {row['base_ms']:.1f} ms = {row['ratio']}x" if bm else "")
        log(f"{op}: {shown}" + ("" if passed is None else (" PASS" if passed else " FAIL")))
        return row

    def alternate(runs, fa, fb, warm=True):
        if warm:  # one untimed run of each
            fa()
            if fb:
                fb()
        ra, rb = [], []
        for _ in range(runs):
            ra.append(fa())
            if fb:
                rb.append(fb())
        return ra, rb

    # 1. data
    csv_path = scratch / "users.csv"
    log(f"generating {n:,} users (seed {a.seed})")
    # In a child process, so that this one stays small (see spawn_rss).
    facts = json.loads(subprocess.run([sys.executable, __file__, "--generate", str(csv_path), "--users", str(n),
                                       "--seed", str(a.seed)], check=True, capture_output=True, text=True).stdout)
    log(f"{csv_path.stat().st_size / 1e6:.1f} MB of CSV")

    version = spawn([acct, "--version"], sealed_env(scratch / "h0"), "pipe").out.decode().strip()
    sqlite_version = spawn([sqlite3, "--version"], sealed_env(scratch / "h0"), "pipe").out.decode().split()[0]
    meta = {
        "users": n, "seed": a.seed, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "acct": version, "acct_binary": acct, "sqlite3_shell": sqlite_version,
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                 text=True).stdout.strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.release()}",
        "runs": a.runs, "import_runs": import_runs, "export_runs": a.export_runs, "env": a.env,
        "loadavg_start": os.getloadavg()[0],
    }
    floor = [spawn(["/bin/true"], sealed_env(scratch / "h0")) for _ in range(20)]
    meta["spawn_floor_ms"] = round(med([r.wall for r in floor]) * 1e3, 2)
    meta["spawn_floor_rss_mb"] = round(max(r.rss_kb for r in floor) / 1024, 1)
    if meta["loadavg_start"] > 1.0:
        log(f"warning: load average {meta['loadavg_start']:.2f} before the run: other work competes for the {os.cpu_count()} cores")

    # 2./3. import: a fresh database each run, acct and the sqlite3 shell alternating
    homes = []

    def acct_import():
        home = scratch / f"acct{len(homes)}"
        env = sealed_env(home)
        if homes:  # only the last database is kept, for the reads
            shutil.rmtree(homes[-1][0], ignore_errors=True)
        spawn([acct, "init", "--org", ORG, "--admin", ADMIN], env, errfile=err)
        homes.append((home, env))
        os.sync()
        return spawn([acct, "user", "import", str(csv_path), "--no-send"], env, errfile=err)

    def base_import(script_of, name):
        def run():
            db = scratch / f"{name}.db"
            for s in ("", "-wal", "-shm"):
                Path(f"{db}{s}").unlink(missing_ok=True)
            script = scratch / f"{name}.sql"
            script.write_text(script_of(csv_path))
            os.sync()
            return spawn([sqlite3, "-bail", str(db)], sealed_env(scratch / "h0"), stdin=str(script), errfile=err)
        return run

    log(f"import: {import_runs} run(s) each of acct and the sqlite3 shell's bulk load of the same rows")
    ai, bi = [], []
    base_fn = base_import(baseline_import_bulk_sql, "bulk")
    for _ in range(import_runs):
        ai.append(acct_import())
        log(f"  acct import {ai[-1].wall:.2f} s")
        bi.append(base_fn())
        log(f"  sqlite3 bulk load {bi[-1].wall:.2f} s")
    home, env = homes[-1]
    db = str(next((home / ".local/share").rglob("acct.db")))
    meta["db_mb"] = round(os.path.getsize(db) / 1e6, 1)
    q = lambda sql: spawn([sqlite3, "-batch", db, sql], env, "pipe", errfile=err).out.decode().strip()
    org_id = int(q(f"SELECT id FROM orgs WHERE slug = '{ORG}';"))
    members = int(q(f"SELECT count(*) FROM memberships WHERE org_id = {org_id};"))
    based = int(spawn([sqlite3, str(scratch / "bulk.db"), "SELECT count(*) FROM memberships;"], env, "pipe").out)
    if members != n + 1 or based != n:
        sys.exit(f"benchmark: expected {n} imported users, acct has {members - 1}, the baseline {based}")
    rate = n / med([r.wall for r in ai])
    record("import (rows/s)", ai, bi, target="<= 1.3x", check=lambda am, ratio: ratio <= 1.3, rows_per_s=round(rate),
           base_label="sqlite3 bulk load of every row acct writes (staging table, INSERT ... SELECT per table, "
                      "secondary indexes built after, WAL, synchronous=FULL)",
           note=f"{rate:,.0f} rows/s")
    for s in ("", "-wal", "-shm"):
        Path(f"{scratch / 'bulk.db'}{s}").unlink(missing_ok=True)
    if a.postgres:
        psql = shutil.which("psql") or sys.exit("benchmark: --postgres needs psql on PATH")
        base, _, _ = a.postgres.partition("?")
        server_root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
        pr = []
        for i in range(import_runs):
            name = f"acct_bench_{os.getpid()}_{i}"
            for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
                subprocess.run([psql, a.postgres, "-qc", sql], check=True, capture_output=True)
            url = f"{server_root}/{name}"
            penv = sealed_env(scratch / f"pg{i}")
            spawn([acct, "--db", url, "init", "--org", ORG, "--admin", ADMIN], penv, errfile=err)
            pr.append(spawn([acct, "--db", url, "user", "import", str(csv_path), "--no-send"], penv, errfile=err))
            log(f"  acct import on PostgreSQL {pr[-1].wall:.2f} s")
            subprocess.run([psql, a.postgres, "-qc", f"DROP DATABASE {name}"], capture_output=True)
        record("import on PostgreSQL vs on SQLite", pr, ai, target="<= 1.0x", check=lambda am, ratio: ratio <= 1.0,
               base_label="acct user import into SQLite (the row above)",
               note=f"{n / med([r.wall for r in pr]):,.0f} rows/s")
    if not a.no_full_baseline:
        users_only = base_import(baseline_import_sql, "baseline")
        fr = [users_only() for _ in range(1)]
        log(f"  sqlite3 import into the users table alone {fr[0].wall:.2f} s")
        record("import vs the users table alone (info)", ai, fr,
               base_label="sqlite3 .import + INSERT ... SELECT into users (indexes in place, WAL, synchronous=FULL)",
               note="informational: the earlier baseline, users only")
        for s in ("", "-wal", "-shm"):
            Path(f"{scratch / 'baseline.db'}{s}").unlink(missing_ok=True)

    # 4. export
    out_a, out_b = scratch / "export-acct.csv", scratch / "export-sqlite.csv"
    export_sql = (f"SELECT u.id, u.email, u.first_name, u.last_name, {ROLES_OF} AS role, u.two_factor "
                  f"FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = {org_id} ORDER BY u.id;")
    log(f"export: {a.export_runs} run(s) each")
    ea, eb = alternate(
        a.export_runs,
        lambda: spawn_rss([acct, "user", "export", "--format", "csv", "--fields", EXPORT_FIELDS, "-o", str(out_a)],
                          env, errfile=err, rssfile=scratch / "rss"),
        lambda: spawn_rss([sqlite3, "-csv", "-header", db, export_sql], env, out_b, errfile=err,
                          rssfile=scratch / "rss"),
        warm=False)
    lines_a = sum(1 for _ in open(out_a, "rb"))
    lines_b = sum(1 for _ in open(out_b, "rb"))
    if lines_a != lines_b or lines_a != n + 2:
        sys.exit(f"benchmark: export line counts differ: acct {lines_a}, sqlite3 {lines_b}")
    rss = max(r.rss_kb for r in ea) / 1024
    record("export csv", ea, eb, target="<= 1.2x, peak RSS <= 30 MB",
           check=lambda am, ratio: ratio <= 1.2 and rss <= 30, note=f"{os.path.getsize(out_a) / 1e6:.0f} MB, "
           f"acct peak RSS {rss:.1f} MB")
    out_a.unlink(), out_b.unlink()

    # 4b. every member as a table (stdout a pipe): it streams past its first rows
    la = [spawn_rss([acct, "user", "list", "--all"], env, errfile=err, rssfile=scratch / "rss") for _ in range(a.export_runs)]
    rss = max(r.rss_kb for r in la) / 1024
    limit = 50
    record("list --all (table)", la, target=f"peak RSS <= {limit} MB", check=lambda am, ratio: rss <= limit,
           note=f"acct peak RSS {rss:.1f} MB")

    # 5. show
    who = facts["middle_email"]
    show_sql = (f"SELECT u.*, {ROLES_OF.replace('m.org_id', str(org_id))} AS roles, pg.slug "
                f"FROM users u LEFT JOIN groups pg ON pg.id = u.primary_group_id "
                f"WHERE u.email_key = {sql_quote(who.lower())};")
    if not q(show_sql):
        sys.exit(f"benchmark: the baseline does not find {who}")
    sa, sb = alternate(a.runs, lambda: spawn([acct, "user", "show", who], env, "pipe", errfile=err),
                       lambda: spawn([sqlite3, db, show_sql], env, "pipe", errfile=err))
    record("user show", sa, sb, target="<= 1.5x", check=lambda am, ratio: ratio <= 1.5,
           note=f"{who}; baseline: the row by email_key with roles")

    # 6. first page of list, by each default column
    for col in LIST_SORTS:
        la, lb = alternate(a.runs, lambda: spawn([acct, "user", "list", "--sort", col], env, "pipe", errfile=err),
                           lambda: spawn([sqlite3, db, baseline_list_sql(col, org_id)], env, "pipe", errfile=err))
        if la[-1].out.count(b"\n") < 100 or lb[-1].out.count(b"\n") != 100:
            sys.exit(f"benchmark: list --sort {col} did not show 100 rows")
        record(f"list first page --sort {col}", la, lb, target="<= 1.5x", check=lambda am, ratio: ratio <= 1.5)

    # 7. search
    needle = unicodedata.normalize("NFC", SEARCH_TEXT).lower()
    search_sql = (f"SELECT u.id, u.email, u.first_name, u.last_name, {ROLES_OF} AS role, u.two_factor, u.status "
                  f"FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = {org_id} "
                  f"AND instr(u.search_key, {sql_quote(needle)}) > 0 ORDER BY u.id;")
    ra, rb = alternate(a.runs, lambda: spawn([acct, "user", "list", "--search", SEARCH_TEXT, "--format", "csv"], env,
                                             "pipe", errfile=err),
                       lambda: spawn([sqlite3, "-csv", db, search_sql], env, "pipe", errfile=err))
    found = ra[-1].out.count(b"\n") - 1
    if found != facts["planted"]:
        sys.exit(f"benchmark: --search {SEARCH_TEXT} found {found} users, {facts['planted']} planted")
    record(f"list --search {SEARCH_TEXT} ({found} hits)", ra, rb, target="<= 300 ms",
           check=lambda am, ratio: am <= 0.300, note="baseline: instr() on acct's search_key (informational)")
    sa, sb = alternate(a.runs, lambda: spawn([acct, "user", "list", "--search", SEARCH_TEXT, "--sort", "last_name"],
                                             env, "pipe", errfile=err), None)
    record(f"list --search {SEARCH_TEXT} --sort last_name (table) (info)", sa,
           note="a substring filter with an indexed sort")

    # 8. --version
    va, vb = alternate(max(a.runs, 20), lambda: spawn([acct, "--version"], env, "pipe"),
                       lambda: spawn([sqlite3, "--version"], env, "pipe"))
    record("acct --version", va, vb, target="<= 2 ms", check=lambda am, ratio: am <= 0.002,
           base_label="sqlite3 --version")

    # The query plans of acct's own SQL are asserted by the unit tests in
    # src/store/sqlite/tx.rs (mod plans), not reproduced here.
    plans = {"sqlite": sqlite_version}
    return results, plans, meta


def print_table(results, meta):
    print()
    print(f"acct benchmark: {meta['users']:,} users, {meta['acct']} ({meta['commit']}), sqlite3 shell "
          f"{meta['sqlite3_shell']}, {meta['machine']}, {meta['date']}, database {meta.get('db_mb')} MB, "
          f"{meta['wall_s']} s in all, load average {meta['loadavg_start']:.2f} before, {meta['loadavg_end']:.2f} after")
    print(f"medians of {meta['runs']} runs ({meta['import_runs']} for import, {meta['export_runs']} for export); "
          f"ratio = acct / baseline; RSS = peak of acct's runs (export: GNU time; others: wait4, at least the "
          f"{meta['spawn_floor_rss_mb']} MB of the benchmark itself); spawning /bin/true takes "
          f"{meta['spawn_floor_ms']} ms")
    print()
    head = ["operation", "acct", "baseline", "ratio", "acct RSS", "target", "result"]
    rows = []
    for r in results:
        rows.append([
            r["op"], fmt_ms(r["acct_ms"]), fmt_ms(r["base_ms"]) if r["base_ms"] is not None else "",
            f"{r['ratio']:.2f}x" if r["ratio"] is not None else "", f"{r['acct_rss_mb']:.1f} MB",
            r["target"] or "", "" if r["pass"] is None else ("pass" if r["pass"] else "FAIL"),
        ])
        if r.get("rows_per_s"):
            rows[-1][1] += f" ({r['rows_per_s'] / 1000:.0f}k rows/s)"
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    line = lambda xs: "| " + " | ".join(str(x).ljust(w) for x, w in zip(xs, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for x in rows:
        print(line(x))
    print()


def fmt_ms(ms):
    return f"{ms / 1000:.2f} s" if ms >= 10_000 else f"{ms:.1f} ms"


if __name__ == "__main__":
    main()
