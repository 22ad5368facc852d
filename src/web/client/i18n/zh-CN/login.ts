import type { login as english } from '../en/login.js';
import type { Table } from '../table.js';

export const login: Table<typeof english> = {
  'login.title': '登录 · picamd',
  'login.heading': '登录这台摄像头',
  'login.user': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.forgot': '忘记密码？在设备启动时按住隐私按钮 10 秒，然后重新设置所有者。',
  'login.missing': '请输入用户名和密码。',
  'login.checking': '正在验证…',
  'login.wrong': '用户名或密码错误。',
  'login.tooMany': '此地址登录失败次数过多，请在 {seconds} 秒后重试。',
  'login.busy': '摄像头正在处理其他登录请求，请稍后重试。',
  'login.logOut': '退出登录',
  'login.logOutTitle': '在设备上结束本次登录',
  'login.logIn': '登录',
  'login.loggedInAs': '当前用户：{name}',
  'login.logOutFailed': '设备没有响应，你仍处于登录状态。',
};
