import { AdminView } from './admin-view.js';
import { ChatView } from './chat-view.js';
import type { ConversationKey } from './conversations.js';
import { field, h, replaceChildren } from './dom.js';
import { describeFailure } from './errors.js';
import { Session, type Change } from './session.js';

type ViewName = 'login' | 'loading' | 'chat' | 'admin';

const STATUS_TEXT = { 'signed-out': 'signed out', connecting: 'connecting…', online: 'online', reconnecting: 'offline, reconnecting…' } as const;

/**
 * The page: a header (who is signed in, the connection's state, the admin switch), one
 * notice line for errors, and the view of the moment: logging in, the chats, or the admin pages.
 */
export class App {
  private readonly session: Session;
  private readonly header = h('header', { class: 'top' });
  private readonly noticeBox = h('div', { class: 'notice', role: 'alert' });
  private readonly main = h('main', { id: 'main', tabindex: -1 });
  private shown: ViewName | null = null;
  private chat: ChatView | null = null;
  private wantsAdmin = false;
  private loggingIn = false;

  constructor(root: HTMLElement, url: string, storage: Storage) {
    this.session = new Session(url, storage, (change, key) => this.changed(change, key));
    root.replaceChildren(h('a', { class: 'skip', href: '#main' }, 'Skip to content'), this.header, this.noticeBox, this.main);
  }

  /** Shows the page, attaching again at once when an earlier load left a token. */
  start(): void {
    if (this.session.hasToken) void this.session.attach();
    this.render();
  }

  private changed(change: Change, key?: ConversationKey): void {
    if (change === 'status') this.render();
    else if (change === 'notice') this.renderNotice();
    else this.chat?.changed(change, key);
  }

  private viewName(): ViewName {
    const me = this.session.me;
    if (me) return this.wantsAdmin && me.isAdmin ? 'admin' : 'chat';
    return this.session.status === 'signed-out' || this.loggingIn ? 'login' : 'loading';
  }

  private render(): void {
    this.renderHeader();
    this.renderNotice();
    const name = this.viewName();
    if (name === this.shown) return;
    this.shown = name;
    this.chat = name === 'chat' ? new ChatView(this.session) : null;
    const view =
      name === 'login' ? this.loginView()
      : name === 'loading' ? h('p', { class: 'loading' }, 'Connecting to the server…')
      : name === 'admin' ? new AdminView(this.session).element
      : this.chat!.element;
    this.main.replaceChildren(view);
    (view.querySelector<HTMLElement>('[data-autofocus]') ?? undefined)?.focus();
  }

  private renderHeader(): void {
    const { me, status } = this.session;
    const switchTo = this.wantsAdmin ? 'Chats' : 'Admin';
    replaceChildren(
      this.header,
      h('h1', {}, 'parley'),
      h('span', { class: `status ${status}`, 'aria-live': 'polite' }, me ? `${me.username} · ${STATUS_TEXT[status]}` : STATUS_TEXT[status]),
      me?.isAdmin ? h('button', { type: 'button', 'data-focus': 'admin', onclick: () => this.toggleAdmin() }, switchTo) : null,
      me ? h('button', { type: 'button', 'data-focus': 'logout', onclick: () => this.logout() }, 'Log out') : null,
    );
  }

  private renderNotice(): void {
    const notice = this.session.notice;
    this.noticeBox.className = `notice ${notice?.level ?? ''}`;
    this.noticeBox.replaceChildren(
      ...(notice
        ? [h('span', {}, notice.text), h('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss', onclick: () => this.session.tell(null) }, '×')]
        : []),
    );
  }

  private toggleAdmin(): void {
    this.wantsAdmin = !this.wantsAdmin;
    this.render();
  }

  private logout(): void {
    this.wantsAdmin = false;
    this.session.logout().catch(() => undefined);
  }

  private loginView(): HTMLElement {
    const username = field('Username', { name: 'username', autocomplete: 'username', minlength: 3, maxlength: 32, 'data-autofocus': true });
    const password = field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', minlength: 8, maxlength: 1024 });
    const buttons = [h('button', { type: 'submit' }, 'Log in'), h('button', { type: 'submit', value: 'register', class: 'secondary' }, 'Register')];
    const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' }, h('h2', { id: 'login-title' }, 'Log in or register'), username.label, password.label, h('div', { class: 'actions' }, ...buttons));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const register = event.submitter instanceof HTMLButtonElement && event.submitter.value === 'register';
      for (const button of buttons) button.disabled = true;
      this.loggingIn = true;
      this.session.tell(null); // the last attempt's error; what the login brings (notices in the backlog) stays
      const done = register ? this.session.register(username.input.value.trim(), password.input.value) : this.session.login(username.input.value.trim(), password.input.value);
      done
        .catch((error: unknown) => this.session.tell({ level: 'error', text: describeFailure(error) }))
        .finally(() => {
          this.loggingIn = false;
          for (const button of buttons) button.disabled = false;
          this.render();
        });
    });
    return form;
  }
}
