// Commands that change the node go to the collector's admin socket unless --server says otherwise;
// read-only ones keep the collector's TCP address. Hubble's --tls flags are checked before dialing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_DEFAULT, resolveServer } from "../context.js";
import type { CliIO } from "../io.js";
import { runCli } from "../testkit.js";
import { type FakePolicyServer, startFakePolicyServer } from "../testkit-policy-server.js";

let dir: string;
let admin: FakePolicyServer;
let tcp: FakePolicyServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-cli-admin-"));
  admin = await startFakePolicyServer(join(dir, "admin.sock"));
  tcp = await startFakePolicyServer();
  writeFileSync(join(dir, "p.yaml"), "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p1\n");
});
afterAll(async () => {
  await admin?.close();
  await tcp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("admin socket", () => {
  it("defaults to unix:/run/flowlens/admin.sock (or $FLOWLENS_ADMIN_SERVER)", () => {
    const ctx = (env: Record<string, string>) => ({ io: { env } as unknown as CliIO }) as Parameters<typeof resolveServer>[1];
    expect(ADMIN_DEFAULT).toBe("unix:/run/flowlens/admin.sock");
    expect(resolveServer({}, ctx({}), "admin").grpcTarget).toBe("unix:/run/flowlens/admin.sock");
    expect(resolveServer({}, ctx({ FLOWLENS_ADMIN_SERVER: "unix:/tmp/a.sock" }), "admin").grpcTarget).toBe("unix:/tmp/a.sock");
    expect(resolveServer({}, ctx({}), "collector").grpcTarget).toBe("localhost:4244");
  });

  it("policy apply and delete go to the admin socket, policy list to the collector's address", async () => {
    const env = { FLOWLENS_ADMIN_SERVER: admin.address, FLOWLENS_COLLECTOR_SERVER: tcp.address };
    const applied = await runCli(["policy", "apply", "-f", join(dir, "p.yaml")], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(admin.applied).toHaveLength(1);
    expect(tcp.applied).toHaveLength(0);
    const list = await runCli(["policy", "list"], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/p1/); // the TCP fake never saw the apply
    const del = await runCli(["policy", "delete", "p1"], env);
    expect(del.code, del.stderr).toBe(0);
    expect(admin.policies.has("p1")).toBe(false);
  });

  it("a missing admin socket is one line naming it, exit 1", async () => {
    const r = await runCli(["policy", "delete", "p1", "--timeout", "1s"], { FLOWLENS_ADMIN_SERVER: `unix:${join(dir, "none.sock")}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^flowlens policy delete: cannot connect to unix:.*none\.sock: no such socket file — is the collector running\?/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("--help of the commands that change the node names the admin socket", async () => {
    for (const cmd of [
      ["policy", "apply"],
      ["policy", "delete"],
      ["endpoint", "add"],
      ["endpoint", "delete"],
    ]) {
      const r = await runCli([...cmd, "--help"]);
      expect(r.stdout.replace(/\s+/g, " "), cmd.join(" ")).toMatch(/admin socket \(root only\).*default unix:\/run\/flowlens\/admin\.sock/);
    }
  });
});

describe("TLS flags", () => {
  it.each([
    [["--tls-client-cert-file", "c.pem"], /--tls-client-cert-file and --tls-client-key-file go together/],
    [["--tls", "--tls-ca-cert-files", "/nonexistent/ca.pem"], /cannot read --tls-ca-cert-files \/nonexistent\/ca\.pem: ENOENT/],
  ])("%j is a usage error, exit 2, one line", async (flags, msg) => {
    const r = await runCli(["policy", "list", "--server", tcp.address, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("TLS toward a plain server fails with a hint at the TLS flags", async () => {
    const r = await runCli(["policy", "list", "--server", `tls://${tcp.address}`, "--timeout", "1s"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TLS or gRPC failed \(check --tls-ca-cert-files/);
  });

  it("plain toward a server is still the default", async () => {
    const r = await runCli(["policy", "list", "--server", tcp.address]);
    expect(r.code, r.stderr).toBe(0);
  });
});
