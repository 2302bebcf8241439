/**
 * `npm run schema`: writes playbooks/schema.json (for editors) from the playbook schema that
 * src/playbooks/playbook-schema.ts builds out of the API table and the cluster steps, and
 * playbooks/REFERENCE.md (src/playbooks/reference.ts) from the same schema.
 */
import { writeFileSync } from 'node:fs';
import { playbookSchemaText } from '../src/playbooks/playbook-schema.ts';
import { playbookReference } from '../src/playbooks/reference.ts';
import { PLAYBOOK_REFERENCE_FILE, PLAYBOOK_SCHEMA_FILE } from '../src/playbooks/schema.ts';

writeFileSync(PLAYBOOK_SCHEMA_FILE, playbookSchemaText());
process.stdout.write(`wrote ${PLAYBOOK_SCHEMA_FILE}\n`);
writeFileSync(PLAYBOOK_REFERENCE_FILE, playbookReference());
process.stdout.write(`wrote ${PLAYBOOK_REFERENCE_FILE}\n`);
