'use strict'
// Today's API shape (comm_result 1.2): the new fields, both spellings of the
// sid, absent against null, and the binary format (versions 1 and 2), through
// parameters, results and COPY.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Readable, Writable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const { from: copyFrom, to: copyTo } = require('pg-copy-streams')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect, SDK_RECORDS } = require('./helpers')

let db
let client

before(async () => {
  db = await createDatabase('today', 'CREATE EXTENSION comm_result')
  client = await connect(db)
  await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

const BATCH = '20260801.3'
// Records of GET .../batches/{batch_id}/results as the SDKs 1.0.x write
// them: no batch_id (it is in the URL), in the API's key order.
const API_RECORDS = [
  { // every field, the sid under today's name
    reference_id: 'A-1',
    target: '+15125551234',
    request_variables: { first_name: 'Ana' },
    channel_manager_sid: 'CA9f0e',
    created_at: '2026-08-01T10:00:00Z',
    sent_at: '2026-08-01T08:00:01.250000Z',
    attempt_count: 1,
    session_id: 9001,
    conversation_id: 9007199254740993n,
    request_status: 'COMPLETED',
    channel_manager_status: 'DELIVERED',
    insights_status: 'COMPLETED',
    insights: { rating: 'Good', summary: 'Booked é 😀 "quoted" \\', score: 4.5, calls: 3 },
    line_type: 'mobile',
    enrichment: { line_type: 'mobile', carrier_name: 'Verizon', mcc: '310', mnc: '012', error_code: null, ported: false, history: [{ at: '2025', n: 1 }] }
  },
  { // every nullable field null
    reference_id: 'A-2',
    target: '+15125551235',
    request_variables: {},
    channel_manager_sid: null,
    created_at: '2026-08-01T10:00:00Z',
    sent_at: null,
    attempt_count: 0,
    session_id: null,
    conversation_id: null,
    request_status: 'PENDING',
    channel_manager_status: null,
    insights_status: null,
    insights: null,
    line_type: null,
    enrichment: null
  },
  { // some of today's fields, a status outside the documented 41, an e-mail target, empty objects
    reference_id: 'A-3',
    target: 'ana@example.com',
    request_variables: { k: 'v' },
    attempt_count: 2,
    request_status: 'FAILED',
    channel_manager_status: 'SOMETHING_NEW',
    insights: {},
    enrichment: {}
  },
  { // today's fields with the April spelling of the sid
    reference_id: 'A-4',
    target: '5550100',
    request_variables: {},
    call_manager_sid: 'LM1',
    line_type: 'voip'
  }
]
const RECORDS = API_RECORDS.map((rec) => ({ batch_id: BATCH, ...rec }))
const CANONICAL_KEYS = ['batch_id', 'reference_id', 'target', 'request_variables', 'request_status',
  'call_manager_sid', 'channel_manager_sid', 'created_at', 'sent_at', 'attempt_count', 'session_id',
  'conversation_id', 'channel_manager_status', 'insights_status', 'insights', 'line_type', 'enrichment']
const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key)
/** What the server gives back for a record: the same fields in canonical order, attempt_count always. */
function expected (rec) {
  const full = { attempt_count: 0, ...rec }
  const out = {}
  for (const key of CANONICAL_KEYS) if (has(full, key)) out[key] = full[key]
  return out
}
// JSON.stringify cannot write a BigInt; the type's JSON text can.
const jsonText = (obj) => cr.toCommResultText(obj)

/** The server's canonical text and binary form of a value, and the value parsed from its text. */
async function server (param) {
  const { rows } = await client.query('SELECT x AS r, x::text AS t, comm_result_send(x) AS b FROM (SELECT $1::comm_result AS x) s', [param])
  return rows[0]
}

describe("today's records", () => {
  for (const rec of RECORDS) {
    it(`${rec.reference_id}: text and binary parameters give the same value, which loads from text and binary alike`, async () => {
      const viaText = await server(cr.commResult(rec))
      const viaBinary = await server(cr.commResultBinary(rec))
      assert.deepEqual(viaText.r, expected(rec))
      assert.deepEqual(Object.keys(viaText.r), Object.keys(expected(rec)))
      assert.equal(viaBinary.t, viaText.t)
      assert.ok(viaBinary.b.equals(viaText.b))
      // version 2: each has one of today's fields or today's spelling
      assert.equal(viaText.b[0], 2)
      const fromBinary = cr.parseCommResultBinary(viaText.b)
      assert.deepEqual(fromBinary, viaText.r)
      assert.deepEqual(Object.keys(fromBinary), Object.keys(viaText.r))
      assert.deepEqual(cr.parseCommResult(viaText.t), viaText.r)
      // written back, in both formats, exactly what the server has
      assert.ok(cr.toCommResultBinary(fromBinary).equals(viaText.b))
      const { rows } = await client.query('SELECT $1::comm_result = $3::comm_result AND $2::comm_result = $3::comm_result AS same',
        [cr.commResult(fromBinary), cr.commResultBinary(viaText.r), viaText.t])
      assert.equal(rows[0].same, true)
    })
  }

  it('the spec example prints as given, and the jsonb cast agrees', async () => {
    const line = '{"batch_id":"b1","reference_id":"r1","target":"+15125551234","request_variables":{"first_name":"Ana"},' +
      '"request_status":"COMPLETED","channel_manager_sid":"CA123","created_at":"2026-08-01T10:00:00Z","sent_at":null,' +
      '"attempt_count":1,"session_id":null,"conversation_id":null,"channel_manager_status":"DELIVERED",' +
      '"insights_status":"COMPLETED","insights":{"score":4.5,"rating":"Good"},"line_type":"mobile","enrichment":{"mcc":"310"}}'
    const { rows } = await client.query('SELECT $1::comm_result AS r, $1::comm_result::text AS t, $1::comm_result::jsonb AS j', [line])
    assert.equal(rows[0].t, line)
    assert.deepEqual(rows[0].r, JSON.parse(line))
    assert.deepEqual(Object.keys(rows[0].r), Object.keys(JSON.parse(line)))
    assert.deepEqual(rows[0].j, JSON.parse(line))
  })

  it('64-bit ids and attempt_count come from the top level, not from insights or enrichment', async () => {
    const rec = { ...RECORDS[2], session_id: 9007199254740995n, insights: { session_id: 1, attempt_count: 7 }, enrichment: { conversation_id: 3, x: '"attempt_count":4' } }
    const c = await connect(db)
    try {
      await cr.register(c, { int64: 'string' })
      const { rows } = await c.query('SELECT $1::comm_result AS r', [cr.commResult(rec)])
      assert.equal(rows[0].r.session_id, '9007199254740995')
      assert.equal(rows[0].r.attempt_count, 2)
      assert.deepEqual(rows[0].r.insights, { session_id: 1, attempt_count: 7 })
      assert.deepEqual(rows[0].r.enrichment, { x: '"attempt_count":4', conversation_id: 3 })
      const b = await c.query('SELECT comm_result_send($1::comm_result) AS b', [cr.commResult(rec)])
      assert.deepEqual(cr.parseCommResultBinary(b.rows[0].b, { int64: 'string' }), rows[0].r)
    } finally {
      await c.end()
    }
  })

  it('numbers in insights go through parseJson, as request_variables do', async () => {
    const c = await connect(db)
    try {
      // a parser that keeps every number's text, as a lossless JSON parser would
      const parseJson = (text) => JSON.parse(text.replace(/:(-?\d+(?:\.\d+)?)(?=[,}])/g, ':"#$1"'))
      await cr.register(c, { parseJson })
      const rec = { ...RECORDS[3], insights: { score: 4.5, exact: 1.5, n: 3 } }
      const { rows } = await c.query("SELECT $1::comm_result AS r, comm_result_send(jsonb_set($1::comm_result::jsonb, '{insights,exact}', '1.50')::comm_result) AS b",
        [cr.commResult(rec)])
      assert.deepEqual(rows[0].r.insights, { n: '#3', exact: '#1.5', score: '#4.5' })
      assert.deepEqual(cr.parseCommResultBinary(rows[0].b, { parseJson }).insights, { n: '#3', exact: '#1.50', score: '#4.5' })
      assert.deepEqual(cr.parseCommResultBinary(rows[0].b).insights, { n: 3, exact: 1.5, score: 4.5 })
    } finally {
      await c.end()
    }
  })
})

