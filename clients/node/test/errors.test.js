'use strict'
// Server errors reach the caller as pg errors carrying the SQLSTATE of the
// README's Errors table; a missing extension is a clear error at registration.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const pg = require('pg')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect } = require('./helpers')

let db
let bare
let client

before(async () => {
  db = await createDatabase('err', 'CREATE EXTENSION comm_result')
  bare = await createDatabase('none')
  client = await connect(db)
  await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

const ok = { batch_id: '20250117.9', reference_id: '12345', target: '+15125551234', request_variables: {} }

/** [what, input (object for commResult, string for raw text), SQLSTATE, message pattern] */
const INPUT_ERRORS = [
  ['malformed JSON', '{"batch_id":', '22P02', /invalid input syntax|comm_result/],
  ['trailing garbage', JSON.stringify(ok) + ' x', '22P02', /./],
  ['not an object', '[1]', '22P02', /./],
  ['unknown key', { ...ok, status: 'DONE' }, '22P02', /unknown comm_result field "status"/],
  ['duplicate key', '{"batch_id":"a","batch_id":"b","reference_id":"r","target":"5550100","request_variables":{}}', '22P02', /batch_id/],
  ['missing required field', { batch_id: 'b', reference_id: 'r', target: '5550100' }, '22P02', /request_variables/],
  ['string where an integer belongs', { ...ok, attempt_count: '1' }, '22P02', /attempt_count/],
  ['integer with a fraction', { ...ok, attempt_count: 1.5 }, '22P02', /attempt_count/],
  ['unknown status', { ...ok, request_status: 'completed' }, '22P02', /request_status/],
  ['\\u0000', { ...ok, request_variables: { x: 'a\u0000b' } }, '22P05', /./],
  ['blank batch_id', { ...ok, batch_id: ' \u00a0' }, '22023', /batch_id.*blank/],
  ['empty batch_id', { ...ok, batch_id: '' }, '22023', /batch_id.*blank/],
  ['blank reference_id', { ...ok, reference_id: '\t ' }, '22023', /reference_id.*blank/],
  ['bad target', { ...ok, target: '555-12' }, '22023', /target/],
  ['e-mail without a dot in the domain', { ...ok, target: 'ana@localhost' }, '22023', /target/],
  ['timestamp without a zone', { ...ok, created_at: '2024-01-01T00:00:00' }, '22007', /created_at.*time zone/],
  ['timestamp not RFC 3339', { ...ok, sent_at: '2024-01-01 00:00:00+00' }, '22007', /sent_at/],
  ['impossible date', { ...ok, created_at: '2023-02-29T00:00:00Z' }, '22008', /created_at/],
  ['negative attempt_count', { ...ok, attempt_count: -1 }, '22003', /attempt_count/],
  ['session_id above int64', { ...ok, session_id: 9223372036854775808n }, '22003', /session_id/]
]

describe('invalid input as a parameter', () => {
  for (const [what, input, code, re] of INPUT_ERRORS) {
    it(`${what}: ${code}`, async () => {
      const param = typeof input === 'string' ? input : cr.commResult(input)
      await assert.rejects(client.query('SELECT $1::comm_result AS r', [param]), (err) => {
        assert.ok(err instanceof pg.DatabaseError, `a pg DatabaseError, got ${err}`)
        assert.equal(err.code, code, `${err.code}: ${err.message}`)
        assert.match(err.message, re)
        assert.equal(err.severity, 'ERROR')
        return true
      })
    })
  }

  for (const [what, input, code] of INPUT_ERRORS.filter(([, input]) => typeof input !== 'string')) {
    it(`${what} as a binary parameter: ${code} too, from the client or the server`, async () => {
      let param
      try {
        param = cr.commResultBinary(input)
      } catch (err) {
        // what the wire format cannot carry is refused by the client, with the server's SQLSTATE
        assert.ok(err instanceof cr.CommResultInputError, String(err))
        assert.equal(err.code, code, err.message)
        return
      }
      await assert.rejects(client.query('SELECT $1::comm_result AS r', [param]), { code })
    })
  }

  it('the error carries DETAIL and HINT', async () => {
    await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult({ ...ok, status: 'x' })]), (err) => {
      assert.equal(err.code, '22P02')
      assert.match(err.hint, /batch_id/) // the hint lists the known fields
      return true
    })
    await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult({ ...ok, target: 'x'.repeat(100) })]), (err) => {
      assert.equal(err.code, '22023')
      assert.match(err.detail, /^Value "x+/)
      return true
    })
  })

  it('the client stays usable after an error', async () => {
    await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult({ ...ok, target: '1' })]))
    const { rows } = await client.query('SELECT $1::comm_result AS r', [cr.commResult(ok)])
    assert.equal(rows[0].r.target, '+15125551234')
  })

  it('bad comm_status input: 22P02', async () => {
    await assert.rejects(client.query('SELECT $1::comm_status', ['DONE']), { code: '22P02' })
  })

  it('a NULL required argument to the constructor: 22004', async () => {
    await assert.rejects(client.query('SELECT comm_result($1, $2, $3, $4)', ['b', null, '5550100', {}]), { code: '22004' })
  })
})

