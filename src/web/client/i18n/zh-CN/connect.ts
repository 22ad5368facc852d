import type { connect as english } from '../en/connect.js';
import type { Table } from '../table.js';

export const connect: Table<typeof english> = {
  'connect.welcome.heading': '摄像头已就绪',
  'connect.welcome.privacy': '隐私模式会直接关闭摄像头，可以在这里开启，也可以按设备上的按钮。',
  'connect.welcome.settings': '在“设置”中可以调整画面、视频流以及谁可以观看。',
  'connect.welcome.apps': '其他应用也可以显示这台摄像头的画面，地址见下方。',
  'connect.welcome.done': '知道了',
  'connect.heading': '接入其他应用',
  'connect.lead': '将这些地址粘贴到其他应用中。应用需要用户名和密码登录：请在“设置 → 用户”中为它们添加一个观看者。',
  'connect.stream': '实时视频流（MJPEG）',
  'connect.snapshot': '截图（JPEG）',
  'connect.mp4': '实时视频流（H.264，分段 MP4）',
  'connect.rtsp': 'RTSP',
  'connect.copyLabel': '复制地址：{what}',
  'connect.recipes': '接入示例',
  'connect.homeAssistant': 'Home Assistant：添加“MJPEG IP Camera”集成，填入上面的实时视频流和截图地址，以及用户名和密码。',
  'connect.frigate': 'Frigate：把 H.264 视频流（H.264 模式）或 MJPEG 视频流交给它的 go2rtc，Frigate 再读取 go2rtc 转发的 RTSP 流。',
  'connect.octoprint': 'OctoPrint、Mainsail、Fluidd：视频流地址 {stream}，截图地址 {snapshot}（与 mjpg-streamer 相同，picamd 同样支持）。',
  'connect.more': '详细步骤和经过测试的设置：见 picamd 文档中的 docs/integrations.md。',
};
