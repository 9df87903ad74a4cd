import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readBearerToken } from "../../../local/keyvault/bearerToken.js";
import { KeyVaultError } from "../../../local/keyvault/keyVaultError.js";
import {
  decodeSkipToken,
  encodeSkipToken,
  parseMaxResults,
  parseSetBody,
  parseUpdateBody,
} from "../../../local/keyvault/requestParsers.js";
import { SortedKeys } from "../../../local/keyvault/sortedKeys.js";

/** Outside input never crashes the emulator: it is answered, or refused with a KeyVaultError. */
function answersOrRefuses(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyVaultError);
    expect((error as KeyVaultError).status).toBe(400);
  }
}

describe("emulator parsers of outside input", () => {
  it("request bodies are parsed or refused with 400, never a crash", () => {
    fc.assert(
      fc.property(fc.anything(), (body) => {
        answersOrRefuses(() => parseSetBody(body));
        answersOrRefuses(() => parseUpdateBody(body));
      }),
    );
  });

  it("maxresults accepts exactly 1 to 25", () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const n = Number(raw);
        if (Number.isInteger(n) && n >= 1 && n <= 25) expect(parseMaxResults(raw)).toBe(n);
        else answersOrRefuses(() => parseMaxResults(raw));
      }),
    );
  });

  it("skip tokens round-trip and forged ones are refused", () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        expect(decodeSkipToken(encodeSkipToken(key))).toBe(key);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (raw) => {
        answersOrRefuses(() => decodeSkipToken(raw));
      }),
    );
  });

  it("bearer tokens never throw, whatever the header", () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (header) => {
        const result = readBearerToken(header, Date.now());
        expect(typeof result === "string" || typeof result.identity === "string").toBe(true);
      }),
    );
  });

  it("SortedKeys pages like a sorted array", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 4 }))),
        fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
        fc.integer({ min: 1, max: 30 }),
        (ops, after, count) => {
          const keys = new SortedKeys();
          const model = new Set<string>();
          for (const [add, key] of ops) {
            if (add) {
              keys.add(key);
              model.add(key);
            } else {
              keys.delete(key);
              model.delete(key);
            }
          }
          const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const expected = sorted.filter((k) => after === undefined || k > after).slice(0, count);
          expect(keys.page(after, count)).toEqual(expected);
          expect(keys.size).toBe(model.size);
        },
      ),
    );
  });
});
