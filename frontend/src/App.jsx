import { Navigate, Route, Routes } from 'react-router-dom';
import { ThemeProvider } from 'styled-components';
import { AuthProvider, useAuth } from './auth/AuthContext.jsx';
import { ChatProvider } from './chat/ChatContext.jsx';
import { ChatLayout } from './pages/ChatLayout.jsx';
import { ChatView, NoRoomSelected } from './pages/ChatView.jsx';
import { LoginPage } from './pages/LoginPage.jsx';
import { SignupPage } from './pages/SignupPage.jsx';
import { GlobalStyle } from './styles/GlobalStyle.js';
import { themeFor } from './styles/theme.js';
import { usePrefersDark } from './styles/usePrefersDark.js';

function LoggedIn() {
  const { session } = useAuth();
  if (!session) return <Navigate to="/login" replace />;
  // a new user gets fresh chat state and a fresh socket
  return (
    <ChatProvider key={session.username}>
      <ChatLayout />
    </ChatProvider>
  );
}

function LoggedOut({ children }) {
  const { session } = useAuth();
  return session ? <Navigate to="/" replace /> : children;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <LoggedOut>
            <LoginPage />
          </LoggedOut>
        }
      />
      <Route
        path="/signup"
        element={
          <LoggedOut>
            <SignupPage />
          </LoggedOut>
        }
      />
      <Route path="/" element={<LoggedIn />}>
        <Route index element={<NoRoomSelected />} />
        <Route path="rooms/:roomId" element={<ChatView />} />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}

/** The theme follows the system setting (light / dark), live. */
export function App() {
  const dark = usePrefersDark();
  return (
    <ThemeProvider theme={themeFor(dark)}>
      <GlobalStyle />
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </ThemeProvider>
  );
}
