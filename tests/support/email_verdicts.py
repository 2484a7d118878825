"""Verdicts of the Python email-validator package on a list of addresses.

Reads a JSON array of strings on stdin; writes a JSON array of objects, one
per address: {"ok": true, "ascii_domain": "..."} or {"ok": false, "why": "..."}.
Syntax only (check_deliverability=False); strict=True so that the 64-octet
local part limit of RFC 5321 is checked as acct checks it.
"""
import json
import sys

import email_validator

out = []
for addr in json.load(sys.stdin):
    try:
        v = email_validator.validate_email(addr, check_deliverability=False, strict=True)
        out.append({"ok": True, "ascii_domain": v.ascii_domain})
    except email_validator.EmailNotValidError as e:
        out.append({"ok": False, "why": str(e)})
json.dump(out, sys.stdout)
