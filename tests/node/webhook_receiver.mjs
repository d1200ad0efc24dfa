// A relying party's webhook endpoint for vtpmd's tests. It checks every delivery
// with the `standardwebhooks` package, an implementation that shares no code with
// vtpmd's signer, records what arrived, and answers as scripted.
//   node webhook_receiver.mjs [--tls-cert PEM --tls-key PEM]
// Prints {"port": N} once listening on 127.0.0.1. Control (plain JSON over the same port):
//   POST /control/secrets {"path", "secrets": ["whsec_..."]}  accept any of these on path
//   POST /control/script  {"path", "answers": [500, "hang", ...]}  the next answers on path
//   GET  /control/log     every delivery: {path, id, timestamp, type, verified, answered}
// A delivery whose signature does not verify is answered 400, as a real receiver would.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

const secrets = new Map();  // path -> [secret]
const scripts = new Map();  // path -> [answer]
const log = [];

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body ?? {}));
}

function verify(path, body, headers) {
  for (const secret of secrets.get(path) ?? []) {
    try {
      return new Webhook(secret).verify(body, headers);
    } catch {
      // try the next secret
    }
  }
  return null;
}

async function handle(request, response) {
  const body = await readBody(request);
  const path = request.url;
  if (path === '/control/secrets' && request.method === 'POST') {
    const { path: target, secrets: list } = JSON.parse(body);
    secrets.set(target, list);
    return answer(response, 204);
  }
  if (path === '/control/script' && request.method === 'POST') {
    const { path: target, answers } = JSON.parse(body);
    scripts.set(target, [...answers]);
    return answer(response, 204);
  }
  if (path === '/control/log' && request.method === 'GET') return answer(response, 200, log);

  const payload = verify(path, body, request.headers);
  const scripted = scripts.get(path)?.shift();
  const answered = payload === null ? 400 : (scripted ?? 200);
  log.push({
    path,
    id: request.headers['webhook-id'] ?? '',
    timestamp: request.headers['webhook-timestamp'] ?? '',
    type: payload?.type ?? '',
    verified: payload !== null,
    answered,
  });
  if (answered === 'hang') return;  // never answer: the sender's timeout must end it
  return answer(response, answered);
}

const tlsCert = option('--tls-cert');
const handler = (request, response) => {
  handle(request, response).catch((error) => answer(response, 500, { error: String(error) }));
};
const server = tlsCert
  ? createHttpsServer({ cert: readFileSync(tlsCert), key: readFileSync(option('--tls-key')) }, handler)
  : createHttpServer(handler);
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
