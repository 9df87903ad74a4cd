import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sparticuz from "@sparticuz/chromium";

export interface NpmChromium {
  executablePath: string;
  /** Removes the unpacked browser. */
  remove(): Promise<void>;
}

/**
 * The self-contained Chromium that the `@sparticuz/chromium` npm package ships (brotli archives inside the
 * package; the binary links only against glibc), so the browser test needs nothing installed on the
 * machine. The package unpacks into `os.tmpdir()` and reuses whatever it finds there (`/tmp/chromium`,
 * perhaps another user's, mode 700, or half-written by a parallel run), so it unpacks here into a folder of
 * this run's own, chosen through TMPDIR, which `os.tmpdir()` reads on every call.
 */
export async function unpackNpmChromium(): Promise<NpmChromium> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "akv-rotator-chromium-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const executablePath = await sparticuz.executablePath();
    if (!executablePath.startsWith(dir))
      throw new Error(`Chromium unpacked outside ${dir}: ${executablePath}`);
    return { executablePath, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}
