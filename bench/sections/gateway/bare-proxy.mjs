// The peer of the gateway benchmark: the least a Node proxy can do (node:http
// server, JSON.parse of the body, one undici keep-alive pool upstream). A
// completion is buffered and written back; a stream (`"stream": true`) is
// relayed chunk by chunk as it arrives, with backpressure.
// Usage: node bare-proxy.mjs <upstream origin> [<streaming upstream origin>]
import { createServer } from 'node:http';
import { Pool } from 'undici';

const options = { connections: 256, pipelining: 1 };
const pool = new Pool(process.argv[2], options);
const streamPool = process.argv[3] ? new Pool(process.argv[3], options) : pool;
const upstreamHeaders = { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' };

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const stream = JSON.parse(body.toString()).stream === true;
    (stream ? streamPool : pool)
      .request({ path: req.url, method: 'POST', headers: upstreamHeaders, body })
      .then(async (r) => {
        if (!stream) {
          const out = Buffer.from(await r.body.arrayBuffer());
          res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': out.length });
          res.end(out);
          return;
        }
        res.writeHead(r.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        r.body.on('data', (chunk) => {
          if (!res.write(chunk)) {
            r.body.pause();
            res.once('drain', () => r.body.resume());
          }
        });
        r.body.on('end', () => res.end());
        r.body.on('error', () => res.destroy());
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
});
server.listen(0, '127.0.0.1', () =>
  console.log(`bare proxy listening on http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => process.exit(0));
