/* global Buffer, console, setInterval, clearInterval */
// A hostile HTTP server for `kerno doctor --from` checks (scripts/verify.sh phase hostile). Loopback only.
// Prints its port on stdout, then serves until killed. Routes:
//   /huge/findings      a 2 GiB chunked body (the client must stop at its 16 MiB cap)
//   /drip/findings      200, then one byte every 0.5 s (the client's one deadline must end it)
//   /bad/findings       a report with the current schemaVersion (2) but nothing else valid
//   /ansi/findings      HTTP 500 with escapes, newlines and 100 KB of text
//   /loop/findings      a redirect to itself
import { createServer } from 'node:http';

const bad = '{"schemaVersion":2,"findings":[{}],"summary":{},"coverage":[{}]}';
const server = createServer((req, res) => {
  switch (req.url) {
    case '/huge/findings': {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      let sent = 0;
      const pump = () => {
        while (!res.destroyed && sent < 2048) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      return pump();
    }
    case '/drip/findings': {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 500);
      return;
    }
    case '/bad/findings':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(bad);
    case '/ansi/findings':
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return res.end(`\x1b[2J\x1b]0;owned\x07first\nsecond\r\x1b[31m${'A'.repeat(100_000)}`);
    case '/loop/findings':
      res.writeHead(302, { Location: '/loop/findings' });
      return res.end();
    default:
      res.writeHead(404);
      return res.end();
  }
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
