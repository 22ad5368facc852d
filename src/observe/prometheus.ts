import type { CameraStatus } from '../device/camera/supervisor.js';
import type { Now } from '../platform/clock.js';
import type { ViewerTotals } from '../media/broadcaster.js';
import type { NetworkStatus } from '../platform/network/network-status.js';
import { STORAGE_STATES } from '../platform/storage/storage-state.js';
import type { StorageStatus } from '../platform/storage/storage-reader.js';

// The Prometheus text exposition format (version 0.0.4), rendered from plain values: no registry,
// no timers, no dependency. https://prometheus.io/docs/instrumenting/exposition_formats/

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The same inputs as the status document (src/observe/status.ts), plus what only metrics need. */
export interface MetricsInputs {
  deviceName: string;
  version: string;
  nowMs: number;
  startedAtMs: number;
  /** process.memoryUsage() */
  memory: { rss: number; heapUsed: number; arrayBuffers: number };
  /** process.cpuUsage(), microseconds since picamd started. */
  cpu: { user: number; system: number };
  camera: Pick<CameraStatus, 'state' | 'frames' | 'restarts' | 'failures' | 'drops'>;
  fpsIn: number;
  framesPublished: number;
  viewers: number;
  maxViewers: number;
  /** Broadcaster.viewerTotals(): counters over every viewer since start. */
  viewerTotals: ViewerTotals;
  privacy: { enabled: boolean };
  /** The network the device is on (null: none); absent where nobody reads it. */
  network?: Pick<NetworkStatus, 'interface' | 'kind' | 'signalDbm'> | null;
  /** The card that holds the state directory; absent where nobody reads it. */
  storage?: StorageStatus;
}

/** Every camera state, so each gets a 0/1 series and a graph never has gaps. */
export const CAMERA_STATES = ['stopped', 'starting', 'streaming', 'backoff', 'paused', 'waiting'] as const;

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: ReadonlyArray<{ labels?: Labels; value: number }>;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const labels = Object.entries(s.labels ?? {});
    const labelText = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
    lines.push(`${f.name}${labelText} ${formatValue(s.value)}`);
  }
  return lines.join('\n');
}

const one = (value: number) => [{ value }];

