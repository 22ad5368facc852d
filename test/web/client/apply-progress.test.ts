// The status beside Apply, fed the answers and status documents a change goes through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplyProgress, rolledBack } from '../../../src/web/client/apply-progress.js';
import { useLanguage } from '../../../src/web/client/i18n/translate.js';

const titles: Record<string, string> = { 'camera.tuningFile': 'Tuning file', 'camera.width': 'Width' };
const progress = () => new ApplyProgress((path) => titles[path] ?? path);
const doc = (settings: { state: 'ok' | 'applying' | 'rolled-back' | 'fallback'; message?: string } & Record<string, unknown>, camera = 'streaming', privacy = false) => ({
  camera: { state: camera } as never,
  privacy: { enabled: privacy } as never,
  settings: { message: '', ...settings },
});
const rollback = {
  state: 'rolled-back' as const,
  message: 'the camera refused the new settings: ERROR: *** no cameras available ***',
  undone: [{ path: 'camera.tuningFile', tried: '/x.json', now: null }],
  cameraLine: 'ERROR: *** no cameras available ***',
  cause: 'the tuning file /x.json does not exist',
};

test('a camera change: saving, restarting, then live once the camera was seen restarting', () => {
  const p = progress();
  assert.equal(p.saving().text, 'Saving…');
  assert.equal(p.saved(['camera'], { state: 'applying', message: '' }, false).text, 'Restarting the camera…');
  assert.equal(p.status(doc({ state: 'applying' }, 'starting')).text, 'Restarting the camera…');
  const live = p.status(doc({ state: 'ok' }));
  assert.deepEqual(live, { text: 'Live with the new settings.', tone: 'ok', details: '' });
});

test('a document built before the PUT does not pass for "live": a second one is needed', () => {
  const p = progress();
  p.saving();
  p.saved(['camera'], { state: 'ok', message: '' }, false);
  assert.equal(p.status(doc({ state: 'ok' })).text, 'Restarting the camera…');
  assert.equal(p.status(doc({ state: 'ok' })).text, 'Live with the new settings.');
});

test('rolled back: the setting, the value tried and the cause in words, the camera line as details; never "Saved"', () => {
  const p = progress();
  const said = [p.saving(), p.saved(['camera'], { state: 'applying', message: '' }, false), p.status(doc({ state: 'applying' }, 'backoff')), p.status(doc(rollback))];
  assert.ok(said.every((s) => !/Saved/.test(s.text)), said.map((s) => s.text).join(' | '));
  assert.deepEqual(said.at(-1), {
    text: 'Rolled back: Tuning file /x.json did not work (the tuning file /x.json does not exist), so the camera is back on the last good settings.',
    tone: 'bad',
    details: 'The camera said: ERROR: *** no cameras available ***',
  });
});

test('an earlier rollback in one late document is not the next change\'s outcome; seen twice after the answer, it is', () => {
  const p = progress();
  assert.equal(p.status(doc(rollback)).tone, 'bad', 'shown when nothing of ours is under way');
  p.saving();
  assert.equal(p.status(doc(rollback)).text, 'Saving…', 'while saving, nothing is about this change yet');
  p.saved(['camera'], { state: 'applying', message: '' }, false);
  assert.equal(p.status(doc(rollback)).text, 'Restarting the camera…', 'one late document');
  assert.equal(p.status(doc(rollback)).tone, 'bad', 'the same again: the camera refused at once, between two polls');
});

test('what other changes say: at once, GPIO, a picamd restart, privacy on', () => {
  const cases: Array<[Parameters<ApplyProgress['saved']>[0], boolean, string]> = [
    [['live'], false, 'Saved and in effect.'],
    [['gpio', 'live'], false, 'Saved; the GPIO lines were re-opened.'],
    [['restart'], false, 'Saved; takes effect when picamd restarts.'],
    [['camera'], true, 'Saved; the camera uses it when privacy mode is turned off.'],
  ];
  for (const [costs, privacy, text] of cases) {
    const p = progress();
    p.saving();
    assert.equal(p.saved(costs, { state: 'ok', message: '' }, privacy).text, text);
  }
});

test('several settings undone are listed as the language lists them: "A and B", "A和B"', (t) => {
  t.after(() => useLanguage('en'));
  const status = { ...rollback, undone: [rollback.undone[0]!, { path: 'camera.width', tried: 4000, now: 1280 }], cause: undefined, causeCode: undefined };
  assert.match(rolledBack(status, (path) => titles[path] ?? path).text, /^Rolled back: Tuning file \/x\.json and Width 4,?000 did not work/);
  useLanguage('zh-CN');
  const zh = rolledBack(status, (path) => titles[path] ?? path).text;
  assert.match(zh, /Tuning file \/x\.json\s*和\s*Width 4,?000/);
  assert.doesNotMatch(zh, /, Width/);
});
