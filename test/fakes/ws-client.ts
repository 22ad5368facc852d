import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { EVENTS_PATH } from '../../src/web/routes/events.js';

export interface WsClient {
  status: number;
  socket?: Socket;
  messages: string[];
  closeCode?: number;
}

/**
 * A WebSocket handshake on a raw socket (default /api/events): the status, and when it upgraded, the
 * socket, the text messages the server sends (unmasked frames) and the close code.
 */
export function openWs(port: number, headers: Record<string, string> = {}, path = EVENTS_PATH): Promise<WsClient> {
  return new Promise<WsClient>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, messages: [] });
    });
    req.on('upgrade', (res, socket, head) => {
      const result: WsClient = { status: res.statusCode ?? 0, socket: socket as Socket, messages: [] };
      let buf = head;
      const parse = () => {
        for (;;) {
          if (buf.length < 2) return;
          const opcode = buf[0]! & 0x0f;
          let len = buf[1]! & 0x7f;
          let at = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            at = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            at = 10;
          }
          if (buf.length < at + len) return;
          const payload = buf.subarray(at, at + len);
          if (opcode === 1) result.messages.push(payload.toString('utf8'));
          if (opcode === 8) result.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          buf = buf.subarray(at + len);
        }
      };
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        parse();
      });
      parse();
      resolve(result);
    });
    req.on('error', reject);
    req.end();
  });
}
