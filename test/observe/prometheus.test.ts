import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAMERA_STATES, escapeLabelValue, metricsSource, renderMetrics, type MetricsInputs } from '../../src/observe/prometheus.js';
import { Broadcaster } from '../../src/media/broadcaster.js';
import { ViewerPacer } from '../../src/media/viewer.js';
import { parseExposition, type ParsedFamily } from '../fakes/exposition-parser.js';

const inputs = (over: Partial<MetricsInputs> = {}): MetricsInputs => ({
  deviceName: 'kitchen',
  version: '0.1.0',
  nowMs: 125_500,
  startedAtMs: 500,
  memory: { rss: 52_000_000, heapUsed: 9_000_000, arrayBuffers: 3_000_000 },
  cpu: { user: 1_500_000, system: 250_000 },
  camera: { state: 'streaming', frames: 3600, restarts: 2, failures: 0, drops: { garbage: 1, truncated: 3, oversize: 0, corrupt: 0, reset: 1 } },
  fpsIn: 29.97,
  framesPublished: 3650,
  viewers: 2,
  maxViewers: 16,
  viewerTotals: { viewers: 5, delivered: 7000, skipped: 300, skippedForCap: 200, bytesSent: 630_000_000 },
  privacy: { enabled: false },
  ...over,
});

const value = (families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) => {
  const f = families.get(name);
  assert.ok(f, `${name} is exposed`);
  const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.ok(s, `${name}${JSON.stringify(labels)} has a sample`);
  return s.value;
};

test('renders every metric with HELP and TYPE, picamd_ names, and values a strict parser reads back', () => {
  const text = renderMetrics(inputs());
  const families = parseExposition(text);
  for (const f of families.values()) {
    assert.match(f.name, /^picamd_/);
    assert.ok(f.help && f.help.length > 10, `${f.name} has help`);
    assert.ok(f.type === 'counter' || f.type === 'gauge', `${f.name} is typed`);
    if (f.type === 'counter') assert.match(f.name, /_total$/, 'counters end in _total');
  }
  assert.equal(value(families, 'picamd_info', { version: '0.1.0', device: 'kitchen' }), 1);
  assert.equal(value(families, 'picamd_uptime_seconds'), 125);
  assert.equal(value(families, 'picamd_camera_frames_total'), 3600);
  assert.equal(value(families, 'picamd_camera_fps'), 29.97);
  assert.equal(value(families, 'picamd_camera_frames_dropped_total', { reason: 'truncated' }), 3);
  assert.equal(families.get('picamd_camera_frames_dropped_total')!.samples.length, 5);
  assert.equal(value(families, 'picamd_camera_restarts_total'), 2);
  assert.equal(value(families, 'picamd_stream_frames_published_total'), 3650);
  assert.equal(value(families, 'picamd_viewer_frames_delivered_total'), 7000);
  assert.equal(value(families, 'picamd_viewer_frames_skipped_total', { reason: 'busy' }), 100);
  assert.equal(value(families, 'picamd_viewer_frames_skipped_total', { reason: 'fps_cap' }), 200);
  assert.equal(value(families, 'picamd_stream_bytes_sent_total'), 630_000_000);
  assert.equal(value(families, 'picamd_viewers'), 2);
  assert.equal(value(families, 'picamd_viewers_max'), 16);
  assert.equal(value(families, 'picamd_viewers_connected_total'), 5);
  assert.equal(value(families, 'picamd_privacy_enabled'), 0);
  assert.equal(value(families, 'picamd_process_resident_memory_bytes'), 52_000_000);
  assert.equal(value(families, 'picamd_process_cpu_seconds_total', { mode: 'user' }), 1.5);
  assert.equal(value(families, 'picamd_process_cpu_seconds_total', { mode: 'system' }), 0.25);
  // One 0/1 series per camera state, exactly one of them 1.
  const states = families.get('picamd_camera_state')!.samples;
  assert.deepEqual(states.map((s) => s.labels.state), [...CAMERA_STATES]);
  assert.deepEqual(states.filter((s) => s.value === 1).map((s) => s.labels.state), ['streaming']);
});

test('an unknown camera state still gets its series; privacy shows as 1', () => {
  const families = parseExposition(renderMetrics(inputs({ camera: { ...inputs().camera, state: 'rebooting' as never }, privacy: { enabled: true } })));
  assert.equal(value(families, 'picamd_camera_state', { state: 'rebooting' }), 1);
  assert.equal(value(families, 'picamd_camera_state', { state: 'streaming' }), 0);
  assert.equal(value(families, 'picamd_privacy_enabled'), 1);
});

test('label values are escaped: backslash, double quote and line feed survive the round trip', () => {
  const name = 'Bob\'s "garage" cam\\2\nsecond line';
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = renderMetrics(inputs({ deviceName: name }));
  assert.equal(text.split('\n').filter((l) => l.startsWith('picamd_info')).length, 1, 'the line feed does not break the line');
  assert.equal(parseExposition(text).get('picamd_info')!.samples[0]!.labels.device, name);
});

