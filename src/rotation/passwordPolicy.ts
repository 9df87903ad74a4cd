import { randomInt } from "node:crypto";

/**
 * How a target wants its passwords: length, the character classes that must each appear, and characters
 * it cannot take (PostgreSQL connection strings choke on `:/@"'\`). Values come from `node:crypto`'s
 * CSPRNG with rejection-free uniform choice (`randomInt`), then a uniform shuffle.
 */
export interface PasswordPolicy {
  length: number;
  /** Classes that must each appear at least once. */
  require: readonly ("lower" | "upper" | "digit" | "symbol")[];
  /** Symbols to draw from when "symbol" is used; defaults to a conservative set. */
  symbols?: string;
  exclude?: string;
}

const CLASSES = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digit: "0123456789",
  symbol: "!#$%&()*+,-.;<=>?[]^_{|}~",
} as const;

export function generatePassword(policy: PasswordPolicy): string {
  const exclude = new Set(policy.exclude ?? "");
  const pools = policy.require.map((cls) =>
    [...(cls === "symbol" ? (policy.symbols ?? CLASSES.symbol) : CLASSES[cls])].filter(
      (c) => !exclude.has(c),
    ),
  );
  if (pools.some((p) => p.length === 0))
    throw new Error("password policy excludes every character of a required class");
  if (policy.length < pools.length || policy.length > 1024)
    throw new Error(`password length ${policy.length} cannot hold the required classes`);
  const all = [...new Set(pools.flat())];
  const chars = pools.map((pool) => pool[randomInt(pool.length)] as string);
  while (chars.length < policy.length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

/** Every class it requires is present and no excluded character is: what a target's policy will accept. */
export function satisfiesPolicy(value: string, policy: PasswordPolicy): boolean {
  if (value.length !== policy.length) return false;
  const exclude = new Set(policy.exclude ?? "");
  if ([...value].some((c) => exclude.has(c))) return false;
  return policy.require.every((cls) =>
    [...value].some((c) =>
      (cls === "symbol" ? (policy.symbols ?? CLASSES.symbol) : CLASSES[cls]).includes(c),
    ),
  );
}
