// Pure "New messages" line: where the user stopped reading when the room opened.
//
// Marker: { roomId, afterSeq, visible } — afterSeq is the read position captured when the room
// opened (or when the tab came back into view with unread messages), null for no line.

/** Capture (or keep) the marker for the open room. */
export function nextMarker(prev, { roomId, room, visible }) {
  const capture = () => ({
    roomId,
    afterSeq: room && room.unread > 0 && typeof room.lastReadSeq === 'number' ? room.lastReadSeq : null,
    visible,
  });
  if (!prev || prev.roomId !== roomId) return capture();
  if (!prev.visible && visible && room?.unread > 0) return capture();
  return prev.visible === visible ? prev : { ...prev, visible };
}

/** Key of the first message after the marker that someone else sent, or null (no line). */
export function markerKey(entries, afterSeq, me) {
  if (typeof afterSeq !== 'number') return null;
  const first = entries.find((e) => typeof e.seq === 'number' && e.seq > afterSeq && e.sender !== me);
  return first ? first.key : null;
}
