import { useState } from 'react';
import styled from 'styled-components';
import { useAuth } from '../auth/AuthContext.jsx';
import { useTypingEmitter } from '../chat/useTypingEmitter.js';
import { localStore } from '../lib/storage.js';
import { composerKey, limitState, overByText, overLimitText } from '../state/composer.js';
import { clearDraft, loadDraft, saveDraft } from '../state/drafts.js';
import { Button } from '../styles/ui.js';

const Form = styled.form`
  padding: 8px 12px 12px;
  background: ${(p) => p.theme.surface};
  border-top: 1px solid ${(p) => p.theme.border};
  .row { display: flex; gap: 8px; align-items: flex-end; }
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 40px;
    max-height: 40vh;
    field-sizing: content; /* grows with the text (Chromium), up to max-height, then scrolls */
    resize: none;
    padding: 8px 10px;
    font: inherit;
    color: ${(p) => p.theme.text};
    background: ${(p) => p.theme.surface};
    border: 1px solid ${(p) => p.theme.control};
    border-radius: 6px;
  }
  textarea[aria-invalid='true'] { border-color: ${(p) => p.theme.danger}; }
  textarea:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
  .limit { display: flex; gap: 12px; justify-content: flex-end; margin: 4px 0 0; font-size: 0.8rem; }
  .count { color: ${(p) => p.theme.muted}; font-variant-numeric: tabular-nums; }
  .count[data-over='true'] { color: ${(p) => p.theme.danger}; font-weight: 700; }
  .too-long { margin: 0; flex: 1; color: ${(p) => p.theme.danger}; }
`;

/**
 * Enter sends, Shift+Enter inserts a new line, Up in an empty composer edits my last message.
 * The text is this room's draft (kept per user and room in localStorage until sent). Near the
 * server's length limit a counter shows; over it, sending is refused with the reason.
 */
export function Composer({ roomId, onSend, emitTyping, onEditLast = () => false }) {
  const me = useAuth().session?.username ?? null;
  const [text, setText] = useState(() => loadDraft(localStore(), me, roomId));
  const { keystroke, stop } = useTypingEmitter(roomId, emitTyping);
  const limit = limitState(text);
  const empty = !text.trim();

  const change = (value) => {
    setText(value);
    saveDraft(localStore(), me, roomId, value);
  };

  const send = () => {
    if (empty || limit.over) return;
    onSend(text.trim());
    setText('');
    clearDraft(localStore(), me, roomId);
    stop();
  };

  return (
    <Form
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <div className="row">
        <label htmlFor="message-input" className="visually-hidden">
          Message
        </label>
        <textarea
          id="message-input"
          rows={1}
          value={text}
          placeholder="Write a message… (↑ edits your last one)"
          aria-describedby="composer-hint composer-limit"
          aria-invalid={limit.over ? 'true' : undefined}
          onChange={(e) => {
            change(e.target.value);
            if (e.target.value) keystroke();
            else stop();
          }}
          onBlur={stop}
          onKeyDown={(e) => {
            const action = composerKey(
              { ...pick(e), isComposing: e.nativeEvent.isComposing, keyCode: e.nativeEvent.keyCode },
              text,
            );
            if (action === 'send') {
              e.preventDefault();
              send();
            } else if (action === 'edit-last' && onEditLast()) {
              e.preventDefault();
            }
          }}
        />
        <Button type="submit" disabled={empty || limit.over}>
          Send
        </Button>
      </div>
      <span id="composer-hint" className="visually-hidden">
        Enter sends, Shift+Enter starts a new line.
      </span>
      <div className="limit" id="composer-limit">
        {limit.over && (
          <p className="too-long" role="alert" data-testid="composer-too-long">
            {overLimitText(limit)}
          </p>
        )}
        {limit.near && (
          <span className="count" data-testid="composer-count" data-over={limit.over ? 'true' : 'false'}>
            <span className="visually-hidden">Characters: </span>
            {limit.label}
            {limit.over && ` · ${overByText(limit)}`}
          </span>
        )}
      </div>
    </Form>
  );
}

const pick = (e) => ({ key: e.key, shiftKey: e.shiftKey, altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey });
