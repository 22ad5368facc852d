import type { Account } from './accounts/store.js';
import type { CameraState } from './camera/machine.js';
import type { PrivacyState } from './privacy/controller.js';
import type { Config } from './settings/schema.js';

// The device's announcements as one typed map. The camera, privacy and the settings store stay
// plain emitters (their own tests drive them so); this is the one place a service subscribes to
// them, so the composition root never relays an event or decides who reacts to it.

export interface DeviceEventMap {
  /** The camera supervisor entered a state (streaming, paused, backoff, ...). */
  camera: [state: CameraState, detail: string];
  /** Privacy was switched (button, page, MQTT, API). */
  privacy: [state: PrivacyState];
  /** Saved settings changed; `paths` are the leaves that differ (`camera.width`, `mqtt.url`, ...). */
  settings: [next: Config, previous: Config, paths: readonly string[]];
  /** The users changed; `ended`: users removed or whose password changed (their access ends). */
  users: [users: ReadonlyArray<Account>, ended: readonly string[]];
  /** The recorder credential changed (rotated, off): `ended` is the name whose old password stopped. */
  recorder: [ended: readonly string[]];
}

export type DeviceEventName = keyof DeviceEventMap;
export type DeviceListener<K extends DeviceEventName> = (...args: DeviceEventMap[K]) => void;

export interface DeviceEvents {
  /** Subscribes; the returned function unsubscribes (safe to call twice). */
  on<K extends DeviceEventName>(event: K, listener: DeviceListener<K>): () => void;
}

// node's EventEmitter types its listeners so.
type AnyListener = (...args: any[]) => void;

interface Emitter {
  on(event: string, listener: AnyListener): unknown;
  off(event: string, listener: AnyListener): unknown;
}

export interface DeviceEventSources {
  camera: Emitter;
  privacy: Emitter;
  settings: Emitter;
  accounts: Emitter;
  recorder?: Emitter;
}

const SOURCE_EVENT: { [K in DeviceEventName]: [keyof DeviceEventSources, string] } = {
  camera: ['camera', 'state'],
  privacy: ['privacy', 'change'],
  settings: ['settings', 'change'],
  users: ['accounts', 'change'],
  recorder: ['recorder', 'change'],
};

export function deviceEvents(sources: DeviceEventSources): DeviceEvents {
  return {
    on(event, listener) {
      const [source, name] = SOURCE_EVENT[event];
      const emitter = sources[source];
      if (!emitter) return () => undefined;
      const fn = listener as AnyListener;
      emitter.on(name, fn);
      let subscribed = true;
      return () => {
        if (subscribed) emitter.off(name, fn);
        subscribed = false;
      };
    },
  };
}
