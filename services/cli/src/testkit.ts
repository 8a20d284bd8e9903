// Test helpers: run the CLI in-process with captured stdout/stderr, and spawn the built bin.
import { spawn } from "node:child_process";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { run } from "./main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessRun {
  /** Resolves when the command returns. */
  done: Promise<CliResult>;
  /** Everything printed to stdout so far. */
  stdout(): string;
  /** Simulates Ctrl-C. */
  interrupt(): void;
}

/** `stdin`: what the command reads from standard input (`-f -`). */
export function startCli(argv: string[], env: Record<string, string | undefined> = {}, stdin?: string): InProcessRun {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const ac = new AbortController();
  const input = stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]);
  const done = run(argv, { stdin: input, stdout, stderr, env, signal: ac.signal }).then((code) => ({ code, stdout: out, stderr: err }));
  return { done, stdout: () => out, interrupt: () => ac.abort() };
}

export function runCli(argv: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliResult> {
  return startCli(argv, env, stdin).done;
}

export const BIN = fileURLToPath(new URL("../bin/flowlens.js", import.meta.url));

/** Runs the built `flowlens` binary as a user would. */
export function spawnCli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: { ...process.env, FLOWLENS_SERVER: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
