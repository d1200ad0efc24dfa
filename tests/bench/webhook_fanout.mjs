// Webhook fan-out benchmark driver (issue 6): SUBSCRIBERS relying parties, each its
// own HTTPS endpoint (origin) on loopback, subscribe to policy.deleted; one event
// then fans out to all of them. Measures, per event: the time until every
// subscriber has it, deliveries per second, and event-to-delivery latency (from
// just before the API call that makes the event to the arrival at the receiver).
// Then BURST events at once, and the Keylime-style reference notifier
// (keylime_style_notifier.py) sending one notification to the same receivers.
// The receivers are RECEIVERS (vtpmd_webhook_receivers, C++, one thread), so that
// they take little of the CPU vtpmd runs on; it reports every arrival on stdout.
//   node webhook_fanout.mjs API_URL ADMIN_TOKEN CERT KEY RECEIVERS SUBSCRIBERS EVENTS BURST
// NODE_EXTRA_CA_CERTS must name vtpmd's root (for API_URL) and CERT (for the reference).
// Prints one JSON object.
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const [api, admin, certFile, keyFile, receiversBinary, subscribersText, eventsText, burstText] =
  process.argv.slice(2);
const subscribers = Number(subscribersText);
const events = Number(eventsText);
const burst = Number(burstText);
// Every time here is CLOCK_MONOTONIC in milliseconds, the clock the receivers and the
// reference notifier report in too (libuv's hrtime, clock_gettime and Python's
// time.monotonic all read it on Linux), so their times subtract from ours.
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// webhook-id (or "reference") -> arrival times
const arrivals = new Map();
const receivers = spawn(receiversBinary, [certFile, keyFile, String(subscribers)],
                        { stdio: ['pipe', 'pipe', 'inherit'] });
const receiversExited = new Promise((resolve) => receivers.on('exit', resolve));
let receiversEnding = false;
receivers.on('exit', (code, signal) => {
  if (receiversEnding) return;
  // Waiting for arrivals would never end.
  process.stderr.write(`${receiversBinary} exited (${code ?? signal}) before the run was over\n`);
  process.exit(1);
});
// Its first line: the ports, in order. Each later line: "<webhook-id> <monotonic ns>".
const ports = await new Promise((resolve, reject) => {
  let pending = '';
  let portsLine = null;
  receivers.stdout.setEncoding('utf8');
  receivers.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (portsLine === null) {
        portsLine = line;
        resolve(JSON.parse(line));
        continue;
      }
      const space = line.lastIndexOf(' ');
      const id = line.slice(0, space);
      if (!arrivals.has(id)) arrivals.set(id, []);
      arrivals.get(id).push(Number(line.slice(space + 1)) / 1e6);
    }
  });
  receivers.on('error', reject);
});
if (ports.length !== subscribers) throw new Error(`${receiversBinary} listens on ${ports.length} ports`);

async function call(method, path, token, body) {
  const response = await fetch(api + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function inParallel(count, width, job) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await job(next++);
  }));
}

// Each relying party is its own subscriber, with its own token.
await inParallel(subscribers, 16, async (i) => {
  const subscriber = (await call('POST', '/v1/tokens', admin, { role: 'subscriber' })).token;
  await call('POST', '/v1/subscriptions', subscriber, {
    url: `https://127.0.0.1:${ports[i]}/hook`, event_types: ['policy.deleted'] });
});
const policy = (name) => ({ name, guest: { pcrs: { sha256: { 0: ['0'.repeat(64)] } } } });
const total = events + burst;
await inParallel(total, 8, (i) => call('POST', '/v1/policies', admin, policy(`fanout-${i}`)));

async function eventId(name) {
  const page = await call('GET', `/v1/events?subject=policies/${name}`, admin);
  return page.events.at(-1).id;
}

async function allArrived(ids, expected) {
  for (;;) {
    if (ids.every((id) => (arrivals.get(id)?.length ?? 0) >= expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const rounds = [];
for (let i = 0; i < events; ++i) {
  const started = nowMs();
  await call('DELETE', `/v1/policies/fanout-${i}`, admin);
  const recorded = nowMs();
  const id = await eventId(`fanout-${i}`);
  await allArrived([id], subscribers);
  const latencies = arrivals.get(id).map((at) => at - started).sort((a, b) => a - b);
  rounds.push({ all_ms: latencies.at(-1), p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99),
                api_ms: recorded - started, first_ms: latencies[0], latencies });
}

// Burst: BURST events recorded at once, every subscriber gets each (in order).
const burstStarted = nowMs();
const names = Array.from({ length: burst }, (_, j) => `fanout-${events + j}`);
await Promise.all(names.map((name) => call('DELETE', `/v1/policies/${name}`, admin)));
const burstIds = await Promise.all(names.map(eventId));
await allArrived(burstIds, subscribers);
const burstLatencies = burstIds.flatMap((id) => arrivals.get(id).map((at) => at - burstStarted)).sort((a, b) => a - b);

// The reference: the same notification to the same receivers, Keylime's way.
const bodyFile = join(tmpdir(), `fanout-body-${process.pid}.json`);
writeFileSync(bodyFile, JSON.stringify({ type: 'policy.deleted', timestamp: new Date().toISOString(), data: {} }));
const notifier = spawn('python3', [join(dirname(fileURLToPath(import.meta.url)), 'keylime_style_notifier.py'),
                                   certFile, bodyFile], { stdio: ['pipe', 'pipe', 'inherit'] });
notifier.stdin.end(ports.map((port) => `https://127.0.0.1:${port}/hook`).join('\n') + '\n');
let output = '';
notifier.stdout.on('data', (chunk) => { output += chunk; });
await new Promise((resolve) => notifier.on('close', resolve));
const reference = JSON.parse(output);
// Its last arrivals can still be in the receivers' batch, which goes out within ~1 ms.
await allArrived(['reference'], subscribers - reference.failed);
const referenceLatencies = (arrivals.get('reference') ?? []).map((at) => at - reference.started_ms)
  .sort((a, b) => a - b);

const warm = rounds.slice(1);
const warmLatencies = warm.flatMap((round) => round.latencies).sort((a, b) => a - b);
const summary = (round) => ({ all_ms: round.all_ms, p50_ms: round.p50_ms, p99_ms: round.p99_ms,
                              api_ms: round.api_ms, first_ms: round.first_ms,
                              deliveries_per_s: subscribers / (round.all_ms / 1000) });
process.stdout.write(JSON.stringify({
  subscribers,
  cold: summary(rounds[0]),
  warm: warm.map(summary),
  warm_latency: { p50_ms: percentile(warmLatencies, 50), p99_ms: percentile(warmLatencies, 99) },
  burst: { events: burst, deliveries: burst * subscribers, all_ms: burstLatencies.at(-1),
           deliveries_per_s: (burst * subscribers) / (burstLatencies.at(-1) / 1000),
           p50_ms: percentile(burstLatencies, 50), p99_ms: percentile(burstLatencies, 99) },
  reference: { delivered: referenceLatencies.length, failed: reference.failed,
               all_ms: reference.finished_ms - reference.started_ms,
               deliveries_per_s: referenceLatencies.length / ((reference.finished_ms - reference.started_ms) / 1000),
               p50_ms: percentile(referenceLatencies, 50), p99_ms: percentile(referenceLatencies, 99) },
}) + '\n');
receiversEnding = true;
receivers.stdin.end();  // the receivers' signal to exit
await receiversExited;
process.exit(0);
