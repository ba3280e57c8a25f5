import { goneError, withinQuota, withoutRemoved, type Delivery, type MessageQueue, type MessageSend, type SendReceipt } from '../../application/ports/message-queue.js';
import { DomainError, type ChatMessage, type GroupId, type MessageId, type OfflineMessage, type UserId } from '../../domain/index.js';
import { assertReferences, type MemoryAccess, type MemoryStore, type MemoryTables } from './memory-store.js';

/** As `offline_messages.group_id`: a notice that a group was deleted does not need the group to exist. */
function referencedGroupId(message: ChatMessage): GroupId | null {
  if (message.kind === 'private' || (message.kind === 'notice' && message.topic === 'group-deleted')) return null;
  return message.group?.id ?? null;
}

export class InMemoryMessageQueue implements MessageQueue {
  constructor(store: MemoryStore, private readonly access: MemoryAccess = store.access) {}

  enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    return this.access((tables) => store(tables, deliveries));
  }

  send(message: MessageSend): Promise<SendReceipt> {
    return this.access((tables): SendReceipt => {
      const { key } = message;
      const first = key && tables.clientMessageIds.find((r) => r.senderId === key.senderId && r.clientMsgId === key.clientMsgId);
      if (first) return { repeat: true, queued: [], firstId: first.firstId, recipients: first.recipients, full: first.full, sentAt: first.sentAt };
      const deliveries = present(tables, message.deliveries);
      const counts = new Map<UserId, number>();
      const countOf = (id: UserId) => counts.get(id) ?? tables.messages.filter((m) => m.recipientId === id).length;
      const { taken, full } = withinQuota(deliveries, message.maxQueued, countOf, (id) => counts.set(id, countOf(id) + 1));
      const queued = store(tables, taken);
      const receipt = { firstId: queued[0]?.id ?? null, recipients: queued.length, full, sentAt: message.sentAt };
      if (key && queued.length > 0) tables.clientMessageIds.push({ ...key, ...receipt });
      return { repeat: false, queued, ...receipt };
    });
  }

  pendingFor(recipientId: UserId, options: { after?: MessageId; limit?: number } = {}): Promise<OfflineMessage[]> {
    const after = options.after ?? 0;
    return this.access((tables) =>
      tables.messages.filter((m) => m.recipientId === recipientId && m.id > after).slice(0, options.limit ?? Infinity),
    );
  }

  acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    const wanted = new Set(ids);
    return this.access((tables) => {
      const removed = tables.messages.filter((m) => m.recipientId === recipientId && wanted.has(m.id)).map((m) => m.id);
      const gone = new Set(removed);
      tables.messages = tables.messages.filter((m) => !gone.has(m.id));
      return removed;
    });
  }

  countFor(recipientId: UserId): Promise<number> {
    return this.access((tables) => tables.messages.filter((m) => m.recipientId === recipientId).length);
  }

  countAll(): Promise<number> {
    return this.access((tables) => tables.messages.length);
  }
}

/**
 * The deliveries to store, checked as the SQL writers check them: a sender or group that is
 * gone refuses them all (`goneError`), then a recipient who is gone is left out or refuses
 * them by `withoutRemoved`'s rule. Throws the refusal.
 */
function present(tables: MemoryTables, deliveries: readonly Delivery[]): readonly Delivery[] {
  try {
    assertReferences(tables, {
      users: deliveries.map(({ message }) => message.from?.id ?? null),
      groups: deliveries.map(({ message }) => referencedGroupId(message)),
    });
  } catch {
    throw goneError(deliveries);
  }
  const users = new Set(tables.users.map((record) => record.user.id));
  const kept = withoutRemoved(deliveries, (id) => users.has(id));
  if (kept instanceof DomainError) throw kept;
  return kept;
}

/** Queues the deliveries, all or nothing, after `present`'s checks. */
function store(tables: MemoryTables, all: readonly Delivery[]): OfflineMessage[] {
  const deliveries = present(tables, all);
  const queued = deliveries.map(({ recipientId, message }) => ({
    id: ++tables.sequences.messages,
    recipientId,
    message: structuredClone(message),
  }));
  tables.messages.push(...queued);
  return queued;
}
