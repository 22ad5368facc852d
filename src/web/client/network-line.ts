import { t, type MessageKey } from './i18n/translate.js';
import type { DeviceStatus } from '../api/types.js';

// The network line of the Status card: `Wi-Fi "Home" · −52 dBm (good) · 192.168.1.23 on wlan0`,
// `Ethernet · 192.168.1.24 on eth0`; each part left out when the device does not know it.

type Network = NonNullable<DeviceStatus['network']>;

/** How a signal level reads: the usual steps for Wi-Fi (−50 dBm and above is as good as it gets; below −70 streaming stutters). */
export function signalQuality(dbm: number): 'excellent' | 'good' | 'fair' | 'weak' {
  if (dbm >= -50) return 'excellent';
  if (dbm >= -60) return 'good';
  if (dbm >= -70) return 'fair';
  return 'weak';
}

const QUALITY: Record<ReturnType<typeof signalQuality>, MessageKey> = {
  excellent: 'live.network.quality.excellent',
  good: 'live.network.quality.good',
  fair: 'live.network.quality.fair',
  weak: 'live.network.quality.weak',
};

/** −52 with a real minus sign, as the card writes negative numbers. */
const dbmText = (dbm: number) => (dbm < 0 ? `\u2212${-dbm}` : String(dbm));

/** The line, or undefined when the device does not report its network (the row stays hidden). */
export function networkLine(network: DeviceStatus['network']): string | undefined {
  if (network === undefined) return undefined;
  if (network === null) return t('live.network.none');
  const parts: string[] = [];
  if (network.kind === 'wifi') {
    parts.push(network.ssid !== null ? t('live.network.wifiNamed', { ssid: network.ssid }) : t('live.network.wifi'));
    if (network.signalDbm !== null) parts.push(t('live.network.signal', { dbm: dbmText(network.signalDbm), quality: t(QUALITY[signalQuality(network.signalDbm)]) }));
  } else if (network.kind === 'ethernet') {
    parts.push(t('live.network.ethernet'));
  }
  parts.push(where(network));
  return parts.join(' · ');
}

function where(network: Network): string {
  const address = network.addresses[0];
  return address === undefined ? network.interface : t('live.network.address', { address, interface: network.interface });
}
