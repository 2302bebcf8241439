/**
 * From validated plain data to a typed `Playbook`: settings, nodes (ports, data dirs, faults,
 * seeds) and steps, with the checks a schema cannot make (unknown node names, duplicate ports).
 */
import { isValidHost } from '../runtime/address.ts';
import { DEFAULT_SCALE } from '../runtime/ledger/amount.ts';
import { isPlantName, type PlantName } from '../runtime/plants.ts';
import { isRecord, type CheckContext } from './check-context.ts';
import type { Isolation, Mode, NodeSpec, Playbook, PlaybookSettings } from './playbook.ts';
import type { DocPath } from './source-map.ts';
import { StepReader } from './steps.ts';

const DEFAULT_HOST = '127.0.0.1';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

export function normalise(ctx: CheckContext, raw: unknown, file: string): Playbook | undefined {
  if (!isRecord(raw)) return undefined;
  const settings = readSettings(ctx, isRecord(raw.settings) ? raw.settings : {});
  const mode: Mode = raw.mode === 'simulated' ? 'simulated' : 'real';
  ctx.mode = mode;
  if (mode === 'simulated' && raw.isolation === 'process') {
    ctx.report(['isolation'], 'mode: simulated runs every node in this process on simulated time: it cannot use isolation: process (each node its own OS process, on real time)', 'BAD_VALUE');
  }
  const plant = readPlantKey(ctx, raw.plant, mode);
  // `all` as a node name is reported by the schema; as a reference it keeps meaning every node.
  ctx.nodeNames = isRecord(raw.nodes) ? Object.keys(raw.nodes).filter((n) => n !== 'all') : [];
  const steps = new StepReader(ctx);
  const nodes = readNodes(ctx, isRecord(raw.nodes) ? raw.nodes : {}, steps);
  const list = steps.readAll(raw.steps, ['steps']);
  if (!settings || !nodes || !list || typeof raw.name !== 'string') return undefined;
  return {
    file,
    baseDir: ctx.baseDir,
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    seed: typeof raw.seed === 'number' ? raw.seed : 0,
    isolation: raw.isolation === 'process' ? 'process' : ('in-process' satisfies Isolation),
    mode,
    ...(plant ? { plant } : {}),
    settings,
    nodes,
    steps: list,
  };
}

/** `plant: NAME`: a planted bug, for labs; only in a simulated playbook (the schema checks the name). */
function readPlantKey(ctx: CheckContext, v: unknown, mode: Mode): PlantName | undefined {
  if (v === undefined || !isPlantName(v)) return undefined;
  if (mode !== 'simulated') {
    ctx.report(['plant'], `plant ${v} is a bug planted on purpose, for labs: it needs simulated time (add mode: simulated at the top of the playbook); it can never run on a real network`, 'BAD_VALUE', 'key');
    return undefined;
  }
  return v;
}

