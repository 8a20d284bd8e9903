// Keys of fl_l7_socks, the sockhash the proxy registers its listeners in and the collector's
// sk_lookup program reads: one per endpoint and address family.

/** fl_l7_socks key bit of an endpoint's IPv6 listener (FL_L7_SOCK_V6 in bpf/progs/l7_redirect.h). */
export const L7_SOCK_V6 = 0x8000_0000;

export function sockKey(endpointId: number, family: 4 | 6): Buffer {
  const key = Buffer.alloc(4);
  key.writeUInt32LE((endpointId | (family === 6 ? L7_SOCK_V6 : 0)) >>> 0);
  return key;
}
