// Two network namespaces joined by a veth pair, for tests that need real packet loss (netem is not
// available here: loss comes from an nftables `numgen random` drop rule). Everything is named
// kerno-test-<pid>-* and removed by name in teardown().
import { execFileSync } from 'node:child_process';

export interface NetnsPair {
  a: string;
  b: string;
  addrA: string;
  addrB: string;
  teardown(): void;
}

function run(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createNetnsPair(tag: string, lossPct: number): NetnsPair {
  const id = `${process.pid}-${tag}`;
  const a = `kerno-test-${id}-a`;
  const b = `kerno-test-${id}-b`;
  // veth names are limited to 15 characters
  const va = `kt${process.pid % 100000}${tag.slice(0, 2)}a`;
  const vb = `kt${process.pid % 100000}${tag.slice(0, 2)}b`;
  const pair: NetnsPair = {
    a,
    b,
    addrA: '10.231.0.1',
    addrB: '10.231.0.2',
    teardown() {
      for (const ns of [a, b]) {
        try {
          run(['ip', 'netns', 'del', ns]);
        } catch {
          /* already gone */
        }
      }
    },
  };
  try {
    run(['ip', 'netns', 'add', a]);
    run(['ip', 'netns', 'add', b]);
    run(['ip', 'link', 'add', va, 'netns', a, 'type', 'veth', 'peer', 'name', vb, 'netns', b]);
    run(['ip', '-n', a, 'addr', 'add', `${pair.addrA}/24`, 'dev', va]);
    run(['ip', '-n', b, 'addr', 'add', `${pair.addrB}/24`, 'dev', vb]);
    for (const [ns, dev] of [
      [a, va],
      [b, vb],
    ] as const) {
      run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    if (lossPct > 0) {
      const rules = `table inet kerno_test { chain in { type filter hook input priority 0; numgen random mod 100 < ${lossPct} drop; }; }`;
      execFileSync('ip', ['netns', 'exec', b, 'nft', '-f', '-'], {
        input: rules,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    }
    // A test the runner cancels (its promise never settled) skips its finally: remove the namespaces when
    // the test process exits anyway. teardown() is idempotent and synchronous, as 'exit' handlers must be.
    process.once('exit', () => pair.teardown());
    return pair;
  } catch (err) {
    pair.teardown();
    throw err;
  }
}
