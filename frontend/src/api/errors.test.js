import { describe, it, expect } from 'vitest';
import { errorMessage } from './errors.js';

describe('errorMessage', () => {
  it('shows the server error text', () => {
    expect(errorMessage({ response: { status: 409, data: { error: 'username taken' } } })).toBe('username taken');
  });
  it('falls back to words for the status', () => {
    expect(errorMessage({ response: { status: 429, data: '<html>' } })).toMatch(/Too many requests/);
    expect(errorMessage({ response: { status: 502, data: null } })).toBe('Request failed (HTTP 502)');
  });
  it('explains a network failure', () => {
    expect(errorMessage({ request: {}, code: 'ERR_NETWORK' })).toMatch(/Cannot reach the server/);
  });
});
