// Loading a response with nothing lost (examples/load_checked.sql). Run like
// examples/usage.js: node examples/load.js
const pg = require('pg')
const { ensureTables, loadResponse, replayRejects } = require('pg-comm-result')

async function main () {
  const client = new pg.Client()
  await client.connect()

  // GET /api/v1/outbound/batches/20261201.1/results: the body as received, never parsed here
  const body = Buffer.from(
    '[{"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"SENT","line_type":""},\n' +
    ' {"reference_id":"2","target":"555-12","request_variables":{}},\n' +
    ' {"reference_id":"1","target":"+15125550001","request_variables":{},"request_status":"COMPLETED"}]')

  await ensureTables(client) // results and results_rejects, if missing
  console.log(await loadResponse(client, body, '20261201.1'))
  console.log(await loadResponse(client, body, '20261201.1')) // the same response again
  try {
    await loadResponse(client, body.subarray(0, 100), '20261201.1') // cut off in transfer: nothing is written
  } catch (err) {
    console.log(err.code, err.message)
  }
  const rejects = await client.query("SELECT ordinal, errors -> 0 ->> 'message' AS message FROM results_rejects")
  console.log(rejects.rows)
  await client.query("UPDATE results_rejects SET element = replace(element, '555-12', '+15125550002')")
  console.log(await replayRejects(client))
  const { rows } = await client.query("SELECT r::text FROM results WHERE reference_id(r) = '1'")
  console.log(rows[0].r)
  await client.end()
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
