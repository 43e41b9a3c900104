"""The benchmark's operations as plain SQL over RegWatch's tables: what a Datasette user (or a
hand-written service) would run to get the same rows RegWatch's endpoints return."""

RELATED_MATERIALS = """
WITH RECURSIVE
  start(id) AS (SELECT id FROM timeline_material WHERE slug = :material),
  up(id) AS (SELECT id FROM start
             UNION SELECT g.to_material_id FROM timeline_material_groups g JOIN up ON g.from_material_id = up.id),
  down(id) AS (SELECT id FROM start
               UNION SELECT g.from_material_id FROM timeline_material_groups g JOIN down ON g.to_material_id = down.id),
  related(id) AS (SELECT id FROM up UNION SELECT id FROM down)
"""

QUERIES = {
    # 1. measures matching a material (groups expanded both ways) in force on a day, page of 50
    "measures_in_force": RELATED_MATERIALS
    + """
SELECT m.key, m.title, m.measure_type, m.announced_on, m.effective_on, m.ends_on
FROM timeline_measure m
WHERE EXISTS (SELECT 1 FROM timeline_measurematerial mm
              WHERE mm.measure_id = m.id AND mm.material_id IN related)
  AND m.effective_on <= :day AND (m.ends_on IS NULL OR m.ends_on > :day)
  AND COALESCE((SELECT e.type FROM timeline_measureevent e
                WHERE e.measure_id = m.id AND e.type IN ('suspended', 'reinstated') AND e.date <= :day
                ORDER BY e.date DESC, e.type ASC LIMIT 1), '') != 'suspended'
ORDER BY m.effective_on DESC, m.key
LIMIT 50
""",
    # 2. one measure
    "measure_detail": """
SELECT m.key, m.title, m.reference, m.measure_type, m.summary, m.announced_on, m.effective_on,
       m.ends_on, m.updated_at
FROM timeline_measure m WHERE m.key = :key
""",
    # 3. a material's timeline, first page of 50
    "material_timeline": RELATED_MATERIALS
    + """
SELECT e.date, e.type, e.note, e.derived, m.key
FROM timeline_measureevent e JOIN timeline_measure m ON m.id = e.measure_id
WHERE e.measure_id IN (SELECT measure_id FROM timeline_measurematerial WHERE material_id IN related)
ORDER BY e.date, e.type, e.id
LIMIT 50
""",
    # 4. the events feed over a date range, first page of 50
    "events_range": """
SELECT e.date, e.type, e.note, e.derived, m.key
FROM timeline_measureevent e JOIN timeline_measure m ON m.id = e.measure_id
WHERE e.date >= :after AND e.date <= :before
ORDER BY e.date, e.type, e.id
LIMIT 50
""",
}
