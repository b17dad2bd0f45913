import { useCallback, useEffect, useState } from 'react';
import * as api from '../api/endpoints.js';
import { applyReceipt, setReceipts } from '../state/receipts.js';

/** Read receipts of the rooms opened: REST on open, then `receipt` events. */
export function useReceiptsStore({ socket, me, onOwnRead }) {
  const [receipts, setState] = useState({});

  useEffect(() => {
    if (!socket) return undefined;
    const onReceipt = (event) => {
      setState((s) => applyReceipt(s, event));
      if (event?.username === me) onOwnRead?.(event);
    };
    socket.on('receipt', onReceipt);
    return () => socket.off('receipt', onReceipt);
  }, [socket, me, onOwnRead]);

  const load = useCallback(async (roomId) => {
    try {
      const list = await api.fetchReceipts(roomId);
      setState((s) => setReceipts(s, roomId, list));
    } catch {
      // an old server has no receipts: nothing is shown
    }
  }, []);

  return { receipts, load };
}
