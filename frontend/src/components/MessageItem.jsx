import { memo } from 'react';
import styled from 'styled-components';
import { formatTime, toDate } from '../lib/time.js';

const Li = styled.li`
  align-self: ${(p) => (p.$own ? 'flex-end' : 'flex-start')};
  max-width: min(85%, 640px);
  background: ${(p) => (p.$own ? p.theme.own : p.theme.surface)};
  border: 1px solid ${(p) => (p.$status === 'failed' ? p.theme.danger : p.theme.border)};
  border-radius: 10px;
  padding: 6px 10px;
  .head { display: flex; gap: 8px; align-items: baseline; font-size: 0.8rem; color: ${(p) => p.theme.muted}; }
  .sender { font-weight: 700; color: ${(p) => p.theme.text}; }
  .content { margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  .status { font-size: 0.75rem; color: ${(p) => (p.$status === 'failed' ? p.theme.danger : p.theme.muted)}; }
  .retry {
    font: inherit; background: none; border: 0; padding: 0 2px; color: inherit;
    text-decoration: underline; cursor: pointer;
  }
  .retry:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
`;

function StatusLine({ status, error, onRetry }) {
  if (status === 'sending') return <span className="status">sending</span>;
  if (status === 'failed')
    return (
      <span className="status" title={error || undefined}>
        failed —{' '}
        <button type="button" className="retry" onClick={onRetry}>
          retry
        </button>
      </span>
    );
  return null;
}

export const MessageItem = memo(function MessageItem({ entry, own, onRetry }) {
  const date = toDate(entry.timestamp);
  return (
    <Li
      $own={own}
      $status={entry.status}
      data-testid="message"
      data-seq={entry.seq ?? ''}
      data-id={entry.id ?? ''}
      data-status={entry.status}
      data-sender={entry.sender}
    >
      <div className="head">
        <span className="sender" data-testid="message-sender">
          {entry.sender}
        </span>
        {date && (
          <time dateTime={date.toISOString()} data-testid="message-time">
            {formatTime(entry.timestamp)}
          </time>
        )}
        {own && entry.status === 'sent' && <span className="status">sent</span>}
      </div>
      <p className="content" data-testid="message-content">
        {entry.content}
      </p>
      <StatusLine status={entry.status} error={entry.error} onRetry={() => onRetry(entry.clientMsgId)} />
    </Li>
  );
});
