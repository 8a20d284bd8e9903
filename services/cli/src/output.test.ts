// Number and age formatting used by status and list.
import { describe, expect, it } from "vitest";
import { formatAge, formatCount, renderTable } from "./output.js";

const S = 1_000_000_000n;

describe("output helpers", () => {
  it("formatAge follows kubectl's steps", () => {
    expect(formatAge(45n * S)).toBe("45s");
    expect(formatAge(330n * S)).toBe("5m30s");
    expect(formatAge(600n * S)).toBe("10m");
    expect(formatAge(7200n * S)).toBe("120m");
    expect(formatAge((3n * 3600n + 240n) * S)).toBe("3h4m");
    expect(formatAge(20n * 3600n * S)).toBe("20h");
    expect(formatAge(53n * 3600n * S)).toBe("2d5h");
    expect(formatAge(30n * 86400n * S)).toBe("30d");
  });
  it("formatCount groups thousands", () => {
    expect(formatCount(16380n)).toBe("16,380");
    expect(formatCount(7)).toBe("7");
  });
  it("renderTable pads columns by three spaces", () => {
    expect(renderTable(["A", "BB"], [["xxxx", "y"]])).toBe("A      BB\nxxxx   y\n");
  });
});
