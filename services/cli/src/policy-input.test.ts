import { describe, expect, it } from "vitest";
import { EXIT_USAGE, exitCodeOf, UsageError } from "./errors.js";
import { readPolicyInputs } from "./policy-input.js";

describe("readPolicyInputs", () => {
  it("a file that cannot be read is a usage error that names it and keeps the system error as its cause", async () => {
    const err = await readPolicyInputs(["/nonexistent/p.yaml"], undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("cannot read -f /nonexistent/p.yaml: ENOENT");
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(exitCodeOf(err)).toBe(EXIT_USAGE);
  });
});
