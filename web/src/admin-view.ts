import type { WireGroup, WireUserListing } from '../../interfaces/wire/operations.js';
import { field, h, replaceChildren } from './dom.js';
import { describeFailure } from './errors.js';
import type { Session } from './session.js';

/** Rows per admin page. */
const PAGE_SIZE = 25;

/** One paged listing: the page shown, and the cursors of the pages before it, so Previous can go back. */
class PagedTable<Row> {
  readonly element: HTMLElement;
  private readonly body = h('tbody');
  private readonly previous = h('button', { type: 'button' }, 'Previous');
  private readonly next = h('button', { type: 'button' }, 'Next');
  private readonly cursors: (string | null)[] = [null];
  private nextCursor: string | null = null;

  constructor(
    title: string,
    columns: string[],
    private readonly fetch: (cursor: string | null) => Promise<{ rows: Row[]; nextCursor: string | null }>,
    private readonly cells: (row: Row, reload: () => void) => (Node | string)[],
    private readonly onError: (error: unknown) => void,
  ) {
    const id = `admin-${title.toLowerCase()}`;
    this.previous.addEventListener('click', () => {
      this.cursors.pop();
      this.load();
    });
    this.next.addEventListener('click', () => {
      this.cursors.push(this.nextCursor);
      this.load();
    });
    this.element = h(
      'section',
      { class: 'admin-table', 'aria-labelledby': id },
      h('h2', { id }, title),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))), this.body)),
      h('div', { class: 'pager' }, this.previous, this.next),
    );
    this.load();
  }

  /** Loads the page at the last cursor again. */
  load(): void {
    this.fetch(this.cursors.at(-1) ?? null)
      .then(({ rows, nextCursor }) => {
        this.nextCursor = nextCursor;
        this.previous.disabled = this.cursors.length <= 1;
        this.next.disabled = nextCursor === null;
        replaceChildren(this.body, ...rows.map((row) => h('tr', {}, ...this.cells(row, () => this.load()).map((cell) => h('td', {}, cell)))));
      })
      .catch(this.onError);
  }
}

/**
 * The admin pages: every user and every group, a page at a time, with ban and unban; and
 * system messages to a user or to a group. Shown only to an admin (the server checks too).
 */
export class AdminView {
  readonly element: HTMLElement;

  constructor(private readonly session: Session) {
    const users = new PagedTable<WireUserListing>(
      'Users',
      ['User', 'Online', 'Admin', 'Banned', 'Action'],
      async (cursor) => {
        const page = await session.call('allusers', { limit: PAGE_SIZE, ...(cursor === null ? {} : { cursor }) });
        return { rows: page.users, nextCursor: page.nextCursor };
      },
      (user, reload) => [user.username, user.online ? 'yes' : 'no', user.isAdmin ? 'yes' : 'no', user.banned ? 'yes' : 'no', this.banButton(user.banned, `user ${user.username}`, reload, () => session.call(user.banned ? 'unblockuser' : 'blockuser', { username: user.username }))],
      (error) => this.fail(error),
    );
    const groups = new PagedTable<WireGroup>(
      'Groups',
      ['Group', 'Owner', 'Online', 'Banned', 'Action'],
      async (cursor) => {
        const page = await session.call('allgroup', { limit: PAGE_SIZE, ...(cursor === null ? {} : { cursor }) });
        return { rows: page.groups, nextCursor: page.nextCursor };
      },
      (group, reload) => {
        const target = { name: group.name, creator: group.creator };
        return [group.name, group.creator, `${group.online}/${group.total}`, group.banned ? 'yes' : 'no', this.banButton(group.banned, `group ${group.name}`, reload, () => session.call(group.banned ? 'unblockgroup' : 'blockgroup', target))];
      },
      (error) => this.fail(error),
    );
    this.element = h('div', { class: 'admin' }, users.element, groups.element, this.messageForms());
  }

  private banButton(banned: boolean, what: string, reload: () => void, act: () => Promise<unknown>): HTMLButtonElement {
    const label = banned ? 'Unban' : 'Ban';
    const button = h('button', { type: 'button', class: banned ? '' : 'danger', 'aria-label': `${label} ${what}` }, label);
    button.addEventListener('click', () => {
      button.disabled = true;
      act()
        .then(() => this.session.tell({ level: 'info', text: `${banned ? 'Unbanned' : 'Banned'} ${what}.` }))
        .catch((error: unknown) => this.fail(error))
        .finally(reload);
    });
    return button;
  }

  private messageForms(): HTMLElement {
    const user = field('To user', { name: 'to', autocomplete: 'off', minlength: 3, maxlength: 32 });
    const group = field('Group name', { name: 'group', autocomplete: 'off', maxlength: 32 });
    const creator = field('Group owner', { name: 'creator', autocomplete: 'off', minlength: 3, maxlength: 32 });
    return h(
      'section',
      { class: 'admin-messages', 'aria-labelledby': 'admin-messages' },
      h('h2', { id: 'admin-messages' }, 'System messages'),
      this.messageForm('Message to a user', [user.label], (text) => this.session.call('adminsend', { to: user.input.value.trim(), text })),
      this.messageForm('Message to a group', [group.label, creator.label], (text) => this.session.call('adminsendgroup', { name: group.input.value.trim(), creator: creator.input.value.trim(), text })),
    );
  }

  private messageForm(title: string, fields: HTMLElement[], send: (text: string) => Promise<unknown>): HTMLFormElement {
    const text = h('textarea', { rows: 2, maxlength: 4000, required: true });
    const button = h('button', { type: 'submit' }, 'Send');
    const form = h('form', { class: 'system-message' }, h('h3', {}, title), ...fields, h('label', { class: 'field' }, h('span', {}, 'Text'), text), button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      button.disabled = true;
      send(text.value)
        .then(() => {
          text.value = '';
          this.session.tell({ level: 'info', text: 'System message sent.' });
        })
        .catch((error: unknown) => this.fail(error))
        .finally(() => (button.disabled = false));
    });
    return form;
  }

  private fail(error: unknown): void {
    this.session.tell({ level: 'error', text: describeFailure(error) });
  }
}
