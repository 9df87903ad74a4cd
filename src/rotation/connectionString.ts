import { RotationError } from "../errors.js";

/** One `key=value` of a connection string, where it lies in the text, and its value as a reader sees it. */
export interface ConnectionStringPart {
  /** Lower-cased and trimmed, `==` read as `=`: keys are case-insensitive. */
  key: string;
  value: string;
  /** Where the value's text (quotes included) starts and ends, to replace it in place. */
  valueStart: number;
  valueEnd: number;
  /** The quote the value was written in, if any. */
  quote?: '"' | "'" | "{";
}

const CLOSE = { '"': '"', "'": "'", "{": "}" } as const;

/** Keys that name the same thing: a string giving two of a group is ambiguous (which one wins differs by reader). */
const SYNONYMS = [
  ["password", "pwd"],
  ["user id", "uid", "user", "username", "user name"],
  ["data source", "server", "address", "addr", "network address"],
  ["initial catalog", "database"],
];

function refuse(secretName: string, why: string): RotationError {
  return new RotationError(
    "SecretValueNotConnectionString",
    `secret '${secretName}' has content type application/x-connection-string but ${why}`,
    false,
  );
}

/**
 * Reads a connection string by the grammar SqlClient and tedious use (`@tediousjs/connection-string`, which
 * mssql ships and the tests use as the reference): `key=value` parts separated by `;`, `==` in a key for `=`,
 * `;;` in an unquoted value for `;`, values quoted with `"`, `'` or `{}` (the closing quote doubled inside),
 * white space around keys and unquoted values ignored, keys case-insensitive. Stricter than that reader,
 * which keeps the last of two equal keys: a part without `=`, text after a closing quote, a key given twice
 * and two synonyms (`Password` and `Pwd`) are refused, since readers disagree on what they mean. That
 * reader cannot be used itself: it drops duplicates and keeps no positions to replace a value in place.
 * Errors never quote the text.
 */
export function parseConnectionString(text: string, secretName: string): ConnectionStringPart[] {
  const parts: ConnectionStringPart[] = [];
  let at = 0;
  const n = text.length;
  while (at < n) {
    while (at < n && /\s/.test(text[at] as string)) at++;
    if (at >= n) break;
    if (text[at] === ";") {
      at++;
      continue;
    }
    let key = "";
    for (;;) {
      if (at >= n || text[at] === ";") throw refuse(secretName, `part ${parts.length + 1} has no '='`);
      if (text[at] === "=") {
        if (text[at + 1] !== "=") break;
        at++;
      }
      key += text[at];
      at++;
    }
    at++; // the '='
    key = key.trim().toLowerCase();
    if (key === "") throw refuse(secretName, `part ${parts.length + 1} has no key`);
    while (at < n && text[at] !== ";" && /\s/.test(text[at] as string)) at++;
    const valueStart = at;
    const open = text[at];
    let value = "";
    let quote: ConnectionStringPart["quote"];
    if (open === '"' || open === "'" || open === "{") {
      quote = open;
      const close = CLOSE[open];
      at++;
      for (;;) {
        if (at >= n) throw refuse(secretName, `the value of '${key}' has no closing quote`);
        if (text[at] === close) {
          if (text[at + 1] !== close) break;
          at++;
        }
        value += text[at];
        at++;
      }
      at++;
      const valueEnd = at;
      while (at < n && text[at] !== ";") {
        if (!/\s/.test(text[at] as string))
          throw refuse(secretName, `the value of '${key}' has text after its closing quote`);
        at++;
      }
      parts.push({ key, value, valueStart, valueEnd, quote });
    } else {
      while (at < n && !(text[at] === ";" && text[at + 1] !== ";")) {
        if (text[at] === ";") at++;
        value += text[at];
        at++;
      }
      const trimmed = value.replace(/\s+$/, "");
      parts.push({ key, value: trimmed, valueStart, valueEnd: valueStart + rawLength(text, valueStart, at) });
    }
    at++; // the ';'
  }
  const seen = new Set<string>();
  for (const p of parts) {
    if (seen.has(p.key)) throw refuse(secretName, `gives '${p.key}' twice`);
    seen.add(p.key);
  }
  for (const group of SYNONYMS) {
    const given = group.filter((k) => seen.has(k));
    if (given.length > 1)
      throw refuse(secretName, `gives both '${given.join("' and '")}', which mean the same`);
  }
  return parts;
}

/** The length of an unquoted value's text without its trailing white space. */
function rawLength(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1] as string)) e--;
  return e - start;
}

/** A value as it must be written: as it is when nothing in it needs quoting, else in the quote it had (or `"`). */
export function encodeConnectionStringValue(value: string, quote?: ConnectionStringPart["quote"]): string {
  // A leading '=' would join the key's '=' into '==', which a reader takes for an '=' inside the key.
  if (quote === undefined && !/[;"'{}]|^[\s=]|\s$/.test(value) && value !== "") return value;
  const q = quote ?? '"';
  const close = CLOSE[q];
  return `${q}${value.replaceAll(close, close + close)}${close}`;
}
