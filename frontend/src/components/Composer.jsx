import { useState } from 'react';
import styled from 'styled-components';
import { useTypingEmitter } from '../chat/useTypingEmitter.js';
import { Button } from '../styles/ui.js';

const Form = styled.form`
  display: flex;
  gap: 8px;
  align-items: flex-end;
  padding: 8px 12px 12px;
  background: ${(p) => p.theme.surface};
  border-top: 1px solid ${(p) => p.theme.border};
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 40px;
    max-height: 140px;
    resize: none;
    padding: 8px 10px;
    font: inherit;
    border: 1px solid ${(p) => p.theme.border};
    border-radius: 6px;
  }
  textarea:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
`;

/** Enter sends, Shift+Enter inserts a new line, Up in an empty composer edits my last message. */
export function Composer({ roomId, onSend, emitTyping, onEditLast = () => false }) {
  const [text, setText] = useState('');
  const { keystroke, stop } = useTypingEmitter(roomId, emitTyping);

  const send = () => {
    const content = text.trim();
    if (!content) return;
    onSend(content);
    setText('');
    stop();
  };

  return (
    <Form
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label htmlFor="message-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="message-input"
        rows={1}
        value={text}
        placeholder="Write a message… (↑ edits your last one)"
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value) keystroke();
          else stop();
        }}
        onBlur={stop}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === 'ArrowUp' && text === '' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
            if (onEditLast()) e.preventDefault();
          }
        }}
      />
      <Button type="submit" disabled={!text.trim()}>
        Send
      </Button>
    </Form>
  );
}
