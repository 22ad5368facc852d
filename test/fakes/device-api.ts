// The settings, users and setup API of docs/web.md as a small in-memory fake for Playwright's
// page.route(): enough of the contract (ETags and If-Match, problems, 409s) to drive the page's
// views in a real browser while the device side is elsewhere.

import type { Route } from 'playwright-core';
import { z } from 'zod';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const fakeSettableSchema = z.strictObject({
  camera: z
    .strictObject({
      width: int(64, 4608).multipleOf(2, 'must be even').default(1280).meta({ group: 'Camera', title: 'Width', unit: 'px', applies: 'camera', description: 'Picture width.' }),
      framerate: int(1, 120).default(30).meta({ group: 'Camera', title: 'Frame rate', unit: 'fps', applies: 'camera', description: 'Frames per second.' }),
      quality: int(1, 100).default(80).meta({ group: 'Picture', title: 'JPEG quality', unit: '%', applies: 'camera', description: 'Higher is sharper and larger.' }),
      rotation: z.literal([0, 180]).default(0).meta({ group: 'Picture', title: 'Rotation', unit: '°', applies: 'camera', description: 'Turns the picture.' }),
      autofocusMode: z.enum(['manual', 'auto', 'continuous']).default('continuous').meta({ group: 'Focus', title: 'Autofocus', applies: 'camera', description: 'How the lens focuses.' }),
      shutterUs: int(0, 1_000_000).default(0).meta({ group: 'Exposure', title: 'Shutter', unit: 'µs', applies: 'camera', description: '0 is automatic.' }),
    })
    .prefault({}),
  server: z
    .strictObject({
      deviceName: z.string().max(64).default('').meta({ group: 'Device', title: 'Device name', applies: 'live', description: 'Shown on the page.' }),
      openViewing: z.boolean().default(false).meta({ group: 'Device', title: 'Open viewing', applies: 'live', description: 'Anyone may watch.' }),
    })
    .prefault({}),
  gpio: z
    .strictObject({
      led: z
        .strictObject({
          pin: int(0, 27).default(17).meta({ group: 'Device', title: 'LED pin', applies: 'gpio', description: 'BCM number.' }),
          activeLow: z.boolean().default(false).meta({ group: 'Device', title: 'LED active low', applies: 'gpio', description: 'Lit when low.' }),
        })
        .nullable()
        .prefault({}),
    })
    .prefault({}),
});

type Json = Record<string, any>;

export class FakeDeviceApi {
  values: Json = fakeSettableSchema.parse({ camera: { framerate: 15 }, server: { deviceName: 'Front door' }, gpio: { led: null } });
  origins: Record<string, string> = { 'camera.framerate': 'config', 'server.deviceName': 'config' };
  status: { state: string; message: string } & Record<string, unknown> = { state: 'ok', message: '' };
  /** Set: the next status document after a PUT still has this settings state (one built before it, arriving late). */
  holdStatus: ({ state: string; message: string } & Record<string, unknown>) | undefined;
  private held: ({ state: string; message: string } & Record<string, unknown>) | undefined;

  /** The settings state for a status document (the held one once, after a PUT). */
  statusForDocument(): { state: string; message: string } & Record<string, unknown> {
    const held = this.held;
    this.held = undefined;
    return { ...(held ?? this.status) };
  }
  version = 1;
  users = [{ name: 'owner', password: 'correct horse' }];
  openViewing = false;
  claimed = true;
  /** Every request the page made to the API: `METHOD /path` and its body. */
  readonly requests: Array<{ line: string; headers: Record<string, string>; body: any }> = [];
  /** The next PUT answers 400 with these problems. */
  refuseNextPut: string[] | undefined;

  get etag(): string {
    return `"v${this.version}"`;
  }

  /** Someone else changes a setting (another browser, the API). */
  changeElsewhere(path: string[], value: unknown): void {
    let node = this.values;
    for (const key of path.slice(0, -1)) node = node[key];
    node[path[path.length - 1]!] = value;
    this.origins[path.join('.')] = 'page';
    this.version++;
  }

  private document() {
    return { values: structuredClone(this.values), origins: { ...this.origins }, status: { ...this.status } };
  }

  readonly handle = async (route: Route): Promise<void> => {
    const request = route.request();
    const path = new URL(request.url()).pathname;
    const method = request.method();
    const raw = request.postData();
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    this.requests.push({ line: `${method} ${path}`, headers: request.headers(), body });
    const json = (status: number, answer: unknown, headers: Record<string, string> = {}) => route.fulfill({ status, json: answer, headers });
    const doc = () => json(200, this.document(), { ETag: this.etag });
    if (path === '/api/setup') {
      if (method === 'GET') return json(200, { claimed: this.claimed, deviceName: 'raspberrypi', openViewing: this.openViewing, passwordMinimum: 10 });
      if (this.claimed) return json(409, { error: 'already-claimed' });
      this.claimed = true;
      this.users = [{ name: body.user, password: body.password }];
      return json(200, { claimed: true });
    }
    if (path === '/api/settings/schema') return json(200, z.toJSONSchema(fakeSettableSchema, { io: 'input' }));
    if (path === '/api/settings' && method === 'GET') return doc();
    if (path === '/api/settings' && method === 'PUT') {
      if (request.headers()['if-match'] !== this.etag) return json(412, { error: 'stale' });
      if (this.refuseNextPut) {
        const problems = this.refuseNextPut;
        this.refuseNextPut = undefined;
        return json(400, { error: 'invalid', message: 'invalid settings', problems });
      }
      const parsed = fakeSettableSchema.safeParse(body);
      if (!parsed.success) return json(400, { error: 'invalid', message: 'invalid settings', problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      for (const key of ['camera.width', 'camera.framerate', 'camera.quality', 'camera.rotation', 'camera.autofocusMode', 'camera.shutterUs', 'server.deviceName']) {
        const [a, b] = key.split('.') as [string, string];
        if (parsed.data[a as 'camera'][b as 'width'] !== this.values[a][b]) this.origins[key] = 'page';
      }
      // As the device: "applying" only while the camera restarts for a change of its own settings;
      // a GPIO or name change is done when the PUT answers.
      const cameraChanged = JSON.stringify(parsed.data.camera) !== JSON.stringify(this.values.camera);
      this.values = parsed.data;
      this.version++;
      this.status = cameraChanged ? { state: 'applying', message: '' } : { state: 'ok', message: '' };
      this.held = this.holdStatus;
      return doc();
    }
    if (path === '/api/me') return json(200, { name: 'owner', role: 'owner', mayTogglePrivacy: true, passwordMinimum: 10 });
    if (path === '/api/users' && method === 'GET') {
      return json(200, { users: this.users.map((u) => ({ name: u.name, role: 'owner', inConfig: false })), me: 'owner', openViewing: this.openViewing });
    }
    if (path === '/api/users/open-viewing') {
      if (body?.confirm !== 'I understand') return json(400, { error: 'invalid', message: 'confirm missing', problems: [] });
      this.openViewing = body.enabled;
      this.values.server.openViewing = body.enabled;
      this.version++;
      return json(200, { openViewing: this.openViewing });
    }
    return json(404, { error: 'not-found', message: `no fake for ${method} ${path}` });
  };
}