describe('the two spellings of the sid', () => {
  const april = SDK_RECORDS[0]
  const today = Object.fromEntries(Object.entries(april).map(([k, v]) => [k === 'call_manager_sid' ? 'channel_manager_sid' : k, v]))

  for (const value of [april.call_manager_sid, null]) {
    for (const [rec, key, other, version] of [[{ ...april, call_manager_sid: value }, 'call_manager_sid', 'channel_manager_sid', 1],
      [{ ...today, channel_manager_sid: value }, 'channel_manager_sid', 'call_manager_sid', 2]]) {
      it(`${key} = ${value}: remembered in text and binary, binary version ${version}`, async () => {
        for (const param of [cr.commResult(rec), cr.commResultBinary(rec)]) {
          const { rows } = await client.query(`SELECT x AS r, x::text AS t, comm_result_send(x) AS b, call_manager_sid(x) AS sid,
              channel_manager_sid(x) AS alias FROM (SELECT $1::comm_result AS x) s`, [param])
          const row = rows[0]
          assert.deepEqual(row.r, rec)
          assert.deepEqual(Object.keys(row.r), Object.keys(rec))
          assert.ok(!has(row.r, other))
          assert.match(row.t, new RegExp(`"${key}":`))
          assert.doesNotMatch(row.t, new RegExp(`"${other}"`))
          assert.deepEqual([row.sid, row.alias], [value, value])
          assert.equal(row.b[0], version)
          assert.ok(cr.toCommResultBinary(row.r).equals(row.b))
          assert.deepEqual(cr.parseCommResultBinary(row.b), rec)
        }
      })
    }
  }

  it('both keys in one object: refused by the server in text and by the client in binary, with the same SQLSTATE', async () => {
    const both = { ...april, channel_manager_sid: 'CA1' }
    let textCode
    await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult(both)]), (err) => {
      textCode = err.code
      assert.match(err.message, /"call_manager_sid" is given under both of its names/)
      assert.match(err.detail, /channel_manager_sid/)
      return true
    })
    assert.throws(() => cr.commResultBinary(both), (err) => {
      assert.ok(err instanceof cr.CommResultInputError)
      assert.equal(err.code, textCode)
      assert.match(err.message, /"call_manager_sid" is given under both of its names.*"channel_manager_sid"/)
      return true
    })
    // undefined is absent: not a second key
    const { rows } = await client.query('SELECT $1::comm_result AS r', [cr.commResultBinary({ ...april, channel_manager_sid: undefined })])
    assert.deepEqual(rows[0].r, april)
  })
})

