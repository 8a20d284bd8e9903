import { defineConfig } from "vitest/config";

// test/ runs the built CLI against the real flowlens-api and ClickHouse (harness).
export default defineConfig({
  test: { include: ["src/**/*.test.ts", "test/**/*.test.ts"], testTimeout: 20_000, hookTimeout: 120_000 },
});
