// Run with the PG* environment variables pointing at a database that has the
// extension (CREATE EXTENSION comm_result): node examples/usage.js
const pg = require('pg')
const { register, commResult } = require('pg-comm-result')

async function main () {
  const client = new pg.Client() // PGHOST, PGPORT, PGUSER, PGDATABASE
  await client.connect()
  const info = await register(client) // looks the OIDs up in the extension's schema
  console.log('comm_result found in schema', info.schema)

  await client.query('CREATE TEMP TABLE results (r comm_result NOT NULL)')
  const records = [
    { // as the API returns it; a JSON null stays null, an absent field stays absent
      batch_id: '20250117.9', reference_id: '12345', target: '+1 (512) 555-1234',
      request_variables: { first_name: 'José', appointment: { date: '2025-01-20', clinic: 'Nord' } },
      request_status: 'INITIATED', call_manager_sid: null,
      created_at: '2025-01-17T10:00:00.123456+01:00', // a string keeps its microseconds
      sent_at: new Date('2025-01-17T09:05:00Z'), // a Date is sent with milliseconds
      attempt_count: 1
    },
    { batch_id: '20250117.9', reference_id: '12346', target: 'ana@example.com', request_variables: {} }
  ]
  // one parameter per row, or a whole array at once: $1::comm_result[]
  await client.query('INSERT INTO results (r) SELECT unnest($1::comm_result[])', [records.map(commResult)])

  const { rows } = await client.query(
    'SELECT r, request_status(r) AS status FROM results ORDER BY r')
  console.dir(rows, { depth: null })

  const done = await client.query(
    "SELECT comm_result_transition(r, 'COMPLETED', session_id => 77) AS r FROM results WHERE reference_id(r) = '12345'")
  console.log(done.rows[0].r.request_status, done.rows[0].r.session_id)
  try {
    await client.query("SELECT comm_result_transition($1::comm_result, 'FAILED')", [commResult(done.rows[0].r)])
  } catch (err) {
    console.log(err.code, err.message, '/', err.hint) // a pg error with the SQLSTATE
  }
  try {
    await client.query('SELECT $1::comm_result', [commResult({ ...records[1], target: '555-12' })])
  } catch (err) {
    console.log(err.code, err.message, '/', err.detail)
  }
  await client.end()
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
