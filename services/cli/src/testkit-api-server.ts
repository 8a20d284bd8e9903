// A fake of flowlens-api's HTTP interface for in-process CLI tests: /api/v1/sql answers what the test sets,
// /api/v1/flows pages through given flows as ndjson GetFlowsResponses (range and order applied, filter recorded).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { create, toJson } from "@bufbuild/protobuf";
import { type Flow, GetFlowsResponseSchema, registry } from "@flowlens/proto";

export interface FakeApi {
  url: string;
  /** Every request: method, path and query, body, authorization header. */
  requests: { method: string; path: string; query: URLSearchParams; body: string; auth?: string }[];
  /** The flows /flows serves (mutable). */
  flows: Flow[];
  /** Flows per page the fake returns at most (to exercise the cursor). */
  pageSize: number;
  /** The next /sql answer: status and JSON body. */
  sqlAnswer: { status: number; body: unknown };
  /** When set, the token every /api route requires. */
  token?: string;
  close(): Promise<void>;
}

const nanos = (f: Flow) => (f.time ? f.time.seconds * 1_000_000_000n + BigInt(f.time.nanos) : 0n);
const parseTime = (s: string | null) =>
  s
    ? BigInt(Date.parse(s.replace(/\.\d+Z$/, "Z"))) * 1_000_000n + BigInt(/\.(\d+)Z$/.exec(s)?.[1]?.padEnd(9, "0").slice(0, 9) ?? "0")
    : undefined;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export async function startFakeApi(flows: Flow[] = []): Promise<FakeApi> {
  const api: Omit<FakeApi, "url" | "close"> = {
    requests: [],
    flows,
    pageSize: 10_000,
    sqlAnswer: { status: 200, body: { rows: [], meta: [], rowCount: 0, limitReached: false } },
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const u = new URL(req.url ?? "/", "http://x");
    api.requests.push({ method: req.method ?? "", path: u.pathname, query: u.searchParams, body, auth: req.headers.authorization });
    if (api.token && req.headers.authorization !== `Bearer ${api.token}`) {
      return json(res, req.headers.authorization ? 403 : 401, { error: "unauthorized", detail: "a bearer token is required" });
    }
    if (req.method === "POST" && u.pathname === "/api/v1/sql") return json(res, api.sqlAnswer.status, api.sqlAnswer.body);
    if (req.method === "GET" && u.pathname === "/api/v1/flows") {
      const q = u.searchParams;
      const since = parseTime(q.get("since")) ?? 0n;
      const until = parseTime(q.get("until")) ?? 2n ** 63n;
      let rows = api.flows.filter((f) => nanos(f) >= since && nanos(f) <= until).sort((a, b) => Number(nanos(a) - nanos(b)));
      if (q.get("order") === "newest") rows = rows.reverse();
      const offset = Number(q.get("cursor") ?? 0);
      const limit = Math.min(Number(q.get("limit") ?? 100), api.pageSize);
      const page = rows.slice(offset, offset + limit);
      const headers: Record<string, string> = { "content-type": "application/x-ndjson" };
      if (offset + limit < rows.length) headers["flowlens-next"] = String(offset + limit);
      const lines = page.map((flow) =>
        JSON.stringify(
          toJson(
            GetFlowsResponseSchema,
            create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: flow.nodeName, time: flow.time }),
            {
              registry,
            },
          ),
        ),
      );
      res.writeHead(200, headers).end(lines.map((l) => `${l}\n`).join(""));
      return;
    }
    json(res, 404, { error: "not_found", detail: `no route ${u.pathname}` });
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => handle(req, res, body));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }) as FakeApi;
}
