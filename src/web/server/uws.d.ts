// What uws-pack 20.0.8's typings leave out of the native module, declared so picamd needs no casts:
// listen with a host and options (the native listen takes both), and the listen options exported
// as plain constants (the typings declare only the ListenOptions enum, which is not exported at
// run time).
import type { ListenOptions, RecognizedString, us_listen_socket } from 'uWebSockets.js';

declare module 'uWebSockets.js' {
  export const LIBUS_LISTEN_EXCLUSIVE_PORT: ListenOptions;
  interface TemplatedApp {
    listen(host: RecognizedString, port: number, options: ListenOptions, cb: (listenSocket: us_listen_socket | false) => void | Promise<void>): TemplatedApp;
  }
}
