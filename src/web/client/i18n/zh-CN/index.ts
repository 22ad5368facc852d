// Simplified Chinese: the same areas as English, each typed against its English file.
import type { en } from '../en/index.js';
import type { Table } from '../table.js';
import { common } from './common.js';
import { connect } from './connect.js';
import { firmware } from './firmware.js';
import { fields } from './fields.js';
import { live } from './live.js';
import { login } from './login.js';
import { recorder } from './recorder.js';
import { settings } from './settings.js';
import { setup } from './setup.js';
import { time } from './time.js';
import { users } from './users.js';

export const zhCN: Table<typeof en> = { ...common, ...live, ...setup, ...login, ...users, ...settings, ...time, ...connect, ...firmware, ...recorder };

/** The settings' titles and descriptions, by path (the device's schema has them in English). */
export const zhCNFields = fields;
