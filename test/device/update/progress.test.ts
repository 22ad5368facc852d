// The update's state for the page: picamd's own steps until the root updater has moved on, then the
// updater's status.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeUpdateStatus, type LocalUpdateState } from '../../../src/device/update/progress.js';

const before = '{"state":"committed","version":"0.1.0","from":"0.0.9","reason":"","at":"2026-12-07T01:00:00Z"}\n';
const local = (over: Partial<LocalUpdateState>): LocalUpdateState => ({ state: 'receiving', received: 10, total: 100, version: '', from: '0.1.0', reason: '', at: '2026-12-07T02:00:00.000Z', updaterText: before, ...over });

describe('mergeUpdateStatus', () => {
  it('is null before any update, and the updater\'s status when picamd has none of its own', () => {
    assert.equal(mergeUpdateStatus(null, ''), null);
    assert.equal(mergeUpdateStatus(null, before)?.state, 'committed');
  });

  it('shows receiving with its bytes and verifying while picamd has the file', () => {
    assert.deepEqual(mergeUpdateStatus(local({}), before), { state: 'receiving', version: '', from: '0.1.0', reason: '', at: '2026-12-07T02:00:00.000Z', received: 10, total: 100 });
    assert.equal(mergeUpdateStatus(local({ state: 'verifying', version: '0.2.0' }), before)?.state, 'verifying');
  });

  it('handed over: verifying until the updater writes, then the updater\'s states', () => {
    const handed = local({ state: 'handed-over', version: '0.2.0' });
    assert.deepEqual(mergeUpdateStatus(handed, before), { state: 'verifying', version: '0.2.0', from: '0.1.0', reason: '', at: '2026-12-07T02:00:00.000Z' });
    const installing = '{"state":"installing","version":"0.2.0","from":"0.1.0","reason":"","at":"2026-12-07T02:00:05Z"}';
    assert.equal(mergeUpdateStatus(handed, installing)?.state, 'installing');
  });

  it('refused by picamd: its reason until the updater writes something new', () => {
    const refused = local({ state: 'refused', reason: 'bad signature' });
    assert.equal(mergeUpdateStatus(refused, before)?.reason, 'bad signature');
    assert.equal(mergeUpdateStatus(refused, before.replace('0.1.0', '0.1.1'))?.state, 'committed');
  });
});
