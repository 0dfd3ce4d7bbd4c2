'use strict'
// Round trips through a live server: what goes in as commResult(obj) comes
// back as the same object, with the API's shape.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const pg = require('pg')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect, SDK_RECORDS } = require('./helpers')

let db
let client
let info

before(async () => {
  db = await createDatabase('rt', 'CREATE EXTENSION comm_result')
  client = await connect(db)
  info = await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

/** The keys an object has, in the canonical order. */
const canonicalKeys = (obj) => cr.FIELDS.filter((k) => Object.prototype.hasOwnProperty.call(obj, k))

describe('registration', () => {
  it('returns the schema, version and the OIDs the catalog has', async () => {
    const { rows } = await client.query(`SELECT 'comm_result'::regtype::oid::int AS r, 'comm_status'::regtype::oid::int AS s,
      'comm_result[]'::regtype::oid::int AS ra, 'comm_status[]'::regtype::oid::int AS sa,
      (SELECT extversion FROM pg_extension WHERE extname = 'comm_result') AS v`)
    assert.deepEqual(info.oids, { comm_result: rows[0].r, comm_status: rows[0].s, comm_result_array: rows[0].ra, comm_status_array: rows[0].sa })
    assert.equal(info.schema, 'public')
    assert.equal(info.version, rows[0].v)
    assert.equal(info.database, db)
  })

  it('changes only the registered client, not pg.types nor other clients', async () => {
    const other = await connect(db)
    try {
      const text = '{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"attempt_count":0}'
      const mine = await client.query('SELECT $1::comm_result AS r', [text])
      const theirs = await other.query('SELECT $1::comm_result AS r', [text])
      assert.deepEqual(mine.rows[0].r, JSON.parse(text))
      assert.equal(theirs.rows[0].r, text) // unregistered: the raw text
      assert.equal(pg.types.getTypeParser(info.oids.comm_result, 'text')(text), text)
    } finally {
      await other.end()
    }
  })

  it('rejects what is not a client', async () => {
    await assert.rejects(cr.register({ query: async () => ({ rows: [] }) }), TypeError)
  })
})

describe('SDK-shaped records', () => {
  for (const [i, rec] of SDK_RECORDS.entries()) {
    it(`record ${i} (${rec.target}) comes back equal, keys in canonical order`, async () => {
      const { rows } = await client.query('SELECT $1::comm_result AS r, ($1::comm_result)::jsonb AS j, ($1::comm_result)::text AS t',
        [cr.commResult(rec)])
      const r = rows[0].r
      const expected = Object.assign({ attempt_count: 0 }, rec)
      assert.deepEqual(r, expected)
      assert.deepEqual(Object.keys(r), canonicalKeys(expected))
      // the server's own view of the value, through jsonb, agrees
      assert.deepEqual(r, rows[0].j)
      // and so does parsing its canonical text directly
      assert.deepEqual(cr.parseCommResult(rows[0].t), r)
    })
  }

  it('absent and null stay apart, and both read as SQL NULL through the accessors', async () => {
    const nulls = SDK_RECORDS[1] // call_manager_sid, sent_at, session_id, conversation_id: null
    const absent = SDK_RECORDS[2] // the same four fields absent
    const { rows } = await client.query(`SELECT r, call_manager_sid(r) AS sid, sent_at(r) AS sent, session_id(r) AS sess,
        conversation_id(r) AS conv, r::text AS t
      FROM unnest($1::comm_result[]) AS r`, [[cr.commResult(nulls), cr.commResult(absent)]])
    const [n, a] = rows
    for (const f of ['call_manager_sid', 'sent_at', 'session_id', 'conversation_id']) {
      assert.ok(Object.prototype.hasOwnProperty.call(n.r, f), `${f} present`)
      assert.equal(n.r[f], null)
      assert.ok(!(f in a.r), `${f} absent`)
      assert.match(n.t, new RegExp(`"${f}":null`))
      assert.doesNotMatch(a.t, new RegExp(`"${f}"`))
    }
    for (const row of rows) assert.deepEqual([row.sid, row.sent, row.sess, row.conv], [null, null, null, null])
  })

  it('undefined fields are left out (absent), as JSON.stringify does', async () => {
    const rec = { ...SDK_RECORDS[3], sent_at: undefined, call_manager_sid: undefined }
    const { rows } = await client.query('SELECT $1::comm_result AS r', [cr.commResult(rec)])
    assert.ok(!('sent_at' in rows[0].r))
    assert.ok(!('call_manager_sid' in rows[0].r))
  })

  it('unicode, escapes and nested variables survive, and the server sees the same characters', async () => {
    const rec = SDK_RECORDS[2]
    const { rows } = await client.query(`SELECT r, reference_id(r) AS ref, target(r) AS target, target_kind(r) AS kind,
        request_variable(r, '名前') AS name, request_variables(r) #>> '{nested,deep,deeper,4,k}' AS deep,
        length(request_variable(r, 'emoji')) AS emoji_len
      FROM (SELECT $1::comm_result AS r) s`, [cr.commResult(rec)])
    assert.equal(rows[0].ref, 'ref-ü-😀')
    assert.equal(rows[0].target, 'josé.garcía@exämple.es')
    assert.equal(rows[0].kind, 'email')
    assert.equal(rows[0].name, '太郎')
    assert.equal(rows[0].deep, 'v')
    assert.equal(rows[0].emoji_len, [...'👩‍💻'].length)
    assert.equal(rows[0].r.request_variables.note, 'line1\nline2\t"quoted" \\ \u2028')
  })

  it('phone and e-mail targets are kept as written', async () => {
    const targets = ['+15125551234', '512-555-1234', '+1 (555) 010-0199', 'tel:+15550100199', 'TEL:5550100',
      'UPPER.Case@Example.COM', '"quoted local"@example.com', '用户@例子.广告']
    const recs = targets.map((target, i) => ({ batch_id: 'b', reference_id: String(i), target, request_variables: {} }))
    const { rows } = await client.query('SELECT r, target_kind(r) AS kind FROM unnest($1::comm_result[]) AS r', [recs.map(cr.commResult)])
    assert.deepEqual(rows.map((row) => row.r.target), targets)
    assert.deepEqual(rows.map((row) => row.kind), targets.map((t) => t.includes('@') ? 'email' : 'phone'))
  })

  it('the server canonicalises: offsets to UTC, variables as jsonb keeps them', async () => {
    const { rows } = await client.query('SELECT $1::comm_result AS r', [cr.commResult({
      batch_id: 'b', reference_id: 'r', target: '5550100',
      request_variables: { bb: 1, a: 2, n: 1.5 },
      created_at: '2025-01-17T10:00:00+01:00', attempt_count: null, request_status: null
    })])
    assert.deepEqual(rows[0].r, { batch_id: 'b', reference_id: 'r', target: '5550100', request_variables: { a: 2, n: 1.5, bb: 1 }, created_at: '2025-01-17T09:00:00Z', attempt_count: 0 })
    assert.deepEqual(Object.keys(rows[0].r.request_variables), ['a', 'n', 'bb'])
  })
})

describe('multi-row writes', () => {
  before(async () => {
    await client.query('CREATE TABLE results (n serial PRIMARY KEY, r comm_result NOT NULL)')
    await client.query('CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)))')
  })

  it('INSERT ... VALUES with one parameter per row', async () => {
    const values = SDK_RECORDS.map((_, i) => `($${i + 1}::comm_result)`).join(', ')
    const res = await client.query(`INSERT INTO results (r) VALUES ${values} RETURNING r`, SDK_RECORDS.map(cr.commResult))
    assert.equal(res.rowCount, SDK_RECORDS.length)
    assert.deepEqual(res.rows.map((row) => row.r), SDK_RECORDS.map((rec) => ({ attempt_count: 0, ...rec })))
    await client.query('TRUNCATE results')
  })

  it('INSERT ... SELECT unnest($1::comm_result[]) with one array parameter', async () => {
    const res = await client.query('INSERT INTO results (r) SELECT unnest($1::comm_result[])', [SDK_RECORDS.map(cr.commResult)])
    assert.equal(res.rowCount, SDK_RECORDS.length)
    const { rows } = await client.query('SELECT r FROM results ORDER BY n')
    assert.deepEqual(rows.map((row) => row.r), SDK_RECORDS.map((rec) => ({ attempt_count: 0, ...rec })))
  })

  it('a merge upsert with a parameter', async () => {
    const later = { ...SDK_RECORDS[1], request_status: 'INITIATED', attempt_count: 1, sent_at: '2025-01-17T09:01:00.000002Z', call_manager_sid: 'LM1' }
    const { rows } = await client.query(`INSERT INTO results (r) VALUES ($1::comm_result)
      ON CONFLICT ((batch_id(r)), (reference_id(r))) DO UPDATE SET r = comm_result_merge(results.r, excluded.r) RETURNING r`,
    [cr.commResult(later)])
    assert.deepEqual(rows[0].r, later)
  })
})

describe('arrays and comm_status', () => {
  it('comm_result[] with NULL elements, and the empty array', async () => {
    const { rows } = await client.query(`SELECT ARRAY[$1::comm_result, NULL, $2::comm_result] AS a, '{}'::comm_result[] AS e,
      NULL::comm_result[] AS n`, [cr.commResult(SDK_RECORDS[0]), cr.commResult(SDK_RECORDS[2])])
    assert.deepEqual(rows[0].a, [SDK_RECORDS[0], null, SDK_RECORDS[2]])
    assert.deepEqual(rows[0].e, [])
    assert.equal(rows[0].n, null)
  })

  it('array_agg over a table', async () => {
    const { rows } = await client.query('SELECT array_agg(r ORDER BY r) AS a FROM unnest($1::comm_result[]) AS r',
      [SDK_RECORDS.map(cr.commResult)])
    // natural order: batch_id, then reference_id
    assert.deepEqual(rows[0].a.map((r) => [r.batch_id, r.reference_id]),
      [[' batch with spaces ', '0007'], ['20250117.9', '12345'], ['20250117.9', '12346'], ['20250117.10', 'ref-ü-😀'], ['b', 'r']])
  })

  it('comm_status as a string, NULL as null, comm_status[] as an array of strings', async () => {
    const { rows } = await client.query(`SELECT request_status($1::comm_result) AS s, request_status($2::comm_result) AS absent,
      comm_status_next('INITIATED') AS next, comm_status_next('COMPLETED') AS none,
      ARRAY['SKIPPED'::comm_status, NULL] AS with_null, pg_typeof(request_status($1::comm_result))::text AS type`,
    [cr.commResult(SDK_RECORDS[0]), cr.commResult(SDK_RECORDS[3])])
    assert.equal(rows[0].s, 'COMPLETED')
    assert.equal(rows[0].absent, null)
    assert.deepEqual(rows[0].next, ['CONNECTED', 'COMPLETED', 'FAILED', 'CANCELED', 'CALL_COMPLETED', 'SENT'])
    assert.deepEqual(rows[0].none, [])
    assert.deepEqual(rows[0].with_null, ['SKIPPED', null])
    assert.equal(rows[0].type, 'comm_status')
  })

  it('comm_status as a parameter', async () => {
    const { rows } = await client.query('SELECT comm_status_can_transition($1, $2) AS ok, $3::comm_status[] AS arr',
      ['INITIATED', 'CONNECTED', ['PENDING', 'FAILED']])
    assert.equal(rows[0].ok, true)
    assert.deepEqual(rows[0].arr, ['PENDING', 'FAILED'])
  })
})

describe('the lifecycle from the client', () => {
  it('comm_result_transition returns the moved value, parsed', async () => {
    const pending = { batch_id: '20250117.9', reference_id: '12345', target: '+15125551234', request_variables: {}, request_status: 'PENDING' }
    const { rows } = await client.query(`SELECT comm_result_transition($1::comm_result, 'INITIATED', $2::timestamptz,
      call_manager_sid => 'LMc4b16a9df2ce33d84b3d30581fe6598c', session_id => $3) AS r`,
    [cr.commResult(pending), '2025-01-17T09:00:00.654321Z', 7])
    assert.deepEqual(rows[0].r, { ...pending, request_status: 'INITIATED', call_manager_sid: 'LMc4b16a9df2ce33d84b3d30581fe6598c', sent_at: '2025-01-17T09:00:00.654321Z', attempt_count: 1, session_id: 7 })
  })
})
