import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type L7ProxyConfig, l7Paths, parseL7Config, writeL7Config } from "./config-file.js";

const config: L7ProxyConfig = {
  version: 1,
  maps: { l7Socks: "/sys/fs/bpf/fl-unit/fl_l7_socks", ipcache: "/sys/fs/bpf/fl-unit/fl_ipcache" },
  eventsSocket: "/srv/fl-unit/l7/events.sock",
  endpoints: [
    {
      endpointId: 3,
      name: "default/app1",
      netns: "/var/run/netns/app1",
      identity: 70000,
      ips: ["10.0.0.10", "fd00::10"],
      ports: [
        {
          subject: 70000,
          port: 80,
          proto: 6,
          audit: true,
          rules: [{ peers: [70001], http: [{ method: "GET", path: "/public" }], ruleId: 4 }],
        },
      ],
    },
  ],
  rules: [{ ruleId: 4, description: "ingress allow", policies: [{ name: "p", namespace: "default", kind: "CiliumNetworkPolicy" }] }],
};

function broken(mutate: (c: Record<string, unknown>) => void): string {
  const c = JSON.parse(JSON.stringify(config));
  mutate(c);
  try {
    parseL7Config(JSON.stringify(c), "config.json");
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
}

describe("L7 config file", () => {
  it("round-trips through an atomic write", () => {
    const dir = mkdtempSync(join(tmpdir(), "h3l-config-"));
    try {
      const file = join(dir, "config.json");
      writeL7Config(file, config);
      expect(parseL7Config(readFileSync(file, "utf8"), file)).toEqual(config);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the paths under <state-dir>/l7", () => {
    expect(l7Paths("/srv/fl-unit")).toEqual({
      dir: "/srv/fl-unit/l7",
      config: "/srv/fl-unit/l7/config.json",
      eventsSocket: "/srv/fl-unit/l7/events.sock",
      pidFile: "/srv/fl-unit/l7/proxy.pid",
      logFile: "/srv/fl-unit/l7/proxy.log",
    });
  });

  it("names the field that is wrong, in one line", () => {
    expect(parseErr("{")).toMatch(/^config.json: not valid JSON/);
    expect(broken((c) => (c.version = 2))).toMatch(/version 2 is not 1/);
    expect(broken((c) => delete c.maps)).toBe("config.json: maps must be an object");
    expect(broken((c) => ((c.endpoints as { netns: string }[])[0].netns = "app1"))).toBe(
      'config.json: endpoints[0].netns must be an absolute path, got "app1"',
    );
    expect(broken((c) => ((c.endpoints as { ips: string[] }[])[0].ips = ["10.0.0.300"]))).toBe(
      "config.json: endpoints[0].ips[0] must be an IP address",
    );
    expect(
      broken((c) => {
        (c.endpoints as { ports: { rules: { http: { path: string }[] }[] }[] }[])[0].ports[0].rules[0].http[0].path = "/a(";
      }),
    ).toMatch(
      /^config.json: endpoints\[0\].ports\[0\].rules\[0\].http\[0\].path "\/a\(" is not a valid RE2 regular expression: missing closing \)/,
    );
    expect(broken((c) => ((c.endpoints as { endpointId: number }[])[0].endpointId = -1))).toMatch(
      /endpoints\[0\].endpointId must be an integer/,
    );
  });
});

function parseErr(text: string): string {
  try {
    parseL7Config(text, "config.json");
    return "accepted";
  } catch (e) {
    return (e as Error).message;
  }
}
