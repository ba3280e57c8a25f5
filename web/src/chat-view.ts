import type { WireGroup } from '../../interfaces/wire/operations.js';
import { WireFailure } from './connection.js';
import { groupKey, userKey, type ChatLine, type ConversationKey } from './conversations.js';
import { field, h, replaceChildren } from './dom.js';
import { describeFailure } from './errors.js';
import type { Change, Session } from './session.js';

/** A fresh id for a message, so that sending it again after a lost answer stores it once (`clientMsgId`). */
function newClientMsgId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** When a line was sent, as the reader's clock shows it. */
function timeOf(sentAt: string): string {
  const date = new Date(sentAt);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * The chats: the sidebar (friends with online dots, groups with member counts, unread
 * badges, forms to add a friend and create a group) and the conversation in view (its
 * lines, the group owner's controls, the composer: Enter sends, Shift+Enter is a new line).
 */
export class ChatView {
  readonly element: HTMLElement;
  private readonly friendList = h('ul', { class: 'conversations' });
  private readonly groupList = h('ul', { class: 'conversations' });
  private readonly title = h('h2', { id: 'conversation-title' }, 'No conversation open');
  private readonly controls = h('div', { class: 'controls' });
  private readonly lines = h('ol', { class: 'lines', 'aria-live': 'polite', 'aria-labelledby': 'conversation-title' });
  private readonly composer = h('textarea', { id: 'composer', rows: 2, maxlength: 4000, required: true });
  private readonly conversation: HTMLElement;
  /** Says, for screen readers, that a message arrived in a conversation not in view. */
  private readonly announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  private shownLines = 0;
  private clientMsgId = newClientMsgId();
  private sending = false;

  constructor(private readonly session: Session) {
    const form = h('form', { class: 'composer' }, h('label', { for: 'composer' }, 'Message (Enter sends, Shift+Enter starts a new line)'), this.composer, h('button', { type: 'submit' }, 'Send'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.composer.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.composer.addEventListener('input', () => (this.clientMsgId = newClientMsgId())); // new text, new message
    this.conversation = h('section', { class: 'conversation', 'aria-labelledby': 'conversation-title', hidden: true }, this.title, this.controls, this.lines, form);
    this.element = h(
      'div',
      { class: 'chat' },
      h(
        'nav',
        { class: 'sidebar', 'aria-label': 'Conversations' },
        h('h2', {}, 'Friends'),
        this.friendList,
        this.form('Add a friend', 'Add', { name: 'friend', autocomplete: 'off', minlength: 3, maxlength: 32, 'data-autofocus': true }, (name) => this.addFriend(name)),
        h('h2', {}, 'Groups'),
        this.groupList,
        this.form('New group', 'Create', { name: 'group', autocomplete: 'off', maxlength: 32 }, (name) => this.newGroup(name)),
      ),
      this.conversation,
      this.announcer,
    );
    this.renderLists();
  }

  /** Redraws what changed: the lists, and the lines of the conversation in view. */
  changed(change: Change, key?: ConversationKey): void {
    if (change === 'friends' || change === 'groups' || change === 'messages') this.renderLists();
    if (change === 'groups') this.renderConversation(false);
    if (change === 'messages' && key === this.session.store.active) this.appendLines();
    else if (change === 'messages' && key !== undefined) this.announcer.textContent = `New message in ${this.nameOf(key)}.`;
  }

  private nameOf(key: ConversationKey): string {
    if (key.startsWith('user:')) return key.slice('user:'.length);
    const group = this.session.groups.get(Number(key.slice('group:'.length)));
    return group ? `group ${group.name}` : 'a group';
  }

  private form(label: string, action: string, props: Record<string, string | number | boolean>, run: (value: string) => Promise<void>): HTMLFormElement {
    const input = field(label, props);
    const button = h('button', { type: 'submit' }, action);
    const form = h('form', { class: 'inline' }, input.label, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      button.disabled = true;
      run(input.input.value.trim())
        .then(() => {
          input.input.value = '';
        })
        .catch((error: unknown) => this.session.tell({ level: 'error', text: describeFailure(error) }))
        .finally(() => (button.disabled = false));
    });
    return form;
  }

  private async addFriend(username: string): Promise<void> {
    const { friend } = await this.session.call('add', { username });
    this.session.remember({ friend });
    this.open(userKey(friend.username));
  }

  private async newGroup(name: string): Promise<void> {
    const { group } = await this.session.call('newgroup', { name });
    this.session.remember({ group });
    this.open(groupKey(group.id));
  }

  private renderLists(): void {
    const { store, friends, groups } = this.session;
    const friendKeys = new Set([...friends.keys()].map(userKey));
    const strangers = store.keys().filter((key) => key.startsWith('user:') && !friendKeys.has(key)); // an admin's system message, say
    replaceChildren(
      this.friendList,
      ...[...friends.values()].map((friend) => this.entry(userKey(friend.username), friend.username, friend.online ? 'online' : 'offline')),
      ...strangers.map((key) => this.entry(key, key.slice('user:'.length), null)),
      friends.size === 0 && strangers.length === 0 ? h('li', { class: 'empty' }, 'No friends yet.') : null,
    );
    replaceChildren(
      this.groupList,
      ...[...groups.values()].map((group) => this.entry(groupKey(group.id), this.groupName(group), `${group.online}/${group.total} online`)),
      groups.size === 0 ? h('li', { class: 'empty' }, 'No groups yet.') : null,
    );
  }

  /** One conversation in the sidebar: a button with its online dot or member count, and its unread badge. */
  private entry(key: ConversationKey, name: string, state: string | null): HTMLLIElement {
    const unread = this.session.store.unreadIn(key);
    const isGroup = key.startsWith('group:');
    const dot = !isGroup && state !== null ? h('span', { class: `dot ${state}`, role: 'img', 'aria-label': state }) : null;
    return h(
      'li',
      {},
      h(
        'button',
        { type: 'button', class: 'entry', 'data-focus': key, 'aria-current': key === this.session.store.active ? 'true' : null, onclick: () => this.open(key) },
        dot,
        h('span', { class: 'name' }, name),
        isGroup && state ? h('span', { class: 'count' }, state) : null,
        unread > 0 ? h('span', { class: 'badge', 'aria-label': `${unread} new` }, String(unread)) : null,
      ),
    );
  }

  private groupName(group: WireGroup): string {
    const mine = group.creator.toLowerCase() === this.session.me?.username.toLowerCase();
    return `${group.name}${mine ? '' : ` (${group.creator})`}${group.banned ? ' · banned' : ''}`;
  }

  private open(key: ConversationKey): void {
    this.session.store.open(key);
    this.renderLists();
    this.renderConversation(true);
    this.composer.focus();
  }

  private activeGroup(): WireGroup | undefined {
    const key = this.session.store.active;
    return key?.startsWith('group:') ? this.session.groups.get(Number(key.slice('group:'.length))) : undefined;
  }

  private renderConversation(switched: boolean): void {
    const key = this.session.store.active;
    if (key === null) return;
    const group = this.activeGroup();
    if (key.startsWith('group:') && !group) {
      // Deleted, or this user was removed: keep its lines, but nothing can be sent there any more.
      this.title.textContent = 'Group (you are no longer a member)';
      this.controls.replaceChildren();
    } else {
      this.title.textContent = group ? `${this.groupName(group)} · ${group.online}/${group.total} online` : key.slice('user:'.length);
      if (switched) this.controls.replaceChildren(...(group ? this.ownerControls(group) : [])); // not on a count change: it would drop what is typed there
    }
    this.conversation.hidden = false;
    if (switched) {
      this.lines.setAttribute('aria-busy', 'true'); // the old lines are not news: announce only what arrives from now on
      this.lines.replaceChildren();
      this.shownLines = 0;
      this.appendLines();
      this.lines.removeAttribute('aria-busy');
    }
  }

  /** The owner's controls: invite, remove, delete. Nobody else sees them (the server refuses others anyway). */
  private ownerControls(group: WireGroup): HTMLElement[] {
    if (group.creator.toLowerCase() !== this.session.me?.username.toLowerCase()) return [];
    const target = { name: group.name, creator: group.creator };
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete group');
    remove.addEventListener('click', () => {
      if (!window.confirm(`Delete the group ${group.name}? Its members are told.`)) return;
      this.session
        .call('delgroup', target)
        .then(({ group: deleted }) => {
          this.session.forgetGroup(deleted.id);
          this.session.tell({ level: 'info', text: `Group ${deleted.name} deleted.` });
        })
        .catch((error: unknown) => this.session.tell({ level: 'error', text: describeFailure(error) }));
    });
    const member = { autocomplete: 'off', minlength: 3, maxlength: 32 };
    return [
      this.form('Invite a user', 'Invite', { ...member, name: 'invite' }, async (username) => this.session.remember(await this.session.call('addgroupuser', { ...target, username }))),
      this.form('Remove a member', 'Remove', { ...member, name: 'kick' }, async (username) => this.session.remember(await this.session.call('delgroupuser', { ...target, username }))),
      remove,
    ];
  }

  private appendLines(): void {
    const key = this.session.store.active;
    if (key === null) return;
    const lines = this.session.store.linesOf(key);
    for (const line of lines.slice(this.shownLines)) this.lines.append(this.lineElement(line));
    this.shownLines = lines.length;
    this.lines.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  private lineElement(line: ChatLine): HTMLLIElement {
    const who = line.kind === 'notice' ? 'notice' : `${line.from ?? ''}${line.fromAdmin ? ' (admin)' : ''}`;
    return h(
      'li',
      { class: `line ${line.kind}${line.fromAdmin ? ' admin' : ''}` },
      h('span', { class: 'meta' }, h('time', { datetime: line.sentAt }, timeOf(line.sentAt)), ' ', h('b', {}, who)),
      h('span', { class: 'text' }, line.text),
    );
  }

  private send(): void {
    const key = this.session.store.active;
    const text = this.composer.value;
    const me = this.session.me;
    if (key === null || me === null || text.trim() === '' || this.sending) return; // one at a time: a second Enter would store it once but show it twice
    this.sending = true;
    const clientMsgId = this.clientMsgId;
    const sent = key.startsWith('group:')
      ? this.session.call('sendgroup', { group: Number(key.slice('group:'.length)), text, clientMsgId }).then((answer) => {
          if (answer.queueFull.length > 0) this.session.tell({ level: 'info', text: `Not delivered to ${answer.queueFull.join(', ')}: their queue is full.` });
          return answer.sentAt;
        })
      : this.session.call('send', { to: key.slice('user:'.length), text, clientMsgId }).then((answer) => answer.message.sentAt);
    sent
      .then((sentAt) => {
        if (this.composer.value === text) this.composer.value = '';
        this.clientMsgId = newClientMsgId();
        this.session.store.sent(key, me.username, text, sentAt);
        if (key === this.session.store.active) this.appendLines();
      })
      .catch((error: unknown) => {
        const lost = error instanceof WireFailure && (error.code === 'CONNECTION_LOST' || error.code === 'TIMEOUT');
        const text = lost ? `Not sent (${error.message}): it stays in the box; send it again once reconnected.` : `Not sent: ${describeFailure(error)}`;
        this.session.tell({ level: 'error', text });
      })
      .finally(() => (this.sending = false));
  }
}
