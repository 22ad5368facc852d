import { PAYLOAD_OFF, PAYLOAD_ON } from './discovery.js';

/** What the MQTT service reports; the integrator builds it from the same inputs as /api/status. */
export interface StatusSnapshot {
  cameraState: string;
  fps: number;
  viewers: number;
  restarts: number;
  uptimeS: number;
  privacy: boolean;
  /** On Wi-Fi, its signal in dBm; null (the sensor's "unknown") on a wired network or without a reading. */
  wifiSignalDbm?: number | null;
  /** The memory card: ok, low, full, read-only, unknown; null where the card is not read. */
  storage?: string | null;
}

/** The retained JSON on <prefix>/state; the discovery value_templates read its keys. */
export function statePayload(s: StatusSnapshot): string {
  return JSON.stringify({
    privacy: s.privacy ? PAYLOAD_ON : PAYLOAD_OFF,
    camera_state: s.cameraState,
    fps: Math.round(s.fps * 10) / 10,
    viewers: s.viewers,
    restarts: s.restarts,
    uptime_s: Math.floor(s.uptimeS),
    wifi_signal_dbm: s.wifiSignalDbm ?? null,
    storage: s.storage ?? null,
  });
}

/** What makes two states the same for publishing on change: all but the uptime and the Wi-Fi signal (the 30 s state carries them), the rate in whole frames. */
export function stateKey(s: StatusSnapshot): string {
  return JSON.stringify([s.privacy, s.cameraState, Math.round(s.fps), s.viewers, s.restarts, s.storage ?? null]);
}

/** A privacy command payload: ON/OFF as Home Assistant sends them (also true/false, 1/0), else null. */
export function parsePrivacyCommand(payload: Buffer): boolean | null {
  const text = payload.toString('utf8').trim().toUpperCase();
  if (text === PAYLOAD_ON || text === 'TRUE' || text === '1') return true;
  if (text === PAYLOAD_OFF || text === 'FALSE' || text === '0') return false;
  return null;
}
