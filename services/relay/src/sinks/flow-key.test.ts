import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FlowSchema } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { connectionKey, connectionTuple } from "./flow-key.js";

const enc = (f: MessageInitShape<typeof FlowSchema>) => toBinary(FlowSchema, create(FlowSchema, f));

const tcp = (src: string, sport: number, dst: string, dport: number) =>
  enc({
    uuid: "u",
    nodeName: "n",
    IP: { source: src, destination: dst, ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: sport, destinationPort: dport, flags: { SYN: true } } } },
    source: { namespace: "default", podName: "a", labels: ["k8s:app=a"] },
  });

describe("connectionKey", () => {
  it("is the same for both directions of a TCP connection", () => {
    const fwd = connectionKey(tcp("10.0.0.1", 40000, "10.0.0.2", 80));
    const rev = connectionKey(tcp("10.0.0.2", 80, "10.0.0.1", 40000));
    expect(fwd).toBe(rev);
    expect(fwd).toBe("10.0.0.1:40000|10.0.0.2:80|TCP");
  });

  it("differs by port and by protocol", () => {
    const a = connectionKey(tcp("10.0.0.1", 40000, "10.0.0.2", 80));
    expect(connectionKey(tcp("10.0.0.1", 40001, "10.0.0.2", 80))).not.toBe(a);
    const udp = enc({
      IP: { source: "10.0.0.1", destination: "10.0.0.2" },
      l4: { protocol: { case: "UDP", value: { sourcePort: 40000, destinationPort: 80 } } },
    });
    expect(connectionKey(udp)).toBe("10.0.0.1:40000|10.0.0.2:80|UDP");
  });

  it("brackets IPv6 addresses and keys ICMP by addresses only", () => {
    const v6 = enc({
      IP: { source: "fd00::11", destination: "fd00::10" },
      l4: { protocol: { case: "UDP", value: { sourcePort: 5353, destinationPort: 1234 } } },
    });
    expect(connectionKey(v6)).toBe("[fd00::10]:1234|[fd00::11]:5353|UDP");
    const icmp = enc({
      IP: { source: "10.0.0.2", destination: "10.0.0.1" },
      l4: { protocol: { case: "ICMPv4", value: { type: 8, code: 0 } } },
    });
    expect(connectionKey(icmp)).toBe("10.0.0.1|10.0.0.2|ICMPv4");
  });

  it("reads the tuple without decoding and agrees with protobuf-es", () => {
    expect(connectionTuple(tcp("10.0.0.1", 1, "10.0.0.2", 2))).toEqual({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      sport: 1,
      dport: 2,
      protocol: "TCP",
    });
    expect(connectionTuple(enc({}))).toEqual({ src: "", dst: "", sport: 0, dport: 0, protocol: "" });
  });
});
