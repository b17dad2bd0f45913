// A Web Storage held in memory (the pure state tests run in node, without localStorage).
export class MemoryStorage {
  constructor() {
    this.items = new Map();
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  removeItem(key) {
    this.items.delete(key);
  }
}

/** A storage that refuses everything, like Safari's private mode or a full quota. */
export class RefusingStorage {
  getItem() {
    throw new Error('SecurityError');
  }

  setItem() {
    throw new Error('QuotaExceededError');
  }

  removeItem() {
    throw new Error('SecurityError');
  }
}
