// The English table, the source of every key: one file per area of the page, so people working on
// different views add keys in different files. Keys start with their area's name (checked by
// `Area<'name'>`), so no two areas can define the same key.
import { common } from './common.js';
import { connect } from './connect.js';
import { firmware } from './firmware.js';
import { live } from './live.js';
import { login } from './login.js';
import { recorder } from './recorder.js';
import { settings } from './settings.js';
import { setup } from './setup.js';
import { time } from './time.js';
import { users } from './users.js';

export const en = { ...common, ...live, ...setup, ...login, ...users, ...settings, ...time, ...connect, ...firmware, ...recorder };
