// Probe agent for policy tests: runs inside a pod's netns (optionally moving itself into a cgroup
// first) and answers JSON-line requests on stdin with the outcome of real connections, so a test
// makes hundreds of probes without starting a process for each.
//   request:  {"id":1,"op":"tcp","host":"10.0.0.2","port":80,"timeoutMs":1000}
//   response: {"id":1,"r":"connected","ms":0.4}

import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { connect, isIPv6 } from "node:net";
import { createInterface } from "node:readline";

const cgroup = process.argv[2];
if (cgroup) writeFileSync(`${cgroup}/cgroup.procs`, String(process.pid));

const now = () => performance.timeOrigin + performance.now();
const reply = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

/** One TCP connection attempt: "connected", an errno code (ECONNREFUSED, EPERM, ECONNRESET) or "timeout". */
function tcp(host, port, timeoutMs) {
  return new Promise((done) => {
    const t0 = now();
    const s = connect({ host, port });
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const localPort = s.localPort;
      s.destroy();
      done({ r, ms: now() - t0, start: t0, localPort });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    s.on("connect", () => finish("connected"));
    s.on("error", (e) => finish(e.code ?? e.message));
  });
}

/** One datagram and its echo: "reply", a send error code (EPERM) or "timeout". */
function udp(host, port, timeoutMs) {
  return new Promise((done) => {
    const t0 = now();
    const s = createSocket(isIPv6(host) ? "udp6" : "udp4");
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.close();
      done({ r, ms: now() - t0 });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    s.on("message", () => finish("reply"));
    s.on("error", (e) => finish(e.code ?? e.message));
    s.send("probe", port, host, (e) => {
      if (e) finish(e.code ?? e.message);
    });
  });
}

/**
 * HTTP requests in order over one keep-alive connection (one socket, maxSockets 1). Each answer:
 * status (0 when the request failed), the client's local port and whether the socket was reused.
 */
async function http(host, port, requests, timeoutMs) {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const out = [];
  for (const { method, path } of requests) {
    out.push(
      await new Promise((done) => {
        const req = httpRequest({ host, port, method, path, agent, timeout: timeoutMs }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => done({ status: res.statusCode, body, localPort: req.socket?.localPort, reused: req.reusedSocket }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => done({ status: 0, error: e.code ?? e.message }));
        req.end();
      }),
    );
  }
  agent.destroy();
  return out;
}

/** One HTTP GET on a new connection: the status as a string ("200", "403") or the error. */
async function httpOnce(host, port, path, timeoutMs) {
  const start = now();
  const r = await new Promise((done) => {
    const req = httpRequest({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => done(String(res.statusCode)));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => done(e.code ?? e.message));
    req.end();
  });
  return { start, r };
}

/**
 * A new connection every intervalMs until stopped — a TCP connect, or with `path` an HTTP GET —
 * each attempt with its start time (epoch ms) and outcome.
 */
const loops = new Map();
function startLoop(key, host, port, intervalMs, timeoutMs, path) {
  const attempts = [];
  const pending = new Set();
  const timer = setInterval(() => {
    const p = (path ? httpOnce(host, port, path, timeoutMs) : tcp(host, port, timeoutMs)).then((a) => {
      attempts.push({ start: a.start, r: a.r });
      pending.delete(p);
    });
    pending.add(p);
  }, intervalMs);
  loops.set(key, { timer, attempts, pending });
}
async function stopLoop(key) {
  const l = loops.get(key);
  if (!l) return [];
  clearInterval(l.timer);
  await Promise.all(l.pending);
  loops.delete(key);
  return l.attempts.sort((a, b) => a.start - b.start);
}

async function handle(m) {
  switch (m.op) {
    case "tcp":
      return tcp(m.host, m.port, m.timeoutMs ?? 1000);
    case "udp":
      return udp(m.host, m.port, m.timeoutMs ?? 1000);
    case "http":
      return { r: await http(m.host, m.port, m.requests, m.timeoutMs ?? 3000) };
    case "loop":
      startLoop(m.key, m.host, m.port, m.intervalMs ?? 10, m.timeoutMs ?? 300, m.path);
      return { r: "started" };
    case "stop":
      return { r: await stopLoop(m.key) };
    case "ping":
      return { r: "pong" };
    default:
      return { r: `unknown op ${m.op}` };
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  handle(m).then(
    (res) => reply({ id: m.id, ...res }),
    (e) => reply({ id: m.id, r: `agent error: ${e.message}` }),
  );
});
process.stdin.on("end", () => process.exit(0));
reply({ id: 0, r: "ready" });
