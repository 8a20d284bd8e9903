// Tiny flag parser shared by the bench scripts: --name value / --flag, numbers where the default is one.

/** Parses argv against defaults; unknown flags exit with one line naming the accepted ones. */
export function parseFlags(defaults, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argv[i]);
    const key = m?.[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!m || !(key in defaults)) {
      const names = Object.keys(defaults).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      console.error(`unknown flag ${argv[i]}; accepted: ${names.join(" ")}`);
      process.exit(2);
    }
    if (typeof defaults[key] === "boolean") {
      out[key] = m[2] === undefined ? true : m[2] !== "false";
      continue;
    }
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) {
      console.error(`flag --${m[1]} needs a value`);
      process.exit(2);
    }
    out[key] = typeof defaults[key] === "number" ? Number(raw) : raw;
    if (typeof defaults[key] === "number" && !Number.isFinite(out[key])) {
      console.error(`flag --${m[1]} needs a number, got "${raw}"`);
      process.exit(2);
    }
  }
  return out;
}

/** One machine-readable result line that bench/run-all.sh collects: RESULT metric|measured|target|pass. */
export function result(metric, measured, target, pass) {
  console.log(`RESULT ${metric}|${measured}|${target}|${pass ? "pass" : "FAIL"}`);
}

export const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
