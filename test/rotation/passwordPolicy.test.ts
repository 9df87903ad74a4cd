import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generatePassword, satisfiesPolicy, type PasswordPolicy } from "../../src/rotation/passwordPolicy.js";
import { postgresRotator } from "../../src/rotators/postgres.js";

describe("password policy", () => {
  it("always meets the policy it is given, never using an excluded character", () => {
    const classes = fc.subarray(["lower", "upper", "digit", "symbol"] as const, { minLength: 1 });
    fc.assert(
      fc.property(
        classes,
        fc.integer({ min: 4, max: 128 }),
        fc.stringMatching(/^[!#$%&()*+,\-.;<=>?^_{|}~a-z]{0,6}$/),
        (require, length, exclude) => {
          const policy: PasswordPolicy = { length, require, exclude };
          let value: string;
          try {
            value = generatePassword(policy);
          } catch (error) {
            // Only a policy that excludes a whole class may be refused.
            expect(String(error)).toContain("excludes every character");
            return;
          }
          expect(satisfiesPolicy(value, policy)).toBe(true);
          for (const c of exclude) expect(value).not.toContain(c);
        },
      ),
    );
  });

  it("keeps PostgreSQL's troublesome characters out", () => {
    for (let i = 0; i < 200; i += 1)
      expect(generatePassword(postgresRotator.passwordPolicy as PasswordPolicy)).not.toMatch(/[:/@"'\\`]/);
  });

  it("does not repeat itself", () => {
    const seen = new Set(
      Array.from({ length: 1000 }, () => generatePassword({ length: 24, require: ["lower", "digit"] })),
    );
    expect(seen.size).toBe(1000);
  });

  it("refuses impossible policies", () => {
    expect(() => generatePassword({ length: 2, require: ["lower", "upper", "digit"] })).toThrow();
    expect(() => generatePassword({ length: 10, require: ["digit"], exclude: "0123456789" })).toThrow(
      /excludes every character/,
    );
  });
});