describe('absent and null for each new field', () => {
  const base = { batch_id: BATCH, reference_id: 'N-1', target: '+15125551234', request_variables: {} }
  const VALUES = {
    channel_manager_sid: 'CA1',
    channel_manager_status: 'SENT',
    insights_status: 'PENDING',
    insights: { score: 4.5, rating: 'Good' },
    line_type: 'landline',
    enrichment: { mcc: '310', deep: { a: [1, null, true] } }
  }
  for (const [field, value] of Object.entries(VALUES)) {
    for (const state of ['absent', 'null', 'value']) {
      it(`${field} ${state}`, async () => {
        const rec = state === 'absent' ? { ...base } : { ...base, [field]: state === 'null' ? null : value }
        for (const param of [cr.commResult(rec), cr.commResultBinary(rec)]) {
          const { rows } = await client.query(`SELECT x AS r, x::text AS t, comm_result_send(x) AS b, ${field}(x) AS f,
              x = $2::comm_result AS same_as_absent FROM (SELECT $1::comm_result AS x) s`, [param, cr.commResult(base)])
          const row = rows[0]
          assert.deepEqual(row.f, state === 'value' ? value : null) // the accessor: SQL NULL for both
          assert.equal(has(row.r, field), state !== 'absent')
          if (state !== 'absent') assert.deepEqual(row.r[field], rec[field])
          assert.equal(row.t.includes(`"${field}":null`), state === 'null')
          assert.equal(row.t.includes(`"${field}":`), state !== 'absent')
          assert.equal(row.b[0], state === 'absent' ? 1 : 2)
          assert.equal(row.same_as_absent, state === 'absent')
          assert.ok(cr.toCommResultBinary(rec).equals(row.b))
          assert.deepEqual(cr.parseCommResultBinary(row.b), row.r)
        }
      })
    }
  }
})

