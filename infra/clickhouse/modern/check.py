"""Replays @flowlens/clickhouse's SQL on a current ClickHouse engine (chdb, in-process) and checks the results.

Usage: python3 check.py < dump.json   (run.sh does it all)
"""
import json
import os
import sys
import tempfile

import chdb
from chdb import session as chs

d = json.load(sys.stdin)
work = tempfile.mkdtemp(prefix="flowlens-chdb-")
s = chs.Session(os.path.join(work, "db"))
fails = []


def q(sql, fmt="JSONEachRow"):
    return str(s.query(sql, fmt)).strip()


def rows(sql):
    out = q(sql)
    return [json.loads(line) for line in out.splitlines() if line]


def check(name, got, want):
    if got != want:
        fails.append(f"{name}: got {got!r}, want {want!r}")
    else:
        print(f"ok   {name}")


def insert_tsv(text):
    path = os.path.join(work, "rows.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    cols = ", ".join(d["columnNames"])
    structure = d["columns"].replace("\n", " ").strip()
    q(f"INSERT INTO flowlens.flows ({cols}) SELECT * FROM file('{path}', 'TabSeparated', '{structure}')", "CSV")


print("engine:", q("SELECT version()", "TabSeparated"))
q("CREATE DATABASE IF NOT EXISTS flowlens", "CSV")
for _ in range(2):  # idempotent: twice
    for m in d["migrations"]:
        for stmt in m["statements"]:
            q(stmt, "CSV")
check("tables", [r["name"] for r in rows("SELECT name FROM system.tables WHERE database = 'flowlens' ORDER BY name")],
      ["flows", "flows_1h", "flows_1h_mv", "flows_5m", "flows_5m_mv", "flows_dedup", "flows_minute", "flows_minute_mv2"])

for lit in d["literals"]:
    check(f"literal {lit['value']!r}", rows(lit["sql"])[0]["v"], lit["value"])

insert_tsv(d["tsv"])
insert_tsv(d["replayTsv"])
check("raw count sees the replay", int(rows("SELECT count() AS n FROM flowlens.flows")[0]["n"]), 7)
check("dedup-aware count", int(rows(d["countSql"])[0]["n"]), 5)
check("flows_dedup view", int(rows("SELECT count() AS n FROM flowlens.flows_dedup")[0]["n"]), 5)
check("labels round-trip", rows("SELECT src_labels FROM flowlens.flows WHERE uuid = 'a' LIMIT 1")[0]["src_labels"],
      ["k8s:app=frontend", "it's\\odd"])
check("stored uuids", sorted({r["uuid"] for r in rows(d["storedUuidsSql"])}), ["a", "b", "c", "d"])
roll = rows("SELECT source_pod, destination_pod, destination_port, verdict, sum(flows) AS flows, "
            "sum(connections) AS connections, sum(bytes) AS bytes, sum(drops) AS drops FROM flowlens.flows_minute "
            "WHERE minute >= toDateTime('2030-01-20 00:00:00', 'UTC') "
            "GROUP BY source_pod, destination_pod, destination_port, verdict ORDER BY verdict")
roll = [{k: (int(v) if k in ("flows", "connections", "bytes", "drops", "destination_port") else v) for k, v in r.items()} for r in roll]
check("rollup", roll, [
    {"source_pod": "frontend-1", "destination_pod": "backend-1", "destination_port": 8080, "verdict": "DROPPED",
     "flows": 1, "connections": 1, "bytes": 0, "drops": 1},
    # a, b, c + the replayed b, c: the rollup counts a replay (hence skipExisting in the writers)
    {"source_pod": "frontend-1", "destination_pod": "backend-1", "destination_port": 8080, "verdict": "FORWARDED",
     "flows": 5, "connections": 1, "bytes": 4000, "drops": 0},
])
for r in d["repair"]:
    # the rollup holds the replay (b, c twice), flows FINAL does not: the repair reads must see exactly that
    have = {json.dumps({k: v for k, v in x.items() if not k.startswith("sum_")}, sort_keys=True): int(x["sum_flows"]) for x in rows(r["have"])}
    want = {json.dumps({k: v for k, v in x.items() if not k.startswith("sum_")}, sort_keys=True): int(x["sum_flows"]) for x in rows(r["want"])}
    check(f"repair reads of {r['table']}", (sum(have.values()), sum(want.values()), sorted(have) == sorted(want)), (6, 4, True))
for t, col in (("flows_5m", "bucket"), ("flows_1h", "bucket")):
    got = rows(f"SELECT source_workload, destination_workload, destination_port, verdict, drop_reason, sum(flows) AS flows, "
               f"sum(connections) AS connections, sum(bytes) AS bytes FROM flowlens.{t} WHERE {col} >= toDateTime('2030-01-20 00:00:00', 'UTC') "
               "GROUP BY source_workload, destination_workload, destination_port, verdict, drop_reason ORDER BY verdict")
    got = [{k: (int(v) if k in ("flows", "connections", "bytes", "destination_port") else v) for k, v in x.items()} for x in got]
    check(f"{t} rollup", got, [
        {"source_workload": "frontend", "destination_workload": "backend", "destination_port": 8080, "verdict": "DROPPED",
         "drop_reason": "", "flows": 1, "connections": 1, "bytes": 0},
        {"source_workload": "frontend", "destination_workload": "backend", "destination_port": 8080, "verdict": "FORWARDED",
         "drop_reason": "", "flows": 5, "connections": 1, "bytes": 4000},
    ])
parts = rows(d["listPartitionsSql"])
check("partitions", sorted({p["partition"] for p in parts}), ["20300110", "20300120"])
check("partitioned tables", sorted({p["table"] for p in parts}), ["flows", "flows_1h", "flows_5m", "flows_minute"])
q(d["dropOldSql"], "CSV")
check("retention drop", sorted({p["partition"] for p in rows(d["listPartitionsSql"]) if p["table"] == "flows"}), ["20300120"])

if fails:
    print("\n".join("FAIL " + f for f in fails))
    sys.exit(1)
print("all checks passed on", q("SELECT version()", "TabSeparated"))
