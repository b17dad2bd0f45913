import { useEffect, useState } from 'react';

const QUERY = '(prefers-color-scheme: dark)';

function media() {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(QUERY) : null;
}

/** The system asks for a dark theme (`prefers-color-scheme: dark`), live as it changes. */
export function usePrefersDark() {
  const [dark, setDark] = useState(() => Boolean(media()?.matches));
  useEffect(() => {
    const mq = media();
    if (!mq) return undefined;
    const update = () => setDark(mq.matches);
    update();
    mq.addEventListener?.('change', update);
    return () => mq.removeEventListener?.('change', update);
  }, []);
  return dark;
}
