import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setLanguage, useLanguage } from '../../../src/web/client/i18n/translate.js';
import { networkLine, signalQuality } from '../../../src/web/client/network-line.js';

const wifi = { interface: 'wlan0', kind: 'wifi' as const, ssid: 'Home', signalDbm: -52, addresses: ['192.168.1.23', '2001:db8::23'] };

test('the network line: Wi-Fi with its name, signal and address; each part left out when unknown', () => {
  useLanguage('en');
  assert.equal(networkLine(wifi), 'Wi-Fi "Home" · \u221252 dBm (good) · 192.168.1.23 on wlan0');
  assert.equal(networkLine({ ...wifi, ssid: null }), 'Wi-Fi · \u221252 dBm (good) · 192.168.1.23 on wlan0');
  assert.equal(networkLine({ ...wifi, signalDbm: null, addresses: [] }), 'Wi-Fi "Home" · wlan0');
  assert.equal(networkLine({ interface: 'eth0', kind: 'ethernet', ssid: null, signalDbm: null, addresses: ['fd00::24'] }), 'Ethernet · fd00::24 on eth0');
  assert.equal(networkLine({ interface: 'wg0', kind: 'other', ssid: null, signalDbm: null, addresses: ['10.8.0.2'] }), '10.8.0.2 on wg0');
  assert.equal(networkLine(null), 'No network (no default route)');
  assert.equal(networkLine(undefined), undefined, 'a device that does not report it: no row');
});

test('signal steps: −50 and above excellent, to −60 good, to −70 fair, below weak', () => {
  assert.deepEqual([-30, -50, -51, -60, -61, -70, -71, -90].map(signalQuality), ['excellent', 'excellent', 'good', 'good', 'fair', 'fair', 'weak', 'weak']);
});

test('the network line in Simplified Chinese', async () => {
  await setLanguage('zh-CN');
  try {
    assert.equal(networkLine(wifi), 'Wi-Fi“Home” · \u221252 dBm（良好） · 192.168.1.23（wlan0）');
    assert.equal(networkLine({ interface: 'eth0', kind: 'ethernet', ssid: null, signalDbm: null, addresses: ['192.168.1.24'] }), '有线网络 · 192.168.1.24（eth0）');
    assert.equal(networkLine(null), '未联网（没有默认路由）');
  } finally {
    useLanguage('en');
  }
});
