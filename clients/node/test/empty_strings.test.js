'use strict'
// comm_result 1.3: an optional string may be empty or blank and is kept as
// given: "" is a value, distinct from null and from absent. Only batch_id
// and reference_id, the key, must not be blank.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const cr = require('pg-comm-result')
const { createDatabase, dropDatabases, connect } = require('./helpers')

let db
let client

before(async () => {
  db = await createDatabase('empty', 'CREATE EXTENSION comm_result')
  client = await connect(db)
  await cr.register(client)
})

after(async () => {
  await client.end()
  await dropDatabases()
})

const base = { batch_id: '20261201.1', reference_id: 'E-1', target: '+15125551234', request_variables: {} }
const FIELDS = ['call_manager_sid', 'channel_manager_sid', 'channel_manager_status', 'insights_status', 'line_type']
const STRINGS = ['', ' ', '\u00a0\u200b', '\t', ' x ']

/** rec, sent as a text and as a binary parameter, comes back as itself from text and binary. */
async function roundTrip (rec) {
  const expected = { attempt_count: 0, ...rec }
  let wire
  for (const param of [cr.commResult(rec), cr.commResultBinary(rec)]) {
    const { rows } = await client.query('SELECT x AS r, x::text AS t, comm_result_send(x) AS b FROM (SELECT $1::comm_result AS x) v', [param])
    const row = rows[0]
    assert.deepEqual(row.r, expected)
    assert.deepEqual(cr.parseCommResult(row.t), expected)
    assert.deepEqual(cr.parseCommResultBinary(row.b), expected)
    assert.ok(cr.toCommResultBinary(row.r).equals(row.b))
    if (wire) assert.ok(row.b.equals(wire))
    wire = row.b
  }
  return wire
}

describe('empty and blank optional strings', () => {
  for (const field of FIELDS) {
    it(`${field}: "", blank and invisible strings round-trip in text and binary, distinct from null and absent`, async () => {
      for (const value of STRINGS) {
        const rec = { ...base, [field]: value }
        const wire = await roundTrip(rec)
        assert.ok(cr.toCommResultBinary(rec).equals(wire))
        const { rows } = await client.query(`SELECT ${field}(x) AS f, x = $2::comm_result AS same_as_null,
            x = $3::comm_result AS same_as_absent FROM (SELECT $1::comm_result AS x) v`,
        [cr.commResultBinary(rec), cr.commResult({ ...base, [field]: null }), cr.commResult(base)])
        assert.deepEqual(rows[0], { f: value, same_as_null: false, same_as_absent: false })
      }
    })
  }

  it('strings inside request_variables, insights and enrichment', async () => {
    const rec = {
      ...base,
      request_variables: { first_name: '', last_name: ' ' },
      channel_manager_sid: '',
      insights_status: '',
      insights: { rating: '', summary: '  ' },
      line_type: '',
      enrichment: { carrier_name: '', mcc: '\t' }
    }
    await roundTrip(rec)
    const { rows } = await client.query("SELECT request_variable($1::comm_result, 'first_name') AS v", [cr.commResultBinary(rec)])
    assert.equal(rows[0].v, '')
  })

  it('the key still may not be blank, in text and binary (the server says so)', async () => {
    for (const change of [{ batch_id: '' }, { reference_id: '' }, { batch_id: '\u00a0' }]) {
      for (const param of [cr.commResult({ ...base, ...change }), cr.commResultBinary({ ...base, ...change })]) {
        await assert.rejects(client.query('SELECT $1::comm_result', [param]), (err) => {
          assert.equal(err.code, '22023')
          assert.match(err.message, /must not be blank/)
          return true
        })
      }
    }
  })
})
