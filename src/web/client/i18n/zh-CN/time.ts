import type { time as english } from '../en/time.js';
import type { Table } from '../table.js';

export const time: Table<typeof english> = {
  'time.deviceTime': '设备时间',
  'time.heading': '日期和时间',
  'time.now': '{time}（{zone}）',
  'time.zone': '时区',
  'time.zoneHint': '本页面和日志中的时间都使用此时区。时间本身来自网络上的时间服务器。',
  'time.zoneSet': '设置时区',
  'time.zoneSaving': '正在设置时区…',
  'time.zoneSaved': '时区已设为 {zone}。',
  'time.zoneFailed': '未更改：{message}',
  'time.zoneUnknown': '设备不认识时区“{zone}”。',
  'time.zoneNotAllowed': '设备的时间服务拒绝了此更改。',
  'time.sync.yes': '已与网络时间服务器同步。',
  'time.sync.no': '尚未与网络时间服务器同步。',
  'time.sync.unknown': '无法确定时钟是否已同步。',
  'time.warn.beforeBuild': '设备时钟不正确：{time} 早于此固件的构建时间。连接到网络上的时间服务器后会自动校准。',
  'time.warn.differs': '设备时钟与这台电脑相差 {difference}。连接到网络上的时间服务器后会自动校准。',
  'time.warn.unsynchronized': '设备时钟尚未同步：在连接到网络上的时间服务器之前，时间可能不准确。',
  'time.overlay': '时钟',
  'time.overlayTitle': '在画面上显示设备的日期和时间（由本页面绘制，不写入视频流）',
};
