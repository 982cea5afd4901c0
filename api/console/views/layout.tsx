/** The console's page frame: header, navigation for the signed-in role, the main region, and the assets. */
import type { ComponentChildren } from 'preact';
import type { Actor } from '../../../workflows/domain/state';
import { assetUrl } from '../assets';
import { CSRF_FIELD } from '../session';

export interface NavItem {
  href: string;
  label: string;
}

export interface Viewer {
  actor: Actor;
  csrfToken: string;
  nav: NavItem[];
}

export function roleLabel(actor: Actor): string {
  return actor.role === 'supplier' ? `Supplier ${actor.supplierId ?? ''}`.trim() : actor.role.charAt(0).toUpperCase() + actor.role.slice(1);
}

export function Layout({ title, viewer, current, children }: { title: string; viewer?: Viewer; current?: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* htmx reads its configuration here: no inline styles (CSP), no eval, and 4xx/5xx answers swap in their form errors. */}
        <meta
          name="htmx-config"
          content={JSON.stringify({
            includeIndicatorStyles: false,
            allowEval: false,
            allowScriptTags: false,
            responseHandling: [
              { code: '204', swap: false },
              { code: '[23]..', swap: true },
              { code: '[45]..', swap: true, error: true },
            ],
          })}
        />
        <title>{`${title} · P2P Console`}</title>
        <link rel="stylesheet" href={assetUrl('console.css')} />
        <script src={assetUrl('htmx.min.js')} defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <div class="brand">
            <span class="brand-mark" aria-hidden="true">
              P2P
            </span>
            <span class="brand-name">Procure-to-pay console</span>
          </div>
          {viewer && (
            <nav aria-label="Main">
              <ul>
                {viewer.nav.map((item) => (
                  <li>
                    <a href={item.href} aria-current={current === item.href ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {viewer && (
            <div class="who">
              <span class="who-role">{roleLabel(viewer.actor)}</span>
              <form method="post" action="/console/sign-out">
                <input type="hidden" name={CSRF_FIELD} value={viewer.csrfToken} />
                <button type="submit" class="button button-quiet">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main">
          <div id="notice" aria-live="polite"></div>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A message in the page (a refusal, a 403 outside the role, a page that is not there). */
export function MessagePage({ title, message, viewer }: { title: string; message: string; viewer?: Viewer }) {
  return (
    <Layout title={title} {...(viewer ? { viewer } : {})}>
      <section class="panel message" role="alert">
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href="/console">Back to the console</a>
        </p>
      </section>
    </Layout>
  );
}
