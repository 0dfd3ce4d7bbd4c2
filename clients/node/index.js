'use strict'
/**
 * node-postgres (`pg`) support for the comm_result PostgreSQL extension.
 *
 * - register(client, options): look up the extension's type OIDs on a
 *   connected client and install parsers on that client only;
 * - onConnect(options): the same as a pg.Pool `onConnect` hook, run for
 *   every new pooled connection (pg 8.20 / pg-pool 3.13 or later);
 * - loadTypes(target, options): a one-time look-up that returns a `types`
 *   object for `new pg.Client({ types })` or `new pg.Pool({ types })`;
 * - commResult(obj): wraps an object so that it can be sent as a query
 *   parameter (`$1::comm_result`).
 *
 * Nothing here changes pg's global type parsers (pg.types).
 */

const parseArray = require('postgres-array').parse

const EXTENSION = 'comm_result'

const FIELDS = [
  'batch_id', 'reference_id', 'target', 'request_variables', 'request_status',
  'call_manager_sid', 'created_at', 'sent_at', 'attempt_count', 'session_id',
  'conversation_id'
]

const TIMESTAMP_MODES = ['string', 'date']
const INT64_MODES = ['number', 'bigint', 'string']

/** Raised by register(), onConnect() and loadTypes() when the extension is missing. */
class CommResultExtensionError extends Error {
  constructor (message, props) {
    super(message)
    this.name = 'CommResultExtensionError'
    this.code = 'COMM_RESULT_NOT_INSTALLED'
    Object.assign(this, props)
  }
}

function checkOptions (options) {
  const o = Object.assign({ timestamps: 'string', int64: 'number' }, options || {})
  if (typeof o.timestamps !== 'function' && !TIMESTAMP_MODES.includes(o.timestamps)) {
    throw new TypeError(`comm_result: option "timestamps" must be ${TIMESTAMP_MODES.map((m) => `'${m}'`).join(' or ')} or a function, not ${String(o.timestamps)}`)
  }
  if (!INT64_MODES.includes(o.int64)) {
    throw new TypeError(`comm_result: option "int64" must be ${INT64_MODES.map((m) => `'${m}'`).join(', ')}, not ${String(o.int64)}`)
  }
  if (o.parseJson !== undefined && typeof o.parseJson !== 'function') {
    throw new TypeError('comm_result: option "parseJson" must be a function')
  }
  return o
}

// The canonical text ends with attempt_count (always printed), then
// session_id and conversation_id when present, each a bare integer or null:
// the digits are read from there, so that a 64-bit id never goes through a
// double.
const TAIL = /^"attempt_count":(-?\d+)(?:,"session_id":(-?\d+|null))?(?:,"conversation_id":(-?\d+|null))?}$/

function convertInt64 (digits, mode) {
  if (mode === 'string') return digits
  if (mode === 'bigint') return BigInt(digits)
  const n = Number(digits)
  return Number.isSafeInteger(n) ? n : BigInt(digits)
}

function convertTimestamp (iso, mode) {
  if (mode === 'string') return iso
  // A Date holds milliseconds: the fraction is cut to three digits here
  // (truncated, as pg's own timestamptz parser does) rather than left to the
  // engine's lenient parsing of longer fractions.
  if (mode === 'date') return new Date(iso.replace(/(\.\d{3})\d+/, '$1'))
  return mode(iso)
}

/**
 * Parse the canonical text of one comm_result into an object shaped like
 * the API's JSON.
 * @param {string} text
 * @param {import('./index').ParseOptions} [options]
 */
function parseCommResult (text, options) {
  return parseWith(text, checkOptions(options))
}

