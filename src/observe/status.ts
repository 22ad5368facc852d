import type { CameraStatus } from '../device/camera/supervisor.js';
import type { PrivacySaveProblem } from '../device/privacy/controller.js';
import type { PrivacyState } from '../device/privacy/store.js';
import type { CameraConfig } from '../device/settings/schema.js';
import type { MemoryReading } from '../platform/memory.js';
import type { Now } from '../platform/clock.js';
import type { ViewerStats } from '../media/viewer.js';
import type { NetworkStatus } from '../platform/network/network-status.js';
import type { StorageStatus } from '../platform/storage/storage-reader.js';

export interface StatusInputs {
  deviceName: string;
  version: string;
  /** The network the device is on (null: no default route); absent where nobody reads it. */
  network?: NetworkStatus | null;
  /** The card that holds the state directory; absent where nobody reads it. */
  storage?: StorageStatus;
  nowMs: number;
  /** process.memoryUsage() of picamd itself (the camera process is separate). */
  memory: MemoryReading;
  startedAtMs: number;
  camera: CameraStatus;
  cameraConfig: CameraConfig;
  fpsIn: number;
  framesPublished: number;
  maxViewers: number;
  viewers: ReadonlyArray<ViewerStats & { remote: string }>;
  /** /stream.mp4 viewers (H.264 mode). */
  videoViewers?: ReadonlyArray<ViewerStats & { remote: string }>;
  /** Which H.264 encoder this board has. */
  h264Encoder?: { hardware: boolean; note: string; missingPackage?: string };
  /** notSaved: the state holds in memory but could not be written (a full or read-only card). */
  privacy: PrivacyState & { notSaved?: PrivacySaveProblem };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const megabytes = (bytes: number) => Math.round(bytes / 100_000) / 10;

/** The /api/status document: plain data, built fresh for every request. */
export function buildStatus(s: StatusInputs) {
  return {
    device: {
      name: s.deviceName,
      version: s.version,
      uptimeSeconds: seconds(s.nowMs - s.startedAtMs),
      memoryMB: {
        rss: megabytes(s.memory.rss),
        heap: megabytes(s.memory.heapUsed),
        frames: megabytes(s.memory.arrayBuffers),
      },
    },
    camera: {
      state: s.camera.state,
      detail: s.camera.detail,
      stateSeconds: seconds(s.nowMs - s.camera.since),
      pid: s.camera.pid,
      width: s.cameraConfig.width,
      height: s.cameraConfig.height,
      framerate: s.cameraConfig.framerate,
      codec: s.cameraConfig.codec,
      ...(s.h264Encoder ? { h264Encoder: s.h264Encoder } : {}),
      fps: Math.round(s.fpsIn * 10) / 10,
      frames: s.camera.frames,
      restarts: s.camera.restarts,
      failures: s.camera.failures,
      drops: s.camera.drops,
      ...(s.camera.h264Drops ? { h264Drops: s.camera.h264Drops } : {}),
    },
    stream: {
      framesPublished: s.framesPublished,
      viewers: s.viewers.length + (s.videoViewers?.length ?? 0),
      maxViewers: s.maxViewers,
      viewerList: [
        ...s.viewers.map((v) => ({ kind: 'mjpeg' as const, ...v })),
        ...(s.videoViewers ?? []).map((v) => ({ kind: 'h264' as const, ...v })),
      ].map((v) => ({
        id: v.id,
        kind: v.kind,
        remote: v.remote,
        fps: v.fps,
        delivered: v.delivered,
        skipped: v.skipped,
        busy: v.busy,
        connectedSeconds: seconds(v.connectedMs),
      })),
    },
    privacy: s.privacy,
    ...(s.network !== undefined ? { network: s.network } : {}),
    ...(s.storage ? { storage: storageOf(s.storage) } : {}),
  };
}

/** The card in MB: `{state: 'full', freeMB: 0.4, totalMB: 7612.3}` (nulls when it cannot be read). */
function storageOf(storage: StorageStatus) {
  const mb = (bytes: number | null) => (bytes === null ? null : megabytes(bytes));
  return { state: storage.state, freeMB: mb(storage.freeBytes), totalMB: mb(storage.totalBytes) };
}

/** Where each part of the status comes from, read fresh for every document. */
export interface StatusSources {
  deviceName: () => string;
  version: string;
  /** The network the device is on, read on demand (src/platform/network/). */
  network?: () => NetworkStatus | null;
  /** The card's state, read on demand (src/platform/storage/). */
  storage?: () => StorageStatus;
  now: Now;
  startedAtMs: number;
  memory: () => MemoryReading;
  camera: { status(): CameraStatus };
  cameraConfig: () => CameraConfig;
  fpsIn: () => number;
  stream: { readonly framesPublished: number; list(): ReadonlyArray<{ stats(): ViewerStats & { remote: string } }> };
  maxViewers: () => number;
  /** The H.264 feed's viewers. */
  video?: { list(): ReadonlyArray<{ stats(): ViewerStats & { remote: string } }> };
  h264Encoder?: { hardware: boolean; note: string; missingPackage?: string };
  privacy: { readonly state: PrivacyState; readonly notSaved?: PrivacySaveProblem | null };
  /** More top-level parts (settings, setup, MQTT), merged in as they are. */
  extra?: () => Record<string, unknown>;
}

/** The /api/status document builder over live sources. */
export function statusSource(s: StatusSources): () => ReturnType<typeof buildStatus> {
  return () => {
    const nowMs = s.now();
    return { ...buildStatus({
      deviceName: s.deviceName(),
      version: s.version,
      nowMs,
      memory: s.memory(),
      startedAtMs: s.startedAtMs,
      camera: s.camera.status(),
      cameraConfig: s.cameraConfig(),
      fpsIn: s.fpsIn(),
      framesPublished: s.stream.framesPublished,
      maxViewers: s.maxViewers(),
      ...(s.network ? { network: s.network() } : {}),
      ...(s.storage ? { storage: s.storage() } : {}),
      viewers: s.stream.list().map((v) => v.stats()),
      ...(s.video ? { videoViewers: s.video.list().map((v) => v.stats()) } : {}),
      ...(s.h264Encoder ? { h264Encoder: s.h264Encoder } : {}),
      privacy: withNotSaved(s.privacy),
    }), ...s.extra?.() };
  };
}

/** The privacy state, with why it is not on disk when a write failed. */
export function withNotSaved(privacy: StatusSources['privacy']): StatusInputs['privacy'] {
  const notSaved = privacy.notSaved;
  return notSaved ? { ...privacy.state, notSaved } : privacy.state;
}
