// Route and unit tests live beside the code (fakes); test/ runs the API against a real ClickHouse.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
