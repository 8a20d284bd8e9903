// One endpoint's HTTP: every request (each one on a keep-alive connection too) is checked with
// matchHttp against the endpoint's current L7 rules, on the normalized path (normalizeRequestTarget).
// Allowed: forwarded with the normalized target (method, raw headers, streamed body unchanged) to
// the original destination, response streamed back. Denied: 403 "Access denied", the connection stays
// open. Ambiguous target or unparseable request: 400 and close. Upstream failures: 503 and close.
import { type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { L7EndpointConfig, L7HttpEvent, L7Verdict } from "@flowlens/l7-contract";
import { matchHttp, normalizeRequestTarget } from "@flowlens/policy";
import { type Log, reason } from "@flowlens/runtime";
import { UpstreamAgent } from "./upstream.js";

const IPPROTO_TCP = 6;
const DENIED_BODY = "Access denied\r\n";

export interface HandlerDeps {
  /** The endpoint's current configuration (it changes under open connections). */
  endpoint(): L7EndpointConfig;
  /** Client identity (fl_ipcache). */
  identityOf(ip: string): number;
  emit(ev: L7HttpEvent): void;
  log: Log;
}

interface Conn {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  family: 4 | 6;
  peer: number;
  agent?: UpstreamAgent;
}

const plain = (ip: string | undefined) => (ip?.startsWith("::ffff:") ? ip.slice(7) : (ip ?? ""));

/** Wires request handling into a server whose listener sk_lookup feeds. */
export function serveEndpoint(server: Server, deps: HandlerDeps): void {
  const conns = new WeakMap<Socket, Conn>();
  server.on("connection", (socket: Socket) => {
    const srcIp = plain(socket.remoteAddress);
    const conn: Conn = {
      srcIp,
      srcPort: socket.remotePort ?? 0,
      dstIp: plain(socket.localAddress),
      dstPort: socket.localPort ?? 0,
      family: socket.localAddress?.includes(":") && !socket.localAddress.startsWith("::ffff:") ? 6 : 4,
      peer: deps.identityOf(srcIp),
    };
    conns.set(socket, conn);
    socket.on("close", () => conn.agent?.destroy());
  });
  // Requests node's parser refuses (bad method token, NUL, CL with TE, ...) never reach "request":
  // they are answered here and reported like a refused target, so every refusal is counted.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const conn = conns.get(socket);
    const parse = err.code?.startsWith("HPE_") ?? false;
    if (conn && parse) {
      const ep = deps.endpoint();
      deps.emit(httpEvent(ep, conn, { method: "", url: "", protocol: "", code: 400, verdict: "DROPPED", ruleId: 0, type: "REQUEST" }));
    }
    // A response still in flight on this socket (pipelining) must not be cut by ours: close instead.
    const busy = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
    if (!socket.writable || busy) socket.destroy();
    else if (parse) socket.end(plainResponse(400, "Bad Request", `bad request: ${err.code}\r\n`));
    else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") socket.end(plainResponse(408, "Request Timeout", "request timeout\r\n"));
    else socket.destroy();
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const conn = conns.get(req.socket);
    if (!conn) {
      res.destroy();
      return;
    }
    try {
      handle(req, res, conn, deps);
    } catch (e) {
      deps.log(`request ${req.method} ${req.url} from ${conn.srcIp}:${conn.srcPort}: ${reason(e)}`);
      if (!res.headersSent) unavailable(res);
      else res.destroy();
    }
  });
}

