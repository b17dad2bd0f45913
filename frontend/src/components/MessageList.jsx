import { forwardRef, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { Virtuoso, VirtuosoMockContext } from 'react-virtuoso';
import styled from 'styled-components';
import { dayLabel } from '../lib/time.js';
import { conversationRows, initialRow, prependedCount } from '../state/conversation.js';
import { reachedStart } from '../state/messages.js';
import { markerKey } from '../state/newMessages.js';
import { seenBy, seenByText } from '../state/receipts.js';
import { Button } from '../styles/ui.js';
import { MessageItem } from './MessageItem.jsx';

// The conversation, virtualized with react-virtuoso: only the rows on screen (and a margin) are
// in the DOM. One row per message (state/conversation.js): its day separator and the "New
// messages" line ride in the row above the message, so prepending an older page shifts
// firstItemIndex by exactly the messages added and the reader's place is kept.

const FIRST_INDEX = 10_000_000; // room for 10 million older messages above
const BOTTOM_SLACK = 60; // px from the bottom that still counts as "at the bottom"

const Frame = styled.div`
  position: relative;
  flex: 1;
  min-height: 0;
  display: flex;
  flex-direction: column;
  .scroller:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: -3px; }
`;

const Placeholder = styled.div`
  flex: 1;
  padding: 12px;
  color: ${(p) => p.theme.muted};
  text-align: center;
  font-size: 0.9rem;
`;

const Ol = styled.ol`
  list-style: none;
  margin: 0;
  padding: 0 12px;
`;

const Li = styled.li`
  padding-top: ${(p) => (p.$grouped ? 2 : 8)}px;
  min-width: 0;
`;

const Top = styled.div`
  text-align: center;
  padding: 12px 12px 4px;
  color: ${(p) => p.theme.muted};
  font-size: 0.85rem;
`;

const Separator = styled.div`
  display: flex;
  align-items: center;
  gap: 8px;
  margin: 8px 0 4px;
  font-size: 0.8rem;
  font-weight: 700;
  color: ${(p) => (p.$new ? p.theme.unread : p.theme.muted)};
  ${(p) => (p.$new ? 'text-transform: uppercase; letter-spacing: 0.04em;' : '')}
  &::before, &::after {
    content: '';
    flex: 1;
    border-top: ${(p) => (p.$new ? `2px solid ${p.theme.unread}` : `1px solid ${p.theme.border}`)};
  }
`;

const Seen = styled.p`
  margin: 0;
  padding: 4px 14px 8px;
  text-align: right;
  font-size: 0.78rem;
  color: ${(p) => p.theme.muted};
`;

const Jump = styled(Button)`
  position: absolute;
  right: 16px;
  bottom: 12px;
  z-index: 3;
  border-radius: 999px;
  box-shadow: 0 2px 8px rgb(0 0 0 / 25%);
`;

// Virtuoso's building blocks; they read the list's state from `context`
const List = forwardRef(function List({ context: _context, ...props }, ref) {
  return <Ol {...props} ref={ref} data-testid="message-list" />;
});

function Item({ item, context: _context, ...props }) {
  return <Li {...props} $grouped={item?.grouped} />;
}

function Header({ context }) {
  const { room, loadingOlder, loadOlder, empty } = context;
  let body;
  if (room?.hasMoreOlder)
    body = (
      <Button type="button" $variant="ghost" onClick={loadOlder} disabled={loadingOlder} aria-busy={loadingOlder}>
        {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
      </Button>
    );
  else if (reachedStart(room))
    body = empty ? (
      'No messages yet — say hello.'
    ) : (
      <span data-testid="start-of-room">This is the start of the room.</span>
    );
  return <Top>{body}</Top>;
}

function Footer({ context }) {
  return context.seen ? <Seen data-testid="seen-by">{context.seen}</Seen> : <div style={{ height: 8 }} />;
}

const COMPONENTS = { List, Item, Header, Footer };

function lastConfirmed(entries) {
  for (let i = entries.length - 1; i >= 0; i -= 1) if (typeof entries[i].seq === 'number') return entries[i];
  return null;
}

/** Where the list starts its numbering: lowered by the rows each older page puts in front. */
function useFirstItemIndex(rows) {
  const [state, setState] = useState({ index: FIRST_INDEX, firstKey: rows[0]?.key ?? null });
  const firstKey = rows[0]?.key ?? null;
  if (firstKey !== state.firstKey) {
    const next = { index: state.index - prependedCount(rows, state.firstKey), firstKey };
    setState(next);
    return next.index;
  }
  return state.index;
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
  const entries = room?.entries ?? [];
  const newKey = markerKey(entries, markerAfterSeq, me);
  const rows = useMemo(() => conversationRows(entries, { markerKey: newKey }), [entries, newKey]);
  const firstItemIndex = useFirstItemIndex(rows);
  const seen = seenByText(seenBy(receipts, lastConfirmed(entries), me));
  // Virtuoso hides the rows until it has scrolled to the initial one; under its test sizes (jsdom,
  // src/test/virtuoso.jsx) nothing scrolls, so every row is laid out from the top instead
  const laidOut = useContext(VirtuosoMockContext) === undefined;
  // fixed at mount: a new value would make Virtuoso hide the rows and scroll there again
  const [initialLocation] = useState(() => (laidOut ? startAt(rows) : undefined));

  const virtuoso = useRef(null);
  const scroller = useRef(null);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const [atBottom, setAtBottom] = useState(true);
  const [lastVisible, setLastVisible] = useState(null);

  const loadOlder = useCallback(() => {
    if (room?.hasMoreOlder && !loadingOlder && entries.length > 0) onLoadOlder();
  }, [room?.hasMoreOlder, loadingOlder, entries.length, onLoadOlder]);

  // follow new messages while at the bottom; my own new message is always shown
  const followOutput = useCallback((bottom) => {
    const last = rowsRef.current[rowsRef.current.length - 1]?.entry;
    return bottom || (last && last.sender === me && last.status === 'sending') ? 'auto' : false;
  }, [me]);

  const jumpToLatest = () => {
    virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end' });
    scroller.current?.focus();
  };

  const context = useMemo(
    () => ({ room, loadingOlder, loadOlder, empty: entries.length === 0, seen }),
    [room, loadingOlder, loadOlder, entries.length, seen],
  );

  const lastIndex = firstItemIndex + rows.length - 1;
  const below = lastVisible == null ? 0 : Math.max(0, lastIndex - lastVisible);

  if (!room?.loaded) {
    return (
      <Frame>
        <Placeholder role="log" aria-label="Messages" aria-busy="true">
          Loading messages…
        </Placeholder>
      </Frame>
    );
  }

  return (
    <Frame>
      <Virtuoso
        ref={virtuoso}
        scrollerRef={(el) => (scroller.current = el)}
        className="scroller"
        style={{ flex: 1, overflowX: 'hidden' }}
        role="log"
        aria-label="Messages"
        aria-live="off"
        tabIndex={0}
        data={rows}
        context={context}
        components={COMPONENTS}
        computeItemKey={(_, row) => row.key}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={initialLocation}
        followOutput={followOutput}
        atBottomThreshold={BOTTOM_SLACK}
        atBottomStateChange={setAtBottom}
        rangeChanged={(range) => setLastVisible(range.endIndex)}
        startReached={loadOlder}
        increaseViewportBy={{ top: 600, bottom: 300 }}
        itemContent={(_, row) => (
          <>
            {row.day && (
              <Separator role="separator" aria-label={dayLabel(row.day)} data-testid="day-separator" data-day={isoDay(row.day)}>
                {dayLabel(row.day)}
              </Separator>
            )}
            {row.newLine && (
              <Separator $new role="separator" aria-label="New messages" data-testid="new-messages-marker">
                New messages
              </Separator>
            )}
            <MessageItem
              entry={row.entry}
              own={row.entry.sender === me}
              me={me}
              grouped={row.grouped}
              roomCreator={roomCreator}
              editing={editingId != null && row.entry.id === editingId}
              onRetry={onRetry}
              {...changes}
            />
          </>
        )}
      />
      {!atBottom && rows.length > 0 && (
        <Jump type="button" onClick={jumpToLatest} data-testid="jump-to-latest" data-below={below}>
          Jump to latest
          {below > 0 && <span>{` (${below} newer)`}</span>}
        </Jump>
      )}
    </Frame>
  );
}

// the "New messages" line at the top when there is one, else the newest message at the bottom
function startAt(rows) {
  return rows.some((r) => r.newLine) ? { index: initialRow(rows), align: 'start' } : { index: 'LAST', align: 'end' };
}

function isoDay(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
