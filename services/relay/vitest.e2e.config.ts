// End-to-end suites of the relay: real collectors on real pods (root), one file at a time in child processes.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/**/*.e2e.test.ts"], pool: "forks", fileParallelism: false, testTimeout: 90_000, hookTimeout: 90_000 },
});
