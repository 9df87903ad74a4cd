import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { randomUUID, X509Certificate } from "node:crypto";
import path from "node:path";
import { generate } from "selfsigned";

/** A TLS identity for the local emulators: a self-signed certificate that is also its own CA. */
export interface LocalCertificate {
  cert: string;
  key: string;
  /** Path of the PEM that clients pass as `tlsOptions.ca` (the certificate itself). */
  caCertPath: string;
}

const BUNDLE_FILE = "localhost-tls.json";
const CA_FILE = "localhost-ca.pem";
/** Renew a little before expiry so a long-lived `.local/` never serves an expired certificate. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/**
 * Loads the loopback certificate kept in `dir`, or makes one (SAN `localhost`, `127.0.0.1`, `::1`)
 * on first use. The key and certificate live in one file published with link(2), which fails if the
 * file exists: emulators starting together agree on one certificate and never read half a file.
 */
export async function ensureLocalCertificate(dir: string): Promise<LocalCertificate> {
  await mkdir(dir, { recursive: true });
  const bundlePath = path.join(dir, BUNDLE_FILE);
  let bundle = await readBundle(bundlePath);
  if (bundle && !stillValid(bundle.cert)) {
    await unlink(bundlePath).catch(() => undefined);
    bundle = undefined;
  }
  if (!bundle) {
    const made = await makeCertificate();
    const tmp = uniqueTemp(bundlePath);
    await writeFile(tmp, JSON.stringify(made), { mode: 0o600 });
    try {
      await link(tmp, bundlePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    bundle = await readBundle(bundlePath);
    if (!bundle) throw new Error(`could not read the local TLS certificate at ${bundlePath}`);
  }
  const caCertPath = path.join(dir, CA_FILE);
  const current = await readFile(caCertPath, "utf8").catch(() => "");
  if (current !== bundle.cert) {
    const tmp = uniqueTemp(caCertPath);
    await writeFile(tmp, bundle.cert, { mode: 0o644 });
    await rename(tmp, caCertPath);
  }
  return { cert: bundle.cert, key: bundle.key, caCertPath };
}

/**
 * A temporary name no other writer uses. Process id and time were not enough: emulators started together in
 * one process (Promise.all) wrote and renamed the same temporary file in the same millisecond, and the second
 * rename failed with ENOENT.
 */
function uniqueTemp(file: string): string {
  return `${file}.${process.pid}.${randomUUID()}.tmp`;
}

async function makeCertificate(): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const pems = await generate([{ name: "commonName", value: "akv-rotator local emulators" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now - 3600 * 1000),
    notAfterDate: new Date(now + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function readBundle(file: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { cert, key } = parsed as Record<string, unknown>;
    return typeof cert === "string" && typeof key === "string" ? { cert, key } : undefined;
  } catch {
    return undefined;
  }
}

function stillValid(cert: string): boolean {
  try {
    return Date.parse(new X509Certificate(cert).validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}
