"""Runs @flowlens/flow-query's compiled filters on a current ClickHouse engine (chdb, in-process) and checks
that each selects exactly the uuids the live evaluator selects. Usage: python3 check.py < dump.json (run.sh)."""
import json
import os
import sys
import tempfile

from chdb import session as chs

d = json.load(sys.stdin)
work = tempfile.mkdtemp(prefix="flowlens-chdb-filter-")
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

fails = []
for query in d["queries"]:
    try:
        out = q(f"SELECT uuid FROM flowlens.flows FINAL WHERE {query['where']} ORDER BY uuid")
        got = sorted(json.loads(line)["uuid"] for line in out.splitlines() if line)
    except Exception as e:  # a statement the engine refuses is a failure, reported with its name
        fails.append(f"{query['name']}: {str(e).splitlines()[0]}")
        continue
    if got != query["expected"]:
        fails.append(f"{query['name']}: got {got}, want {query['expected']}")

print(f"{len(d['queries']) - len(fails)} of {len(d['queries'])} filter queries select what the live evaluator selects")
for f in fails:
    print("FAIL", f)
sys.exit(1 if fails else 0)
