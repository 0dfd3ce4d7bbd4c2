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

// The April 2025 fields, then today's (release 1.2), in canonical order.
const FIELDS = [
  'batch_id', 'reference_id', 'target', 'request_variables', 'request_status',
  'call_manager_sid', 'created_at', 'sent_at', 'attempt_count', 'session_id',
  'conversation_id', 'channel_manager_status', 'insights_status', 'insights',
  'line_type', 'enrichment'
]
// One field under two keys, the April name and today's; a value remembers which.
const SID_KEYS = ['call_manager_sid', 'channel_manager_sid']

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

// attempt_count, session_id and conversation_id are read from the digits of
// the canonical text, so that a 64-bit id never goes through a double: a
// scan of the top level of the object (request_variables, insights and
// enrichment may hold keys of the same names) that returns the text of each
// top-level number or null.
function topLevelScalars (text) {
  const out = {}
  const n = text.length
  let depth = 0
  let key = null
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34) { // a string: find its closing quote (one not escaped)
      let j = i + 1
      for (;;) {
        j = text.indexOf('"', j)
        if (j < 0) return out
        let k = j - 1
        while (text.charCodeAt(k) === 92) k--
        if ((j - 1 - k) % 2 === 0) break
        j++
      }
      if (depth === 1 && key === null) key = text.slice(i + 1, j)
      i = j + 1
    } else if (c === 123 || c === 91) { // { [
      depth++
      i++
    } else if (c === 125 || c === 93) { // } ]
      depth--
      i++
    } else if (c === 44) { // ,
      if (depth === 1) key = null
      i++
    } else if (c === 58 && depth === 1) { // : after a top-level key
      let j = ++i
      const v = text.charCodeAt(j)
      if (v === 45 || (v >= 48 && v <= 57) || v === 110) { // a number or null
        while (j < n && text.charCodeAt(j) !== 44 && text.charCodeAt(j) !== 125) j++
        out[key] = text.slice(i, j)
        i = j
      }
    } else {
      i++
    }
  }
  return out
}

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
    const raw = topLevelScalars(text)
    const digits = /^-?\d+$/
    if (!digits.test(raw.attempt_count) || (hasSession && !digits.test(raw.session_id)) ||
        (hasConversation && !digits.test(raw.conversation_id))) {
      throw new TypeError('comm_result: not in canonical form: ' + text.slice(0, 64))
    }
    obj.attempt_count = Number(raw.attempt_count)
    if (hasSession) obj.session_id = convertInt64(raw.session_id, o.int64)
    if (hasConversation) obj.conversation_id = convertInt64(raw.conversation_id, o.int64)
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

/* ----------------------------------------------------------------- binary */

// The binary format (main README "Binary format"; src/cr_binary.c): version 1
// for a value of April fields with the April sid key, version 2 otherwise.
// The statuses by code, the status byte (src/comm_status.h): codes are
// permanent, a new status is appended. 0 to 8 since 1.0; CALL_COMPLETED, SENT
// and UNSUBSCRIBED, which the API sent for a while, since 1.3. comm_status
// sorts by code, on the server.
const STATUSES = Object.freeze(['PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED', 'COMPLETED',
  'FAILED', 'CANCELED', 'INVALID', 'SKIPPED', 'CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED'])
const F = {
  STATUS: 0x0001,
  CREATED: 0x0004,
  SENT: 0x0008,
  SENT_NULL: 0x0010,
  SID: 0x0020,
  SID_NULL: 0x0040,
  SESSION: 0x0080,
  SESSION_NULL: 0x0100,
  CONV: 0x0200,
  CONV_NULL: 0x0400
}
const F_KNOWN = 0x07FF & ~0x0002 // 0x0002 exists only in the stored form
const G_CHANNEL_SID = 0x0001 // flags2: the sid is spelled channel_manager_sid
// Today's nullable fields in wire order: key, kind, flags2 bit present, bit null.
const NEW_FIELDS = [
  ['channel_manager_status', 'string', 0x0002, 0x0004],
  ['insights_status', 'string', 0x0008, 0x0010],
  ['insights', 'object', 0x0020, 0x0040],
  ['line_type', 'string', 0x0080, 0x0100],
  ['enrichment', 'object', 0x0200, 0x0400]
]
const G_KNOWN = 0x07FF
const FIXED1 = 1 + 2 + 1 + 4 + 4 * 8
const FIXED2 = FIXED1 + 2
const USEC_PER_DAY = 86400000000n
const INT32_MAX = 2147483647
const INT64_MAX = 9223372036854775807n

