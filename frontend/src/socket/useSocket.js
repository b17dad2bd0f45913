import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import { CONNECTED, CONNECTING, DISCONNECTED, RECONNECTING } from '../state/connection.js';

const MANUAL_RETRY_MS = [1000, 2000, 5000, 10000];
// handshake refusals that no retry can fix: the session is over
const DEAD_TOKEN = new Set(['token expired', 'token revoked', 'invalid token', 'missing token']);

/**
 * One Socket.IO connection per token, same origin (/socket.io/).
 * Returns { socket, status, attempt }; status is connecting | connected | disconnected | reconnecting.
 * onDeadToken() is called when the server refuses the token (expired or revoked).
 */
export function useSocket(token, onDeadToken = () => {}) {
  const [socket, setSocket] = useState(null);
  const [conn, setConn] = useState({ status: CONNECTING, attempt: 0 });

  useEffect(() => {
    if (!token) return undefined;
    const s = io({ auth: { token }, transports: ['websocket', 'polling'] });
    let manualTries = 0;
    let timer = null;

    // socket.io gives up by itself after a server-side disconnect or a refused handshake
    const retryLater = () => {
      clearTimeout(timer);
      const delay = MANUAL_RETRY_MS[Math.min(manualTries, MANUAL_RETRY_MS.length - 1)];
      manualTries += 1;
      timer = setTimeout(() => {
        if (!s.connected && !s.active) s.connect();
      }, delay);
    };

    const onConnect = () => {
      manualTries = 0;
      setConn({ status: CONNECTED, attempt: 0 });
    };
    const onDisconnect = (reason) => {
      setConn({ status: DISCONNECTED, attempt: 0 });
      if (reason === 'io server disconnect') retryLater();
    };
    const onConnectError = (err) => {
      if (DEAD_TOKEN.has(err?.message)) {
        onDeadToken();
        return;
      }
      setConn((c) => ({ status: c.attempt > 0 ? RECONNECTING : DISCONNECTED, attempt: c.attempt }));
      if (!s.active) retryLater();
    };
    const onAttempt = (attempt) => setConn({ status: RECONNECTING, attempt });

    s.on('connect', onConnect);
    s.on('disconnect', onDisconnect);
    s.on('connect_error', onConnectError);
    s.io.on('reconnect_attempt', onAttempt);
    setSocket(s);
    setConn({ status: CONNECTING, attempt: 0 });

    return () => {
      clearTimeout(timer);
      s.off('connect', onConnect);
      s.off('disconnect', onDisconnect);
      s.off('connect_error', onConnectError);
      s.io.off('reconnect_attempt', onAttempt);
      s.disconnect();
      setSocket(null);
    };
  }, [token]);

  return { socket, status: conn.status, attempt: conn.attempt };
}
