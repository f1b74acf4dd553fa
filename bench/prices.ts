/**
 * Every unit price the bench's cost model uses: us-east-1 list prices, no free tier, no volume
 * tier (both only lower the bill). Each names the page it comes from and when it was read; where
 * the figure could only be confirmed on a page other than AWS's own, `confirmedBy` says which.
 * Read on 2026-12-04 through the search tool's stored copies of the pages (no live browsing); every
 * price is now confirmed by a stored page, none from memory.
 */

/** One price, with its provenance. */
export interface UnitPrice {
  /** US dollars per `per` units. */
  readonly usd: number;
  readonly per: number;
  /** What one unit is. */
  readonly unit: string;
  /** The page the price is published on. */
  readonly source: string;
  /** When the figure was read. */
  readonly read: string;
  /** How the figure was confirmed, when not on `source` itself. */
  readonly confirmedBy?: string;
}

const READ_ON = '2026-12-04';

export const PRICES = {
  dynamoDbWriteUnit: {
    usd: 0.625,
    per: 1_000_000,
    unit: 'on-demand write request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ_ON,
    confirmedBy:
      'not on a stored AWS page; airbyte.com/data-engineering-resources/dynamodb-pricing (after the November 2024 cut of 50 %)',
  },
  dynamoDbReadUnit: {
    usd: 0.125,
    per: 1_000_000,
    unit: 'on-demand read request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ_ON,
    confirmedBy:
      'not on a stored AWS page; airbyte.com/data-engineering-resources/dynamodb-pricing (after the November 2024 cut of 50 %)',
  },
  kmsRequest: {
    usd: 0.03,
    per: 10_000,
    unit: 'symmetric KMS request (GenerateDataKey, Decrypt, Encrypt, ...)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ_ON,
    confirmedBy: 'wring.co/blog/aws-kms-pricing-guide (the AWS page excerpt did not show the request figure)',
  },
  kmsKeyMonth: {
    usd: 3,
    per: 1,
    unit: 'customer managed key-month, rotation on ($1, plus $1 for each of the first two rotations)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ_ON,
    confirmedBy:
      'the cap after the second rotation: cloudburn.io/blog/aws-kms-pricing (May 2024 rotation pricing)',
  },
  secretsManagerSecretMonth: {
    usd: 0.4,
    per: 1,
    unit: 'secret-month',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    read: READ_ON,
    confirmedBy: 'not on a stored AWS page; hivebook.wiki (AWS Secrets Manager overview)',
  },
  secretsManagerCall: {
    usd: 0.05,
    per: 10_000,
    unit: 'Secrets Manager API call',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    read: READ_ON,
    confirmedBy: 'not on a stored AWS page; hivebook.wiki (AWS Secrets Manager overview)',
  },
  sqsRequest: {
    usd: 0.4,
    per: 1_000_000,
    unit: 'standard-queue request (each 64 KB chunk of a payload)',
    source: 'https://aws.amazon.com/sqs/pricing/',
    read: READ_ON,
    confirmedBy: 'not on a stored AWS page; cloudburn.io/blog/amazon-sqs-pricing, factualminds.com',
  },
  sesMail: {
    usd: 0.1,
    per: 1000,
    unit: 'e-mail sent (each recipient)',
    source: 'https://aws.amazon.com/ses/pricing/',
    read: READ_ON,
    confirmedBy:
      'not on a stored AWS page; acecloudinterviews.com/tutorials/aws/ses (AWS FAQ links the pricing page)',
  },
  snsPublish: {
    usd: 0.5,
    per: 1_000_000,
    unit: 'SNS publish request',
    source: 'https://aws.amazon.com/sns/pricing/',
    read: READ_ON,
    confirmedBy:
      'factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols (June 2026): $0.50 per million standard-topic publishes',
  },
  snsEmailDelivery: {
    usd: 2,
    per: 100_000,
    unit: 'SNS e-mail notification delivered',
    source: 'https://aws.amazon.com/sns/pricing/',
    read: READ_ON,
    confirmedBy:
      'factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols (June 2026): email deliveries $2 per 100,000',
  },
  eventBridgeEvent: {
    usd: 1,
    per: 1_000_000,
    unit: 'custom event put on a bus (each 64 KB chunk)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    read: READ_ON,
    confirmedBy:
      'the AWS page (stored copy) bills each 64 KB chunk as one event; the $1.00 per million custom events from wring.co/blog/aws-eventbridge-pricing-guide and factualminds.com (us-east-1, June 2026)',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-second on arm64 (first 7.5 billion a month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ_ON,
    confirmedBy:
      'cloudchipr.com/blog/aws-lambda-pricing and a lambda cost note (the AWS page excerpt did not show it)',
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1_000_000,
    unit: 'Lambda invocation',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ_ON,
    confirmedBy: 'a lambda cost note (git.mcrn.ar lambda_local_runner docs)',
  },
  logsIngestedGb: {
    usd: 0.5,
    per: 1_000_000_000,
    unit: 'byte ingested into CloudWatch Logs (standard class, $0.50 per GB)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ_ON,
    confirmedBy: 'c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1)',
  },
  xrayTrace: {
    usd: 5,
    per: 1_000_000,
    unit: 'X-Ray trace recorded',
    source: 'https://aws.amazon.com/xray/pricing/',
    read: READ_ON,
    confirmedBy: 'the AWS page (German edition): 5 USD per million recorded traces',
  },
  httpApiRequest: {
    usd: 1,
    per: 1_000_000,
    unit: 'API Gateway HTTP API request (first 300 million a month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    read: READ_ON,
    confirmedBy:
      'AWS whitepaper "Best Practices for Designing Amazon API Gateway Private APIs", cost optimization (docs.aws.amazon.com): HTTP APIs in us-east-1, first 300 million requests $1.00 per million',
  },
  customMetricMonth: {
    usd: 0.3,
    per: 1,
    unit: 'CloudWatch custom metric-month (first 10,000)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ_ON,
    confirmedBy:
      'github.com/nishinoshake/aws-rough/issues/37, transcribing the AWS pricing page: first 10,000 custom metrics $0.30 each',
  },
  alarmMonth: {
    usd: 0.3,
    per: 1,
    unit: 'CloudWatch alarm-month on a Metrics Insights query (or a metric with several)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ_ON,
    confirmedBy:
      'c3x.dev/resources/aws/aws_cloudwatch_metric_alarm: $0.10 a standard alarm-month, $0.30 high resolution; kept at $0.30, an upper bound',
  },
  dashboardMonth: {
    usd: 3,
    per: 1,
    unit: 'CloudWatch dashboard-month',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ_ON,
    confirmedBy:
      'github.com/nishinoshake/aws-rough/issues/37, transcribing the AWS pricing page: $3 a dashboard',
  },
} as const satisfies Record<string, UnitPrice>;

/** The name of a price. */
export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of one price. */
export function priceOf(name: PriceName, quantity: number): number {
  const price: UnitPrice = PRICES[name];
  return (quantity * price.usd) / price.per;
}
