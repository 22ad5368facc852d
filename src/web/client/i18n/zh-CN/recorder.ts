// 录像机登录卡片的文字。
import type { recorder as english } from '../en/recorder.js';
import type { Table } from '../table.js';

export const recorder: Table<typeof english> = {
  'recorder.heading': '录像机登录',
  'recorder.intro':
    '供录像机使用的专用登录（Home Assistant ONVIF、UniFi Protect、Synology、Blue Iris）：只能通过 RTSP 和 ONVIF 观看。摄像头以明文保存此密码；如果怀疑录像机泄露了它，请更换密码。',
  'recorder.off': '已关闭：录像机只能用本页面的用户通过 HTTP 摘要认证登录。',
  'recorder.turnOn': '开启',
  'recorder.turnOff': '关闭',
  'recorder.rotate': '更换密码',
  'recorder.rotateConfirm': '新密码会立即让旧密码失效：所有使用旧密码的录像机都需要填入新密码。确定更换？',
  'recorder.user': '用户名',
  'recorder.password': '密码',
  'recorder.copy': '复制',
  'recorder.copied': '密码已复制。',
  'recorder.selectToCopy': '请选中密码并复制。',
  'recorder.rotated': '已生成新密码：请填入你的录像机。',
  'recorder.on': '已开启。',
  'recorder.turnedOff': '已关闭：使用它登录的录像机从现在起会被拒绝。',
  'recorder.damaged': '没有录像机登录：{message}',
  'recorder.failed': '未更改：{message}',
};
