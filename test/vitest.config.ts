// End-to-end suites: real pods and daemons, so files run one at a time in child processes (never threads).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // The harness is a workspace of its own (@flowlens/test-harness) that runs its own tests.
    exclude: ["**/node_modules/**", "harness/**"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
