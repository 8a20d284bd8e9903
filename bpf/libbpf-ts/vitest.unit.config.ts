// The unit tier (npm run test:unit): the facade's tests on the fake binding; test/ loads real programs
// into the kernel (root), so only `npm test` runs it.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ ...base, test: { ...base.test, include: ["lib/**/*.test.ts"] } });
