import { http } from './client.js';

const room = (roomId) => `/api/chatrooms/${encodeURIComponent(roomId)}`;

export const signup = (username, password) =>
  http.post('/api/auth/signup', { username, password }).then((r) => r.data);

export const login = (username, password) =>
  http.post('/api/auth/login', { username, password }).then((r) => r.data);

/** revokes the current token everywhere (its sockets are closed too) */
export const logout = () => http.post('/api/auth/logout').then((r) => r.data);

export const listRooms = () => http.get('/api/chatrooms').then((r) => (Array.isArray(r.data) ? r.data : []));

export const createRoom = (name, participants) =>
  http.post('/api/chatrooms', { name, participants }).then((r) => r.data);

export const inviteToRoom = (roomId, participants) =>
  http.post(`${room(roomId)}/invite`, { participants }).then((r) => r.data);

export const leaveRoom = (roomId) => http.post(`${room(roomId)}/leave`).then((r) => r.data);

/** params: {limit, before?, after?} -> messages oldest first */
export const fetchMessages = (roomId, params) => {
  const query = {};
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) query[k] = v;
  return http.get(`${room(roomId)}/messages`, { params: query }).then((r) => (Array.isArray(r.data) ? r.data : []));
};

/** -> {roomId, online: [username, ...]} (members only) */
export const fetchPresence = (roomId) => http.get(`${room(roomId)}/presence`).then((r) => r.data);

/** -> [{username, lastReadSeq}] for the room's members */
export const fetchReceipts = (roomId) =>
  http.get(`${room(roomId)}/receipts`).then((r) => (Array.isArray(r.data) ? r.data : []));
