import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** What chatctl remembers between commands, per profile. */
export interface Profile {
  server?: string;
  token?: string;
  username?: string;
  isAdmin?: boolean;
  /** Ids of the latest deliveries shown, so one shown but not acknowledged is not shown again. */
  seen?: number[];
  /** The last `groups` listing, so `sendgroup <n>` knows which group n was. */
  groups?: { id: number; name: string; creator: string }[];
}

const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Numbers this process's temporary files, so two writes at once never share one. */
let writes = 0;

/** Profiles live in `$CHATCTL_HOME/<name>.json` (default `~/.chatctl`), readable by their owner only. */
export class ProfileStore {
  readonly path: string;

  constructor(
    private readonly home: string,
    name: string,
  ) {
    if (!PROFILE_NAME.test(name)) {
      throw new CliError(EXIT.USAGE, `a profile name has 1 to 64 letters, digits, "_" or "-" (got "${name}")`);
    }
    this.path = join(home, `${name}.json`);
  }

  static defaultHome(): string {
    return process.env.CHATCTL_HOME || join(homedir(), '.chatctl');
  }

  async read(): Promise<Profile> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Profile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CliError(EXIT.USAGE, `cannot read the profile ${this.path}: ${(error as Error).message}`);
    }
  }

  /** Replaces the profile in one step (write then rename), with mode 0600; of two writes at once, the later rename wins. */
  async write(profile: Profile): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.${++writes}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async update(change: (profile: Profile) => Profile): Promise<Profile> {
    const profile = change(await this.read());
    await this.write(profile);
    return profile;
  }
}
