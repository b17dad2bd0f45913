import styled from 'styled-components';
import { bannerText } from '../state/connection.js';

const Bar = styled.div`
  padding: 8px 12px;
  background: ${(p) => p.theme.warnBg};
  color: ${(p) => p.theme.warnText};
  border-bottom: 1px solid ${(p) => p.theme.warnBorder};
  font-weight: 600;
  text-align: center;
`;

export function ConnectionBanner({ status, attempt }) {
  const text = bannerText(status, attempt);
  if (!text) return null;
  return (
    <Bar role="status" aria-live="polite" data-testid="connection-banner" data-state={status}>
      {text}
    </Bar>
  );
}
