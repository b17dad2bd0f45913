import { useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext.jsx';
import { AuthForm } from '../components/AuthForm.jsx';

export function SignupPage() {
  const { signup, login } = useAuth();
  const navigate = useNavigate();
  return (
    <AuthForm
      idPrefix="signup"
      title="Create an account"
      submitLabel="Sign up"
      onSubmit={async (u, p) => {
        await signup(u, p); // errors (e.g. username taken) are shown by the form
        try {
          await login(u, p);
          navigate('/', { replace: true });
        } catch {
          navigate('/login', { replace: true, state: { notice: 'Account created — log in.' } });
        }
      }}
      altText="Already have an account?"
      altLink="/login"
      altLabel="Log in"
    />
  );
}
