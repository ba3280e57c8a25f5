import type { UserId } from '../../domain/index.js';

export interface LoginRecord {
  readonly userId: UserId;
  readonly ip: string;
  readonly at: Date;
}

/** `user_login_log`: one row per successful login. */
export interface LoginLog {
  record(entry: LoginRecord): Promise<void>;
  /** The user's logins, newest first. */
  recentFor(userId: UserId, limit: number): Promise<LoginRecord[]>;
}
