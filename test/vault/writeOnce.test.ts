import { describe, expect, it } from "vitest";
import { RotationError } from "../../src/errors.js";
import { writeOnce } from "../../src/vault/writeOnce.js";

const lost = (): RotationError => new RotationError("KeyVaultUnavailable", "the answer was lost", true);

describe("writeOnce", () => {
  it("tries again after a lost answer only when the write did not land", async () => {
    let writes = 0;
    const result = await writeOnce(
      { attempts: 3, delayMs: 1 },
      async () => {
        writes += 1;
        if (writes === 1) throw new Error("socket hang up");
        return "v2";
      },
      async () => undefined,
      lost,
    );
    expect([result, writes]).toEqual(["v2", 2]);
  });

  it("does not try again once the run's deadline has passed: a run that returned never writes again", async () => {
    let writes = 0;
    const deadline = new AbortController();
    const attempt = writeOnce(
      { attempts: 3, delayMs: 1 },
      async () => {
        writes += 1;
        // The run's deadline fires while this attempt hangs; the attempt then fails.
        deadline.abort();
        throw new Error("the call timed out");
      },
      async () => undefined,
      lost,
      deadline.signal,
    );
    await expect(attempt).rejects.toMatchObject({ code: "KeyVaultUnavailable" });
    expect(writes).toBe(1);
  });
});
