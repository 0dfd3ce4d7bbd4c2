'use strict'
// The statuses of comm_result 1.3: CALL_COMPLETED (code 9), SENT (10) and
// UNSUBSCRIBED (11), appended to the nine of 1.0, through every path of the
// client: text, binary versions 1 and 2, the writers and comm_status values.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect, SDK_RECORDS } = require('./helpers')

let db
let client

before(async () => {
  db = await createDatabase('statuses', 'CREATE EXTENSION comm_result')
  client = await connect(db)
  await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

const NEW = [['CALL_COMPLETED', 9], ['SENT', 10], ['UNSUBSCRIBED', 11]]
const TODAY = {
  batch_id: '20261201.1',
  reference_id: 'T-1',
  target: '+15125551234',
  request_variables: { first_name: 'Ana' },
  channel_manager_sid: 'CA9f0e',
  attempt_count: 1,
  channel_manager_status: 'DELIVERED',
  insights: { score: 4.5 },
  line_type: 'mobile'
}

describe('the status table', () => {
  it('codes: the nine of 1.0 unchanged, the three of 1.3 appended', () => {
    assert.deepEqual(cr.STATUSES, ['PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED', 'COMPLETED',
      'FAILED', 'CANCELED', 'INVALID', 'SKIPPED', 'CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED'])
    assert.ok(Object.isFrozen(cr.STATUSES))
  })

  it("is the server's: every status of comm_statuses(), each code the status byte comm_result_send writes", async () => {
    const { rows } = await client.query(`SELECT s::text AS name,
      get_byte(comm_result_send(comm_result('b', 'r', '+15125550001', '{}', s)), 3) AS code
      FROM comm_statuses() c(s)`)
    assert.equal(rows.length, cr.STATUSES.length)
    for (const { name, code } of rows) assert.equal(cr.STATUSES[code], name)
  })

  it('comm_status values of 1.3 as results, parameters and arrays, in code order', async () => {
    const { rows } = await client.query(`SELECT $1::comm_status[] AS given, array_agg(s ORDER BY s) AS sorted,
      comm_status_next('INITIATED') AS next, comm_status_next('SENT') AS after_sent,
      pg_typeof($1::comm_status[])::text AS type FROM unnest($1::comm_status[]) s`, [cr.STATUSES])
    assert.deepEqual(rows[0].given, cr.STATUSES)
    // comm_status sorts by code: the nine of 1.0, then the three of 1.3
    assert.deepEqual(rows[0].sorted, ['PENDING', 'DUPLICATE', 'INITIATED', 'CONNECTED', 'COMPLETED', 'FAILED',
      'CANCELED', 'INVALID', 'SKIPPED', 'CALL_COMPLETED', 'SENT', 'UNSUBSCRIBED'])
    assert.deepEqual(rows[0].next, ['CONNECTED', 'COMPLETED', 'FAILED', 'CANCELED', 'CALL_COMPLETED', 'SENT'])
    assert.deepEqual(rows[0].after_sent, ['COMPLETED'])
    assert.equal(rows[0].type, 'comm_status[]')
    for (const [name] of NEW) {
      const one = await client.query('SELECT $1::comm_status AS s, $1::comm_status::text AS t', [name])
      assert.deepEqual(one.rows[0], { s: name, t: name })
    }
  })
})

describe('values with a status of 1.3', () => {
  for (const [name, code] of NEW) {
    for (const [shape, base, version] of [['April', SDK_RECORDS[0], 1], ["today's", TODAY, 2]]) {
      it(`${name} (code ${code}) in an ${shape} value: text and binary both ways, binary version ${version}`, async () => {
        const rec = { ...base, request_status: name }
        for (const param of [cr.commResult(rec), cr.commResultBinary(rec)]) {
          const { rows } = await client.query(`SELECT x AS r, x::text AS t, comm_result_send(x) AS b,
              request_status(x) AS s FROM (SELECT $1::comm_result AS x) v`, [param])
          const row = rows[0]
          assert.equal(row.s, name)
          assert.deepEqual(row.r, rec)
          assert.deepEqual([row.b[0], row.b[3]], [version, code])
          assert.deepEqual(cr.parseCommResult(row.t), rec)
          assert.deepEqual(cr.parseCommResultBinary(row.b), rec)
          assert.ok(cr.toCommResultBinary(row.r).equals(row.b))
        }
      })
    }
  }

  it('the binary reader refuses a code past the table, as the server does', async () => {
    const wire = cr.toCommResultBinary({ ...SDK_RECORDS[0], request_status: 'UNSUBSCRIBED' })
    assert.equal(wire[3], 11)
    const past = Buffer.from(wire)
    past[3] = 12
    assert.throws(() => cr.parseCommResultBinary(past), (err) => {
      assert.ok(err instanceof cr.CommResultBinaryError)
      assert.match(err.message, /status code 12 is out of range/)
      return true
    })
    await assert.rejects(client.query('SELECT $1::comm_result', [past]), (err) => {
      assert.equal(err.code, '22023')
      assert.match(err.detail, /Status code 12 is not between 0 and 11/)
      return true
    })
  })

  it('a status the API never sent is still refused by the binary writer, with the SQLSTATE of text input', async () => {
    const rec = { ...SDK_RECORDS[0], request_status: 'DELIVERED' }
    await assert.rejects(client.query('SELECT $1::comm_result', [cr.commResult(rec)]), { code: '22P02' })
    assert.throws(() => cr.commResultBinary(rec), { name: 'CommResultInputError', code: '22P02' })
    assert.throws(() => cr.commResultBinary({ ...rec, request_status: 'sent' }), { code: '22P02' })
  })
})
