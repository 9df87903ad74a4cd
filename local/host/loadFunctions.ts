import { readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isFunctionDefinition, type FunctionDefinition } from "../../functions/functionDefinition.js";
import { provideFunctionsCore } from "./functionsCore.js";

/** Imports every `functions/*.ts` file and collects the definitions it exports, as the Functions host indexes the app. */
export async function loadFunctions(dir = path.resolve("functions")): Promise<FunctionDefinition[]> {
  provideFunctionsCore();
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts")).sort();
  const found: FunctionDefinition[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (isFunctionDefinition(value)) found.push(value);
  }
  const names = new Set<string>();
  for (const f of found) {
    if (names.has(f.name)) throw new Error(`two functions are named '${f.name}'`);
    names.add(f.name);
  }
  return found;
}
