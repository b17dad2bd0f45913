import styled from 'styled-components';
import { typingText, typingUsers } from '../state/typing.js';

const P = styled.p`
  margin: 0;
  padding: 0 12px;
  min-height: 1.3em;
  font-size: 0.8rem;
  font-style: italic;
  color: ${(p) => p.theme.muted};
`;

export function TypingIndicator({ typing, roomId }) {
  const text = typingText(typingUsers(typing, roomId, Date.now()));
  return (
    <P aria-live="polite" data-testid="typing-indicator">
      {text}
    </P>
  );
}
