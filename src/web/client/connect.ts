// The addresses other apps use, from the page's own address and the status document: pure, so the
// rules (RTSP only when the device listens for it, the H.264 stream only in H.264 mode) are tested
// under Node.

import type { MessageKey } from './i18n/translate.js';
import type { DeviceStatus } from './view.js';

export interface AppAddress {
  id: 'stream' | 'snapshot' | 'mp4' | 'rtsp';
  label: MessageKey;
  url: string;
}

/** `origin`: the page's (scheme, host, port); `hostname` for RTSP, which has its own port. */
export function appAddresses(origin: string, hostname: string, status: Pick<DeviceStatus, 'camera' | 'rtsp'> | undefined): AppAddress[] {
  const list: AppAddress[] = [
    { id: 'stream', label: 'connect.stream', url: `${origin}/stream.mjpg` },
    { id: 'snapshot', label: 'connect.snapshot', url: `${origin}/snapshot.jpg` },
  ];
  if (status?.camera.codec === 'h264') list.push({ id: 'mp4', label: 'connect.mp4', url: `${origin}/stream.mp4` });
  const port = status?.rtsp?.port ?? 0;
  if (port > 0) {
    const host = hostname.includes(':') ? `[${hostname}]` : hostname;
    list.push({ id: 'rtsp', label: 'connect.rtsp', url: `rtsp://${host}${port === 554 ? '' : `:${port}`}/stream` });
  }
  return list;
}
