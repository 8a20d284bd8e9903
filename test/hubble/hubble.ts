// Locates and runs the real `hubble` CLI (built by scripts/install-hubble.sh) for end-to-end tests.
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { type RunResult, run } from "@flowlens/test-harness/run";
import { REPO_ROOT } from "@flowlens/test-harness/topology";

export const HUBBLE_BIN = process.env.HUBBLE_BIN ?? resolve(REPO_ROOT, ".cache/bin/hubble");

/** Throws one line telling how to install hubble when the binary is missing (never a silent skip). */
export function requireHubble(): string {
  try {
    accessSync(HUBBLE_BIN, constants.X_OK);
  } catch {
    throw new Error(`hubble CLI not found at ${HUBBLE_BIN}: run scripts/install-hubble.sh (builds it from the Go module proxy)`);
  }
  return HUBBLE_BIN;
}

/** Runs `hubble <args>` to completion; never rejects on a non-zero exit (check code). */
export function runHubble(args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run([requireHubble(), ...args], { allowFail: true, timeoutMs });
}

/** Runs hubble and returns stdout, failing with hubble's own last error line when it exits non-zero. */
export async function hubbleOk(args: string[]): Promise<string> {
  const r = await runHubble(args);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n").pop() || `exit ${r.code}`;
    throw new Error(`hubble ${args.join(" ")}: ${why}`);
  }
  return r.stdout;
}

/** One parsed object per non-empty line (hubble -o json / flowlens -o json print one message a line). */
export const jsonLines = (out: string): Record<string, unknown>[] =>
  out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
