// `policy apply -f FILE|DIR|-` inputs: a file, a directory's *.yaml, *.yml and *.json (sorted by
// name, not recursive), or standard input. Read here; parsed and checked by the collector.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { UsageError } from "./errors.js";

export interface InputDocument {
  source: string;
  yaml: string;
}

const POLICY_FILE = /\.(ya?ml|json)$/;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString("utf8");
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read -f ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

export async function readPolicyInputs(paths: string[], stdin: Readable | undefined): Promise<InputDocument[]> {
  const docs: InputDocument[] = [];
  for (const path of paths) {
    if (path === "-") {
      docs.push({ source: "-", yaml: stdin ? await readAll(stdin) : "" });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (e) {
      throw new UsageError(`cannot read -f ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    if (!isDir) {
      docs.push({ source: path, yaml: await readText(path) });
      continue;
    }
    const files = (await readdir(path)).filter((f) => POLICY_FILE.test(f)).sort();
    if (files.length === 0) throw new UsageError(`-f ${path}: no *.yaml, *.yml or *.json files in this directory`);
    for (const f of files) docs.push({ source: join(path, f), yaml: await readText(join(path, f)) });
  }
  return docs;
}
