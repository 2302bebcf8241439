/**
 * Issue 15 item 7: playbooks reach outside their folder. Paths in sendFile, sendWithFile, export
 * (and a node's `data`) resolve inside the playbook's folder or the working folder; anything else
 * is refused by `check` and `play` (exit 2) unless `--allow-paths DIR` allows it. `..`, absolute
 * paths and symbolic links that lead out are all caught; a refused export creates nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { guardPaths, PathRule } from '../../src/playbooks/path-rule.ts';
import type { Cluster, NodeHandle } from '../../src/playbooks/cluster.ts';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import { runCli } from '../cli/spawn.ts';

let root: string; // <root>/lab holds the playbooks (and is the working folder); <root>/outside is not theirs
let lab: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'peerlab-paths-'));
  lab = join(root, 'lab');
  outside = join(root, 'outside');
  await mkdir(join(lab, 'files'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(lab, 'files', 'hello.txt'), 'hello\n');
  await writeFile(join(outside, 'secret.txt'), 'not yours\n');
  await writeFile(join(outside, 'victim.txt'), 'keep me\n');
  await symlink(join(outside, 'secret.txt'), join(lab, 'files', 'innocent.txt'));
  await symlink(outside, join(lab, 'exports'));
  await symlink(join(outside, 'created-by-link.csv'), join(lab, 'files', 'dangling.csv'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const HEAD = 'name: t\nnodes:\n  alice: {}\n  bob: {}\nsteps:\n';

async function write(name: string, steps: string, head = HEAD): Promise<string> {
  const file = join(lab, name);
  await writeFile(file, `${head}${steps}`);
  return file;
}

async function errors(file: string, allowPaths: string[] = []): Promise<string[]> {
  const r = await loadPlaybookFile(file, { allowPaths, cwd: lab });
  return r.errors.map((e) => `${e.code} ${e.line}:${e.column} ${e.path}: ${e.message}`);
}

describe('the path rule in the checker', () => {
  it('an absolute path elsewhere is refused, naming the folders a playbook may use and the flag', async () => {
    const f = await write('abs.yaml', `  - sendFile: { from: alice, to: bob, path: ${join(outside, 'secret.txt')} }\n`);
    expect(await errors(f)).toEqual([
      `PATH_OUTSIDE 6:45 steps[0].sendFile.path: ${join(outside, 'secret.txt')} is outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
  });

  it('.. that climbs out is refused; .. that stays inside is fine', async () => {
    const f = await write('up.yaml', '  - export: { node: alice, path: ../outside/victim.txt }\n  - sendFile: { from: alice, to: bob, path: files/../files/hello.txt }\n');
    expect(await errors(f)).toEqual([
      `PATH_OUTSIDE 6:34 steps[0].export.path: ../outside/victim.txt resolves to ${join(outside, 'victim.txt')}, outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
  });

  it('a symbolic link that leads out is refused, for a file and for a folder on the way', async () => {
    const f = await write('links.yaml', '  - sendFile: { from: alice, to: bob, path: files/innocent.txt }\n  - export: { node: alice, path: exports/new/ledger.csv }\n');
    expect(await errors(f)).toEqual([
      `PATH_OUTSIDE 6:45 steps[0].sendFile.path: files/innocent.txt leads through a symbolic link to ${join(outside, 'secret.txt')}, outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
      `PATH_OUTSIDE 7:34 steps[1].export.path: exports/new/ledger.csv leads through a symbolic link to ${join(outside, 'new', 'ledger.csv')}, outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
  });

  it('a dangling link is followed to where writing through it would create a file', async () => {
    const f = await write('dangling.yaml', '  - export: { node: alice, path: files/dangling.csv }\n');
    expect(await errors(f)).toEqual([
      `PATH_OUTSIDE 6:34 steps[0].export.path: files/dangling.csv leads through a symbolic link to ${join(outside, 'created-by-link.csv')}, outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
  });

  it("a node's data directory follows the same rule", async () => {
    const f = await write('data.yaml', '  - heal: {}\n', `name: t\nnodes:\n  alice: { data: ${join(outside, 'alice')} }\n  bob: { data: ./bob }\nsteps:\n`);
    expect(await errors(f)).toEqual([
      `PATH_OUTSIDE 3:18 nodes.alice.data: ${join(outside, 'alice')} is outside the playbook's folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
  });

  it('the working folder is allowed too, and --allow-paths adds folders', async () => {
    const sub = join(lab, 'sub');
    await mkdir(sub, { recursive: true });
    // The playbook lives in lab/sub; lab is the working folder.
    await writeFile(join(sub, 'p.yaml'), `${HEAD}  - sendFile: { from: alice, to: bob, path: ../files/hello.txt }\n  - export: { node: alice, path: ${join(outside, 'x.csv')} }\n`);
    expect(await errors(join(sub, 'p.yaml'))).toEqual([
      `PATH_OUTSIDE 7:34 steps[1].export.path: ${join(outside, 'x.csv')} is outside the playbook's folder (${sub}) and the working folder (${lab}); run with --allow-paths ${outside} to allow it`,
    ]);
    expect(await errors(join(sub, 'p.yaml'), [outside])).toEqual([]);
  });
});

describe('peerlab check and play', () => {
  it('check exits 2 on sendFile of an outside file; --allow-paths lets it pass', async () => {
    await write('steal.yaml', `  - sendFile: { from: alice, to: bob, path: ${join(outside, 'secret.txt')} }\n`);
    const r = await runCli(['check', 'steal.yaml'], { cwd: lab });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`steal.yaml:6:45: steps[0].sendFile.path: ${join(outside, 'secret.txt')} is outside the playbook's folder`);
    const ok = await runCli(['check', 'steal.yaml', '--allow-paths', outside], { cwd: lab });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('play refuses an export out of its folder before starting anything: the victim is untouched, no folder is created', async () => {
    await write('overwrite.yaml', '  - export: { node: alice, path: ../outside/made/up/victim.txt }\n  - export: { node: alice, path: ../outside/victim.txt }\n');
    const r = await runCli(['play', 'overwrite.yaml'], { cwd: lab });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steps[1].export.path: ../outside/victim.txt resolves to');
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('keep me\n');
    expect(existsSync(join(outside, 'made'))).toBe(false);
  });

  it('with --allow-paths, play writes there', async () => {
    await write('allowed.yaml', '  - export: { node: alice, path: ../outside/allowed.csv }\n');
    const r = await runCli(['play', 'allowed.yaml', '--allow-paths', outside], { cwd: lab, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readFile(join(outside, 'allowed.csv'), 'utf8')).split('\n')[0]).toMatch(/^index,id,sender,receiver/);
  });

  it('--allow-paths is an option of both commands, repeatable', async () => {
    const help = await runCli(['play', '--help']);
    expect(help.stdout).toMatch(/--allow-paths <dir>/);
    const check = await runCli(['check', '--help']);
    expect(check.stdout).toMatch(/--allow-paths <dir>/);
    const bad = await runCli(['check', 'steal.yaml', '--allow-paths', join(root, 'nowhere')], { cwd: lab });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([`peerlab check: option '--allow-paths <dir>' argument '${join(root, 'nowhere')}' is invalid. no such folder.`]);
  });
});

describe('at run time the rule holds again (a link swapped after the check)', () => {
  it("a file step whose path has come to lead out is refused before the node's call", async () => {
    const link = join(lab, 'files', 'later.txt');
    await symlink(join(lab, 'files', 'hello.txt'), link);
    const rule = PathRule.forPlaybook(lab, lab, []);
    expect(rule.problem(link, 'files/later.txt')).toBeUndefined();
    await rm(link);
    await symlink(join(outside, 'secret.txt'), link);
    const calls: string[] = [];
    const handle: NodeHandle = {
      name: 'alice', address: '127.0.0.1:1', id: 'x', running: true,
      call: async <T>(method: string, ...args: unknown[]) => {
        calls.push(`${method} ${args.join(' ')}`);
        return undefined as T;
      },
    };
    const cluster: Cluster = {
      start: async () => undefined, get: () => handle, all: () => [handle], crash: async () => undefined, restart: async () => undefined, stop: async () => undefined,
    };
    const guarded = guardPaths(cluster, rule);
    let err: unknown;
    try {
      await guarded.get('alice').call('sendFile', 'bob', link);
    } catch (e) {
      err = e;
    }
    expect(isPeerlabError(err, 'BAD_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('leads through a symbolic link to');
    await guarded.get('alice').call('send', 'bob', '1');
    await guarded.get('alice').call('exportCsv', join(lab, 'out.csv'));
    expect(calls).toEqual(['send bob 1', `exportCsv ${join(lab, 'out.csv')}`]);
  });
});
