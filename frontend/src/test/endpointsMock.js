// What the App tests put in place of api/endpoints.js: every endpoint a vi.fn() the test sets
// up (`vi.mock('./api/endpoints.js', () => import('./test/endpointsMock.js'))`).
import { vi } from 'vitest';

export const signup = vi.fn();
export const login = vi.fn();
export const logout = vi.fn();
export const listRooms = vi.fn();
export const createRoom = vi.fn();
export const inviteToRoom = vi.fn();
export const leaveRoom = vi.fn();
export const fetchMessages = vi.fn();
export const fetchPresence = vi.fn();
export const fetchReceipts = vi.fn();
