// The device's time on the live view: a line in the status card that ticks, a warning when the
// clock is clearly wrong, and a clock over the picture (drawn by this page over the <img> or
// <video>, never into the stream, so recordings and other viewers are untouched), switched by a
// toolbar button and remembered in this browser.

import { byId } from './dom.js';
import { formatDateTime, formatZoneName, t } from './i18n/translate.js';
import { text } from './render.js';
import { clockWarning, deviceNowMs, type DeviceClock } from './time.js';
import { formatDuration, type DeviceStatus } from './view.js';

const OVERLAY_KEY = 'picamd.clockOverlay';

export function findTimeElements(doc: Document) {
  return {
    line: byId(doc, 's-time'),
    warning: byId(doc, 'time-warning'),
    overlay: byId(doc, 'clock-overlay'),
    toggle: byId<HTMLButtonElement>(doc, 'clock-toggle'),
  };
}

export type TimeElements = ReturnType<typeof findTimeElements>;

export class TimeView {
  private time: DeviceClock | undefined;
  private receivedAtMs = 0;
  private overlayOn = false;

  constructor(private readonly ui: TimeElements) {}

  start(): void {
    this.overlayOn = readFlag();
    this.ui.toggle.addEventListener('click', () => {
      this.overlayOn = !this.overlayOn;
      writeFlag(this.overlayOn);
      this.render();
    });
    // Seconds move on between status documents (every 2 s at most; longer while polling).
    window.setInterval(() => {
      if (!document.hidden) this.render();
    }, 1_000);
    this.render();
  }

  showStatus(status: DeviceStatus): void {
    if (!status.time) return;
    this.time = status.time;
    this.receivedAtMs = Date.now();
    this.render();
  }

  private render(): void {
    const { ui, time } = this;
    ui.toggle.setAttribute('aria-pressed', String(this.overlayOn));
    ui.toggle.hidden = !time;
    const nowMs = Date.now();
    const deviceMs = time ? deviceNowMs(time, this.receivedAtMs, nowMs) : undefined;
    ui.overlay.hidden = !(this.overlayOn && deviceMs !== undefined);
    if (!time || deviceMs === undefined) return;
    const zone = { timeZone: time.timeZone };
    text(ui.line, t('time.now', { time: formatDateTime(deviceMs, zone), zone: formatZoneName(time.timeZone) }));
    if (this.overlayOn) text(ui.overlay, formatDateTime(deviceMs, { ...zone, dateStyle: 'short', timeStyle: 'medium' }));
    const warning = clockWarning(time, deviceMs, nowMs, (ms) => formatDateTime(ms, zone), formatDuration);
    ui.warning.hidden = !warning;
    text(ui.warning, warning ? t(warning.key, warning.params) : '');
  }
}

function readFlag(): boolean {
  try {
    return window.localStorage.getItem(OVERLAY_KEY) === 'on';
  } catch {
    return false;
  }
}

function writeFlag(on: boolean): void {
  try {
    window.localStorage.setItem(OVERLAY_KEY, on ? 'on' : 'off');
  } catch {
    // Not remembered; this page still shows it.
  }
}
