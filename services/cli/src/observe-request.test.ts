// Table tests: observe flags → GetFlowsRequest (whitelist/blacklist shape, --not, from/to combos, --last rules).
import { describe, expect, it } from "vitest";
import { runCli } from "./testkit.js";

async function request(...args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(["observe", ...args, "--print-request"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const req = JSON.parse(r.stdout) as Record<string, unknown>;
  // Every request asks for Flowlens' flow extensions; the cases below check the rest.
  expect(req.extensions).toEqual({ "@type": "type.googleapis.com/flowlens.GetFlowsRequestExtension", flow_extensions: true });
  delete req.extensions;
  return req;
}

describe("observe flags → GetFlowsRequest", () => {
  const cases: { name: string; args: string[]; want: Record<string, unknown> }[] = [
    { name: "plain observe asks for the last 20", args: [], want: { number: "20" } },
    { name: "--last N", args: ["--last", "5"], want: { number: "5" } },
    { name: "--first N", args: ["--first", "7"], want: { number: "7", first: true } },
    { name: "--follow alone asks for no history", args: ["-f"], want: { follow: true } },
    { name: "--follow --last N", args: ["--follow", "--last", "3"], want: { number: "3", follow: true } },
    { name: "--all", args: ["--all"], want: { number: "18446744073709551615" } },
    {
      name: "--from-pod and --to-pod make one filter",
      args: ["--from-pod", "default/web", "--to-pod", "default/db"],
      want: { number: "20", whitelist: [{ source_pod: ["default/web"], destination_pod: ["default/db"] }] },
    },
    {
      name: "--pod means source OR destination",
      args: ["--pod", "default/web"],
      want: { number: "20", whitelist: [{ source_pod: ["default/web"] }, { destination_pod: ["default/web"] }] },
    },
    {
      name: "a shared flag goes into both halves of --ip",
      args: ["--ip", "10.0.0.0/24", "--protocol", "tcp"],
      want: {
        number: "20",
        whitelist: [
          { source_ip: ["10.0.0.0/24"], protocol: ["tcp"] },
          { destination_ip: ["10.0.0.0/24"], protocol: ["tcp"] },
        ],
      },
    },
    {
      name: "repeated values of one flag are ORed in one field",
      args: ["--verdict", "FORWARDED", "--verdict", "dropped"],
      want: { number: "20", whitelist: [{ verdict: ["FORWARDED", "DROPPED"] }] },
    },
    {
      name: "--not negates only the next flag",
      args: ["--not", "--verdict", "DROPPED", "--protocol", "udp"],
      want: { number: "20", whitelist: [{ protocol: ["udp"] }], blacklist: [{ verdict: ["DROPPED"] }] },
    },
    {
      name: "--not with a two-sided flag blacklists both sides",
      args: ["--not", "--port", "53"],
      want: { number: "20", blacklist: [{ source_port: ["53"] }, { destination_port: ["53"] }] },
    },
    {
      name: "two --not flags land in one blacklist filter",
      args: ["--not", "--from-ip", "10.0.0.1", "--not", "--to-port", "80"],
      want: { number: "20", blacklist: [{ source_ip: ["10.0.0.1"], destination_port: ["80"] }] },
    },
    {
      name: "-n applies the namespace to both sides",
      args: ["-n", "shop"],
      want: { number: "20", whitelist: [{ source_pod: ["shop/"] }, { destination_pod: ["shop/"] }] },
    },
    {
      name: "-n qualifies --pod names without a namespace",
      args: ["--pod", "web", "-n", "shop"],
      want: { number: "20", whitelist: [{ source_pod: ["shop/web"] }, { destination_pod: ["shop/web"] }] },
    },
    {
      name: "--from-namespace and --to-namespace",
      args: ["--from-namespace", "a", "--to-namespace", "b"],
      want: { number: "20", whitelist: [{ source_pod: ["a/"], destination_pod: ["b/"] }] },
    },
    {
      name: "labels, ports, identity",
      args: ["--from-label", "app=web", "--to-port", "8080", "--to-identity", "world"],
      want: {
        number: "20",
        whitelist: [{ source_label: ["app=web"], destination_port: ["8080"], destination_identity: [2] }],
      },
    },
    {
      name: "-l splits like --pod",
      args: ["-l", "app=db"],
      want: { number: "20", whitelist: [{ source_label: ["app=db"] }, { destination_label: ["app=db"] }] },
    },
    {
      name: "event types and trace sub-types",
      args: ["-t", "drop", "-t", "trace:to-endpoint", "--type", "policy-verdict", "-t", "l7"],
      want: {
        number: "20",
        whitelist: [{ event_type: [{ type: 1 }, { type: 4, match_sub_type: true }, { type: 5 }, { type: 129 }] }],
      },
    },
    {
      name: "tcp flags, traffic direction, node name, uuid",
      args: ["--tcp-flags", "syn,ack", "--traffic-direction", "ingress", "--node-name", "node-*", "--uuid", "abc"],
      want: {
        number: "20",
        whitelist: [
          {
            tcp_flags: [{ SYN: true, ACK: true }],
            traffic_direction: ["INGRESS"],
            node_name: ["node-*"],
            uuid: ["abc"],
          },
        ],
      },
    },
    {
      name: "--ipv6 and --ip-version",
      args: ["--ipv6", "--ip-version", "4"],
      want: { number: "20", whitelist: [{ ip_version: ["IPv6", "IPv4"] }] },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await request(...c.args)).toEqual(c.want);
    });
  }

  it("trace sub-type is the observation point number", async () => {
    const r = await request("-t", "trace:from-endpoint");
    expect(r.whitelist).toEqual([{ event_type: [{ type: 4, match_sub_type: true, sub_type: 5 }] }]);
  });

  it("--since/--until become timestamps; relative times count back from now", async () => {
    const before = Date.now();
    const r = await request("--since", "5m", "--until", "2024-11-26T06:30:00Z");
    const since = Date.parse(r.since as string);
    expect(since).toBeGreaterThanOrEqual(before - 5 * 60_000 - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() - 5 * 60_000 + 1000);
    expect(r.until).toBe("2024-11-26T06:30:00Z");
    expect(r.number).toBeUndefined(); // a time range replaces the default --last 20
  });

  it("--until is ignored with --follow", async () => {
    const r = await request("--since", "1m", "--until", "30s", "--follow");
    expect(r.until).toBeUndefined();
    expect(r.follow).toBe(true);
  });
});

