// GET /api/v1/dns: DNS queries and responses, rcodes, top names, and who asks for names that do not exist
// (NXDOMAIN by client), from the dns_* columns of `flows FINAL`. No DNS flows yet answers zeros and [].
import { joinSql, qualified, Sql, sql } from "@flowlens/clickhouse";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { errorResponses } from "../schemas.js";
import { capped, num, RAW_TABLE, RangeSchema, type RouteDeps, rangeFilterParams, scopeOf, topParam } from "./analytics.js";

const DNS = new Sql("(dns_query != '' OR dns_rcode != 0 OR notEmpty(dns_qtypes))");
const NXDOMAIN = 3;
// RFC 1035 / 2136 response codes by number
const RCODE_NAMES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];
export const rcodeName = (n: number) => RCODE_NAMES[n] ?? `RCODE${n}`;

const Query = z.object({
  ...rangeFilterParams,
  top: topParam("top names and NXDOMAIN sources", 10),
});

const Response = z
  .object({
    table: z.string(),
    range: RangeSchema,
    queries: z.number().openapi({ description: "DNS request flows" }),
    responses: z.number().openapi({ description: "DNS response flows" }),
    rcodes: z.array(z.object({ rcode: z.number(), name: z.string(), responses: z.number() })),
    top_names: z.array(z.object({ name: z.string(), queries: z.number(), responses: z.number(), nxdomain: z.number() })),
    nxdomain_sources: z.array(z.object({ namespace: z.string(), pod: z.string(), nxdomain: z.number() })),
    limitReached: z.boolean().openapi({ description: "more names or NXDOMAIN sources than top" }),
  })
  .openapi("DnsStats");

export function registerDnsRoute(app: OpenAPIHono, d: RouteDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/dns",
    summary: "DNS: queries, responses by rcode, top names, NXDOMAIN sources",
    request: { query: Query },
    responses: { 200: { description: "DNS statistics", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const { where, range } = scopeOf(d, c, q, Object.keys(Query.shape));
    const table = qualified(d.store.database, RAW_TABLE);
    const base = joinSql([where, DNS], " AND ");
    const [totals, rcodes, names, sources] = await Promise.all([
      d.store.aggregateRows(
        "dns",
        sql`SELECT countIf(l7_type = 'REQUEST') AS queries, countIf(l7_type = 'RESPONSE') AS responses FROM ${table} FINAL WHERE ${base}`,
      ),
      d.store.aggregateRows(
        "dns",
        sql`SELECT dns_rcode AS rcode, count() AS responses FROM ${table} FINAL WHERE ${base} AND l7_type = 'RESPONSE' GROUP BY rcode ORDER BY rcode`,
      ),
      d.store.aggregateRows(
        "dns",
        sql`SELECT dns_query AS name, countIf(l7_type = 'REQUEST') AS queries, countIf(l7_type = 'RESPONSE') AS responses, countIf(l7_type = 'RESPONSE' AND dns_rcode = ${NXDOMAIN}) AS nxdomain FROM ${table} FINAL WHERE ${base} AND dns_query != '' GROUP BY name ORDER BY queries + responses DESC, name LIMIT ${q.top + 1}`,
      ),
      // a response is a reply: its destination is the client that asked
      d.store.aggregateRows(
        "dns",
        sql`SELECT if(is_reply = 1, dst_namespace, src_namespace) AS namespace, if(is_reply = 1, dst_pod, src_pod) AS pod, count() AS nxdomain FROM ${table} FINAL WHERE ${base} AND l7_type = 'RESPONSE' AND dns_rcode = ${NXDOMAIN} GROUP BY namespace, pod ORDER BY nxdomain DESC, namespace, pod LIMIT ${q.top + 1}`,
      ),
    ]);
    const n = capped(names, q.top);
    const s = capped(sources, q.top);
    return c.json(
      {
        table: RAW_TABLE,
        range,
        queries: num(totals[0]?.queries),
        responses: num(totals[0]?.responses),
        rcodes: rcodes.map((r) => ({ rcode: num(r.rcode), name: rcodeName(num(r.rcode)), responses: num(r.responses) })),
        top_names: n.rows.map((r) => ({
          name: String(r.name),
          queries: num(r.queries),
          responses: num(r.responses),
          nxdomain: num(r.nxdomain),
        })),
        nxdomain_sources: s.rows.map((r) => ({ namespace: String(r.namespace), pod: String(r.pod), nxdomain: num(r.nxdomain) })),
        limitReached: n.limitReached || s.limitReached,
      },
      200,
    );
  });
}
