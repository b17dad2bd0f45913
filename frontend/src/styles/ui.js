import styled from 'styled-components';

export const Button = styled.button`
  min-height: 40px;
  padding: 0 14px;
  border-radius: 6px;
  border: 1px solid ${(p) => (p.$variant === 'ghost' ? p.theme.control : p.theme.primary)};
  background: ${(p) =>
    p.$variant === 'ghost' ? p.theme.surface : p.$variant === 'danger' ? p.theme.danger : p.theme.primary};
  border-color: ${(p) => (p.$variant === 'danger' ? p.theme.danger : undefined)};
  color: ${(p) => (p.$variant === 'ghost' ? p.theme.text : p.theme.primaryText)};
  font: inherit;
  cursor: pointer;
  white-space: nowrap;
  &:disabled { opacity: 0.55; cursor: not-allowed; }
  &:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 2px; }
`;

export const Input = styled.input`
  min-height: 40px;
  width: 100%;
  min-width: 0;
  padding: 8px 10px;
  border: 1px solid ${(p) => p.theme.control};
  border-radius: 6px;
  font: inherit;
  background: ${(p) => p.theme.surface};
  color: ${(p) => p.theme.text};
  &:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; border-color: ${(p) => p.theme.primary}; }
`;

export const Label = styled.label`
  display: block;
  font-size: 0.875rem;
  font-weight: 600;
  margin-bottom: 4px;
`;

export const Field = styled.div`
  margin-bottom: 12px;
`;

export const ErrorText = styled.p`
  color: ${(p) => p.theme.danger};
  margin: 8px 0;
  font-size: 0.9rem;
`;

export const Row = styled.div`
  display: flex;
  gap: 8px;
  align-items: flex-end;
  & > :first-child { flex: 1; min-width: 0; }
`;

/** Read by screen readers, not shown. */
export const VisuallyHidden = styled.span`
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
`;
