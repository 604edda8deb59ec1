import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';

// The CLI's habits (issue 13), checked on every command in COMMANDS: a new command that forgets one fails here.
/** Model readers without --dims, each with the reason. */
const NO_DIMS: Record<string, string> = {
  eval: 'frames are made at the task input size (--size or the model\'s tandem.preprocess metadata); the targets are opened by path (a model or a plan)',
};

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
const program = buildProgram(createContext(quiet), quiet);

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('CLI habits, every command', () => {
  it('every COMMANDS entry is registered under its name', () => {
    assert.deepEqual(program.commands.map((c) => c.name()).sort(), COMMANDS.map((c) => c.name).sort());
  });

  for (const spec of COMMANDS) {
    const command = program.commands.find((c) => c.name() === spec.name)!;
    const flags = command.options.map((o) => o.long);
    it(`${spec.name}: --json`, () => assert.ok(flags.includes('--json'), `${spec.name} has no --json`));
    if (spec.writes) {
      it(`${spec.name}: writes, so takes -o, --out`, () => {
        const out = command.options.find((o) => o.long === '--out');
        assert.ok(out, `${spec.name} writes files but has no --out`);
        assert.equal(out.short, '-o', `${spec.name}'s --out has no -o`);
      });
    } else {
      it(`${spec.name}: writes nothing, so has no --out`, () => assert.ok(!flags.includes('--out')));
    }
    if (spec.readsModel && NO_DIMS[spec.name] === undefined) it(`${spec.name}: reads a model, so takes --dims`, () => assert.ok(flags.includes('--dims'), `${spec.name} reads a model but has no --dims`));
    it(`${spec.name}: a model argument means readsModel`, () => {
      const modelArg = command.registeredArguments.some((a) => /model/.test(a.name()) || /ONNX model/i.test(a.description));
      if (modelArg) assert.ok(spec.readsModel, `${spec.name} takes a model argument but does not declare readsModel`);
    });
    it(`${spec.name}: --help in the one form`, () => {
      const help = helpOf(command);
      const helper = command.createHelp();
      const described = command.options.map((o) => helper.optionDescription(o)).join('\n');
      assert.match(help, /\nExamples:\n {2}tandem /, 'an "Examples:" section whose first line is a tandem command');
      for (const e of spec.examples) assert.ok(e.split('\n')[0]!.startsWith('tandem ') || e.startsWith('trtexec '), `example ${e}`);
      assert.doesNotMatch(described, /default: \[/, 'no default printed as a JSON array');
      assert.doesNotMatch(described, /default: "/, 'no default printed as a quoted string');
      assert.doesNotMatch(described, /default: \{/, 'no default printed as a JSON object');
      assert.doesNotMatch(described, /\(default \w/, 'defaults in one form: "(default: x)"');
      for (const o of command.options.filter((x) => x.mandatory)) assert.match(helper.optionDescription(o), /\brequired\b/, `${o.long} is marked required`);
    });
  }
});
