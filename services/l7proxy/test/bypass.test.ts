// Bypass attempts against the L7 proxy, through the real kernel (sk_lookup) to a real server that
// resolves paths leniently (%-decoding, "\" as "/", merged slashes, dot segments). Under the rule
// {method: GET, path: "/public/.*"} nothing may reach /restricted: each attempt is refused (400),
// denied (403), or reaches the server with exactly the normalized path the rule allowed.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { L7HttpEvent } from "@flowlens/l7-contract";
import type { L7Port } from "@flowlens/policy";
import { type Bed, createBed, IDENT, waitFor } from "@flowlens/test-harness/l7-bed";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";

const HERE = dirname(fileURLToPath(import.meta.url));
const RAW_CLIENT = join(HERE, "raw-client.mjs");

const RULES: L7Port[] = [
  {
    subject: IDENT.server,
    port: 80,
    proto: 6,
    rules: [{ peers: [IDENT.client], http: [{ method: "GET", path: "/public/.*" }], ruleId: 7 }],
  },
];

interface RawResponse {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  garbage?: string;
}
interface RawResult {
  responses: RawResponse[];
  closed: boolean;
  timedOut?: boolean;
  error?: string;
}

/** One attempt: raw bytes on one connection, and per request the answer: a status, or 200 with the path the server must see. */
interface Attempt {
  name: string;
  payload: string;
  expect: (number | { forwarded: string })[];
}

