// The peer of the gateway benchmark: the least a Node proxy can do (node:http
// server, JSON.parse of the body, one undici keep-alive pool upstream, body
// buffered and written back). Usage: node bare-proxy.mjs <upstream origin>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2], { connections: 256, pipelining: 1 });
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    JSON.parse(body.toString());
    pool
      .request({
        path: req.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
        body,
      })
      .then(async (r) => {
        const out = Buffer.from(await r.body.arrayBuffer());
        res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': out.length });
        res.end(out);
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
