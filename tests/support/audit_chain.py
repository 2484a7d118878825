"""A second implementation of acct's audit hash chain (README, "The audit
chain"), independent of the Rust code: prints "ID COMPUTED STORED" per entry.
Usage: python3 audit_chain.py DB (a SQLite file, or - for JSON on stdin)"""
import hashlib, json, sqlite3, sys

def enc(v):
    if v is None:
        return b"n"
    if isinstance(v, int):
        return b"i%d;" % v
    b = v.encode("utf-8")
    return b"t%d:" % len(b) + b

cols = "id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts"
if sys.argv[1] == "-":
    # The rows as JSON from PostgreSQL: {"audit": [[cols..., hash]], "audience": [[org, audit_id]]}.
    dump = json.load(sys.stdin)
    audience_rows, rows = dump["audience"], dump["audit"] or []
else:
    db = sqlite3.connect(sys.argv[1])
    audience_rows = db.execute("SELECT org, audit_id FROM audit_orgs")
    rows = db.execute(f"SELECT {cols}, hash FROM audit ORDER BY id")
audience = {}
for org, aid in audience_rows:
    audience.setdefault(aid, []).append(org)
prev = "0" * 64
for row in rows:
    fields = list(row[:-1]) + [",".join(sorted(audience.get(row[0], [])))]
    h = hashlib.sha256(enc(prev) + b"".join(enc(f) for f in fields)).hexdigest()
    print(row[0], h, row[-1])
    prev = row[-1] or ""
