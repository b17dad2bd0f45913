/** window.localStorage, or null where there is none or it may not be touched (some private modes). */
export function localStore() {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}
