// Test client for pods: `node http-client.mjs SPEC_JSON` sends SPEC.requests in order over one
// keep-alive connection from SPEC.localPort and prints one JSON line per request:
// {status, body, reused} or {error}. SPEC.pauseMs waits (after printing "paused") between the first
// and second request; each request gives up after 5 s with {error: "TIMEOUT"} (a hang is a failure).
import { Agent, request } from "node:http";

const spec = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function send(r) {
  return new Promise((resolve) => {
    const started = Date.now();
    const req = request(
      { agent, host: spec.host, port: spec.port, localPort: spec.localPort, method: r.method, path: r.path, headers: r.headers ?? {} },
      (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
            reused: req.reusedSocket,
            ms: Date.now() - started,
          }),
        );
        res.on("error", (e) => resolve({ error: e.code ?? e.message, ms: Date.now() - started }));
      },
    );
    req.setTimeout(5000, () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e) => resolve({ error: e.code ?? e.message, ms: Date.now() - started }));
    req.end(r.body === undefined ? undefined : r.bodyRepeat ? r.body.repeat(r.bodyRepeat) : r.body);
  });
}

for (let i = 0; i < spec.requests.length; i++) {
  if (i === 1 && spec.pauseMs) {
    console.log(JSON.stringify({ paused: true }));
    await sleep(spec.pauseMs);
  }
  console.log(JSON.stringify(await send(spec.requests[i])));
}
agent.destroy();
