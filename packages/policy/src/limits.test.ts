import { describe, expect, it } from "vitest";
import { labelKeyError, labelValueError } from "./labels.js";
import { POLICY_INPUT_LIMITS } from "./limits.js";
import { parsePolicyDocuments } from "./parse.js";

const policy = (name: string, ingress = 1) =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n${"    - fromEndpoints: [{matchLabels: {app: app2}}]\n".repeat(ingress)}`;

describe("policy input limits", () => {
  it("refuses YAML aliases with the line of the first one (an alias bomb costs nothing)", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
    // Refused before expansion (bench/cpu-bounds.ts measures how long that takes).
    const r = parsePolicyDocuments([{ source: "bomb.yaml", text: bomb }]);
    expect(r.policies).toEqual([]);
    expect(r.errors).toEqual([
      { source: "bomb.yaml", path: "", line: 2, message: "YAML aliases (*a) are not accepted in policies: write the value out" },
    ]);

    const sel = policy("p")
      .replace("matchLabels: {app: app1}", "matchLabels: &sel {app: app1}")
      .replace("{matchLabels: {app: app2}}", "{matchLabels: *sel}");
    expect(parsePolicyDocuments([{ source: "p.yaml", text: sel }]).errors.map((e) => e.message)).toEqual([
      "YAML aliases (*sel) are not accepted in policies: write the value out",
    ]);
  });

  it("refuses an input over the byte limit before parsing it", () => {
    const docs = [
      { source: "a.yaml", text: policy("a") },
      { source: "b.yaml", text: `# ${"x".repeat(POLICY_INPUT_LIMITS.bytes)}\n${policy("b")}` },
    ];
    const r = parsePolicyDocuments(docs);
    expect(r.policies).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].source).toBe("a.yaml, b.yaml");
    expect(r.errors[0].message).toMatch(/^policy input of at least \d+ bytes is over the limit of 2097152 bytes: apply it in parts$/);
    // Multi-byte text is counted in UTF-8 bytes.
    const small = { bytes: 1000, policies: 10, rules: 10 };
    const wide = `# ${"é".repeat(450)}\n${policy("c")}`;
    expect(wide.length).toBeLessThan(1000);
    expect(parsePolicyDocuments([{ source: "c.yaml", text: wide }], small).errors[0].message).toMatch(
      /^policy input of \d+ bytes is over the limit of 1000 bytes/,
    );
  });

  it("refuses more policies or rules than the limits", () => {
    const limits = { bytes: 1 << 20, policies: 3, rules: 5 };
    const four = [1, 2, 3, 4].map((i) => policy(`p${i}`)).join("---\n");
    expect(parsePolicyDocuments([{ source: "four.yaml", text: four }], limits).errors.map((e) => e.message)).toEqual([
      "4 policies in one input is over the limit of 3: apply them in parts",
    ]);
    const rules = `${policy("a", 3)}---\n${policy("b", 3)}`;
    expect(parsePolicyDocuments([{ source: "r.yaml", text: rules }], limits).errors.map((e) => e.message)).toEqual([
      "6 rules in one input is over the limit of 5: apply them in parts",
    ]);
    const ok = parsePolicyDocuments([{ source: "ok.yaml", text: `${policy("a", 2)}---\n${policy("b", 3)}` }], limits);
    expect(ok.errors).toEqual([]);
    expect(ok.policies).toHaveLength(2);
  });
});

describe("label syntax (Kubernetes)", () => {
  it.each([
    "app",
    "a",
    "app.kubernetes.io/name",
    "io.kubernetes.pod.namespace",
    "A-b_c.D",
    `${"x".repeat(63)}`,
    `${"a".repeat(253)}/n`,
    "example.com/Some_Name-1",
  ])("key %s is valid", (k) => expect(labelKeyError(k)).toBeUndefined());

  it.each([
    "",
    "-app",
    "app-",
    "_a",
    `${"x".repeat(64)}`,
    `${"a".repeat(254)}/n`,
    "Example.com/name",
    "example..com/name",
    "/name",
    "example.com/",
    "a/b/c",
    "app name",
    "app\n",
    "app=1",
    "é",
  ])("key %j is refused", (k) => expect(labelKeyError(k)).toMatch(/is not a valid label key/));

  it.each(["", "v", "v1.2-3_x", "x".repeat(63)])("value %j is valid", (v) => expect(labelValueError(v)).toBeUndefined());
  it.each(["-v", "v-", "x".repeat(64), "a b", "a/b", "a\n"])("value %j is refused", (v) =>
    expect(labelValueError(v)).toMatch(/is not a valid label value/),
  );
});
