// Words used across the page: the page's title, durations, the language switch, generic answers.
import type { Area } from '../table.js';

export const common = {
  'common.language': 'Language',
  'common.duration.seconds': '{n} s',
  'common.duration.minutes': '{n} min',
  'common.duration.hours': '{h} h {m} min',
  'common.duration.days': '{d} d {h} h',
  'common.unreachable': 'The device did not answer.',
  'common.httpStatus': 'The device answered HTTP {status}.',
} satisfies Area<'common'>;
