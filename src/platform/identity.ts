import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

// What names this device for ONVIF and WS-Discovery, the same across restarts: the Pi's serial
// number (the SoC's OTP, in the device tree), else the systemd machine id, else the host name.

type Read = (path: string) => string;
const readText: Read = (path) => readFileSync(path, 'utf8');

function attempt(read: Read, path: string): string | undefined {
  try {
    // Device-tree strings end with NUL.
    return read(path).replace(/\0/g, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The Pi's serial number (16 hex digits), or a stable stand-in on other machines. */
export function deviceSerial(read: Read = readText): string {
  const serial = attempt(read, '/proc/device-tree/serial-number');
  if (serial) return serial;
  const machine = attempt(read, '/etc/machine-id');
  if (machine) return createHash('sha256').update(machine).digest('hex').slice(0, 16);
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 16);
}

/** The board's revision code (e.g. a03111 for a Pi 4 B 1 GB), or '' off a Pi. */
export function hardwareRevision(read: Read = readText): string {
  const cpuinfo = attempt(read, '/proc/cpuinfo') ?? '';
  return /^Revision\s*:\s*([0-9a-f]+)\s*$/im.exec(cpuinfo)?.[1] ?? '';
}

/** A name-based UUID (RFC 9562 version 5 layout) from the serial: the device's WS-Discovery address. */
export function deviceUuid(serial: string): string {
  const hash = createHash('sha1').update(`picamd:${serial}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
