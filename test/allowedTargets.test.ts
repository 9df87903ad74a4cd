import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  armScopesFor,
  isTargetAllowed,
  parseAllowedTargets,
  type BindingTarget,
} from "../src/allowedTargets.js";
import { postgresRotator } from "../src/rotators/postgres.js";
import { sqlLoginRotator } from "../src/rotators/sqlLogin.js";

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

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);

  it("a host pattern matches whole labels only: never a longer label, a suffix added, or another port", () => {
    fc.assert(
      fc.property(label, label, label, fc.integer({ min: 1, max: 65535 }), (a, b, c, port) => {
        const list = parse(`*.${b}.example:${port} ${c}.example:${port}`);
        const allowed = (host: string, p = port): boolean =>
          isTargetAllowed(list, "v", { kind: "host", host, port: p });
        expect(allowed(`${a}.${b}.example`)).toBe(true);
        expect(allowed(`${c}.example`)).toBe(true);
        fc.pre(a !== c && `${a}${b}` !== c);
        expect(allowed(`${a}${b}.example`)).toBe(false);
        expect(allowed(`${b}.example`)).toBe(b === c);
        expect(allowed(`${c}.example.${a}`)).toBe(false);
        expect(allowed(`${a}.${b}.example`, (port % 65535) + 1)).toBe(false);
      }),
    );
  });

  it("an ARM scope covers the resources under it and never a sibling whose name starts the same", () => {
    fc.assert(
      fc.property(label, label, (group, more) => {
        const list = parse(`${SUB}/resourceGroups/${group}`);
        const id = (rg: string): boolean =>
          isTargetAllowed(list, "v", {
            kind: "arm",
            resourceId: `${SUB}/resourceGroups/${rg}/providers/Microsoft.Sql/servers/s/databases/d`,
          });
        expect(id(group.toUpperCase())).toBe(true);
        expect(id(`${group}${more}`)).toBe(false);
        expect(id(`${group}-${more}`)).toBe(false);
      }),
    );
  });

  it("an entry with a control character (that does not separate entries) allows nothing and is a problem", () => {
    const control = fc
      .integer({ min: 0, max: 0x9f })
      .filter((c) => (c < 0x20 || c >= 0x7f) && !/\s/.test(String.fromCharCode(c)))
      .map((c) => String.fromCharCode(c));
    const entries = fc.constantFrom("db.example.com:5432", `${SUB}/resourceGroups/g`, "applications/*");
    fc.assert(
      fc.property(entries, control, fc.nat(), (entry, c, at) => {
        const i = at % (entry.length + 1);
        const problems: string[] = [];
        const list = parseAllowedTargets(`${entry.slice(0, i)}${c}${entry.slice(i)}`, problems);
        expect(list).toEqual([]);
        expect(problems).toHaveLength(1);
      }),
    );
  });
});

describe("armScopesFor: where the consumers of a vault's secrets may lie", () => {
  it("takes the ARM scopes for every vault and those limited to this one, nothing else", () => {
    const problems: string[] = [];
    const list = parseAllowedTargets(
      "/subscriptions/s1/resourceGroups/shared prod=/subscriptions/s2/resourceGroups/apps dev=/subscriptions/s3 127.0.0.1:* applications/*",
      problems,
    );
    expect(problems).toEqual([]);
    expect(armScopesFor(list, "prod")).toEqual([
      "/subscriptions/s1/resourcegroups/shared",
      "/subscriptions/s2/resourcegroups/apps",
    ]);
    expect(armScopesFor(list, "PROD")).toHaveLength(2);
    expect(armScopesFor(list, "other")).toEqual(["/subscriptions/s1/resourcegroups/shared"]);
    expect(armScopesFor([], "prod")).toEqual([]);
  });
});

describe("a host derived from a server's resource ID", () => {
  const rg = "/subscriptions/s1/resourceGroups/orders";
  const server = `${rg}/providers/Microsoft.Sql/servers/payments-prod-sql`;
  const binding = (address: string): BindingTarget => {
    const target = sqlLoginRotator.parseTarget(
      { ProviderAddress: address, CredentialId: "payments_app", AdminAuth: "entra" },
      "s",
    );
    const bound = sqlLoginRotator.binding(target).target;
    if (!bound) throw new Error("no target");
    return bound;
  };
  it("is not allowed by a scope containing the ID: server names are global, the name may be another team's", () => {
    expect(isTargetAllowed(parse(`orders-kv=${rg}`), "orders-kv", binding(server))).toBe(false);
    expect(isTargetAllowed(parse("/subscriptions/s1"), "orders-kv", binding(`${server}/databases/db`))).toBe(
      false,
    );
  });
  it("is allowed by the server's exact resource ID (a database of it too) or by its host", () => {
    expect(isTargetAllowed(parse(server), "orders-kv", binding(server))).toBe(true);
    expect(isTargetAllowed(parse(server), "orders-kv", binding(`${server}/databases/db`))).toBe(true);
    expect(isTargetAllowed(parse("payments-prod-sql.database.windows.net:1433"), "v", binding(server))).toBe(
      true,
    );
    const pg = postgresRotator.binding(
      postgresRotator.parseTarget(
        {
          ProviderAddress: `${rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers/other`,
          CredentialId: "a",
        },
        "s",
      ),
    ).target as BindingTarget;
    expect(isTargetAllowed(parse(rg), "v", pg)).toBe(false);
    expect(isTargetAllowed(parse("other.postgres.database.azure.com:5432"), "v", pg)).toBe(true);
  });
});
