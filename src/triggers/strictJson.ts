/**
 * `JSON.parse`, except that an object with the same key twice is refused: JSON.parse keeps the last one, so
 * `{"dryRun":true,"dryRun":false}` would mean something other than what a reader (or a proxy) sees first.
 * Returns the value, or a reason it is refused.
 */
export function parseStrictJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "is not JSON" };
  }
  const duplicate = firstDuplicateKey(text);
  return duplicate === undefined
    ? { ok: true, value }
    : { ok: false, reason: `has the key '${duplicate.slice(0, 64)}' twice` };
}

/** Scans valid JSON text: the keys of each object level, as JSON.parse reads them. */
function firstDuplicateKey(text: string): string | undefined {
  const levels: (Set<string> | undefined)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "{") levels.push(new Set());
    else if (c === "[") levels.push(undefined);
    else if (c === "}" || c === "]") levels.pop();
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const literal = text.slice(i, end + 1);
      i = end + 1;
      while (/\s/.test(text[i] ?? "")) i++;
      const keys = levels[levels.length - 1];
      if (text[i] === ":" && keys) {
        const key = JSON.parse(literal) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      continue;
    }
    i++;
  }
  return undefined;
}
