// The unit tier (npm run test:unit): route tests on a fake store and compiler; test/ needs a real ClickHouse.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ ...base, test: { ...base.test, include: ["src/**/*.test.ts"] } });
