import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_ROTATE_BODY_BYTES,
  parseRotateRequest,
  type RawRotateRequest,
} from "../../src/triggers/rotateRequest.js";

const config = { vaults: [{ name: "v1", url: "https://v1.vault.azure.net" }] };
const BASE = "https://app.azurewebsites.net/api/secrets";
const request = (
  over: Partial<RawRotateRequest> & { query?: string; segment?: string },
): RawRotateRequest => ({
  name: over.name ?? "my-secret",
  url: `${BASE}/${over.segment ?? over.name ?? "my-secret"}/rotate${over.query ? `?${over.query}` : ""}`,
  contentType: over.contentType === undefined ? "application/json" : over.contentType,
  body: over.body ?? "",
});
const parse = (over: Parameters<typeof request>[0]): ReturnType<typeof parseRotateRequest> =>
  parseRotateRequest(config, request(over));

describe("parseRotateRequest: what used to rotate a secret is refused", () => {
  it.each<[string, Parameters<typeof request>[0], number, string]>([
    ["a duplicate body key", { body: '{"dryRun":true,"force":true,"dryRun":false}' }, 400, "'dryRun' twice"],
    ["a duplicate query key", { query: "force=true&force=false" }, 400, "'force' more than once"],
    [
      "query and body disagreeing",
      { query: "dryRun=true", body: '{"dryRun":false,"force":true}' },
      400,
      "query and in the body",
    ],
    [
      "a body that is not JSON by its content type",
      { contentType: "text/plain", body: '{"force":true}' },
      415,
      "application/json",
    ],
    ["a body without a content type", { contentType: null, body: '{"force":true}' }, 415, "application/json"],
    ["a doubly decoded name", { name: "hx-name", segment: "%2568x-name" }, 400, "decoded more than once"],
    [
      "the name as the host decodes %2568 once",
      { name: "%68x-name", segment: "%2568x-name" },
      400,
      "secret name",
    ],
    ["malformed percent-encoding in the path", { name: "%zz", segment: "%zz" }, 400, "malformed"],
    ["malformed percent-encoding in the query", { query: "force=%zz" }, 400, "malformed"],
    ["an unknown query key", { query: "forse=true" }, 400, "forse"],
    ["an oversized body", { body: `{"vault":"${"x".repeat(MAX_ROTATE_BODY_BYTES)}"}` }, 413, "larger"],
  ])("%s", (_what, over, status, text) => {
    const parsed = parse(over);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.status).toBe(status);
    expect(parsed.detail).toContain(text);
  });

  it("accepts what is unambiguous: the same value in query and body, the function key, JSON with a charset", () => {
    expect(
      parse({
        query: "force=true&code=abc",
        body: '{"force":true}',
        contentType: "application/json; charset=utf-8",
      }),
    ).toMatchObject({ ok: true, value: { force: true, dryRun: false, secret: "my-secret" } });
    expect(parse({ contentType: "text/plain" })).toMatchObject({ ok: true });
  });
});

describe("parseRotateRequest: properties", () => {
  const field = fc.constantFrom("vault", "dryRun", "force");
  const value = fc.oneof(fc.boolean(), fc.constantFrom("true", "false", "v1"));

  it("a body naming any key twice is refused with 400, whatever the values", () => {
    fc.assert(
      fc.property(field, value, value, fc.dictionary(field, value), (key, a, b, rest) => {
        const others = Object.entries(rest)
          .filter(([k]) => k !== key)
          .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
        const body = `{${[`"${key}":${JSON.stringify(a)}`, ...others, `"${key}":${JSON.stringify(b)}`].join(",")}}`;
        const parsed = parse({ body });
        return !parsed.ok && parsed.status === 400;
      }),
    );
  });

  it("a query naming any key twice is refused with 400", () => {
    fc.assert(
      fc.property(field, fc.constantFrom("true", "false"), fc.constantFrom("true", "false"), (key, a, b) => {
        const parsed = parse({ query: `${key}=${a}&${key}=${b}` });
        return !parsed.ok && parsed.status === 400;
      }),
    );
  });

  it("a name with any character outside letters, digits and hyphens never parses, control characters included", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 0x9f }),
        (s, code) => {
          const name = `${s}${String.fromCharCode(code)}`;
          fc.pre(!/^[0-9a-zA-Z-]+$/.test(name));
          const parsed = parseRotateRequest(config, {
            name,
            url: `${BASE}/${encodeURIComponent(name)}/rotate`,
            contentType: null,
            body: "",
          });
          return !parsed.ok && parsed.status === 400;
        },
      ),
    );
  });
});
