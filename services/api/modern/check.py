"""Runs the API's aggregation SQL on current ClickHouse (chdb): each group's query on raw flows and on every
rollup must give the same rows.  Usage: node dump.mjs | python3 check.py   (run.sh does it all)"""
import json
import os
import sys
import tempfile

from chdb import session as chs

d = json.load(sys.stdin)
work = tempfile.mkdtemp(prefix="flowlens-api-chdb-")
s = chs.Session(os.path.join(work, "db"))
fails = []


def q(sql, fmt="JSONEachRow"):
    return str(s.query(sql, fmt)).strip()


def rows(sql):
    # numbers as numbers (UInt64 may come quoted), order-independent
    out = [json.loads(line) for line in q(sql).splitlines() if line]
    norm = [{k: (int(v) if isinstance(v, str) and v.isdigit() else v) for k, v in r.items()} for r in out]
    return sorted(json.dumps(r, sort_keys=True) for r in norm)


print("engine:", q("SELECT version()", "TabSeparated"))
q("CREATE DATABASE IF NOT EXISTS flowlens", "CSV")
for stmts in d["migrations"]:
    for stmt in stmts:
        q(stmt, "CSV")
path = os.path.join(work, "rows.tsv")
with open(path, "w", encoding="utf-8") as f:
    f.write(d["tsv"])
structure = d["columns"].replace("\n", " ").strip()
q(f"INSERT INTO flowlens.flows ({', '.join(d['columnNames'])}) SELECT * FROM file('{path}', 'TabSeparated', '{structure}')", "CSV")

for g in d["groups"]:
    results = []
    for sql in g["queries"]:
        try:
            results.append(rows(sql))
        except Exception as e:  # noqa: BLE001 - any engine error is a failure to report
            fails.append(f"{g['name']}: {str(e).splitlines()[0]}\n  {sql}")
            results.append(None)
    if any(r is None for r in results):
        continue
    if not results[0]:
        fails.append(f"{g['name']}: no rows on raw flows")
    elif any(r != results[0] for r in results[1:]):
        fails.append(f"{g['name']}: tables disagree: {results}")
    else:
        print(f"ok   {g['name']} ({len(results)} tables, {len(results[0])} rows)")

if fails:
    print("\n".join("FAIL " + f for f in fails))
    sys.exit(1)
print("all aggregation checks passed on", q("SELECT version()", "TabSeparated"))
