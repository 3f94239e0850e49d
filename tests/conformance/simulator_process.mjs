// Starts `genesys-bulk simulate` as a child process and stops it again.
//
// startSimulator(binary, args) resolves once the simulator has printed its
// one JSON line ({"port": P, "jobs": [...]}) and returns
// { port, jobs, stop() }; it rejects if the process exits or prints nothing
// usable within the start-up limit. stop() sends SIGTERM (SIGKILL after a
// grace period) and resolves with the exit code or signal. The child is also
// killed if this Node process exits first, so a failing test never leaves a
// simulator behind.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const kStartLimitMs = 30_000;
const kStopGraceMs = 10_000;
const kMaxLineBytes = 1 << 20;

export function startSimulator(binary, args) {
  const child = spawn(binary, ['simulate', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    });
  });

  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator printed no JSON line within ${kStartLimitMs} ms`));
    }, kStartLimitMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${binary}: ${error.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited before it was ready (code ${code}, signal ${signal})`));
    });
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      // Keep draining stdout so the simulator never blocks on a full pipe.
      lines.on('line', () => {});
      try {
        if (line.length > kMaxLineBytes) throw new Error('start line too long');
        const info = JSON.parse(line);
        if (!Number.isInteger(info.port) || info.port <= 0 || info.port > 65535) throw new Error('no valid port');
        if (!Array.isArray(info.jobs)) throw new Error('no jobs array');
        resolve(info);
      } catch (error) {
        child.kill('SIGKILL');
        reject(new Error(`bad start line from simulator (${error.message}): ${line.slice(0, 200)}`));
      }
    });
  });

  return started.then((info) => ({
    port: info.port,
    jobs: info.jobs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), kStopGraceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  }));
}
