import { useId } from 'react';
import styled from 'styled-components';
import { exactTime, relativeTime } from '../lib/time.js';
import { useNow } from '../lib/useNow.js';

const Wrap = styled.span`
  position: relative;
  display: inline-block;
  time { border-radius: 3px; cursor: default; white-space: nowrap; }
  time:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
  .tip {
    display: none;
    position: absolute;
    z-index: 2;
    top: calc(100% + 4px);
    ${(p) => (p.$alignEnd ? 'right: 0;' : 'left: 0;')}
    padding: 3px 8px;
    border-radius: 4px;
    background: ${(p) => p.theme.text};
    color: ${(p) => p.theme.surface};
    font-size: 0.78rem;
    width: max-content;
    max-width: min(70vw, 320px);
    pointer-events: none;
  }
  time:focus-visible + .tip, time:hover + .tip { display: block; }
`;

/**
 * "2 min ago" (or the clock time), with the exact time in a tooltip shown on hover and on
 * keyboard focus; screen readers get it as the description of the focusable <time>.
 */
export function MessageTime({ date, alignEnd = false }) {
  const now = useNow();
  const id = useId();
  const exact = exactTime(date);
  return (
    <Wrap $alignEnd={alignEnd}>
      <time dateTime={date.toISOString()} tabIndex={0} aria-describedby={id} data-testid="message-time" data-exact={exact}>
        {relativeTime(date, new Date(now))}
      </time>
      <span className="tip" role="tooltip" id={id}>
        {exact}
      </span>
    </Wrap>
  );
}
