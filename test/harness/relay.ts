// Relay end-to-end helpers: the relay and collectors as real processes (a collector can be restarted
// on the same port), gRPC clients with or without TLS, certificates made by openssl.
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { resolve } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  flowExtensionsRequest,
  GetFlowsRequestSchema,
  type GetFlowsResponse,
  GetNodesRequestSchema,
  type GetNodesResponse,
  observerServiceDefinition,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { makePki } from "./certs.js";
import { COLLECTOR_BIN, collectorState, freePort } from "./collector.js";
import { type Spawned, spawnBackground } from "./pods.js";
import { sleep } from "./run.js";
import { REPO_ROOT } from "./topology.js";

export const RELAY_BIN = resolve(REPO_ROOT, "services/relay/bin/flowlens-relay.js");

export interface Daemon {
  address: string;
  port: number;
  process: Spawned;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<Spawned>();
process.on("exit", () => {
  for (const p of running) p.process.kill("SIGKILL");
});

const canConnect = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = connect({ host: "127.0.0.1", port });
    s.on("connect", () => {
      s.destroy();
      ok(true);
    });
    s.on("error", () => ok(false));
  });

/** Starts argv with --listen-address 127.0.0.1:<port> and waits until the port accepts connections. */
async function startListening(
  what: string,
  argv: string[],
  port: number,
  ready: (out: string) => boolean,
  timeoutMs = 20_000,
): Promise<Daemon> {
  const address = `127.0.0.1:${port}`;
  const proc = spawnBackground([...argv, "--listen-address", address]);
  running.add(proc);
  let exitCode: number | null | undefined;
  void proc.exited.then((c) => {
    exitCode = c;
    running.delete(proc);
  });
  const stop = async () => {
    await proc.kill();
    running.delete(proc);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port)) || !ready(proc.output())) {
    if (exitCode !== undefined)
      throw new Error(`${what} exited (code ${exitCode}) before listening on ${address}: ${proc.output().trim()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} did not listen on ${address} within ${timeoutMs} ms: ${proc.output().trim()}`);
    }
    await sleep(100);
  }
  return { address, port, process: proc, output: proc.output, stop };
}

/**
 * A collector on a given (or free) port, attached to the endpoints file's pods once it says "serving".
 * It has its own pin path and state dir, uninstalled when it stops.
 */
export async function startCollectorAt(args: string[], port?: number): Promise<Daemon> {
  const state = collectorState();
  try {
    const d = await startListening(
      "collector",
      ["node", COLLECTOR_BIN, "--metrics-address", "", ...state.args, ...args],
      port ?? (await freePort()),
      (o) => o.includes("serving"),
    );
    return {
      ...d,
      stop: async () => {
        await d.stop();
        await state.cleanup();
      },
    };
  } catch (e) {
    await state.cleanup();
    throw e;
  }
}

export async function startRelay(args: string[], port?: number): Promise<Daemon> {
  return startListening("relay", ["node", RELAY_BIN, "--metrics-address", "", ...args], port ?? (await freePort()), (o) =>
    o.includes("serving"),
  );
}

const Client = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer");
type Req = MessageInitShape<typeof GetFlowsRequestSchema>;

export interface ClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export function observer(address: string, tls?: ClientTls) {
  const creds = tls ? grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
  const c = new Client(address, creds) as unknown as Record<string, Function> & grpc.Client;
  const unary = <T>(m: string, req: unknown) =>
    new Promise<T>((ok, fail) => c[m](req, { deadline: Date.now() + 5000 }, (e: Error | null, r: T) => (e ? fail(e) : ok(r))));
  return {
    getFlows(req: Req = {}): Promise<GetFlowsResponse[]> {
      return new Promise((ok, fail) => {
        const out: GetFlowsResponse[] = [];
        const s = c.GetFlows(
          create(GetFlowsRequestSchema, { extensions: flowExtensionsRequest(), ...req }),
        ) as grpc.ClientReadableStream<GetFlowsResponse>;
        s.on("data", (r: GetFlowsResponse) => out.push(r));
        s.on("end", () => ok(out));
        s.on("error", fail);
      });
    },
    follow(req: Req, onData: (r: GetFlowsResponse) => void) {
      const s = c.GetFlows(
        create(GetFlowsRequestSchema, { extensions: flowExtensionsRequest(), ...req, follow: true }),
      ) as grpc.ClientReadableStream<GetFlowsResponse>;
      s.on("data", onData);
      s.on("error", () => {});
      return { cancel: () => s.cancel() };
    },
    status: () => unary<ServerStatusResponse>("ServerStatus", create(ServerStatusRequestSchema, {})),
    nodes: () => unary<GetNodesResponse>("GetNodes", create(GetNodesRequestSchema, {})),
    close: () => c.close(),
  };
}

export interface Certs {
  dir: string;
  ca: string;
  /** Server certificate for 127.0.0.1 (collectors and the relay). */
  serverCert: string;
  serverKey: string;
  /** Client certificate signed by the CA (the relay toward collectors, or a CLI). */
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA (must be refused). */
  strangerCert: string;
  strangerKey: string;
  read(path: string): Buffer;
  remove(): void;
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and one from another CA. */
export async function makeCerts(): Promise<Certs> {
  const pki = await makePki();
  const other = await makePki().catch((e) => {
    pki.remove();
    throw e;
  });
  const remove = () => {
    pki.remove();
    other.remove();
  };
  try {
    const client = await pki.client("client");
    const stranger = await other.client("stranger");
    return {
      dir: pki.dir,
      ca: pki.ca,
      serverCert: pki.server.cert,
      serverKey: pki.server.key,
      clientCert: client.cert,
      clientKey: client.key,
      strangerCert: stranger.cert,
      strangerKey: stranger.key,
      read: (path) => readFileSync(path),
      remove,
    };
  } catch (e) {
    remove();
    throw e;
  }
}
