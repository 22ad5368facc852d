import { createHash } from 'node:crypto';
import type { WifiRequest } from './validate.js';

// The NetworkManager connection for the setup file's Wi-Fi, in NetworkManager's keyfile format,
// byte for byte what NetworkManager itself writes for the same connection (`nmcli --offline
// connection add type wifi ...`, NetworkManager 1.42; the tests compare with it when nmcli is
// installed). Keyfiles are GKeyFile files: see NetworkManager's nm-keyfile.c (ssid_writer) and
// GLib's g_key_file_parse_string_as_value for the escaping reproduced here.

export const CONNECTIONS_DIR = '/etc/NetworkManager/system-connections';

/** GKeyFile's escaping of a string value: leading blanks as \s / \t, and \\, \n, \r, \t inside. */
export function keyfileString(value: string): string {
  let out = '';
  let leading = true;
  for (const ch of value) {
    if (ch === ' ' && leading) out += '\\s';
    else if (ch === '\t') out += leading ? '\\t' : '\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\\') out += '\\\\';
    else out += ch;
    if (ch !== ' ' && ch !== '\t') leading = false;
  }
  return out;
}

/**
 * NetworkManager writes an SSID whose bytes are all printable ASCII as a string (";" escaped as
 * "\;" so it cannot be read as a byte list), and any other SSID (UTF-8 letters such as é) as its
 * bytes: "67;97;102;195;169;".
 */
export function keyfileSsid(ssid: string): string {
  const bytes = Buffer.from(ssid, 'utf8');
  if (bytes.every((b) => b >= 0x20 && b <= 0x7e)) return keyfileString(ssid.replaceAll(';', '\\;'));
  return [...bytes].map((b) => `${b};`).join('');
}

/** A stable UUID per SSID (name-based, RFC 4122 layout), so applying the same network again replaces it. */
export function connectionUuid(ssid: string): string {
  const h = createHash('sha256').update(`picamd-setup wifi\0${ssid}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A file name for the connection: the SSID with anything unusual replaced, never a hidden file. */
export function connectionFileName(ssid: string): string {
  let name = ssid.replace(/[^A-Za-z0-9 ._-]/g, '_').trim().slice(0, 64);
  if (name === '' || name.startsWith('.')) name = `wifi${name}`;
  return `${name}.nmconnection`;
}

export function wifiKeyfile(wifi: WifiRequest): { path: string; content: string } {
  const lines = [
    '[connection]',
    `id=${keyfileString(wifi.ssid)}`,
    `uuid=${connectionUuid(wifi.ssid)}`,
    'type=wifi',
    '',
    '[wifi]',
    // A hidden network answers only probes that name it (NetworkManager's 802-11-wireless.hidden).
    ...(wifi.hidden ? ['hidden=true'] : []),
    'mode=infrastructure',
    `ssid=${keyfileSsid(wifi.ssid)}`,
    '',
  ];
  if (wifi.psk !== null) lines.push('[wifi-security]', 'key-mgmt=wpa-psk', `psk=${keyfileString(wifi.psk)}`, '');
  lines.push('[ipv4]', 'method=auto', '', '[ipv6]', 'addr-gen-mode=default', 'method=auto', '', '[proxy]', '');
  return { path: `${CONNECTIONS_DIR}/${connectionFileName(wifi.ssid)}`, content: lines.join('\n') };
}
