// Fakes for route tests: a compiler that knows `verdict = X` and `verdict=` parameters, and an in-memory store.
import { toBinary } from "@bufbuild/protobuf";
import { Sql, sql } from "@flowlens/clickhouse";
import { FlowSchema } from "@flowlens/proto";
import type { FilterCompiler, FilterPosition } from "./filter-compiler.js";
import type { ApiStore, FlowsQuery, SqlResult, StoredFlow } from "./store.js";

export class FakeSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: FilterPosition,
  ) {
    super(message);
  }
}

type Expr = { verdict: string[] };

export const fakeCompiler: FilterCompiler = {
  parseFilter(text) {
    const m = /^verdict = (\w+)$/.exec(text);
    if (!m) throw new FakeSyntaxError(`unexpected "${text[0]}" at 1:1`, { offset: 0, line: 1, column: 1 });
    return { verdict: [m[1]] } satisfies Expr;
  },
  hubbleParamsToExpr(params) {
    for (const k of Object.keys(params)) if (k !== "verdict") throw new FakeSyntaxError(`unknown parameter "${k}"`, { offset: 0 });
    return params.verdict ? ({ verdict: params.verdict } satisfies Expr) : undefined;
  },
  andExprs(...e) {
    const list = e.filter((x): x is Expr => x !== undefined);
    return list.length === 0 ? undefined : { verdict: list.flatMap((x) => x.verdict) };
  },
  exprToSql: (e) => sql`has(${(e as Expr).verdict}, verdict)`,
  fieldsOnRollup: () => true,
  FilterSyntaxError: FakeSyntaxError,
  fieldsOf: () => ["verdict"],
  // the fake lists verdict and the either-side namespace
  valueSource: (f) =>
    f === "verdict"
      ? { field: "verdict", expressions: ["verdict"] }
      : f === "namespace"
        ? { field: "namespace", expressions: ["src_namespace", "dst_namespace"] }
        : undefined,
  listableFields: () => ["namespace", "verdict"],
};

export function storedFlow(flow: Parameters<typeof toBinary<typeof FlowSchema>>[1]): StoredFlow {
  const t = flow.time;
  return {
    time: Number(t?.seconds ?? 0),
    time_ns: t?.nanos ?? 0,
    uuid: flow.uuid,
    flow_pb: Buffer.from(toBinary(FlowSchema, flow)).toString("base64"),
  };
}

/** Rows a fake store answers an aggregation with: by the query's kind and SQL text. */
export type AggregateAnswer = (kind: string, sql: string) => Record<string, unknown>[];

/** A store over a list of flows; records the queries it got (aggregations in `aggregates`). */
export function fakeStore(flows: StoredFlow[] = [], fail?: Error, answer: AggregateAnswer = () => []) {
  const queries: FlowsQuery[] = [];
  const sqls: string[] = [];
  const aggregates: { kind: string; sql: string }[] = [];
  const store: ApiStore = {
    database: "flowlens",
    async queryFlows(q) {
      if (fail) throw fail;
      queries.push(q);
      const sorted = [...flows].sort((a, b) => a.time - b.time || a.time_ns - b.time_ns || (a.uuid < b.uuid ? -1 : 1));
      return (q.order === "newest" ? sorted.reverse() : sorted).slice(0, q.limit);
    },
    async readOnlySql(query, maxRows): Promise<SqlResult> {
      if (fail) throw fail;
      sqls.push(query);
      return { meta: [{ name: "n", type: "number" }], rows: [{ n: 1 }].slice(0, maxRows), limitReached: false };
    },
    async status() {
      return {
        version: "18.16.1",
        database: "flowlens",
        tables: [{ table: "flows", rows: flows.length, bytes: 0, oldest: null, newest: null }],
      };
    },
    async aggregateRows(kind, query) {
      if (fail) throw fail;
      aggregates.push({ kind, sql: query.text });
      return answer(kind, query.text);
    },
    async aggregate(query) {
      if (fail) throw fail;
      aggregates.push({ kind: "aggregate", sql: query.text });
      return answer("aggregate", query.text);
    },
    ping: async () => !fail,
    close: async () => {},
  };
  return { store, queries, sqls, aggregates };
}

export const isSql = (x: unknown): x is Sql => x instanceof Sql;
