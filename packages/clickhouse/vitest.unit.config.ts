// The unit tier (npm run test:unit): everything but the store, whose tests start a real ClickHouse server
// (only `npm test` runs them).
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.js";

const NEEDS_CLICKHOUSE_SERVER = ["**/store.test.ts"];

export default defineConfig({ ...base, test: { ...base.test, exclude: [...configDefaults.exclude, ...NEEDS_CLICKHOUSE_SERVER] } });