const req = (target: string, version = "1.1", method = "GET") => `${method} ${target} HTTP/${version}\r\nHost: server\r\n\r\n`;
const chunked = (target: string, body: string, method = "GET") =>
  `${method} ${target} HTTP/1.1\r\nHost: server\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

const ATTEMPTS: Attempt[] = [
  { name: "allowed path", payload: req("/public/a"), expect: [{ forwarded: "/public/a" }] },
  { name: "dot segments", payload: req("/public/../restricted"), expect: [403] },
  { name: "%-encoded dot segments (lower case)", payload: req("/public/%2e%2e/restricted"), expect: [403] },
  { name: "%-encoded dot segments (upper case)", payload: req("/public/%2E%2E/restricted"), expect: [403] },
  { name: "%-encoded dot segments (mixed)", payload: req("/public/.%2E/restricted"), expect: [403] },
  { name: "%-encoded dot segments (mixed, other order)", payload: req("/public/%2e./restricted"), expect: [403] },
  { name: "double slash before dot segments", payload: req("/public//../restricted"), expect: [403] },
  { name: "deep dot segments", payload: req("/public/a/../../restricted"), expect: [403] },
  { name: "current-directory segment", payload: req("/public/./x"), expect: [{ forwarded: "/public/x" }] },
  { name: "encoded current-directory segment", payload: req("/public/%2e/x"), expect: [{ forwarded: "/public/x" }] },
  { name: "duplicate slashes", payload: req("//public//x"), expect: [{ forwarded: "/public/x" }] },
  { name: "unreserved escapes", payload: req("/%70ublic/%61"), expect: [{ forwarded: "/public/a" }] },
  { name: "encoded slash", payload: req("/public/%2F../restricted"), expect: [400] },
  { name: "encoded slash in a segment", payload: req("/public/..%2frestricted"), expect: [400] },
  { name: "backslashes", payload: req("/public\\..\\restricted"), expect: [400] },
  { name: "encoded backslashes", payload: req("/public/..%5Crestricted"), expect: [400] },
  { name: "encoded NUL", payload: req("/public/%00/../../restricted"), expect: [400] },
  { name: "raw NUL", payload: req("/public/\u0000/../../restricted"), expect: [400] },
  { name: "path parameter on a dot segment", payload: req("/public/..;/restricted"), expect: [400] },
  { name: "absolute-form target", payload: req("http://server/public/../restricted"), expect: [400] },
  { name: "absolute-form target of an allowed path", payload: req("http://server/public/a"), expect: [400] },
  { name: "query never matched as path", payload: req("/restricted?/public/x"), expect: [403] },
  {
    name: "query kept as sent",
    payload: req("/public/a?next=/../../restricted"),
    expect: [{ forwarded: "/public/a?next=/../../restricted" }],
  },
  { name: "lower-case method", payload: req("/public/a", "1.1", "get"), expect: [400] },
  { name: "other method", payload: req("/public/a", "1.1", "POST"), expect: [403] },
  { name: "HTTP/1.0 dot segments", payload: req("/public/../restricted", "1.0"), expect: [403] },
  { name: "HTTP/1.0 allowed", payload: req("/public/%2e/a", "1.0"), expect: [{ forwarded: "/public/a" }] },
  {
    name: "pipelined requests, each checked",
    payload: req("/public/a") + req("/public/../restricted") + req("/public/%2e%2e/restricted") + req("/public/b"),
    expect: [{ forwarded: "/public/a" }, 403, 403, { forwarded: "/public/b" }],
  },
  {
    name: "the request after an allowed chunked body is checked",
    payload: chunked("/public/upload", "hello") + req("/public/../restricted") + req("/public/c"),
    expect: [{ forwarded: "/public/upload" }, 403, { forwarded: "/public/c" }],
  },
  {
    name: "a request inside a denied chunked body is body, the next one is checked",
    payload: chunked("/restricted", req("/restricted")) + req("/public/%2e%2e/restricted") + req("/public/d"),
    expect: [403, 403, { forwarded: "/public/d" }],
  },
  {
    name: "Content-Length and Transfer-Encoding together",
    payload: `GET /public/a HTTP/1.1\r\nHost: server\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${req("/restricted")}`,
    expect: [400],
  },
];

let bed: Bed;
let proxy: ReturnType<Bed["startProxy"]>;
let nextPort = 41000;

async function send(attempts: { payload: string; expect: number }[]): Promise<RawResult[]> {
  const cases = attempts.map((a) => {
    const localPort = nextPort++;
    bed.markL7("client", localPort, 1);
    return { localPort, payload: Buffer.from(a.payload, "latin1").toString("base64"), expect: a.expect };
  });
  const arg = JSON.stringify({ host: bed.serverIp, port: 80, cases });
  const r = await bed.pods.exec("client", [process.execPath, RAW_CLIENT, arg], { timeoutMs: 120_000 });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  bed = await createBed("h3lb", { server: join(HERE, "normalizing-server.mjs") });
  bed.writeConfig(RULES);
  proxy = bed.startProxy();
  await bed.waitRegistered();
});

beforeEach(() => onTestFailed(() => process.stderr.write(`proxy output:\n${proxy?.output()}\n`)));

afterAll(async () => {
  await bed?.destroy();
});

describe("L7 bypass attempts under {method: GET, path: /public/.*}", () => {
  let results: RawResult[] = [];
  beforeAll(async () => {
    results = await send(ATTEMPTS.map((a) => ({ payload: a.payload, expect: a.expect.length })));
  });

  it("the server really resolves the bypass paths to /restricted (reached directly, no proxy)", async () => {
    // Source ports never marked L7: sk_lookup leaves these to the server itself.
    const direct = ["/public/../restricted", "/public/%2e%2e/restricted", "/public//../restricted", "/public/%2F../restricted"];
    const cases = direct.map((t, i) => ({ localPort: 39100 + i, payload: Buffer.from(req(t)).toString("base64"), expect: 1 }));
    const r = await bed.pods.exec("client", [process.execPath, RAW_CLIENT, JSON.stringify({ host: bed.serverIp, port: 80, cases })]);
    const out: RawResult[] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.responses[0]?.body)).toEqual(direct.map(() => "RESTRICTED-BODY"));
  });

  it.each(ATTEMPTS.map((a, i) => [a.name, i] as const))("%s", (_name, i) => {
    const a = ATTEMPTS[i];
    const got = results[i];
    expect(got, "a result for every attempt").toBeDefined();
    expect(JSON.stringify(got.responses)).not.toContain("RESTRICTED-BODY");
    expect(got.timedOut, "the proxy answered every request").toBeFalsy();
    const statuses = got.responses.map((r) => r.status);
    expect(statuses).toEqual(a.expect.map((e) => (typeof e === "number" ? e : 200)));
    a.expect.forEach((e, j) => {
      if (typeof e === "number") return;
      const seen = JSON.parse(got.responses[j].body ?? "{}");
      expect(seen.url, "the server gets exactly the normalized target").toBe(e.forwarded);
    });
  });
});

describe("a request the parser refuses behind a pipelined allowed one", () => {
  it("never reaches the server: the allowed answer may come, then the connection closes", async () => {
    const [r] = await send([{ payload: req("/public/a") + req("/restricted", "1.1", "get") + req("/public/../restricted"), expect: 2 }]);
    expect(JSON.stringify(r.responses)).not.toContain("RESTRICTED-BODY");
    expect(r.timedOut).toBeFalsy();
    expect(r.closed || r.error !== undefined).toBe(true);
    const statuses = r.responses.map((x) => x.status);
    expect([[], [200], [200, 400]].map((s) => JSON.stringify(s))).toContain(JSON.stringify(statuses));
  });
});

describe("refusals are reported", () => {
  it("a refused target is one DROPPED REQUEST event with code 400 and the raw target", async () => {
    const before = bed.events.length;
    const [r] = await send([{ payload: req("/public/%2F../restricted"), expect: 1 }]);
    expect(r.responses[0]).toMatchObject({ status: 400 });
    expect(r.responses[0].body).toContain("encoded slash (%2F) in the path");
    const ev = await waitFor("the 400 event", () =>
      bed.events.slice(before).find((e): e is L7HttpEvent => !("kind" in e) && e.code === 400),
    );
    expect(ev).toMatchObject({ type: "REQUEST", verdict: "DROPPED", method: "GET", url: "/public/%2F../restricted", ruleId: 0 });
  });

  it("a request the HTTP parser refuses is a DROPPED REQUEST event with code 400 too", async () => {
    const before = bed.events.length;
    const [r] = await send([{ payload: req("/public/a", "1.1", "get"), expect: 1 }]);
    expect(r.responses[0]).toMatchObject({ status: 400 });
    const ev = await waitFor("the 400 event", () =>
      bed.events.slice(before).find((e): e is L7HttpEvent => !("kind" in e) && e.code === 400),
    );
    expect(ev).toMatchObject({ type: "REQUEST", verdict: "DROPPED", ruleId: 0, peerIdentity: IDENT.client });
  });

  it("denied and forwarded requests report the normalized target", async () => {
    const before = bed.events.length;
    await send([{ payload: req("/public/%2e%2e/restricted") + req("//public/./a"), expect: 2 }]);
    const evs = await waitFor("3 events", () => {
      const e = bed.events.slice(before).filter((x): x is L7HttpEvent => !("kind" in x));
      return e.length >= 3 ? e : undefined;
    });
    expect(evs.map((e) => `${e.type} ${e.verdict} ${e.code} ${e.url}`)).toEqual([
      "REQUEST DROPPED 403 /restricted",
      "REQUEST FORWARDED 0 /public/a",
      "RESPONSE FORWARDED 200 /public/a",
    ]);
  });
});