function handle(req: IncomingMessage, res: ServerResponse, conn: Conn, deps: HandlerDeps): void {
  const ep = deps.endpoint();
  const method = req.method ?? "";
  const target = normalizeRequestTarget(req.url ?? "");
  const protocol = `HTTP/${req.httpVersion}`;
  if (!target.ok) {
    deps.emit(httpEvent(ep, conn, { method, url: req.url ?? "", protocol, code: 400, verdict: "DROPPED", ruleId: 0, type: "REQUEST" }));
    const body = `bad request: ${target.reason}\r\n`;
    res.writeHead(400, { "content-type": "text/plain", "content-length": Buffer.byteLength(body), connection: "close" });
    res.end(body);
    return;
  }
  // What the rules match and what the server gets: one normalized value.
  const url = target.target;
  const started = process.hrtime.bigint();
  const port = ep.ports.find((p) => p.port === conn.dstPort && p.proto === IPPROTO_TCP);
  if (!port)
    deps.log.once(`noport:${ep.endpointId}:${conn.dstPort}`, `${ep.name}: port ${conn.dstPort} has no L7 rules here; denying its requests`);
  const decision = port ? matchHttp(port, conn.peer, method, target.path) : { allowed: false, ruleId: 0 };
  // An audit-mode port (L7Port.audit) forwards what its rules deny and says so.
  const verdict: L7Verdict = decision.allowed ? "FORWARDED" : port?.audit ? "AUDIT" : "DROPPED";
  const event = (type: "REQUEST" | "RESPONSE", code: number, latencyNs?: number): L7HttpEvent =>
    httpEvent(ep, conn, { method, url, protocol, code, verdict, ruleId: decision.ruleId, type, latencyNs });

  if (verdict === "DROPPED") {
    deps.emit(event("REQUEST", 403));
    res.writeHead(403, { "content-type": "text/plain", "content-length": Buffer.byteLength(DENIED_BODY) });
    res.end(DENIED_BODY); // an unread request body is drained by node, so the connection stays usable
    return;
  }
  deps.emit(event("REQUEST", 0));

  conn.agent ??= new UpstreamAgent(ep.netns, conn.family);
  const upstream = request({
    agent: conn.agent,
    host: conn.dstIp,
    port: conn.dstPort,
    method,
    path: url,
    headers: req.rawHeaders,
    setHost: false,
  });
  let answered = false;
  upstream.on("response", (up) => {
    answered = true;
    deps.emit(event("RESPONSE", up.statusCode ?? 0, Number(process.hrtime.bigint() - started)));
    res.sendDate = false; // the server's own headers go back as they came
    try {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
    } catch (e) {
      // A header node's parser took but its writer refuses: the client gets a clean close, not a hang.
      deps.log.once(`badresponse:${ep.endpointId}`, `${ep.name}: response to ${method} ${url} cannot be relayed: ${reason(e)}`);
      up.destroy();
      res.destroy();
      return;
    }
    up.pipe(res);
    up.on("error", () => res.destroy());
    up.on("aborted", () => res.destroy());
  });
  upstream.on("error", (e) => {
    if (answered || res.headersSent) {
      res.destroy();
      return;
    }
    answered = true;
    deps.log.once(
      `upstream:${ep.endpointId}:${conn.dstPort}`,
      `${ep.name}: upstream ${conn.dstIp}:${conn.dstPort}: ${reason(e)}; answering 503`,
    );
    deps.emit(event("RESPONSE", 503, Number(process.hrtime.bigint() - started)));
    unavailable(res);
  });
  upstream.on("response", () => deps.log.clear(`upstream:${ep.endpointId}:${conn.dstPort}`));
  req.pipe(upstream);
  req.on("aborted", () => upstream.destroy());
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
}

type EventFields = Pick<L7HttpEvent, "method" | "url" | "protocol" | "code" | "verdict" | "ruleId" | "type"> & { latencyNs?: number };

function httpEvent(ep: L7EndpointConfig, conn: Conn, f: EventFields): L7HttpEvent {
  const ev: L7HttpEvent = {
    time: Math.round((performance.timeOrigin + performance.now()) * 1e6),
    endpointId: ep.endpointId,
    subjectIdentity: ep.identity,
    peerIdentity: conn.peer,
    srcIp: conn.srcIp,
    srcPort: conn.srcPort,
    dstIp: conn.dstIp,
    dstPort: conn.dstPort,
    method: f.method,
    url: f.url,
    protocol: f.protocol,
    code: f.code,
    verdict: f.verdict,
    ruleId: f.ruleId,
    type: f.type,
  };
  if (f.latencyNs !== undefined) ev.latencyNs = f.latencyNs;
  return ev;
}

/** A whole HTTP/1.1 response that closes the connection, for a socket without a ServerResponse. */
function plainResponse(code: number, reasonPhrase: string, body: string): string {
  return `HTTP/1.1 ${code} ${reasonPhrase}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function unavailable(res: ServerResponse): void {
  const body = "upstream connect error\r\n";
  res.writeHead(503, { "content-type": "text/plain", "content-length": Buffer.byteLength(body), connection: "close" });
  res.end(body);
}
