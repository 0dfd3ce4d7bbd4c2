'use strict'
// Timestamps (microseconds against JS Date's milliseconds), 64-bit ids, and
// what commResult() writes.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect } = require('./helpers')

let db
const clients = []

async function registered (options) {
  const c = await connect(db)
  clients.push(c)
  await cr.register(c, options)
  return c
}

before(async () => {
  db = await createDatabase('values', 'CREATE EXTENSION comm_result')
})

after(async () => {
  for (const c of clients) await c.end()
  await dropDatabases()
})

const base = { batch_id: '20250117.9', reference_id: '12345', target: '+15125551234', request_variables: {} }

describe('timestamps', () => {
  it("default 'string': the canonical UTC text with every microsecond", async () => {
    const c = await registered()
    const { rows } = await c.query('SELECT $1::comm_result AS r, to_char(created_at($1::comm_result) AT TIME ZONE \'UTC\', \'US\') AS us',
      [cr.commResult({ ...base, created_at: '2025-01-17T10:00:00.1234565+01:00', sent_at: '2025-01-17T09:00:00.000001Z' })])
    assert.equal(rows[0].r.created_at, '2025-01-17T09:00:00.123457Z') // rounded half up by the server
    assert.equal(rows[0].r.sent_at, '2025-01-17T09:00:00.000001Z')
    assert.equal(rows[0].us, '123457')
  })

  it('a string read back and written again keeps its microseconds', async () => {
    const c = await registered()
    const first = (await c.query('SELECT $1::comm_result AS r', [cr.commResult({ ...base, created_at: '2025-01-17T09:00:00.999999Z' })])).rows[0].r
    const second = (await c.query('SELECT $1::comm_result AS r, $1::comm_result = $2::comm_result AS same',
      [cr.commResult(first), '{"batch_id":"20250117.9","reference_id":"12345","target":"+15125551234","request_variables":{},"created_at":"2025-01-17T09:00:00.999999Z"}'])).rows[0]
    assert.equal(second.r.created_at, '2025-01-17T09:00:00.999999Z')
    assert.equal(second.same, true)
  })

  it("'date': Date objects, truncated to the millisecond; null stays null", async () => {
    const c = await registered({ timestamps: 'date' })
    const { rows } = await c.query('SELECT $1::comm_result AS r',
      [cr.commResult({ ...base, created_at: '2025-01-17T09:00:00.123999Z', sent_at: null })])
    assert.ok(rows[0].r.created_at instanceof Date)
    assert.equal(rows[0].r.created_at.getTime(), Date.UTC(2025, 0, 17, 9, 0, 0, 123))
    assert.equal(rows[0].r.sent_at, null)
  })

  it("'date' covers the whole range of the type: years 0000 to 9999", async () => {
    const c = await registered({ timestamps: 'date' })
    const { rows } = await c.query('SELECT $1::comm_result AS r',
      [cr.commResult({ ...base, created_at: '0000-01-01T00:00:00Z', sent_at: '9999-12-31T23:59:59.999999Z' })])
    assert.equal(rows[0].r.created_at.toISOString(), '0000-01-01T00:00:00.000Z')
    assert.equal(rows[0].r.sent_at.toISOString(), '9999-12-31T23:59:59.999Z')
  })

  it("the trade-off of 'date': writing a parsed Date back loses the microseconds", async () => {
    const c = await registered({ timestamps: 'date' })
    const read = (await c.query('SELECT $1::comm_result AS r', [cr.commResult({ ...base, created_at: '2025-01-17T09:00:00.123456Z' })])).rows[0].r
    const { rows } = await c.query('SELECT ($1::comm_result)::text AS t', [cr.commResult(read)])
    assert.match(rows[0].t, /"created_at":"2025-01-17T09:00:00\.123000Z"/)
  })

  it('a function receives the canonical string', async () => {
    const seen = []
    const c = await registered({ timestamps: (iso) => { seen.push(iso); return { iso, micros: iso.match(/\.(\d{6})Z$/)?.[1] ?? '000000' } } })
    const { rows } = await c.query('SELECT $1::comm_result AS r', [cr.commResult({ ...base, created_at: '2025-01-17T09:00:00.000042Z', sent_at: '2025-01-17T09:00:01Z' })])
    assert.deepEqual(rows[0].r.created_at, { iso: '2025-01-17T09:00:00.000042Z', micros: '000042' })
    assert.deepEqual(rows[0].r.sent_at, { iso: '2025-01-17T09:00:01Z', micros: '000000' })
    assert.deepEqual(seen, ['2025-01-17T09:00:00.000042Z', '2025-01-17T09:00:01Z'])
  })

  it('a Date parameter is written as its ISO string, in UTC, whatever the local time zone', async () => {
    const c = await registered()
    const d = new Date(Date.UTC(2025, 0, 17, 9, 0, 0, 7))
    const tz = process.env.TZ
    process.env.TZ = 'Asia/Kolkata'
    let param
    try {
      assert.equal(d.getHours(), 14) // the local time zone is in effect
      param = cr.commResult({ ...base, created_at: d, request_variables: { when: d } })
      param.text = param.toPostgres()
    } finally {
      if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz
    }
    assert.match(param.text, /"created_at":"2025-01-17T09:00:00\.007Z"/)
    const { rows } = await c.query('SELECT $1::comm_result AS r', [param])
    assert.equal(rows[0].r.created_at, '2025-01-17T09:00:00.007000Z')
    assert.equal(rows[0].r.request_variables.when, '2025-01-17T09:00:00.007Z')
  })

  it('bad options are refused at registration', async () => {
    const c = await connect(db)
    clients.push(c)
    assert.throws(() => cr.onConnect({ timestamps: 'Date' }), TypeError)
    await assert.rejects(cr.register(c, { int64: 'numeric' }), TypeError)
  })
})

