// The Prometheus side every daemon shares: its registry with the process metrics, and GET /metrics.
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";
import { splitHostPort } from "./flags.js";

/** A daemon's registry, with Node's process metrics named flowlens_<daemon>_... */
export function createDaemonRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://x").pathname !== "/metrics") {
      res.writeHead(404).end("not found: try /metrics\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (e: Error) => res.writeHead(500).end(`metrics: ${e.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`metrics on ${host}:${port}: ${e.message}`, { cause: e })));
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      // Later socket errors must not take the daemon down.
      server.on("error", () => {});
      resolve(server);
    });
  });
}

/** Serves --metrics-address ("" = no server) without keeping the process alive by itself. */
export async function serveMetricsAt(registry: Registry, address: string): Promise<Server | undefined> {
  if (!address) return undefined;
  const { host, port } = splitHostPort(address, "--metrics-address");
  return (await serveMetrics(registry, host, port)).unref();
}
