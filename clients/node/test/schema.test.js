'use strict'
// The extension is relocatable: the OIDs are looked up in the schema where it
// is installed (pg_extension.extnamespace), whatever the search_path says.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect } = require('./helpers')

let db
let publicDb

const rec = { batch_id: 'b', reference_id: 'r', target: 'ana@example.com', request_variables: { k: 'v' }, request_status: 'SKIPPED', attempt_count: 0 }

before(async () => {
  // A decoy type named comm_result in public, created first (so that the
  // extension's OIDs differ from those of a database that has none).
  db = await createDatabase('schema', `CREATE TYPE public.comm_result AS (a int);
    CREATE SCHEMA x; CREATE EXTENSION comm_result SCHEMA x`)
  publicDb = await createDatabase('public', 'CREATE EXTENSION comm_result')
})

after(async () => {
  await dropDatabases()
})

describe('extension in schema x', () => {
  it('register() finds the types in x, not the decoy on the search_path', async () => {
    const c = await connect(db)
    try {
      const info = await cr.register(c)
      assert.equal(info.schema, 'x')
      const { rows } = await c.query(`SELECT 'x.comm_result'::regtype::oid::int AS x, 'public.comm_result'::regtype::oid::int AS decoy,
        'x.comm_status'::regtype::oid::int AS s, current_setting('search_path') AS path`)
      assert.equal(info.oids.comm_result, rows[0].x)
      assert.equal(info.oids.comm_status, rows[0].s)
      assert.notEqual(info.oids.comm_result, rows[0].decoy)
      assert.doesNotMatch(rows[0].path, /\bx\b/)

      const res = await c.query('SELECT $1::x.comm_result AS r, x.request_status($1::x.comm_result) AS s, x.comm_status_next(\'FAILED\') AS n, ROW(1)::public.comm_result AS decoy',
        [cr.commResult(rec)])
      assert.deepEqual(res.rows[0].r, rec)
      assert.equal(res.rows[0].s, 'SKIPPED')
      assert.deepEqual(res.rows[0].n, ['INITIATED'])
      assert.equal(res.rows[0].decoy, '(1)') // the other type keeps pg's default (text)
    } finally {
      await c.end()
    }
  })

  it('each database gets its own OIDs', async () => {
    const a = await connect(db)
    const b = await connect(publicDb)
    try {
      const ia = await cr.register(a)
      const ib = await cr.register(b)
      assert.equal(ib.schema, 'public')
      assert.notEqual(ia.oids.comm_result, ib.oids.comm_result)
      for (const c of [a, b]) {
        const t = c === a ? 'x.' : 'public.'
        const { rows } = await c.query(`SELECT $1::${t}comm_result AS r`, [cr.commResult(rec)])
        assert.deepEqual(rows[0].r, rec)
      }
    } finally {
      await a.end()
      await b.end()
    }
  })

  it('after ALTER EXTENSION ... SET SCHEMA a new connection finds the new schema', async () => {
    const admin = await connect(db)
    try {
      await admin.query('CREATE SCHEMA y; ALTER EXTENSION comm_result SET SCHEMA y')
      const c = await connect(db)
      try {
        const info = await cr.register(c)
        assert.equal(info.schema, 'y')
        const { rows } = await c.query('SELECT $1::y.comm_result AS r', [cr.commResult(rec)])
        assert.deepEqual(rows[0].r, rec)
      } finally {
        await c.end()
      }
    } finally {
      await admin.query('ALTER EXTENSION comm_result SET SCHEMA x; DROP SCHEMA y')
      await admin.end()
    }
  })

  it('loadTypes() looks in x too', async () => {
    const types = await cr.loadTypes({ database: db })
    assert.equal(types.info.schema, 'x')
    const c = await connect(db, { types })
    try {
      const { rows } = await c.query('SELECT $1::x.comm_result AS r', [cr.commResult(rec)])
      assert.deepEqual(rows[0].r, rec)
    } finally {
      await c.end()
    }
  })
})
