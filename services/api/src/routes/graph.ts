// GET /api/v1/graph: the service map over the range: nodes at namespace, workload or pod level and one edge
// per (source, destination) with its ports and protocols, verdict counts, flows, connections and bytes.
// Endpoints outside the cluster (no namespace: world, host, CIDR identities) are nodes of their own kind.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { totalsSql } from "../agg/agg-sql.js";
import type { Dimension } from "../agg/dimensions.js";
import { aggRange, filterSql, fitsTable, requestFilter } from "../agg/request.js";
import { type AggDeps, iso, MAX_AGG_ROWS, num } from "../agg/route-deps.js";
import { GraphQuerySchema, GraphResponseSchema } from "../agg/schemas.js";
import { pickTable } from "../agg/table-picker.js";
import { errorResponses } from "../schemas.js";

const OWN = new Set(Object.keys(GraphQuerySchema.shape));
type Level = "namespace" | "workload" | "pod";
type Node = { id: string; namespace: string; name: string; kind: Level | "world" | "host" | "cidr" };

const SIDE: Record<Level, Dimension[][]> = {
  // the workload too: it names the peers outside the cluster (one node per identity label)
  namespace: [
    ["source_namespace", "source_workload"],
    ["destination_namespace", "destination_workload"],
  ],
  workload: [
    ["source_namespace", "source_workload"],
    ["destination_namespace", "destination_workload"],
  ],
  pod: [
    ["source_namespace", "source_pod"],
    ["destination_namespace", "destination_pod"],
  ],
};

/** The node of one side of a row. */
export function nodeOf(level: Level, namespace: string, name: string): Node {
  // no namespace: not a pod of the cluster; its workload is its identity label (reserved:world,
  // reserved:host, cidr:10.0.0.0/8: rows.ts workloadOf), one node each at every level
  if (namespace === "") {
    const id = name || "reserved:world";
    const kind = id === "reserved:host" ? "host" : id.startsWith("cidr:") ? "cidr" : "world";
    return { id, namespace: "", name: id, kind };
  }
  if (level === "namespace") return { id: namespace, namespace, name: namespace, kind: "namespace" };
  return { id: `${namespace}/${name}`, namespace, name, kind: level };
}

const route = createRoute({
  method: "get",
  path: "/api/v1/graph",
  summary: "Service map: nodes (namespace, workload or pod) and edges with ports, protocols, verdict counts, flows, bytes",
  request: { query: GraphQuerySchema },
  responses: { 200: { description: "the map", content: { "application/json": { schema: GraphResponseSchema } } }, ...errorResponses },
});

export function registerGraph(app: OpenAPIHono, d: AggDeps): void {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const now = d.clock();
    const range = aggRange(q.since, q.until, now);
    const [srcDims, dstDims] = SIDE[q.level];
    const dims: Dimension[] = [...srcDims, ...dstDims, "destination_port", "protocol", "verdict"];
    const expr = requestFilter(d.filters, q.filter, c.req.queries(), OWN);
    const pick = pickTable({ ...range, nowMs: now.getTime(), totals: true, fits: fitsTable(d.filters, dims, expr), tables: d.tables });
    const src = {
      database: d.store.database,
      table: pick.table,
      sinceS: pick.sinceS,
      untilS: pick.untilS,
      filter: filterSql(d.filters, expr, pick.table),
    };
    const rows = await d.store.aggregate(totalsSql(src, dims, ["flows", "connections", "bytes"], MAX_AGG_ROWS), MAX_AGG_ROWS);
    const nodes = new Map<string, Node>();
    const edges = new Map<
      string,
      {
        source: string;
        destination: string;
        ports: Map<string, { port: number; protocol: string }>;
        verdicts: Record<string, number>;
        flows: number;
        connections: number;
        bytes: number;
      }
    >();
    const side = (r: Record<string, unknown>, ds: Dimension[]) =>
      nodeOf(q.level, String(r[ds[0]] ?? ""), String(r[ds[ds.length - 1]] ?? ""));
    for (const r of rows) {
      const a = side(r, srcDims);
      const b = side(r, dstDims);
      nodes.set(a.id, a);
      nodes.set(b.id, b);
      const id = JSON.stringify([a.id, b.id]);
      let e = edges.get(id);
      if (!e) {
        e = { source: a.id, destination: b.id, ports: new Map(), verdicts: {}, flows: 0, connections: 0, bytes: 0 };
        edges.set(id, e);
      }
      const port = num(r.destination_port);
      const protocol = String(r.protocol);
      e.ports.set(`${protocol}/${port}`, { port, protocol });
      const verdict = String(r.verdict);
      e.verdicts[verdict] = (e.verdicts[verdict] ?? 0) + num(r.m_flows);
      e.flows += num(r.m_flows);
      e.connections += num(r.m_connections);
      e.bytes += num(r.m_bytes);
    }
    const sorted = [...edges.values()].sort((x, y) => y.flows - x.flows || (x.source + x.destination < y.source + y.destination ? -1 : 1));
    const kept = sorted.slice(0, q.limit);
    const used = new Set(kept.flatMap((e) => [e.source, e.destination]));
    return c.json(
      {
        table: pick.table,
        step: pick.stepS,
        since: iso(pick.sinceS),
        until: iso(pick.untilS),
        reason: pick.reason,
        limitReached: sorted.length > q.limit || rows.length >= MAX_AGG_ROWS,
        level: q.level,
        nodes: [...nodes.values()].filter((n) => used.has(n.id)).sort((x, y) => (x.id < y.id ? -1 : 1)),
        edges: kept.map((e) => ({
          ...e,
          ports: [...e.ports.values()].sort((x, y) => x.port - y.port || (x.protocol < y.protocol ? -1 : 1)),
        })),
      },
      200,
    );
  });
}
