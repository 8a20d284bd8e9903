// flowlens-collector: reads flags, opens the datapath and the sockets, runs until a signal.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  Endpoints as EndpointsService,
  grpcServiceDefinition,
  MUTATING_METHODS,
  observerServiceDefinition,
  Policies as PoliciesService,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { closeAll } from "libbpf-ts";
import { requireCapabilities, UNINSTALL_CAPABILITIES } from "./caps.js";
import { monoNowNs, syncClock } from "./clock/monotonic.js";
import { Collector } from "./collector.js";
import { type CollectorConfig, parseCollectorArgs, parseUninstallArgs } from "./config.js";
import { Datapath, defaultDatapathOptions } from "./datapath/datapath.js";
import { LostEntry, LostSource } from "./datapath/lost.js";
import { cgroupV2Root } from "./datapath/pins.js";
import { uninstall } from "./datapath/uninstall.js";
import { hostAddresses, ifindexOf } from "./endpoints/netns.js";
import { EndpointRegistry } from "./endpoints/registry.js";
import { EndpointsFile, reconcile } from "./endpoints/source.js";
import { KernelDropReasons } from "./flows/kernel-drop-reasons.js";
import { createMetrics, serveMetrics } from "./metrics.js";
import { canonicalIp } from "./net/ip.js";
import { cgroupIdOf, PolicyEngine } from "./policy/engine.js";
import { L7Supervisor } from "./policy/l7-supervisor.js";
import { PolicyMaps } from "./policy/maps.js";
import { PolicyFiles } from "./policy/policy-files.js";
import { PolicyStore } from "./policy/store.js";
import { requireAdmin } from "./server/admin-access.js";
import { AdminDenials } from "./server/admin-denials.js";
import { serveAdminSocket } from "./server/admin-server.js";
import { createEndpointHandlers } from "./server/endpoints.js";
import { createFlowStreamHandlers, flowStreamDefinition } from "./server/flow-stream.js";
import { createObserverHandlers } from "./server/observer.js";
import { createPolicyHandlers } from "./server/policy.js";
import { uninstallHooks } from "./uninstall-hooks.js";

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version as string;

/** grpc health service name of the policy service (its status says whether the policy sources are good). */
const POLICY_HEALTH_SERVICE = "flowlens.Policies";

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

