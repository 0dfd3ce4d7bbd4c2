// Today's API shape. Run like examples/usage.js: node examples/today.js
const pg = require('pg')
const { register, commResult, commResultBinary, parseCommResultBinary } = require('pg-comm-result')

async function main () {
  const client = new pg.Client()
  await client.connect()
  await register(client)

  // GET /api/v1/outbound/batches/20260801.3/results, as the SDKs 1.0.x return it: no batch_id
  const response = [{
    reference_id: 'A-1', target: '+15125551234', request_variables: { first_name: 'Ana' },
    channel_manager_sid: 'CA9f0e', created_at: '2026-08-01T10:00:00Z', sent_at: null,
    attempt_count: 1, session_id: null, conversation_id: null, request_status: 'COMPLETED',
    channel_manager_status: 'DELIVERED', insights_status: 'COMPLETED',
    insights: { rating: 'Good', score: 4.5 }, line_type: 'mobile', enrichment: { mcc: '310' }
  }]
  await client.query('CREATE TEMP TABLE results (r comm_result NOT NULL)')
  // the batch id comes from the URL
  await client.query('INSERT INTO results SELECT comm_results($1::jsonb, $2)', [JSON.stringify(response), '20260801.3'])

  const { rows } = await client.query('SELECT r, comm_result_send(r) AS wire FROM results')
  console.dir(rows[0].r, { depth: null }) // the sid keeps today's name
  const wire = rows[0].wire // the binary form, a Buffer
  console.log('binary format version', wire[0])
  console.dir(parseCommResultBinary(wire).insights)

  // written back as a text or a binary parameter: the same value
  const same = await client.query('SELECT $1::comm_result = r AND $2::comm_result = r AS same FROM results',
    [commResult(rows[0].r), commResultBinary(rows[0].r)])
  console.log(same.rows[0].same)
  try {
    commResultBinary({ ...rows[0].r, call_manager_sid: 'LM1' }) // one field under both names
  } catch (err) {
    console.log(err.code, err.message)
  }
  await client.end()
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
