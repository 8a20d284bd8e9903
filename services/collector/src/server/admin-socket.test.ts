import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareAdminDir, removeStaleSocket, restrictSocket } from "./admin-socket.js";

let tmp: string;
const servers: Server[] = [];
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "flowlens-admin-sock-"));
});
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  rmSync(tmp, { recursive: true, force: true });
});

const listen = (path: string) =>
  new Promise<Server>((resolve) => {
    const s = createServer();
    servers.push(s);
    s.listen(path, () => resolve(s));
  });

describe("admin socket file", () => {
  it("creates a missing directory with mode 0700", () => {
    const path = join(tmp, "run", "flowlens", "admin.sock");
    prepareAdminDir(path);
    expect(statSync(join(tmp, "run", "flowlens")).mode & 0o777).toBe(0o700);
  });
  it("refuses a directory others can enter (e.g. /run itself)", () => {
    const dir = join(tmp, "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(() => prepareAdminDir(join(dir, "admin.sock"))).toThrow(/has mode 0755; .*0700/);
  });
  it("refuses a directory owned by another user", () => {
    expect(() => prepareAdminDir(join(tmp, "admin.sock"), 12345)).toThrow(/owned by uid \d+, not by the collector's uid 12345/);
  });
  it("removes a stale socket, refuses a live one and a non-socket file", async () => {
    const path = join(tmp, "admin.sock");
    const live = await listen(path);
    await expect(removeStaleSocket(path)).rejects.toThrow(/another process serves this socket/);
    await new Promise<void>((r) => live.close(() => r()));
    // A collector killed without unlinking leaves a socket file nobody listens on.
    execFileSync("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]);
    expect(statSync(path).isSocket()).toBe(true);
    await removeStaleSocket(path);
    expect(existsSync(path)).toBe(false);
    writeFileSync(join(tmp, "plain"), "");
    await expect(removeStaleSocket(join(tmp, "plain"))).rejects.toThrow(/not a socket/);
    await expect(removeStaleSocket(join(tmp, "missing.sock"))).resolves.toBeUndefined();
  });
  it("restricts the socket to its owner (0600)", async () => {
    const path = join(tmp, "admin.sock");
    await listen(path);
    restrictSocket(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
