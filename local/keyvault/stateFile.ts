import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { VaultSnapshot } from "./vaultStore.js";

/**
 * The vault's state in a JSON file, written atomically (temporary file, then rename) shortly after each
 * change, so a killed emulator leaves either the old state or the new one, never half of one.
 */
export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => VaultSnapshot,
    private readonly delayMs = 100,
  ) {}

  async load(): Promise<VaultSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<VaultSnapshot>;
    if (parsed.format !== 1 || !Array.isArray(parsed.secrets) || !Array.isArray(parsed.deleted)) {
      throw new Error(
        `${this.file} is not a Key Vault emulator state file (format 1); move it away or start with --fresh`,
      );
    }
    return parsed as VaultSnapshot;
  }

  scheduleSave(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.delayMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.dirty) await this.save();
    await this.writing;
  }

  private save(): Promise<void> {
    this.dirty = false;
    const text = JSON.stringify(this.snapshot());
    this.writing = this.writing.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
