// The JSON the server answers and the page reads, declared once. The page compiles against this
// file; the server checks its own types against it (conformance.ts), so the two cannot drift.

/** `waiting`: the previous camera process is still exiting; a new one starts (or backs off) after. */
export type CameraState = 'stopped' | 'starting' | 'streaming' | 'backoff' | 'paused' | 'waiting';
export type PrivacySource = 'button' | 'switch' | 'api' | 'mqtt' | 'boot';

/** The parts of /api/status the page uses (src/observe/status.ts builds it). */
export interface DeviceStatus {
  /** `time`: the device's clock (ISO 8601) when it built the document, when it reports one. */
  device: { name: string; version: string; uptimeSeconds: number; time?: string };
  camera: {
    state: CameraState;
    detail: string;
    width: number;
    height: number;
    framerate: number;
    fps: number;
    /** Devices with an H.264 mode say which codec the camera sends; MJPEG when absent. */
    codec?: 'mjpeg' | 'h264';
    /** Whether this board encodes H.264 in hardware (a Pi 5 does not). */
    /** missingPackage: what rpicam-vid needs before H.264 works on this board (a Pi 5 with rpicam-apps-lite). */
    h264Encoder?: { hardware: boolean; note: string; missingPackage?: string };
  };
  stream: { viewers: number; maxViewers: number };
  privacy: {
    enabled: boolean;
    source: PrivacySource;
    since: string;
    /** Set by devices that report a latching switch holding privacy on. */
    heldBySwitch?: boolean;
    /** The state holds but could not be saved (a full or read-only card): a restart will not remember it. */
    notSaved?: { error: 'storage-full' | 'storage-read-only' | 'save-failed'; message: string };
  };
  /** Devices with page settings: whether settings are being applied, or were rolled back and why. */
  settings?: SettingsStatus;
  /** The device's clock (src/observe/time.ts); `synchronized` null when no time service says. */
  time?: { now: string; timeZone: string; synchronized: boolean | null; firmwareDate: string | null };
  /** Devices with an RTSP server: the port it listens on (0: off) and its path; the page shows the URL to copy. */
  rtsp?: { port: number; path?: string };
  /** The network the device is on (the default route's interface); null when it has no default route. */
  network?: NetworkStatus | null;
  /** The card that holds the settings (src/platform/storage/); sizes in MB, null when unknown. */
  storage?: { state: StorageState; freeMB: number | null; totalMB: number | null };
}

/** src/platform/storage/storage-state.ts: `low` is under 192 MiB free (no room for an update), `full` under 1 MiB. */
export type StorageState = 'ok' | 'low' | 'full' | 'read-only' | 'unknown';

/** src/platform/network/network-status.ts */
export interface NetworkStatus {
  interface: string;
  kind: 'wifi' | 'ethernet' | 'other';
  /** null on a wired interface, while not known yet, or when it cannot be read. */
  ssid: string | null;
  signalDbm: number | null;
  /** IPv4 first. */
  addresses: string[];
}

export interface SettingsStatus {
  state: 'ok' | 'applying' | 'rolled-back' | 'fallback';
  message: string;
  /** rolled-back: each setting undone, with the value the camera refused and the one back in use. */
  undone?: Array<{ path: string; tried: unknown; now: unknown }>;
  /** rolled-back: the camera's own error line. */
  cameraLine?: string;
  /** rolled-back: the likely cause in plain words, when the device can tell ("the tuning file /x.json does not exist"). */
  cause?: string;
  /** rolled-back: the cause's code (`tuning-file-missing`) and the values in its text, for the page's own words. */
  causeCode?: string;
  causeParams?: Record<string, string | number>;
}

export interface SettingsDocument {
  values: Record<string, unknown>;
  origins: Record<string, string>;
  status: SettingsStatus;
}

/** Owners change everything; viewers watch (src/device/accounts/rules.ts). */
export type Role = 'owner' | 'viewer';

export interface UsersDocument {
  /** `inConfig`: from the config file's server.auth, removed only there. */
  users: Array<{ name: string; role?: Role; inConfig?: boolean }>;
  me: string | null;
  openViewing: boolean;
}

/** GET /api/me: who the page is logged in as; role null when nobody is (open viewing, no login). */
export interface MeDocument {
  name: string | null;
  role: Role | null;
  mayTogglePrivacy: boolean;
  passwordMinimum: number;
}

export interface SetupState {
  claimed: boolean;
  deviceName: string;
  openViewing: boolean;
  /** The device's password minimum (older devices do not say). */
  passwordMinimum?: number;
}

export interface SetupRequest {
  user: string;
  password: string;
  deviceName: string;
  openViewing: boolean;
}

/** The words the device wants before it lets anyone watch without a password. */
export type OpenViewingConfirmation = 'I understand';

/** GET /api/recorder (owners only): the recorder credential for NVRs; the password while it is on. */
export type RecorderDocument =
  | { state: 'off' }
  | { state: 'on'; user: string; password: string }
  | { state: 'conflict'; user: string; message: string }
  | { state: 'damaged'; message: string };
