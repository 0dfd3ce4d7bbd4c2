-- The guard and today's fields: line_type and enrichment are frozen once
-- set (the lookup runs once, at ingestion), insights may be redone but not
-- dropped, the channel's own status and the sid's name are free.

CREATE TABLE g (id int PRIMARY KEY, r comm_result);
CREATE TRIGGER g_guard BEFORE UPDATE ON g FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
CREATE FUNCTION pg_temp.v(extra text) RETURNS comm_result LANGUAGE sql AS $$
  SELECT ('{"batch_id":"b","reference_id":"1","target":"+15125550001","request_variables":{}' || extra || '}')::comm_result
$$;
CREATE FUNCTION pg_temp.move(from_extra text, to_extra text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  DELETE FROM g;
  INSERT INTO g VALUES (1, pg_temp.v(from_extra));
  UPDATE g SET r = pg_temp.v(to_extra);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' | ' || nullif(detail, ''), '');
END $$;

SELECT label, pg_temp.move(a, b) AS result FROM (VALUES
  ('line_type set from absent',        '',                              ',"line_type":"mobile"'),
  ('line_type set from null',          ',"line_type":null',             ',"line_type":"mobile"'),
  ('line_type kept',                   ',"line_type":"mobile"',         ',"line_type":"mobile"'),
  ('line_type changed',                ',"line_type":"mobile"',         ',"line_type":"voip"'),
  ('line_type nulled',                 ',"line_type":"mobile"',         ',"line_type":null'),
  ('line_type removed',                ',"line_type":"mobile"',         ''),
  ('enrichment set',                   ',"enrichment":null',            ',"enrichment":{"mcc":"310"}'),
  ('enrichment changed',               ',"enrichment":{"mcc":"310"}',   ',"enrichment":{"mcc":"311"}'),
  ('enrichment removed',               ',"enrichment":{"mcc":"310"}',   ''),
  ('insights arrive',                  ',"insights":null',              ',"insights":{"score":4}'),
  ('insights redone',                  ',"insights":{"score":4}',       ',"insights":{"score":5}'),
  ('insights nulled',                  ',"insights":{"score":4}',       ',"insights":null'),
  ('insights removed',                 ',"insights":{"score":4}',       ''),
  ('insights_status moves',            ',"insights_status":"PENDING"',  ',"insights_status":"COMPLETED"'),
  ('channel status moves back',        ',"channel_manager_status":"SENT"', ',"channel_manager_status":"QUEUED"'),
  ('channel status removed',           ',"channel_manager_status":"SENT"', ''),
  ('sid renamed',                      ',"call_manager_sid":"LM1"',     ',"channel_manager_sid":"LM1"'),
  ('sid changed under today''s name',  ',"channel_manager_sid":"LM1"',  ',"channel_manager_sid":"LM2"'),
  ('April rules still hold',           ',"channel_manager_sid":"LM1","created_at":"2026-08-01T00:00:00Z"', ',"channel_manager_sid":"LM1"')
) t(label, a, b) ORDER BY label;

-- An untouched today-shape column is not checked or fetched again.
INSERT INTO g VALUES (2, pg_temp.v(',"line_type":"mobile","enrichment":{"k":1}'));
UPDATE g SET id = 3 WHERE id = 2;
SELECT id, line_type(r) FROM g WHERE id = 3;
DROP TABLE g;
