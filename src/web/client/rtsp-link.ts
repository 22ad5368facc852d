import { t } from './i18n/translate.js';
import type { DeviceStatus } from './view.js';

// The RTSP URL to copy into a recorder (Frigate, Blue Iris, VLC), in the Status card: shown while the
// device reports an RTSP server that is on, for the address this page was opened with.

/** rtsp://<this page's host>[:port]/stream, or undefined when the device has no RTSP or it is off. */
export function rtspUrl(status: Pick<DeviceStatus, 'rtsp'>, hostname: string): string | undefined {
  const rtsp = status.rtsp;
  if (!rtsp || rtsp.port === 0) return undefined;
  // location.hostname keeps an IPv6 address's brackets.
  return `rtsp://${hostname}${rtsp.port === 554 ? '' : `:${rtsp.port}`}${rtsp.path ?? '/stream'}`;
}

export interface RtspLinkElements {
  row: HTMLElement;
  url: HTMLElement;
  copy: HTMLButtonElement;
}

export function findRtspLinkElements(doc: Document): RtspLinkElements {
  return {
    row: doc.getElementById('s-rtsp-row') as HTMLElement,
    url: doc.getElementById('s-rtsp') as HTMLElement,
    copy: doc.getElementById('s-rtsp-copy') as HTMLButtonElement,
  };
}

export class RtspLink {
  constructor(
    private readonly ui: RtspLinkElements,
    private readonly hostname: string,
    /** navigator.clipboard.writeText where the page is a secure context; undefined elsewhere (plain HTTP). */
    private readonly writeText: ((text: string) => Promise<void>) | undefined,
    private readonly said: (message: string) => void,
  ) {
    ui.copy.addEventListener('click', () => void this.copy());
  }

  show(status: Pick<DeviceStatus, 'rtsp'>): void {
    const url = rtspUrl(status, this.hostname);
    this.ui.row.hidden = url === undefined;
    if (url !== undefined && this.ui.url.textContent !== url) this.ui.url.textContent = url;
  }

  private async copy(): Promise<void> {
    const url = this.ui.url.textContent ?? '';
    try {
      if (!this.writeText) throw new Error('no clipboard');
      await this.writeText(url);
      this.said(t('connect.rtspCopied'));
    } catch {
      // Plain HTTP has no clipboard API: select the text so Ctrl+C / long-press copies it.
      const range = document.createRange();
      range.selectNodeContents(this.ui.url);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      this.said(t('connect.rtspSelect'));
    }
  }
}
