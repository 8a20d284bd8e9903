// The unit tier (npm run test:unit): every test here but those that need root and the kernel, which only
// `npm test` runs. Matched by file name, so a file keeps its tier when it moves.
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.js";

const NEEDS_ROOT_AND_KERNEL = [
  "**/fail-closed-tc.test.ts", // loads the BPF object and attaches tc programs
  "**/policy-tc.test.ts", // loads the BPF object and runs its tc programs
  "**/policy-netns.test.ts", // bridges, veths and network namespaces
  "**/pins.test.ts", // pins in bpffs, cgroups under /sys/fs/cgroup
  "**/l7-supervisor.test.ts", // starts the L7 proxy for netns pods
];

export default defineConfig({ ...base, test: { ...base.test, exclude: [...configDefaults.exclude, ...NEEDS_ROOT_AND_KERNEL] } });
