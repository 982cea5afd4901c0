import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from '../temporal-config/env';
import { workflowBundleOptions } from '../temporal-config/workflow-bundle';

/**
 * `npm run build` (after tsc): prebundles the workflow code so production workers start without
 * webpack and run exactly the code that was built and replay-tested.
 */
async function main(): Promise<void> {
  const outputPath = path.join(projectRoot, 'dist', 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode(workflowBundleOptions());
  fs.mkdirSync(path.dirname(outputPath), { recursive: true });
  fs.writeFileSync(outputPath, code);
  process.stdout.write(`Workflow bundle written to ${path.relative(projectRoot, outputPath)} (${Math.round(code.length / 1024)} KiB)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`workflow bundle failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
