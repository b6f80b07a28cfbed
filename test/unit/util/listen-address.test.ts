import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HTTP_LISTEN,
  listenAddressProblem,
  NETCONSOLE_LISTEN,
  parseListenAddress,
} from '../../../src/util/listen-address.js';

test('the config check and the parser agree: a problem is exactly a parse failure', () => {
  const inputs = [
    '127.0.0.1:9733',
    ':9733',
    '[::1]:0',
    'localhost:1',
    '9733',
    'h:1',
    '[1.2.3.4]:80',
    ':70000',
  ];
  for (const syntax of [HTTP_LISTEN, NETCONSOLE_LISTEN]) {
    for (const raw of inputs) {
      const text = syntax.scheme === undefined ? raw : `${syntax.scheme}://${raw}`;
      const problem = listenAddressProblem(text, syntax);
      if (problem === null) assert.doesNotThrow(() => parseListenAddress(text, syntax), text);
      else assert.throws(() => parseListenAddress(text, syntax), { problem }, text);
    }
  }
});

test('netconsole syntax: udp:// required, port defaults to 6666, brackets only for IPv6', () => {
  assert.deepEqual(parseListenAddress('udp://10.0.0.1', NETCONSOLE_LISTEN), { host: '10.0.0.1', port: 6666 });
  assert.deepEqual(parseListenAddress('udp://:7000', NETCONSOLE_LISTEN), { host: undefined, port: 7000 });
  assert.equal(
    listenAddressProblem('0.0.0.0:6666', NETCONSOLE_LISTEN),
    'expected udp://host:port, e.g. "udp://0.0.0.0:6666"',
  );
  assert.equal(
    listenAddressProblem('udp://[1.2.3.4]:1', NETCONSOLE_LISTEN),
    'brackets are for IPv6 addresses',
  );
  assert.equal(listenAddressProblem('127.0.0.1', HTTP_LISTEN), 'expected host:port, e.g. "127.0.0.1:9733"');
});
