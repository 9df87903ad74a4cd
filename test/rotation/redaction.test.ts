import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/rotation/redaction.js";

describe("Redactor", () => {
  it.each(["a", "ab1", "5char", "x'y", 'q"z'])("removes a known value of any length: %s", (value) => {
    const r = new Redactor();
    r.add(value);
    const echoed = `target said: bad password ${value} (also as ${JSON.stringify(value)} and '${value.replaceAll("'", "''")}')`;
    expect(r.scrub(echoed)).not.toContain(value);
  });

  it("keeps longer values whole and never scans its own marker again", () => {
    const r = new Redactor();
    r.add("Long-secret-value-1", "D");
    expect(r.scrub("Long-secret-value-1 then D")).toBe("[REDACTED] then [REDACTED]");
  });
});