describe('April values keep binary version 1', () => {
  it('every SDK_RECORDS value: version 1, written back byte for byte', async () => {
    for (const rec of SDK_RECORDS) {
      const row = await server(cr.commResult(rec))
      assert.equal(row.b[0], 1)
      assert.ok(cr.toCommResultBinary(row.r).equals(row.b), rec.reference_id)
      assert.ok(cr.toCommResultBinary(cr.parseCommResultBinary(row.b)).equals(row.b))
      assert.deepEqual(cr.parseCommResultBinary(row.b), row.r)
      const viaBinary = await server(cr.commResultBinary(rec))
      assert.equal(viaBinary.t, row.t)
    }
  })
})

describe('comm_results(response, batch_id)', () => {
  it("loads a response of today's endpoint, in text and through comm_result_send", async () => {
    const response = '[' + API_RECORDS.map(jsonText).join(',') + ']'
    const { rows } = await client.query('SELECT r, comm_result_send(r) AS b FROM comm_results($1::jsonb, $2) AS r', [response, BATCH])
    assert.equal(rows.length, RECORDS.length)
    rows.forEach((row, i) => {
      assert.deepEqual(row.r, expected(RECORDS[i]))
      assert.deepEqual(Object.keys(row.r), Object.keys(expected(RECORDS[i])))
      assert.deepEqual(cr.parseCommResultBinary(row.b), row.r)
    })
    const one = await client.query('SELECT comm_result_from_jsonb($1::jsonb, $2) AS r', [jsonText(API_RECORDS[0]), BATCH])
    assert.deepEqual(one.rows[0].r, expected(RECORDS[0]))
  })
})

/* COPY through pg-copy-streams */

