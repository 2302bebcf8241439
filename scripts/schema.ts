/**
 * `npm run schema`: writes playbooks/schema.json (for editors) from the playbook schema that
 * src/playbooks/playbook-schema.ts builds out of the API table and the cluster steps.
 */
import { writeFileSync } from 'node:fs';
import { playbookSchemaText } from '../src/playbooks/playbook-schema.ts';
import { PLAYBOOK_SCHEMA_FILE } from '../src/playbooks/schema.ts';

writeFileSync(PLAYBOOK_SCHEMA_FILE, playbookSchemaText());
process.stdout.write(`wrote ${PLAYBOOK_SCHEMA_FILE}\n`);
