import type { XmlElement } from '../../formats/soap/xml.js';
import type { SoapFault } from '../../formats/soap/envelope.js';
import type { Role } from '../../device/accounts/rules.js';

// What the ONVIF services read of the device, as plain values asked for per request: the services
// keep nothing, so a settings change (codec, size, RTSP port) shows in the next answer.

export interface NetworkInterfaceFacts {
  name: string;
  mac: string;
  ipv4: ReadonlyArray<{ address: string; prefixLength: number }>;
}

export interface VideoFacts {
  codec: 'mjpeg' | 'h264';
  width: number;
  height: number;
  framerate: number;
  /** JPEG quality (MJPEG). */
  quality: number;
  /** null: automatic. */
  bitrateKbps: number | null;
  keyframeIntervalMs: number;
  h264Profile: 'baseline' | 'main' | 'high';
}

export interface OnvifFacts {
  deviceName(): string;
  hostname(): string;
  model(): string;
  firmware: string;
  serial(): string;
  hardwareId(): string;
  interfaces(): ReadonlyArray<NetworkInterfaceFacts>;
  /** The HTTP server's port and scheme. */
  httpPort(): number;
  secure(): boolean;
  /** 0: RTSP is off. */
  rtspPort(): number;
  video(): VideoFacts;
  users(): ReadonlyArray<{ name: string; role: Role }>;
  discoverable(): boolean;
  /** Wall-clock time. */
  now(): Date;
}

/** Who may call an operation. */
export type Access =
  /** Anyone, before any login (GetSystemDateAndTime, as ONVIF requires). */
  | 'public'
  /** A stream or snapshot URI: anyone while open viewing is on, else any user. */
  | 'media'
  /** Any user, owner or viewer. */
  | 'user'
  /** Owners only. */
  | 'owner';

/** One request as an operation sees it. */
export interface OperationContext {
  params: XmlElement;
  facts: OnvifFacts;
  /** The host (and port) the client reached the device by: the addresses in answers use it. */
  host: string;
}

export interface Operation {
  access: Access;
  /** The body of the answer (elements with the envelope's prefixes), or a fault. */
  run(ctx: OperationContext): string | SoapFault;
}

/** The device's scopes (ONVIF Core 7.3.2.2): Profile S, and its name and hardware as scope items. */
export function scopesOf(facts: Pick<OnvifFacts, 'deviceName' | 'model'>): string[] {
  const item = (text: string) => encodeURIComponent(text.trim() || 'picamd');
  return [
    'onvif://www.onvif.org/Profile/Streaming',
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/type/Network_Video_Transmitter',
    `onvif://www.onvif.org/name/${item(facts.deviceName())}`,
    `onvif://www.onvif.org/hardware/${item(facts.model())}`,
  ];
}
