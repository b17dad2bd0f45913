import { memo, useState } from 'react';
import styled from 'styled-components';
import { formatTime, toDate } from '../lib/time.js';
import { permissions } from '../state/messageChanges.js';
import { Button } from '../styles/ui.js';
import { MenuButton } from './Menu.jsx';
import { MessageEditor } from './MessageEditor.jsx';
import { MessageText } from './MessageText.jsx';
import { MessageTime } from './MessageTime.jsx';
import { ReactionBar, ReactionPicker } from './Reactions.jsx';

const AVATAR = 32;
// dark enough for white initials at WCAG AA (4.5:1) on every one
const AVATAR_COLOURS = ['#1d4ed8', '#7c3aed', '#b91c1c', '#0f766e', '#a21caf', '#9a3412', '#15803d', '#334155'];

function avatarColour(name) {
  let h = 0;
  for (const c of String(name)) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return AVATAR_COLOURS[h % AVATAR_COLOURS.length];
}

const Row = styled.div`
  display: flex;
  gap: 8px;
  align-items: flex-start;
  justify-content: ${(p) => (p.$own ? 'flex-end' : 'flex-start')};
  min-width: 0;
  .avatar {
    flex: none;
    width: ${AVATAR}px;
    height: ${AVATAR}px;
    border-radius: 50%;
    display: grid;
    place-items: center;
    color: #fff;
    font-weight: 700;
    font-size: 0.9rem;
    user-select: none;
  }
  .avatar::before { content: attr(data-initial); }
  .avatar.spacer { visibility: hidden; height: 1px; }
`;

