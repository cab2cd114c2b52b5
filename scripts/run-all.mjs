// `npm start`: runs the api, the worker and the web application side by side in the foreground. Ctrl-C (or
// SIGTERM) stops them all gracefully; if one of them exits, the others are stopped too and the exit status is
// passed on.
import { spawn } from 'node:child_process';

const processes = [
  ['api', 'dist/apps/api/src/main.js'],
  ['worker', 'dist/apps/worker/src/main.js'],
  ['web', 'dist/apps/web/src/main.js'],
].map(([name, entry]) => ({ name, child: spawn(process.execPath, [entry], { stdio: 'inherit' }) }));

let exitCode;
let stopping = false;
for (const { name, child } of processes) {
  child.on('exit', (code, signal) => {
    if (exitCode === undefined) {
      exitCode = stopping ? 0 : (code ?? 1);
      if (!stopping) console.error(`${name} exited (${signal ?? code}); stopping the others`);
      stopAll('SIGTERM');
    }
    if (processes.every((p) => p.child.exitCode !== null || p.child.signalCode !== null))
      process.exit(exitCode);
  });
}

function stopAll(signal) {
  stopping = true;
  for (const { child } of processes)
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll('SIGTERM'));
