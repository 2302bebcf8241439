/**
 * The live view's forms, read from the API table (src/runtime/api.ts): one form per method the
 * control socket allows, so a method added to the table is offered by the page with no UI code.
 * Field names follow the playbook step where the method is one (`send {from, to, amount}`,
 * `join {node, peer}`), else the parameter's own name; the widget follows the parameter's kind
 * (a slider for a probability, a file picker for a file to send, a download for a file written).
 */
import { API, type ApiMethod, type ApiParam, type Effect, type ParamKind } from '../runtime/api.ts';

export interface FormField {
  /** The form field's name (`to`, `amount`, `peer`, `drop`). */
  readonly name: string;
  /** The method parameter it sets. */
  readonly param: string;
  /** Set when the field is an option inside an options parameter (`opts.timeout` -> `timeout`). */
  readonly option?: string;
  readonly kind: ParamKind;
  readonly optional: boolean;
  readonly io?: 'read' | 'write';
  readonly description?: string;
  /** A value to start with (a file name to download as). */
  readonly initial?: string;
}

export interface FormSpec {
  readonly method: string;
  readonly group: ApiMethod['group'];
  readonly summary: string;
  readonly signature: string;
  readonly description: string;
  readonly effect: Effect;
  /** Asked in a dialog before the call. */
  readonly confirm?: string;
  /** The field that names the node making the call: `from` where the step says so, else `node`. */
  readonly caller: 'from' | 'node';
  readonly fields: readonly FormField[];
  /** The parameters the method requires (a required options object is sent even if empty). */
  readonly required: readonly string[];
  /** Whether the call answers with a file to download (a parameter is a file the method writes). */
  readonly download: boolean;
}

/** Methods the live view offers: exactly the control socket's allow-list. */
export const OFFERED: readonly ApiMethod[] = API.filter((m) => m.exposed.control);

/** Offered methods that change or probe something: the page's actions (none with --ui-readonly). */
export function isAction(m: Pick<ApiMethod, 'effect'>): boolean {
  return m.effect !== 'read';
}

export function formSpecs(): FormSpec[] {
  return OFFERED.map(formSpec);
}

export function formSpec(m: ApiMethod): FormSpec {
  const step = m.exposed.step;
  const caller = step?.caller === 'from' ? 'from' : 'node';
  const taken = new Set<string>([caller]);
  const unique = (want: string): string => {
    let name = want;
    for (let i = 2; taken.has(name); i++) name = `${want}${i}`;
    taken.add(name);
    return name;
  };
  const fields: FormField[] = [];
  for (const p of m.params) {
    if (p.kind === 'options' && p.options) {
      for (const o of p.options) fields.push(field(o, unique(o.name), p.name, o.name, m, p.optional === true));
    } else {
      fields.push(field(p, unique(step?.args[p.name] ?? p.name), p.name, undefined, m, false));
    }
  }
  return {
    method: m.name,
    group: m.group,
    summary: m.summary,
    signature: m.signature,
    description: m.description,
    effect: m.effect,
    ...(m.confirm ? { confirm: m.confirm } : {}),
    caller,
    fields,
    required: m.params.filter((p) => !p.optional).map((p) => p.name),
    download: m.params.some((p) => p.kind === 'path' && p.io === 'write'),
  };
}

function field(p: ApiParam, name: string, param: string, option: string | undefined, m: ApiMethod, inOptional: boolean): FormField {
  const description = typeof p.schema.description === 'string' ? p.schema.description : undefined;
  const initial = p.kind === 'path' && p.io === 'write' ? exampleString(m.example) : undefined;
  return {
    name,
    param,
    ...(option ? { option } : {}),
    kind: p.kind,
    optional: p.optional === true || inOptional,
    ...(p.io ? { io: p.io } : {}),
    ...(description ? { description } : {}),
    ...(initial ? { initial } : {}),
  };
}

/** The first quoted string of an example (`await node.exportCsv('ledger.csv')` -> `ledger.csv`). */
function exampleString(example: string): string | undefined {
  return /'([^']+)'/.exec(example)?.[1];
}
