// What next: a one-time welcome after the first run, and the "Connect other apps" card with the
// addresses to paste elsewhere (copy buttons) and short recipes for Home Assistant, Frigate and
// OctoPrint (the tested settings are in docs/integrations.md).

import { h } from './dom.js';
import { t } from './i18n/translate.js';
import { appAddresses, type AppAddress } from './connect.js';
import type { DeviceStatus } from './view.js';

/** Set by the first-run screen when this browser set the camera up; cleared by "Got it". */
export const WELCOME_KEY = 'picamd.welcome';

export class ConnectView {
  private shown = '';

  constructor(
    private readonly card: HTMLElement,
    private readonly welcome: HTMLElement,
    private readonly page: { origin: string; hostname: string },
  ) {}

  start(): void {
    if (storage('get') === 'pending') this.showWelcome();
    this.render(undefined);
  }

  showStatus(status: DeviceStatus): void {
    this.render(status);
  }

  private render(status: DeviceStatus | undefined): void {
    const addresses = appAddresses(this.page.origin, this.page.hostname, status);
    const key = addresses.map((a) => a.url).join(' ');
    if (key === this.shown) return;
    this.shown = key;
    const stream = `${this.page.origin}/?action=stream`;
    const snapshot = `${this.page.origin}/?action=snapshot`;
    this.card.replaceChildren(
      h('h2', { id: 'connect-heading' }, t('connect.heading')),
      h('p', { class: 'hint' }, t('connect.lead')),
      h('ul', { class: 'addresses' }, ...addresses.map((address) => addressItem(address))),
      h(
        'details',
        { class: 'recipes' },
        h('summary', {}, t('connect.recipes')),
        h('p', { 'data-recipe': 'home-assistant' }, t('connect.homeAssistant')),
        h('p', { 'data-recipe': 'frigate' }, t('connect.frigate')),
        h('p', { 'data-recipe': 'octoprint' }, t('connect.octoprint', { stream, snapshot })),
        h('p', { class: 'hint' }, t('connect.more')),
      ),
    );
    this.card.hidden = false;
  }

  private showWelcome(): void {
    const done = h('button', { class: 'btn primary', type: 'button' }, t('connect.welcome.done'));
    done.addEventListener('click', () => {
      storage('remove');
      this.welcome.hidden = true;
    });
    this.welcome.replaceChildren(
      h('h2', { id: 'welcome-heading' }, t('connect.welcome.heading')),
      h('ul', {}, h('li', {}, t('connect.welcome.privacy')), h('li', {}, t('connect.welcome.settings')), h('li', {}, t('connect.welcome.apps'))),
      done,
    );
    this.welcome.hidden = false;
  }
}

/** Marks the welcome for this browser's next look at the live view (after the first run). */
export function welcomeAfterSetup(): void {
  storage('set');
}

function storage(action: 'get' | 'set' | 'remove'): string | null {
  try {
    if (action === 'get') return window.localStorage.getItem(WELCOME_KEY);
    if (action === 'set') window.localStorage.setItem(WELCOME_KEY, 'pending');
    else window.localStorage.removeItem(WELCOME_KEY);
  } catch {
    // Storage blocked: no welcome, nothing lost.
  }
  return null;
}

function addressItem(address: AppAddress): HTMLElement {
  const label = t(address.label);
  const input = h('input', { class: 'address', readonly: true, value: address.url, 'aria-label': label, spellcheck: 'false' });
  const copy = h('button', { class: 'btn small', type: 'button', 'aria-label': t('connect.copyLabel', { what: label }) }, t('common.copy'));
  copy.addEventListener('click', () => void copyText(input, copy));
  return h('li', { 'data-address': address.id }, h('span', { class: 'address-label' }, label), h('span', { class: 'address-row' }, input, copy));
}

/**
 * The Clipboard API exists only on secure pages (https, localhost); a camera at http://picamd.local
 * is neither, so the older selection copy is the fallback, and when both fail the address is left
 * selected for the person to copy.
 */
async function copyText(input: HTMLInputElement, button: HTMLButtonElement): Promise<void> {
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    }
  } catch {
    copied = false;
  }
  if (!copied) {
    input.focus();
    input.select();
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
  }
  const before = t('common.copy');
  button.textContent = copied ? t('common.copied') : t('common.copyFailed');
  window.setTimeout(() => (button.textContent = before), 2_000);
}