function parseWith (text, o) {
  const obj = (o.parseJson || JSON.parse)(text)
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TypeError('comm_result: expected a JSON object, got ' + text.slice(0, 64))
  }
  if (obj.created_at != null && typeof obj.created_at === 'string') {
    obj.created_at = convertTimestamp(obj.created_at, o.timestamps)
  }
  if (obj.sent_at != null && typeof obj.sent_at === 'string') {
    obj.sent_at = convertTimestamp(obj.sent_at, o.timestamps)
  }
  const hasSession = obj.session_id != null
  const hasConversation = obj.conversation_id != null
  if (hasSession || hasConversation || typeof obj.attempt_count !== 'number') {
    const at = text.lastIndexOf('"attempt_count":')
    const m = at < 0 ? null : TAIL.exec(text.slice(at))
    if (!m) throw new TypeError('comm_result: not in canonical form: ' + text.slice(0, 64))
    obj.attempt_count = Number(m[1])
    if (hasSession) obj.session_id = convertInt64(m[2], o.int64)
    if (hasConversation) obj.conversation_id = convertInt64(m[3], o.int64)
  }
  return obj
}

function makeParsers (options) {
  const o = checkOptions(options)
  const commResult = (text) => parseWith(text, o)
  const commStatus = (text) => text
  return {
    comm_result: commResult,
    comm_status: commStatus,
    comm_result_array: (text) => parseArray(text, commResult),
    comm_status_array: (text) => parseArray(text, commStatus)
  }
}

const LOOKUP_SQL = `
SELECT e.extversion AS version, n.nspname AS schema,
       r.oid::int8 AS comm_result, r.typarray::int8 AS comm_result_array,
       s.oid::int8 AS comm_status, s.typarray::int8 AS comm_status_array,
       pg_catalog.current_database() AS database
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_catalog.pg_type r ON r.typnamespace = e.extnamespace AND r.typname = 'comm_result'
LEFT JOIN pg_catalog.pg_type s ON s.typnamespace = e.extnamespace AND s.typname = 'comm_status'
WHERE e.extname = $1`

/**
 * Look up the extension's schema and type OIDs through anything with a
 * promise-returning query() (a connected pg.Client, a pg.Pool, a PoolClient).
 * @returns {Promise<import('./index').CommResultInfo>}
 */
async function lookup (queryable) {
  // Bypass the parsers of whatever asks: these columns are plain int8/text.
  const res = await queryable.query({ text: LOOKUP_SQL, values: [EXTENSION], rowMode: 'array' })
  const dbres = res.rows.length ? null : await queryable.query('SELECT pg_catalog.current_database()')
  if (!res.rows.length) {
    const db = dbres.rows[0].current_database
    throw new CommResultExtensionError(
      `comm_result: the extension "${EXTENSION}" is not installed in database "${db}"; ` +
      `run CREATE EXTENSION ${EXTENSION} there (in any schema) before registering the types`,
      { database: db })
  }
  const [version, schema, cr, crArray, cs, csArray, database] = res.rows[0]
  if (cr == null || cs == null) {
    throw new CommResultExtensionError(
      `comm_result: the extension "${EXTENSION}" is installed in schema "${schema}" of database "${database}" ` +
      'but its types comm_result and comm_status are not there',
      { database, schema })
  }
  return {
    version,
    schema,
    database,
    oids: {
      comm_result: Number(cr),
      comm_result_array: Number(crArray),
      comm_status: Number(cs),
      comm_status_array: Number(csArray)
    }
  }
}

function applyParsers (setter, oids, parsers) {
  for (const name of Object.keys(parsers)) {
    if (oids[name]) setter(oids[name], parsers[name])
  }
}

/**
 * Look up the types on a connected client and install the parsers on that
 * client only (client.setTypeParser).
 * @param {import('pg').ClientBase} client
 * @param {import('./index').ParseOptions} [options]
 */
async function register (client, options) {
  if (!client || typeof client.setTypeParser !== 'function') {
    throw new TypeError('comm_result: register() needs a pg.Client or a pooled client (for a pg.Pool use onConnect() or loadTypes())')
  }
  const parsers = makeParsers(options)
  const info = await lookup(client)
  applyParsers((oid, fn) => client.setTypeParser(oid, 'text', fn), info.oids, parsers)
  return info
}

