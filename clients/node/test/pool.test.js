'use strict'
// pg.Pool: a per-connection onConnect hook, or a types object from a
// one-time look-up.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const pg = require('pg')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, SDK_RECORDS } = require('./helpers')

let db
let bare

before(async () => {
  db = await createDatabase('pool', `CREATE EXTENSION comm_result;
    CREATE TABLE results (n serial PRIMARY KEY, r comm_result NOT NULL);
    CREATE UNIQUE INDEX results_key ON results ((batch_id(r)), (reference_id(r)))`)
  bare = await createDatabase('poolnone')
})

after(async () => {
  await dropDatabases()
})

const expected = SDK_RECORDS.map((rec) => ({ attempt_count: 0, ...rec }))

describe('onConnect hook', () => {
  it('every pooled connection parses comm_result, under concurrent use', async () => {
    let lookups = 0
    const hook = cr.onConnect()
    const pool = new pg.Pool({ database: db, max: 3, onConnect: (client) => { lookups++; return hook(client) } })
    try {
      const results = await Promise.all(SDK_RECORDS.concat(SDK_RECORDS).map((rec) =>
        pool.query('SELECT $1::comm_result AS r, pg_backend_pid() AS pid, pg_sleep(0.05)', [cr.commResult(rec)])))
      assert.deepEqual(results.map((res) => res.rows[0].r), expected.concat(expected))
      const pids = new Set(results.map((res) => res.rows[0].pid))
      assert.ok(pids.size >= 2, `several connections used (${pids.size})`)
      assert.equal(lookups, pids.size)
      // a checked-out client too
      const client = await pool.connect()
      try {
        const { rows } = await client.query("SELECT comm_status_next('CONNECTED') AS n")
        assert.deepEqual(rows[0].n, ['COMPLETED', 'FAILED', 'CALL_COMPLETED'])
      } finally {
        client.release()
      }
    } finally {
      await pool.end()
    }
  })

  it('takes the parse options', async () => {
    const pool = new pg.Pool({ database: db, max: 1, onConnect: cr.onConnect({ timestamps: 'date', int64: 'bigint' }) })
    try {
      const { rows } = await pool.query('SELECT $1::comm_result AS r', [cr.commResult(SDK_RECORDS[0])])
      assert.ok(rows[0].r.created_at instanceof Date)
      assert.equal(rows[0].r.created_at.toISOString(), '2025-01-17T09:00:00.123Z')
      assert.equal(rows[0].r.session_id, 42n)
    } finally {
      await pool.end()
    }
  })

  it('multi-row inserts through the pool', async () => {
    const pool = new pg.Pool({ database: db, max: 2, onConnect: cr.onConnect() })
    try {
      const values = SDK_RECORDS.map((_, i) => `($${i + 1}::comm_result)`).join(',')
      await pool.query(`INSERT INTO results (r) VALUES ${values}`, SDK_RECORDS.map(cr.commResult))
      const { rows } = await pool.query('SELECT r FROM results ORDER BY n')
      assert.deepEqual(rows.map((row) => row.r), expected)
      await pool.query('TRUNCATE results')
    } finally {
      await pool.end()
    }
  })

  it('without the extension, pool.query() and pool.connect() reject with the registration error', async () => {
    const pool = new pg.Pool({ database: bare, max: 2, onConnect: cr.onConnect() })
    try {
      await assert.rejects(pool.query('SELECT 1'), { name: 'CommResultExtensionError', code: 'COMM_RESULT_NOT_INSTALLED' })
      await assert.rejects(pool.connect(), (err) => err instanceof cr.CommResultExtensionError && err.message.includes(bare))
      assert.equal(pool.totalCount, 0) // the failed connections were closed
    } finally {
      await pool.end()
    }
  })
})

describe('loadTypes()', () => {
  it('a types object from a one-time look-up through a pool, for a new pool', async () => {
    const lookupPool = new pg.Pool({ database: db, max: 1 })
    let types
    try {
      types = await cr.loadTypes(lookupPool)
    } finally {
      await lookupPool.end()
    }
    assert.equal(types.info.schema, 'public')
    const pool = new pg.Pool({ database: db, max: 2, types })
    try {
      const [a, b] = await Promise.all([
        pool.query('SELECT $1::comm_result AS r, 1::int4 AS i, 2::int8 AS big', [cr.commResult(SDK_RECORDS[2])]),
        pool.query("SELECT ARRAY[$1::comm_result] AS a, 'PENDING'::comm_status AS s", [cr.commResult(SDK_RECORDS[4])])
      ])
      assert.deepEqual(a.rows[0], { r: expected[2], i: 1, big: '2' }) // other types: pg's defaults
      assert.deepEqual(b.rows[0], { a: [expected[4]], s: 'PENDING' })
    } finally {
      await pool.end()
    }
  })

  it('from a connection config, with another base for the other types', async () => {
    const base = { getTypeParser: (oid, format) => oid === 20 ? BigInt : pg.types.getTypeParser(oid, format) }
    const types = await cr.loadTypes({ database: db }, { base, timestamps: 'date' })
    const pool = new pg.Pool({ database: db, max: 1, types })
    try {
      const { rows } = await pool.query('SELECT $1::comm_result AS r, 2::int8 AS big', [cr.commResult(SDK_RECORDS[1])])
      assert.equal(rows[0].big, 2n)
      assert.ok(rows[0].r.created_at instanceof Date)
      assert.equal(rows[0].r.sent_at, null)
    } finally {
      await pool.end()
    }
  })

  it('leaves pg.types alone', async () => {
    const types = await cr.loadTypes({ database: db })
    assert.notEqual(pg.types.getTypeParser(types.info.oids.comm_result, 'text'), types.getTypeParser(types.info.oids.comm_result, 'text'))
    const c = new pg.Client({ database: db })
    await c.connect()
    try {
      const { rows } = await c.query("SELECT 'PENDING'::comm_status AS s, comm_result('b', 'r', '5550100', '{}') AS r")
      assert.equal(typeof rows[0].r, 'string')
    } finally {
      await c.end()
    }
  })
})
