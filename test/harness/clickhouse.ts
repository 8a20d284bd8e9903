// A real ClickHouse server for a test: free loopback ports, a temporary data dir, started and stopped
// by infra/clickhouse/clickhouse.sh; killed and removed at process exit whatever happened.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./run.js";

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "../../infra/clickhouse/clickhouse.sh");

/** A running test server. */
export interface ClickHouseServer {
  /** http://127.0.0.1:PORT (user "default", no password; read-only user "flowlens_reader"). */
  url: string;
  httpPort: number;
  nativePort: number;
  dataDir: string;
  /** Stops the server and keeps its data (for "ClickHouse down for 30 s" tests). */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data; resolves once /ping answers. */
  start(): Promise<void>;
  /** Stops it and removes the data dir. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const live = new Set<string>();

function killSync(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, "clickhouse-server.pid"), "utf8").trim());
    if (pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    // not running
  }
}

process.on("exit", () => {
  for (const dir of live) {
    killSync(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts a fresh server (empty data dir, free ports); resolves once it answers /ping. */
export async function startClickHouse(opts: { password?: string } = {}): Promise<ClickHouseServer> {
  // A port found free can be taken by another process before the server binds it: try new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClickHouseOnce(opts.password ?? "");
    } catch (e) {
      if (attempt >= 3 || !/Address already in use|bind|Net Exception/i.test((e as Error).message)) throw e;
    }
  }
}

/** password: the writer "default"'s (empty: none). */
async function startClickHouseOnce(password: string): Promise<ClickHouseServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "flowlens-ch-"));
  live.add(dataDir);
  const httpPort = await freePort();
  let nativePort = await freePort();
  while (nativePort === httpPort) nativePort = await freePort();
  const env = {
    ...process.env,
    FLOWLENS_CLICKHOUSE_DIR: dataDir,
    FLOWLENS_CLICKHOUSE_HTTP_PORT: String(httpPort),
    FLOWLENS_CLICKHOUSE_TCP_PORT: String(nativePort),
    FLOWLENS_CLICKHOUSE_PASSWORD: password,
    FLOWLENS_CLICKHOUSE_READER_PASSWORD: "",
  };
  const script = (cmd: string) => run(["bash", SCRIPT, cmd], { env, timeoutMs: 60_000 }).then(() => undefined);
  try {
    await script("start");
  } catch (err) {
    killSync(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    live.delete(dataDir);
    throw err;
  }
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    nativePort,
    dataDir,
    stop: () => script("stop"),
    start: () => script("start"),
    async destroy() {
      if (!live.has(dataDir)) return;
      await script("stop").catch(() => killSync(dataDir));
      rmSync(dataDir, { recursive: true, force: true });
      live.delete(dataDir);
    },
  };
}
