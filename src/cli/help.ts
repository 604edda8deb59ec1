import type { Command, Help, Option } from 'commander';

/**
 * One form of `--help` for every command: required flags say "required", defaults and choices are
 * printed as a user would type them (`entropy`, not `["entropy"]`), and each command ends with an
 * "Examples:" section built from its `examples`.
 */
export const HELP_CONFIG: Partial<Help> = {
  optionDescription(option: Option): string {
    const extra: string[] = [];
    if (option.mandatory) extra.push('required');
    if (option.argChoices) extra.push(`one of: ${option.argChoices.join(', ')}`);
    const shown = option.defaultValueDescription ?? (option.defaultValue !== undefined && (option.required || option.optional) ? formatDefault(option.defaultValue) : undefined);
    if (shown !== undefined && shown !== '') extra.push(`default: ${shown}`);
    return extra.length === 0 ? option.description : `${option.description} (${extra.join('; ')})`;
  },
};

/** A default as typed on the command line: lists comma-separated, sizes as HxW, strings unquoted. */
export function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatDefault).join(',');
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o['height'] === 'number' && typeof o['width'] === 'number') return `${o['height']}x${o['width']}`;
    return JSON.stringify(value);
  }
  return String(value);
}

/** The "Examples:" section every command's help ends with (an entry may run over several lines). */
export function examplesText(examples: readonly string[]): string {
  return ['', 'Examples:', ...examples.flatMap((e) => e.split('\n').map((line, i) => `  ${i === 0 ? '' : '  '}${line}`))].join('\n');
}

/** Adds the examples section to a registered command's help. */
export function addExamples(command: Command, examples: readonly string[]): void {
  command.addHelpText('after', examplesText(examples));
}
