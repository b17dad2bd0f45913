import { useState } from 'react';
import styled from 'styled-components';
import { Link } from 'react-router-dom';
import { errorMessage } from '../api/errors.js';
import { Button, ErrorText, Field, Input, Label } from '../styles/ui.js';

const Card = styled.main`
  max-width: 380px;
  margin: 10vh auto 0;
  padding: 24px 20px;
  background: ${(p) => p.theme.surface};
  border: 1px solid ${(p) => p.theme.border};
  border-radius: 10px;
  @media (max-width: 420px) { margin: 16px 8px; }
  h1 { margin: 0 0 4px; font-size: 1.5rem; }
  p.sub { margin: 0 0 16px; color: ${(p) => p.theme.muted}; }
`;

/** Shared by the Log in and Sign up pages. */
export function AuthForm({ title, submitLabel, onSubmit, altText, altLink, altLabel, idPrefix, notice }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter a username and a password');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(username.trim(), password);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Card>
      <h1>MiniTalk</h1>
      <p className="sub">{title}</p>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit} noValidate aria-label={title}>
        <Field>
          <Label htmlFor={`${idPrefix}-username`}>Username</Label>
          <Input
            id={`${idPrefix}-username`}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </Field>
        <Field>
          <Label htmlFor={`${idPrefix}-password`}>Password</Label>
          <Input
            id={`${idPrefix}-password`}
            name="password"
            type="password"
            autoComplete={idPrefix === 'signup' ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        {error && (
          <ErrorText role="alert" data-testid="form-error">
            {error}
          </ErrorText>
        )}
        <Button type="submit" disabled={busy}>
          {submitLabel}
        </Button>
      </form>
      <p>
        {altText} <Link to={altLink}>{altLabel}</Link>
      </p>
    </Card>
  );
}