describe('64-bit ids', () => {
  const big = { ...base, session_id: 9007199254740993n, conversation_id: 9223372036854775807n }

  it("default 'number': numbers while safe, BigInt above Number.MAX_SAFE_INTEGER (never rounded)", async () => {
    const c = await registered()
    const { rows } = await c.query('SELECT $1::comm_result AS r, $2::comm_result AS small, session_id($1::comm_result)::text AS s',
      [cr.commResult(big), cr.commResult({ ...base, session_id: 9007199254740991, conversation_id: 0 })])
    assert.equal(rows[0].s, '9007199254740993')
    assert.equal(rows[0].r.session_id, 9007199254740993n)
    assert.equal(rows[0].r.conversation_id, 9223372036854775807n)
    assert.equal(rows[0].small.session_id, 9007199254740991)
    assert.equal(rows[0].small.conversation_id, 0)
  })

  it("'bigint' and 'string'", async () => {
    const b = await registered({ int64: 'bigint' })
    const s = await registered({ int64: 'string' })
    const params = [cr.commResult({ ...big, session_id: 5, conversation_id: null })]
    const rb = (await b.query('SELECT $1::comm_result AS r', params)).rows[0].r
    const rs = (await s.query('SELECT $1::comm_result AS r', params)).rows[0].r
    assert.equal(rb.session_id, 5n)
    assert.equal(rb.conversation_id, null)
    assert.equal(rs.session_id, '5')
    const rs2 = (await s.query('SELECT $1::comm_result AS r', [cr.commResult(big)])).rows[0].r
    assert.equal(rs2.conversation_id, '9223372036854775807')
    assert.equal(typeof rs2.attempt_count, 'number')
  })

  it('a string holding the digits is sent as a JSON string, which the type refuses', async () => {
    const c = await registered()
    await assert.rejects(c.query('SELECT $1::comm_result', [cr.commResult({ ...base, session_id: '5' })]), { code: '22P02' })
  })

  it('ids in request_variables that look like top-level fields do not confuse the parser', async () => {
    const c = await registered({ int64: 'string' })
    const tricky = { ...base, request_variables: { x: '"attempt_count":1,"session_id":2}', attempt_count: 3, session_id: 4 }, attempt_count: 5, session_id: 6 }
    const { rows } = await c.query('SELECT $1::comm_result AS r', [cr.commResult(tricky)])
    assert.deepEqual(rows[0].r, { ...tricky, session_id: '6' })
  })
})

describe('commResult() and toCommResultText()', () => {
  it('writes strings as they are, Dates as ISO strings, BigInts as integers, keeps null and drops undefined', () => {
    const text = cr.toCommResultText({
      ...base, created_at: '2025-01-17T10:00:00.1234565+01:00', sent_at: new Date(Date.UTC(2025, 0, 17)),
      session_id: 12345678901234567890n, conversation_id: null, call_manager_sid: undefined,
      request_variables: { list: [1, undefined, 'x'], d: new Date(0), skip: undefined, f: () => 1 }
    })
    assert.equal(text, '{"batch_id":"20250117.9","reference_id":"12345","target":"+15125551234",' +
      '"request_variables":{"list":[1,null,"x"],"d":"1970-01-01T00:00:00.000Z"},' +
      '"created_at":"2025-01-17T10:00:00.1234565+01:00","sent_at":"2025-01-17T00:00:00.000Z",' +
      '"session_id":12345678901234567890,"conversation_id":null}')
  })

  it('agrees with JSON.stringify where JSON.stringify can write the value', () => {
    const rec = { ...base, request_variables: { a: [1, 2.5, -0, 1e21, 'é\u2028"\\'], b: { c: null, d: true } }, created_at: new Date(1e12) }
    assert.equal(cr.toCommResultText(rec), JSON.stringify(rec))
  })

  it('refuses what it cannot write faithfully', () => {
    assert.throws(() => cr.commResult('{"batch_id":"b"}'), TypeError)
    assert.throws(() => cr.commResult(null), TypeError)
    assert.throws(() => cr.commResult([base]), TypeError)
    assert.throws(() => cr.commResult({ ...base, request_variables: { x: NaN } }), TypeError)
    assert.throws(() => cr.commResult({ ...base, created_at: new Date('nope') }), TypeError)
    const loop = { ...base, request_variables: {} }
    loop.request_variables.self = loop.request_variables
    assert.throws(() => cr.commResult(loop), /circular/)
  })

  it('the server validates: a well-formed object with a bad field is a pg error', async () => {
    const c = await registered()
    await assert.rejects(c.query('SELECT $1::comm_result', [cr.commResult({ ...base, created_at: new Date(Date.UTC(10000, 0, 1)) })]),
      (err) => err.code === '22007' || err.code === '22008')
  })
})
