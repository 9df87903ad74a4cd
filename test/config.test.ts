import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors.js";
import { findVault, loadConfig } from "../src/config.js";

const base = {
  KEYVAULT_URIS: "https://my-vault.vault.azure.net",
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
};

describe("settings", () => {
  it("reads the minimal settings with defaults", () => {
    const config = loadConfig(base);
    expect(config.vaults).toEqual([{ name: "my-vault", url: "https://my-vault.vault.azure.net" }]);
    expect(config).toMatchObject({
      container: "akv-rotator",
      credential: "default",
      defaultValidityDays: 60,
      rotateBeforeExpiryDays: 30,
      minRotationIntervalMinutes: 60,
      leaseSeconds: 30,
      sweepSchedule: "0 0 3 * * *",
      sweepConcurrency: 4,
    });
    expect(config.storage?.kind).toBe("connectionString");
    expect(config.audit).toBeUndefined();
  });

  it("names vaults from their host or explicitly, across clouds, and finds them case-insensitively", () => {
    const config = loadConfig({
      ...base,
      KEYVAULT_URIS:
        "https://A-Vault.vault.azure.cn/, demo=https://127.0.0.1:8443 , https://gov-kv.vault.usgovcloudapi.net",
    });
    expect(config.vaults.map((v) => v.name)).toEqual(["a-vault", "demo", "gov-kv"]);
    expect(config.vaults[1]?.url).toBe("https://127.0.0.1:8443");
    expect(findVault(config, "DEMO")?.url).toBe("https://127.0.0.1:8443");
  });

  it("lists every problem at once, naming each setting, without echoing keys", () => {
    let error: unknown;
    try {
      loadConfig({
        KEYVAULT_URIS: "http://plain.vault.azure.net, https://127.0.0.1:1, https://x.vault.azure.net/path",
        AUDIT_TOPIC_KEY: "SUPER-SECRET-KEY-VALUE",
        DEFAULT_VALIDITY_DAYS: "abc",
        LEASE_SECONDS: "90",
        SWEEP_SCHEDULE: "* * * * *",
        AKV_ROTATOR_CREDENTIAL: "password",
        AKV_ROTATOR_CONTAINER: "Bad_Name",
        AKV_ROTATOR_TLS_CA_FILE: "/nonexistent/ca.pem",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join("\n");
    for (const setting of [
      "must use https",
      "name the vault at 'https://127.0.0.1:1'",
      "without a path",
      "AzureWebJobsStorage",
      "AUDIT_TOPIC_KEY is set but AUDIT_TOPIC_ENDPOINT is not",
      "DEFAULT_VALIDITY_DAYS must be a whole number from 1 to 3650, got 'abc'",
      "LEASE_SECONDS must be a whole number from 15 to 60",
      "SWEEP_SCHEDULE",
      "AKV_ROTATOR_CREDENTIAL",
      "AKV_ROTATOR_CONTAINER",
      "AKV_ROTATOR_TLS_CA_FILE",
    ]) {
      expect(problems).toContain(setting);
    }
    expect((error as Error).message).not.toContain("SUPER-SECRET-KEY-VALUE");
  });

  it("refuses the emulator credential against a real vault", () => {
    expect(() => loadConfig({ ...base, AKV_ROTATOR_CREDENTIAL: "emulator" })).toThrow(
      /only works against loopback emulators/,
    );
    expect(
      loadConfig({
        ...base,
        KEYVAULT_URIS: "local=https://localhost:8443",
        AKV_ROTATOR_CREDENTIAL: "emulator",
      }).credential,
    ).toBe("emulator");
  });

  it("accepts identity-based storage", () => {
    const config = loadConfig({
      KEYVAULT_URIS: base.KEYVAULT_URIS,
      AzureWebJobsStorage__accountName: "mystore",
      AzureWebJobsStorage__clientId: "abc",
    });
    expect(config.storage).toEqual({
      kind: "identity",
      blobServiceUri: "https://mystore.blob.core.windows.net",
      clientId: "abc",
    });
  });

  it("never throws anything but a ConfigurationError, whatever the settings", () => {
    const keys = [
      "KEYVAULT_URIS",
      "AzureWebJobsStorage",
      "AUDIT_TOPIC_ENDPOINT",
      "LEASE_SECONDS",
      "SWEEP_SCHEDULE",
      "AKV_ROTATOR_CREDENTIAL",
      "DEFAULT_VALIDITY_DAYS",
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.string()), (env) => {
        try {
          loadConfig(env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
        }
      }),
    );
  });
});
