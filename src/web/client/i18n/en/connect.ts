// What next: the one-time welcome after the first run, and "Connect other apps".
import type { Area } from '../table.js';

export const connect = {
  'connect.welcome.heading': 'Your camera is ready',
  'connect.welcome.privacy': 'Privacy mode switches the camera itself off, from here or with the button on the device.',
  'connect.welcome.settings': 'Settings change the picture, the stream and who may watch.',
  'connect.welcome.apps': 'Other apps can show the camera too: the addresses are below.',
  'connect.welcome.done': 'Got it',
  'connect.heading': 'Connect other apps',
  'connect.lead': 'Paste these addresses into other apps. Apps log in with a user name and password: add a viewer for them in Settings → Users.',
  'connect.stream': 'Live stream (MJPEG)',
  'connect.snapshot': 'Snapshot (JPEG)',
  'connect.mp4': 'Live stream (H.264, fragmented MP4)',
  'connect.rtsp': 'RTSP',
  'connect.copyLabel': 'Copy the address: {what}',
  'connect.recipes': 'Recipes',
  'connect.homeAssistant': 'Home Assistant: add the "MJPEG IP Camera" integration with the live stream and snapshot addresses above, and a user name and password.',
  'connect.frigate': "Frigate: give its go2rtc the H.264 stream (H.264 mode) or the MJPEG stream; Frigate then reads go2rtc's RTSP restream.",
  'connect.octoprint': 'OctoPrint, Mainsail, Fluidd: the stream address {stream} and the snapshot address {snapshot} (mjpg-streamer\'s, which picamd answers too).',
  'connect.more': 'Step by step, with tested settings: "Works with" (docs/integrations.md) in picamd\'s documentation.',
} satisfies Area<'connect'>;
