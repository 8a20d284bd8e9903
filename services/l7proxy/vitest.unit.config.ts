// The unit tier (npm run test:unit): src/ only; test/ serves real pods through tc redirects (root and
// the kernel), so only `npm test` runs it.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ ...base, test: { ...base.test, include: ["src/**/*.test.ts"] } });