/** What the binary writer refuses itself: `code` is the SQLSTATE the server gives the same mistake in text input. */
class CommResultInputError extends TypeError {
  constructor (message, code) {
    super(message)
    this.name = 'CommResultInputError'
    this.code = code
  }
}

/** What the binary reader cannot read: code 22P03, as the server's receive says. */
class CommResultBinaryError extends TypeError {
  constructor (detail) {
    super('comm_result: invalid binary data: ' + detail)
    this.name = 'CommResultBinaryError'
    this.code = '22P03'
  }
}

// Days from 2000-01-01 to a proleptic Gregorian date, and back (year 0 included).
function daysFromCivil (y, m, d) {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 730425
}

function civilFromDays (days) {
  const z = days + 730425 // days since 0000-03-01
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

const pad = (n, w) => String(n).padStart(w, '0')

/** Microseconds since 2000-01-01 UTC (a BigInt) -> the canonical text the server prints. */
function formatMicros (us) {
  let days = us / USEC_PER_DAY
  let rest = us % USEC_PER_DAY
  if (rest < 0n) {
    rest += USEC_PER_DAY
    days -= 1n
  }
  const [y, m, d] = civilFromDays(Number(days))
  const secs = Number(rest / 1000000n)
  const frac = Number(rest % 1000000n)
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}` +
    (frac ? `.${pad(frac, 6)}Z` : 'Z')
}

// The server's input rule (src/cr_timestamp.c): RFC 3339, T and Z in either
// case, a fraction of any length, a zone required.
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))$/
const MDAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** RFC 3339 text -> microseconds since 2000-01-01 UTC (a BigInt), exactly as the server reads it. */
function parseTimestamp (text, field = 'timestamp') {
  const m = RFC3339.exec(text)
  if (!m) throw new CommResultInputError(`comm_result field "${field}" is not an RFC 3339 timestamp with a zone: ${text}`, '22007')
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number)
  const frac = m[7] || ''
  // Round half up at the seventh digit, like the server.
  const usec = Number((frac + '00000').slice(0, 6)) + (frac.length > 6 && frac[6] >= '5' ? 1 : 0)
  let offset = 0
  const range = () => new CommResultInputError(`comm_result field "${field}" has a date or time field out of range: ${text}`, '22008')
  if (m[8]) {
    const oh = Number(m[9])
    const om = Number(m[10])
    if (oh > 23 || om > 59) throw range()
    offset = (oh * 60 + om) * 60 * (m[8] === '-' ? -1 : 1)
  }
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= MDAYS[mo - 1] + leap && h <= 23 && mi <= 59 && sec <= 60)) throw range()
  const secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset
  return BigInt(secs) * 1000000n + BigInt(usec)
}

function badBinary (detail) {
  return new CommResultBinaryError(detail)
}

function parseObject (text, field, o) {
  const v = (o.parseJson || JSON.parse)(text)
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badBinary(`${field} is not a JSON object`)
  return v
}

/**
 * Parse the binary form of one comm_result (what comm_result_send returns:
 * version 1 or 2) into the same object as parseCommResult gives for its text.
 * @param {Buffer|Uint8Array} data
 * @param {import('./index').ParseOptions} [options]
 */
function parseCommResultBinary (data, options) {
  return parseBinaryWith(data, checkOptions(options))
}

function parseBinaryWith (data, o) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data)
  if (buf.length === 0) throw badBinary('the data is empty')
  const version = buf[0]
  if (version !== 1 && version !== 2) throw badBinary(`binary format version ${version} is not supported; this client reads versions 1 and 2`)
  const fixed = version === 1 ? FIXED1 : FIXED2
  if (buf.length < fixed) throw badBinary('the data ends inside the fixed-size fields')
  const flags = buf.readUInt16BE(1)
  const status = buf[3]
  const attempts = buf.readInt32BE(4)
  const created = buf.readBigInt64BE(8)
  const sent = buf.readBigInt64BE(16)
  const session = buf.readBigInt64BE(24)
  const conv = buf.readBigInt64BE(32)
  const flags2 = version === 2 ? buf.readUInt16BE(40) : 0
  if (flags & ~F_KNOWN) throw badBinary(`flags 0x${pad(flags.toString(16), 4)} have unknown bits set`)
  if (version === 2 && !flags2) throw badBinary('version 2 data has no flags2 bit set; version 1 carries such a value')
  if (flags2 & ~G_KNOWN) throw badBinary(`flags2 0x${pad(flags2.toString(16), 4)} have unknown bits set`)
  if ((flags & F.STATUS) && status >= STATUSES.length) throw badBinary(`status code ${status} is out of range`)
  if (NEW_FIELDS.some(([, , bit, nul]) => (flags2 & bit) && (flags2 & nul))) {
    throw badBinary(`flags2 0x${pad(flags2.toString(16), 4)} mark a field both present and null`)
  }
  if ((flags2 & G_CHANNEL_SID) && !(flags & (F.SID | F.SID_NULL))) throw badBinary('flags2 spell a call_manager_sid that the value does not have')
  // The strings; the optional ones (length -1 unless a string) with whether
  // their flag says they are there.
  const names = ['batch_id', 'reference_id', 'target', 'call_manager_sid', 'request_variables']
  const optional = { call_manager_sid: (flags & F.SID) !== 0 }
  if (version === 2) {
    for (const [key, , bit] of NEW_FIELDS) {
      names.push(key)
      optional[key] = (flags2 & bit) !== 0
    }
  }
  let pos = fixed
  const strings = []
  for (const name of names) {
    if (buf.length - pos < 4) throw badBinary(`the data ends before the length of ${name}`)
    const n = buf.readInt32BE(pos)
    pos += 4
    const isOptional = name in optional
    if (isOptional && (n === -1) === optional[name]) throw badBinary(`${name} disagrees with its flag`)
    if (n === -1 && isOptional) {
      strings.push(null)
      continue
    }
    if (n < 0 || n > buf.length - pos) throw badBinary(`the length of ${name}, ${n}, runs past the end of the data`)
    strings.push(buf.toString('utf8', pos, pos + n))
    pos += n
  }
  if (pos !== buf.length) throw badBinary(`${buf.length - pos} bytes follow the end of the value`)

  // The object in the canonical text's key order.
  const r = { batch_id: strings[0], reference_id: strings[1], target: strings[2] }
  r.request_variables = parseObject(strings[4], 'request_variables', o)
  if (flags & F.STATUS) r.request_status = STATUSES[status]
  if (flags & (F.SID | F.SID_NULL)) r[SID_KEYS[(flags2 & G_CHANNEL_SID) ? 1 : 0]] = strings[3]
  if (flags & F.CREATED) r.created_at = convertTimestamp(formatMicros(created), o.timestamps)
  if (flags & (F.SENT | F.SENT_NULL)) r.sent_at = (flags & F.SENT) ? convertTimestamp(formatMicros(sent), o.timestamps) : null
  r.attempt_count = attempts
  if (flags & (F.SESSION | F.SESSION_NULL)) r.session_id = (flags & F.SESSION) ? convertInt64(String(session), o.int64) : null
  if (flags & (F.CONV | F.CONV_NULL)) r.conversation_id = (flags & F.CONV) ? convertInt64(String(conv), o.int64) : null
  NEW_FIELDS.forEach(([key, kind, bit, nul], i) => {
    const text = strings[5 + i]
    if (flags2 & (bit | nul)) r[key] = text === null ? null : kind === 'string' ? text : parseObject(text, key, o)
  })
  return r
}

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined

function int64Field (obj, field, max) {
  const v = obj[field]
  let b
  if (typeof v === 'bigint') {
    b = v
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    if (!Number.isSafeInteger(v)) throw new CommResultInputError(`comm_result field "${field}" is not a safe integer (${v}): pass a BigInt`, '22P02')
    b = BigInt(v)
  } else {
    throw new CommResultInputError(`comm_result field "${field}" must be an integer`, '22P02')
  }
  if (b < 0n || b > max) throw new CommResultInputError(`comm_result field "${field}" is out of range: ${b}`, '22003')
  return b
}

function timestampField (obj, field) {
  const v = obj[field]
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypeError('comm_result: an invalid Date cannot be written')
    return BigInt(v.getTime() - Date.UTC(2000, 0, 1)) * 1000n
  }
  if (typeof v === 'string') return parseTimestamp(v, field)
  throw new CommResultInputError(`comm_result field "${field}" must be a timestamp string or a Date`, '22P02')
}

function lengthPrefixed (text) {
  const b = Buffer.from(text, 'utf8')
  const len = Buffer.alloc(4)
  len.writeInt32BE(b.length)
  return [len, b]
}

const NO_STRING = Buffer.from([0xff, 0xff, 0xff, 0xff])

/**
 * The binary form of an object, byte for byte what comm_result_send writes
 * for the same value once the server has canonicalised it (and what
 * comm_result_recv reads): version 1 for April fields with the
 * call_manager_sid key, version 2 with channel_manager_sid or any of
 * today's fields (present or null). Refuses, with a CommResultInputError
 * carrying the SQLSTATE, what the format cannot carry; the server checks
 * the rest as for text input. Strings are UTF-8 (the client encoding pg
 * uses).
 * @param {object} obj
 * @returns {Buffer}
 */
function toCommResultBinary (obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Date) {
    throw new TypeError('comm_result: commResultBinary() takes an object shaped like the API\'s JSON')
  }
  for (const key of Object.keys(obj)) {
    if (obj[key] !== undefined && !FIELDS.includes(key) && key !== SID_KEYS[1]) {
      throw new CommResultInputError(`unknown comm_result field "${key}"`, '22P02')
    }
  }
  if (has(obj, SID_KEYS[0]) && has(obj, SID_KEYS[1])) {
    throw new CommResultInputError(`comm_result field "${SID_KEYS[0]}" is given under both of its names: the object has both "${SID_KEYS[0]}" and "${SID_KEYS[1]}", which are one field`, '22P02')
  }
  for (const key of ['batch_id', 'reference_id', 'target', 'request_variables']) {
    const v = obj[key]
    if (v === undefined || v === null) throw new CommResultInputError(`comm_result field "${key}" is missing`, '22P02')
    const ok = key === 'request_variables' ? typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) : typeof v === 'string'
    if (!ok) throw new CommResultInputError(`comm_result field "${key}" must be ${key === 'request_variables' ? 'an object' : 'a string'}`, '22P02')
  }
  let flags = 0
  let flags2 = 0
  let status = 0
  let attempts = 0
  let created = 0n
  let sent = 0n
  let session = 0n
  let conv = 0n
  // request_status, created_at and attempt_count are not nullable: null is absent.
  if (obj.request_status != null) {
    status = STATUSES.indexOf(obj.request_status)
    if (status < 0) throw new CommResultInputError(`comm_result field "request_status" has an unknown status: ${String(obj.request_status)}`, '22P02')
    flags |= F.STATUS
  }
  if (obj.attempt_count != null) attempts = Number(int64Field(obj, 'attempt_count', BigInt(INT32_MAX)))
  if (obj.created_at != null) {
    flags |= F.CREATED
    created = timestampField(obj, 'created_at')
  }
  // The nullable ones: absent, null and present are three states.
  if (has(obj, 'sent_at')) {
    if (obj.sent_at === null) {
      flags |= F.SENT_NULL
    } else {
      flags |= F.SENT
      sent = timestampField(obj, 'sent_at')
    }
  }
  if (has(obj, 'session_id')) {
    if (obj.session_id === null) flags |= F.SESSION_NULL
    else { flags |= F.SESSION; session = int64Field(obj, 'session_id', INT64_MAX) }
  }
  if (has(obj, 'conversation_id')) {
    if (obj.conversation_id === null) flags |= F.CONV_NULL
    else { flags |= F.CONV; conv = int64Field(obj, 'conversation_id', INT64_MAX) }
  }
  const sidKey = has(obj, SID_KEYS[1]) ? SID_KEYS[1] : SID_KEYS[0]
  const sid = obj[sidKey]
  if (has(obj, sidKey)) {
    if (sid !== null && typeof sid !== 'string') throw new CommResultInputError(`comm_result field "${sidKey}" must be a string or null`, '22P02')
    flags |= sid === null ? F.SID_NULL : F.SID
    if (sidKey === SID_KEYS[1]) flags2 |= G_CHANNEL_SID
  }
  const tail = []
  for (const [key, kind, bit, nul] of NEW_FIELDS) {
    const v = obj[key]
    if (v === undefined || v === null) {
      if (v === null) flags2 |= nul
      tail.push(NO_STRING)
      continue
    }
    const ok = kind === 'string' ? typeof v === 'string' : typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
    if (!ok) throw new CommResultInputError(`comm_result field "${key}" must be ${kind === 'string' ? 'a string' : 'an object'} or null`, '22P02')
    flags2 |= bit
    tail.push(...lengthPrefixed(kind === 'string' ? v : serialize(v, [])))
  }
  const head = Buffer.alloc(flags2 ? FIXED2 : FIXED1)
  head.writeUInt8(flags2 ? 2 : 1, 0)
  head.writeUInt16BE(flags, 1)
  head.writeUInt8(status, 3)
  head.writeInt32BE(attempts, 4)
  head.writeBigInt64BE(created, 8)
  head.writeBigInt64BE(sent, 16)
  head.writeBigInt64BE(session, 24)
  head.writeBigInt64BE(conv, 32)
  if (flags2) head.writeUInt16BE(flags2, 40)
  return Buffer.concat([
    head,
    ...lengthPrefixed(obj.batch_id),
    ...lengthPrefixed(obj.reference_id),
    ...lengthPrefixed(obj.target),
    ...(flags & F.SID ? lengthPrefixed(sid) : [NO_STRING]),
    ...lengthPrefixed(serialize(obj.request_variables, [])),
    ...(flags2 ? tail : [])
  ])
}

/**
 * Wrap an object as a query parameter sent in binary format
 * (`$1::comm_result`; pg sends a Buffer parameter as binary). Not for
 * array parameters: pg writes array elements as text.
 * @param {object} obj
 */
function commResultBinary (obj) {
  const bytes = toCommResultBinary(obj) // fail early on what cannot be written
  return {
    value: obj,
    toPostgres () { return bytes },
    toJSON () { return obj }
  }
}

/* ------------------------------------------------- loading a response */

// The statements of examples/load_checked.sql, word for word, with the table
// and index names, the body and the batch id as placeholders (a test
// compares them with the recipe). The body goes as its UTF-8 bytes, one
// bytea parameter, and the server decodes them (convert_from where the
// recipe has its text parameter): the same statement as the Python client's.
const DDL = [
  'CREATE TABLE IF NOT EXISTS {results} (r comm_result NOT NULL)',
  'CREATE UNIQUE INDEX IF NOT EXISTS {results_key} ON {results} ((batch_id(r)), (reference_id(r)))',
  `CREATE TABLE IF NOT EXISTS {results_rejects} (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    text NOT NULL,
    ordinal     integer NOT NULL,
    errors      jsonb NOT NULL,
    element     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)`,
  'CREATE UNIQUE INDEX IF NOT EXISTS {results_rejects_once} ON {results_rejects} (batch_id, md5(element))'
]
const LOAD = `WITH checked AS MATERIALIZED (
    SELECT * FROM comm_results_checked({body}, {batch_id})
), kept AS (
    INSERT INTO {results_rejects} (batch_id, ordinal, errors, element)
    SELECT {batch_id}, ordinal, errors, element FROM checked WHERE result IS NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
), latest AS (
    SELECT comm_result_latest(result) AS r FROM checked WHERE result IS NOT NULL
    GROUP BY batch_id(result), reference_id(result)
), loaded AS (
    INSERT INTO {results} AS t (r) SELECT r FROM latest
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM latest) AS valid,
       (SELECT count(*) FROM loaded) AS loaded,
       (SELECT count(*) FROM checked WHERE result IS NULL) AS rejected,
       (SELECT count(*) FROM kept) AS new_rejects`
const REPLAY = `WITH now_valid AS MATERIALIZED (
    SELECT j.id, c.result
    FROM {results_rejects} j, comm_results_checked('[' || j.element || ']', j.batch_id) c
    WHERE c.result IS NOT NULL
), replayed AS (
    DELETE FROM {results_rejects} WHERE id IN (SELECT id FROM now_valid)
    RETURNING 1
), loaded AS (
    INSERT INTO {results} AS t (r)
    SELECT comm_result_latest(result) FROM now_valid
    GROUP BY batch_id(result), reference_id(result)
    ON CONFLICT ((batch_id(r)), (reference_id(r)))
    DO UPDATE SET r = comm_result_merge(t.r, excluded.r)
    WHERE comm_result_merge(t.r, excluded.r) <> t.r
    RETURNING 1
)
SELECT (SELECT count(*) FROM replayed) AS replayed,
       (SELECT count(*) FROM {results_rejects}) - (SELECT count(*) FROM replayed) AS still_rejected`
const PARAMS = { body: "convert_from($1, 'UTF8')", batch_id: '$2' }

const quoteIdent = (part) => '"' + part.replace(/"/g, '""') + '"'

/**
 * A table name as given -> its parts. A string is a name or "schema.name"
 * (one dot at most); an array of one or two strings is taken part for part
 * (for a name with a dot in it). Each part is quoted as an identifier: taken
 * as written, case, spaces and quotes included, never as SQL.
 */
function tableParts (name, option) {
  let parts
  if (typeof name === 'string') parts = name.split('.')
  else if (Array.isArray(name) && name.every((p) => typeof p === 'string')) parts = name.slice()
  else throw new TypeError(`comm_result: option "${option}" must be a string or a [schema, name] array, not ${String(name)}`)
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '' || p.includes('\0'))) {
    throw new TypeError(`comm_result: option "${option}" must be a name or a schema and a name, not empty and without zero characters: ${JSON.stringify(name)}`)
  }
  return parts
}

/** The names the statements use, quoted, for the options given. */
function tableNames (options) {
  const o = Object.assign({ table: 'results', rejectsTable: 'results_rejects' }, options || {})
  const results = tableParts(o.table, 'table')
  const rejects = tableParts(o.rejectsTable, 'rejectsTable')
  if (results.join('\0') === rejects.join('\0')) {
    throw new TypeError(`comm_result: options "table" and "rejectsTable" must be two tables: both are ${JSON.stringify(o.table)}`)
  }
  return {
    results: results.map(quoteIdent).join('.'),
    results_rejects: rejects.map(quoteIdent).join('.'),
    // in the table's schema, as CREATE INDEX puts them
    results_key: quoteIdent(results[results.length - 1] + '_key'),
    results_rejects_once: quoteIdent(rejects[rejects.length - 1] + '_once')
  }
}

const fill = (template, names) => template.replace(/\{(\w+)\}/g, (_, key) => names[key])

function queryable (client) {
  if (!client || typeof client.query !== 'function') {
    throw new TypeError('comm_result: a pg.Client, a pooled client or a pg.Pool is needed')
  }
  return client
}

/**
 * Create the recipe's two tables and their unique indexes if missing: one
 * query of four statements, which the server runs as one transaction.
 * @param {import('./index').Queryable} client
 * @param {import('./index').LoadOptions} [options]
 */
async function ensureTables (client, options) {
  const names = tableNames(options)
  await queryable(client).query(DDL.map((ddl) => fill(ddl, names)).join(';\n'))
}

// A lone surrogate has no UTF-8 form (Buffer.from would make it U+FFFD).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Load one response of the results endpoint, losing nothing, in one
 * statement (examples/load_checked.sql's load_response).
 * @param {import('./index').Queryable} client
 * @param {string|Buffer|Uint8Array} body the response as received (bytes are UTF-8)
 * @param {string} batchId the batch id of the request's URL
 * @param {import('./index').LoadOptions} [options]
 * @returns {Promise<import('./index').LoadCounts>}
 */
async function loadResponse (client, body, batchId, options) {
  let data
  if (typeof body === 'string') {
    const m = LONE_SURROGATE.exec(body)
    if (m) {
      throw new CommResultInputError(`comm_result: the response body has a lone surrogate, which UTF-8 cannot carry: U+${m[0].charCodeAt(0).toString(16).toUpperCase()} at index ${m.index}`, '22021')
    }
    data = Buffer.from(body, 'utf8')
  } else if (body instanceof Uint8Array) { // a Buffer too
    data = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  } else {
    throw new TypeError(`comm_result: the response body must be a string or a Buffer, as received, not ${body === null ? 'null' : typeof body}`)
  }
  if (typeof batchId !== 'string') throw new TypeError(`comm_result: the batch id must be a string, not ${batchId === null ? 'null' : typeof batchId}`)
  const text = fill(LOAD, { ...tableNames(options), ...PARAMS })
  const { rows } = await queryable(client).query({ text, values: [data, batchId], rowMode: 'array' })
  const [valid, loaded, rejected, newRejects] = rows[0].map(Number)
  return { valid, loaded, unchanged: valid - loaded, rejected, newRejects }
}

/**
 * Move the rejects that are valid now into the results table; the others
 * stay. One statement (examples/load_checked.sql's replay_rejects).
 * @param {import('./index').Queryable} client
 * @param {import('./index').LoadOptions} [options]
 * @returns {Promise<import('./index').ReplayCounts>}
 */
async function replayRejects (client, options) {
  const text = fill(REPLAY, tableNames(options))
  const { rows } = await queryable(client).query({ text, rowMode: 'array' })
  const [replayed, stillRejected] = rows[0].map(Number)
  return { replayed, stillRejected }
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
  CommResultInputError,
  CommResultBinaryError,
  commResultBinary,
  toCommResultBinary,
  parseCommResultBinary,
  parseTimestamp,
  FIELDS,
  SID_KEYS,
  STATUSES,
  loadResponse,
  ensureTables,
  replayRejects
}
