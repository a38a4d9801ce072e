/**
 * A byte-budgeted LRU map. Map iteration order is insertion order, so re-inserting on access keeps the
 * least recently used entry first; eviction walks from the front.
 */
export class ByteLru<V extends { byteLength: number }> {
  private readonly map = new Map<string, V>();
  private bytes = 0;
  evictions = 0;

  constructor(
    private budget: number,
    private readonly onEvict?: (key: string, value: V) => void,
  ) {}

  get size(): number { return this.map.size; }
  get byteLength(): number { return this.bytes; }
  get budgetBytes(): number { return this.budget; }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  has(key: string): boolean { return this.map.has(key); }

  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.bytes -= old.byteLength;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += value.byteLength;
    this.trim(key);
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.bytes -= v.byteLength;
    this.map.delete(key);
  }

  deleteWhere(pred: (key: string) => boolean): void {
    for (const k of [...this.map.keys()]) if (pred(k)) this.delete(k);
  }

  setBudget(bytes: number): void {
    this.budget = bytes;
    this.trim();
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  /** Evict least recently used entries until within budget; the entry just added is kept even if alone too big. */
  private trim(keep?: string): void {
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      if (k === keep) continue;
      this.map.delete(k);
      this.bytes -= v.byteLength;
      this.evictions++;
      this.onEvict?.(k, v);
    }
  }
}
