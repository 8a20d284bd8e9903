// Runs host commands for the harness: awaited with captured output, or synchronously for exit-time cleanup.
import { execFileSync, spawn } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the non-zero exit code instead of rejecting. */
  allowFail?: boolean;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv[0] with the rest as arguments; rejects with one line (command, code, stderr) on failure. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const stdin = opts.input === undefined ? "ignore" : "pipe";
    const child = spawn(file, args, {
      stdio: [stdin, "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`run ${argv.join(" ")}: ${err.message}`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !opts.allowFail) {
        const why = signal ? `killed by ${signal}` : `exit ${result.code}`;
        reject(new Error(`${argv.join(" ")}: ${why}: ${stderr.trim().split("\n").pop() ?? ""}`));
      } else resolve(result);
    });
    if (child.stdin) {
      child.stdin.on("error", () => {}); // the command may exit before reading its input
      child.stdin.end(opts.input);
    }
  });
}

/** Synchronous variant for process-exit cleanup; never throws, returns stdout ("" on failure). */
export function runSync(argv: string[]): string {
  const [file, ...args] = argv;
  try {
    return execFileSync(file, args, {
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).toString();
  } catch {
    return "";
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls check() until it returns a truthy value or timeoutMs passes; the error names what was awaited. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
