// The unit tier (npm run test:unit): everything but the end-to-end file, which starts a real ClickHouse server.
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.js";

const NEEDS_CLICKHOUSE_SERVER = ["**/*.e2e.test.ts"];

export default defineConfig({ ...base, test: { ...base.test, exclude: [...configDefaults.exclude, ...NEEDS_CLICKHOUSE_SERVER] } });
