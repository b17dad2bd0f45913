import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { configureHttp } from '../api/client.js';
import * as api from '../api/endpoints.js';
import { clearSession, loadSession, saveSession } from './session.js';

const AuthContext = createContext(null);

export function AuthProvider({ children }) {
  const [session, setSession] = useState(loadSession);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  // the token is no longer good (expired or revoked): forget the session
  const expire = useCallback(() => {
    clearSession();
    setSession(null);
  }, []);

  // the user logs out: revoke the token on the server (best effort), then forget it
  const logout = useCallback(() => {
    if (sessionRef.current?.token) Promise.resolve(api.logout()).catch(() => {});
    expire();
  }, [expire]);

  // configure synchronously so the very first request carries the token
  configureHttp({ tokenGetter: () => sessionRef.current?.token ?? null, unauthorized: expire });

  const login = useCallback(async (username, password) => {
    const data = await api.login(username, password);
    const next = { token: data.token, username: data.username || username };
    saveSession(next);
    sessionRef.current = next;
    setSession(next);
    return next;
  }, []);

  const signup = useCallback((username, password) => api.signup(username, password), []);

  const value = useMemo(
    () => ({ session, login, signup, logout, expire }),
    [session, login, signup, logout, expire],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
