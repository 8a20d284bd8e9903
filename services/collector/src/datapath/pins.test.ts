// Pinned state across Datapath restarts: compatible maps are reused, an incompatible one is replaced
// with one log line, socket-hook links are adopted (same pin) and switched to the new programs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveRing } from "../flows/ring.js";
import { u32Key } from "../policy/maps/keys.js";
import { Datapath, defaultDatapathOptions } from "./datapath.js";
import { RecordDecoder, type RingEntry } from "./decoder.js";
import { uninstall } from "./uninstall.js";

const BPF_DIR = new URL("../../../../bpf", import.meta.url).pathname;
const tag = String(process.pid % 10000);
const pinPath = `/sys/fs/bpf/h2p-pins-${tag}`;
const cgroupRoot = `/sys/fs/cgroup/unified/h2p-pins-${tag}`;
const logs: string[] = [];

function open(flowMapEntries: number): Datapath {
  return Datapath.open(
    { ...defaultDatapathOptions, objectPath: `${BPF_DIR}/.output/flowlens.bpf.o`, pinPath, cgroupRoot, flowMapEntries },
    new RecordDecoder(new LiveRing<RingEntry>(16)),
    () => {},
    (m) => logs.push(m),
  );
}

/** Programs attached to the test cgroup, by attach type. */
function cgroupPrograms(): string[] {
  const out = JSON.parse(execFileSync("bpftool", ["-j", "cgroup", "show", cgroupRoot], { encoding: "utf8" }) || "[]") as {
    name: string;
  }[];
  return out.map((p) => p.name).sort();
}

beforeAll(() => {
  execFileSync("make", ["-C", BPF_DIR, "-s"], { stdio: "inherit" });
  mkdirSync(cgroupRoot, { recursive: true });
});

afterAll(async () => {
  await uninstall({ pinPath, stateDir: "/nonexistent", log: () => {} });
  if (existsSync(cgroupRoot)) rmdirSync(cgroupRoot);
});

describe("pinned state across restarts", () => {
  it("reuses compatible maps, replaces an incompatible one, adopts the socket-hook links", () => {
    const first = open(4096);
    first.policyMaps().endpoints.update(u32Key(77), Buffer.alloc(12, 1));
    const linkIno = statSync(`${pinPath}/links/fl_connect4`).ino;
    expect(cgroupPrograms()).toEqual(["fl_connect4", "fl_connect6", "fl_sendmsg4", "fl_sendmsg6"]);
    first.close();
    expect(readdirSync(pinPath).sort()).toContain("fl_policy");
    expect(cgroupPrograms()).toHaveLength(4); // pinned links outlive the datapath

    logs.length = 0;
    const second = open(8192);
    try {
      expect(second.policyMaps().endpoints.lookup(u32Key(77))).toEqual(Buffer.alloc(12, 1));
      expect(logs.filter((l) => l.startsWith("pinned map"))).toEqual([
        `pinned map ${pinPath}/fl_flows replaced: the pinned map is incompatible: maxEntries 4096 pinned, 8192 wanted`,
      ]);
      expect(statSync(`${pinPath}/links/fl_connect4`).ino).toBe(linkIno); // same link, program switched in place
      expect(cgroupPrograms()).toHaveLength(4);
    } finally {
      second.close();
    }
  });
});
