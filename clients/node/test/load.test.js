'use strict'
// loadResponse, ensureTables and replayRejects: examples/load_checked.sql
// from Node, against a live server.

const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const pg = require('pg')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect } = require('./helpers')

let db
let client

before(async () => {
  db = await createDatabase('load', 'CREATE EXTENSION comm_result')
  client = await connect(db)
  await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

const ODD = 'Results "2026"; DROP TABLE results; --'

beforeEach(async () => {
  await client.query(`DROP TABLE IF EXISTS results, results_rejects, loaded, kept, "ünïcode rejects", ${quote(ODD)};
    DROP SCHEMA IF EXISTS loads CASCADE`)
})

function quote (name) {
  return '"' + name.replace(/"/g, '""') + '"'
}

const BATCH = '20261201.1'
// A response as the endpoint sends it, element by element. What a
// client-side JSON parse would change is in it: a repeated key, an integer
// spelled 1.0, exact decimals.
const ELEMENTS = [
  // 0: valid; request 1, first snapshot
  '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},' +
    '"request_status":"INITIATED","attempt_count":1,"sent_at":"2026-12-01T10:00:05Z"}',
  // 1: a bad target
  '{"reference_id":"2","target":"555-12","request_variables":{}}',
  // 2: not an object
  '7',
  // 3: request 1 again, a later snapshot (a repeated reference_id)
  '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},' +
    '"request_status":"CALL_COMPLETED","attempt_count":1}',
  // 4: valid, a status of 1.3 and empty strings
  '{"reference_id":"3","target":"ana@example.com","request_variables":{},' +
    '"request_status":"SENT","channel_manager_sid":"","line_type":""}',
  // 5: not an object
  '"text"',
  // 6: a repeated key, which JSON.parse would silently resolve
  '{"reference_id":"4","target":"+15125550004","request_variables":{},"line_type":"a","line_type":"b"}',
  // 7: valid
  '{"reference_id":"5","target":"+15125550005","request_variables":{},"request_status":"UNSUBSCRIBED"}',
  // 8: an integer spelled 1.0, which JSON.parse would turn into 1
  '{"reference_id":"6","target":"+15125550006","request_variables":{},"attempt_count":1.0}',
  // 9: null
  'null'
]
const BODY = '[\n  ' + ELEMENTS.join(',\n  ') + '\n]'
const REJECTED = [1, 2, 5, 6, 8, 9]
const FIRST = { valid: 3, loaded: 3, unchanged: 0, rejected: 6, newRejects: 6 }
const AGAIN = { valid: 3, loaded: 0, unchanged: 3, rejected: 6, newRejects: 0 }

/** What the tables hold: the results' texts by reference_id, and the rejects. */
async function state (table = 'results', rejects = 'results_rejects') {
  const r = await client.query(`SELECT reference_id(r) AS id, r::text AS t FROM ${table} ORDER BY 1`)
  const j = await client.query(`SELECT batch_id, ordinal, element, errors FROM ${rejects} ORDER BY id`)
  return { results: Object.fromEntries(r.rows.map((row) => [row.id, row.t])), rejects: j.rows }
}

/** The statements of examples/load_checked.sql, as the client should send them for the default tables. */
function recipe () {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'load_checked.sql'), 'utf8')
  const clientForm = (statement) => {
    for (const name of ['results_rejects_once', 'results_rejects', 'results_key', 'results']) {
      statement = statement.replace(new RegExp(`\\b${name}\\b`, 'g'), `"${name}"`)
    }
    return statement.replace('$1', "convert_from($1, 'UTF8')")
  }
  const load = text.split('PREPARE load_response(text, text) AS\n')[1].split(';\n')[0]
  const replay = text.split('PREPARE replay_rejects AS\n')[1].split(';\n')[0]
  const ddl = text.match(/^CREATE [\s\S]*?;$/mg).map((d) => clientForm(d.slice(0, -1)))
  return { load: clientForm(load), replay: clientForm(replay), ddl }
}

/** A client that records what it is asked and answers with the rows given. */
function recorder (rows) {
  const sent = []
  return { sent, query: async (config) => { sent.push(config); return { rows } } }
}

describe('the statements', () => {
  it('are those of examples/load_checked.sql, with the body decoded from UTF-8 by the server', async () => {
    const expected = recipe()
    assert.equal(expected.ddl.length, 4)
    const q = recorder([['3', '2', '1', '1']])
    assert.deepEqual(await cr.loadResponse(q, BODY, BATCH), { valid: 3, loaded: 2, unchanged: 1, rejected: 1, newRejects: 1 })
    assert.equal(q.sent[0].text, expected.load)
    assert.deepEqual(q.sent[0].values, [Buffer.from(BODY), BATCH])
    const r = recorder([['2', '5']])
    assert.deepEqual(await cr.replayRejects(r), { replayed: 2, stillRejected: 5 })
    assert.equal(r.sent[0].text, expected.replay)
    const d = recorder([])
    await cr.ensureTables(d)
    assert.deepEqual(d.sent, [expected.ddl.join(';\n')]) // one query: one implicit transaction
  })
})

describe('loadResponse', () => {
  it('loads a response: valid records merged, every other element kept with its text', async () => {
    await cr.ensureTables(client)
    assert.deepEqual(await cr.loadResponse(client, BODY, BATCH), FIRST)
    const first = await state()
    // The repeated request is merged (the later status, the earlier sent_at);
    // strings, statuses and numbers as sent.
    assert.deepEqual(first.results, {
      1: '{"batch_id":"20261201.1","reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},' +
        '"request_status":"CALL_COMPLETED","sent_at":"2026-12-01T10:00:05Z","attempt_count":1}',
      3: '{"batch_id":"20261201.1","reference_id":"3","target":"ana@example.com","request_variables":{},' +
        '"request_status":"SENT","channel_manager_sid":"","attempt_count":0,"line_type":""}',
      5: '{"batch_id":"20261201.1","reference_id":"5","target":"+15125550005","request_variables":{},' +
        '"request_status":"UNSUBSCRIBED","attempt_count":0}'
    })
    assert.deepEqual(first.rejects.map((j) => [j.batch_id, j.ordinal, j.element]), REJECTED.map((i) => [BATCH, i, ELEMENTS[i]]))
    const problems = Object.fromEntries(first.rejects.map((j) => [j.ordinal, j.errors.map((x) => [x.sqlstate, x.field])]))
    assert.deepEqual(problems[1], [['22023', 'target']])
    assert.deepEqual(problems[6], [['22P02', 'line_type']])
    assert.deepEqual(problems[8], [['22P02', 'attempt_count']])
    assert.deepEqual([2, 5, 9].map((o) => problems[o][0][0]), ['22P02', '22P02', '22P02'])

    // The same response again, as a Buffer, and as a Uint8Array: nothing changes.
    assert.deepEqual(await cr.loadResponse(client, Buffer.from(BODY), BATCH), AGAIN)
    assert.deepEqual(await cr.loadResponse(client, new TextEncoder().encode(BODY), BATCH), AGAIN)
    assert.deepEqual(await state(), first)

    // A later response: request 3 moves on, an old snapshot of request 1 changes nothing.
    const later = '[{"reference_id":"3","target":"ana@example.com","request_variables":{},"request_status":"COMPLETED"},' +
      '{"reference_id":"1","target":"+15125550001","request_variables":{"fee":1.50},"request_status":"INITIATED","attempt_count":1}]'
    assert.deepEqual(await cr.loadResponse(client, later, BATCH), { valid: 2, loaded: 1, unchanged: 1, rejected: 0, newRejects: 0 })
    const now = await state()
    assert.equal(JSON.parse(now.results[3]).request_status, 'COMPLETED')
    assert.equal(now.results[1], first.results[1])
  })

  it('a body that is not a complete JSON array: 22P02, and nothing written', async () => {
    await cr.ensureTables(client)
    await cr.loadResponse(client, BODY, BATCH)
    const before = await state()
    // cut off in transfer: its first records are new and valid
    const cut = '[{"reference_id":"10","target":"+15125550010","request_variables":{}},{"reference_id":"11","tar'
    const bodies = [cut, Buffer.from(cut), Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>'), '', ELEMENTS[0]]
    for (const body of bodies) {
      await assert.rejects(cr.loadResponse(client, body, BATCH), (err) => {
        assert.ok(err instanceof pg.DatabaseError, String(err))
        assert.equal(err.code, '22P02')
        assert.match(err.message, /not a complete JSON array/)
        return true
      })
      assert.deepEqual(await state(), before)
    }
    // through a pool too
    const pool = new pg.Pool({ database: db, max: 1 })
    try {
      await assert.rejects(cr.loadResponse(pool, cut, BATCH), { code: '22P02' })
      assert.deepEqual(await cr.loadResponse(pool, BODY, BATCH), AGAIN)
    } finally {
      await pool.end()
    }
    // bytes that are not UTF-8, a zero character: the server's 22021
    for (const body of [Buffer.concat([Buffer.from(BODY.slice(0, -2)), Buffer.from([0xff, 0x5d])]), BODY.replace('text', '\u0000')]) {
      await assert.rejects(cr.loadResponse(client, body, BATCH), { code: '22021' })
      assert.deepEqual(await state(), before)
    }
    // a lone surrogate, which UTF-8 cannot carry: refused before sending, with the same code
    await assert.rejects(cr.loadResponse(client, BODY.replace('text', '\ud800'), BATCH), (err) => {
      assert.ok(err instanceof cr.CommResultInputError)
      assert.equal(err.code, '22021')
      assert.match(err.message, /lone surrogate.*U\+D800/)
      return true
    })
    assert.deepEqual(await cr.loadResponse(client, BODY.replace('text', '\ud83d\ude00'), BATCH),
      { ...AGAIN, newRejects: 1 }) // a pair is fine: element 5 is another text now
    // a missing table: the server's 42P01, nothing written
    await assert.rejects(cr.loadResponse(client, BODY, BATCH, { table: 'nowhere' }), { code: '42P01' })
  })

  it('bad arguments are refused before anything is sent', async () => {
    const q = recorder([])
    const cases = [
      [null, BATCH, undefined],
      [JSON.parse(BODY), BATCH, undefined], // parsed: refused
      [BODY, null, undefined],
      [BODY, 20261201, undefined],
      [BODY, BATCH, { table: 5 }],
      [BODY, BATCH, { table: ['loads', 5] }],
      [BODY, BATCH, { table: '' }],
      [BODY, BATCH, { table: 'a..b' }],
      [BODY, BATCH, { table: 'db.loads.results' }],
      [BODY, BATCH, { table: ['a', 'b', 'c'] }],
      [BODY, BATCH, { rejectsTable: 'a\u0000b' }],
      [BODY, BATCH, { table: 'x', rejectsTable: ['x'] }]
    ]
    for (const [body, batchId, options] of cases) {
      await assert.rejects(cr.loadResponse(q, body, batchId, options), TypeError, JSON.stringify([typeof body, batchId, options]))
    }
    await assert.rejects(cr.loadResponse(null, BODY, BATCH), TypeError)
    await assert.rejects(cr.ensureTables(q, { rejectsTable: 'results' }), TypeError)
    await assert.rejects(cr.replayRejects(q, { table: null }), TypeError)
    assert.deepEqual(q.sent, [])
  })

  it('a blank batch id is the server\'s to judge: every element is kept as a reject', async () => {
    await cr.ensureTables(client)
    assert.deepEqual(await cr.loadResponse(client, BODY, ' '), { valid: 0, loaded: 0, unchanged: 0, rejected: 10, newRejects: 10 })
    const { rows } = await client.query('SELECT count(*)::int AS n FROM results_rejects WHERE errors @> \'[{"field": "batch_id"}]\'')
    assert.equal(rows[0].n, 7)
  })
})

describe('replayRejects', () => {
  it('moves the rejects that load now, after a fix of their text', async () => {
    await cr.ensureTables(client)
    await cr.loadResponse(client, BODY, BATCH)
    assert.deepEqual(await cr.replayRejects(client), { replayed: 0, stillRejected: 6 })
    await client.query("UPDATE results_rejects SET element = replace(element, '555-12', '+15125550002') WHERE ordinal = 1")
    assert.deepEqual(await cr.replayRejects(client), { replayed: 1, stillRejected: 5 })
    const { results, rejects } = await state()
    assert.equal(JSON.parse(results[2]).target, '+15125550002')
    assert.deepEqual(rejects.map((j) => j.ordinal), [2, 5, 6, 8, 9])
    assert.deepEqual(await cr.replayRejects(client), { replayed: 0, stillRejected: 5 })
    // the fixed element is kept again when the batch comes back as it was
    assert.deepEqual(await cr.loadResponse(client, BODY, BATCH), { ...AGAIN, newRejects: 1 })
  })
})

describe('ensureTables', () => {
  it('creates the tables and indexes once, keeps a table of ones own, all or nothing', async () => {
    await cr.ensureTables(client)
    await cr.ensureTables(client) // again: nothing to do
    const { rows } = await client.query(`SELECT indexname, indexdef FROM pg_indexes
      WHERE tablename IN ('results', 'results_rejects') AND schemaname = 'public' ORDER BY 1`)
    assert.deepEqual(rows.map((r) => r.indexname), ['results_key', 'results_rejects_once', 'results_rejects_pkey'])
    assert.match(rows[0].indexdef, /UNIQUE INDEX results_key ON public\.results USING btree \(batch_id\(r\), reference_id\(r\)\)/)
    // a table of one's own keeps its columns; the missing index is added
    await client.query('DROP TABLE results, results_rejects; CREATE TABLE results (id serial, r comm_result NOT NULL, note text)')
    await cr.ensureTables(client)
    assert.deepEqual(await cr.loadResponse(client, BODY, BATCH), FIRST)
    assert.deepEqual((await client.query('SELECT array_agg(id ORDER BY id) AS ids FROM results')).rows[0].ids, [1, 2, 3])
    // all or nothing: a failing statement leaves no table behind
    await client.query(`DROP TABLE results, results_rejects; CREATE TABLE results (r comm_result NOT NULL);
      INSERT INTO results SELECT r FROM comm_results('[{"reference_id":"1","target":"+15125550001","request_variables":{}}]', 'b') r, generate_series(1, 2)`)
    await assert.rejects(cr.ensureTables(client), { code: '23505' })
    assert.equal((await client.query("SELECT to_regclass('results_rejects') AS t")).rows[0].t, null)
  })
})

describe('custom, schema-qualified and odd table names', () => {
  const CASES = [
    [{ table: 'loaded', rejectsTable: 'kept' }, 'loaded', 'kept'],
    [{ table: 'loads.results', rejectsTable: 'loads.rejects' }, 'loads.results', 'loads.rejects'],
    [{ table: ['loads', ODD], rejectsTable: ['loads', 'Rejects.v2'] }, `loads.${quote(ODD)}`, 'loads."Rejects.v2"'],
    [{ table: ODD, rejectsTable: ['ünïcode rejects'] }, quote(ODD), '"ünïcode rejects"']
  ]
  for (const [options, tableSql, rejectsSql] of CASES) {
    it(JSON.stringify(options), async () => {
      await client.query('CREATE SCHEMA loads; CREATE TABLE results (r int)') // what the odd name must not touch
      await cr.ensureTables(client, options)
      assert.deepEqual(await cr.loadResponse(client, BODY, BATCH, options), FIRST)
      assert.deepEqual(await cr.loadResponse(client, Buffer.from(BODY), BATCH, options), AGAIN)
      await assert.rejects(cr.loadResponse(client, BODY.slice(0, 40), BATCH, options), { code: '22P02' })
      await client.query(`UPDATE ${rejectsSql} SET element = replace(element, '555-12', '+15125550002')`)
      assert.deepEqual(await cr.replayRejects(client, options), { replayed: 1, stillRejected: 5 })
      const { results, rejects } = await state(tableSql, rejectsSql)
      assert.deepEqual(Object.keys(results).sort(), ['1', '2', '3', '5'])
      assert.equal(rejects.length, 5)
      // both unique indexes, named after the tables, in the tables' schema
      const suffixed = (sqlName, suffix) => sqlName.endsWith('"') ? sqlName.slice(0, -1) + suffix + '"' : sqlName + suffix
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_index i
        WHERE i.indisunique AND i.indrelid IN ($1::regclass, $2::regclass) AND i.indexrelid::regclass::text IN ($3, $4)`,
      [tableSql, rejectsSql, suffixed(tableSql, '_key'), suffixed(rejectsSql, '_once')])
      assert.equal(rows[0].n, 2)
      assert.equal((await client.query('SELECT count(*)::int AS n FROM results')).rows[0].n, 0)
      assert.equal((await client.query("SELECT to_regclass('results_rejects') AS t")).rows[0].t, null)
    })
  }
})
