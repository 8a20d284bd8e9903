// Who may change the node: mutating Policies/Endpoints calls on the TCP listener are refused unless
// the caller's verified mTLS client certificate is named in --admin-client-names; the root-only
// admin socket serves them without this check (the socket's file mode is the check).
import type { PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";

export interface AdminAccess {
  /** Certificate names (CN or DNS/URI subject alternative name) that may change policy over mTLS. */
  clientNames: readonly string[];
  /** The admin socket's path, named in the refusal ("" when disabled). */
  adminSocket: string;
  /** Told of every refused call (counted in metrics, logged). */
  onDenied?: (method: string, reason: string) => void;
}

/** CN and subject alternative names (DNS, URI) of a peer certificate. */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const names: string[] = [];
  const cn = cert.subject?.CN;
  for (const v of Array.isArray(cn) ? cn : cn ? [cn] : []) names.push(v);
  for (const part of (cert.subjectaltname ?? "").split(/,\s*/)) {
    const m = /^(DNS|URI):(.+)$/.exec(part);
    if (m) names.push(m[2]);
  }
  return names;
}

/** The refusal for a call, or undefined when the caller may change the node. */
export function denyReason(access: AdminAccess, method: string, cert: PeerCertificate | undefined): string | undefined {
  const names = certificateNames(cert);
  if (names.some((n) => access.clientNames.includes(n))) return undefined;
  const where = access.adminSocket ? `use the admin socket unix:${access.adminSocket} as root` : "the admin socket is disabled";
  const who = names.length
    ? `client certificate ${JSON.stringify(names[0])} is not in --admin-client-names`
    : "this listener is read-only for clients without an allow-listed certificate";
  return `${method} changes the node: ${who}; ${where}, or an mTLS client certificate named in --admin-client-names`;
}

type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

/**
 * Wraps the named unary methods of a service so they answer PERMISSION_DENIED before running
 * unless the peer's verified client certificate is allow-listed.
 */
export function requireAdmin(
  service: string,
  handlers: grpc.UntypedServiceImplementation,
  methods: readonly string[],
  access: AdminAccess,
): grpc.UntypedServiceImplementation {
  const out = { ...handlers };
  for (const method of methods) {
    const handler = handlers[method] as Unary | undefined;
    if (!handler) throw new Error(`requireAdmin: ${service} has no method ${method}`);
    out[method] = ((call, cb) => {
      const why = denyReason(access, `${service}/${method}`, call.getAuthContext?.()?.sslPeerCertificate);
      if (why) {
        access.onDenied?.(`${service}/${method}`, why);
        return cb({ code: grpc.status.PERMISSION_DENIED, details: why });
      }
      handler(call, cb);
    }) as Unary;
  }
  return out;
}
