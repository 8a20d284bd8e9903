import { defineConfig } from "vitest/config";

// Behaviour tests create netns pods and real processes: one file at a time, in child processes.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: "forks",
  },
});
