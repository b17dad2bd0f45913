// Connection status -> what the banner says (null: no banner).

export const CONNECTING = 'connecting';
export const CONNECTED = 'connected';
export const DISCONNECTED = 'disconnected';
export const RECONNECTING = 'reconnecting';

export function bannerText(status, attempt = 0) {
  switch (status) {
    case DISCONNECTED:
      return 'Disconnected — Reconnecting…';
    case RECONNECTING:
      return attempt > 0
        ? `Disconnected — Reconnecting… (attempt ${attempt})`
        : 'Disconnected — Reconnecting…';
    default:
      return null;
  }
}
