// Finds where test, bench and demo files name the production pin path or state dir. The paths come
// from the collector's own defaults, so this check follows them if they ever move.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_PIN_PATH, DEFAULT_STATE_DIR } from "../../services/collector/dist/config.js";

/** A production path not followed by a name character: "/sys/fs/bpf/flowlens-test-1" is not one. */
export const PRODUCTION_PATH = new RegExp(
  `(${[DEFAULT_PIN_PATH, DEFAULT_STATE_DIR].map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})(?![\\w-])`,
);

/** Files that may name them, and why. */
export const ALLOWED: Record<string, string> = {
  "services/collector/src/config.test.ts": "asserts the flags' defaults; it only parses argv",
};

const SKIP_DIRS = new Set(["node_modules", "dist", ".cache", ".output", ".git", ".turbo"]);
/** Whole trees that are tests, benches or the demo. */
const TEST_TREES = [/^test\//, /^bench\//, /^services\/[^/]+\/(test|bench)\//, /^bpf\/libbpf-ts\/test\//, /^infra\/demo\//];
/** Single files of that kind elsewhere. */
const TEST_FILES = [
  /\.test\.[cm]?[jt]s$/,
  /testkit[^/]*\.[cm]?[jt]s$/,
  /^scripts\/(demo|demo-pins|cleanup|cleanup-pins|pods|test-all)\.sh$/,
  /^bench\//,
];

export function isTestFile(rel: string): boolean {
  return TEST_TREES.some((r) => r.test(rel)) || TEST_FILES.some((r) => r.test(rel));
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) yield* walk(path);
    else if (st.isFile()) yield path;
  }
}

export interface Hit {
  file: string;
  line: number;
  text: string;
}

/** Every line of a test, bench or demo file under root that names a production path. */
export function productionPathHits(root: string): { hits: Hit[]; scanned: number } {
  const hits: Hit[] = [];
  let scanned = 0;
  for (const path of walk(root)) {
    const rel = relative(root, path);
    if (!isTestFile(rel) || rel in ALLOWED) continue;
    scanned++;
    readFileSync(path, "utf8")
      .split("\n")
      .forEach((text, i) => {
        if (PRODUCTION_PATH.test(text)) hits.push({ file: rel, line: i + 1, text: text.trim() });
      });
  }
  return { hits, scanned };
}
