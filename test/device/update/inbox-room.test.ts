// The inbox never lets an upload take the card's last room: a file that would leave less than
// KEEP_FREE_BYTES free is refused before a byte of it is stored (the settings, the accounts and
// privacy must still save meanwhile); with room, or when the room is unknown, it is taken.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEEP_FREE_BYTES, REQUEST_NAME, UpdateInbox } from '../../../src/device/update/inbox.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeUpdateFile, testSigner } from '../../fakes/update-file.js';

describe('UpdateInbox and the room on the card', () => {
  let dir = '';
  let file = '';
  let size = 0;
  let keysDir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'picamd-inbox-room-'));
    const signer = testSigner(dir);
    keysDir = signer.keysDir;
    file = await makeUpdateFile(dir, signer, { version: '0.2.0', padding: 200_000 });
    size = statSync(file).size;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const inboxWith = (name: string, freeBytes?: () => number | null) => {
    const logger = memoryLogger();
    const inbox = new UpdateInbox({
      dir: join(dir, name),
      keysDir,
      statusFile: join(dir, name, 'none.json'),
      architecture: process.arch,
      installedVersion: '0.1.0',
      logger,
      clock: Date.now,
      freeBytes,
    });
    return { inbox, logger, inboxDir: join(dir, name) };
  };

  it('refuses a file that would leave less than it keeps free, and stores nothing of it', async () => {
    const { inbox, inboxDir } = inboxWith('short', () => size + KEEP_FREE_BYTES - 1);
    const result = await inbox.receive(createReadStream(file), size, { allowDowngrade: false });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.problem, 'no-room');
    assert.match(!result.ok ? result.reason : '', /not enough room on the memory card: the update file is [\d.]+ MB and [\d.]+ MB is free/);
    assert.ok(!existsSync(inboxDir) || readdirSync(inboxDir).length === 0, 'nothing stored');
    assert.equal(inbox.status()?.state, 'refused');
  });

  it('takes it with room to spare, and when the room is unknown', async () => {
    for (const [name, free] of [['room', () => size + KEEP_FREE_BYTES], ['unknown', () => null]] as const) {
      const { inbox, inboxDir } = inboxWith(name, free);
      const result = await inbox.receive(createReadStream(file), size, { allowDowngrade: false });
      assert.equal(result.ok, true, `${name}: ${!result.ok ? result.reason : ''}`);
      assert.equal(statSync(join(inboxDir, REQUEST_NAME)).size, size);
    }
  });
});
