import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appConfig, freePort, startApp, status } from '../fakes/app.js';
import { IPV6_ROUTES_NONE, ROUTE_HEADER, routeLine, WIRELESS_WLAN0, writeIwgetid, writeNetRoot } from '../fakes/net-root.js';
import { tempDir } from '../fakes/temp-dir.js';
import { waitFor } from '../fakes/wait.js';

// /api/status's `network` through the real picamd, its /proc and /sys a stand-in (PICAMD_NET_ROOT)
// and iwgetid a stand-in first on its PATH. The route names `lo`, so the addresses are the test
// machine's own loopback addresses, read by the real os.networkInterfaces().

async function start(t: { after(fn: () => Promise<void>): void }, iwgetid: Parameters<typeof writeIwgetid>[1]) {
  const dir = await tempDir(t, 'status-network');
  const root = await writeNetRoot(`${dir}/net`, {
    route: ROUTE_HEADER + routeLine('lo', '00000000', '0100007F', 0x0003, 600, '00000000'),
    ipv6Route: IPV6_ROUTES_NONE,
    wireless: WIRELESS_WLAN0.replace('wlan0', '   lo'),
    interfaces: { lo: { wifi: true, type: 1 } },
  });
  await writeIwgetid(`${dir}/bin`, { ...iwgetid, iface: 'lo' });
  const port = await freePort();
  const app = await startApp(appConfig(port, dir), { dir, port, env: { PICAMD_NET_ROOT: root, PATH: `${dir}/bin:${process.env.PATH ?? ''}` } });
  t.after(async () => void (await app.stop()));
  return app;
}

test('/api/status says the network: interface, Wi-Fi, its name (once iwgetid answered), signal and addresses', async (t) => {
  const app = await start(t, { ssid: 'Home' });
  const first = (await status(app.port)).network;
  assert.equal(first.interface, 'lo');
  assert.equal(first.kind, 'wifi');
  assert.equal(first.signalDbm, -52);
  assert.ok(first.addresses.includes('127.0.0.1'), JSON.stringify(first.addresses));
  assert.equal(first.addresses[0], '127.0.0.1', 'IPv4 first');
  // The name arrives with a later document (iwgetid runs in the background; the tables serve 5 s).
  const named = await waitFor('the Wi-Fi name in /api/status', async () => ((await status(app.port)).network?.ssid === 'Home' ? true : false), 15_000, 100);
  assert.equal(named, true);
});

test('iwgetid failing: ssid null, the rest of the status as always', async (t) => {
  const app = await start(t, { exit: 1 });
  const doc = await status(app.port);
  assert.equal(doc.camera.width, 320);
  assert.equal(doc.network.kind, 'wifi');
  // Give iwgetid time to have answered (and failed), then look again.
  await waitFor('iwgetid to have run', async () => app.output().includes('cannot be read'), 15_000, 100);
  const again = await status(app.port);
  assert.equal(again.network.ssid, null);
  assert.equal(again.network.signalDbm, -52);
  assert.match(app.output(), /network: the Wi-Fi name of lo cannot be read \(iwgetid -r lo exited with 1\)/);
});