/** Interface name of an ifindex in the host netns (cached by the caller: off the hot path). */
function ifnameOf(ifindex: number): string {
  try {
    for (const name of readdirSync("/sys/class/net"))
      if (readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim() === String(ifindex)) return name;
  } catch {
    // interface gone
  }
  return "";
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** mTLS when --tls-* are given: clients must present a certificate signed by --tls-ca. */
function serverCredentials(cfg: CollectorConfig): grpc.ServerCredentials {
  if (!cfg.tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    readPem(cfg.tls.ca, "--tls-ca"),
    [{ cert_chain: readPem(cfg.tls.cert, "--tls-cert"), private_key: readPem(cfg.tls.key, "--tls-key") }],
    true,
  );
}

async function main(cfg: CollectorConfig): Promise<void> {
  requireCapabilities();
  const registry = new EndpointRegistry();
  const hostIps = new Set((await hostAddresses()).map(canonicalIp));
  const hostInterfaces = new Map<number, string>();
  const collector = new Collector({
    nodeName: cfg.nodeName,
    version: VERSION,
    address: cfg.listenAddress,
    bufferSize: cfg.bufferSize,
    registry,
    hostIps,
    dropReasons: await KernelDropReasons.load(),
    // Endpoint interfaces are named by the registry; these are the --interface ones.
    ifname: (i) => hostInterfaces.get(i) ?? ifnameOf(i),
    log,
  });
  const datapath = Datapath.open(
    {
      ...defaultDatapathOptions,
      objectPath: cfg.bpfObject,
      ringBytes: cfg.ringBufferBytes,
      flowMapEntries: cfg.flowMapEntries,
      reportIntervalMs: cfg.reportIntervalMs,
      flowIdleTimeoutMs: cfg.flowIdleTimeoutMs,
      drainIntervalMs: cfg.drainIntervalMs,
      pinPath: cfg.pinPath,
    },
    collector.decoder,
    (e) => collector.pushLost(e),
    log,
    () => collector.backpressure.shouldHold(),
  );
  let shuttingDown = false;
  const shutdown = (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    try {
      collector.close();
    } finally {
      closeAll();
      process.exit(code);
    }
  };
  process.on("SIGINT", () => shutdown(0));
  process.on("SIGTERM", () => shutdown(0));
  // The map writer adopts what the pinned maps hold (a restart rewrites only what changed); the
  // policy engine writes policies and endpoints through it.
  const policyMaps = new PolicyMaps(datapath.policyMaps(), { log });
  policyMaps.refreshHostAddresses();
  setInterval(() => policyMaps.refreshHostAddresses(), 10_000).unref();
  // Policies: compiled against the registry's endpoints and written through the map writer; rule
  // ids in verdict records are read against the compilation in force when the kernel decided.
  const cgroupRoot = cgroupV2Root();
  // L7 rules: the proxy (its own process) gets each compilation's L7 ports; its request events
  // become L7 flows, and what it could not keep is counted as lost.
  const l7 = new L7Supervisor({
    stateDir: cfg.stateDir,
    pinPath: cfg.pinPath,
    program: datapath.program("fl_sk_lookup"),
    onEvent: (ev) => collector.pushL7(ev),
    onLost: (n) => collector.pushLost(new LostEntry(LostSource.L7_PROXY, n, monoNowNs())),
    log,
  });
  await l7.start();
  const engine = new PolicyEngine({
    registry,
    audit: cfg.policyAuditMode,
    log,
    maps: policyMaps,
    l7,
    cgroupId: (path) => cgroupIdOf(path, cgroupRoot),
  });
  collector.decoder.rulesAt = (tsNs) => engine.rules.at(tsNs);
  const store = new PolicyStore({ dir: join(cfg.stateDir, "policies"), installer: engine, log });
  collector.useDatapath(datapath);
  // Endpoints that left while no collector ran: their entries and kept filters go once every
  // endpoint had time to come back (from the file or the API), and never while start is held at the
  // last good set (the engine has not rewritten, so not claimed, any endpoint yet).
  const pruneGone = () => {
    if (store.holding) {
      setTimeout(pruneGone, 5_000).unref();
      return;
    }
    const gone = policyMaps.pruneAdopted();
    for (const ifindex of gone.ifindexes) datapath.detachStaleInterface(ifindex);
    if (gone.ifindexes.length + gone.cgroups.length + gone.ips > 0)
      log(
        `removed state of endpoints gone since the last run: ${gone.ifindexes.length} interfaces, ${gone.cgroups.length} cgroups, ${gone.ips} addresses`,
      );
  };
  setTimeout(pruneGone, 30_000).unref();
  for (const ifname of cfg.interfaces) {
    const ifindex = await ifindexOf(ifname);
    datapath.attachInterface(ifindex, ifname, { keep: false });
    hostInterfaces.set(ifindex, ifname);
  }

  let file: EndpointsFile | undefined;
  if (cfg.endpoints) {
    file = new EndpointsFile(cfg.endpoints, registry, log);
    try {
      await file.apply();
    } catch (e) {
      log((e as Error).message);
    }
    file.watch();
  }
  // Persisted and --policies policies, then the first write of the maps: until now a restart's
  // pinned maps kept enforcing what they held, and they go on doing so while a source is bad.
  try {
    store.load();
  } catch (e) {
    store.originUnreadable(join(cfg.stateDir, "policies"), `persisted policies: ${(e as Error).message}`);
  }
  let policyFiles: PolicyFiles | undefined;
  if (cfg.policies) {
    policyFiles = new PolicyFiles(cfg.policies, store, log);
    policyFiles.load();
    policyFiles.watch();
  }
  store.enforce(
    () => engine.start(),
    (lastGood) => engine.hold(lastGood),
  );
  // With L7 ports, the first write waits (bounded) for the proxy started or adopted above to listen.
  await engine.whenWritten().catch((e: Error) => log(`policy: ${e.message}`));
  log(
    `policy: ${store.size} policies (revision ${store.revision})${cfg.policyAuditMode ? ", audit mode: denies only audit" : ""}, ${store.holding ? "maps held at the last good set" : `maps written in ${engine.lastInstallMs.toFixed(1)} ms`}`,
  );

  const endpointHandlers = createEndpointHandlers(registry, (ns, name) => collector.attachErrors.get(EndpointRegistry.key(ns, name)));
  const policyHandlers = createPolicyHandlers(store, engine, log);
  const denials = new AdminDenials(log);
  const access = {
    clientNames: cfg.adminClientNames,
    adminSocket: cfg.adminSocket,
    onDenied: (method: string, why: string) => denials.denied(method, why),
  };
  const server = new grpc.Server();
  server.addService(observerServiceDefinition, createObserverHandlers(collector.observerState()));
  // Relays pull through this batched stream when offered (Hubble clients keep using GetFlows).
  server.addService(flowStreamDefinition, createFlowStreamHandlers(collector.observerState()));
  // On the listener, list/get/trace are open; changes need an allow-listed mTLS client certificate.
  server.addService(
    grpcServiceDefinition(EndpointsService),
    requireAdmin("flowlens.Endpoints", endpointHandlers, MUTATING_METHODS.Endpoints, access),
  );
  server.addService(
    grpcServiceDefinition(PoliciesService),
    requireAdmin("flowlens.Policies", policyHandlers, MUTATING_METHODS.Policies, access),
  );
  // hubble status checks "hubble.server.Observer" before it asks for ServerStatus.
  const health = new HealthImplementation({ "": "SERVING", "observer.Observer": "SERVING", "hubble.server.Observer": "SERVING" });
  // NOT_SERVING while a policy source fails (the last good set stays in force); flows go on.
  const policyHealth = () => (store.health.ok ? "SERVING" : "NOT_SERVING");
  health.setStatus(POLICY_HEALTH_SERVICE, policyHealth());
  store.health.onChange(() => health.setStatus(POLICY_HEALTH_SERVICE, policyHealth()));
  health.addToServer(server);
  // Bound before the listener, so a collector that accepts on TCP also accepts on its admin socket.
  if (cfg.adminSocket)
    await serveAdminSocket(
      cfg.adminSocket,
      [
        { definition: grpcServiceDefinition(EndpointsService), handlers: endpointHandlers },
        { definition: grpcServiceDefinition(PoliciesService), handlers: policyHandlers },
      ],
      health,
    );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(cfg.listenAddress, serverCredentials(cfg), (err) =>
      err ? reject(new Error(`listen on ${cfg.listenAddress}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
  if (cfg.metricsAddress) {
    const m = /^(.*):(\d+)$/.exec(cfg.metricsAddress);
    if (!m) throw new Error(`--metrics-address "${cfg.metricsAddress}" must be host:port`);
    const metrics = createMetrics({
      decoderCounts: () => collector.decoder.counts,
      datapathStats: () => collector.datapathStats(),
      ringSize: () => collector.ring.size,
      ringWritten: () => collector.ring.written,
      activeFlows: () => collector.activeFlows(),
      lost: () => collector.lostByName(),
      errors: () => collector.datapathErrors(),
      endpoints: () => registry.list().length,
      policyVerdicts: () => collector.decoder.verdicts.verdictTotals(),
      drops: () => collector.decoder.verdicts.dropTotals((r) => collector.deps.dropReasons.hubble(r)),
      policies: () => store.size,
      policyProblems: () => store.health.list(),
    });
    denials.register(metrics);
    await serveMetrics(metrics, m[1] || "0.0.0.0", Number(m[2])).then((s) => s.unref());
  }
  setInterval(syncClock, 60_000).unref();
  // Follow the system: recreated veths, changed addresses, endpoints declared before their veth.
  let reconciling = false;
  setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    reconcile(registry, file?.pending.values() ?? [])
      .catch((e: Error) => log(`reconcile endpoints: ${e.message}`))
      .finally(() => {
        reconciling = false;
      });
  }, 5000).unref();
  const adminNote = cfg.adminSocket ? `, admin socket ${cfg.adminSocket}` : ", no admin socket";
  log(`flowlens-collector ${VERSION} on ${cfg.nodeName}: serving ${cfg.listenAddress}${adminNote}, ${registry.list().length} endpoints`);
}

async function runUninstall(argv: string[]): Promise<void> {
  const u = parseUninstallArgs(argv);
  requireCapabilities(UNINSTALL_CAPABILITIES);
  await uninstall({ ...u, log }, uninstallHooks);
}

if (process.argv[2] === "uninstall") {
  runUninstall(process.argv.slice(3)).then(
    () => process.exit(0),
    (e: { code?: string; message: string }) => {
      if (e.code === "commander.helpDisplayed") process.exit(0);
      if (!e.code?.startsWith("commander.")) process.stderr.write(`flowlens-collector uninstall: ${e.message}\n`);
      process.exit(e.code?.startsWith("commander.") ? 2 : 1);
    },
  );
} else startCollector();

function startCollector(): void {
  let cfg: CollectorConfig;
  try {
    cfg = parseCollectorArgs(process.argv.slice(2));
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message: string };
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") process.exit(0);
    if (!err.code?.startsWith("commander.")) process.stderr.write(`flowlens-collector: ${err.message}\n`);
    process.exit(2);
  }
  main(cfg).catch((e: Error) => {
    process.stderr.write(`flowlens-collector: ${e.message}\n`);
    closeAll();
    process.exit(1);
  });
}
