// timestamp is an ISO string or epoch (s or ms)
export function toDate(timestamp) {
  if (timestamp === null || timestamp === undefined || timestamp === '') return null;
  let v = timestamp;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) v = Number(v);
  if (typeof v === 'number' && v < 1e12) v *= 1000;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatTime(timestamp, now = new Date()) {
  const d = toDate(timestamp);
  if (!d) return '';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}