describe("observe flags that must be refused", () => {
  const bad: { args: string[]; error: string }[] = [
    { args: ["--from-ip", "10.0.0.300"], error: 'invalid --from-ip "10.0.0.300"' },
    { args: ["--ip", "10.0.0.0/33"], error: 'invalid --ip "10.0.0.0/33"' },
    { args: ["--port", "abc"], error: 'invalid --port "abc"' },
    { args: ["--to-port", "70000"], error: 'invalid --to-port "70000"' },
    { args: ["--verdict", "MAYBE"], error: 'unknown --verdict "MAYBE"' },
    { args: ["--protocol", "carrier-pigeon"], error: 'invalid --protocol "carrier-pigeon"' },
    { args: ["-t", "nonsense"], error: 'unknown --type "nonsense"' },
    { args: ["--tcp-flags", "syn,bogus"], error: 'unknown --tcp-flags flag "bogus"' },
    { args: ["--traffic-direction", "sideways"], error: 'invalid --traffic-direction "sideways"' },
    { args: ["--identity", "nobody"], error: 'invalid --identity "nobody"' },
    { args: ["-o", "xml"], error: 'unknown --output "xml"' },
    { args: ["--time-format", "Kitchen"], error: 'unknown --time-format "Kitchen"' },
    { args: ["--since", "yesterday"], error: "invalid --since" },
    { args: ["--last", "-3"], error: "" },
    { args: ["--first", "1", "--last", "2"], error: "cannot set both --first and --last" },
    { args: ["--first", "1", "--follow"], error: "cannot set both --first and --follow" },
    { args: ["--not"], error: "--not must be followed by a filter flag" },
    { args: ["--not", "--not", "--port", "1"], error: "consecutive --not" },
    { args: ["--label", "app=web", "--from-label", "x=y"], error: "filters --label and --from-label cannot be combined" },
    { args: ["--server", "nocolon"], error: 'invalid --server "nocolon"' },
    { args: ["--timeout", "soon"], error: 'invalid --timeout "soon"' },
  ];
  for (const b of bad) {
    it(b.args.join(" "), async () => {
      const r = await runCli(["observe", ...b.args, "--print-request"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(b.error);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^flowlens observe: /);
    });
  }
});
