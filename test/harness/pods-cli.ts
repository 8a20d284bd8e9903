// Command line behind scripts/pods.sh: up/down/status for the pods described in a pods YAML file.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupPrefix, createPods, leftovers } from "./pods.js";
import { DEMO_PODS_FILE, loadPodsFile } from "./topology.js";

const USAGE = "usage: pods.sh up|down|status [--file pods.yaml] [--out DIR]   (down also takes --prefix P)";

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith("--")) throw new Error(`pods: ${name} needs a value`);
  return value;
}

/** Shell-sourceable facts about the pods, for scripts (POD_<NAME>_IPV4=..., POD_<NAME>_NETNS=...). */
function envFile(pods: Awaited<ReturnType<typeof createPods>>): string {
  const lines = [
    `PODS_PREFIX=${pods.prefix}`,
    `PODS_BRIDGE=${pods.bridge}`,
    `PODS_HOST_IPV4=${pods.hostIpv4}`,
    `PODS_HOST_IPV6=${pods.hostIpv6}`,
  ];
  for (const p of pods.pods) {
    const key = `POD_${p.name.toUpperCase().replace(/-/g, "_")}`;
    lines.push(`${key}_NETNS=${p.netns}`, `${key}_IF=${p.hostIf}`, `${key}_IPV4=${p.ipv4}`, `${key}_IPV6=${p.ipv6}`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  const file = flag(args, "--file") ?? DEMO_PODS_FILE;
  switch (cmd) {
    case "up": {
      const spec = loadPodsFile(file);
      const out = flag(args, "--out") ?? `/run/flowlens-${spec.prefix}`;
      mkdirSync(out, { recursive: true });
      const pods = await createPods(spec, {
        keep: true,
        endpointsFile: join(out, "endpoints.yaml"),
      });
      writeFileSync(join(out, "pods.env"), envFile(pods));
      for (const p of pods.pods) {
        console.log(`pod ${p.namespace}/${p.name}: netns ${p.netns}, veth ${p.hostIf}, ${p.ipv4} ${p.ipv6}`);
      }
      console.log(`endpoints file: ${pods.endpointsFile}`);
      return;
    }
    case "down": {
      const prefix = flag(args, "--prefix") ?? loadPodsFile(file).prefix;
      await cleanupPrefix(prefix);
      if (!flag(args, "--prefix"))
        rmSync(flag(args, "--out") ?? `/run/flowlens-${prefix}`, {
          recursive: true,
          force: true,
        });
      console.log(`pods with prefix ${prefix} removed`);
      return;
    }
    case "status": {
      const prefix = flag(args, "--prefix") ?? loadPodsFile(file).prefix;
      const left = await leftovers(prefix);
      console.log(left.length ? left.join("\n") : `no pods with prefix ${prefix}`);
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