const escapeCopyText = (s) => s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c])
const unescapeCopyText = (s) => s.replace(/\\(.)/g, (_, c) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
const PGCOPY = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

/** Binary COPY data of rows (n int4, r comm_result). */
function binaryCopyData (values) {
  const parts = [PGCOPY, Buffer.alloc(8)] // flags, header extension length
  values.forEach((v, i) => {
    const head = Buffer.alloc(2 + 4 + 4 + 4)
    head.writeInt16BE(2, 0)
    head.writeInt32BE(4, 2)
    head.writeInt32BE(i, 6)
    head.writeInt32BE(v.length, 10)
    parts.push(head, v)
  })
  parts.push(Buffer.from([0xff, 0xff]))
  return Buffer.concat(parts)
}

function binaryCopyValues (data) {
  assert.ok(data.subarray(0, PGCOPY.length).equals(PGCOPY))
  let pos = PGCOPY.length + 4
  pos += 4 + data.readInt32BE(pos)
  const values = []
  for (;;) {
    const n = data.readInt16BE(pos)
    pos += 2
    if (n === -1) break
    assert.equal(n, 1)
    const len = data.readInt32BE(pos)
    values.push(Buffer.from(data.subarray(pos + 4, pos + 4 + len)))
    pos += 4 + len
  }
  assert.equal(pos, data.length)
  return values
}

async function copyOut (sql) {
  const chunks = []
  await pipeline(client.query(copyTo(sql)), new Writable({ write (chunk, _, done) { chunks.push(chunk); done() } }))
  return Buffer.concat(chunks)
}

describe('COPY', () => {
  const all = RECORDS.concat(SDK_RECORDS)
  before(async () => {
    await client.query('CREATE TABLE copied (n int PRIMARY KEY, r comm_result NOT NULL)')
  })

  async function matches () {
    const { rows } = await client.query('SELECT r FROM copied ORDER BY n')
    assert.deepEqual(rows.map((row) => row.r), all.map(expected))
  }

  it('FROM STDIN in text format', async () => {
    await client.query('TRUNCATE copied')
    const data = all.map((rec, i) => `${i}\t${escapeCopyText(cr.toCommResultText(rec))}\n`).join('')
    await pipeline(Readable.from([Buffer.from(data)]), client.query(copyFrom('COPY copied (n, r) FROM STDIN')))
    await matches()
  })

  it('FROM STDIN in binary format', async () => {
    await client.query('TRUNCATE copied')
    const data = binaryCopyData(all.map(cr.toCommResultBinary))
    await pipeline(Readable.from([data]), client.query(copyFrom('COPY copied (n, r) FROM STDIN (FORMAT binary)')))
    await matches()
  })

  it('TO STDOUT in text and binary format', async () => {
    const text = (await copyOut('COPY (SELECT r FROM copied ORDER BY n) TO STDOUT')).toString('utf8')
    const lines = text.split('\n').slice(0, -1)
    assert.deepEqual(lines.map((l) => cr.parseCommResult(unescapeCopyText(l))), all.map(expected))
    const values = binaryCopyValues(await copyOut('COPY (SELECT r FROM copied ORDER BY n) TO STDOUT (FORMAT binary)'))
    assert.deepEqual(values.map((v) => cr.parseCommResultBinary(v)), all.map(expected))
    assert.deepEqual(values.map((v) => v[0]), all.map((_, i) => i < RECORDS.length ? 2 : 1))
    // and the same bytes as comm_result_send
    const { rows } = await client.query('SELECT comm_result_send(r) AS b FROM copied ORDER BY n')
    rows.forEach((row, i) => assert.ok(row.b.equals(values[i])))
  })

  it('a bad value in binary COPY fails the COPY with the SQLSTATE', async () => {
    const bad = cr.toCommResultBinary({ ...RECORDS[0], reference_id: ' ' })
    await client.query('TRUNCATE copied')
    const good = cr.toCommResultBinary(RECORDS[1])
    await assert.rejects(pipeline(Readable.from([binaryCopyData([good, bad])]), client.query(copyFrom('COPY copied (n, r) FROM STDIN (FORMAT binary)'))),
      (err) => { assert.equal(err.code, '22023'); assert.match(err.message, /reference_id/); return true })
    assert.equal((await client.query('SELECT count(*)::int AS n FROM copied')).rows[0].n, 0)
  })
})

/* errors */

// [what, change to a today-shaped record, SQLSTATE in text, SQLSTATE in binary]
const BAD = [
  ['channel_manager_sid a number', { channel_manager_sid: 5 }, '22P02', '22P02'],
  ['channel_manager_status a number', { channel_manager_status: 5 }, '22P02', '22P02'],
  ['insights_status an object', { insights_status: {} }, '22P02', '22P02'],
  ['insights an array', { insights: ['a'] }, '22P02', '22P02'],
  ['insights a string', { insights: '{}' }, '22P02', '22P02'],
  ['a boolean in insights', { insights: { ok: true } }, '22P02', '22P02'],
  ['a null in insights', { insights: { score: null } }, '22P02', '22P02'],
  ['nested insights', { insights: { a: { b: 1 } } }, '22P02', '22P02'],
  ['line_type a boolean', { line_type: false }, '22P02', '22P02'],
  ['enrichment an array', { enrichment: [{}] }, '22P02', '22P02'],
  ['enrichment a number', { enrichment: 1 }, '22P02', '22P02'],
  ['a zero character in line_type', { line_type: 'a\u0000' }, '22P05', '22P03'],
  ['unknown key', { insight: {} }, '22P02', '22P02']
]

describe("bad values of today's fields", () => {
  for (const [what, change, textCode, binaryCode] of BAD) {
    it(`${what}: ${textCode} in text, ${binaryCode} in binary`, async () => {
      const rec = { ...RECORDS[3], call_manager_sid: undefined, ...change }
      await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult(rec)]), { code: textCode })
      let param
      try {
        param = cr.commResultBinary(rec)
      } catch (err) {
        // what the wire format cannot carry is refused by the client, with the server's SQLSTATE
        assert.ok(err instanceof cr.CommResultInputError, String(err))
        assert.equal(err.code, binaryCode)
        return
      }
      await assert.rejects(client.query('SELECT $1::comm_result', [param]), { code: binaryCode })
    })
  }
})