/**
 * A pg.Pool `onConnect` hook: every new connection looks the types up and
 * gets the parsers before the pool hands it out; a failure (such as a
 * missing extension) rejects that pool.connect() / pool.query().
 * @param {import('./index').ParseOptions} [options]
 */
function onConnect (options) {
  makeParsers(options) // validate the options now, not at the first connection
  return (client) => register(client, options).then(() => undefined)
}

/**
 * One-time look-up: returns a `types` object (getTypeParser(oid, format))
 * for `new pg.Client({ types })` or `new pg.Pool({ types })`. The target is
 * a pg.Pool, a connected pg.Client, or a connection config (a temporary
 * client is opened and closed). Other types fall back to options.base, by
 * default pg.types.
 * @param {object} target
 * @param {import('./index').LoadTypesOptions} [options]
 */
async function loadTypes (target, options) {
  const parsers = makeParsers(options)
  const base = (options && options.base) || require('pg').types
  let info
  if (target && typeof target.query === 'function') {
    info = await lookup(target)
  } else {
    const pg = require('pg')
    const client = new pg.Client(target)
    await client.connect()
    try {
      info = await lookup(client)
    } finally {
      await client.end()
    }
  }
  const text = {}
  applyParsers((oid, fn) => { text[oid] = fn }, info.oids, parsers)
  return {
    info,
    getTypeParser (oid, format) {
      if ((format || 'text') === 'text' && text[oid]) return text[oid]
      return base.getTypeParser(oid, format)
    }
  }
}

/* ---------------------------------------------------------------- writing */

function serialize (value, stack) {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string': return JSON.stringify(value)
    case 'boolean': return value ? 'true' : 'false'
    case 'bigint': return value.toString()
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`comm_result: ${value} cannot be written as JSON`)
      return JSON.stringify(value)
    case 'object': break
    default: return undefined // undefined, functions, symbols: left out, as JSON.stringify does
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('comm_result: an invalid Date cannot be written')
    return JSON.stringify(value.toISOString())
  }
  if (typeof value.toJSON === 'function') return serialize(value.toJSON(), stack)
  if (stack.includes(value)) throw new TypeError('comm_result: circular structure')
  stack.push(value)
  let out
  if (Array.isArray(value)) {
    out = '[' + value.map((v) => { const s = serialize(v, stack); return s === undefined ? 'null' : s }).join(',') + ']'
  } else {
    const parts = []
    for (const key of Object.keys(value)) {
      const s = serialize(value[key], stack)
      if (s !== undefined) parts.push(JSON.stringify(key) + ':' + s)
    }
    out = '{' + parts.join(',') + '}'
  }
  stack.pop()
  return out
}

/**
 * The JSON text of an object for comm_result input: Dates become ISO
 * strings (millisecond precision), strings are kept exactly as they are,
 * BigInts are written as integers, undefined fields are left out (absent)
 * and null fields stay null.
 * @param {object} obj
 * @returns {string}
 */
function toCommResultText (obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Date) {
    throw new TypeError('comm_result: commResult() takes an object shaped like the API\'s JSON')
  }
  return serialize(obj, [])
}

/**
 * Wrap an object as a query parameter for `$1::comm_result` (also inside
 * arrays for `$1::comm_result[]`). The text is built when the query is sent.
 * @param {object} obj
 */
function commResult (obj) {
  toCommResultText(obj) // fail early on what cannot be written
  return {
    value: obj,
    toPostgres () { return toCommResultText(obj) },
    toJSON () { return obj }
  }
}

module.exports = {
  register,
  onConnect,
  loadTypes,
  lookup,
  commResult,
  toCommResultText,
  parseCommResult,
  makeParsers,
  CommResultExtensionError,
  FIELDS
}
