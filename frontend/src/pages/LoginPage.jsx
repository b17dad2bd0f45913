import { useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext.jsx';
import { AuthForm } from '../components/AuthForm.jsx';

export function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const notice = useLocation().state?.notice;
  return (
    <AuthForm
      idPrefix="login"
      notice={notice}
      title="Log in to your account"
      submitLabel="Log in"
      onSubmit={async (u, p) => {
        await login(u, p);
        navigate('/', { replace: true });
      }}
      altText="No account yet?"
      altLink="/signup"
      altLabel="Sign up"
    />
  );
}