const Bubble = styled.article`
  position: relative;
  min-width: 0;
  max-width: min(85%, 640px);
  background: ${(p) => (p.$deleted ? 'transparent' : p.$own ? p.theme.own : p.theme.surface)};
  border: 1px ${(p) => (p.$deleted ? 'dashed' : 'solid')}
    ${(p) => (p.$status === 'failed' ? p.theme.danger : p.theme.border)};
  border-radius: 10px;
  padding: 6px 10px;
  .head { display: flex; gap: 8px; align-items: center; font-size: 0.8rem; color: ${(p) => p.theme.muted}; }
  .sender { font-weight: 700; color: ${(p) => p.theme.text}; overflow-wrap: anywhere; min-width: 0; }
  .tools { display: inline-flex; gap: 2px; margin-left: auto; padding-left: 8px; }
  /* dir=auto isolates the text: RTL overrides and marks in it stay inside the bubble */
  .content {
    margin: 2px 0 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    word-break: normal;
    unicode-bidi: isolate;
    min-width: 0;
  }
  .content code {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 0.88em;
    padding: 1px 4px;
    border-radius: 4px;
    background: ${(p) => p.theme.bg};
    border: 1px solid ${(p) => p.theme.border};
  }
  .content pre {
    margin: 4px 0;
    padding: 6px 8px;
    border-radius: 6px;
    background: ${(p) => p.theme.bg};
    border: 1px solid ${(p) => p.theme.border};
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .content pre code { padding: 0; border: 0; background: none; }
  .content a { overflow-wrap: anywhere; }
  .deleted { margin: 2px 0 0; font-style: italic; color: ${(p) => p.theme.muted}; }
  .edited { font-style: italic; }
  .status { font-size: 0.75rem; color: ${(p) => (p.$status === 'failed' ? p.theme.danger : p.theme.muted)}; }
  .error { margin: 4px 0 0; font-size: 0.8rem; color: ${(p) => p.theme.danger}; }
  .confirm { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-top: 6px; font-size: 0.85rem; }
  .confirm button { min-height: 30px; padding: 0 10px; }
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

function Edited({ editedAt }) {
  const date = toDate(editedAt);
  return (
    <span className="edited" data-testid="message-edited" title={date ? `edited ${formatTime(editedAt)}` : 'edited'}>
      (edited)
    </span>
  );
}

function ConfirmDelete({ onConfirm, onCancel, busy }) {
  return (
    <div className="confirm" role="group" aria-label="Confirm delete">
      <span>Delete this message for everyone?</span>
      <Button type="button" $variant="danger" autoFocus onClick={onConfirm} disabled={busy}>
        {busy ? 'Deleting…' : 'Delete message'}
      </Button>
      <Button type="button" $variant="ghost" onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
    </div>
  );
}

/**
 * One message. I may edit my own, delete my own or, as the room's creator, anyone's
 * (state/messageChanges.js permissions); the callbacks take the message id and resolve to the
 * server's ack; a refusal is shown under the message and nothing typed is lost. `grouped`: it
 * continues the previous message's group (state/conversation.js), so the sender's name and
 * avatar are not shown again (the name stays for screen readers).
 */
export const MessageItem = memo(function MessageItem({
  entry,
  own,
  me,
  grouped = false,
  roomCreator = null,
  editing = false,
  onRetry,
  onStartEdit,
  onStopEdit,
  onEdit,
  onDelete,
  onReact,
}) {
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const date = toDate(entry.timestamp);
  const can = permissions(entry, me, roomCreator);
  const stored = entry.id != null && entry.status === 'sent' && !entry.deleted;

  const run = async (action) => {
    setError(null);
    setBusy(true);
    const ack = await action();
    setBusy(false);
    if (!ack.ok) setError(ack.error);
    return ack;
  };
  const react = (emoji, on) => run(() => onReact(entry.id, emoji, on));
  const remove = async () => {
    const ack = await run(() => onDelete(entry.id));
    if (ack.ok) setConfirming(false);
  };

  const menu = [];
  if (can.edit) menu.push({ key: 'edit', label: 'Edit', onSelect: () => (setError(null), onStartEdit(entry.id)) });
  if (can.delete) menu.push({ key: 'delete', label: 'Delete', danger: true, onSelect: () => setConfirming(true) });

  return (
    <Row
      $own={own}
      data-testid="message"
      data-seq={entry.seq ?? ''}
      data-id={entry.id ?? ''}
      data-status={entry.status}
      data-sender={entry.sender}
      data-edited={entry.editedAt && !entry.deleted ? 'true' : undefined}
      data-deleted={entry.deleted ? 'true' : undefined}
      data-grouped={grouped ? 'true' : undefined}
    >
      {!own && (
        <span
          className={grouped ? 'avatar spacer' : 'avatar'}
          aria-hidden="true"
          data-initial={grouped ? undefined : initial(entry.sender)}
          style={grouped ? undefined : { background: avatarColour(entry.sender) }}
        />
      )}
      <Bubble $own={own} $status={entry.status} $deleted={entry.deleted}>
        <div className="head">
          <bdi className={grouped ? 'sender visually-hidden' : 'sender'} data-testid="message-sender">
            {entry.sender}
          </bdi>
          {date && <MessageTime date={date} alignEnd={own} />}
          {entry.editedAt && !entry.deleted && <Edited editedAt={entry.editedAt} />}
          {own && entry.status === 'sent' && !entry.deleted && <span className="status">sent</span>}
          {stored && !editing && (
            <span className="tools">
              <ReactionPicker reactions={entry.reactions} me={me} onToggle={react} />
              {menu.length > 0 && <MenuButton label="Message actions" icon="⋯" items={menu} testId="message-actions" />}
            </span>
          )}
        </div>
        {entry.deleted ? (
          <p className="deleted" data-testid="message-deleted">
            message deleted
          </p>
        ) : editing && can.edit ? (
          <MessageEditor
            initial={entry.content}
            onSave={(content) => run(() => onEdit(entry.id, content))}
            onCancel={() => (setError(null), onStopEdit())}
            onError={setError}
          />
        ) : (
          <div className="content" dir="auto" data-testid="message-content">
            <MessageText text={entry.content} />
          </div>
        )}
        {!entry.deleted && <ReactionBar reactions={entry.reactions} me={me} onToggle={react} />}
        {confirming && !entry.deleted && (
          <ConfirmDelete onConfirm={remove} onCancel={() => setConfirming(false)} busy={busy} />
        )}
        {error && (
          <p className="error" role="alert" data-testid="message-error">
            {error}
          </p>
        )}
        <StatusLine status={entry.status} error={entry.error} onRetry={() => onRetry(entry.clientMsgId)} />
      </Bubble>
    </Row>
  );
});

// the first letter or digit: a bidi control or zero-width character at the start shows nothing
function initial(name) {
  const first = String(name ?? '').match(/[\p{L}\p{N}]/u);
  return first ? first[0].toUpperCase() : '?';
}