export function metricFamilies(m: MetricsInputs): Family[] {
  const states: string[] = [...CAMERA_STATES];
  if (!states.includes(m.camera.state)) states.push(m.camera.state);
  const t = m.viewerTotals;
  return [
    { name: 'picamd_info', help: 'picamd version and device name (always 1).', type: 'gauge', samples: [{ labels: { version: m.version, device: m.deviceName }, value: 1 }] },
    { name: 'picamd_uptime_seconds', help: 'Seconds since picamd started.', type: 'gauge', samples: one(Math.max(0, (m.nowMs - m.startedAtMs) / 1000)) },
    {
      name: 'picamd_camera_state',
      help: 'Camera supervisor state: 1 for the current state, 0 for the others.',
      type: 'gauge',
      samples: states.map((state) => ({ labels: { state }, value: state === m.camera.state ? 1 : 0 })),
    },
    { name: 'picamd_camera_frames_total', help: 'Whole JPEG frames received from the camera.', type: 'counter', samples: one(m.camera.frames) },
    { name: 'picamd_camera_fps', help: 'Frames per second received from the camera, recently.', type: 'gauge', samples: one(m.fpsIn) },
    {
      name: 'picamd_camera_frames_dropped_total',
      help: 'Camera output dropped by the frame parser, by reason.',
      type: 'counter',
      samples: Object.entries(m.camera.drops).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    { name: 'picamd_camera_restarts_total', help: 'Camera process restarts after a crash or a stall.', type: 'counter', samples: one(m.camera.restarts) },
    { name: 'picamd_camera_consecutive_failures', help: 'Failed camera runs in a row (0 once a run streamed long enough).', type: 'gauge', samples: one(m.camera.failures) },
    { name: 'picamd_stream_frames_published_total', help: 'Frames handed to the viewers (live frames and placeholders).', type: 'counter', samples: one(m.framesPublished) },
    { name: 'picamd_viewer_frames_delivered_total', help: 'Frames sent whole to viewers, summed over all viewers.', type: 'counter', samples: one(t.delivered) },
    {
      name: 'picamd_viewer_frames_skipped_total',
      help: 'Frames not sent to a viewer: busy (its socket was still sending an earlier frame) or fps_cap (its ?fps= limit).',
      type: 'counter',
      samples: [
        { labels: { reason: 'busy' }, value: t.skipped - t.skippedForCap },
        { labels: { reason: 'fps_cap' }, value: t.skippedForCap },
      ],
    },
    { name: 'picamd_stream_bytes_sent_total', help: 'Bytes of MJPEG stream sent to viewers (frames sent whole).', type: 'counter', samples: one(t.bytesSent) },
    { name: 'picamd_viewers', help: 'Viewers connected to the stream now.', type: 'gauge', samples: one(m.viewers) },
    { name: 'picamd_viewers_max', help: 'Configured maximum of concurrent viewers.', type: 'gauge', samples: one(m.maxViewers) },
    { name: 'picamd_viewers_connected_total', help: 'Viewers that connected to the stream since start.', type: 'counter', samples: one(t.viewers) },
    { name: 'picamd_privacy_enabled', help: 'Privacy mode: 1 when the camera is switched off for privacy.', type: 'gauge', samples: one(m.privacy.enabled ? 1 : 0) },
    { name: 'picamd_process_resident_memory_bytes', help: 'Resident set size of the picamd process.', type: 'gauge', samples: one(m.memory.rss) },
    { name: 'picamd_process_heap_used_bytes', help: 'V8 heap in use.', type: 'gauge', samples: one(m.memory.heapUsed) },
    { name: 'picamd_process_array_buffers_bytes', help: 'Memory held by Buffers and ArrayBuffers (frames).', type: 'gauge', samples: one(m.memory.arrayBuffers) },
    {
      name: 'picamd_process_cpu_seconds_total',
      help: 'CPU time used by the picamd process (the camera process not included), by mode.',
      type: 'counter',
      samples: [
        { labels: { mode: 'user' }, value: m.cpu.user / 1e6 },
        { labels: { mode: 'system' }, value: m.cpu.system / 1e6 },
      ],
    },
    ...(m.network !== undefined ? [wifiSignal(m.network)] : []),
    ...(m.storage ? storageFamilies(m.storage) : []),
  ];
}

/** The card's state as 0/1 series (every state, so a graph never has gaps); its sizes only when known. */
function storageFamilies(storage: StorageStatus): Family[] {
  const bytes = (value: number | null) => (value === null ? [] : one(value));
  return [
    {
      name: 'picamd_storage_state',
      help: 'The card that holds the settings: 1 for the current state (ok, low, full, read-only, unknown), 0 for the others.',
      type: 'gauge',
      samples: STORAGE_STATES.map((state) => ({ labels: { state }, value: state === storage.state ? 1 : 0 })),
    },
    { name: 'picamd_storage_free_bytes', help: 'Bytes picamd may still write on the card that holds the settings.', type: 'gauge', samples: bytes(storage.freeBytes) },
    { name: 'picamd_storage_size_bytes', help: 'Size of the file system that holds the settings.', type: 'gauge', samples: bytes(storage.totalBytes) },
  ];
}

/** A sample only on Wi-Fi with a reading: no made-up value on a wired network. */
function wifiSignal(network: MetricsInputs['network']): Family {
  const signal = network?.kind === 'wifi' ? network.signalDbm : null;
  return {
    name: 'picamd_wifi_signal_dbm',
    help: 'Signal of the Wi-Fi the device is on (the default route\'s interface), in dBm.',
    type: 'gauge',
    samples: network && signal !== null ? [{ labels: { interface: network.interface }, value: signal }] : [],
  };
}

/** The body of GET /metrics. */
export function renderMetrics(m: MetricsInputs): string {
  return `${metricFamilies(m).map(renderFamily).join('\n')}\n`;
}

/** Where each metric comes from, read fresh for every scrape (the same sources as /api/status). */
export interface MetricsSources {
  deviceName: () => string;
  version: string;
  now: Now;
  startedAtMs: number;
  memory: () => MetricsInputs['memory'];
  /** process.cpuUsage */
  cpu: () => MetricsInputs['cpu'];
  camera: { status(): MetricsInputs['camera'] };
  fpsIn: () => number;
  stream: { readonly framesPublished: number; readonly viewerCount: number; viewerTotals(): ViewerTotals };
  maxViewers: () => number;
  privacy: { readonly enabled: boolean };
  network?: () => MetricsInputs['network'];
  storage?: () => StorageStatus;
}

/** The GET /metrics body builder over live sources. */
export function metricsSource(s: MetricsSources): () => string {
  return () =>
    renderMetrics({
      deviceName: s.deviceName(),
      version: s.version,
      nowMs: s.now(),
      startedAtMs: s.startedAtMs,
      memory: s.memory(),
      cpu: s.cpu(),
      camera: s.camera.status(),
      fpsIn: s.fpsIn(),
      framesPublished: s.stream.framesPublished,
      viewers: s.stream.viewerCount,
      maxViewers: s.maxViewers(),
      viewerTotals: s.stream.viewerTotals(),
      privacy: { enabled: s.privacy.enabled },
      ...(s.network ? { network: s.network() } : {}),
      ...(s.storage ? { storage: s.storage() } : {}),
    });
}
