// Test support: an in-memory Storage (node has no localStorage), optionally refusing writes past a size.

export class MemoryStorage implements Storage {
  readonly data = new Map<string, string>();
  /** setItem throws (like a full quota) when the value is longer than this. */
  maxValueLength = Number.POSITIVE_INFINITY;
  writes = 0;

  get length(): number {
    return this.data.size;
  }

  clear(): void {
    this.data.clear();
  }

  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.data.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.data.delete(key);
  }

  setItem(key: string, value: string): void {
    this.writes++;
    if (value.length > this.maxValueLength) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.data.set(key, value);
  }
}
