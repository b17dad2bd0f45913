import { useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '../styles/ui.js';

const Form = styled.form`
  margin-top: 4px;
  textarea {
    display: block;
    width: min(520px, 70vw);
    max-width: 100%;
    min-height: 56px;
    padding: 6px 8px;
    font: inherit;
    border: 1px solid ${(p) => p.theme.primary};
    border-radius: 6px;
    resize: vertical;
  }
  textarea:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
  .row { display: flex; gap: 6px; align-items: center; margin-top: 6px; flex-wrap: wrap; }
  .hint { font-size: 0.75rem; color: ${(p) => p.theme.muted}; }
  button { min-height: 30px; padding: 0 10px; }
`;

/**
 * Inline editor of one of my messages: Enter saves, Shift+Enter is a new line, Escape cancels.
 * `onSave(content)` resolves to the ack; on {ok:false} the text stays and the error is shown.
 */
/** Tries to focus the editor this many times, a frame apart (see `useFocusOnOpen`). */
const FOCUS_TRIES = 30;

/**
 * Focus the element once it can take focus. `autoFocus` alone lost it at times: the
 * virtualized list (react-virtuoso) may render a row hidden while it measures it, and
 * `focus()` on a hidden element does nothing. So try again, a frame apart, until it holds.
 */
function useFocusOnOpen(ref) {
  useEffect(() => {
    let tries = 0;
    let timer;
    const attempt = () => {
      const el = ref.current;
      if (!el) return;
      if (document.activeElement !== el) el.focus();
      if (document.activeElement !== el && ++tries < FOCUS_TRIES) timer = setTimeout(attempt, 16);
    };
    attempt();
    return () => clearTimeout(timer);
  }, [ref]);
}

export function MessageEditor({ initial, onSave, onCancel, onError }) {
  const [text, setText] = useState(initial);
  const [saving, setSaving] = useState(false);
  const input = useRef(null);
  useFocusOnOpen(input);

  const save = async () => {
    const content = text.trim();
    if (saving) return;
    if (!content) {
      onError('A message cannot be empty — delete it instead.');
      return;
    }
    if (content === initial) {
      onCancel();
      return;
    }
    setSaving(true);
    const ack = await onSave(content);
    setSaving(false);
    if (!ack.ok) onError(ack.error);
  };

  return (
    <Form
      aria-label="Edit message"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <textarea
        aria-label="Edit message"
        data-testid="edit-input"
        value={text}
        ref={input}
        onFocus={(e) => e.target.setSelectionRange(e.target.value.length, e.target.value.length)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          }
        }}
      />
      <div className="row">
        <Button type="submit" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </Button>
        <Button type="button" $variant="ghost" onClick={onCancel} disabled={saving}>
          Cancel
        </Button>
        <span className="hint">Enter to save · Esc to cancel</span>
      </div>
    </Form>
  );
}
