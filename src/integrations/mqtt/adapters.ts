import type { CameraStatus } from '../../device/camera/supervisor.js';
import type { SetResult } from '../../device/privacy/controller.js';
import type { NetworkStatus } from '../../platform/network/network-status.js';
import type { StorageState } from '../../platform/storage/storage-state.js';
import type { PrivacyResult } from './service.js';
import type { StatusSnapshot } from './state.js';

// Adapters from picamd's own objects to the MQTT service's ports, so the composition root only
// passes what it already has.

/** setPrivacy for MqttService: the privacy controller shared with the button and the API. */
export function mqttPrivacyPort(privacy: { set(enabled: boolean, source: 'mqtt'): SetResult }): (enabled: boolean) => PrivacyResult {
  return (enabled) => {
    const result = privacy.set(enabled, 'mqtt');
    return result.ok ? { ok: true } : { ok: false, message: result.message };
  };
}

export interface StatusSources {
  camera: Pick<CameraStatus, 'state' | 'restarts'>;
  fpsIn: number;
  viewers: number;
  nowMs: number;
  startedAtMs: number;
  privacy: { enabled: boolean };
  /** The network the device is on; its Wi-Fi signal becomes a diagnostic sensor. */
  network?: Pick<NetworkStatus, 'kind' | 'signalDbm'> | null;
  /** The card that holds the settings; its state becomes a diagnostic sensor. */
  storage?: { state: StorageState };
}

/** readStatus for MqttService, from the same values as /api/status. */
export function mqttStatusSnapshot(s: StatusSources): StatusSnapshot {
  return {
    cameraState: s.camera.state,
    // The incoming rate is an average that takes a while to fall: a camera that is not streaming
    // sends nothing, whatever the average still says.
    fps: s.camera.state === 'streaming' ? s.fpsIn : 0,
    viewers: s.viewers,
    restarts: s.camera.restarts,
    uptimeS: Math.max(0, (s.nowMs - s.startedAtMs) / 1000),
    privacy: s.privacy.enabled,
    wifiSignalDbm: s.network?.kind === 'wifi' ? s.network.signalDbm : null,
    storage: s.storage?.state ?? null,
  };
}

/** The page's address as Home Assistant's "Visit" link: http://<host>.local/ with a port only when it is not the default. */
export function pageUrl(hostName: string, port: number, tls: boolean): string {
  const defaultPort = tls ? 443 : 80;
  return `${tls ? 'https' : 'http'}://${hostName}.local${port === defaultPort ? '' : `:${port}`}/`;
}
