import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { L7HttpEvent } from "@flowlens/l7-contract";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventSink } from "./event-sink.js";
import { createLog } from "./log.js";

const event = (n: number): L7HttpEvent => ({
  time: n,
  endpointId: 1,
  subjectIdentity: 70000,
  peerIdentity: 2,
  srcIp: "10.0.0.1",
  srcPort: 1000 + n,
  dstIp: "10.0.0.2",
  dstPort: 80,
  method: "GET",
  url: `/${n}`,
  protocol: "HTTP/1.1",
  code: 0,
  verdict: "FORWARDED",
  ruleId: 1,
  type: "REQUEST",
});

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function listen(path: string): Promise<{ server: Server; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer((s) => {
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      lines.push(...parts);
    });
  });
  return new Promise((ok) => server.listen(path, () => ok({ server, lines })));
}

const until = (fn: () => boolean) =>
  vi.waitFor(
    () => {
      if (!fn()) throw new Error("condition not met in time");
    },
    { timeout: 2000, interval: 10 },
  );

describe("EventSink", () => {
  it("buffers while the collector is away, counts what does not fit, reports the loss first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "h3l-sink-"));
    const path = join(dir, "events.sock");
    const logged: string[] = [];
    const sink = new EventSink({ log: createLog((s) => logged.push(s)), capacity: 3, retryMs: 20 });
    cleanup.push(() => {
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    });
    sink.target(path);
    for (let i = 0; i < 5; i++) sink.send(event(i));
    expect(sink.buffered).toBe(3);
    expect(sink.lost).toBe(2);
    const { server, lines } = await listen(path);
    cleanup.push(() => server.close());
    await until(() => lines.length >= 4);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ kind: "lost", count: 2 }, event(0), event(1), event(2)]);
    sink.send(event(9));
    await until(() => lines.length >= 5);
    expect(JSON.parse(lines[4])).toEqual(event(9));
    expect(sink.lost).toBe(0);
    expect(logged.filter((l) => l.includes("retrying"))).toHaveLength(1);
  });
});
