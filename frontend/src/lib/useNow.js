import { useSyncExternalStore } from 'react';

// One shared clock for the relative times on screen ("2 min ago"): a single interval, running
// only while some component reads it, ticking every TICK_MS.
const TICK_MS = 30_000;
const listeners = new Set();
let now = Date.now();
let timer = null;

function subscribe(listener) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const fn of listeners) fn();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const read = () => now;

/** Milliseconds since the epoch, updated every 30 s while mounted. */
export function useNow() {
  return useSyncExternalStore(subscribe, read, read);
}
