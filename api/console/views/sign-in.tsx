/** Sign-in: one field, the API key; its role decides what the console shows. */
import { CSRF_FIELD } from '../session';
import { Notice } from './components';
import { Layout } from './layout';

export function SignInPage({ token, error, next, expired }: { token: string; error?: string | undefined; next?: string | undefined; expired?: boolean }) {
  return (
    <Layout title="Sign in">
      <section class="panel sign-in">
        <h1>Sign in</h1>
        <p class="muted">Use the API key you were given. Its role decides what you see.</p>
        <Notice text={expired ? 'Your session ended. Sign in again to continue.' : undefined} />
        <form method="post" action="/console/sign-in" class="stack">
          <input type="hidden" name={CSRF_FIELD} value={token} />
          {next && <input type="hidden" name="next" value={next} />}
          <div class={`field${error ? ' field-invalid' : ''}`}>
            <label for="api-key">API key</label>
            <input
              id="api-key"
              name="apiKey"
              type="password"
              autocomplete="current-password"
              required
              autofocus
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? 'api-key-error' : undefined}
            />
            {error && (
              <span class="field-error" id="api-key-error" role="alert">
                {error}
              </span>
            )}
          </div>
          <button type="submit" class="button button-primary">
            Sign in
          </button>
        </form>
      </section>
    </Layout>
  );
}
