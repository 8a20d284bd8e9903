"""Runs the SQL of flowlens-api's analytics routes on a current ClickHouse engine (chdb, in-process) over a
small known set of flows and checks the numbers. Usage: python3 analytics-check.py < dump.json (analytics-run.sh)."""
import json
import os
import sys
import tempfile

from chdb import session as chs

d = json.load(sys.stdin)
work = tempfile.mkdtemp(prefix="flowlens-chdb-api-")
s = chs.Session(os.path.join(work, "db"))


def q(sql, fmt="JSONEachRow"):
    return str(s.query(sql, fmt)).strip()


print("engine:", q("SELECT version()", "TabSeparated"))
q("CREATE DATABASE IF NOT EXISTS flowlens", "CSV")
for stmt in d["flowsTable"]:
    q(stmt, "CSV")
path = os.path.join(work, "rows.tsv")
with open(path, "w", encoding="utf-8") as f:
    f.write(d["tsv"])
cols = ", ".join(d["columnNames"])
structure = d["columns"].replace("\n", " ").strip()
q(f"INSERT INTO flowlens.flows ({cols}) SELECT * FROM file('{path}', 'TabSeparated', '{structure}')", "CSV")


def same(got, want):
    # 64-bit integers come quoted in JSON
    if isinstance(want, (int, float)):
        try:
            return float(got) == float(want)
        except (TypeError, ValueError):
            return False
    return got == want


fails = []
for query in d["queries"]:
    try:
        out = q(query["sql"])
        rows = [json.loads(line) for line in out.splitlines() if line]
    except Exception as e:  # a statement the engine refuses is a failure, reported with its request
        fails.append(f"{query['name']}: {str(e).splitlines()[0]}")
        continue
    want = query["expect"]
    if want is None:
        continue
    first = rows[0] if rows else {}
    bad = {k: first.get(k) for k, v in want.items() if not same(first.get(k), v)}
    if bad:
        fails.append(f"{query['name']}: got {bad}, want {want}")

print(f"{len(d['queries']) - len(fails)} of {len(d['queries'])} analytics statements run and count as expected")
for f in fails:
    print("FAIL", f)
sys.exit(1 if fails else 0)
