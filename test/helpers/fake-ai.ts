// A local stand-in for an AI provider (there is no network here, and a test must never reach a real one):
// an HTTP server on 127.0.0.1 that records every request exactly as received and answers with what the
// test queued. It also counts TCP connections, so "nothing was sent" is checked at the socket level.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  /** Object → JSON; string → sent as is. */
  body: unknown;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
}

export interface FakeProvider {
  url: string;
  requests: Recorded[];
  /** TCP connections accepted, whether or not a request followed. */
  connections(): number;
  /** The next replies, in order; when empty, `fallback` answers. */
  queue(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startFakeProvider(
  fallback: Reply = { status: 500, body: 'no reply queued' },
): Promise<FakeProvider> {
  const requests: Recorded[] = [];
  const replies: Reply[] = [];
  let connections = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = replies.shift() ?? fallback;
      const send = (): void => {
        timers.delete(timer);
        if (res.destroyed) return;
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(text);
      };
      const timer = setTimeout(send, reply.delayMs ?? 0);
      timers.add(timer);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    queue: (...r) => void replies.push(...r),
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What each provider's API returns around the model's text. */
export function providerBody(provider: 'anthropic' | 'openai' | 'ollama', text: string): object {
  switch (provider) {
    case 'anthropic':
      return {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
      };
    case 'openai':
      return {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      };
    case 'ollama':
      return { model: 'llama3.1', message: { role: 'assistant', content: text }, done: true };
  }
}
