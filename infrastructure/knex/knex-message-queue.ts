import type { Knex } from 'knex';
import type { Delivery, MessageQueue } from '../../application/ports/message-queue.js';
import type { ChatMessage, MessageId, OfflineMessage, UserId } from '../../domain/index.js';

/** Rows per statement: well under SQLite's bound-variable limit. */
const CHUNK = 500;

interface MessageRow {
  id: number;
  recipient_id: number;
  kind: ChatMessage['kind'];
  sender_id: number | null;
  group_id: number | null;
  body: string;
  payload: string;
  created_at: number | string;
}

function toRow({ recipientId, message }: Delivery): Omit<MessageRow, 'id'> {
  const { kind, text, sentAt, ...rest } = message;
  return {
    recipient_id: recipientId,
    kind,
    sender_id: message.from?.id ?? null,
    group_id: 'group' in message ? (message.group?.id ?? null) : null,
    body: text,
    payload: JSON.stringify(rest),
    created_at: sentAt.getTime(),
  };
}

function fromRow(row: MessageRow): OfflineMessage {
  const message = { ...JSON.parse(row.payload), kind: row.kind, text: row.body, sentAt: new Date(Number(row.created_at)) } as ChatMessage;
  return { id: Number(row.id), recipientId: Number(row.recipient_id), message };
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) result.push(items.slice(i, i + CHUNK));
  return result;
}

export class KnexMessageQueue implements MessageQueue {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    if (deliveries.length === 0) return [];
    const insert = async (trx: Knex | Knex.Transaction) => {
      const ids: number[] = [];
      for (const chunk of chunks(deliveries)) {
        const inserted = (await trx('offline_messages').insert(chunk.map(toRow)).returning('id')) as { id: number }[];
        // One statement assigns ascending ids in row order; RETURNING's own order is unspecified.
        ids.push(...inserted.map((row) => Number(row.id)).sort((a, b) => a - b));
      }
      return ids;
    };
    const ids =
      deliveries.length <= CHUNK || this.db.isTransaction ? await insert(this.db) : await this.db.transaction(insert);
    return deliveries.map((delivery, i) => ({ id: ids[i]!, recipientId: delivery.recipientId, message: delivery.message }));
  }

  async pendingFor(recipientId: UserId, options: { after?: MessageId; limit?: number } = {}): Promise<OfflineMessage[]> {
    let query = this.db<MessageRow>('offline_messages')
      .where('recipient_id', recipientId)
      .andWhere('id', '>', options.after ?? 0)
      .orderBy('id');
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query).map(fromRow);
  }

  async acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    // Knex's SQLite dialect cannot return rows from a delete, so look, then delete what was found, in one transaction.
    const work = async (trx: Knex | Knex.Transaction) => {
      const removed: MessageId[] = [];
      for (const chunk of chunks([...new Set(ids)])) {
        const mine = (await trx('offline_messages').where('recipient_id', recipientId).whereIn('id', chunk).pluck('id')).map(Number);
        if (mine.length > 0) await trx('offline_messages').whereIn('id', mine).del();
        removed.push(...mine);
      }
      return removed.sort((a, b) => a - b);
    };
    return this.db.isTransaction ? work(this.db) : this.db.transaction(work);
  }

  async countFor(recipientId: UserId): Promise<number> {
    const [{ count }] = (await this.db('offline_messages').where('recipient_id', recipientId).count({ count: '*' })) as [{ count: number | string }];
    return Number(count);
  }
}
