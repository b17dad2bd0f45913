// Turn an axios error (or anything thrown) into words for the user.

const STATUS_WORDS = {
  400: 'The request was not valid',
  401: 'You are not logged in or your session expired',
  403: 'You are not a member of this room',
  404: 'Not found',
  409: 'That already exists',
  413: 'That is too large',
  429: 'Too many requests — wait a moment and try again',
};

export function errorMessage(err) {
  const res = err?.response;
  if (res) {
    const data = res.data;
    if (data && typeof data === 'object') {
      if (typeof data.error === 'string' && data.error) return data.error;
      if (typeof data.message === 'string' && data.message) return data.message;
      if (typeof data.detail === 'string' && data.detail) return data.detail;
    }
    if (typeof data === 'string' && data && data.length < 200 && !data.trimStart().startsWith('<')) return data;
    return STATUS_WORDS[res.status] || `Request failed (HTTP ${res.status})`;
  }
  if (err?.request || err?.code === 'ERR_NETWORK') return 'Cannot reach the server — check your connection';
  return err?.message || 'Something went wrong';
}
