import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app.js';
import { waitFor } from './wait.js';

// A real Mosquitto broker for the MQTT tests (Debian's mosquitto and mosquitto-clients), on a free
// port with a generated config, and mosquitto_sub/mosquitto_pub as an independent client.

/** Whether mosquitto and its clients are installed; the tests fail under CI=true when they are not. */
export function mosquittoAvailable(): boolean {
  return ['mosquitto', 'mosquitto_sub', 'mosquitto_pub', 'mosquitto_passwd'].every(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
  );
}

export const skipWithoutMosquitto: string | false =
  !mosquittoAvailable() && process.env.CI !== 'true' ? 'mosquitto is not installed (apt-get install mosquitto mosquitto-clients)' : false;

export interface BrokerOptions {
  /** The plain listener's port; a free one when not given. */
  port?: number;
  /** Users (name -> password); anonymous logins are refused when given. */
  users?: Record<string, string>;
  /** Adds a TLS listener with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
}

export interface Broker {
  /** Plain listener (always there: the tests observe through it). */
  port: number;
  /** TLS listener, when asked for. */
  tlsPort: number | undefined;
  dir: string;
  output(): string;
  stop(): Promise<void>;
  /** Stops the broker and starts it again on the same ports; retained messages are gone (no persistence). */
  restart(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-mosquitto-'));
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls ? await freePort() : undefined;
  const lines = [
    // Run as root (CI), mosquitto would switch to the user "mosquitto", who cannot read this directory.
    'user root',
    'persistence false',
    'log_dest stdout',
    'log_type all',
    `allow_anonymous ${options.users ? 'false' : 'true'}`,
    `listener ${port} 127.0.0.1`,
  ];
  if (options.users) {
    const file = join(dir, 'passwd');
    writeFileSync(file, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', file, user, password]);
    lines.push(`password_file ${file}`);
  }
  if (options.tls && tlsPort) lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  let proc: ChildProcess | undefined;
  let out = '';
  const launch = async () => {
    const child = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(`mosquitto listening on ${port}\n${out}`, async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${out}`);
      return (await canConnect(port)) && (tlsPort === undefined || (await canConnect(tlsPort)));
    });
  };
  const halt = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    port,
    tlsPort,
    dir,
    output: () => out,
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
  };
}

export interface Message {
  topic: string;
  payload: Buffer;
  retained: boolean;
}

export interface Subscriber {
  messages: Message[];
  /** The latest message on a topic, when there is one. */
  last(topic: string): Message | undefined;
  /** Waits for a message on `topic` (after the first `from` messages) that satisfies `check`. */
  waitFor(topic: string, check?: (m: Message) => boolean, from?: number): Promise<Message>;
  stop(): Promise<void>;
}

/** mosquitto_sub on `filters`, collecting every message with its retain flag; resolves once subscribed. */
export async function subscribe(port: number, ...filters: string[]): Promise<Subscriber> {
  // mosquitto_sub prints nothing once subscribed; a probe message on a topic of its own tells us it is.
  const probe = `picamd-test/probe/${process.pid}-${Math.random().toString(16).slice(2)}`;
  const topics = [...filters, probe].flatMap((f) => ['-t', f]);
  const child = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...topics, '-F', '%r %t %x'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: Message[] = [];
  let tail = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (tail + d.toString()).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      const [retain, topic, hex] = line.split(' ');
      messages.push({ topic: topic ?? '', payload: Buffer.from(hex ?? '', 'hex'), retained: retain === '1' });
    }
  });
  const sub: Subscriber = {
    messages,
    last: (topic) => messages.filter((m) => m.topic === topic).at(-1),
    waitFor: (topic, check = () => true, from = 0) =>
      waitFor(`a message on ${topic} (${messages.length} received${err ? `; mosquitto_sub: ${err}` : ''})`, () =>
        messages.slice(from).find((m) => m.topic === topic && check(m)),
      ),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  await waitFor(
    `mosquitto_sub to subscribe${err ? `: ${err}` : ''}`,
    () => {
      publish(port, probe, 'x');
      return messages.some((m) => m.topic === probe);
    },
    10_000,
    200,
  );
  return sub;
}

/** mosquitto_pub one message (QoS 1), waiting for it to be sent. */
export function publish(port: number, topic: string, payload: string, options: { retain?: boolean } = {}): void {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-m', payload, ...(options.retain ? ['-r'] : [])]);
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'broker-cert.pem');
  const key = join(dir, 'broker-key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
