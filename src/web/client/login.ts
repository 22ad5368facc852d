// The login page (/login): a user name and password for POST /api/login, which answers with the
// session cookie; then the camera's page. Self-contained (only the translation tables besides),
// because these are the only scripts the device serves to someone not logged in.

import { startLanguage } from './i18n/page.js';
import { t } from './i18n/translate.js';

const HOME = '/';

/** An absolute URL on the device: a page opened as http://user:pass@host/ would otherwise put them in every request URL, which fetch() refuses. */
const at = (path: string) => new URL(path, location.origin).href;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const form = byId<HTMLFormElement>('login-form');
const user = byId<HTMLInputElement>('login-user');
const password = byId<HTMLInputElement>('login-password');
const message = byId<HTMLElement>('login-message');
const submit = byId<HTMLButtonElement>('login-submit');

function say(text: string, tone: 'bad' | '' = 'bad'): void {
  message.textContent = text;
  message.dataset.tone = tone;
}

/** What the device's refusal means to the person at the form. */
export function refusalText(status: number, body: { retryAfterSeconds?: unknown }): string {
  if (status === 401) return t('login.wrong');
  if (status === 429) return t('login.tooMany', { seconds: typeof body.retryAfterSeconds === 'number' ? body.retryAfterSeconds : 60 });
  if (status === 503) return t('login.busy');
  return t('common.httpStatus', { status });
}

async function logIn(): Promise<void> {
  if (!user.value || !password.value) {
    say(t('login.missing'));
    (user.value ? password : user).focus();
    return;
  }
  submit.disabled = true;
  say(t('login.checking'), '');
  try {
    const res = await fetch(at('/api/login'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ user: user.value, password: password.value }),
      cache: 'no-store',
    });
    if (res.ok || res.status === 409) {
      // 409: nobody owns the camera (reset on the device): its page shows the first-run screen.
      location.replace(at(HOME));
      return;
    }
    const body = (await res.json().catch(() => ({}))) as { retryAfterSeconds?: unknown };
    say(refusalText(res.status, body));
    password.select();
    password.focus();
  } catch {
    say(t('common.unreachable'));
  } finally {
    submit.disabled = false;
  }
}

async function main(): Promise<void> {
  startLanguage();
  document.title = t('login.title');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void logIn();
  });
  user.focus();
  // A camera nobody owns yet has no users: its first-run screen is the way in.
  const setup = await fetch(at('/api/setup'), { headers: { Accept: 'application/json' }, cache: 'no-store' }).catch(() => undefined);
  const state = (await setup?.json().catch(() => undefined)) as { claimed?: boolean } | undefined;
  if (setup?.ok && state?.claimed === false) {
    location.replace(at(HOME));
    return;
  }
  // Opened as http://user:pass@host/ (a bookmark, a tool's link): the browser sends those only when
  // challenged, and the page is not; they came along in the address, so they log in here.
  const given = new URL(document.URL);
  if (given.username) {
    user.value = decodeURIComponent(given.username);
    password.value = decodeURIComponent(given.password);
    await logIn();
  }
}

void main();
