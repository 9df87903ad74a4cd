import { createHash } from "node:crypto";

/** One value found where it must not be: which channel, in which form, and a hint that is not the value. */
export interface Leak {
  channel: string;
  form: string;
  hint: string;
}

interface Needle {
  form: string;
  needle: string;
  hint: string;
}

/** A PostgreSQL SCRAM verifier, whatever password it was made from (RFC 5802 format of pg_authid). */
const SCRAM_VERIFIER = /SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/;

/**
 * The base64 of `value` wherever it sits in a longer encoded text: for each of the three byte alignments,
 * the characters that depend on the value's bytes only.
 */
function base64Cores(value: Buffer, alphabet: "base64" | "base64url"): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const text = Buffer.concat([Buffer.alloc(offset), value]).toString(alphabet);
    // Only whole groups of three value bytes: the first is mixed with the bytes before, the last with those after.
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + value.length) / 3) * 4;
    const core = text.slice(start, Math.max(start, end));
    if (core.length >= 8) cores.push(core);
  }
  return cores;
}

/** Every form a secret value could take on its way out: raw, escaped, encoded, hashed. */
export function leakForms(value: string): { form: string; needle: string }[] {
  const bytes = Buffer.from(value, "utf8");
  const forms: { form: string; needle: string }[] = [
    { form: "raw", needle: value },
    { form: "json-escaped", needle: JSON.stringify(value).slice(1, -1) },
    { form: "json-escaped twice", needle: JSON.stringify(JSON.stringify(value)).slice(1, -1) },
    { form: "url-encoded", needle: encodeURIComponent(value) },
    { form: "form-encoded", needle: new URLSearchParams({ v: value }).toString().slice(2) },
    { form: "hex", needle: bytes.toString("hex") },
    { form: "HEX", needle: bytes.toString("hex").toUpperCase() },
    ...base64Cores(bytes, "base64").map((needle) => ({ form: "base64", needle })),
    ...base64Cores(bytes, "base64url").map((needle) => ({ form: "base64url", needle })),
  ];
  for (const algorithm of ["md5", "sha1", "sha256", "sha512"]) {
    const digest = createHash(algorithm).update(value).digest();
    forms.push({ form: `${algorithm} hex`, needle: digest.toString("hex") });
    forms.push({ form: `${algorithm} base64`, needle: digest.toString("base64").replace(/=+$/, "") });
  }
  // Forms that coincide (base64 without + or /, JSON of a value with nothing to escape) each stay listed.
  return forms.filter((f) => f.needle.length >= 6);
}

/**
 * The canary's detector: knows every secret value (and verifier) a test handled and finds each in any
 * channel, in any form of `leakForms`, and any SCRAM verifier at all. Case-insensitive for hex only.
 */
export class LeakDetector {
  private readonly needles: Needle[] = [];
  private readonly seen = new Set<string>();

  addValue(value: string): void {
    if (value.length < 6 || this.seen.has(value)) return;
    this.seen.add(value);
    const hint = `${value.slice(0, 3)}… (${value.length} chars)`;
    for (const f of leakForms(value)) this.needles.push({ ...f, hint });
  }

  /** A verifier the target holds (pg_authid): its keys, each base64 on its own. */
  addVerifier(verifier: string): void {
    const match = /^SCRAM-SHA-256\$\d+:([^$]+)\$([^:]+):(.+)$/.exec(verifier);
    if (!match) return;
    for (const [form, part] of [
      ["scram salt", match[1]],
      ["scram StoredKey", match[2]],
      ["scram ServerKey", match[3]],
    ] as const)
      if (part && part.length >= 8) this.needles.push({ form, needle: part, hint: `${part.slice(0, 3)}…` });
  }

  get valueCount(): number {
    return this.seen.size;
  }

  scan(channels: Record<string, string>): Leak[] {
    const leaks: Leak[] = [];
    for (const [channel, text] of Object.entries(channels)) {
      const lower = text.toLowerCase();
      for (const n of this.needles) {
        const found =
          n.form === "HEX" || n.form === "hex"
            ? lower.includes(n.needle.toLowerCase())
            : text.includes(n.needle);
        if (found) leaks.push({ channel, form: n.form, hint: n.hint });
      }
      if (SCRAM_VERIFIER.test(text)) leaks.push({ channel, form: "scram verifier", hint: "SCRAM-SHA-256$…" });
    }
    return leaks;
  }
}
