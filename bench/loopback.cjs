// Preloaded into Portkey's gateway (`node --require`): its server listens on every interface by
// default; this makes any listen() without a host bind 127.0.0.1 only.
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') args.splice(1, 0, '127.0.0.1');
  else if (args[0] && typeof args[0] === 'object' && args[0].host === undefined && args[0].port !== undefined) args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};
