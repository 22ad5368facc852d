// The Settings' "Date and time" card (an owner's): the device's time zone, chosen from the zones
// the device knows (GET /api/time-zones) and set with POST /api/time-zone, which goes to systemd's
// own time service. Rendered here, outside the settings form; the Settings view only mounts it.

import type { DeviceApi } from './api.js';
import { h, say } from './dom.js';
import { deviceText } from './i18n/server.js';
import { formatDateTime, formatZoneName, t } from './i18n/translate.js';
import type { DeviceStatus } from './view.js';

export class TimeCard {
  private readonly select: HTMLSelectElement;
  private readonly button: HTMLButtonElement;
  private readonly now: HTMLElement;
  private readonly sync: HTMLElement;
  private readonly message: HTMLElement;
  private loaded = false;
  private time: DeviceStatus['time'];

  constructor(
    private readonly card: HTMLElement,
    private readonly api: DeviceApi,
  ) {
    this.select = h('select', { id: 'time-zone', 'aria-describedby': 'time-zone-hint' });
    this.button = h('button', { class: 'btn', type: 'submit' }, t('time.zoneSet'));
    this.now = h('p', { id: 'time-now' });
    this.sync = h('p', { class: 'hint', id: 'time-sync' });
    this.message = h('p', { class: 'form-message', id: 'time-message', role: 'status', 'aria-live': 'polite' });
    const form = h(
      'form',
      { class: 'subform', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'time-zone' }, t('time.zone')), this.select, h('p', { class: 'hint', id: 'time-zone-hint' }, t('time.zoneHint'))),
      this.message,
      this.button,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.setZone();
    });
    card.replaceChildren(h('h3', { id: 'time-heading' }, t('time.heading')), this.now, this.sync, form);
    card.hidden = false;
  }

  showStatus(status: DeviceStatus | undefined): void {
    if (!status?.time) return;
    this.time = status.time;
    const time = status.time;
    this.now.textContent = t('time.now', { time: formatDateTime(Date.parse(time.now), { timeZone: time.timeZone }), zone: formatZoneName(time.timeZone) });
    this.sync.textContent = t(time.synchronized === true ? 'time.sync.yes' : time.synchronized === false ? 'time.sync.no' : 'time.sync.unknown');
    if (this.loaded && document.activeElement !== this.select) this.select.value = time.timeZone;
  }

  /** Fills the zone list once, when the Settings view opens. */
  async load(): Promise<void> {
    if (this.loaded) return;
    const result = await this.api.request<{ zones: string[] }>('GET', '/api/time-zones');
    if (!result.ok) {
      say(this.message, deviceText(result.error, result.message, result.message), 'bad');
      return;
    }
    const current = this.time?.timeZone;
    const zones = result.body.zones.includes(current ?? '') || !current ? result.body.zones : [current, ...result.body.zones];
    this.select.replaceChildren(...zones.map((zone) => new Option(zone.replace(/_/g, ' '), zone, false, zone === current)));
    this.loaded = true;
  }

  private async setZone(): Promise<void> {
    const zone = this.select.value;
    if (!zone) return;
    this.button.disabled = true;
    say(this.message, t('time.zoneSaving'));
    try {
      const result = await this.api.request<DeviceStatus['time']>('POST', '/api/time-zone', { json: { timeZone: zone } });
      if (result.ok) {
        say(this.message, t('time.zoneSaved', { zone }), 'ok');
        if (result.body) this.showStatus({ time: result.body } as DeviceStatus);
      } else if (result.error === 'time-zone-not-permitted') {
        say(this.message, t('time.zoneNotAllowed'), 'bad');
      } else if (result.status === 400) {
        say(this.message, t('time.zoneUnknown', { zone }), 'bad');
      } else {
        say(this.message, t('time.zoneFailed', { message: result.message }), 'bad');
      }
    } finally {
      this.button.disabled = false;
    }
  }
}