function readSettings(ctx: CheckContext, raw: Record<string, unknown>): PlaybookSettings | undefined {
  const heartbeat = isRecord(raw.heartbeat) ? raw.heartbeat : {};
  const network = isRecord(raw.network) ? raw.network : {};
  const files = isRecord(raw.files) ? raw.files : {};
  const hb: DocPath = ['settings', 'heartbeat'];
  const scalePath: DocPath = ['settings', 'network', 'scale'];
  ctx.scale = typeof network.scale === 'number' && !ctx.isBlocked(scalePath) ? network.scale : DEFAULT_SCALE;
  const intervalMs = ctx.duration(heartbeat.interval, [...hb, 'interval'], { positive: true });
  const timeoutMs = ctx.duration(heartbeat.timeout, [...hb, 'timeout'], { positive: true });
  if (intervalMs !== undefined && timeoutMs !== undefined && timeoutMs <= intervalMs) {
    ctx.report([...hb, 'timeout'], `timeout (${String(heartbeat.timeout)}) must be longer than interval (${String(heartbeat.interval)})`, 'BAD_DURATION');
  }
  const initialBalance = ctx.amount(network.initialBalance, ['settings', 'network', 'initialBalance'], { allowZero: true });
  const maxBytes = ctx.bytes(files.maxBytes, ['settings', 'files', 'maxBytes']);
  const sim = isRecord(raw.simulation) ? raw.simulation : {};
  const latencyMs = ctx.duration(sim.latency, ['settings', 'simulation', 'latency']);
  const jitterMs = ctx.duration(sim.jitter, ['settings', 'simulation', 'jitter']);
  const bandwidth = ctx.bytes(sim.bandwidth, ['settings', 'simulation', 'bandwidth']);
  const fsyncMs = ctx.duration(sim.fsync, ['settings', 'simulation', 'fsync']);
  if (bandwidth !== undefined && bandwidth < 1024) ctx.report(['settings', 'simulation', 'bandwidth'], `bandwidth is bytes per second and must be at least 1KiB, got ${String(sim.bandwidth)}`, 'BAD_VALUE');
  return {
    heartbeat: { ...(intervalMs !== undefined ? { intervalMs } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
    network: { ...(initialBalance !== undefined ? { initialBalance } : {}), scale: ctx.scale },
    files: maxBytes !== undefined ? { maxBytes } : {},
    speed: typeof raw.speed === 'number' && raw.speed > 0 ? raw.speed : 1,
    simulation: {
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(jitterMs !== undefined ? { jitterMs } : {}),
      ...(bandwidth !== undefined ? { bandwidth } : {}),
      ...(fsyncMs !== undefined ? { fsyncMs } : {}),
    },
  };
}

function readNodes(ctx: CheckContext, raw: Record<string, unknown>, steps: StepReader): NodeSpec[] | undefined {
  const out: NodeSpec[] = [];
  const ports: { name: string; host: string; port: number }[] = [];
  const dataDirs = new Map<string, string>();
  let ok = true;
  for (const [name, value] of Object.entries(raw)) {
    const p: DocPath = ['nodes', name];
    if (ctx.isBlocked(p)) {
      ok = false;
      continue;
    }
    const spec = isRecord(value) ? value : {};
    const host = typeof spec.host === 'string' ? spec.host : DEFAULT_HOST;
    if (typeof spec.host === 'string' && !isValidHost(spec.host)) {
      ctx.report([...p, 'host'], `host must be an IP address or a host name, got ${JSON.stringify(spec.host)}`);
      ok = false;
    }
    const port = typeof spec.port === 'number' && !ctx.isBlocked([...p, 'port']) ? spec.port : undefined;
    if (port !== undefined) {
      const clash = ports.find((o) => o.port === port && (o.host === host || WILDCARD_HOSTS.has(o.host) || WILDCARD_HOSTS.has(host)));
      if (clash) {
        ctx.report([...p, 'port'], `port ${port} is already used by node '${clash.name}'`, 'DUPLICATE');
        ok = false;
      }
      ports.push({ name, host, port });
    }
    const data = spec.data === undefined ? undefined : ctx.file(spec.data, [...p, 'data']);
    if (data) {
      const other = dataDirs.get(data.resolved);
      if (other !== undefined) {
        ctx.report([...p, 'data'], `data directory ${data.text} is already used by node '${other}'`, 'DUPLICATE');
        ok = false;
      }
      dataDirs.set(data.resolved, name);
    }
    const faults = isRecord(spec.faults) ? steps.faults(spec.faults, [...p, 'faults']) : {};
    if (!faults || (spec.data !== undefined && !data)) {
      ok = false;
      continue;
    }
    out.push({
      name,
      ...(port !== undefined ? { port } : {}),
      host,
      ...(data ? { data } : {}),
      ...(typeof spec.seed === 'number' ? { seed: spec.seed } : {}),
      faults,
      pos: ctx.locate(p, 'key'),
    });
  }
  return ok ? out : undefined;
}
