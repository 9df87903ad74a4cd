import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * An emulator's state in a JSON file, written atomically (temporary file, then rename) shortly after each
 * change, so a killed emulator leaves either the old state or the new one, never half of one.
 */
export class StateFile<T> {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => T,
    /** Checks a loaded file is this emulator's state; throws a message naming the file when not. */
    private readonly parse: (parsed: unknown, file: string) => T,
    private readonly delayMs = 100,
  ) {}

  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return this.parse(JSON.parse(text) as unknown, this.file);
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
