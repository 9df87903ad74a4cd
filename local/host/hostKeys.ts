import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** The dev host's keys, as the Functions host keeps them: a default function key, the master key, and the Event Grid extension's system key. */
export interface HostKeys {
  functionKey: string;
  masterKey: string;
  eventGridKey: string;
}

/** Loads `<dir>/host-keys.json`, or makes it on first run (published atomically, readable by its owner only). */
export async function ensureHostKeys(dir: string): Promise<HostKeys> {
  const file = path.join(dir, "host-keys.json");
  const existing = await readKeys(file);
  if (existing) return existing;
  await mkdir(dir, { recursive: true });
  const key = (): string => randomBytes(32).toString("base64url");
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    JSON.stringify({ functionKey: key(), masterKey: key(), eventGridKey: key() }, null, 2),
    { mode: 0o600 },
  );
  await link(tmp, file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  await unlink(tmp).catch(() => undefined);
  const keys = await readKeys(file);
  if (!keys) throw new Error(`${file} is not a host keys file; delete it to make new keys`);
  return keys;
}

async function readKeys(file: string): Promise<HostKeys | undefined> {
  try {
    const k = JSON.parse(await readFile(file, "utf8")) as Partial<HostKeys>;
    if (
      typeof k.functionKey === "string" &&
      typeof k.masterKey === "string" &&
      typeof k.eventGridKey === "string"
    ) {
      return { functionKey: k.functionKey, masterKey: k.masterKey, eventGridKey: k.eventGridKey };
    }
  } catch {
    // missing or unreadable: made anew by the caller
  }
  return undefined;
}
