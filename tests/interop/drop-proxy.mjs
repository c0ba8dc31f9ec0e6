// SPDX-License-Identifier: LGPL-2.1-or-later
// A fault-injecting TCP proxy: forwards 127.0.0.1:LISTEN to TARGET and
// cuts every connection after --drop-every-ms without a WebSocket close
// (both sockets destroyed: the peers see an abnormal 1006 drop).
//
//   node drop-proxy.mjs --target 127.0.0.1:9000 [--listen 0] [--drop-every-ms 2000]
// Prints "LISTENING <port>"; on SIGTERM prints "DROPS <n>" and exits.
import net from 'node:net';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const [host, port] = opt('target', '127.0.0.1:9000').split(':');
const dropEvery = Number(opt('drop-every-ms', '0'));
let drops = 0;

const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), host);
  client.pipe(upstream);
  upstream.pipe(client);
  const kill = () => { client.destroy(); upstream.destroy(); };
  client.on('error', kill);
  upstream.on('error', kill);
  client.on('close', kill);
  upstream.on('close', kill);
  if (dropEvery > 0) {
    const t = setTimeout(() => { drops++; kill(); }, dropEvery);
    client.on('close', () => clearTimeout(t));
  }
});
server.listen(Number(opt('listen', '0')), '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});
const stop = () => { console.log(`DROPS ${drops}`); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
