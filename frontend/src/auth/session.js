// Session persisted in localStorage under the keys "token" and "username".

export const TOKEN_KEY = 'token';
export const USERNAME_KEY = 'username';

function storage() {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

export function loadSession() {
  const s = storage();
  const token = s?.getItem(TOKEN_KEY);
  const username = s?.getItem(USERNAME_KEY);
  return token && username ? { token, username } : null;
}

export function saveSession({ token, username }) {
  const s = storage();
  s?.setItem(TOKEN_KEY, token);
  s?.setItem(USERNAME_KEY, username);
}

export function clearSession() {
  const s = storage();
  s?.removeItem(TOKEN_KEY);
  s?.removeItem(USERNAME_KEY);
}
