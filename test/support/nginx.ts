/**
 * Runs Debian's nginx with deploy/nginx.conf, substituting only ports and
 * paths, in front of a service on loopback, with a certificate made here.
 * nginx must be installed (scripts/ensure-system-packages.sh, which .ci/run calls).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';

export const NGINX = '/usr/sbin/nginx';
export const deployedConfig = () => readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');

export interface RunningNginx {
  httpPort: number;
  httpsPort: number;
  /** The CA clients pass to verify TLS (the self-signed certificate itself). */
  ca: Buffer;
  stop(): Promise<void>;
}

/** Replaces `from` by `to`, insisting it occurs exactly once: a changed config must break the test, not bypass it. */
function substituteOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`deploy/nginx.conf: expected ${JSON.stringify(from)} once, found it ${count} times`);
  return text.replace(from, to);
}

/** `upstream`: the service's port, or several replicas' ports (listed in the upstream block, as the config's comment says to). */
export function templateConfig(config: string, ports: { http: number; https: number; upstream: number | number[] }, dir: string): string {
  let text = config;
  text = substituteOnce(text, 'listen 80;', `listen 127.0.0.1:${ports.http};`);
  text = substituteOnce(text, 'listen 443 ssl;', `listen 127.0.0.1:${ports.https} ssl;`);
  const replicas = [ports.upstream].flat().map((port) => `server 127.0.0.1:${port};`);
  text = substituteOnce(text, 'server storage:8080;', replicas.join('\n        '));
  text = substituteOnce(text, '/etc/nginx/certs/fullchain.pem', path.join(dir, 'fullchain.pem'));
  text = substituteOnce(text, '/etc/nginx/certs/privkey.pem', path.join(dir, 'privkey.pem'));
  // Debian's compiled-in temp paths belong to www-data; the test's own live in its directory.
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${path.join(dir, `${kind}_temp`)};`).join('\n');
  return substituteOnce(text, 'http {\n', `http {\n${temps}\n`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export function makeCertificate(dir: string): Buffer {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'privkey.pem'),
      '-out',
      path.join(dir, 'fullchain.pem'),
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(path.join(dir, 'fullchain.pem'));
}

export async function startNginx(dir: string, upstreamPort: number | number[]): Promise<RunningNginx> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: run scripts/ensure-system-packages.sh`);
  mkdirSync(dir, { recursive: true });
  // Workers run as nobody and spill large bodies to temp dirs in here (the key stays 0600, read by the root master).
  chmodSync(dir, 0o755);
  const ca = makeCertificate(dir);
  const ports = { http: await freePort(), https: await freePort(), upstream: upstreamPort };
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, templateConfig(deployedConfig(), ports, dir));
  // stderr into a file: the config logs to /dev/stderr, which cannot be opened on the socket node would give it.
  const stderrFile = path.join(dir, 'stderr.log');
  const stderrFd = openSync(stderrFile, 'w');
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log'), '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')};`],
    {
      stdio: ['ignore', 'ignore', stderrFd],
    },
  );
  closeSync(stderrFd);
  const stderr = () => readFileSync(stderrFile, 'utf8');
  const deadline = Date.now() + 10_000;
  while (!(await accepts(ports.https))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr()}${existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    httpPort: ports.http,
    httpsPort: ports.https,
    ca,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT'); // graceful: lets workers finish
      await once(child, 'exit');
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
