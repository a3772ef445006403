/**
 * `startGateway` for in-process tests: a configuration without a `data_dir`
 * gets a temporary one of its own. Without it every gateway a test starts
 * would keep batch files and history under ./sluice-data, shared by all
 * the test files running at once. The folders are removed when the test
 * process exits (they are only created once a gateway writes something).
 */

import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway } from '../../src/gateway/server.js';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A folder for one gateway's state, not created yet. */
export function testDataDir(): string {
  const dir = join(tmpdir(), `sluice-test-${process.pid}-${randomUUID()}`);
  made.push(dir);
  return dir;
}

export function startTestGateway(options: Parameters<typeof startGateway>[0]): Promise<Gateway> {
  const { config } = options;
  return startGateway({ ...options, config: { ...config, data_dir: config.data_dir ?? testDataDir() } });
}
