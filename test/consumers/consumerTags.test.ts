import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authorizeConsumers } from "../../src/consumers/authorizeConsumers.js";
import { MAX_CONSUMERS, parseConsumers } from "../../src/consumers/consumerTags.js";
import { RotationError, SecretTagError } from "../../src/errors.js";

const SUB = "11111111-2222-3333-4444-555555555555";
const parse = (tags: Record<string, string>) => parseConsumers(tags, "orders-db", SUB);

function tagError(fn: () => unknown): SecretTagError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretTagError) return error;
    throw error;
  }
  throw new Error("expected a SecretTagError");
}

describe("Consumers tags", () => {
  it("resolves short forms against the subscription, over several tags", () => {
    const consumers = parse({
      Consumers: "site:rg-web/orders-api, site:rg-web/orders-worker",
      Consumers2: "site:Other_RG(1)/billing",
    });
    expect(consumers).toEqual([
      {
        kind: "site",
        label: "site:rg-web/orders-api",
        id: `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/orders-api`,
      },
      {
        kind: "site",
        label: "site:rg-web/orders-worker",
        id: `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/orders-worker`,
      },
      {
        kind: "site",
        label: "site:Other_RG(1)/billing",
        id: `/subscriptions/${SUB}/resourceGroups/Other_RG(1)/providers/Microsoft.Web/sites/billing`,
      },
    ]);
  });

  it("names none without the tags (no subscription needed)", () => {
    expect(parseConsumers({ CredentialId: "x" }, "s", undefined)).toEqual([]);
  });

  it.each([
    ["Consumers", "site:rg/app\u0000", "control character"],
    ["Consumers", "site:rg/app\nsite:rg/b", "control character"],
    ["Consumers", "web:rg/app", "kind one of site, apim, containerapp, appconfig"],
    ["Consumers", "apim:rg/gw", "apim takes resource group/service/named value"],
    ["Consumers", "__proto__:rg/gw", "kind one of"],
    ["Consumers", "rg/app", "kind:path"],
    ["Consumers", "site:rg/app/extra", "site takes resource group/app"],
    ["Consumers", "site:rg", "site takes resource group/app"],
    ["Consumers", "site:rg/../x", "site takes"],
    ["Consumers", "site:rg/..", "is not a valid app name"],
    ["Consumers", "site:rg/app?x=1", "is not a valid app name"],
    ["Consumers", "site:rg/app%2F", "is not a valid app name"],
    ["Consumers", "site:rg/app.", "is not a valid app name"],
    ["Consumers", "site:rg/a,,site:rg/b", "empty entry"],
    ["Consumers", "site:rg/a,", "empty entry"],
    ["Consumers", "site:rg/a,site:RG/A", "twice"],
    ["Consumers2", "site:rg/a", "twice"],
  ])("refuses %s=%j, naming the tag (%s)", (tag, value, message) => {
    const tags = tag === "Consumers2" ? { Consumers: "site:rg/a", Consumers2: value } : { [tag]: value };
    const error = tagError(() => parse(tags));
    expect(error.tag).toBe(tag);
    expect(error.message).toContain("orders-db");
    expect(error.message).toContain(message);
  });

  it("refuses consumers when no subscription is configured, naming the setting", () => {
    expect(tagError(() => parseConsumers({ Consumers: "site:rg/a" }, "s", undefined)).message).toContain(
      "CONSUMER_SUBSCRIPTION_ID",
    );
  });

  it(`refuses more than ${MAX_CONSUMERS} consumers`, () => {
    const many = Array.from({ length: 11 }, (_, i) => `site:r/a${i}`).join(",");
    const more = Array.from({ length: 10 }, (_, i) => `site:r/b${i}`).join(",");
    expect(tagError(() => parse({ Consumers: many, Consumers2: more })).tag).toBe("Consumers2");
  });

  it("resolves every kind's short form", () => {
    expect(
      parse({ Consumers: "apim:rg/gw/db-password,containerapp:rg/orders,appconfig:rg/store/Sentinel" }).map(
        (c) => c.id,
      ),
    ).toEqual([
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/gw/namedValues/db-password`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.App/containerApps/orders`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.AppConfiguration/configurationStores/store/keyValues/Sentinel`,
    ]);
  });

  it("never throws anything but a SecretTagError, and every consumer it accepts is a site ID in the subscription", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 256 }), (value) => {
        try {
          for (const c of parse({ Consumers: value }))
            expect(c.id).toMatch(
              new RegExp(
                `^/subscriptions/${SUB}/resourceGroups/[A-Za-z0-9._()-]+/providers/Microsoft\\.Web/sites/[A-Za-z0-9._-]+$`,
              ),
            );
        } catch (error) {
          expect(error).toBeInstanceOf(SecretTagError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("consumer authorization", () => {
  const [api, other] = parse({ Consumers: "site:rg-web/orders-api,site:rg-web2/x" }) as [
    ReturnType<typeof parse>[number],
    ReturnType<typeof parse>[number],
  ];

  it("allows consumers at or under an allowed scope, case-insensitively", () => {
    expect(() =>
      authorizeConsumers([api], [`/subscriptions/${SUB}/resourcegroups/RG-WEB`], "s"),
    ).not.toThrow();
    expect(() => authorizeConsumers([api], [api.id.toUpperCase()], "s")).not.toThrow();
    expect(() => authorizeConsumers([api, other], [`/subscriptions/${SUB}/`], "s")).not.toThrow();
  });

  it("refuses a consumer outside every scope, or when no scope is allowed, naming it", () => {
    for (const scopes of [[`/subscriptions/${SUB}/resourceGroups/rg-web`], [], [""]]) {
      let caught: unknown;
      try {
        authorizeConsumers([api, other], scopes, "orders-db");
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RotationError);
      expect((caught as RotationError).code).toBe("ConsumerNotAllowed");
      expect((caught as RotationError).message).toContain("site:rg-web2/x");
    }
  });

  it("does not take a scope for a prefix of a name (rg-web is not rg-web2)", () => {
    expect(() => authorizeConsumers([other], [`/subscriptions/${SUB}/resourceGroups/rg-web`], "s")).toThrow(
      RotationError,
    );
  });
});
