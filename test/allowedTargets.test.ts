import { describe, expect, it } from "vitest";
import { isTargetAllowed, parseAllowedTargets } from "../src/allowedTargets.js";

const parse = (raw: string): ReturnType<typeof parseAllowedTargets> => {
  const problems: string[] = [];
  const list = parseAllowedTargets(raw, problems);
  expect(problems).toEqual([]);
  return list;
};
const SUB = "/subscriptions/11111111-2222-3333-4444-555555555555";

describe("AKV_ROTATOR_ALLOWED_TARGETS", () => {
  it("allows nothing when empty", () => {
    expect(isTargetAllowed(parse(""), "v", { kind: "host", host: "127.0.0.1", port: 5432 })).toBe(false);
    expect(isTargetAllowed(parse(""), "v", { kind: "arm", resourceId: `${SUB}/resourceGroups/g` })).toBe(
      false,
    );
  });

  it("ARM scopes cover the resources under them, case-insensitively, on segment boundaries", () => {
    const list = parse(`${SUB}/resourceGroups/Team-A`);
    const id = (rg: string): { kind: "arm"; resourceId: string } => ({
      kind: "arm",
      resourceId: `${SUB}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/s`,
    });
    expect(isTargetAllowed(list, "v", id("team-a"))).toBe(true);
    expect(isTargetAllowed(list, "v", id("Team-A-other"))).toBe(false);
    expect(isTargetAllowed(list, "v", id("team-b"))).toBe(false);
  });

  it("host patterns need the port (or *), and *. stands for one or more labels", () => {
    const list = parse("db.example.com:5432, *.postgres.database.azure.com:5432 127.0.0.1:*");
    const host = (h: string, port: number): boolean =>
      isTargetAllowed(list, "v", { kind: "host", host: h, port });
    expect(host("DB.example.com", 5432)).toBe(true);
    expect(host("db.example.com", 5433)).toBe(false);
    expect(host("a.b.postgres.database.azure.com", 5432)).toBe(true);
    expect(host("postgres.database.azure.com", 5432)).toBe(false);
    expect(host("evilpostgres.database.azure.com.attacker.net", 5432)).toBe(false);
    expect(host("127.0.0.1", 1)).toBe(true);
    expect(host("127.0.0.2", 1)).toBe(false);
  });

  it("Entra applications by object id, appId, or all of them", () => {
    const id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    expect(
      isTargetAllowed(parse(`applications/${id}`), "v", { kind: "application", path: `/applications/${id}` }),
    ).toBe(true);
    expect(
      isTargetAllowed(parse(`applications/${id}`), "v", {
        kind: "application",
        path: `/applications(appId='${id}')`,
      }),
    ).toBe(false);
    expect(
      isTargetAllowed(parse("applications/*"), "v", {
        kind: "application",
        path: `/applications(appId='${id}')`,
      }),
    ).toBe(true);
  });

  it("vault= limits an entry to one vault", () => {
    const list = parse("one=127.0.0.1:5432");
    expect(isTargetAllowed(list, "One", { kind: "host", host: "127.0.0.1", port: 5432 })).toBe(true);
    expect(isTargetAllowed(list, "two", { kind: "host", host: "127.0.0.1", port: 5432 })).toBe(false);
  });

  it.each(["*", "db.example.com", "/subscriptions", "host:99999", "https://x", "a=b=c", "applications/x"])(
    "'%s' is a configuration problem naming it",
    (entry) => {
      const problems: string[] = [];
      parseAllowedTargets(entry, problems);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain("AKV_ROTATOR_ALLOWED_TARGETS");
    },
  );
});
