// 固件卡片的文字。
import type { firmware as english } from '../en/firmware.js';
import type { Table } from '../table.js';

export const firmware: Table<typeof english> = {
  'firmware.heading': '固件',
  'firmware.running': '这台摄像头正在运行 picamd {version}。',
  'firmware.upload': '上传更新…',
  'firmware.uploadHint': 'picamd 发布版的已签名 .update 文件。摄像头会校验并安装它，然后重启；如果新版本无法正常启动，会自动回退。',
  'firmware.allowDowngrade': '允许安装旧版本（降级）',
  'firmware.goBack': '回退到 {version}',
  'firmware.goBackConfirm': '回退到 picamd {version}？摄像头将重启，您的设置会保留。',
  'firmware.goBackYes': '回退',
  'firmware.cancel': '取消',
  'firmware.step.receiving': '接收',
  'firmware.step.verifying': '校验',
  'firmware.step.installing': '安装',
  'firmware.step.restarting': '重启',
  'firmware.step.checking': '检查',
  'firmware.receiving': '正在接收文件：{percent} %',
  'firmware.verifying': '正在校验 picamd {version}…',
  'firmware.verifyingFile': '正在校验文件…',
  'firmware.installing': '正在安装 picamd {version}…',
  'firmware.restarting': '正在以 picamd {version} 重启…',
  'firmware.checking': 'picamd {version} 已在运行，正在检查其是否正常…',
  'firmware.committed': '已更新到 picamd {version}。',
  'firmware.rolledBack': '更新到 {version} 失败，已回滚：{reason}',
  'firmware.undone': '未保留较新版本中的更改（此版本无法保存）：{what}',
  'firmware.refused': '更新被拒绝：{reason}',
  'firmware.failed': '更新失败：{reason}',
  'firmware.downgradeHint': '勾选“允许安装旧版本”，然后再次上传该文件即可安装。',
  'firmware.unreachable': '摄像头尚未响应（可能正在重启）…',
  'firmware.uploadFailed': '上传中断，请重试。',
};
