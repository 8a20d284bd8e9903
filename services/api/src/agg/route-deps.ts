// What the aggregation routes are given by createApi.
import type { FilterCompiler } from "../filter-compiler.js";
import type { ApiStore } from "../store.js";
import type { TableInfo } from "./table-picker.js";

export interface AggDeps {
  store: ApiStore;
  filters: FilterCompiler;
  clock: () => Date;
  /** tables, resolutions and retention the picker chooses from */
  tables: TableInfo[];
}

/** Largest number of rows one aggregation query may return. */
export const MAX_AGG_ROWS = 200_000;

export const iso = (s: number) => new Date(s * 1000).toISOString();
export const num = (v: unknown) => Number(v ?? 0);
