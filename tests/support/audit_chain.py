"""A second implementation of acct's audit hash chain (README, "The audit
chain"), independent of the Rust code: prints "ID COMPUTED STORED" per entry.
Usage: python3 audit_chain.py DB"""
import hashlib, sqlite3, sys

def enc(v):
    if v is None:
        return b"n"
    if isinstance(v, int):
        return b"i%d;" % v
    b = v.encode("utf-8")
    return b"t%d:" % len(b) + b

db = sqlite3.connect(sys.argv[1])
audience = {}
for org, aid in db.execute("SELECT org, audit_id FROM audit_orgs"):
    audience.setdefault(aid, []).append(org)
prev = "0" * 64
cols = "id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts"
for row in db.execute(f"SELECT {cols}, hash FROM audit ORDER BY id"):
    fields = list(row[:-1]) + [",".join(sorted(audience.get(row[0], [])))]
    h = hashlib.sha256(enc(prev) + b"".join(enc(f) for f in fields)).hexdigest()
    print(row[0], h, row[-1])
    prev = row[-1] or ""
