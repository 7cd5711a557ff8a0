'use strict';
// Lambda-style cold start of the Node.js peer: a fresh process requires the SDK, builds the
// skill (same handlers and SQLite adapter as server.js) and answers one event from stdin.
// `make bench-peers` times this process from spawn to its answer.
const { buildSkill } = require('./server.js');

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const response = await buildSkill().invoke(JSON.parse(input));
  process.stdout.write(JSON.stringify(response));
});
