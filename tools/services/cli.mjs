#!/usr/bin/env node
// npm run services:start | services:stop | services:status
//   start   start Mosquitto and the database unless already running (installs/builds what is missing)
//   stop    stop them
//   status  print each service; exit code 0 when all are up, 3 otherwise
import { servicesStatus, startServices, stopServices } from './index.mjs';

const USAGE = 'Usage: node tools/services/cli.mjs start|stop|status';

function formatStatus({ services }) {
  const rows = services.map((s) => [
    s.name,
    s.state,
    s.pid ? `pid ${s.pid}` : '-',
    `port ${s.port}${s.tlsPort ? ` (tls ${s.tlsPort})` : ''}`,
    [s.engine, s.detail].filter((x, i, a) => x && a.indexOf(x) === i).join(': '),
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(command) {
  switch (command) {
    case 'start':
      await startServices();
      return 0;
    case 'stop':
      await stopServices();
      return 0;
    case 'status': {
      const status = await servicesStatus();
      console.log(formatStatus(status));
      return status.allUp ? 0 : 3;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.name === 'ServiceError' ? `Error: ${err.message}` : err);
    process.exit(err.exitCode ?? 1);
  },
);
