import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthesize } from './support.js';
import type { SynthesizeOptions } from './support.js';

/** Synthesizes with cdk-nag and CloudFormation validation as `cdk synth` does; returns the report. */
function synthesizeWithChecks(extend?: SynthesizeOptions['extend']) {
  let assemblyDirectory = '';
  synthesize(
    {},
    {
      validate: true,
      extend: (stack, app) => {
        extend?.(stack, app);
        Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
        // The template assertion synthesizes the app; keep where the report lands.
        assemblyDirectory = app.outdir;
      },
    },
  );
  const report = JSON.parse(readFileSync(join(assemblyDirectory, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations?: unknown[] }[];
  };
  return report;
}

/** Every acknowledged rule in the tree, by rule ID, with its reasons. */
function acknowledgments(root: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(id, [...(found.get(id) ?? []), reason]);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, error or warning, on the stack', () => {
    const report = synthesizeWithChecks();
    const violations = report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
    expect(violations).toEqual([]);
  }, 120_000);

  it('is live: an unacknowledged non-compliant resource fails the synth', () => {
    expect(() =>
      synthesizeWithChecks((stack) => {
        new sqs.Queue(stack, 'QueueWithoutDeadLetterQueue', { enforceSSL: true });
      }),
    ).toThrow(/AwsSolutions-SQS3/);
  }, 120_000);

  it('acknowledges only the reviewed rules, each with a reason', () => {
    const { app } = synthesize();
    const acknowledged = acknowledgments(app);
    expect(
      [...acknowledged.keys()]
        .map((id) => id.replace(/<[A-Za-z0-9]+>\/\$default/, '<HttpApi>/$default'))
        .sort(),
    ).toEqual(
      [
        'AwsSolutions::AwsSolutions-APIG4',
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApi>/$default/*/admin/*]',
        'AwsSolutions::AwsSolutions-SMG4',
      ].sort(),
    );
    for (const [id, reasons] of acknowledged) {
      for (const reason of reasons) expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
