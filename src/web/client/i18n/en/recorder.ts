// The Recorder login card's strings (recorder-view.ts): keys start with `recorder.`.
import type { Area } from '../table.js';

export const recorder = {
  'recorder.heading': 'Recorder login',
  'recorder.intro':
    'One login for recorders (Home Assistant ONVIF, UniFi Protect, Synology, Blue Iris): it may only watch, over RTSP and ONVIF. The camera keeps this password in plain form; rotate it if a recorder may have leaked it.',
  'recorder.off': 'Off: recorders can only log in with HTTP Digest, with a user of this page.',
  'recorder.turnOn': 'Turn on',
  'recorder.turnOff': 'Turn off',
  'recorder.rotate': 'Rotate password',
  'recorder.rotateConfirm': 'A new password stops the old one at once: every recorder that uses it must get the new one. Rotate?',
  'recorder.user': 'User name',
  'recorder.password': 'Password',
  'recorder.copy': 'Copy',
  'recorder.copied': 'Password copied.',
  'recorder.selectToCopy': 'Select and copy the password.',
  'recorder.rotated': 'New password made: give it to your recorders.',
  'recorder.on': 'On.',
  'recorder.turnedOff': 'Off: recorders logged in with it are refused from now on.',
  'recorder.damaged': 'No recorder login: {message}',
  'recorder.failed': 'Not changed: {message}',
} satisfies Area<'recorder'>;
