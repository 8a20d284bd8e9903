import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { checkReadOnlySql } from "./sql-guard.js";

const refused = (q: string) => {
  try {
    checkReadOnlySql(q);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return (e as ApiError).detail;
  }
  throw new Error(`accepted: ${q}`);
};

describe("checkReadOnlySql", () => {
  it("passes a SELECT and a WITH … SELECT, without a trailing ; or FORMAT JSON", () => {
    expect(checkReadOnlySql("SELECT 1")).toBe("SELECT 1");
    expect(checkReadOnlySql("SELECT count() FROM flowlens.flows;  ")).toBe("SELECT count() FROM flowlens.flows");
    expect(checkReadOnlySql("WITH 1 AS x SELECT x FORMAT JSON")).toBe("WITH 1 AS x SELECT x");
    expect(checkReadOnlySql("SELECT name FROM system.settings WHERE name = 'readonly'")).toContain("system.settings");
  });
  it("does not see keywords inside strings, quoted names or comments", () => {
    expect(checkReadOnlySql("SELECT 'DROP TABLE x; INSERT' AS `set` -- ; DELETE\n")).toContain("'DROP TABLE x; INSERT'");
    expect(checkReadOnlySql("SELECT /* ; ALTER */ 1")).toBe("SELECT /* ; ALTER */ 1");
  });
  it.each([
    ["SELECT 1; SELECT 2", /one statement/],
    ["SELECT 1; DROP TABLE flowlens.flows", /one statement/],
    ["INSERT INTO flowlens.flows SELECT * FROM flowlens.flows", /only SELECT.*INSERT/],
    ["DROP TABLE flowlens.flows", /only SELECT.*DROP/],
    ["ALTER TABLE flowlens.flows DELETE WHERE 1", /only SELECT.*ALTER/],
    ["SET readonly = 0", /only SELECT.*SET/],
    ["SYSTEM SHUTDOWN", /only SELECT.*SYSTEM/],
    ["SELECT 1 SETTINGS readonly = 0", /SETTINGS is not allowed/],
    ["SELECT * FROM flowlens.flows INTO OUTFILE '/tmp/x'", /INTO/],
    ["SELECT 1 FORMAT TabSeparated", /FORMAT TabSeparated/],
    ["SELECT * FROM file('/etc/passwd', 'CSV', 'a String')", /file\(\)/],
    ["SELECT * FROM url('http://x/', CSV, 'a String')", /url\(\)/],
    ["SELECT * FROM remote('127.0.0.1', system.one)", /remote\(\)/],
    ["SELECT 'unterminated", /unterminated/],
    ["", /only SELECT is allowed, got nothing/],
  ])("refuses %j", (q, why) => {
    expect(refused(q)).toMatch(why);
  });
  it("refuses text over the size limit", () => {
    expect(refused(`SELECT ${"1+".repeat(40_000)}1`)).toMatch(/longer than/);
  });
});
