import { useLayoutEffect, useRef } from 'react';
import styled from 'styled-components';
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

const NEAR = 60;

export function MessageList({ room, me, loadingOlder, onLoadOlder, onRetry }) {
  const scroller = useRef(null);
  const anchor = useRef(null); // {height, top} before an older page is prepended
  const stick = useRef(true); // follow new messages while the reader is at the bottom
  const entries = room?.entries ?? [];
  const firstKey = entries[0]?.key;
  const lastKey = entries[entries.length - 1]?.key;
  const lastOwnPending = entries.length > 0 && entries[entries.length - 1].status === 'sending';

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
    } else if (stick.current || lastOwnPending) {
      el.scrollTop = el.scrollHeight;
    }
  }, [firstKey, lastKey, entries.length, lastOwnPending]);

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
          <MessageItem key={entry.key} entry={entry} own={entry.sender === me} onRetry={onRetry} />
        ))}
      </Ol>
    </Scroller>
  );
}
