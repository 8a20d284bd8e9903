// mTLS between relay and collector and between clients and the relay, with certificates made by
// openssl here: the TLS path carries flows; a client without a valid certificate is refused.
import { NodeState } from "@flowlens/proto";
import { createPods, type Pods } from "@flowlens/test-harness/pods";
import { type Certs, type Daemon, makeCerts, observer, startCollectorAt, startRelay } from "@flowlens/test-harness/relay";
import { waitFor } from "@flowlens/test-harness/run";
import { curlGet, startHttpServer } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let certs: Certs;
let pods: Pods;
let collector: Daemon;
let relay: Daemon;
let plainRelay: Daemon;

const tlsArgs = (c: Certs) => ["--tls-cert", c.serverCert, "--tls-key", c.serverKey, "--tls-ca", c.ca];
const goodClient = () => ({ ca: certs.read(certs.ca), cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) });

beforeAll(async () => {
  certs = await makeCerts();
  pods = await createPods({
    prefix: "rlyt",
    pods: [
      { name: "client", namespace: "tls", labels: { app: "client" } },
      { name: "server", namespace: "tls", labels: { app: "server" } },
    ],
  });
  collector = await startCollectorAt(["--endpoints", pods.endpointsFile, "--node-name", "relay-tls-node", ...tlsArgs(certs)]);
  await startHttpServer(pods, "server", 8080);
  relay = await startRelay([
    "--peers",
    collector.address,
    "--sort-buffer-drain-timeout",
    "200ms",
    ...tlsArgs(certs),
    "--peer-tls-cert",
    certs.clientCert,
    "--peer-tls-key",
    certs.clientKey,
    "--peer-tls-ca",
    certs.ca,
  ]);
  // A relay that does not speak TLS to the collector: the collector must refuse it.
  plainRelay = await startRelay(["--peers", collector.address]);
});

afterAll(async () => {
  await relay?.stop();
  await plainRelay?.stop();
  await collector?.stop();
  await pods?.destroy();
  certs?.remove();
});

describe("mTLS", () => {
  it("relay and collector talk TLS both ways; flows arrive through the relay", async () => {
    expect((await curlGet(pods, "client", `http://${pods.pod("server").ipv4}:8080/`)).status).toBe(200);
    const c = observer(relay.address, goodClient());
    try {
      const flows = await waitFor(
        "flows through the TLS relay",
        async () => {
          const fs = (await c.getFlows({})).flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value] : []));
          return fs.some((f) => f.nodeName === "relay-tls-node" && f.destination?.podName === "server") ? fs : undefined;
        },
        15_000,
      );
      expect(flows.length).toBeGreaterThan(0);
      const nodes = await c.nodes();
      expect(nodes.nodes.map((n) => [n.name, n.state, n.tls?.enabled])).toEqual([["relay-tls-node", NodeState.NODE_CONNECTED, true]]);
    } finally {
      c.close();
    }
  });

  it("the collector refuses a relay without a client certificate", async () => {
    const c = observer(plainRelay.address);
    try {
      const st = await c.status();
      expect(st.numConnectedNodes).toBe(0);
      expect(st.numUnavailableNodes).toBe(1);
      expect(plainRelay.output()).toMatch(/NODE_UNAVAILABLE/);
    } finally {
      c.close();
    }
  });

  it.each([
    ["a plaintext client", () => observer(relay.address)],
    ["a TLS client without a certificate", () => observer(relay.address, { ca: certs.read(certs.ca) })],
    [
      "a client whose certificate another CA signed",
      () => observer(relay.address, { ca: certs.read(certs.ca), cert: certs.read(certs.strangerCert), key: certs.read(certs.strangerKey) }),
    ],
  ])("the relay refuses %s", async (_what, make) => {
    const c = make();
    try {
      await expect(c.status()).rejects.toMatchObject({ code: 14 /* UNAVAILABLE: handshake refused */ });
    } finally {
      c.close();
    }
  });

  it("the collector refuses a client without a valid certificate too", async () => {
    const c = observer(collector.address, { ca: certs.read(certs.ca) });
    try {
      await expect(c.status()).rejects.toMatchObject({ code: 14 });
    } finally {
      c.close();
    }
    const ok = observer(collector.address, goodClient());
    try {
      expect((await ok.status()).version).not.toBe("");
    } finally {
      ok.close();
    }
  });
});
