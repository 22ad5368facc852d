// The session description (RFC 8866) an RTSP DESCRIBE answers with: one video stream, H.264 (RFC 6184
// section 8.2) or JPEG (RFC 2435, static payload type 26). Pure.

import { H264_PAYLOAD_TYPE, profileLevelId, spropParameterSets } from './h264.js';
import { JPEG_PAYLOAD_TYPE } from './jpeg.js';

export type SdpVideo =
  | { codec: 'h264'; sps?: Buffer; pps?: Buffer; framerate?: number }
  | { codec: 'jpeg'; width?: number; height?: number; framerate?: number };

export interface SdpSession {
  /** Origin's session id: a number that stays while the stream stays. */
  sessionId: string;
  /** The server's address as the client reached it, for the o= line (IP6 when it has a colon). */
  address: string;
  /** The s= line: the device's name. */
  name: string;
  /** The track's control URL, relative to the session's (RFC 2326 C.1.1). */
  control: string;
  video: SdpVideo;
}

export function buildSdp(session: SdpSession): string {
  const family = session.address.includes(':') ? 'IP6' : 'IP4';
  const name = session.name.replace(/[\r\n]+/g, ' ').trim() || '-';
  const lines = [
    'v=0',
    `o=- ${session.sessionId} 1 IN ${family} ${session.address}`,
    `s=${name}`,
    `c=IN ${family} ${family === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
    'a=recvonly',
  ];
  const { video } = session;
  if (video.codec === 'h264') {
    lines.push(`m=video 0 RTP/AVP ${H264_PAYLOAD_TYPE}`, `a=rtpmap:${H264_PAYLOAD_TYPE} H264/90000`);
    const fmtp = ['packetization-mode=1'];
    if (video.sps && video.pps) fmtp.push(`profile-level-id=${profileLevelId(video.sps)}`, `sprop-parameter-sets=${spropParameterSets(video.sps, video.pps)}`);
    lines.push(`a=fmtp:${H264_PAYLOAD_TYPE} ${fmtp.join(';')}`);
  } else {
    lines.push(`m=video 0 RTP/AVP ${JPEG_PAYLOAD_TYPE}`, `a=rtpmap:${JPEG_PAYLOAD_TYPE} JPEG/90000`);
    if (video.width && video.height) lines.push(`a=framesize:${JPEG_PAYLOAD_TYPE} ${video.width}-${video.height}`);
  }
  if (video.framerate) lines.push(`a=framerate:${video.framerate}`);
  lines.push(`a=control:${session.control}`);
  return `${lines.join('\r\n')}\r\n`;
}
