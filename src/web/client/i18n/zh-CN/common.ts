import type { common as english } from '../en/common.js';
import type { Table } from '../table.js';

export const common: Table<typeof english> = {
  'common.language': '语言',
  'common.duration.seconds': '{n} 秒',
  'common.duration.minutes': '{n} 分钟',
  'common.duration.hours': '{h} 小时 {m} 分钟',
  'common.duration.days': '{d} 天 {h} 小时',
  'common.unreachable': '设备没有响应。',
  'common.httpStatus': '设备返回了 HTTP {status}。',
};
