import styled from 'styled-components';

// Online: a filled green dot; offline: a hollow grey ring. Shape and label say it, not only
// the colour; the label is what a screen reader reads.
const Dot = styled.span`
  display: inline-block;
  flex: none;
  width: 10px;
  height: 10px;
  border-radius: 50%;
  box-sizing: border-box;
  vertical-align: baseline;
  background: ${(p) => (p.$online ? p.theme.online : 'transparent')};
  border: 2px solid ${(p) => (p.$online ? p.theme.online : p.theme.offline)};
`;

export function PresenceDot({ online, name }) {
  const label = online ? 'online' : 'offline';
  return (
    <Dot
      role="img"
      aria-label={label}
      title={name ? `${name} is ${label}` : label}
      data-testid="presence-dot"
      data-online={online ? 'true' : 'false'}
      $online={online}
    />
  );
}
