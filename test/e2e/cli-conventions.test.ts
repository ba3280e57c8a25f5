import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { MESSAGE_MAX_LENGTH } from '../../domain/index.js';
import { chatctl, CLI, run, temporaryDirectory } from '../support/processes.js';
import { expectOk, World } from '../support/world.js';

/** The commands `chatctl --help` lists, by their first word. */
function listedCommands(help: string): string[] {
  return [...help.matchAll(/^ {2}chatctl (\S+)/gm)].map((match) => match[1]!);
}

describe('chatctl conventions: usage errors, help, exit statuses, completion', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let env: NodeJS.ProcessEnv;

  before(() => {
    tmp = temporaryDirectory();
    env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_PROFILE: 'default', CHATCTL_SERVER: '127.0.0.1:1' };
  });
  after(() => tmp.remove());

  it('answers a mistyped command or option, and a missing or extra argument, with one line and exit 2', async () => {
    const cases: [string[], string][] = [
      [['frends'], 'chatctl: unknown command "frends"; did you mean "friends"? (chatctl --help lists them)'],
      [['xyzzy'], 'chatctl: unknown command "xyzzy" (chatctl --help lists them)'],
      [['send', 'bob', 'hi', '--jsno'], 'chatctl: unknown option --jsno; did you mean --json? (chatctl send --help lists them)'],
      [['send'], 'chatctl: missing <username>; usage: chatctl send <username> [message..]'],
      [['addgroupuser', 'team'], 'chatctl: missing <username>; usage: chatctl addgroupuser <group> <username>'],
      [['whoami', 'extra'], 'chatctl: unexpected argument "extra"; usage: chatctl whoami'],
      [['whoami', '--', 'extra'], 'chatctl: unexpected argument "extra"; usage: chatctl whoami'],
      [['login', 'bob', 'pw', '--', 'extra'], 'chatctl: unexpected argument "extra"; usage: chatctl login <username> [password]'],
      [
        ['send', 'bob', '-1 for that'],
        'chatctl: "-1 for that" begins with "-", so it is read as options; to pass it as it is, put it after --; usage: chatctl send <username> [message..]',
      ],
      [
        ['login', 'bob', '-Xk9'],
        'chatctl: "-Xk9" begins with "-", so it is read as options; to pass it as it is, put it after --; usage: chatctl login <username> [password]',
      ],
      // Read as options, its `h` would print help and send nothing.
      [
        ['send', 'bob', '-hello'],
        'chatctl: "-hello" begins with "-", so it is read as options; to pass it as it is, put it after --; usage: chatctl send <username> [message..]',
      ],
      // The profile's value is named like a command: the usage quoted is still the command's.
      [
        ['--profile', 'listen', 'send', 'bob', '-hello'],
        'chatctl: "-hello" begins with "-", so it is read as options; to pass it as it is, put it after --; usage: chatctl send <username> [message..]',
      ],
      [['send', 'bob'], 'chatctl: say something: chatctl send <username> <message..> (or - to read the text from standard input)'],
    ];
    for (const [args, line] of cases) {
      const outcome = await chatctl(args, env);
      expect([outcome.code, outcome.stderr, outcome.stdout], args.join(' ')).to.deep.equal([2, line, '']);
    }
  });

  it('speaks English whatever the locale: its usage errors and help are not half translated', async () => {
    for (const locale of [{ LANG: 'de_DE.UTF-8' }, { LC_ALL: 'fr_FR.UTF-8' }]) {
      const extra = await chatctl(['whoami', 'extra'], { ...env, ...locale });
      expect([extra.code, extra.stderr], JSON.stringify(locale)).to.deep.equal([2, 'chatctl: unexpected argument "extra"; usage: chatctl whoami']);
      const help = await chatctl(['send', '--help'], { ...env, ...locale });
      expect(help.stdout, JSON.stringify(locale)).to.contain('[string] [required]').and.to.contain('[default: []]');
    }
  });

  it('shows help only when asked, `help <command>` like `<command> --help`, with an example for every command', async () => {
    const help = await chatctl(['--help'], env);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/Exit status: 0 done, 1 refused by the server, 2 bad usage.*130 interrupted by Ctrl-C/s);
    const commands = listedCommands(help.stdout);
    expect(commands).to.include.members(['serve', 'promote', 'send', 'shell', 'completion', 'listen']);
    for (const command of commands) {
      const own = await chatctl([command, '--help'], env);
      expect(own.code, command).to.equal(0);
      expect(own.stdout, command).to.match(new RegExp(`Examples:\\n {2}chatctl ${command}`));
      const viaHelp = await chatctl(['help', command], env);
      expect(viaHelp.stdout, `help ${command}`).to.equal(own.stdout);
      const talksToServer = !['serve', 'promote', 'completion'].includes(command);
      expect(own.stdout.includes('--server'), `${command} --server`).to.equal(talksToServer);
      expect(own.stdout.includes('--json'), `${command} --json`).to.equal(!['serve', 'shell', 'completion'].includes(command));
    }
    const refused = await chatctl(['serve', '--server', '127.0.0.1:1'], env);
    expect([refused.code, refused.stderr]).to.deep.equal([2, 'chatctl: unknown option --server (chatctl serve --help lists them)']);
  });

  it('prints a completion script bash accepts, which completes `chatctl fr` to friends', async () => {
    const script = await chatctl(['completion'], { ...env, SHELL: '/bin/bash' });
    expect(script.code).to.equal(0);
    expect(script.stdout).to.contain('complete -o bashdefault -o default -F _chatctl_yargs_completions chatctl');
    const file = join(tmp.path, 'completion.bash');
    writeFileSync(file, `${script.stdout}\n`);
    expect(spawnSync('bash', ['-n', file]).status).to.equal(0);
    // The script runs `chatctl`: put one on the PATH, then complete as bash would.
    const bin = join(tmp.path, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'chatctl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const complete = (words: string) =>
      spawnSync('bash', ['-c', `source "${file}"; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _chatctl_yargs_completions; echo "\${COMPREPLY[@]}"`], {
        env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` },
        encoding: 'utf8',
      }).stdout.trim();
    expect(complete('chatctl fr')).to.equal('friends');
    expect(complete('chatctl send --jso')).to.equal('--json');
    expect((await chatctl(['completion', '--shell', 'zsh'], env)).stdout).to.match(/^#compdef chatctl/);
  });

  it('refuses to promote in a database that is not there, creating nothing', async () => {
    const missing = join(tmp.path, 'nowhere', 'chat.sqlite');
    const promote = await chatctl(['promote', 'alice', '--db', missing], env);
    expect([promote.code, promote.stdout]).to.deep.equal([2, '']);
    expect(promote.stderr).to.equal(`chatctl: no database at ${missing} (did you mean --db <the file \`chatctl serve --db\` uses>?)`);
    expect(existsSync(join(tmp.path, 'nowhere'))).to.equal(false);
  });

  it('refuses a message on standard input longer than a message may be, before connecting', async () => {
    const tooLong = await chatctl(['send', 'bob', '-'], env, 'x'.repeat(MESSAGE_MAX_LENGTH + 1));
    expect([tooLong.code, tooLong.stderr]).to.deep.equal([2, `chatctl: the message on standard input is longer than ${MESSAGE_MAX_LENGTH} characters, the most a message may have`]);
    const both = await chatctl(['send', 'bob', 'hi', '--stdin'], env, 'there');
    expect([both.code, both.stderr]).to.deep.equal([2, 'chatctl: give the message as words or on standard input (--stdin or -), not both']);
  });

  describe('Ctrl-C', () => {
    let silent: Server;
    let address: string;
    const sockets = new Set<Socket>();

    before(async () => {
      // A server that accepts and never answers: the command waits until interrupted.
      silent = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    after(() => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => silent.close(resolve));
    });

    it('ends a waiting command with 130 and says nothing', async () => {
      mkdirSync(env.CHATCTL_HOME!, { recursive: true });
      writeFileSync(join(env.CHATCTL_HOME!, 'waiting.json'), JSON.stringify({ server: address, token: 'some-token', username: 'alice' }), { mode: 0o600 });
      const whoami = run(['whoami', '--server', address], { ...env, CHATCTL_PROFILE: 'waiting' });
      // Interrupted once it is surely waiting on the server: the connection is made by then.
      await new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      whoami.child.kill('SIGINT');
      expect(await whoami.exited()).to.equal(130);
      expect(whoami.stderr.seen).to.deep.equal([]);
    });

    it('ends the password prompt with 130 and says nothing (on a terminal)', async function () {
      // A terminal for chatctl: python's pty module, where there is python.
      if (spawnSync('python3', ['-c', 'import pty']).status !== 0) this.skip();
      const program = [
        'import os, pty, sys, time, select',
        'pid, fd = pty.fork()',
        `if pid == 0: os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, ${JSON.stringify(CLI)}, "login", "alice", "--server", ${JSON.stringify(address)}])`,
        'out = b""',
        'while b"Password" not in out:',
        '    select.select([fd], [], [], 10); out += os.read(fd, 1024)',
        'os.write(fd, b"\\x03")',
        'while True:',
        '    try: out += os.read(fd, 1024)',
        '    except OSError: break',
        '_, status = os.waitpid(pid, 0)',
        'sys.stdout.write(out.decode()); sys.exit(os.waitstatus_to_exitcode(status))',
      ].join('\n');
      const prompt = spawnSync('python3', ['-c', program], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
      expect(prompt.status, prompt.stdout).to.equal(130);
      expect(prompt.stdout).to.not.match(/chatctl:|unreachable/);
    });
  });
});

describe('chatctl conventions against a server: message text, and the piped shell', function () {
  this.timeout(120_000);
  let world: World;

  before(async () => {
    world = await World.start();
    await world.users('alice', 'bob');
    await expectOk(world.chatctl('alice', 'add', 'bob'));
  });
  after(() => world.stop());

  it('sends what follows `--` as text, options included, and standard input with `-`', async () => {
    const dashes = await world.chatctl('alice', 'send', 'bob', '--', 'use', '--json', 'for', 'scripts');
    expect([dashes.code, dashes.stdout]).to.deep.equal([0, 'sent to bob']);
    const piped = await chatctl(['send', 'bob', '-'], world.as('alice'), 'from a pipe\n');
    expect([piped.code, piped.stdout]).to.deep.equal([0, 'sent to bob']);
    const unknown = await world.chatctl('alice', 'send', 'bob', 'try', '--verbose', 'mode');
    expect([unknown.code, unknown.stderr]).to.deep.equal([2, 'chatctl: unknown option --verbose (chatctl send --help lists them)']);
    // A negative number is no option: it is text as it was typed.
    const negative = await world.chatctl('alice', 'send', 'bob', '-10', 'and', '-0.50');
    expect([negative.code, negative.stdout]).to.deep.equal([0, 'sent to bob']);
    expect(await world.queuedFor('bob')).to.deep.equal(['alice added you as a friend', 'use --json for scripts', 'from a pipe', '-10 and -0.50']);
  });

  it('takes a password that begins with "-" after `--`, and says so when it comes before', async () => {
    await world.users('dora');
    const changed = await chatctl(['passwd', '--password-stdin'], world.as('dora'), 'pw-dora-123\n-Dora-pw-456\n');
    expect(changed.code, changed.stderr).to.equal(0);
    const before = await world.chatctl('dora', 'login', 'dora', '-Dora-pw-456');
    expect([before.code, before.stderr]).to.deep.equal([
      2,
      'chatctl: "-Dora-pw-456" begins with "-", so it is read as options; to pass it as it is, put it after --; usage: chatctl login <username> [password]',
    ]);
    await expectOk(world.chatctl('dora', 'login', 'dora', '--', '-Dora-pw-456'));
    expect((await world.chatctl('dora', 'whoami')).stdout).to.match(/^dora on /);
  });

  it('exits a piped shell with the status of its first failed line, says a kick once, and knows `clear`', async () => {
    const failing = await chatctl(['shell'], world.as('alice'), 'clear\nsend nobody x\nfrends\nquit\n');
    expect(failing.code).to.equal(1);
    expect(failing.stderr.split('\n')).to.deep.equal(['chatctl: there is no user called nobody', 'chatctl: unknown command "frends"; did you mean "friends"? (help lists them)']);
    const fine = await chatctl(['shell'], world.as('alice'), 'clear\nwhoami\nquit\n');
    expect([fine.code, fine.stderr]).to.deep.equal([0, '']);

    const shell = run(['shell'], world.as('bob'));
    await shell.stdout.waitFor(/^connected to /);
    await expectOk(chatctl(['login', 'bob', 'pw-bob-123'], world.as('bob-elsewhere')));
    expect(await shell.exited()).to.equal(4);
    const said = [...shell.stdout.seen, ...shell.stderr.seen].filter((line) => line.includes('disconnected'));
    expect(said).to.have.length(1);
  });
});
