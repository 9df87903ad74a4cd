import { describe, expect, it } from "vitest";
import { RotationError } from "../../src/errors.js";
import { extractCredential, replaceCredential } from "../../src/rotation/secretValue.js";

describe("secret value formats", () => {
  it("a bare value is the credential", () => {
    expect(extractCredential("CANARY-bare", undefined, "s")).toBe("CANARY-bare");
    expect(replaceCredential("CANARY-bare", "text/plain", "s", "new")).toBe("new");
  });

  it("JSON keeps every other field and replaces password or key", () => {
    const value = JSON.stringify({ username: "a", password: "CANARY-json", host: "h", port: 5432 });
    expect(extractCredential(value, "application/json", "s")).toBe("CANARY-json");
    expect(JSON.parse(replaceCredential(value, "application/json; charset=utf-8", "s", "new"))).toEqual({
      username: "a",
      password: "new",
      host: "h",
      port: 5432,
    });
    expect(
      JSON.parse(
        replaceCredential(JSON.stringify({ key: "k1", account: "x" }), "application/json", "s", "k2"),
      ),
    ).toEqual({ key: "k2", account: "x" });
  });

  it("renames the login in dual mode", () => {
    const value = JSON.stringify({ username: "app_a", password: "CANARY-dual" });
    expect(
      JSON.parse(replaceCredential(value, "application/json", "s", "new", { from: "app_a", to: "app_b" })),
    ).toEqual({ username: "app_b", password: "new" });
  });

  it("refuses values that are not what their content type says, without quoting them", () => {
    for (const bad of ["CANARY-not-json", "[1,2]", JSON.stringify({ password: 5 })]) {
      let error: unknown;
      try {
        extractCredential(bad, "application/json", "s");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RotationError);
      expect((error as Error).message).not.toContain("CANARY");
    }
  });
});
