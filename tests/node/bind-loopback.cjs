// Preloaded (`node --require`) into npm test servers that take only a port: server-everything calls
// `app.listen(PORT)`, which binds every interface. This makes a port-only listen bind 127.0.0.1, so a test server
// is never reachable from outside the machine.
"use strict";
const net = require("node:net");

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
    const first = args[0];
    const portOnly = typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first));
    if (portOnly && typeof args[1] !== "string") {
        args.splice(1, 0, "127.0.0.1");
    }
    return originalListen.apply(this, args);
};
