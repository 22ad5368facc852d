import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait.js';

// Real reverse proxies in front of picamd: Debian's nginx and Caddy, each started on a loopback port
// with its own configuration and state in a temp directory (no admin port, no certificates, no
// files outside it).

export const NGINX = '/usr/sbin/nginx';
export const CADDY = '/usr/bin/caddy';

/** node:test's skip value: false where the proxy is installed, or in CI (where it must be). */
export function skipWithout(binary: string, pkg: string): false | string {
  return existsSync(binary) ? false : process.env.CI === 'true' ? false : `no ${binary} (apt-get install ${pkg})`;
}

export interface RunningProxy {
  port: number;
  output: () => string;
  stop(): Promise<void>;
}

/** An nginx with `locations` (the inside of a server block) listening on 127.0.0.1:port. */
export function startNginx(dir: string, port: number, locations: string): Promise<RunningProxy> {
  const prefix = join(dir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')};
events { worker_connections 64; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
}
`,
  );
  return run('nginx', NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], {}, port);
}

/**
 * A Caddy with `sites` (Caddyfile site blocks) after a global block that turns off the admin
 * endpoint and automatic HTTPS and keeps its storage in `dir`.
 */
export function startCaddy(dir: string, port: number, sites: string): Promise<RunningProxy> {
  const home = join(dir, 'caddy');
  mkdirSync(home, { recursive: true });
  const file = join(home, 'Caddyfile');
  writeFileSync(
    file,
    `{
	admin off
	auto_https off
	storage file_system {
		root ${join(home, 'storage')}
	}
}
${sites}
`,
  );
  const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
  return run('caddy', CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], env, port);
}

async function run(name: string, binary: string, args: string[], env: Record<string, string>, port: number): Promise<RunningProxy> {
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const proxy: RunningProxy = {
    port,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(`${name} on port ${port}`, async () => {
      if (gone) throw new Error(`${name} exited: ${output}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 30_000, 50);
  } catch (err) {
    await proxy.stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return proxy;
}
