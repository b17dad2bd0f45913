import styled from 'styled-components';
import { Button } from '../styles/ui.js';

const Bar = styled.div`
  padding: 8px 12px;
  border-bottom: 1px solid ${(p) => p.theme.border};
  font-size: 0.85rem;
  color: ${(p) => p.theme.muted};
  p { margin: 0; }
`;

/**
 * Desktop notifications: a button that asks the browser's permission (a user gesture, never on
 * load) while it was neither granted nor refused; then a line that says how things stand.
 * Nothing without the Notification API.
 */
export function NotificationControl({ permission, onEnable }) {
  if (permission === 'unsupported') return null;
  return (
    <Bar data-testid="notifications" data-permission={permission}>
      {permission === 'default' && (
        <Button type="button" $variant="ghost" onClick={onEnable}>
          <span aria-hidden="true">🔔 </span>Enable notifications
        </Button>
      )}
      {permission === 'granted' && <p>Desktop notifications are on (muted rooms stay quiet).</p>}
      {permission === 'denied' && <p>Notifications are blocked in this browser&apos;s site settings.</p>}
    </Bar>
  );
}
