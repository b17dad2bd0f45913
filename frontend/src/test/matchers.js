import { expect } from 'vitest';

// the two DOM matchers the UI tests use (instead of pulling in jest-dom)
expect.extend({
  toHaveTextContent(el, text) {
    const actual = el?.textContent ?? '';
    const pass = actual.includes(text);
    return { pass, message: () => `expected element text ${JSON.stringify(actual)} ${pass ? 'not ' : ''}to contain ${JSON.stringify(text)}` };
  },
  toHaveAttribute(el, name, value) {
    const actual = el?.getAttribute(name);
    const pass = value === undefined ? el?.hasAttribute(name) : actual === value;
    return { pass, message: () => `expected ${name}=${JSON.stringify(actual)} ${pass ? 'not ' : ''}to be ${JSON.stringify(value)}` };
  },
});
