import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './env.schema';

// Every variable the API reads must be listed with its default in .env.example and README.md.
describe('environment documentation', () => {
  const root = join(__dirname, '../../../..');
  const envExample = readFileSync(join(root, '.env.example'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const exampleNames = [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);

  it.each(Object.keys(envSchema.shape))('%s is in .env.example', (name) => {
    expect(exampleNames).toContain(name);
  });

  it.each(exampleNames)('%s of .env.example is in the README table', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });
});
