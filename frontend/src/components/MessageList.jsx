import { Fragment, useLayoutEffect, useRef } from 'react';
import styled from 'styled-components';
import { markerKey } from '../state/newMessages.js';
import { seenBy, seenByText } from '../state/receipts.js';
import { Button } from '../styles/ui.js';
import { MessageItem } from './MessageItem.jsx';

const Scroller = styled.div`
  flex: 1;
  min-height: 0;
  overflow-y: auto;
  padding: 12px;
  &:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: -3px; }
`;

const Ol = styled.ol`
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-direction: column;
  gap: 8px;
`;

const Top = styled.div`
  text-align: center;
  margin-bottom: 8px;
  color: ${(p) => p.theme.muted};
  font-size: 0.85rem;
`;

const NewLine = styled.li`
  display: flex;
  align-items: center;
  gap: 8px;
  margin: 4px 0;
  color: ${(p) => p.theme.unread};
  font-size: 0.8rem;
  font-weight: 700;
  text-transform: uppercase;
  letter-spacing: 0.04em;
  &::before, &::after { content: ''; flex: 1; border-top: 2px solid ${(p) => p.theme.unread}; }
`;

const Seen = styled.p`
  margin: 4px 2px 0;
  text-align: right;
  font-size: 0.78rem;
  color: ${(p) => p.theme.muted};
`;

const NEAR = 60;

function lastConfirmed(entries) {
  for (let i = entries.length - 1; i >= 0; i -= 1) if (typeof entries[i].seq === 'number') return entries[i];
  return null;
}

export function MessageList({
  room,
  me,
  loadingOlder,
  onLoadOlder,
  onRetry,
  markerAfterSeq = null,
  receipts,
  roomCreator = null,
  editingId = null,
  changes = {},
}) {
  const scroller = useRef(null);
  const anchor = useRef(null); // {height, top} before an older page is prepended
  const stick = useRef(true); // follow new messages while the reader is at the bottom
  const toMarker = useRef(true); // on the first page, show the "new messages" line first
  const markerEl = useRef(null);
  const entries = room?.entries ?? [];
  const firstKey = entries[0]?.key;
  const lastKey = entries[entries.length - 1]?.key;
  const lastOwnPending = entries.length > 0 && entries[entries.length - 1].status === 'sending';
  const newKey = markerKey(entries, markerAfterSeq, me);
  const last = lastConfirmed(entries);
  const seen = seenByText(seenBy(receipts, last, me));

  const loadOlder = () => {
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    onLoadOlder();
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (toMarker.current && markerEl.current) {
      toMarker.current = false;
      el.scrollTop = Math.max(0, markerEl.current.offsetTop - el.offsetTop - 24);
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR;
    } else if (stick.current || lastOwnPending) {
      el.scrollTop = el.scrollHeight;
    }
    if (room?.loaded && entries.length) toMarker.current = false;
  }, [firstKey, lastKey, entries.length, lastOwnPending, newKey, room?.loaded]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR;
    if (el.scrollTop < NEAR && room?.hasMoreOlder && !loadingOlder && entries.length > 0) loadOlder();
  };

  return (
    <Scroller ref={scroller} onScroll={onScroll} tabIndex={0} role="log" aria-label="Messages" aria-live="polite">
      <Top>
        {room?.hasMoreOlder ? (
          <Button type="button" $variant="ghost" onClick={loadOlder} disabled={loadingOlder}>
            {loadingOlder ? 'Loading…' : 'Load older messages'}
          </Button>
        ) : room?.loaded ? (
          entries.length ? 'Start of the conversation' : 'No messages yet — say hello.'
        ) : (
          'Loading messages…'
        )}
      </Top>
      <Ol data-testid="message-list">
        {entries.map((entry) => (
          <Fragment key={entry.key}>
            {entry.key === newKey && (
              <NewLine ref={markerEl} role="separator" aria-label="New messages" data-testid="new-messages-marker">
                New messages
              </NewLine>
            )}
            <MessageItem
              entry={entry}
              own={entry.sender === me}
              me={me}
              roomCreator={roomCreator}
              editing={editingId != null && entry.id === editingId}
              onRetry={onRetry}
              {...changes}
            />
          </Fragment>
        ))}
      </Ol>
      {seen && <Seen data-testid="seen-by">{seen}</Seen>}
    </Scroller>
  );
}
