import axios from 'axios';

// Same origin as the page: the edge routes /api/* to the services.
export const http = axios.create({ baseURL: '/', timeout: 15000, headers: { 'Content-Type': 'application/json' } });

let getToken = () => null;
let onUnauthorized = () => {};

/** Wire the client to the session (called once by the AuthProvider). */
export function configureHttp({ tokenGetter, unauthorized }) {
  getToken = tokenGetter;
  onUnauthorized = unauthorized;
}

http.interceptors.request.use((config) => {
  const token = getToken();
  if (token) config.headers.Authorization = `Bearer ${token}`;
  return config;
});

http.interceptors.response.use(
  (res) => res,
  (err) => {
    const url = err?.config?.url || '';
    // a 401 from anything but the auth endpoints means the token is no longer good
    if (err?.response?.status === 401 && !url.includes('/api/auth/') && getToken()) onUnauthorized();
    return Promise.reject(err);
  },
);
