// The admin socket's file: a directory only the collector's user can enter (0700) and a socket
// only it can open (0600), so file permissions decide who may change policy and endpoints.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";

export class AdminSocketError extends Error {
  override readonly name = "AdminSocketError";
}

const mode = (m: number) => `0${(m & 0o777).toString(8)}`;

/** Creates the socket's directory (0700) or checks an existing one is private to this user. */
export function prepareAdminDir(path: string, uid = process.getuid?.() ?? 0): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AdminSocketError(`--admin-socket ${path}: create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new AdminSocketError(`--admin-socket ${path}: ${dir} is not a directory (a symlink?)`);
  if (st.uid !== uid)
    throw new AdminSocketError(`--admin-socket ${path}: ${dir} is owned by uid ${st.uid}, not by the collector's uid ${uid}`);
  if (st.mode & 0o077)
    throw new AdminSocketError(
      `--admin-socket ${path}: ${dir} has mode ${mode(st.mode)}; the admin socket needs a directory of its own that only its owner can enter (mode 0700)`,
    );
}

/** Removes a socket file left by a collector that is gone; refuses when one still answers on it. */
export async function removeStaleSocket(path: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new AdminSocketError(`--admin-socket ${path}: the path exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
  if (live) throw new AdminSocketError(`--admin-socket ${path}: another process serves this socket (a collector already running?)`);
  unlinkSync(path);
}

/** After bind: only the owner may connect (the directory already keeps others out). */
export function restrictSocket(path: string): void {
  chmodSync(path, 0o600);
}
