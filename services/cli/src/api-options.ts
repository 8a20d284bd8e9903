// --api/--token/--token-file: where flowlens-api is and the bearer token for it (a file or $FLOWLENS_API_TOKEN
// keeps the token out of `ps`; --token on argv is for quick tries).
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { UsageError } from "./errors.js";

export const API_DEFAULT = "http://127.0.0.1:4280";

export interface ApiOpts {
  api?: string;
  token?: string;
  tokenFile?: string;
}

export interface ApiTarget {
  /** Base URL without a trailing slash. */
  url: string;
  token?: string;
}

export function addApiOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--api <url>", `flowlens-api base URL (default ${API_DEFAULT}, or $FLOWLENS_API)`))
    .addOption(new Option("--token-file <path>", "file holding the API's bearer token (preferred: not visible in ps)"))
    .addOption(new Option("--token <token>", "the API's bearer token (visible in ps: prefer --token-file or $FLOWLENS_API_TOKEN)"));
}

/** The API's URL and token from flags, then environment: --token, --token-file, $FLOWLENS_API_TOKEN. */
export function resolveApi(opts: ApiOpts, env: Record<string, string | undefined>): ApiTarget {
  const raw = opts.api ?? (env.FLOWLENS_API || API_DEFAULT);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid --api "${raw}": use a URL like ${API_DEFAULT}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`invalid --api "${raw}": use http:// or https://`);
  return { url: url.href.replace(/\/+$/, ""), token: opts.token ?? tokenFromFile(opts.tokenFile) ?? (env.FLOWLENS_API_TOKEN || undefined) };
}

function tokenFromFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --token-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  if (!token) throw new UsageError(`--token-file ${path} holds no token`);
  return token.trim();
}
