// The SELECT behind /flows: time range, filter, keyset cursor, order and limit, over flows FINAL.
import { joinSql, qualified, Sql, sql } from "@flowlens/clickhouse";
import type { Cursor } from "./cursor.js";

export interface FlowsSqlParts {
  sinceMs: number;
  untilMs: number;
  filter?: Sql;
  after?: Cursor;
  order: "newest" | "oldest";
}

/** The WHERE condition: whole seconds for the index, nanoseconds for the exact edges, then the cursor. */
export function flowsWhere(p: FlowsSqlParts): Sql {
  const sinceS = Math.floor(p.sinceMs / 1000);
  const untilS = Math.floor(p.untilMs / 1000);
  const sinceNs = BigInt(p.sinceMs) * 1_000_000n;
  const untilNs = BigInt(p.untilMs) * 1_000_000n;
  const parts: Sql[] = [
    sql`time >= toDateTime(${sinceS}) AND time <= toDateTime(${untilS})`,
    sql`toUInt64(toUInt32(time)) * 1000000000 + time_ns BETWEEN ${sinceNs} AND ${untilNs}`,
  ];
  if (p.filter) parts.push(sql`(${p.filter})`);
  if (p.after) {
    const { time, time_ns, uuid } = p.after;
    const op = new Sql(p.order === "newest" ? "<" : ">");
    // row tuple (time, time_ns, uuid) strictly past the cursor, spelled out (no tuple comparison needed)
    parts.push(
      sql`(time ${op} toDateTime(${time}) OR (time = toDateTime(${time}) AND (time_ns ${op} ${time_ns} OR (time_ns = ${time_ns} AND uuid ${op} ${uuid}))))`,
    );
  }
  return joinSql(parts, " AND ");
}

export function flowsSelectSql(database: string, where: Sql, order: "newest" | "oldest", limit: number): Sql {
  const dir = new Sql(order === "newest" ? "DESC" : "ASC");
  return sql`SELECT toUInt32(time) AS unix_time, time_ns, uuid, flow_pb FROM ${qualified(database, "flows")} FINAL WHERE ${where} ORDER BY time ${dir}, time_ns ${dir}, uuid ${dir} LIMIT ${limit}`;
}
