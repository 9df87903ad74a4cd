import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, SETTINGS } from "../src/config.js";

/** Every setting the code reads is in local.settings.sample.json and the README, and nothing else is. */
describe("settings documentation", () => {
  const sample = JSON.parse(readFileSync("local.settings.sample.json", "utf8")) as {
    Values: Record<string, string>;
  };
  const readme = readFileSync("README.md", "utf8");
  it.each(Object.keys(SETTINGS))("%s is in the sample settings and the README", (name) => {
    expect(Object.keys(sample.Values)).toContain(name);
    expect(readme).toContain(`\`${name}\``);
  });
  it("the sample loads as it is", () => {
    expect(loadConfig(sample.Values).vaults).toEqual([
      { name: "my-vault", url: "https://my-vault.vault.azure.net" },
    ]);
  });
  it("the sample has no setting the code does not read", () => {
    const known = new Set([...Object.keys(SETTINGS), "FUNCTIONS_WORKER_RUNTIME"]);
    expect(Object.keys(sample.Values).filter((k) => !known.has(k))).toEqual([]);
  });
});
