#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// smtp-peer.js: the conforming third-party test peer, nodemailer's smtp-server, which
// implements RFC 8689 REQUIRETLS. Listens on 127.0.0.1 only, records what it received as
// JSON lines, and stops by itself (lifetime, or stdin closed).
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { SMTPServer } = require('smtp-server');

function usage(msg) {
    process.stderr.write(`smtp-peer: ${msg}\n`);
    process.exit(64);
}

const opt = { port: 0, lifetime: 60, rejectRcpt: {}, starttls: false };
for (const arg of process.argv.slice(2)) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) usage(`bad argument ${arg}`);
    const [, k, v] = m;
    switch (k) {
        case 'cert': opt.cert = fs.readFileSync(v); break;
        case 'key': opt.key = fs.readFileSync(v); break;
        case 'port': opt.port = Number(v); break;
        case 'starttls': opt.starttls = true; break;
        case 'hide-requiretls': opt.hideRequireTLS = true; break;
        case 'hide-dsn': opt.hideDSN = true; break;
        case 'hide-pipelining': opt.hidePipelining = true; break;
        case 'auth-user': opt.authUser = v; break;
        case 'auth-pass-file': opt.authPass = fs.readFileSync(v, 'utf8').replace(/\n$/, ''); break;
        case 'record': opt.record = v; break;
        case 'lifetime': opt.lifetime = Number(v); break;
        case 'reject-rcpt': { const [a, c] = v.split('='); opt.rejectRcpt[a.toLowerCase()] = Number(c); break; }
        case 'reject-mail': opt.rejectMail = Number(v); break;
        case 'size': opt.size = Number(v); break;
        default: usage(`unknown option --${k}`);
    }
}
if (!opt.cert || !opt.key) usage('--cert and --key are required');

function record(obj) {
    if (opt.record) fs.appendFileSync(opt.record, JSON.stringify(obj) + '\n');
}

function smtpError(code, text) {
    const err = new Error(text);
    err.responseCode = code;
    return err;
}

const server = new SMTPServer({
    secure: !opt.starttls,
    key: opt.key,
    cert: opt.cert,
    name: 'peer.localhost',
    banner: 'smtp-server test peer',
    hideREQUIRETLS: !!opt.hideRequireTLS,
    hideDSN: !!opt.hideDSN,
    hideENHANCEDSTATUSCODES: false,
    hidePIPELINING: !!opt.hidePipelining,
    hideSTARTTLS: !opt.starttls,
    size: opt.size || 0,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !opt.authUser,
    allowInsecureAuth: false,
    disabledCommands: opt.authUser ? [] : ['AUTH'],
    logger: false,
    // Every client is 127.0.0.1: a reverse DNS lookup per connection only costs time
    // (about 140 ms each on a machine without a local resolver cache).
    disableReverseLookup: true,
    onAuth(auth, session, cb) {
        // The password is compared, never recorded.
        const ok = auth.username === opt.authUser && auth.password === opt.authPass;
        record({ event: 'auth', method: auth.method, user: auth.username, ok });
        if (!ok) return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
        cb(null, { user: auth.username });
    },
    onMailFrom(address, session, cb) {
        record({
            event: 'mail', address: address.address, args: address.args || {},
            requireTLS: !!session.envelope.requireTLS, secure: !!session.secure,
            tlsVersion: session.tlsOptions ? session.tlsOptions.version : null,
            dsn: session.envelope.dsn || null,
        });
        if (opt.rejectMail) return cb(smtpError(opt.rejectMail, `${opt.rejectMail === 451 ? '4.3.0' : '5.7.1'} sender refused by test`));
        cb();
    },
    onRcptTo(address, session, cb) {
        record({ event: 'rcpt', address: address.address, args: address.args || {}, dsn: address.dsn || null });
        const code = opt.rejectRcpt[address.address.toLowerCase()];
        if (code) {
            const ext = code === 550 && /requiretls/i.test(address.address) ? '5.7.30 REQUIRETLS not supported by the next hop' : `${Math.floor(code / 100)}.1.1 recipient refused by test`;
            return cb(smtpError(code, ext));
        }
        cb();
    },
    onData(stream, session, cb) {
        const hash = crypto.createHash('sha256');
        let size = 0;
        let head = Buffer.alloc(0);
        let headDone = false;
        stream.on('data', (chunk) => {
            hash.update(chunk);
            size += chunk.length;
            if (!headDone) {
                head = Buffer.concat([head, chunk]);
                const i = head.indexOf('\r\n\r\n');
                if (i >= 0) { head = head.subarray(0, i + 2); headDone = true; }
                else if (head.length > 1 << 20) headDone = true;
            }
        });
        stream.on('end', () => {
            const env = session.envelope;
            record({
                event: 'message', mailFrom: env.mailFrom.address, mailArgs: env.mailFrom.args || {},
                requireTLS: !!env.requireTLS, dsn: env.dsn || null,
                rcpts: env.rcptTo.map((r) => r.address), size, sha256: hash.digest('hex'),
                headers: head.toString('utf8'), secure: !!session.secure,
            });
            if (stream.sizeExceeded) return cb(smtpError(552, '5.3.4 message too big'));
            cb(null, '2.0.0 queued');
        });
    },
    onClose() {
        record({ event: 'close' });
    },
});

server.on('error', (err) => process.stderr.write(`smtp-peer: ${err.message}\n`));
server.listen(opt.port, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
setTimeout(() => process.exit(0), opt.lifetime * 1000).unref();
setTimeout(stop, opt.lifetime * 1000);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
