import {
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import * as z from 'zod';
import type { ContactSubscriptions, Log } from '#domain/ports.js';

/** What a sync changed on the topic; logged, and returned for tests and callers that care. */
export interface ContactSyncReport {
  /** New subscriptions: SNS sent each address a confirmation email. */
  subscribed: string[];
  /** Confirmed subscriptions of another tenant's contact that now also receive this tenant's alerts. */
  added: string[];
  /** Shared subscriptions that no longer receive this tenant's alerts. */
  removed: string[];
  unsubscribed: string[];
  /**
   * Contacts whose subscription still waits for its confirmation. SNS hides a pending
   * subscription's ARN and attributes, so it can be neither changed nor unsubscribed; see the
   * class comment.
   */
  awaitingConfirmation: string[];
}

/** ListSubscriptionsByTopic shows this instead of the ARN until the address confirms. */
const PENDING = 'PendingConfirmation';

/** The only filter policy this adapter writes; a subscription with any other is not ours. */
const ourPolicySchema = z.strictObject({ tenantId: z.array(z.string()).min(1) });

interface Listed {
  arn: string;
  endpoint: string;
}

interface Ours {
  arn: string;
  tenants: string[];
}

/**
 * Tenant contacts as email subscriptions of the alert topic, each with a filter policy on the
 * `tenantId` message attribute (scope MessageAttributes), so a contact gets its tenants' alerts
 * only. The publisher must set a `tenantId` String message attribute on every alert.
 *
 * SNS keeps one subscription per (topic, protocol, endpoint) and refuses a second Subscribe with
 * other attributes, so an address that is a contact of several tenants has ONE subscription whose
 * policy lists all of them: a sync adds or removes this tenant in that list and unsubscribes only
 * when the list would become empty. Subscriptions without our policy shape (the vendor's ops
 * address, anything added by hand) are never touched.
 *
 * Pending confirmations: until the address clicks the link, SNS lists the subscription as
 * `PendingConfirmation` without its ARN, so it cannot be unsubscribed nor its policy changed.
 * A removed contact still pending is left to SNS, which deletes unconfirmed subscriptions after
 * 48 hours; if it confirms before that, the tenant's next sync removes it. A new contact whose
 * address is already pending for another tenant cannot join that policy yet: it is reported as
 * awaiting confirmation, and the next sync after the confirmation adds it.
 *
 * Reading every policy costs one GetSubscriptionAttributes per confirmed email subscription of
 * the topic; fine for an admin action on hundreds or thousands of contacts.
 */
export class SnsContactSubscriptions implements ContactSubscriptions {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly log?: Log,
  ) {}

  async sync(tenantId: string, contacts: string[]): Promise<void> {
    await this.reconcile(tenantId, contacts);
  }

  /** `sync`, returning what it changed. */
  async reconcile(tenantId: string, contacts: string[]): Promise<ContactSyncReport> {
    const wanted = new Set(contacts.map((email) => email.toLowerCase()));
    const report: ContactSyncReport = {
      subscribed: [],
      added: [],
      removed: [],
      unsubscribed: [],
      awaitingConfirmation: [],
    };
    const pending = new Set<string>();
    const known = new Set<string>();

    for (const { arn, endpoint } of await this.listEmailSubscriptions()) {
      known.add(endpoint);
      if (arn === PENDING) {
        pending.add(endpoint);
        continue;
      }
      const ours = await this.readOurs(arn);
      if (!ours) continue;
      const has = ours.tenants.includes(tenantId);
      if (wanted.has(endpoint) && !has) {
        await this.setTenants(ours.arn, [...ours.tenants, tenantId]);
        report.added.push(endpoint);
      } else if (!wanted.has(endpoint) && has) {
        const rest = ours.tenants.filter((id) => id !== tenantId);
        if (rest.length > 0) {
          await this.setTenants(ours.arn, rest);
          report.removed.push(endpoint);
        } else {
          await this.unsubscribe(ours.arn);
          report.unsubscribed.push(endpoint);
        }
      }
    }

    for (const endpoint of wanted) {
      if (pending.has(endpoint)) {
        await this.subscribePending(tenantId, endpoint);
        report.awaitingConfirmation.push(endpoint);
      } else if (!known.has(endpoint)) {
        await this.subscribe(tenantId, endpoint);
        report.subscribed.push(endpoint);
      }
    }

    this.log?.info('Synced contact subscriptions', { tenantId, ...report });
    return report;
  }

  private async listEmailSubscriptions(): Promise<Listed[]> {
    const listed: Listed[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, NextToken: nextToken }),
      );
      for (const subscription of output.Subscriptions ?? []) {
        if (subscription.Protocol !== 'email' || !subscription.Endpoint || !subscription.SubscriptionArn)
          continue;
        listed.push({ arn: subscription.SubscriptionArn, endpoint: subscription.Endpoint.toLowerCase() });
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return listed;
  }

  /** The subscription's tenants when its filter policy is one this adapter wrote. */
  private async readOurs(arn: string): Promise<Ours | undefined> {
    let attributes: Record<string, string>;
    try {
      const output = await this.client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
      attributes = output.Attributes ?? {};
    } catch (error) {
      // Unsubscribed between the listing and now.
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
    if (
      !attributes.FilterPolicy ||
      (attributes.FilterPolicyScope ?? 'MessageAttributes') !== 'MessageAttributes'
    ) {
      return undefined;
    }
    let document: unknown;
    try {
      document = JSON.parse(attributes.FilterPolicy);
    } catch {
      return undefined;
    }
    const policy = ourPolicySchema.safeParse(document);
    return policy.success ? { arn, tenants: policy.data.tenantId } : undefined;
  }

  private async setTenants(arn: string, tenants: string[]): Promise<void> {
    await this.client.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: arn,
        AttributeName: 'FilterPolicy',
        AttributeValue: filterPolicy(tenants),
      }),
    );
  }

  private async unsubscribe(arn: string): Promise<void> {
    try {
      await this.client.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }

  private async subscribe(tenantId: string, endpoint: string): Promise<void> {
    await this.client.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'email',
        Endpoint: endpoint,
        ReturnSubscriptionArn: true,
        Attributes: { FilterPolicy: filterPolicy([tenantId]), FilterPolicyScope: 'MessageAttributes' },
      }),
    );
  }

  /**
   * Subscribing again with the same attributes is a no-op for SNS (and makes sure the pending one
   * is this tenant's); other attributes mean it is pending for another tenant, which cannot be
   * changed until it is confirmed.
   */
  private async subscribePending(tenantId: string, endpoint: string): Promise<void> {
    try {
      await this.subscribe(tenantId, endpoint);
    } catch (error) {
      if (!(error instanceof InvalidParameterException)) throw error;
      this.log?.warn(
        'Contact is awaiting confirmation for another tenant; it joins this one on the next sync after confirming',
        {
          tenantId,
          endpoint,
        },
      );
    }
  }
}

function filterPolicy(tenants: string[]): string {
  return JSON.stringify({ tenantId: [...new Set(tenants)].sort() });
}
