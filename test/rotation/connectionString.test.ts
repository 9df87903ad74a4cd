import { parse as tediousParse } from "@tediousjs/connection-string";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RotationError } from "../../src/errors.js";
import { encodeConnectionStringValue, parseConnectionString } from "../../src/rotation/connectionString.js";
import { extractCredential, replaceCredential } from "../../src/rotation/secretValue.js";

const TYPE = "application/x-connection-string";
const refused = (text: string): string => {
  try {
    parseConnectionString(text, "s");
  } catch (error) {
    expect(error).toBeInstanceOf(RotationError);
    expect((error as Error).message).not.toContain("CANARY");
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
};

describe("connection strings by their grammar", () => {
  it("quoted values may hold ';', keys are case-insensitive, and the credential is replaced in place", () => {
    const value = `Server=tcp:x,1433;User ID=app;PASSWORD="CANARY;with ""quotes""";Encrypt=true`;
    expect(extractCredential(value, TYPE, "s")).toBe('CANARY;with "quotes"');
    expect(replaceCredential(value, TYPE, "s", "new;one")).toBe(
      `Server=tcp:x,1433;User ID=app;PASSWORD="new;one";Encrypt=true`,
    );
    expect(replaceCredential("Pwd=old; Database=d", TYPE, "s", "plain")).toBe("Pwd=plain; Database=d");
    expect(extractCredential("Password={CANARY}}x};Uid=a", TYPE, "s")).toBe("CANARY}x");
  });

  it.each([
    ["a key twice", "Password=CANARY-1;password=CANARY-2", "twice"],
    ["Password and Pwd", "Password=CANARY-1;Pwd=CANARY-2", "'password' and 'pwd'"],
    ["User ID and Uid", "User ID=a;Uid=b;Password=CANARY", "mean the same"],
    ["a part without '='", "Server=x;CANARY-orphan;Password=p", "has no '='"],
    ["an unclosed quote", 'Password="CANARY', "closing quote"],
    ["text after a quote", 'Password="CANARY"x;Server=s', "after its closing quote"],
  ])("refuses %s, without quoting the value", (_what, text, message) => {
    expect(refused(text)).toContain(message);
  });

  it("reads every well-formed string as tedious does (mssql's own parser), and round-trips values", () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,8}[A-Za-z]$/);
    const value = fc.string({ minLength: 1, maxLength: 16 }).filter((v) => !/^\s|\s$/.test(v));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k.toLowerCase(), maxLength: 5 }),
        (pairs) => {
          fc.pre(
            !pairs.some(([k]) =>
              ["pwd", "uid", "user", "server", "database", "address", "addr"].includes(k.toLowerCase()),
            ),
          );
          const text = pairs.map(([k, v]) => `${k}=${encodeConnectionStringValue(v)}`).join(";");
          const ours = Object.fromEntries(parseConnectionString(text, "s").map((p) => [p.key, p.value]));
          const theirs = Object.fromEntries([...tediousParse(text)]);
          expect(ours).toEqual(theirs);
          expect(ours).toEqual(Object.fromEntries(pairs.map(([k, v]) => [k.toLowerCase(), v])));
        },
      ),
      {
        numRuns: 1000,
        examples: [
          [[["Key", "=("]]],
          [[["Key", " x"]]],
          [
            [
              ["Key", 'a;"b'],
              ["Other", "{c}"],
            ],
          ],
        ],
      },
    );
  });
});