describe('the binary reader', () => {
  it('refuses what comm_result_send never writes', async () => {
    const wire = (await server(cr.commResult(RECORDS[0]))).b
    const v1 = (await server(cr.commResult(SDK_RECORDS[0]))).b
    const fixed = 40
    const flags2 = wire.readUInt16BE(fixed)
    const withFlags2 = (f) => { const b = Buffer.from(wire); b.writeUInt16BE(f, fixed); return b }
    const cases = [
      ['version 3', Buffer.concat([Buffer.from([3]), wire.subarray(1)]), /versions 1 and 2/],
      ['unknown flags2 bit', withFlags2(flags2 | 0x0800), /unknown bits/],
      ['present and null', withFlags2(flags2 | 0x0004), /both present and null/],
      ['a string its flag does not announce', withFlags2(flags2 & ~0x0080), /line_type disagrees/],
      ['truncated', wire.subarray(0, -1), /runs past the end/],
      ['trailing byte', Buffer.concat([wire, Buffer.from('}')]), /follow the end/],
      ['inside flags2', wire.subarray(0, fixed + 1), /fixed-size/],
      ['version 2 without a flags2 bit', withFlags2(0), /no flags2 bit/],
      ['empty', Buffer.alloc(0), /empty/],
      ['a version 1 body under version 2', Buffer.concat([Buffer.from([2]), v1.subarray(1)]), /./]
    ]
    for (const [what, data, re] of cases) {
      assert.throws(() => cr.parseCommResultBinary(data), (err) => {
        assert.ok(err instanceof cr.CommResultBinaryError, `${what}: ${err}`)
        assert.equal(err.code, '22P03')
        assert.match(err.message, re, what)
        return true
      })
    }
    const noSid = Buffer.from(cr.toCommResultBinary(RECORDS[2]))
    noSid[fixed + 1] |= 0x01
    assert.throws(() => cr.parseCommResultBinary(noSid), /does not have/)
  })

  it('the server refuses a version 1 body labelled version 2', async () => {
    const v1 = cr.toCommResultBinary(SDK_RECORDS[0])
    const relabelled = Buffer.concat([Buffer.from([2]), v1.subarray(1)])
    await assert.rejects(client.query('SELECT $1::comm_result', [relabelled]), { code: '22P03' })
  })

  it("pg's binary result mode is not a way to read it: pg decodes every value as UTF-8 first", async () => {
    // pg 8 (pg-protocol) turns each DataRow value into a UTF-8 string before
    // a binary parser sees it, so bytes that are not UTF-8 come back as
    // U+FFFD: read comm_result_send(r) (a bytea) or binary COPY instead.
    const sent = (await server(cr.commResult(SDK_RECORDS[0]))).b // a bytea, in text format: exact
    const { rows } = await client.query({
      text: 'SELECT $1::comm_result AS r',
      values: [cr.commResult(SDK_RECORDS[0])],
      binary: true,
      types: { getTypeParser: () => (value) => value } // the value as pg hands it to a parser
    })
    const raw = rows[0].r
    assert.ok(Buffer.isBuffer(raw))
    assert.notEqual(sent.toString('utf8'), sent.toString('latin1')) // not all ASCII
    assert.ok(!raw.equals(sent))
    assert.ok(raw.equals(Buffer.from(sent.toString('utf8'))))
  })
})
