// The kubeconfig as kubectl reads it: which file, which context, relative paths from the file's directory,
// inline data over files, and one-line errors for what kubectl-kerno cannot use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeconfigError, kubeconfigPath, loadKubeconfig } from '../../../src/kubectl/kubeconfig.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-kubeconfig-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CONFIG = `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: pki/ca.crt
- name: c2
  cluster:
    server: https://api.example:443
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes
contexts:
- name: a
  context: {cluster: c1, user: cert, namespace: shop}
- name: b
  context: {cluster: c2, user: tok}
- name: ex
  context: {cluster: c2, user: exec}
users:
- name: cert
  user:
    client-certificate-data: ${Buffer.from('CERT').toString('base64')}
    client-key: pki/user.key
- name: tok
  user:
    tokenFile: token
- name: exec
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: kerno-test-no-such-plugin}
`;

test('which file: --kubeconfig, else the first of $KUBECONFIG, else ~/.kube/config', () => {
  assert.equal(kubeconfigPath({ path: '/x', env: { KUBECONFIG: '/a:/b' } }), '/x');
  assert.equal(kubeconfigPath({ env: { KUBECONFIG: '/a:/b' } }), '/a');
  assert.equal(kubeconfigPath({ env: { KUBECONFIG: '', HOME: '/home/u' } }), '/home/u/.kube/config');
});

test('current-context with a CA file and a client key relative to the kubeconfig, inline cert data', () => {
  withDir((dir) => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'pki', 'user.key'), 'KEY');
    writeFileSync(join(dir, 'config'), CONFIG);
    const a = loadKubeconfig({ env: { KUBECONFIG: join(dir, 'config') } });
    assert.equal(a.context, 'a');
    assert.equal(a.server, 'https://10.0.0.1:6443');
    assert.equal(a.ca?.toString(), 'CA');
    assert.equal(a.cert?.toString(), 'CERT');
    assert.equal(a.key?.toString(), 'KEY');
    assert.equal(a.insecureSkipTlsVerify, false);
    assert.equal(a.namespace, 'shop');
    assert.equal(a.token, undefined);
  });
});

test('--context: a token file, insecure-skip-tls-verify and tls-server-name', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'token'), 'abc123\n');
    writeFileSync(join(dir, 'config'), CONFIG);
    const b = loadKubeconfig({ path: join(dir, 'config'), context: 'b', env: {} });
    assert.equal(b.token, 'abc123');
    assert.equal(b.insecureSkipTlsVerify, true);
    assert.equal(b.tlsServerName, 'kubernetes');
    assert.equal(b.ca, undefined);
  });
});

test('what cannot be used is one line naming the file and what is wrong', () => {
  withDir((dir) => {
    const file = join(dir, 'config');
    writeFileSync(file, CONFIG);
    const fails = (over: { context?: string; text?: string }, re: RegExp): void => {
      if (over.text !== undefined) writeFileSync(file, over.text);
      assert.throws(
        () => loadKubeconfig({ path: file, context: over.context, env: {} }),
        (err: Error) => err instanceof KubeconfigError && !err.message.includes('\n') && re.test(err.message),
      );
    };
    fails(
      { context: 'ex' },
      /user "exec": exec credential plugin kerno-test-no-such-plugin: not found on PATH$/,
    );
    fails({ context: 'zz' }, /no context named "zz" in contexts$/);
    fails({}, /cluster "c1": certificate-authority .*pki\/ca\.crt: cannot read: ENOENT$/);
    fails({ text: 'clusters: [' }, /not YAML: /);
    fails({ text: '- a\n- b\n' }, /not a kubeconfig \(expected a mapping\)$/);
    fails({ text: 'kind: Config\n' }, /no current-context \(pass --context\)$/);
    fails(
      { text: CONFIG.replace('https://10.0.0.1:6443/', 'ftp://x') },
      /cluster "c1": server "ftp:\/\/x" is not an http\(s\) URL$/,
    );
  });
});

test('an exec credential plugin runs with its args and env and KUBERNETES_EXEC_INFO; its token is used', () => {
  withDir((dir) => {
    const plugin = join(dir, 'plugin.sh');
    // Echoes what it was given into the token, so the test sees the arguments, env and exec info arrive.
    writeFileSync(
      plugin,
      `#!/bin/sh\ninfo=$(printf '%s' "$KUBERNETES_EXEC_INFO" | tr -d '"{}:, ')\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s-%s"}}' "$1" "$KERNO_TEST_REGION" "$info"\n`,
      { mode: 0o755 },
    );
    const fail = join(dir, 'fail.sh');
    writeFileSync(fail, '#!/bin/sh\necho "starting" >&2\necho "error: you must be logged in" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const empty = join(dir, 'empty.sh');
    writeFileSync(empty, '#!/bin/sh\necho \'{"kind":"ExecCredential","status":{}}\'\n', { mode: 0o755 });
    const config = (command: string, extra = ''): string =>
      CONFIG.replace(
        'exec: {apiVersion: client.authentication.k8s.io/v1, command: kerno-test-no-such-plugin}',
        `exec: {apiVersion: client.authentication.k8s.io/v1, command: ${command}, args: [get-token], env: [{name: KERNO_TEST_REGION, value: eu-1}]${extra}}`,
      );
    const file = join(dir, 'config');
    writeFileSync(file, config(plugin));
    const a = loadKubeconfig({ path: file, context: 'ex', env: { PATH: process.env.PATH } });
    assert.equal(
      a.token,
      'get-token-eu-1-apiVersionclient.authentication.k8s.io/v1kindExecCredentialspecinteractivefalse',
    );
    for (const [cmd, re] of [
      [fail, /exec credential plugin \S+fail\.sh: exited 1: error: you must be logged in$/],
      [empty, /the ExecCredential has neither a token nor a client certificate and key$/],
    ] as const) {
      writeFileSync(file, config(cmd));
      assert.throws(
        () => loadKubeconfig({ path: file, context: 'ex', env: { PATH: process.env.PATH } }),
        (err: Error) => err instanceof KubeconfigError && re.test(err.message) && !err.message.includes('\n'),
      );
    }
    writeFileSync(
      file,
      CONFIG.replace(
        'exec: {apiVersion: client.authentication.k8s.io/v1, command: kerno-test-no-such-plugin}',
        'auth-provider: {name: gcp}',
      ),
    );
    assert.throws(
      () => loadKubeconfig({ path: file, context: 'ex', env: {} }),
      /auth-provider is not supported \(kubectl dropped it in 1\.26\)/,
    );
  });
});
