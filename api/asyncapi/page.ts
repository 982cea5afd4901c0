/**
 * The AsyncAPI document rendered as one HTML page (/asyncapi): every event with its subject, its
 * payload's fields and an example, then the schemas they share. Rendered on the server from the
 * same document, with no script, so the strict Content-Security-Policy holds and it works offline
 * (docs/adr/0044-event-catalog-and-asyncapi.md says why not the AsyncAPI React component).
 */
import { asyncApiDocument } from '.';

type Json = Record<string, unknown>;

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
const anchor = (name: string): string => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** A short, linked description of a schema's type: `string`, `array of GoodsReceipt`, `"accept" | "reject"`. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') return `<a href="#${anchor(refName(schema.$ref))}">${escape(refName(schema.$ref))}</a>`;
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return typeOf(schema.allOf[0] as Json);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(' | ');
  if ('const' in schema) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((value) => `<code>${escape(JSON.stringify(value))}</code>`).join(' | ');
  if (schema.type === 'array') return `array of ${typeOf(schema.items as Json | undefined)}`;
  if (schema.type === 'object' && schema.properties) return 'object (below)';
  return escape(schema.type ?? 'any');
}

function fieldsTable(schema: Json, prefix = ''): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(properties).flatMap(([name, property]) => {
    const row = `<tr><td><code>${escape(prefix + name)}</code></td><td>${typeOf(property)}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${escape(property.description ?? '')}</td></tr>`;
    const nested = property.type === 'object' && property.properties ? fieldsTable(property, `${prefix}${name}.`) : '';
    const items = property.items as Json | undefined;
    const nestedItems = property.type === 'array' && items?.type === 'object' && items.properties ? fieldsTable(items, `${prefix}${name}[].`) : '';
    return [row, nested, nestedItems];
  });
  return prefix === '' ? `<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : rows.join('');
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1d2330}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d6dae3;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f7}code{font-size:.9em}pre{background:#f6f8fa;padding:.75rem;overflow:auto;font-size:.85em}
section{border-top:1px solid #d6dae3;margin-top:1.5rem}h2{margin-top:2rem}.subject{color:#55607a}`;

let cached: string | undefined;

export function asyncApiPage(): string {
  if (cached) return cached;
  const document = asyncApiDocument();
  const info = document.info as Json;
  const channels = document.channels as Record<string, Json>;
  const components = document.components as { schemas: Record<string, Json>; messages: Record<string, Json> };
  const servers = Object.entries(document.servers as Record<string, Json>)
    .map(([name, server]) => `<li><strong>${escape(name)}</strong> (${escape(server.protocol)}): ${escape(server.description)}</li>`)
    .join('');
  const index = Object.entries(channels)
    .map(([type, channel]) => `<tr><td><a href="#${escape(type)}"><code>${escape(type)}</code></a></td><td><code>${escape(channel.address)}</code></td><td>${escape(components.messages[`${type}.v1`]?.summary ?? '')}</td></tr>`)
    .join('');
  const events = Object.entries(components.messages)
    .map(([key, message]) => {
      const type = String(message.name);
      const example = ((message.examples as Json[])[0] as Json).payload;
      return `<section id="${escape(type)}"><h3><code>${escape(type)}</code> <small>(${escape(key)})</small></h3>
<p>${escape(message.summary)}</p><p class="subject">NATS subject <code>${escape(channels[type]!.address)}</code>; webhook body <code>type</code> = <code>${escape(type)}</code>.</p>
<h4>Payload (<code>data</code>)</h4>${fieldsTable(components.schemas[key]!)}
<h4>Example delivery</h4><pre>${escape(JSON.stringify(example, null, 2))}</pre></section>`;
    })
    .join('\n');
  const messageKeys = new Set(Object.keys(components.messages).flatMap((key) => [key, `${key}.envelope`]));
  const shared = Object.entries(components.schemas)
    .filter(([name]) => !messageKeys.has(name))
    .map(([name, schema]) => `<section id="${anchor(name)}"><h3>${escape(name)}</h3><p>${escape(schema.description ?? '')}</p>${schema.properties ? fieldsTable(schema) : `<p>${typeOf(schema)}</p>`}</section>`)
    .join('\n');
  cached = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)}</title><style>${STYLE}</style></head>
<body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/v1/asyncapi.json">/v1/asyncapi.json</a> (AsyncAPI ${escape(document.asyncapi)}). Every delivery is
<code>{"id", "type", "timestamp", "poNumber", "data"}</code>; the tables below describe <code>data</code>.</p>
<h2>Servers</h2><ul>${servers}</ul>
<h2>Events</h2><table><thead><tr><th>Type</th><th>NATS subject</th><th>What happened</th></tr></thead><tbody>${index}</tbody></table>
${events}
<h2>Shared schemas</h2>
${shared}
</body></html>
`;
  return cached;
}