test('the strict parser refuses what the format does not allow', () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  assert.equal(parseExposition(good).get('a_total')!.samples[0]!.value, 2);
  const bad: Record<string, string> = {
    'no final line feed': good.slice(0, -1),
    'TYPE after samples': 'a 1\n# TYPE a gauge\n',
    'second TYPE': '# TYPE a gauge\n# TYPE a gauge\na 1\n',
    'second HELP': '# HELP a x\n# HELP a y\na 1\n',
    'unknown type': '# TYPE a thing\na 1\n',
    'family split': '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n',
    'duplicate series': 'a{x="1",y="2"} 1\na{y="2",x="1"} 1\n',
    'duplicate label': 'a{x="1",x="2"} 1\n',
    'bad escape': 'a{x="\\t"} 1\n',
    'unterminated value': 'a{x="1} 1\n',
    'reserved label': 'a{__name__="b"} 1\n',
    'bad metric name': '1a 1\n',
    'bad value': 'a one\n',
    'negative counter': '# TYPE a_total counter\na_total -1\n',
    'missing value': 'a{x="1"}\n',
    'HELP bad escape': '# HELP a \\t\na 1\n',
  };
  for (const [why, text] of Object.entries(bad)) assert.throws(() => parseExposition(text), Error, why);
  // Allowed by the format: comments, blank lines, a timestamp, NaN and infinities, a trailing comma.
  const families = parseExposition('# a comment\n\na{x="1",} NaN 1700000000000\nb +Inf\nc -Inf\n');
  assert.ok(Number.isNaN(families.get('a')!.samples[0]!.value));
  assert.equal(families.get('b')!.samples[0]!.value, Number.POSITIVE_INFINITY);
});

test('metricsSource reads live sources at every scrape: a real broadcaster and process figures', () => {
  let now = 1000;
  const broadcaster = new Broadcaster(() => now, 4);
  const pacer = new ViewerPacer(1, { send: () => true }, () => now);
  const viewer = { id: 1, offer: (p: Parameters<typeof pacer.offer>[0]) => pacer.offer(p), stats: () => pacer.stats() };
  broadcaster.add(viewer, 0);
  const privacy = { enabled: false };
  const scrape = metricsSource({
    deviceName: () => 'cam',
    version: '1.0.0',
    now: () => now,
    startedAtMs: 0,
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
    camera: { status: () => ({ state: 'streaming', frames: 1, restarts: 0, failures: 0, drops: { garbage: 0, truncated: 0, oversize: 0, corrupt: 0, reset: 0 } }) },
    fpsIn: () => 30,
    stream: broadcaster,
    maxViewers: () => 4,
    privacy,
  });
  const first = parseExposition(scrape());
  assert.equal(value(first, 'picamd_stream_bytes_sent_total'), 0);
  const wire = broadcaster.publish(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), true)!.wire.length;
  now = 61_000;
  privacy.enabled = true;
  const second = parseExposition(scrape());
  assert.equal(value(second, 'picamd_stream_bytes_sent_total'), wire);
  assert.equal(value(second, 'picamd_viewers'), 1);
  assert.equal(value(second, 'picamd_uptime_seconds'), 61);
  assert.equal(value(second, 'picamd_privacy_enabled'), 1);
  assert.ok(value(second, 'picamd_process_resident_memory_bytes') > 1_000_000);
  assert.ok(value(second, 'picamd_process_cpu_seconds_total', { mode: 'user' }) > 0);
});

test('picamd_wifi_signal_dbm: the signal on Wi-Fi, labelled with the interface; no sample on Ethernet, without a reading or a network', () => {
  const wifi = parseExposition(renderMetrics(inputs({ network: { interface: 'wlan0', kind: 'wifi', signalDbm: -52 } })));
  assert.equal(value(wifi, 'picamd_wifi_signal_dbm', { interface: 'wlan0' }), -52);
  assert.equal(wifi.get('picamd_wifi_signal_dbm')?.type, 'gauge');
  for (const network of [{ interface: 'eth0', kind: 'ethernet' as const, signalDbm: null }, { interface: 'wlan0', kind: 'wifi' as const, signalDbm: null }, null]) {
    const families = parseExposition(renderMetrics(inputs({ network })));
    assert.deepEqual(families.get('picamd_wifi_signal_dbm')?.samples, [], JSON.stringify(network));
  }
  assert.equal(parseExposition(renderMetrics(inputs())).has('picamd_wifi_signal_dbm'), false, 'a device that does not read its network has no such family');
});

test('picamd_storage_*: every card state as 0/1, the free and total bytes; no size samples when unknown, no family where the card is not read', () => {
  const full = parseExposition(renderMetrics(inputs({ storage: { state: 'full', freeBytes: 409_600, totalBytes: 8_192_000_000 } })));
  assert.equal(value(full, 'picamd_storage_state', { state: 'full' }), 1);
  for (const state of ['ok', 'low', 'read-only', 'unknown']) assert.equal(value(full, 'picamd_storage_state', { state }), 0, state);
  assert.equal(value(full, 'picamd_storage_free_bytes'), 409_600);
  assert.equal(value(full, 'picamd_storage_size_bytes'), 8_192_000_000);
  assert.equal(full.get('picamd_storage_free_bytes')?.type, 'gauge');
  const unknown = parseExposition(renderMetrics(inputs({ storage: { state: 'unknown', freeBytes: null, totalBytes: null } })));
  assert.equal(value(unknown, 'picamd_storage_state', { state: 'unknown' }), 1);
  assert.deepEqual(unknown.get('picamd_storage_free_bytes')?.samples, []);
  assert.deepEqual(unknown.get('picamd_storage_size_bytes')?.samples, []);
  assert.equal(parseExposition(renderMetrics(inputs())).has('picamd_storage_state'), false);
});
