import { afterEach, describe, expect, it, vi } from "vitest";
import { provideFunctionsCore } from "../../../local/host/functionsCore.js";
import { loadFunctions } from "../../../local/host/loadFunctions.js";

afterEach(() => vi.restoreAllMocks());

describe("loadFunctions", () => {
  it("registers every function through @azure/functions as on Azure, without its 'test mode' warnings", async () => {
    const warn = vi.spyOn(console, "warn");
    const found = await loadFunctions();
    expect(found.map((f) => f.name)).toEqual([
      "complianceReport",
      "complianceSweep",
      "resumeRotations",
      "rotateSecret",
      "scheduledRotations",
      "secretNearExpiry",
    ]);
    expect(warn.mock.calls.flat().join("\n")).not.toMatch(/test mode/);
    expect(provideFunctionsCore().registered).toEqual(found.map((f) => f.name));
  });
});
