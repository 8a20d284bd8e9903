// Table cases for the uuid filter.
import type { FilterCaseTable } from "./types.js";
import { uuidFilter } from "./uuid.js";

export const uuidCases: FilterCaseTable = {
  builder: uuidFilter,
  cases: [
    { name: "listed uuid", filter: { uuid: ["a", "b"] }, flow: { uuid: "b" }, match: true },
    { name: "other uuid", filter: { uuid: ["a"] }, flow: { uuid: "c" }, match: false },
  ],
  invalid: [],
};
