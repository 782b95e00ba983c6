import { scenarioJsonSchema } from '../scenario/scenario-schema.ts';

/**
 * `ksim schema`: prints the JSON Schema of scenario files, for editors (the YAML language
 * server reads `# yaml-language-server: $schema=...` on a file's first line) and other tools.
 */
export function schemaCommand(out: (s: string) => void): number {
  out(JSON.stringify(scenarioJsonSchema(), null, 2));
  return 0;
}
