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

  it("a connection string keeps every field and replaces its key, whatever its case", () => {
    const type = "application/x-connection-string";
    const value =
      "DefaultEndpointsProtocol=https;AccountName=orders;AccountKey=OLD+key/abc==;EndpointSuffix=core.windows.net";
    expect(extractCredential(value, type, "s")).toBe("OLD+key/abc==");
    expect(replaceCredential(value, type, "s", "NEW+key/xyz==")).toBe(
      "DefaultEndpointsProtocol=https;AccountName=orders;AccountKey=NEW+key/xyz==;EndpointSuffix=core.windows.net",
    );
    expect(
      extractCredential("Server=tcp:x,1433;User ID=app;password=p@ss;", "text/connection-string", "s"),
    ).toBe("p@ss");
    expect(() => extractCredential("AccountName=orders", type, "s")).toThrow(/AccountKey/);
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
