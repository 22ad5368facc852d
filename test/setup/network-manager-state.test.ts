import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stateWithWirelessOn } from '../../src/setup/network-manager-state.js';

// NetworkManager's state file, read as NetworkManager reads it (nm-config.c state_new_from_file:
// GKeyFile, group "main", key "WirelessEnabled").

test("pi-gen's file (WirelessEnabled=false) says true", () => {
  assert.equal(stateWithWirelessOn('[main]\nWirelessEnabled=false\n'), '[main]\nWirelessEnabled=true\n');
});

test("NetworkManager's own file: the other keys stay as they are", () => {
  assert.equal(
    stateWithWirelessOn('[main]\nNetworkingEnabled=false\nWirelessEnabled=false\nWWANEnabled=false\n'),
    '[main]\nNetworkingEnabled=false\nWirelessEnabled=true\nWWANEnabled=false\n',
  );
});

test('no file, an empty one, or one without [main]: a [main] group with the key', () => {
  assert.equal(stateWithWirelessOn(null), '[main]\nWirelessEnabled=true\n');
  assert.equal(stateWithWirelessOn('\n'), '[main]\nWirelessEnabled=true\n');
  assert.equal(stateWithWirelessOn('# kept\n[other]\nWirelessEnabled=false\n'), '# kept\n[other]\nWirelessEnabled=false\n\n[main]\nWirelessEnabled=true\n');
  assert.equal(stateWithWirelessOn('[main]\nWWANEnabled=true'), '[main]\nWirelessEnabled=true\nWWANEnabled=true\n');
});

test('spaces around "=", a repeated key and a repeated [main] group: every one set, comments kept', () => {
  assert.equal(
    stateWithWirelessOn('# comment WirelessEnabled=false\n[main]\n  WirelessEnabled = false\n[x]\na=1\n[main]\nWirelessEnabled=no\nWirelessEnabledX=1\n'),
    '# comment WirelessEnabled=false\n[main]\nWirelessEnabled=true\n[x]\na=1\n[main]\nWirelessEnabled=true\nWirelessEnabledX=1\n',
  );
});