describe('lifecycle errors', () => {
  it('an illegal move in comm_result_transition: 22023 with both statuses, DETAIL and HINT', async () => {
    const done = { ...ok, request_status: 'COMPLETED' }
    await assert.rejects(client.query("SELECT comm_result_transition($1::comm_result, 'FAILED')", [cr.commResult(done)]), (err) => {
      assert.equal(err.code, '22023')
      assert.equal(err.message, 'invalid status transition from COMPLETED to FAILED')
      assert.equal(err.detail, 'The request is batch_id "20250117.9", reference_id "12345".')
      assert.equal(err.hint, 'Allowed next statuses from COMPLETED: none (COMPLETED is terminal).')
      return true
    })
  })

  it('a NULL to_status: 22004', async () => {
    await assert.rejects(client.query('SELECT comm_result_transition($1::comm_result, $2)', [cr.commResult(ok), null]), { code: '22004' })
  })

  it('merging two different requests: 22023', async () => {
    await assert.rejects(client.query('SELECT comm_result_merge($1::comm_result, $2::comm_result)',
      [cr.commResult(ok), cr.commResult({ ...ok, reference_id: 'other' })]), { code: '22023' })
  })

  it('the guard trigger rejects an update computed by the client: 23514', async () => {
    await client.query(`CREATE TABLE guarded (r comm_result NOT NULL);
      CREATE TRIGGER guarded_guard BEFORE UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION comm_result_guard()`)
    await client.query('INSERT INTO guarded VALUES ($1::comm_result)', [cr.commResult({ ...ok, request_status: 'COMPLETED', attempt_count: 1 })])
    const { rows } = await client.query('SELECT r FROM guarded')
    const changed = { ...rows[0].r, request_status: 'CANCELED' }
    await assert.rejects(client.query('UPDATE guarded SET r = $1::comm_result', [cr.commResult(changed)]), (err) => {
      assert.equal(err.code, '23514')
      assert.match(err.message, /"r"/)
      return true
    })
    // a legal one goes through
    const retried = { ...rows[0].r, call_manager_sid: 'LM2' }
    const res = await client.query('UPDATE guarded SET r = $1::comm_result RETURNING r', [cr.commResult(retried)])
    assert.deepEqual(res.rows[0].r, retried)
  })
})

describe('a database without the extension', () => {
  it('register() fails with a clear error naming the database', async () => {
    const c = await connect(bare)
    try {
      await assert.rejects(cr.register(c), (err) => {
        assert.ok(err instanceof cr.CommResultExtensionError)
        assert.equal(err.code, 'COMM_RESULT_NOT_INSTALLED')
        assert.equal(err.database, bare)
        assert.match(err.message, new RegExp(`not installed in database "${bare}"`))
        assert.match(err.message, /CREATE EXTENSION comm_result/)
        return true
      })
      // the client is still fine
      assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1)
    } finally {
      await c.end()
    }
  })

  it('loadTypes() fails the same way, and closes its temporary client', async () => {
    await assert.rejects(cr.loadTypes({ database: bare }), { name: 'CommResultExtensionError', code: 'COMM_RESULT_NOT_INSTALLED' })
    const admin = await connect(db)
    try {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [bare])
      assert.equal(rows[0].n, 0)
    } finally {
      await admin.end()
    }
  })

  it('a type named comm_result without the extension is not taken for it', async () => {
    const c = await connect(bare)
    try {
      await c.query('CREATE TYPE comm_result AS (a int); CREATE TYPE comm_status AS ENUM (\'PENDING\')')
      await assert.rejects(cr.register(c), { code: 'COMM_RESULT_NOT_INSTALLED' })
    } finally {
      await c.query('DROP TYPE IF EXISTS comm_result; DROP TYPE IF EXISTS comm_status')
      await c.end()
    }
  })
})
