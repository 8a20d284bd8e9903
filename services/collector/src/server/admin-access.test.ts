import type { PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { certificateNames, denyReason, requireAdmin } from "./admin-access.js";

const cert = (cn: string, san = "") => ({ subject: { CN: cn }, subjectaltname: san }) as unknown as PeerCertificate;
const access = { clientNames: ["flowlens-admin", "ops.example"], adminSocket: "/run/flowlens/admin.sock" };

describe("certificateNames", () => {
  it("reads the CN and the DNS and URI subject alternative names", () => {
    expect(certificateNames(cert("a", "DNS:b.example, IP Address:10.0.0.1, URI:spiffe://c"))).toEqual(["a", "b.example", "spiffe://c"]);
    expect(certificateNames(undefined)).toEqual([]);
  });
});

describe("denyReason", () => {
  it("lets an allow-listed CN or SAN through", () => {
    expect(denyReason(access, "flowlens.Policies/Apply", cert("flowlens-admin"))).toBeUndefined();
    expect(denyReason(access, "flowlens.Policies/Apply", cert("someone", "DNS:ops.example"))).toBeUndefined();
  });
  it("refuses a caller without a certificate, naming the admin socket, on one line", () => {
    const why = denyReason(access, "flowlens.Policies/Delete", undefined) ?? "";
    expect(why).toMatch(/^flowlens\.Policies\/Delete changes the node: .*unix:\/run\/flowlens\/admin\.sock as root/);
    expect(why).not.toContain("\n");
  });
  it("refuses a certificate that is not on the list, naming it", () => {
    expect(denyReason(access, "flowlens.Policies/Apply", cert("flowlens-relay"))).toMatch(
      /"flowlens-relay" is not in --admin-client-names/,
    );
  });
  it("refuses everyone when the list is empty (a prefix or substring is no match)", () => {
    expect(denyReason({ ...access, clientNames: [] }, "m", cert("flowlens-admin"))).toBeDefined();
    expect(denyReason(access, "m", cert("flowlens-admin2"))).toBeDefined();
  });
});

describe("requireAdmin", () => {
  const handlers = {
    Apply: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, "applied"),
    List: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, "listed"),
  };
  const call = (c?: PeerCertificate) => ({ getAuthContext: () => ({ sslPeerCertificate: c }) });
  const invoke = (h: grpc.UntypedServiceImplementation, m: string, c?: PeerCertificate) =>
    new Promise<{ err: Partial<grpc.StatusObject> | null; res: unknown }>((resolve) =>
      (h[m] as (c: unknown, cb: grpc.sendUnaryData<unknown>) => void)(call(c), (err, res) => resolve({ err, res })),
    );
  const guarded = requireAdmin("flowlens.Policies", handlers, ["Apply"], access);

  it("answers PERMISSION_DENIED to a guarded method without running it; others run", async () => {
    const denied = await invoke(guarded, "Apply");
    expect(denied.err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(denied.res).toBeUndefined();
    expect((await invoke(guarded, "List")).res).toBe("listed");
    expect((await invoke(guarded, "Apply", cert("flowlens-admin"))).res).toBe("applied");
  });
  it("fails at start on a method the service does not have", () => {
    expect(() => requireAdmin("flowlens.Policies", handlers, ["Aply"], access)).toThrow(/no method Aply/);
  });
});
