/** A sorted set of strings with binary-search insert, delete and "first key after", so paging a vault of
 * 100,000 secrets costs a search per page, not a sort. */
export class SortedKeys {
  private readonly keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) this.keys.splice(i, 0, key);
  }

  delete(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  /** Up to `count` keys strictly after `after` (from the start when undefined). */
  page(after: string | undefined, count: number): string[] {
    const start = after === undefined ? 0 : this.upperBound(after);
    return this.keys.slice(start, start + count);
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
